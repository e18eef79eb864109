"""Organisations, departments, rounds and invitation links."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import exists, func, select

from survey.extensions import db
from survey.models import (
    Department,
    InvitationLink,
    Organisation,
    QuestionnaireVersion,
    Response,
    Round,
    RoundStatus,
    utcnow,
)
from survey.services import ServiceError
from survey.tokens import hash_token, new_token

MAX_NAME = 200
MAX_ID = 2**31 - 1  # the largest id a row can have (PostgreSQL's integer); SQLite's driver overflows past 2**63


def _is_id(reference: str) -> bool:
    """Whether a reference is a number that a row could have as its id (``isdigit`` would let "²" through)."""
    return reference.isdecimal() and 0 < int(reference) <= MAX_ID


def _storable(text: str) -> bool:
    """False for text with lone surrogates, which is how a command line hands over bytes that are
    not UTF-8: no stored name holds them, and the database driver cannot send them."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _clean_name(name: str, what: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError(f"{what} name must not be empty")
    if not _storable(name):
        raise ServiceError(f"{what} name must be UTF-8 text")
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
    name = " ".join(reference.split())
    found = db.session.scalar(select(Organisation).filter_by(name=name)) if _storable(name) else None
    if found is None and _is_id(reference):
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
    if not _storable(name):
        return None
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
    if _is_id(reference):
        found = db.session.get(Round, int(reference))
        if found is not None:
            return found
    if not _storable(reference):
        raise ServiceError(f"no round {reference!r}")
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


class Refused(ServiceError):
    """A refusal about one argument: ``field`` names it, so that a form can show the message there."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def department_tree(organisation: Organisation) -> list[tuple[Department, int]]:
    """Every department of an organisation with its depth (0 at the top), each parent followed by
    its children, siblings by name."""
    known = {department.id for department in organisation.departments}
    children: dict[int | None, list[Department]] = defaultdict(list)
    for department in sorted(organisation.departments, key=lambda d: (d.name.casefold(), d.id)):
        children[department.parent_id if department.parent_id in known else None].append(department)
    ordered: list[tuple[Department, int]] = []
    stack = [(department, 0) for department in reversed(children[None])]
    while stack:
        department, depth = stack.pop()
        ordered.append((department, depth))
        stack.extend((child, depth + 1) for child in reversed(children[department.id]))
    return ordered


def descendant_ids(department: Department) -> set[int]:
    """The ids of the departments inside this one, at any depth (not its own)."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for other in department.organisation.departments:
        children[other.parent_id].append(other.id)
    found: set[int] = set()
    waiting = list(children[department.id])
    while waiting:
        current = waiting.pop()
        if current not in found:
            found.add(current)
            waiting.extend(children[current])
    return found


def department_in(organisation: Organisation, department_id: int) -> Department:
    """One of the organisation's departments, by id."""
    department = db.session.get(Department, department_id)
    if department is None or department.organisation_id != organisation.id:
        raise Refused(f"{organisation.name} has no such department", field="parent")
    return department


def update_department(department: Department, name: str, parent: Department | None) -> Department:
    """Rename a department and move it (``parent`` None: to the top level).

    Refuses a parent in another organisation, and a parent that is the department itself or
    inside it (a department cannot be its own ancestor)."""
    name = _clean_name(name, "department")
    organisation = department.organisation
    same_name = _department_named(organisation, name)
    if same_name is not None and same_name.id != department.id:
        raise Refused(f"{organisation.name} already has a department called {name!r}", field="name")
    if parent is not None:
        if parent.organisation_id != department.organisation_id:
            raise Refused(f"{parent.name} is not a department of {organisation.name}", field="parent")
        if parent.id == department.id:
            raise Refused(f"{department.name} cannot be inside itself", field="parent")
        if parent.id in descendant_ids(department):
            raise Refused(
                f"{parent.name} is inside {department.name}, so {department.name} cannot be put inside it",
                field="parent",
            )
    department.name = name
    department.parent = parent
    db.session.flush()
    return department


def has_responses(survey_round: Round) -> bool:
    """Whether anyone has started answering the round (submitted or not, online or on paper)."""
    return db.session.scalar(select(exists().where(Response.round_id == survey_round.id))) or False


def update_round(
    survey_round: Round,
    *,
    name: str,
    opens_at: datetime,
    closes_at: datetime | None,
    asks_desired: bool,
    now: datetime | None = None,
) -> Round:
    """Change a round's name, dates and whether it asks for desired positions.

    Once anyone has started answering, the desired question cannot be switched on or off (the
    responses would not be comparable) and the round cannot be moved to open later."""
    name = _clean_name(name, "round")
    now = now or utcnow()
    same_name = db.session.scalar(select(Round).filter_by(organisation_id=survey_round.organisation_id, name=name))
    if same_name is not None and same_name.id != survey_round.id:
        raise Refused(f"{survey_round.organisation.name} already has a round called {name!r}", field="name")
    if closes_at is not None and closes_at <= opens_at:
        raise Refused("the closing date must be after the opening date", field="closes_at")
    started = has_responses(survey_round)
    if asks_desired != survey_round.asks_desired and started:
        raise Refused(
            "people have already started answering this round, so whether it asks where they would like "
            "their team to be can no longer be changed",
            field="asks_desired",
        )
    if started and opens_at != survey_round.opens_at and opens_at > now:
        raise Refused(
            "people have already started answering this round, so it cannot be moved to open later",
            field="opens_at",
        )
    survey_round.name = name
    survey_round.opens_at = opens_at
    survey_round.closes_at = closes_at
    survey_round.asks_desired = asks_desired
    db.session.flush()
    return survey_round


def close_round(survey_round: Round, now: datetime | None = None) -> Round:
    """Close an open round now: no more answers can be sent; those already sent are kept."""
    now = now or utcnow()
    status = survey_round.status(now)
    if status is not RoundStatus.OPEN:
        raise Refused(f"this round is {status.value}, so it cannot be closed now")
    survey_round.closes_at = now
    db.session.flush()
    return survey_round


def link_counts(survey_round: Round) -> dict[int, int]:
    """Per department id: how many invitation links to the round it has (revoked ones left out)."""
    rows = db.session.execute(
        select(InvitationLink.department_id, func.count())
        .where(InvitationLink.round_id == survey_round.id, InvitationLink.revoked_at.is_(None))
        .group_by(InvitationLink.department_id)
    )
    return {department_id: count for department_id, count in rows}


def questionnaire_versions() -> list[QuestionnaireVersion]:
    """The loaded questionnaire versions a new round can pin, each questionnaire's newest first."""
    return list(
        db.session.scalars(
            select(QuestionnaireVersion).order_by(QuestionnaireVersion.key, QuestionnaireVersion.version.desc())
        )
    )
