"""PDF reports: report data -> HTML (Jinja) -> PDF (WeasyPrint), with no request context.

``reports.data`` and ``reports.organisation`` build a report's data from the round's result
objects (pure); ``reports.render`` turns it into HTML and tagged PDF/UA bytes; ``reports.sources``
reads the inputs from the database; ``reports.cache`` keeps built PDFs; ``reports.batch`` builds
a round's reports in parallel and ``reports.jobs`` does it as an RQ job. The functions here are
what the command line and the workspace call (they need an application context, for the
database, but no request).
"""

from __future__ import annotations

from dataclasses import dataclass

from reports import cache, render
from reports.data import TeamReport
from reports.organisation import OrganisationReport
from reports.render import Preview
from reports.sources import build_organisation_report, build_team_report
from survey.extensions import db
from survey.models import Department, Round

__all__ = ["Preview", "ReportNotFound", "ReportTarget", "build_report", "render_html", "render_pdf", "report_html",
           "report_pdf"]

Report = TeamReport | OrganisationReport


class ReportNotFound(LookupError):
    """No such round, or no such department in the round's organisation."""


@dataclass(frozen=True)
class ReportTarget:
    """Which report: a team's (``department_id``) or the organisation's (None) in one round.
    Only ids, so that it can be handed to another process or an RQ job."""

    round_id: int
    department_id: int | None = None


def build_report(target: ReportTarget, min_size: int) -> Report:
    survey_round, department = _objects(target)
    if department is None:
        return build_organisation_report(survey_round, min_size)
    return build_team_report(survey_round, department, min_size)


def render_html(report: Report, preview: Preview | None = None) -> str:
    if isinstance(report, TeamReport):
        return render.team_html(report, preview)
    return render.organisation_html(report, preview)


def render_pdf(report: Report) -> bytes:
    return render.html_to_pdf(render_html(report))


def report_html(target: ReportTarget, min_size: int, preview: Preview | None = None) -> str:
    return render_html(build_report(target, min_size), preview)


def report_pdf(target: ReportTarget, min_size: int, *, use_cache: bool = True) -> bytes:
    """The report as PDF bytes: from the cache when nothing it depends on has changed, otherwise
    built and stored (the transaction so far is committed first, the new entry flushed; the caller
    commits it)."""
    survey_round, _ = _objects(target)
    key = cache.cache_key(survey_round, target.department_id, min_size) if use_cache else None
    if key is not None and (found := cache.get(key)) is not None:
        return found
    pdf = render_pdf(build_report(target, min_size))
    if key is not None:
        # A cache entry is a small unit of work of its own: end the reading transaction first, so
        # that on SQLite the write starts a fresh transaction (waiting for other writers) instead
        # of failing to upgrade an old read snapshot when other processes have written since.
        db.session.commit()
        cache.put(key, target.round_id, target.department_id, pdf)
    return pdf


def _objects(target: ReportTarget) -> tuple[Round, Department | None]:
    survey_round = db.session.get(Round, target.round_id)
    if survey_round is None:
        raise ReportNotFound(f"no round {target.round_id}")
    if target.department_id is None:
        return survey_round, None
    department = db.session.get(Department, target.department_id)
    if department is None or department.organisation_id != survey_round.organisation_id:
        raise ReportNotFound(f"no department {target.department_id} in {survey_round.organisation.name}")
    return survey_round, department
