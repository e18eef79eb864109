"""Workspace views: exports."""

from survey.workspace import bp  # noqa: F401
