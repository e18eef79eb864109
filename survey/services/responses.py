"""The respondent's side: starting, saving, resuming and submitting a response.

Every respondent request comes through here, so it works on plain rows rather than ORM objects:
a response is read with its round in one query (``ResponseState``), its answers and comments as
plain values, and each save is one statement per table, all in the session's transaction.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, delete, exists, insert, null, or_, select, text, union_all, update
from sqlalchemy.dialects import postgresql, sqlite

from survey.extensions import connection
from survey.models import (
    Answer,
    Comment,
    Department,
    InvitationLink,
    Kind,
    Organisation,
    QuestionnaireVersion,
    Response,
    Round,
    RoundStatus,
    UTCDateTime,
    parsed_questionnaire,
    round_status,
    utcnow,
)
from survey.questionnaire import Dimension, Questionnaire
from survey.services import ServiceError
from survey.services.scores import record_response_scores
from survey.tokens import hash_token, new_token

MAX_COMMENT = 2000
AnswerKey = tuple[Kind, str]

responses = Response.__table__
rounds = Round.__table__
versions = QuestionnaireVersion.__table__
links = InvitationLink.__table__
answers = Answer.__table__
comments = Comment.__table__


class RoundNotOpen(ServiceError):
    def __init__(self, status: RoundStatus):
        super().__init__(f"this survey is {status.value}")
        self.status = status


class AlreadySubmitted(ServiceError):
    def __init__(self) -> None:
        super().__init__("these answers have already been sent")


class CannotSave(ServiceError):
    def __init__(self) -> None:
        super().__init__("these answers can no longer be changed: they were sent or deleted, or the survey is closed")


def _questionnaire(version_id: int, content_hash: str) -> Questionnaire:
    return parsed_questionnaire(version_id, content_hash, lambda: _connection().execute(
        select(versions.c.content).where(versions.c.id == version_id)).scalar_one())


@dataclass(frozen=True)
class Questions:
    """The questions a round asks: its frozen questionnaire version, and whether it asks for the
    desired position too. Neither changes once a response has started."""

    asks_desired: bool
    version_id: int
    content_hash: str

    @property
    def questionnaire(self) -> Questionnaire:
        return _questionnaire(self.version_id, self.content_hash)

    @property
    def kinds(self) -> tuple[Kind, ...]:
        """The questions asked about each item."""
        return (Kind.CURRENT, Kind.DESIRED) if self.asks_desired else (Kind.CURRENT,)


@dataclass(frozen=True)
class Answering(Questions):
    """What saving a section needs of a response, none of which ever changes: which response it
    is (its id, and the hash of the resume token that proves it) and its questions. The
    respondent's pages keep it in the signed session, so a save reads nothing first: whether the
    response can still change is checked by the save's own UPDATE."""

    id: int
    token_hash: str


@dataclass(frozen=True)
class InRound(Questions):
    """What the respondent's pages need of the round: when it is open, and its questions."""

    round_id: int
    opens_at: datetime
    closes_at: datetime | None

    def status(self) -> RoundStatus:
        return round_status(self.opens_at, self.closes_at)


@dataclass(frozen=True)
class Invitation(InRound):
    """An invitation link that can be used, as its start page shows it."""

    link_id: int
    department_id: int
    department: str
    organisation: str


@dataclass(frozen=True)
class ResponseState(InRound):
    """A response as the respondent's pages need it: where it stands, and its round."""

    id: int
    submitted_at: datetime | None
    token_hash: str

    @property
    def answering(self) -> Answering:
        return Answering(self.asks_desired, self.version_id, self.content_hash, self.id, self.token_hash)


# InRound's fields, in order: every query for an Invitation or a ResponseState starts with them.
_IN_ROUND = (rounds.c.asks_desired, rounds.c.questionnaire_version_id, versions.c.content_hash,
             rounds.c.id, rounds.c.opens_at, rounds.c.closes_at)


def _connection() -> Connection:
    """The request's connection: the session's, so that these statements share its transaction,
    or, for a request whose statements each stand alone, one of its own
    (``survey.extensions.autocommit``)."""
    return connection()


_INVITATION = (
    select(*_IN_ROUND, links.c.id, links.c.department_id, Department.__table__.c.name, Organisation.__table__.c.name)
    .select_from(links)
    .join(rounds, rounds.c.id == links.c.round_id)
    .join(Department.__table__, Department.__table__.c.id == links.c.department_id)
    .join(Organisation.__table__, Organisation.__table__.c.id == rounds.c.organisation_id)
    .join(versions, versions.c.id == rounds.c.questionnaire_version_id)
    .where(links.c.token_hash == bindparam("token_hash"), links.c.revoked_at.is_(None))
)


def find_invitation(token: str) -> Invitation | None:
    """The invitation link with this token, unless there is none or it was revoked."""
    row = _connection().execute(_INVITATION, {"token_hash": hash_token(token)}).one_or_none()
    return Invitation(*row) if row is not None else None


def start(invitation: Invitation) -> tuple[ResponseState, str]:
    """Begin a response through an invitation link; returns it and its resume token."""
    _require_round_open(invitation)
    token = new_token()
    response_id = _connection().execute(
        insert(responses)
        .values(round_id=invitation.round_id, department_id=invitation.department_id, link_id=invitation.link_id,
                resume_token_hash=hash_token(token))
        .returning(responses.c.id)
    ).scalar_one()
    in_round = {field.name: getattr(invitation, field.name) for field in fields(InRound)}
    return ResponseState(**in_round, id=response_id, submitted_at=None, token_hash=hash_token(token)), token


_BY_RESUME_TOKEN = (
    select(*_IN_ROUND, responses.c.id, responses.c.submitted_at, responses.c.resume_token_hash)
    .select_from(responses)
    .join(rounds, rounds.c.id == responses.c.round_id)
    .join(versions, versions.c.id == rounds.c.questionnaire_version_id)
    .where(responses.c.resume_token_hash == bindparam("token_hash"))
)


def find_by_resume_token(token: str) -> ResponseState | None:
    row = _connection().execute(_BY_RESUME_TOKEN, {"token_hash": hash_token(token)}).one_or_none()
    return ResponseState(*row) if row is not None else None


_ANSWERS = select(answers.c.kind, answers.c.item_id, answers.c.value).where(
    answers.c.response_id == bindparam("response_id"))


def answers_of(response: ResponseState) -> dict[AnswerKey, int | None]:
    rows = _connection().execute(_ANSWERS, {"response_id": response.id})
    return {(Kind(kind), item_id): value for kind, item_id, value in rows}


Saved = tuple[dict[AnswerKey, int | None], dict[str, str]]
"""What a respondent has saved: answers by (kind, item id), comments by section."""

_OF_RESPONSE = responses.c.resume_token_hash == bindparam("token_hash")
_NO_STATE = [null()] * len(_BY_RESUME_TOKEN.selected_columns)
# The response, its answers and its comments in one statement (one round trip for the pages
# that show what was saved): its first row is the response, each further row an answer (kind
# set) or a comment (kind NULL), each branch found by the resume token's hash through an index.
_WITH_SAVED = union_all(
    _BY_RESUME_TOKEN.add_columns(null(), null(), null(), null()),
    select(*_NO_STATE, answers.c.kind, answers.c.item_id, answers.c.value, null())
    .join(responses, responses.c.id == answers.c.response_id).where(_OF_RESPONSE),
    select(*_NO_STATE, null(), comments.c.dimension_id, null(), comments.c.text)
    .join(responses, responses.c.id == comments.c.response_id).where(_OF_RESPONSE),
)


def find_with_saved(token: str) -> tuple[ResponseState | None, Saved]:
    """``find_by_resume_token(token)``, with what that response has saved."""
    state: ResponseState | None = None
    given: dict[AnswerKey, int | None] = {}
    comments_given: dict[str, str] = {}
    state_width = len(_NO_STATE)
    for row in _connection().execute(_WITH_SAVED, {"token_hash": hash_token(token)}):
        kind, key, value, text = row[state_width:]
        if key is None:
            state = ResponseState(*row[:state_width])
        elif kind is None:
            comments_given[key] = text
        else:
            given[(Kind(kind), key)] = value
    return state, (given, comments_given)


def save_section(
    answering: Answering,
    dimension: Dimension,
    given: Mapping[AnswerKey, int | None],
    comment: str | None,
) -> None:
    """Store the answers given on one section's page (paradigm orientation, None for don't know).

    Answers left blank keep whatever was stored before; a blank comment removes the old one.
    Nothing is read first: the response row is updated only while the response is unsent, proved
    by its resume token, and its round open, and the answers and the comment are stored only if
    it was (``CannotSave`` otherwise). On PostgreSQL that is one statement (``_SAVE_IN_ONE``),
    atomic on its own; elsewhere one statement per table in the session's transaction. Either
    way the response row is locked first, so a submit racing this save waits for it.
    """
    questionnaire = answering.questionnaire
    own_items = {item.id for item in questionnaire.items_in(dimension.id)}
    for (_, item_id), value in given.items():
        if item_id not in own_items:
            raise ServiceError(f"{item_id} is not a question in {dimension.title}")
        if value is not None and not 1 <= value <= questionnaire.points:
            raise ServiceError(f"answers must be between 1 and {questionnaire.points}")
    connection = _connection()
    save = _save_in_one if connection.dialect.name == "postgresql" else _save_statement_by_statement
    if not save(connection, answering, dimension.id, given, _clean_comment(comment)):
        raise CannotSave()


def _clean_comment(text: str | None) -> str:
    # control characters (a NUL cannot even be stored on PostgreSQL) are dropped, not refused:
    # a browser never sends them, and a respondent should not lose a comment over one
    text = "".join(c for c in text or "" if c in "\t\r\n" or unicodedata.category(c) != "Cc")
    return text.strip()[:MAX_COMMENT]


# PostgreSQL: a whole save in one statement (one round trip, no transaction to open and close).
# Every part sees the response only through ``saving``, the guarded UPDATE, so nothing is stored
# unless it matched (as ``_SAVING``: unsent, proved by its resume token, its round open); the
# answers come as three parallel arrays, so the statement is the same for any number of them.
_SAVE_IN_ONE = text("""
WITH saving AS (
    UPDATE responses SET last_saved_at = :now
    WHERE id = :response_id AND resume_token_hash = :token_hash AND submitted_at IS NULL
      AND EXISTS (SELECT 1 FROM rounds WHERE rounds.id = responses.round_id AND rounds.opens_at <= :now
                  AND (rounds.closes_at IS NULL OR rounds.closes_at > :now))
    RETURNING id
), saved_answers AS (
    INSERT INTO answers (response_id, kind, item_id, value)
    SELECT saving.id, given.kind, given.item_id, given.value
    FROM saving, unnest(CAST(:kinds AS varchar[]), CAST(:item_ids AS varchar[]), CAST(:values AS smallint[]))
         AS given (kind, item_id, value)
    ON CONFLICT (response_id, kind, item_id) DO UPDATE SET value = excluded.value
), saved_comment AS (
    INSERT INTO comments (response_id, dimension_id, text)
    SELECT saving.id, :dimension_id, :comment FROM saving WHERE :comment <> ''
    ON CONFLICT (response_id, dimension_id) DO UPDATE SET text = excluded.text
), removed_comment AS (
    DELETE FROM comments USING saving
    WHERE comments.response_id = saving.id AND comments.dimension_id = :dimension_id AND :comment = ''
)
SELECT count(*) FROM saving
""").bindparams(bindparam("now", type_=UTCDateTime))


def _save_in_one(connection: Connection, answering: Answering, dimension_id: str,
                 given: Mapping[AnswerKey, int | None], comment: str) -> bool:
    return connection.execute(_SAVE_IN_ONE, {
        "now": utcnow(), "response_id": answering.id, "token_hash": answering.token_hash,
        "kinds": [kind.value for kind, _ in given], "item_ids": [item_id for _, item_id in given],
        "values": list(given.values()), "dimension_id": dimension_id, "comment": comment,
    }).scalar_one() == 1


def _save_statement_by_statement(connection: Connection, answering: Answering, dimension_id: str,
                                 given: Mapping[AnswerKey, int | None], comment: str) -> bool:
    has_comments = connection.execute(
        _SAVING, {"response_id_": answering.id, "token_hash": answering.token_hash, "now": utcnow()}
    ).scalar_one_or_none()
    if has_comments is None:
        return False
    statements = _statements(connection.dialect.name)
    if given:
        connection.execute(statements.upsert_answers, [
            {"response_id": answering.id, "kind": kind, "item_id": item_id, "value": value}
            for (kind, item_id), value in given.items()])
    if comment:
        connection.execute(statements.upsert_comment,
                           {"response_id": answering.id, "dimension_id": dimension_id, "text": comment})
    elif has_comments:
        connection.execute(_DELETE_COMMENT, {"response_id_": answering.id, "dimension_id_": dimension_id})
    return True


def _require_open(response: ResponseState) -> None:
    if response.submitted_at is not None:
        raise AlreadySubmitted()
    _require_round_open(response)


def _require_round_open(in_round: InRound) -> None:
    status = in_round.status()
    if status is not RoundStatus.OPEN:
        raise RoundNotOpen(status)


@dataclass(frozen=True)
class _SaveStatements:
    upsert_answers: Any
    upsert_comment: Any


@cache
def _statements(dialect: str) -> _SaveStatements:
    """The inserts that update the row already there (ON CONFLICT), built once per database kind."""
    insert_into = postgresql.insert if dialect == "postgresql" else sqlite.insert
    answer = insert_into(answers)
    comment = insert_into(comments)
    return _SaveStatements(
        upsert_answers=answer.on_conflict_do_update(
            index_elements=["response_id", "kind", "item_id"], set_={"value": answer.excluded.value}),
        upsert_comment=comment.on_conflict_do_update(
            index_elements=["response_id", "dimension_id"], set_={"text": comment.excluded.text}),
    )


_ROUND_IS_OPEN = exists().where(
    rounds.c.id == responses.c.round_id, rounds.c.opens_at <= bindparam("now"),
    or_(rounds.c.closes_at.is_(None), rounds.c.closes_at > bindparam("now")))
# The save's check and its first write: the response is still unsent, proved by its resume
# token, and its round is open (models.round_status); it returns whether the response has any
# comment, so a save without one skips deleting none.
_SAVING = (update(responses)
           .where(responses.c.id == bindparam("response_id_"), responses.c.resume_token_hash == bindparam("token_hash"),
                  responses.c.submitted_at.is_(None), _ROUND_IS_OPEN)
           .values(last_saved_at=bindparam("now"))
           .returning(exists().where(comments.c.response_id == responses.c.id)))
_DELETE_COMMENT = delete(comments).where(comments.c.response_id == bindparam("response_id_"),
                                         comments.c.dimension_id == bindparam("dimension_id_"))


def unanswered(
    response: ResponseState, dimension: Dimension | None = None, given: Mapping[AnswerKey, int | None] | None = None
) -> list[AnswerKey]:
    """The questions still to answer, in page order (of one section, or of the whole survey);
    ``given`` is ``answers_of(response)`` when the caller has it already."""
    questionnaire = response.questionnaire
    given = answers_of(response) if given is None else given
    dimensions = [dimension] if dimension else list(questionnaire.dimensions)
    return [
        (kind, item.id)
        for d in dimensions
        for item in questionnaire.items_in(d.id)
        for kind in response.kinds
        if (kind, item.id) not in given
    ]


def first_section_to_answer(response: ResponseState) -> int | None:
    """The 1-based number of the first section with a question unanswered, or None if all are."""
    given = answers_of(response)
    for number, dimension in enumerate(response.questionnaire.dimensions, start=1):
        if unanswered(response, dimension, given):
            return number
    return None


def submit(response: ResponseState, given: Mapping[AnswerKey, int | None] | None = None) -> bool:
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
    sent = _connection().execute(
        update(responses).where(responses.c.id == response.id, responses.c.submitted_at.is_(None))
        .values(submitted_at=now, last_saved_at=now)
    )
    if sent.rowcount != 1:
        return False
    record_response_scores(response.id, response.questionnaire, given)
    return True


def withdraw(response: ResponseState) -> None:
    """Delete a response and everything in it, at the respondent's request, while the round is open.

    A hard delete: nothing of it is kept (its answers, comments and scores go with it, by the
    foreign keys' ON DELETE CASCADE), so it stops counting at once, submitted or not.
    """
    _require_round_open(response)
    _connection().execute(delete(responses).where(responses.c.id == response.id))
