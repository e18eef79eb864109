"""The respondent's side: starting, saving, resuming and submitting a response."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from survey.extensions import db
from survey.models import Answer, Comment, InvitationLink, Kind, Response, Round, RoundStatus, utcnow
from survey.questionnaire import Dimension, Questionnaire
from survey.services import ServiceError
from survey.services.scores import record_response_scores
from survey.tokens import hash_token, new_token

MAX_COMMENT = 2000
AnswerKey = tuple[Kind, str]


class RoundNotOpen(ServiceError):
    def __init__(self, status: RoundStatus):
        super().__init__(f"this survey is {status.value}")
        self.status = status


class AlreadySubmitted(ServiceError):
    def __init__(self) -> None:
        super().__init__("these answers have already been sent")


def _require_open(response_or_link: Response | InvitationLink) -> None:
    status = response_or_link.round.status()
    if status is not RoundStatus.OPEN:
        raise RoundNotOpen(status)


def start(link: InvitationLink) -> tuple[Response, str]:
    """Begin a response through an invitation link; returns it and its resume token."""
    _require_open(link)
    token = new_token()
    response = Response(
        round=link.round, department=link.department, link_id=link.id, resume_token_hash=hash_token(token)
    )
    db.session.add(response)
    db.session.flush()
    return response, token


def find_by_resume_token(token: str) -> Response | None:
    """The response with its round and questionnaire version, in one query (every respondent
    request starts here). Its answers and comments are read with ``answers_of`` and
    ``comments_of``: plain rows, cheaper than ORM objects on the busiest path."""
    return db.session.scalar(
        select(Response)
        .filter_by(resume_token_hash=hash_token(token))
        .options(joinedload(Response.round).joinedload(Round.questionnaire_version))
    )


def answers_of(response: Response) -> dict[AnswerKey, int | None]:
    rows = db.session.execute(
        select(Answer.kind, Answer.item_id, Answer.value).where(Answer.response_id == response.id)
    )
    return {(kind, item_id): value for kind, item_id, value in rows}


def comments_of(response: Response) -> dict[str, str]:
    rows = db.session.execute(
        select(Comment.dimension_id, Comment.text).where(Comment.response_id == response.id)
    )
    return {dimension_id: text for dimension_id, text in rows}


def save_section(
    response: Response,
    dimension: Dimension,
    answers: Mapping[AnswerKey, int | None],
    comment: str | None,
) -> None:
    """Store the answers given on one section's page (paradigm orientation, None for don't know).

    Answers left blank keep whatever was stored before; a blank comment removes the old one.
    Each is one statement (an insert that updates the row already there), whatever was saved.
    """
    if response.submitted_at is not None:
        raise AlreadySubmitted()
    _require_open(response)
    questionnaire = response.round.questionnaire
    own_items = {item.id for item in questionnaire.items_in(dimension.id)}
    rows = []
    for (kind, item_id), value in answers.items():
        if item_id not in own_items:
            raise ServiceError(f"{item_id} is not a question in {dimension.title}")
        if value is not None and not 1 <= value <= questionnaire.points:
            raise ServiceError(f"answers must be between 1 and {questionnaire.points}")
        rows.append({"response_id": response.id, "kind": kind, "item_id": item_id, "value": value})
    if rows:
        statement = _insert(Answer).values(rows)
        db.session.execute(statement.on_conflict_do_update(
            index_elements=["response_id", "kind", "item_id"], set_={"value": statement.excluded.value}))
    _save_comment(response, dimension.id, comment)
    response.last_saved_at = utcnow()
    db.session.flush()


def _insert(model: type[Answer] | type[Comment]):  # type: ignore[no-untyped-def]
    """An INSERT that can update the row already there (ON CONFLICT), on either database."""
    if db.session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def _save_comment(response: Response, dimension_id: str, text: str | None) -> None:
    # control characters (a NUL cannot even be stored on PostgreSQL) are dropped, not refused:
    # a browser never sends them, and a respondent should not lose a comment over one
    text = "".join(c for c in text or "" if c in "\t\r\n" or unicodedata.category(c) != "Cc")
    text = text.strip()[:MAX_COMMENT]
    if not text:
        db.session.execute(delete(Comment).where(Comment.response_id == response.id,
                                                 Comment.dimension_id == dimension_id))
        return
    statement = _insert(Comment).values(response_id=response.id, dimension_id=dimension_id, text=text)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["response_id", "dimension_id"], set_={"text": statement.excluded.text}))


def kinds_asked(response: Response) -> tuple[Kind, ...]:
    return (Kind.CURRENT, Kind.DESIRED) if response.round.asks_desired else (Kind.CURRENT,)


def unanswered(
    response: Response, dimension: Dimension | None = None, given: Mapping[AnswerKey, int | None] | None = None
) -> list[AnswerKey]:
    """The questions still to answer, in page order (of one section, or of the whole survey);
    ``given`` is ``answers_of(response)`` when the caller has it already."""
    questionnaire: Questionnaire = response.round.questionnaire
    given = answers_of(response) if given is None else given
    dimensions = [dimension] if dimension else list(questionnaire.dimensions)
    return [
        (kind, item.id)
        for d in dimensions
        for item in questionnaire.items_in(d.id)
        for kind in kinds_asked(response)
        if (kind, item.id) not in given
    ]


def first_section_to_answer(response: Response) -> int | None:
    """The 1-based number of the first section with a question unanswered, or None if all are."""
    questionnaire = response.round.questionnaire
    given = answers_of(response)
    for number, dimension in enumerate(questionnaire.dimensions, start=1):
        if unanswered(response, dimension, given):
            return number
    return None


def submit(response: Response, given: Mapping[AnswerKey, int | None] | None = None) -> bool:
    """Send the answers (``given``: ``answers_of(response)``, when the caller has read them).
    Returns False when they had already been sent (a double submit)."""
    if response.submitted_at is not None:
        return False
    _require_open(response)
    given = answers_of(response) if given is None else given
    if unanswered(response, given=given):
        raise ServiceError("some questions have not been answered yet")
    now = utcnow()
    # A conditional update, so two submits racing each other count once.
    result = db.session.execute(
        update(Response)
        .where(Response.id == response.id, Response.submitted_at.is_(None))
        .values(submitted_at=now, last_saved_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(response)
        return False
    set_committed_value(response, "submitted_at", now)
    set_committed_value(response, "last_saved_at", now)
    record_response_scores(response.id, response.round.questionnaire, given)
    return True


def withdraw(response: Response) -> None:
    """Delete a response and everything in it, at the respondent's request, while the round is open.

    A hard delete: nothing of it is kept, so it stops counting at once, submitted or not.
    """
    _require_open(response)
    db.session.delete(response)
    db.session.flush()
