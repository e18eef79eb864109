"""The audit log: who signed in, exported results or downloaded reports, when, and from where.

``record`` adds one ``AuditEvent`` to the current transaction and flushes; the view or command
that records commits it, as it commits its other work. A request refused with 404 or 403 never
reaches ``record``. Descriptions name rounds, departments and organisations in plain English and
carry nothing else: never respondents' answers or comments, passwords or tokens.

The actions, a fixed set:

===================  ============================================================================
``signed-in``        an account signed in to the workspace
``sign-in-failed``   a wrong email address or password; the email typed is kept, with no account
``signed-out``       an account signed out
``export-csv``       a round's results downloaded as CSV
``export-xlsx``      a round's results downloaded as an Excel spreadsheet
``export-raw``       a round's raw answers downloaded as CSV (needs ``can_export_raw``)
``report-pdf``       a team report or the organisation report downloaded as a PDF
``report-zip``       every report of a round downloaded as one ZIP (in the request or from a job)
``command-export``   ``flask export`` wrote a round's results to a file (no account)
``command-report``   ``flask report pdf`` or ``report batch`` wrote reports to files (no account)
===================  ============================================================================
"""

from __future__ import annotations

from flask import has_request_context, request
from sqlalchemy import Select, and_, func, or_, select

from survey.extensions import db
from survey.models import AuditEvent, Department, Organisation, Round, User, user_organisations, utcnow

SIGNED_IN = "signed-in"
SIGN_IN_FAILED = "sign-in-failed"
SIGNED_OUT = "signed-out"
EXPORT_CSV = "export-csv"
EXPORT_XLSX = "export-xlsx"
EXPORT_RAW = "export-raw"
REPORT_PDF = "report-pdf"
REPORT_ZIP = "report-zip"
COMMAND_EXPORT = "command-export"
COMMAND_REPORT = "command-report"
ACTIONS = frozenset({SIGNED_IN, SIGN_IN_FAILED, SIGNED_OUT, EXPORT_CSV, EXPORT_XLSX, EXPORT_RAW, REPORT_PDF,
                     REPORT_ZIP, COMMAND_EXPORT, COMMAND_REPORT})
SESSION_ACTIONS = (SIGNED_IN, SIGNED_OUT)
FROM_THE_COMMAND_LINE = "from the command line"


def record(action: str, description: str, *, organisation_id: int | None = None, user: User | None = None,
           email: str | None = None) -> AuditEvent:
    """Add an event to the current transaction. ``user`` is the account that acted (None on the
    command line); ``email`` is kept when there is no account, as typed at a failed sign-in."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    email = user.email if user is not None else email
    if email:  # as typed at a failed sign-in: a NUL cannot be stored (PostgreSQL refuses it)
        email = email.replace("\x00", "")
    address = request.remote_addr if has_request_context() else None
    event = AuditEvent(
        occurred_at=utcnow(), action=action, description=description[:500], organisation_id=organisation_id,
        user_id=user.id if user is not None else None, user_email=email[:254] if email else None,
        remote_addr=address[:45] if address else None,
    )
    db.session.add(event)
    db.session.flush()
    return event


def report_name(survey_round: Round, department: Department | None) -> str:
    """"the team report for Housing Options, Spring 2026", or the organisation report's name."""
    if department is not None:
        return f"the team report for {department.name}, {survey_round.name}"
    return f"the organisation report for {survey_round.organisation.name}, {survey_round.name}"


# The audit page --------------------------------------------------------------------------------


def _organisation_events(organisation: Organisation) -> Select[tuple[AuditEvent]]:
    """The organisation's own events, and the sign-ins and sign-outs of the accounts assigned to
    it, with failed sign-ins that typed one of those accounts' email addresses."""
    members = select(user_organisations.c.user_id).where(user_organisations.c.organisation_id == organisation.id)
    member_emails = select(func.lower(User.email)).where(User.id.in_(members))
    return select(AuditEvent).where(or_(
        AuditEvent.organisation_id == organisation.id,
        and_(AuditEvent.action.in_(SESSION_ACTIONS), AuditEvent.user_id.in_(members)),
        and_(AuditEvent.action == SIGN_IN_FAILED, func.lower(AuditEvent.user_email).in_(member_emails)),
    ))


def organisation_events(organisation: Organisation, page: int, per_page: int) -> tuple[list[AuditEvent], int]:
    """One page of the organisation's audit log, newest first, and how many events it has."""
    query = _organisation_events(organisation)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    events = db.session.scalars(
        query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(events), total
