"""Stored respondent scores (``survey.services.scores``): every path that makes a response count
stores its dimension scores, and results read from them equal results worked out from the answers."""

from __future__ import annotations

import math

from flask_migrate import downgrade, upgrade
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from survey import create_app, queries
from survey.extensions import close_pools, db
from survey.models import Kind, RespondentScore, Response
from survey.scoring import respondent_dimension_scores
from survey.services import paper_import, responses
from survey.tokens import hash_token, new_token
from tests.factories import DepartmentFactory, LinkFactory, ResponseFactory, RoundFactory, shipped

QUESTIONNAIRE = shipped()
ITEMS = [item.id for item in QUESTIONNAIRE.items]


def stored(response_id: int) -> dict[tuple[Kind, str], float]:
    rows = db.session.execute(
        select(RespondentScore.kind, RespondentScore.dimension_id, RespondentScore.score)
        .where(RespondentScore.response_id == response_id)
    )
    return {(kind, dimension): score for kind, dimension, score in rows}


def expected(answers: dict[str, int | None], kind: Kind = Kind.CURRENT) -> dict[tuple[Kind, str], float]:
    scores = respondent_dimension_scores(QUESTIONNAIRE, answers)
    return {(kind, dimension): score for dimension, score in scores.items() if score is not None}


def test_an_online_submit_stores_the_scores(app_context):  # type: ignore[no-untyped-def]
    link = LinkFactory()
    response, _ = responses.start(responses.find_invitation(link.token))
    answers = {item: (n % 7) + 1 if n % 9 else None for n, item in enumerate(ITEMS)}
    for dimension in QUESTIONNAIRE.dimensions:
        responses.save_section(response.answering, dimension, {(Kind.CURRENT, i.id): answers[i.id]
                                                     for i in QUESTIONNAIRE.items_in(dimension.id)}, None)
    assert stored(response.id) == {}  # nothing counts before it is sent
    assert responses.submit(response)
    assert stored(response.id) == expected(answers)
    assert not responses.submit(response)  # a double submit stores nothing twice
    assert stored(response.id) == expected(answers)


def test_a_paper_import_stores_the_scores(app_context):  # type: ignore[no-untyped-def]
    survey_round = RoundFactory()
    DepartmentFactory(organisation=survey_round.organisation, name="Housing")
    lines = ["department,respondent,item,current"] + [f"Housing,p1,{item},{n % 7 + 1}" for n, item in enumerate(ITEMS)]
    assert paper_import.import_csv(survey_round, "\n".join(lines).encode(), "paper.csv") == 1
    response = db.session.scalar(select(Response).where(Response.round_id == survey_round.id))
    assert stored(response.id) == expected({a.item_id: a.value for a in response.answers})
    assert len(stored(response.id)) == len(QUESTIONNAIRE.dimensions)


def test_withdrawing_a_response_deletes_its_scores(app_context):  # type: ignore[no-untyped-def]
    response = ResponseFactory(submitted=True, answers=dict.fromkeys(ITEMS, 4))
    response.resume_token_hash = hash_token(token := new_token())
    db.session.flush()
    assert stored(response.id)
    responses.withdraw(responses.find_by_resume_token(token))
    assert stored(response.id) == {}


answer = st.one_of(st.none(), st.integers(min_value=1, max_value=7))
answer_sheets = st.dictionaries(st.sampled_from(ITEMS), answer, max_size=len(ITEMS))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=st.lists(st.tuples(answer_sheets, answer_sheets), min_size=1, max_size=6))
def test_stored_scores_equal_scores_worked_out_from_the_answers(app_context, people):  # type: ignore[no-untyped-def]
    survey_round = RoundFactory(desired=True)
    for current, desired in people:
        ResponseFactory(round=survey_round, submitted=True, answers=current, desired=desired)
    from_store = queries.respondent_scores([survey_round.id], QUESTIONNAIRE)[survey_round.id]
    from_answers = queries.respondent_scores_from_answers([survey_round.id], QUESTIONNAIRE)[survey_round.id]
    assert [r.response_id for r in from_store] == [r.response_id for r in from_answers]
    for one, other in zip(from_store, from_answers, strict=True):
        for mine, theirs in ((one.current, other.current), (one.desired or {}, other.desired or {})):
            for dimension in QUESTIONNAIRE.dimensions:
                a, b = mine.get(dimension.id), theirs.get(dimension.id)
                assert (a is None) == (b is None) and (a is None or math.isclose(a, b, abs_tol=1e-9))


def test_the_migration_scores_responses_submitted_before_it(tmp_path):  # type: ignore[no-untyped-def]
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}", "SECRET_KEY": "x"})
    with app.app_context():
        upgrade()
        survey_round = RoundFactory(desired=True)
        sheets = [({item: (n + p) % 7 + 1 for n, item in enumerate(ITEMS) if (n + p) % 5},
                   {item: 7 for item in ITEMS[: 4 + p]}) for p in range(4)]
        made = [ResponseFactory(round=survey_round, submitted=True, answers=a, desired=d) for a, d in sheets]
        ResponseFactory(round=survey_round, answers={ITEMS[0]: 3})  # never sent: never scored
        db.session.commit()
        wanted = {r.id: stored(r.id) for r in made}
        db.session.remove()

        downgrade(revision="dbbd7d1ea4ef")
        upgrade()

        assert db.session.scalar(text("SELECT count(DISTINCT response_id) FROM respondent_scores")) == len(made)
        for response_id, scores in wanted.items():
            got = stored(response_id)
            assert got.keys() == scores.keys()
            assert all(math.isclose(got[key], scores[key], abs_tol=1e-9) for key in scores)
        db.session.remove()
        close_pools()
