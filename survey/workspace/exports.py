"""Workspace views: exports of aggregates (CSV, XLSX) and of raw answers.

Placeholders: routes and endpoint names are fixed so other pages can link to them.
"""

from flask import abort

from survey.workspace import bp, round_or_404


@bp.route("/rounds/<int:round_id>/export.<any(csv, xlsx):fmt>")
def export(round_id: int, fmt: str):  # type: ignore[no-untyped-def]
    round_or_404(round_id)
    abort(404)


@bp.route("/rounds/<int:round_id>/answers.csv")
def export_answers(round_id: int):  # type: ignore[no-untyped-def]
    round_or_404(round_id)
    abort(404)
