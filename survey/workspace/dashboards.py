"""Workspace views: dashboards."""

from survey.workspace import bp  # noqa: F401
