"""The query layer: every read that feeds figures goes through here, as SQL.

The database does the heavy lifting (one ``GROUP BY`` turns answers into each respondent's
dimension means); what comes back is plain data for ``survey.scoring``. Nothing here loads
answers as ORM objects.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Integer, String, case, column, func, select, values

from survey.extensions import db
from survey.models import Answer, Comment, Kind, RespondentScore, Response
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
    """Every submitted respondent of the given rounds, by round id, with the dimension scores
    stored when they submitted (``survey.services.scores``), for the questionnaire's dimensions.

    The database turns the score rows into one row per respondent and kind (a respondent with no
    scores at all still counts, through the outer join), so a ninth as many rows reach Python.
    """
    dimensions = [d.id for d in questionnaire.dimensions]
    blank = dict.fromkeys(dimensions)
    desired = case((RespondentScore.kind == Kind.DESIRED, 1), else_=0)
    query = (
        select(Response.id, Response.round_id, Response.department_id, desired,
               *(func.max(RespondentScore.score).filter(RespondentScore.dimension_id == d) for d in dimensions))
        .outerjoin(RespondentScore, RespondentScore.response_id == Response.id)
        .where(Response.round_id.in_(round_ids), Response.submitted_at.is_not(None))
        .group_by(Response.id, Response.round_id, Response.department_id, RespondentScore.kind)
        .order_by(Response.id)
    )
    by_round: dict[int, list[RespondentScores]] = defaultdict(list)
    respondent = None
    for response_id, round_id, department_id, is_desired, *scores in db.session.connection().execute(query).all():
        if respondent is None or respondent.response_id != response_id:
            respondent = RespondentScores(response_id, department_id, blank.copy())
            by_round[round_id].append(respondent)
        if is_desired:
            respondent.desired = dict(zip(dimensions, scores, strict=True))
        else:
            respondent.current = dict(zip(dimensions, scores, strict=True))
    return by_round


def _submitted_respondents(
    round_ids: list[int], questionnaire: Questionnaire
) -> tuple[dict[int, RespondentScores], dict[int, list[RespondentScores]]]:
    """The submitted respondents of the rounds with no scores yet: by response id, and by round."""
    blank = dict.fromkeys(d.id for d in questionnaire.dimensions)
    by_response: dict[int, RespondentScores] = {}
    by_round: dict[int, list[RespondentScores]] = defaultdict(list)
    for response_id, round_id, department_id in db.session.execute(
        select(Response.id, Response.round_id, Response.department_id)
        .where(Response.round_id.in_(round_ids), Response.submitted_at.is_not(None))
        .order_by(Response.id)
    ):
        scores = RespondentScores(response_id, department_id, blank.copy())  # desired: filled in when asked
        by_response[response_id] = scores
        by_round[round_id].append(scores)
    return by_response, by_round


def respondent_scores_from_answers(
    round_ids: list[int], questionnaire: Questionnaire
) -> dict[int, list[RespondentScores]]:
    """As ``respondent_scores``, but worked out from the answers on ``questionnaire``'s items:
    for rounds on different versions, compared on the items they share (DESIGN.md section 2)."""
    by_response, by_round = _submitted_respondents(round_ids, questionnaire)
    dimensions = [d.id for d in questionnaire.dimensions]
    blank = dict.fromkeys(dimensions)
    needed = [minimum_answered(len(questionnaire.items_in(d))) for d in dimensions]
    steps = questionnaire.points - 1
    for response_id, desired, *sums in db.session.execute(_dimension_sums(round_ids, questionnaire)):
        respondent = by_response.get(response_id)
        if respondent is None:
            continue
        if desired and not respondent.desired:
            respondent.desired = blank.copy()
        scores = respondent.desired if desired else respondent.current
        for dimension_id, total, answered, enough in zip(dimensions, sums[::2], sums[1::2], needed, strict=True):
            if answered and answered >= enough:
                # rule 2: the mean of the item scores 100 * (a - 1) / (k - 1) is that of the mean answer
                scores[dimension_id] = 100 * (total / answered - 1) / steps
    return by_round


def _dimension_sums(round_ids: list[int], questionnaire: Questionnaire):  # type: ignore[no-untyped-def]
    """One row per respondent and question kind: whether it is the desired kind, then for each
    dimension in order the sum of the answers and how many of its items were answered.

    One row per (response, kind) rather than per dimension, so a tenth as many rows reach
    Python; integer sums, so nothing is rounded before Python divides.
    """
    answers = _answers_with_dimension(round_ids, questionnaire)
    columns = []
    for position in range(len(questionnaire.dimensions)):
        inside = answers.c.dimension == position
        columns += [func.sum(answers.c.value).filter(inside), func.count(answers.c.value).filter(inside)]
    return (
        select(answers.c.response_id, case((answers.c.kind == Kind.DESIRED, 1), else_=0), *columns)
        .group_by(answers.c.response_id, answers.c.kind)
    )


def _answers_with_dimension(round_ids: list[int], questionnaire: Questionnaire):  # type: ignore[no-untyped-def]
    """The submitted answers of the rounds, each with its dimension's position in the questionnaire
    (NULL for an item the questionnaire does not have).

    The lookup is most of the query's cost beyond a plain GROUP BY, so each database gets the
    form it runs fastest: PostgreSQL hashes item ids against a VALUES list; SQLite, which would
    scan such a list for every answer, takes a binary search written as nested CASEs, evaluated
    once per answer behind an ``OFFSET 0`` (SQLite never merges a subquery with an offset into
    the query around it, which would repeat the search in every aggregate).
    """
    positions = {d.id: index for index, d in enumerate(questionnaire.dimensions)}
    items = sorted((item.id, positions[item.dimension]) for item in questionnaire.items)
    submitted = (Response.round_id.in_(round_ids), Response.submitted_at.is_not(None))
    if db.session.get_bind().dialect.name == "postgresql":
        lookup = values(column("item_id", String), column("position", Integer), name="item_dimensions").data(items)
        return (
            select(Answer.response_id, Answer.kind, Answer.value, lookup.c.position.label("dimension"))
            .join(Response, Response.id == Answer.response_id)
            .join(lookup, lookup.c.item_id == Answer.item_id)
            .where(*submitted)
            .subquery()
        )
    return (
        select(Answer.response_id, Answer.kind, Answer.value, _binary_search(items).label("dimension"))
        .join(Response, Response.id == Answer.response_id)
        .where(*submitted)
        .offset(0)
        .subquery()
    )


def _binary_search(items: list[tuple[str, int]]):  # type: ignore[no-untyped-def]
    """A CASE giving the position paired with ``Answer.item_id`` in ``items`` (sorted by id):
    about log2(len) comparisons per answer instead of a linear CASE's len / 2."""
    if len(items) == 1:
        item_id, position = items[0]
        return case((Answer.item_id == item_id, position))
    middle = len(items) // 2
    return case((Answer.item_id < items[middle][0], _binary_search(items[:middle])),
                else_=_binary_search(items[middle:]))


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
