"""Workspace views: manage."""

from survey.workspace import bp  # noqa: F401
