"""The retention rule (``flask retention``): raw answers of rounds closed more than N months ago
are deleted; the stored dimension scores keep every result, trend, export and report as it was."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

import reports
from reports import ReportTarget
from survey.extensions import db
from survey.models import Answer, Comment, RespondentScore, Response, Round, utcnow
from survey.services import retention
from tests.factories import ResponseFactory
from tests.reports.scenario import build

MIN = 5


@pytest.fixture
def scenario(database):  # type: ignore[no-untyped-def]
    scenario = build()
    old = scenario.rounds[0]
    old.opens_at, old.closes_at = utcnow() - timedelta(days=900), utcnow() - timedelta(days=870)
    for response in db.session.scalars(select(Response).where(Response.round_id == old.id)).all()[:3]:
        response.comments.append(Comment(dimension_id="roles", text="We are trusted to use our judgement."))
    ResponseFactory(round=old, department=scenario.departments["Contact Centre"], resume_token_hash="a" * 64)
    db.session.commit()
    return scenario


def count(model, survey_round: Round) -> int:  # type: ignore[no-untyped-def]
    """Rows of ``model`` (Response, or a table keyed on ``response_id``) in the round."""
    query = select(func.count()).select_from(model)
    if model is not Response:
        query = query.join(Response, Response.id == model.response_id)
    return db.session.scalar(query.where(Response.round_id == survey_round.id)) or 0


def results_of(runner, survey_round: Round) -> dict:  # type: ignore[no-untyped-def,type-arg]
    result = runner.invoke(args=["results", str(survey_round.id), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_old_rounds_lose_their_answers_and_keep_every_figure(runner, scenario):  # type: ignore[no-untyped-def]
    old, recent = scenario.rounds
    before = {r.id: results_of(runner, r) for r in scenario.rounds}
    kept_responses, kept_scores = count(Response, old), count(RespondentScore, old)
    recent_answers = count(Answer, recent)

    result = runner.invoke(args=["retention", "--months", "24"])

    assert result.exit_code == 0, result.output
    assert f"of {scenario.organisation.name}: Spring" in result.output and "1 round(s) done" in result.output
    db.session.expire_all()
    assert count(Answer, old) == 0 and count(Comment, old) == 0
    assert count(Response, old) == kept_responses and count(RespondentScore, old) == kept_scores
    assert db.session.scalar(select(func.count()).select_from(Response).where(
        Response.round_id == old.id, Response.resume_token_hash.is_not(None))) == 0
    assert db.session.get(Round, old.id).answers_deleted_at is not None
    assert count(Answer, recent) == recent_answers and db.session.get(Round, recent.id).answers_deleted_at is None
    assert {r.id: results_of(runner, r) for r in scenario.rounds} == before  # to the last digit

    again = runner.invoke(args=["retention", "--months", "24"])
    assert again.exit_code == 0 and "0 round(s) done" in again.output


def test_a_dry_run_lists_and_changes_nothing(runner, scenario):  # type: ignore[no-untyped-def]
    old = scenario.rounds[0]
    answers = count(Answer, old)

    result = runner.invoke(args=["retention", "--months", "24", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert f"Would delete {answers} answers and 3 comments" in result.output
    db.session.expire_all()
    assert count(Answer, old) == answers and db.session.get(Round, old.id).answers_deleted_at is None


def test_the_setting_is_used_when_no_months_are_given(app, runner, scenario, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "SURVEY_RETENTION_MONTHS", 12)
    result = runner.invoke(args=["retention"])
    assert result.exit_code == 0 and "retention period of 12 months" in result.output
    db.session.expire_all()
    assert db.session.get(Round, scenario.rounds[0].id).answers_deleted_at is not None


@pytest.mark.parametrize(("args", "reason"), [
    ([], "no retention period: set SURVEY_RETENTION_MONTHS or pass --months"),
    (["--months", "0"], "between 1 and 1200 months"),
    (["--months", "-3"], "between 1 and 1200 months"),
    (["--months", "many"], "'many' is not a valid integer"),
])
def test_bad_settings_are_refused_in_one_line_and_change_nothing(runner, scenario, args, reason):  # type: ignore[no-untyped-def]
    answers = count(Answer, scenario.rounds[0])
    result = runner.invoke(args=["retention", *args])
    assert result.exit_code != 0 and reason in result.output and "Traceback" not in result.output
    db.session.expire_all()
    assert count(Answer, scenario.rounds[0]) == answers


def test_open_and_recent_rounds_are_never_due(app_context):  # type: ignore[no-untyped-def]
    from tests.factories import RoundFactory

    now = utcnow()
    open_ended = RoundFactory(opens_at=now - timedelta(days=2000), closes_at=None)
    # closed ten days ago: less than a month whatever the month (a 30-day-old round would be due
    # a day later in a month after a 30-day one)
    recent = RoundFactory(opens_at=now - timedelta(days=40), closes_at=now - timedelta(days=10))
    due = retention.due_rounds(1, now + timedelta(days=1))
    assert open_ended not in due and recent not in due
    assert recent in retention.due_rounds(1, now + timedelta(days=62))


def test_reports_of_a_round_without_answers_keep_their_figures_and_say_what_went(scenario):  # type: ignore[no-untyped-def]
    old = scenario.rounds[0]
    team = scenario.departments["Contact Centre"].id
    before = reports.report_html(ReportTarget(old.id, team), MIN)
    retention.delete_answers(old)
    db.session.commit()

    after = reports.report_html(ReportTarget(old.id, team), MIN)
    organisation = reports.report_html(ReportTarget(old.id, None), MIN)

    assert "deleted on" in after and "under the retention rule" in after and "deleted on" in organisation
    assert "Number of people at each answer" in before and "Number of people at each answer" not in after
    summary = before.split('id="summary"', 1)[1][:3000]
    assert summary == after.split('id="summary"', 1)[1][:3000]  # the summary's figures are unchanged


def test_the_round_page_says_the_answers_were_deleted(client, scenario):  # type: ignore[no-untyped-def]
    from tests.app.test_manage import sign_in

    old = scenario.rounds[0]
    retention.delete_answers(old)
    db.session.commit()
    sign_in(client, "consultant", [scenario.organisation])
    page = client.get(f"/manage/rounds/{old.id}").get_data(as_text=True)
    assert "were deleted on" in page and "under the retention rule" in page


@given(moment=st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31)),
       months=st.integers(min_value=1, max_value=1200))
def test_months_before_steps_back_whole_calendar_months(moment, months):  # type: ignore[no-untyped-def]
    moment = moment.replace(tzinfo=UTC)
    earlier = retention.months_before(moment, months)
    assert (moment.year * 12 + moment.month) - (earlier.year * 12 + earlier.month) == months
    assert earlier.day == moment.day or earlier.day < moment.day and (earlier + timedelta(days=1)).day == 1
    assert earlier.time() == moment.time() and earlier < moment


def test_the_raw_export_of_a_round_without_answers_says_they_are_gone(client, scenario):  # type: ignore[no-untyped-def]
    from tests.app.test_manage import sign_in

    old = scenario.rounds[0]
    retention.delete_answers(old)
    db.session.commit()
    user = sign_in(client, "consultant", [scenario.organisation])
    user.can_export_raw = True
    db.session.commit()
    reply = client.get(f"/manage/rounds/{old.id}/answers.csv")
    assert reply.status_code == 410 and "were deleted on" in reply.get_data(as_text=True)
    assert client.get(f"/manage/rounds/{old.id}/export.csv").status_code == 200  # the aggregates remain
