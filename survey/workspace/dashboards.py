"""Workspace views: results dashboards (heatmap, department profile, trends, compare).

Placeholders: routes and endpoint names are fixed so other pages can link to them.
"""

from flask import abort

from survey.workspace import bp, department_or_404, organisation_or_404, round_or_404


@bp.route("/rounds/<int:round_id>/results")
def round_results(round_id: int):  # type: ignore[no-untyped-def]
    round_or_404(round_id)
    abort(404)


@bp.route("/rounds/<int:round_id>/departments/<int:department_id>")
def department_profile(round_id: int, department_id: int):  # type: ignore[no-untyped-def]
    round_or_404(round_id)
    department_or_404(department_id)
    abort(404)


@bp.route("/organisations/<int:organisation_id>/trends")
def trends(organisation_id: int):  # type: ignore[no-untyped-def]
    organisation_or_404(organisation_id)
    abort(404)


@bp.route("/organisations/<int:organisation_id>/compare")
def compare(organisation_id: int):  # type: ignore[no-untyped-def]
    organisation_or_404(organisation_id)
    abort(404)
