"""The respondent's side: starting, saving, resuming and submitting a response."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, selectinload

from survey.extensions import db
from survey.models import Answer, Comment, InvitationLink, Kind, Response, Round, RoundStatus, utcnow
from survey.questionnaire import Dimension, Questionnaire
from survey.services import ServiceError
from survey.services.scores import record_scores
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
    """The response with everything a respondent's page reads, in one query plus one each for
    its answers and comments (every respondent request starts here)."""
    return db.session.scalar(
        select(Response)
        .filter_by(resume_token_hash=hash_token(token))
        .options(joinedload(Response.round).joinedload(Round.questionnaire_version),
                 selectinload(Response.answers), selectinload(Response.comments))
    )


def answers_of(response: Response) -> dict[AnswerKey, int | None]:
    return {(answer.kind, answer.item_id): answer.value for answer in response.answers}


def comments_of(response: Response) -> dict[str, str]:
    return {comment.dimension_id: comment.text for comment in response.comments}


def save_section(
    response: Response,
    dimension: Dimension,
    answers: Mapping[AnswerKey, int | None],
    comment: str | None,
) -> None:
    """Store the answers given on one section's page (paradigm orientation, None for don't know).

    Answers left blank keep whatever was stored before; a blank comment removes the old one.
    """
    if response.submitted_at is not None:
        raise AlreadySubmitted()
    _require_open(response)
    questionnaire = response.round.questionnaire
    own_items = {item.id for item in questionnaire.items_in(dimension.id)}
    stored = {(answer.kind, answer.item_id): answer for answer in response.answers}
    for (kind, item_id), value in answers.items():
        if item_id not in own_items:
            raise ServiceError(f"{item_id} is not a question in {dimension.title}")
        if value is not None and not 1 <= value <= questionnaire.points:
            raise ServiceError(f"answers must be between 1 and {questionnaire.points}")
        if (kind, item_id) in stored:
            stored[(kind, item_id)].value = value
        else:
            response.answers.append(Answer(kind=kind, item_id=item_id, value=value))
    _save_comment(response, dimension.id, comment)
    response.last_saved_at = utcnow()
    db.session.flush()


def _save_comment(response: Response, dimension_id: str, text: str | None) -> None:
    # control characters (a NUL cannot even be stored on PostgreSQL) are dropped, not refused:
    # a browser never sends them, and a respondent should not lose a comment over one
    text = "".join(c for c in text or "" if c in "\t\r\n" or unicodedata.category(c) != "Cc")
    text = text.strip()[:MAX_COMMENT]
    existing = next((c for c in response.comments if c.dimension_id == dimension_id), None)
    if existing is not None and not text:
        response.comments.remove(existing)
    elif existing is not None:
        existing.text = text
    elif text:
        response.comments.append(Comment(dimension_id=dimension_id, text=text))


def kinds_asked(response: Response) -> tuple[Kind, ...]:
    return (Kind.CURRENT, Kind.DESIRED) if response.round.asks_desired else (Kind.CURRENT,)


def unanswered(response: Response, dimension: Dimension | None = None) -> list[AnswerKey]:
    """The questions still to answer, in page order (of one section, or of the whole survey)."""
    questionnaire: Questionnaire = response.round.questionnaire
    given = answers_of(response)
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
    for number, dimension in enumerate(questionnaire.dimensions, start=1):
        if unanswered(response, dimension):
            return number
    return None


def submit(response: Response) -> bool:
    """Send the answers. Returns False when they had already been sent (a double submit)."""
    if response.submitted_at is not None:
        return False
    _require_open(response)
    if unanswered(response):
        raise ServiceError("some questions have not been answered yet")
    now = utcnow()
    # A conditional update, so two submits racing each other count once.
    result = db.session.execute(
        update(Response)
        .where(Response.id == response.id, Response.submitted_at.is_(None))
        .values(submitted_at=now, last_saved_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(response)
    if result.rowcount != 1:
        return False
    record_scores([response.id])
    return True


def withdraw(response: Response) -> None:
    """Delete a response and everything in it, at the respondent's request, while the round is open.

    A hard delete: nothing of it is kept, so it stops counting at once, submitted or not.
    """
    _require_open(response)
    db.session.delete(response)
    db.session.flush()
