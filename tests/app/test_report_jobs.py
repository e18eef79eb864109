"""With ``REDIS_URL`` set, a round's ZIP is built by an RQ job and the workspace shows its
progress. Runs against the real Redis on 127.0.0.1:6379, in a database number of its own,
with the worker in this process (so that it sees the test's transaction)."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from flask import g
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue

from reports import jobs
from survey.extensions import db
from survey.services.accounts import create_user
from tests.factories import RoundFactory
from tests.reports.scenario import SIZES, build, fake_renderer

REDIS_URL = "redis://127.0.0.1:6379/13"


@pytest.fixture
def redis(app):  # type: ignore[no-untyped-def]
    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except RedisConnectionError:
        pytest.fail("no Redis server on 127.0.0.1:6379: start it (see .ci/run), the report jobs need it",
                    pytrace=False)
    connection.flushdb()  # database 13 is this test's alone
    app.config["REDIS_URL"] = REDIS_URL
    yield connection
    app.config["REDIS_URL"] = None
    connection.flushdb()
    connection.close()


@pytest.fixture
def consultant(client, database, redis):  # type: ignore[no-untyped-def]
    scenario = build(rounds=1)
    user, _ = create_user("consultant@example.org", "consultant", "a long enough password",
                          organisations=[scenario.organisation])
    db.session.commit()
    assert client.submit("/sign-in", {"email": user.email, "password": "a long enough password"}).status_code == 302
    client.scenario = scenario
    return client


def start(client) -> str:  # type: ignore[no-untyped-def]
    round_id = client.scenario.round.id
    page = client.get(f"/manage/rounds/{round_id}/reports").get_data(as_text=True)
    assert "built in the background" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(f"/manage/rounds/{round_id}/reports.zip", data={"csrf_token": token})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert re.fullmatch(rf"/manage/rounds/{round_id}/reports/job\?job=[0-9a-f-]+", location)
    return location


def run_worker(redis) -> None:  # type: ignore[no-untyped-def]
    """Run the queued jobs here, as ``report worker --burst`` would. The worker ends each job with
    a fresh database session, so the user the test's requests loaded is forgotten too."""
    jobs.AppWorker([Queue(jobs.QUEUE, connection=redis)], connection=redis).work(burst=True)
    g.pop("_login_user", None)


def test_a_round_zip_runs_as_a_job_with_a_progress_page(consultant, redis, monkeypatch):
    renderer = fake_renderer(monkeypatch)
    location = start(consultant)
    waiting = consultant.get(location).get_data(as_text=True)
    assert "Waiting to start" in waiting and 'http-equiv="refresh"' in waiting
    assert renderer.titles == []  # nothing built in the request

    run_worker(redis)

    done = consultant.get(location).get_data(as_text=True)
    assert f"All {len(SIZES) + 1} reports are ready" in done and "refresh" not in done
    download = consultant.get(location.replace("/job?", "/job.zip?"))
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert len(zipfile.ZipFile(io.BytesIO(download.data)).namelist()) == len(SIZES) + 1
    assert len(renderer.titles) == len(SIZES) + 1


def test_the_job_records_its_progress(consultant, redis, monkeypatch):
    fake_renderer(monkeypatch)
    seen = []
    real = jobs.round_zip

    def watched(survey_round, min_size, on_progress=None):  # type: ignore[no-untyped-def]
        def progress(done: int, total: int) -> None:
            on_progress(done, total)
            seen.append(jobs.progress(jobs.fetch(REDIS_URL, job_id)))

        return real(survey_round, min_size, progress)

    monkeypatch.setattr(jobs, "round_zip", watched)
    job_id = start(consultant).rsplit("=", 1)[1]
    run_worker(redis)
    assert [(p.state, p.done, p.total) for p in seen] == [("running", n, len(SIZES) + 1)
                                                          for n in range(1, len(SIZES) + 2)]


def test_a_job_is_only_shown_for_its_own_round(consultant, redis, monkeypatch):
    fake_renderer(monkeypatch)
    location = start(consultant)
    job_id = location.rsplit("=", 1)[1]
    other = RoundFactory(organisation=consultant.scenario.organisation, name="Another")
    db.session.commit()
    assert consultant.get(f"/manage/rounds/{other.id}/reports/job?job={job_id}").status_code == 404
    mine = consultant.scenario.round.id
    for url in (f"/manage/rounds/{mine}/reports/job?job=nope", f"/manage/rounds/{mine}/reports/job"):
        assert consultant.get(url).status_code == 404
    assert consultant.get(location.replace("/job?", "/job.zip?")).status_code == 404  # not built yet
