"""Each submitted respondent's dimension scores, stored once when the answers are sent.

Every path that makes a response count (the online submit, a paper import, the demo and the
benchmarks' seeding) calls ``record_scores`` in the same transaction, so a submitted response
always has its scores. Results read these rows rather than every answer (``survey.queries``),
and they stay when the retention rule deletes the answers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, insert, select

from survey.extensions import db
from survey.models import Answer, Kind, QuestionnaireVersion, RespondentScore, Response, Round
from survey.questionnaire import Questionnaire
from survey.scoring import respondent_dimension_scores

BATCH = 5_000


def record_scores(response_ids: Sequence[int]) -> None:
    """Work out (DESIGN.md section 3, rule 2, on the round's own questionnaire version) and store
    the dimension scores of these submitted responses, replacing any stored before."""
    for start in range(0, len(response_ids), BATCH):
        _record_batch(list(response_ids[start:start + BATCH]))


def _record_batch(response_ids: list[int]) -> None:
    versions: dict[int, int] = dict(db.session.execute(  # type: ignore[arg-type]
        select(Response.id, Round.questionnaire_version_id)
        .join(Round, Round.id == Response.round_id)
        .where(Response.id.in_(response_ids), Response.submitted_at.is_not(None))
    ).all())
    used = select(QuestionnaireVersion).where(QuestionnaireVersion.id.in_(set(versions.values())))
    questionnaires = {version.id: version.questionnaire for version in db.session.scalars(used)}
    answers: dict[tuple[int, Kind], dict[str, int | None]] = defaultdict(dict)
    for response_id, kind, item_id, value in db.session.execute(
        select(Answer.response_id, Answer.kind, Answer.item_id, Answer.value)
        .where(Answer.response_id.in_(list(versions)))
    ):
        answers[(response_id, kind)][item_id] = value

    rows = []
    for (response_id, kind), given in answers.items():
        rows += _score_rows(response_id, kind, questionnaires[versions[response_id]], given)
    db.session.execute(delete(RespondentScore).where(RespondentScore.response_id.in_(response_ids)))
    if rows:
        db.session.execute(insert(RespondentScore), rows)


def record_response_scores(
    response_id: int, questionnaire: Questionnaire, answers: Mapping[tuple[Kind, str], int | None]
) -> None:
    """``record_scores`` for one response just submitted, whose answers the caller has read:
    no reading back, nothing to replace."""
    by_kind: dict[Kind, dict[str, int | None]] = defaultdict(dict)
    for (kind, item_id), value in answers.items():
        by_kind[kind][item_id] = value
    rows = [row for kind, given in by_kind.items() for row in _score_rows(response_id, kind, questionnaire, given)]
    if rows:
        db.session.connection().execute(insert(RespondentScore.__table__), rows)


def _score_rows(
    response_id: int, kind: Kind, questionnaire: Questionnaire, answers: Mapping[str, int | None]
) -> list[dict[str, Any]]:
    scores = respondent_dimension_scores(questionnaire, answers)
    return [{"response_id": response_id, "kind": kind, "dimension_id": dimension, "score": score}
            for dimension, score in scores.items() if score is not None]
