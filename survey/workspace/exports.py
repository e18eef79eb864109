"""Workspace views: exports of aggregates (CSV, XLSX) and of raw answers (CSV).

The aggregates carry what the dashboards show, suppression included. Raw answers need the
account's separate ``can_export_raw`` permission; without it the page is not there (404).
"""

from __future__ import annotations

from flask import Response, abort, current_app
from flask_login import current_user

from survey import exports
from survey.models import utcnow
from survey.results import round_results
from survey.workspace import bp, round_or_404

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(body: str | bytes, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/rounds/<int:round_id>/export.<any(csv, xlsx):fmt>")
def export(round_id: int, fmt: str) -> Response:
    survey_round = round_or_404(round_id)
    results = round_results(survey_round, current_app.config["SURVEY_MIN_GROUP_SIZE"])
    rows = exports.aggregate_rows(results)
    name = exports.filename(results.organisation, results.round_name, "results", extension=fmt)
    if fmt == "csv":
        return _download(exports.to_csv(exports.COLUMNS, rows), "text/csv; charset=utf-8", name)
    return _download(exports.to_xlsx(results, rows, utcnow()), XLSX, name)


@bp.route("/rounds/<int:round_id>/answers.csv")
def export_answers(round_id: int) -> Response:
    survey_round = round_or_404(round_id)
    if not current_user.can_export_raw:
        abort(404)
    results = round_results(survey_round, current_app.config["SURVEY_MIN_GROUP_SIZE"])
    rows = exports.answer_rows(survey_round, results)
    name = exports.filename(results.organisation, results.round_name, "answers", extension="csv")
    return _download(exports.to_csv(exports.ANSWER_COLUMNS, rows), "text/csv; charset=utf-8", name)
