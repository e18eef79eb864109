"""Workspace views: PDF reports (preview, download, a round's ZIP), report branding and commentary.

Thin views over ``reports``: objects come through the blueprint's ``*_or_404`` helpers, changes
are for consultants (``require_consultant``), and each request commits once (a newly built report
is stored in the shared cache). Organisation leads may preview and download. Every download (a
PDF, a round's ZIP) is written to the audit log in the same commit.
"""

from __future__ import annotations

import unicodedata

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovFileInput, GovTextArea, GovTextInput
from wtforms import BooleanField, Field, StringField, TextAreaField
from wtforms.validators import Length, ValidationError

import reports
from reports import Preview, ReportTarget, jobs
from reports.batch import report_filename
from reports.branding import MAX_LOGO_BYTES, BrandingError, clean_colour, clean_logo
from reports.sources import commentary as find_commentary
from survey.exports import filename
from survey.extensions import db
from survey.models import Department, ReportCommentary, Role, Round, utcnow
from survey.security import security_headers
from survey.services import audit
from survey.workspace import bp, department_or_404, organisation_or_404, require_consultant, round_or_404

PDF = "application/pdf"
MAX_COMMENTARY = 20_000


def min_size() -> int:
    return current_app.config["SURVEY_MIN_GROUP_SIZE"]


def _download(body: bytes, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _record(action: str, survey_round: Round, description: str) -> None:
    audit.record(action, description, organisation_id=survey_round.organisation_id,
                 user=current_user._get_current_object())


def _nonce() -> str:
    return getattr(request, "csp_nonce", "")


def _department_in(survey_round: Round, department_id: int) -> Department:
    department = department_or_404(department_id)
    if department.organisation_id != survey_round.organisation_id:
        abort(404)
    return department


def _crumbs(survey_round: Round, *more: tuple[str, str | None]) -> list[dict[str, str]]:
    organisation = survey_round.organisation
    items = [{"text": "Organisations", "href": url_for(".organisations")},
             {"text": organisation.name, "href": url_for(".organisation", organisation_id=organisation.id)},
             {"text": survey_round.name, "href": url_for(".round", round_id=survey_round.id)}]
    return items + [{"text": text, "href": href} if href else {"text": text} for text, href in more]


# A round's reports ---------------------------------------------------------------------------------


@bp.route("/rounds/<int:round_id>/reports")
def reports_index(round_id: int) -> str:
    survey_round = round_or_404(round_id)
    organisation = survey_round.organisation
    notes = {c.department_id for c in db.session.scalars(
        db.select(ReportCommentary).where(ReportCommentary.round_id == round_id))}
    return render_template(
        "workspace/reports/index.html", title=f"Reports: {survey_round.name}", round=survey_round,
        organisation=organisation, departments=_tree(organisation.departments), notes=notes,
        can_change=current_user.role is Role.CONSULTANT, background=bool(current_app.config.get("REDIS_URL")),
        breadcrumbs=_crumbs(survey_round, ("Reports", None)),
    )


def _tree(departments: list[Department]) -> list[tuple[Department, int]]:
    by_parent: dict[int | None, list[Department]] = {}
    for department in sorted(departments, key=lambda d: d.name):
        by_parent.setdefault(department.parent_id, []).append(department)

    def walk(parent_id: int | None, depth: int) -> list[tuple[Department, int]]:
        return [pair for d in by_parent.get(parent_id, []) for pair in ((d, depth), *walk(d.id, depth + 1))]

    return walk(None, 0)


# The preview is the report's own HTML, stylesheet inline: the policy lets it in with a nonce.
PREVIEW_POLICY = security_headers.nonce_in("script-src", "style-src")


@bp.route("/rounds/<int:round_id>/departments/<int:department_id>/report")
@PREVIEW_POLICY
def report_preview(round_id: int, department_id: int) -> str:
    survey_round = round_or_404(round_id)
    department = _department_in(survey_round, department_id)
    preview = Preview(url_for(".reports_index", round_id=round_id), f"Back to the reports for {survey_round.name}",
                      url_for(".report_pdf", round_id=round_id, department_id=department.id), _nonce())
    return reports.report_html(ReportTarget(round_id, department.id), min_size(), preview)


@bp.route("/rounds/<int:round_id>/departments/<int:department_id>/report.pdf")
def report_pdf(round_id: int, department_id: int) -> Response:
    survey_round = round_or_404(round_id)
    department = _department_in(survey_round, department_id)
    pdf = reports.report_pdf(ReportTarget(round_id, department.id), min_size())
    _record(audit.REPORT_PDF, survey_round, f"Downloaded {audit.report_name(survey_round, department)}")
    db.session.commit()
    return _download(pdf, PDF, report_filename(survey_round, department))


@bp.route("/rounds/<int:round_id>/report")
@PREVIEW_POLICY
def organisation_report_preview(round_id: int) -> str:
    round_or_404(round_id)
    preview = Preview(url_for(".reports_index", round_id=round_id), "Back to the reports for this round",
                      url_for(".organisation_report_pdf", round_id=round_id), _nonce())
    return reports.report_html(ReportTarget(round_id), min_size(), preview)


@bp.route("/rounds/<int:round_id>/report.pdf")
def organisation_report_pdf(round_id: int) -> Response:
    survey_round = round_or_404(round_id)
    pdf = reports.report_pdf(ReportTarget(round_id), min_size())
    _record(audit.REPORT_PDF, survey_round, f"Downloaded {audit.report_name(survey_round, None)}")
    db.session.commit()
    return _download(pdf, PDF, report_filename(survey_round, None))


# Every report of a round, as a ZIP (in the request, or as an RQ job with a progress page) ----------


def _zip_name(survey_round: Round) -> str:
    return filename(survey_round.organisation.name, survey_round.name, "reports", extension="zip")


def _record_zip(survey_round: Round) -> None:
    _record(audit.REPORT_ZIP, survey_round, f"Downloaded every report for {survey_round.name} as a ZIP file")


@bp.route("/rounds/<int:round_id>/reports.zip", methods=["POST"])
def reports_zip(round_id: int) -> Response:
    survey_round = round_or_404(round_id)
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        job_id = jobs.enqueue(redis_url, survey_round, min_size())
        return redirect(url_for(".report_job", round_id=round_id, job=job_id), 303)  # type: ignore[return-value]
    body = jobs.round_zip(survey_round, min_size())
    _record_zip(survey_round)
    db.session.commit()
    return _download(body, "application/zip", _zip_name(survey_round))


def _job_or_404(round_id: int):  # type: ignore[no-untyped-def]
    """The job named by ``?job=``, if it is this round's (job ids are unguessable UUIDs)."""
    redis_url = current_app.config.get("REDIS_URL")
    job_id = request.args.get("job", "")
    job = jobs.fetch(redis_url, job_id) if redis_url and job_id else None
    if job is None or job.meta.get("round_id") != round_id:
        abort(404)
    return job


@bp.route("/rounds/<int:round_id>/reports/job")
def report_job(round_id: int) -> str:
    survey_round = round_or_404(round_id)
    job = _job_or_404(round_id)
    return render_template(
        "workspace/reports/job.html", title=f"Reports for {survey_round.name}", round=survey_round,
        progress=jobs.progress(job), job_id=job.id,
        breadcrumbs=_crumbs(survey_round, ("Reports", url_for(".reports_index", round_id=round_id)),
                            ("Download", None)),
    )


@bp.route("/rounds/<int:round_id>/reports/job.zip")
def report_job_download(round_id: int) -> Response:
    survey_round = round_or_404(round_id)
    body = jobs.result(_job_or_404(round_id))
    if body is None:
        abort(404)
    _record_zip(survey_round)
    db.session.commit()
    return _download(body, "application/zip", _zip_name(survey_round))


# Branding ------------------------------------------------------------------------------------------


class BrandingForm(FlaskForm):
    colour = StringField(
        "Cover colour", widget=GovTextInput(),
        description="A hex colour code, like #1d70b8. White text goes on it, so it must be dark enough. "
        "Leave it empty for the standard blue.",
        validators=[Length(max=7, message="Enter the colour as a hex code, like #1d70b8")],
    )
    logo = FileField(
        "Logo", widget=GovFileInput(),
        description=f"A PNG or SVG file, smaller than {MAX_LOGO_BYTES // 1000} KB. It is shown on the cover.",
    )
    remove_logo = BooleanField("Remove the current logo", widget=GovCheckboxInput())

    def validate_colour(self, field: StringField) -> None:
        if field.data and field.data.strip():
            try:
                field.data = clean_colour(field.data)
            except BrandingError as error:
                raise ValidationError(str(error)) from None
        else:
            field.data = None

    def validate_logo(self, field: FileField) -> None:
        upload = field.data
        if not upload or not getattr(upload, "filename", ""):
            field.data = None
            return
        try:
            field.data = clean_logo(upload.read(MAX_LOGO_BYTES + 1))
        except BrandingError as error:
            raise ValidationError(str(error)) from None


@bp.route("/organisations/<int:organisation_id>/branding", methods=["GET", "POST"])
def report_branding(organisation_id: int):  # type: ignore[no-untyped-def]
    organisation = organisation_or_404(organisation_id)
    require_consultant()
    form = BrandingForm(data={"colour": organisation.brand_colour or ""})
    if form.validate_on_submit():
        organisation.brand_colour = form.colour.data
        if form.logo.data:
            organisation.logo, organisation.logo_type = form.logo.data
        elif form.remove_logo.data:
            organisation.logo = organisation.logo_type = None
        db.session.commit()
        flash(f"The report branding of {organisation.name} has been saved.")
        return redirect(url_for(".report_branding", organisation_id=organisation.id))
    return render_template(
        "workspace/reports/branding.html", form=form, has_errors=bool(form.errors), organisation=organisation,
        title=f"Report branding: {organisation.name}",
        breadcrumbs=[{"text": "Organisations", "href": url_for(".organisations")},
                     {"text": organisation.name, "href": url_for(".organisation", organisation_id=organisation.id)},
                     {"text": "Report branding"}],
    )


# Commentary ----------------------------------------------------------------------------------------


def plain_text(form: FlaskForm, field: Field) -> None:
    """No control characters but tabs and line breaks (a NUL cannot even be stored on PostgreSQL)."""
    if any(unicodedata.category(c) == "Cc" and c not in "\t\r\n" for c in field.data or ""):
        raise ValidationError("The commentary must only include letters, numbers, spaces, line breaks and symbols")


class CommentaryForm(FlaskForm):
    text = TextAreaField(
        "Commentary", widget=GovTextArea(),
        description="Plain text. Leave a blank line between paragraphs; start lines with \"- \" for a list. "
        "Leave it empty for no commentary.",
        validators=[Length(max=MAX_COMMENTARY, message=f"The commentary must be {MAX_COMMENTARY:,} characters or "
                           "fewer"), plain_text],
    )


@bp.route("/rounds/<int:round_id>/departments/<int:department_id>/commentary", methods=["GET", "POST"])
def report_commentary(round_id: int, department_id: int):  # type: ignore[no-untyped-def]
    survey_round = round_or_404(round_id)
    department = _department_in(survey_round, department_id)
    require_consultant()
    return _commentary(survey_round, department)


@bp.route("/rounds/<int:round_id>/commentary", methods=["GET", "POST"])
def organisation_commentary(round_id: int):  # type: ignore[no-untyped-def]
    survey_round = round_or_404(round_id)
    require_consultant()
    return _commentary(survey_round, None)


def _commentary(survey_round: Round, department: Department | None):  # type: ignore[no-untyped-def]
    department_id = department.id if department else None
    found = find_commentary(survey_round.id, department_id)
    form = CommentaryForm(data={"text": found.text if found else ""})
    if form.validate_on_submit():
        text = (form.text.data or "").strip()
        if found and not text:
            db.session.delete(found)
        elif found:
            found.text, found.updated_at = text, utcnow()
        elif text:
            db.session.add(ReportCommentary(round_id=survey_round.id, department_id=department_id, text=text))
        db.session.commit()
        flash(f"The commentary on {_report_name(department)} has been {'saved' if text else 'removed'}.")
        return redirect(url_for(".reports_index", round_id=survey_round.id))
    preview = (url_for(".report_preview", round_id=survey_round.id, department_id=department.id) if department
               else url_for(".organisation_report_preview", round_id=survey_round.id))
    return render_template(
        "workspace/reports/commentary.html", form=form, has_errors=bool(form.errors), round=survey_round,
        department=department, report_name=_report_name(department), preview_url=preview,
        title=f"Commentary: {_report_name(department)}",
        breadcrumbs=_crumbs(survey_round, ("Reports", url_for(".reports_index", round_id=survey_round.id)),
                            ("Commentary", None)),
    )


def _report_name(department: Department | None) -> str:
    return f"{department.name}'s team report" if department else "the organisation report"

