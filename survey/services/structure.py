"""Organisations, departments, rounds and invitation links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from survey.extensions import db
from survey.models import Department, InvitationLink, Organisation, QuestionnaireVersion, Round, utcnow
from survey.services import ServiceError
from survey.tokens import hash_token, new_token

MAX_NAME = 200


def _clean_name(name: str, what: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError(f"{what} name must not be empty")
    if len(name) > MAX_NAME:
        raise ServiceError(f"{what} name must be at most {MAX_NAME} characters")
    return name


def create_organisation(name: str) -> Organisation:
    name = _clean_name(name, "organisation")
    if db.session.scalar(select(Organisation).filter_by(name=name)):
        raise ServiceError(f"an organisation called {name!r} already exists")
    organisation = Organisation(name=name)
    db.session.add(organisation)
    db.session.flush()
    return organisation


def find_organisation(reference: str) -> Organisation:
    """By name, or by id."""
    found = db.session.scalar(select(Organisation).filter_by(name=" ".join(reference.split())))
    if found is None and reference.isdigit():
        found = db.session.get(Organisation, int(reference))
    if found is None:
        raise ServiceError(f"no organisation called {reference!r}")
    return found


def create_department(organisation: Organisation, name: str, parent_name: str | None = None) -> Department:
    name = _clean_name(name, "department")
    if _department_named(organisation, name):
        raise ServiceError(f"{organisation.name} already has a department called {name!r}")
    parent = find_department(organisation, parent_name) if parent_name else None
    department = Department(organisation=organisation, name=name, parent=parent)
    db.session.add(department)
    db.session.flush()
    return department


def _department_named(organisation: Organisation, name: str) -> Department | None:
    return db.session.scalar(select(Department).filter_by(organisation_id=organisation.id, name=name))


def find_department(organisation: Organisation, name: str) -> Department:
    found = _department_named(organisation, " ".join(name.split()))
    if found is None:
        raise ServiceError(f"{organisation.name} has no department called {name!r}")
    return found


def create_round(
    organisation: Organisation,
    name: str,
    version: QuestionnaireVersion,
    *,
    asks_desired: bool = False,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
) -> Round:
    name = _clean_name(name, "round")
    if db.session.scalar(select(Round).filter_by(organisation_id=organisation.id, name=name)):
        raise ServiceError(f"{organisation.name} already has a round called {name!r}")
    opens_at = opens_at or utcnow()
    if closes_at is not None and closes_at <= opens_at:
        raise ServiceError("a round must close after it opens")
    survey_round = Round(
        organisation=organisation,
        name=name,
        questionnaire_version=version,
        asks_desired=asks_desired,
        opens_at=opens_at,
        closes_at=closes_at,
    )
    db.session.add(survey_round)
    db.session.flush()
    return survey_round


def find_round(reference: str) -> Round:
    """By id (as ``round create`` prints it), or by a name that only one round has."""
    reference = reference.strip()
    if reference.isdigit():
        found = db.session.get(Round, int(reference))
        if found is not None:
            return found
    matches = db.session.scalars(select(Round).filter_by(name=" ".join(reference.split())).limit(2)).all()
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ServiceError(f"more than one round is called {reference!r}: give its id")
    raise ServiceError(f"no round {reference!r}")


def create_link(survey_round: Round, department: Department) -> tuple[InvitationLink, str]:
    """A new invitation link; returns it and its token, which is not stored and cannot be shown again."""
    if department.organisation_id != survey_round.organisation_id:
        raise ServiceError(f"{department.name} is not a department of {survey_round.organisation.name}")
    token = new_token()
    link = InvitationLink(round=survey_round, department=department, token_hash=hash_token(token))
    db.session.add(link)
    db.session.flush()
    return link, token


def find_link(token: str) -> InvitationLink | None:
    link = db.session.scalar(select(InvitationLink).filter_by(token_hash=hash_token(token)))
    if link is None or link.revoked_at is not None:
        return None
    return link
