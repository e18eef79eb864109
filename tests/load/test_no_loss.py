"""No lost responses: real gunicorn on PostgreSQL, a few hundred concurrent respondents over
HTTP, the server killed with SIGKILL mid-load and restarted. Every submission that was
acknowledged is stored, exactly once, and resume links still work afterwards."""

from __future__ import annotations

import os
import threading
import time
import uuid

import pytest
from sqlalchemy import delete, func, select

from benchmarks.http_journey import Respondent, Server, answer_plan, free_port, request, run_load
from survey.extensions import db
from survey.models import Organisation, Response
from survey.services import questionnaires, structure
from survey.tokens import hash_token

PEOPLE = 240
CONCURRENCY = 48



@pytest.fixture
def invitation(app, database_url):
    with app.app_context():
        version = questionnaires.load_directory()[0]
        organisation = structure.create_organisation(f"Load test {uuid.uuid4().hex[:8]}")
        department = structure.create_department(organisation, "Contact Centre")
        survey_round = structure.create_round(organisation, "Load", version)
        _, token = structure.create_link(survey_round, department)
        db.session.commit()
        ids = (organisation.id, survey_round.id, version.questionnaire)
    yield (f"/s/{token}", *ids)
    with app.app_context():
        db.session.execute(delete(Organisation).where(Organisation.id == ids[0]))
        db.session.commit()
        db.session.remove()


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                    reason="needs PostgreSQL behind gunicorn; runs in CI's PostgreSQL pass")
def test_acknowledged_submissions_survive_a_sigkill_mid_load(app, database_url, invitation):
    path, _, round_id, questionnaire = invitation
    port = free_port()
    server = Server(database_url, port)
    server.start()
    plans = answer_plan(questionnaire, PEOPLE)
    people = [Respondent(lambda: port, path, plan, len(questionnaire.dimensions)) for plan in plans]
    killed = threading.Event()

    def kill_and_restart(respondents):  # type: ignore[no-untyped-def]
        while sum(r.acknowledged for r in respondents) < PEOPLE // 4:
            time.sleep(0.02)
        server.kill()
        killed.set()
        time.sleep(0.5)  # requests in flight fail and are retried
        server.start()

    try:
        result = run_load(people, CONCURRENCY, during=kill_and_restart)
        assert killed.is_set(), "the server was never killed: the test proved nothing"
        acknowledged = result.acknowledged
        assert len(acknowledged) == PEOPLE
        assert sum(r.retries for r in people) > 0, "no request failed: the kill did not land mid-load"

        with app.app_context():
            submitted = db.session.scalars(
                select(Response.resume_token_hash).where(Response.round_id == round_id,
                                                         Response.submitted_at.is_not(None))
            ).all()
            assert len(submitted) == len(set(submitted)) == len(acknowledged)
            for person in acknowledged:
                assert hash_token(person.resume_path.rsplit("/", 1)[-1]) in submitted
            answers = db.session.scalar(
                select(func.count()).select_from(Response).where(Response.round_id == round_id)
            )
            assert answers >= len(acknowledged)
            db.session.remove()

        status, headers, _ = request(port, "GET", acknowledged[0].resume_path)
        assert status == 302 and headers["location"].endswith("/survey/done")
    finally:
        server.stop()
