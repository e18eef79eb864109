"""The report cache: built PDFs in the database, keyed on everything a report depends on.

The key hashes the answers of every round the report reads (this one and the earlier rounds it
compares with: counts, the latest save and submission, a checksum of the answers), the
organisation's departments (names and tree, which decide groups and suppression), the rounds
and their questionnaire versions, the consultant's commentary, the branding, the minimum group
size, and the rendering code itself (``TEMPLATE_VERSION`` plus a hash of the templates, the
stylesheet and the report modules). An unchanged report is one lookup away; a change to any of
these gives a new key, so a stale report is never served. The table is shared by every app
process and batch worker; older entries for the same report are dropped when a new one is stored.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, cast, delete, func, select
from sqlalchemy.exc import IntegrityError

from reports.sources import commentary, comparable_rounds
from survey.extensions import db
from survey.models import Answer, Organisation, ReportCache, Response, Round, utcnow

TEMPLATE_VERSION = 1
HERE = Path(__file__).resolve().parent
RENDERING_FILES = (
    *sorted((HERE / "templates").glob("*.html")),
    HERE / "static" / "report.css",
    *sorted(HERE.glob("*.py")),
    HERE.parent / "survey" / "charts.py",
)


@lru_cache(maxsize=1)
def rendering_fingerprint() -> str:
    """``TEMPLATE_VERSION`` and a hash of every file that shapes a report's look."""
    digest = hashlib.sha256(f"template-version:{TEMPLATE_VERSION}".encode())
    for path in RENDERING_FILES:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def subject(department_id: int | None) -> str:
    """Which report of a round: a team's (``team:ID``) or the organisation's."""
    return "organisation" if department_id is None else f"team:{department_id}"


def cache_key(survey_round: Round, department_id: int | None, min_size: int) -> str:
    document = inputs(survey_round, department_id, min_size)
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def inputs(survey_round: Round, department_id: int | None, min_size: int) -> dict[str, Any]:
    """Everything the report of ``department_id`` (None: the organisation) in a round depends on."""
    rounds = comparable_rounds(survey_round)
    organisation = survey_round.organisation
    note = commentary(survey_round.id, department_id)
    return {
        "rendering": rendering_fingerprint(),
        "report": [survey_round.id, subject(department_id)],
        "min_size": min_size,
        "organisation": [organisation.id, organisation.name, organisation.brand_colour, organisation.logo_type,
                         _logo_hash(organisation.id)],
        "departments": sorted((d.id, d.name, d.parent_id) for d in organisation.departments),
        "rounds": [(r.id, r.name, r.asks_desired, r.questionnaire_version.content_hash, r.opens_at, r.closes_at,
                    r.answers_deleted_at) for r in rounds],
        "answers": answers_fingerprint([r.id for r in rounds]),
        "commentary": [note.text, note.updated_at] if note else None,
    }


def answers_fingerprint(round_ids: list[int]) -> list[list[Any]]:
    """Per round, aggregates that change whenever a response or a submitted answer does."""
    responses = db.session.execute(
        select(Response.round_id, func.count(), func.count(Response.submitted_at), func.max(Response.last_saved_at),
               func.max(Response.submitted_at), func.sum(cast(Response.id, BigInteger) * Response.department_id))
        .where(Response.round_id.in_(round_ids))
        .group_by(Response.round_id)
    ).all()
    answers = db.session.execute(
        select(Response.round_id, Answer.kind, func.count(), func.max(Answer.id),
               func.sum(cast(Answer.id, BigInteger) * (func.coalesce(Answer.value, 0) + 1)))
        .join(Response, Response.id == Answer.response_id)
        .where(Response.round_id.in_(round_ids), Response.submitted_at.is_not(None))
        .group_by(Response.round_id, Answer.kind)
    ).all()
    return sorted([["responses", *row] for row in responses] + [["answers", *row] for row in answers], key=str)


def _logo_hash(organisation_id: int) -> str | None:
    logo = db.session.scalar(select(Organisation.logo).where(Organisation.id == organisation_id))
    return hashlib.sha256(logo).hexdigest() if logo else None


def get(key: str) -> bytes | None:
    return db.session.scalar(select(ReportCache.pdf).where(ReportCache.key == key))


def put(key: str, round_id: int, department_id: int | None, pdf: bytes) -> None:
    """Store a built report (flushed; the caller commits) and drop older ones for the same report.
    Another process storing the same key at the same moment is harmless: the bytes are the same."""
    which = subject(department_id)
    db.session.execute(delete(ReportCache).where(
        ReportCache.round_id == round_id, ReportCache.subject == which, ReportCache.key != key))
    try:
        with db.session.begin_nested():
            db.session.add(ReportCache(key=key, round_id=round_id, subject=which, pdf=pdf, created_at=utcnow()))
    except IntegrityError:
        pass


def clear(round_id: int | None = None) -> int:
    """Drop cached reports (of one round, or all); returns how many."""
    statement = delete(ReportCache)
    if round_id is not None:
        statement = statement.where(ReportCache.round_id == round_id)
    return db.session.execute(statement).rowcount or 0

