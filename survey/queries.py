"""The query layer: every read that feeds figures goes through here, as SQL.

The database does the heavy lifting (one ``GROUP BY`` turns answers into each respondent's
dimension means); what comes back is plain data for ``survey.scoring``. Nothing here loads
answers as ORM objects.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Float, case, cast, func, select

from survey.extensions import db
from survey.models import Answer, Comment, Kind, Response
from survey.questionnaire import Questionnaire
from survey.scoring import minimum_answered


@dataclass
class RespondentScores:
    """One submitted respondent's dimension scores (rule 2 applied), current and desired."""

    response_id: int
    department_id: int
    current: dict[str, float | None] = field(default_factory=dict)
    desired: dict[str, float | None] = field(default_factory=dict)


def respondent_scores(round_ids: list[int], questionnaire: Questionnaire) -> dict[int, list[RespondentScores]]:
    """Every submitted respondent of the given rounds, by round id, with their dimension scores."""
    by_response: dict[int, RespondentScores] = {}
    by_round: dict[int, list[RespondentScores]] = defaultdict(list)
    for response_id, round_id, department_id in db.session.execute(
        select(Response.id, Response.round_id, Response.department_id)
        .where(Response.round_id.in_(round_ids), Response.submitted_at.is_not(None))
        .order_by(Response.id)
    ):
        scores = RespondentScores(response_id, department_id)
        scores.current = dict.fromkeys(d.id for d in questionnaire.dimensions)
        scores.desired = dict.fromkeys(d.id for d in questionnaire.dimensions)
        by_response[response_id] = scores
        by_round[round_id].append(scores)

    needed = {d.id: minimum_answered(len(questionnaire.items_in(d.id))) for d in questionnaire.dimensions}
    for response_id, kind, dimension_id, mean, answered in db.session.execute(_dimension_means(round_ids, questionnaire)):
        respondent = by_response.get(response_id)
        if respondent is None or dimension_id is None:
            continue
        value = float(mean) if mean is not None and answered >= needed[dimension_id] else None
        (respondent.current if kind == Kind.CURRENT else respondent.desired)[dimension_id] = value
    return by_round


def _dimension_means(round_ids: list[int], questionnaire: Questionnaire):  # type: ignore[no-untyped-def]
    """Per respondent, question kind and dimension: the mean item score and how many were answered."""
    dimension = case({item.id: item.dimension for item in questionnaire.items}, value=Answer.item_id)
    item_score = (cast(Answer.value, Float) - 1.0) * (100.0 / (questionnaire.points - 1))
    return (
        select(Answer.response_id, Answer.kind, dimension, func.avg(item_score), func.count(Answer.value))
        .join(Response, Response.id == Answer.response_id)
        .where(Response.round_id.in_(round_ids), Response.submitted_at.is_not(None))
        .group_by(Answer.response_id, Answer.kind, dimension)
    )


def response_counts(round_id: int) -> dict[int, tuple[int, int]]:
    """Per department: (responses started, responses submitted)."""
    rows = db.session.execute(
        select(Response.department_id, func.count(), func.count(Response.submitted_at))
        .where(Response.round_id == round_id)
        .group_by(Response.department_id)
    )
    return {department_id: (started, submitted) for department_id, started, submitted in rows}


def item_answers(round_id: int, department_ids: list[int], kind: Kind = Kind.CURRENT) -> list[dict[str, int | None]]:
    """Each submitted respondent's raw answers (for reliability and distributions), as plain dicts."""
    answers: dict[int, dict[str, int | None]] = defaultdict(dict)
    for response_id, item_id, value in db.session.execute(
        select(Answer.response_id, Answer.item_id, Answer.value)
        .join(Response, Response.id == Answer.response_id)
        .where(
            Response.round_id == round_id,
            Response.department_id.in_(department_ids),
            Response.submitted_at.is_not(None),
            Answer.kind == kind,
        )
    ):
        answers[response_id][item_id] = value
    return list(answers.values())


def comments(round_id: int, department_ids: list[int]) -> list[tuple[str, str]]:
    """The submitted respondents' comments, as (dimension id, text).

    Ordered by dimension and then text, never by respondent, so that a reader cannot tell which
    comments one person wrote. The caller decides whether the group may see them at all.
    """
    rows = db.session.execute(
        select(Comment.dimension_id, Comment.text)
        .join(Response, Response.id == Comment.response_id)
        .where(
            Response.round_id == round_id,
            Response.department_id.in_(department_ids),
            Response.submitted_at.is_not(None),
        )
        .order_by(Comment.dimension_id, Comment.text)
    )
    return [(dimension_id, text) for dimension_id, text in rows]


def raw_answers(round_id: int) -> list[tuple[int, int, Kind, str, int | None]]:
    """Every answer of the round's submitted responses: (response id, department id, kind, item
    id, value). For the raw export, which must turn response ids into labels of its own."""
    rows = db.session.execute(
        select(Answer.response_id, Response.department_id, Answer.kind, Answer.item_id, Answer.value)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.round_id == round_id, Response.submitted_at.is_not(None))
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]
