"""Workspace views: exports of aggregates (CSV, XLSX) and of raw answers (CSV).

The aggregates carry what the dashboards show, suppression included. Raw answers need the
account's separate ``can_export_raw`` permission; without it the page is not there (404).
Every download is written to the audit log and committed before the file is sent.
"""

from __future__ import annotations

from flask import Response, abort, current_app
from flask_login import current_user

from survey import exports, long_date
from survey.errors import render_error
from survey.extensions import db
from survey.models import Round, utcnow
from survey.results import round_results
from survey.services import audit
from survey.workspace import bp, round_or_404

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(body: str | bytes, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _record(action: str, survey_round: Round, what: str, as_what: str) -> None:
    audit.record(action, f"Downloaded {what} of {survey_round.name} as {as_what}",
                 organisation_id=survey_round.organisation_id, user=current_user._get_current_object())
    db.session.commit()


@bp.route("/rounds/<int:round_id>/export.<any(csv, xlsx):fmt>")
def export(round_id: int, fmt: str) -> Response:
    survey_round = round_or_404(round_id)
    results = round_results(survey_round, current_app.config["SURVEY_MIN_GROUP_SIZE"])
    rows = exports.aggregate_rows(results)
    name = exports.filename(results.organisation, results.round_name, "results", extension=fmt)
    if fmt == "csv":
        body = exports.to_csv(exports.COLUMNS, rows)
        _record(audit.EXPORT_CSV, survey_round, "the results", "a CSV file")
        return _download(body, "text/csv; charset=utf-8", name)
    workbook = exports.to_xlsx(results, rows, utcnow())
    _record(audit.EXPORT_XLSX, survey_round, "the results", "an Excel spreadsheet")
    return _download(workbook, XLSX, name)


@bp.route("/rounds/<int:round_id>/answers.csv")
def export_answers(round_id: int) -> Response | tuple[str, int]:
    survey_round = round_or_404(round_id)
    if not current_user.can_export_raw:
        abort(404)
    if survey_round.answers_deleted_at:
        return render_error(410, "These answers have been deleted",
                            f"The raw answers of {survey_round.name} were deleted on "
                            f"{long_date(survey_round.answers_deleted_at)} under the retention rule. "
                            "Its results and reports are still available.")
    results = round_results(survey_round, current_app.config["SURVEY_MIN_GROUP_SIZE"])
    rows = exports.answer_rows(survey_round, results)
    name = exports.filename(results.organisation, results.round_name, "answers", extension="csv")
    body = exports.to_csv(exports.ANSWER_COLUMNS, rows)
    _record(audit.EXPORT_RAW, survey_round, "the raw answers", "a CSV file")
    return _download(body, "text/csv; charset=utf-8", name)
