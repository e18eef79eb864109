"""Workspace views: organisations, departments, rounds and invitation links (``/manage/...``).

Every object is looked up through the blueprint's ``*_or_404`` helpers before anything else, so
another organisation's objects answer 404; changes are for consultants (``require_consultant``).
Views parse a form, call a service, commit once, flash and redirect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from survey.extensions import db
from survey.models import Department, Organisation, Role, Round, RoundStatus
from survey.queries import response_counts
from survey.services import ServiceError, accounts, structure
from survey.workspace import bp, department_or_404, organisation_or_404, require_consultant, round_or_404
from survey.workspace.forms import (
    ConfirmForm,
    DepartmentForm,
    EditRoundForm,
    OrganisationForm,
    RoundForm,
    end_of_day,
    start_of_day,
    today,
    uk_date,
)


def can_change() -> bool:
    return current_user.role is Role.CONSULTANT


def refuse(form: FlaskForm, error: ServiceError, default_field: str) -> None:
    """Undo the failed change and show the service's reason on the field it is about."""
    db.session.rollback()
    name = getattr(error, "field", None) or default_field
    field = form[name] if name in form else form[default_field]
    message = str(error)
    field.errors.append(message[:1].upper() + message[1:])


def render_form(template: str, form: FlaskForm, **context: Any) -> str:
    return render_template(template, form=form, has_errors=bool(form.errors), **context)


def organisation_crumbs(organisation: Organisation | None = None) -> list[dict[str, str]]:
    crumbs = [{"text": "Organisations", "href": url_for(".organisations")}]
    if organisation is not None:
        crumbs.append({"text": organisation.name, "href": url_for(".organisation", organisation_id=organisation.id)})
    return crumbs


def round_crumbs(survey_round: Round) -> list[dict[str, str]]:
    return organisation_crumbs(survey_round.organisation) + [
        {"text": survey_round.name, "href": url_for(".round", round_id=survey_round.id)}
    ]


# organisations ---------------------------------------------------------------------------------


@bp.route("/")
def organisations():  # type: ignore[no-untyped-def]
    visible = sorted(current_user.organisations, key=lambda organisation: organisation.name.casefold())
    return render_template("workspace/manage/organisations.html", organisations=visible, can_change=can_change(),
                           title="Organisations")


@bp.route("/organisations/new", methods=["GET", "POST"])
def new_organisation():  # type: ignore[no-untyped-def]
    require_consultant()
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            organisation = structure.create_organisation(form.name.data)
            accounts.give_access(current_user._get_current_object(), organisation)
        except ServiceError as error:
            refuse(form, error, "name")
        else:
            db.session.commit()
            flash(f"{organisation.name} has been created. You can now add its departments.")
            return redirect(url_for(".organisation", organisation_id=organisation.id))
    return render_form("workspace/manage/organisation_form.html", form, title="Create an organisation",
                       breadcrumbs=organisation_crumbs())


@bp.route("/organisations/<int:organisation_id>")
def organisation(organisation_id: int):  # type: ignore[no-untyped-def]
    found = organisation_or_404(organisation_id)
    rounds = sorted(found.rounds, key=lambda survey_round: survey_round.opens_at, reverse=True)
    submitted = {r.id: sum(sent for _, sent in response_counts(r.id).values()) for r in rounds}
    return render_template(
        "workspace/manage/organisation.html",
        organisation=found,
        tree=structure.department_tree(found),
        rounds=rounds,
        submitted=submitted,
        can_change=can_change(),
        title=found.name,
        breadcrumbs=organisation_crumbs(),
    )


# departments -----------------------------------------------------------------------------------


def _parent(form: DepartmentForm, organisation: Organisation) -> Department | None:
    return structure.department_in(organisation, form.parent.data) if form.parent.data is not None else None


@bp.route("/organisations/<int:organisation_id>/departments/new", methods=["GET", "POST"])
def new_department(organisation_id: int):  # type: ignore[no-untyped-def]
    found = organisation_or_404(organisation_id)
    require_consultant()
    form = DepartmentForm()
    form.set_parent_choices(structure.department_tree(found))
    if form.validate_on_submit():
        try:
            parent = _parent(form, found)
            department = structure.create_department(found, form.name.data, parent.name if parent else None)
        except ServiceError as error:
            refuse(form, error, "name")
        else:
            db.session.commit()
            flash(f"{department.name} has been added to {found.name}.")
            return redirect(url_for(".organisation", organisation_id=found.id))
    return render_form("workspace/manage/department_form.html", form, organisation=found, department=None,
                       title="Add a department", breadcrumbs=organisation_crumbs(found))


@bp.route("/departments/<int:department_id>/edit", methods=["GET", "POST"])
def edit_department(department_id: int):  # type: ignore[no-untyped-def]
    department = department_or_404(department_id)
    require_consultant()
    found = department.organisation
    form = DepartmentForm(data={"name": department.name, "parent": department.parent_id})
    inside = structure.descendant_ids(department) | {department.id}
    form.set_parent_choices([(d, depth) for d, depth in structure.department_tree(found) if d.id not in inside])
    if form.validate_on_submit():
        try:
            structure.update_department(department, form.name.data, _parent(form, found))
        except ServiceError as error:
            refuse(form, error, "name")
        else:
            db.session.commit()
            flash(f"{department.name} has been saved.")
            return redirect(url_for(".organisation", organisation_id=found.id))
    return render_form("workspace/manage/department_form.html", form, organisation=found, department=department,
                       title=f"Change {department.name}", breadcrumbs=organisation_crumbs(found))


# rounds ----------------------------------------------------------------------------------------


@bp.route("/organisations/<int:organisation_id>/rounds/new", methods=["GET", "POST"])
def new_round(organisation_id: int):  # type: ignore[no-untyped-def]
    found = organisation_or_404(organisation_id)
    require_consultant()
    versions = {version.id: version for version in structure.questionnaire_versions()}
    form = RoundForm(data={"opens_at": today()} if request.method == "GET" else None)
    form.questionnaire.choices = [(v.id, f"{v.title} (version {v.version})") for v in versions.values()]
    if form.validate_on_submit():
        try:
            survey_round = structure.create_round(
                found,
                form.name.data,
                versions[form.questionnaire.data],
                asks_desired=form.asks_desired.data,
                opens_at=start_of_day(form.opens_at.data),
                closes_at=end_of_day(form.closes_at.data) if form.closes_at.data else None,
            )
        except ServiceError as error:
            refuse(form, error, "name")
        else:
            db.session.commit()
            flash(f"{survey_round.name} has been created. Create an invitation link for each department "
                  "that takes part.")
            return redirect(url_for(".round", round_id=survey_round.id))
    return render_form("workspace/manage/round_form.html", form, organisation=found, survey_round=None,
                       has_versions=bool(versions), title="Create a round", breadcrumbs=organisation_crumbs(found))


@dataclass(frozen=True)
class DepartmentProgress:
    """One row of a round's table: how far a department has got."""

    department: Department
    depth: int
    started: int
    submitted: int
    links: int


@bp.route("/rounds/<int:round_id>", endpoint="round")
def round_page(round_id: int):  # type: ignore[no-untyped-def]
    survey_round = round_or_404(round_id)
    counts = response_counts(survey_round.id)
    links = structure.link_counts(survey_round)
    rows = [
        DepartmentProgress(department, depth, *counts.get(department.id, (0, 0)), links.get(department.id, 0))
        for department, depth in structure.department_tree(survey_round.organisation)
    ]
    return render_template(
        "workspace/manage/round.html",
        survey_round=survey_round,
        status=survey_round.status(),
        rows=rows,
        total_started=sum(row.started for row in rows),
        total_submitted=sum(row.submitted for row in rows),
        minimum=current_app.config["SURVEY_MIN_GROUP_SIZE"],
        form=ConfirmForm(),
        can_change=can_change(),
        title=survey_round.name,
        breadcrumbs=organisation_crumbs(survey_round.organisation),
    )


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
def edit_round(round_id: int):  # type: ignore[no-untyped-def]
    survey_round = round_or_404(round_id)
    require_consultant()
    form = EditRoundForm(data={
        "name": survey_round.name,
        "opens_at": uk_date(survey_round.opens_at),
        "closes_at": uk_date(survey_round.closes_at),
        "asks_desired": survey_round.asks_desired,
    } if request.method == "GET" else None)
    if form.validate_on_submit():
        # A date left as it was keeps its exact time (a round closed early keeps its moment).
        opens_on, closes_on = form.opens_at.data, form.closes_at.data
        try:
            structure.update_round(
                survey_round,
                name=form.name.data,
                opens_at=survey_round.opens_at if opens_on == uk_date(survey_round.opens_at)
                else start_of_day(opens_on),
                closes_at=None if closes_on is None
                else survey_round.closes_at if closes_on == uk_date(survey_round.closes_at)
                else end_of_day(closes_on),
                asks_desired=form.asks_desired.data,
            )
        except ServiceError as error:
            refuse(form, error, "name")
        else:
            db.session.commit()
            flash(f"{survey_round.name} has been saved.")
            return redirect(url_for(".round", round_id=survey_round.id))
    return render_form("workspace/manage/round_form.html", form, organisation=survey_round.organisation,
                       survey_round=survey_round, started=structure.has_responses(survey_round),
                       title=f"Change {survey_round.name}", breadcrumbs=round_crumbs(survey_round))


@bp.route("/rounds/<int:round_id>/close", methods=["GET", "POST"])
def close_round(round_id: int):  # type: ignore[no-untyped-def]
    survey_round = round_or_404(round_id)
    require_consultant()
    form = ConfirmForm()
    problem = None
    if form.validate_on_submit():
        try:
            structure.close_round(survey_round)
        except ServiceError as error:
            db.session.rollback()
            problem = str(error)[:1].upper() + str(error)[1:]
        else:
            db.session.commit()
            flash(f"{survey_round.name} is closed. No more answers can be sent.")
            return redirect(url_for(".round", round_id=survey_round.id))
    status = survey_round.status()
    counts = response_counts(survey_round.id).values()
    submitted = sum(sent for _, sent in counts)
    return render_template("workspace/manage/close_round.html", form=form, survey_round=survey_round,
                           status=status, is_open=status is RoundStatus.OPEN, problem=problem,
                           submitted=submitted, in_progress=sum(started for started, _ in counts) - submitted,
                           title=f"Close {survey_round.name} now", has_errors=problem is not None,
                           breadcrumbs=round_crumbs(survey_round))


# invitation links ------------------------------------------------------------------------------


@bp.route("/rounds/<int:round_id>/departments/<int:department_id>/links", methods=["POST"])
def new_link(round_id: int, department_id: int):  # type: ignore[no-untyped-def]
    """Create a link and show it on the page that answers the POST: its token is not stored, so
    this is the only time anyone can see it (the page is never cached)."""
    survey_round = round_or_404(round_id)
    department = department_or_404(department_id)
    require_consultant()
    if department.organisation_id != survey_round.organisation_id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _, token = structure.create_link(survey_round, department)
    db.session.commit()
    return render_template(
        "workspace/manage/new_link.html",
        survey_round=survey_round,
        department=department,
        url=url_for("respondents.start", token=token, _external=True),
        title=f"Invitation link for {department.name}",
        breadcrumbs=round_crumbs(survey_round),
    )
