"""``report batch``: every department's report and the organisation's, with a progress bar,
in parallel worker processes, each failure reported and a non-zero exit when any failed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_migrate import upgrade

from reports import batch
from survey import create_app
from survey.extensions import db
from survey.models import Round
from tests.reports.scenario import SIZES, TINY, build, fake_renderer

MIN = 5


@pytest.fixture
def scenario(database):  # type: ignore[no-untyped-def]
    return build(rounds=1)


def test_report_batch_writes_every_report_with_a_progress_bar(scenario, runner, monkeypatch, tmp_path):
    renderer = fake_renderer(monkeypatch)
    result = runner.invoke(args=["report", "batch", str(scenario.round.id), "-o", str(tmp_path / "out"),
                                 "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert f"Building {len(SIZES) + 1} reports for {scenario.round.name}" in result.output
    assert f"Wrote {len(SIZES) + 1} reports to" in result.output
    files = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert len(files) == len(SIZES) + 1 and all(name.endswith(".pdf") for name in files)
    assert any(name.endswith("-organisation.pdf") for name in files)
    assert len(renderer.titles) == len(SIZES) + 1
    again = runner.invoke(args=["report", "batch", str(scenario.round.id), "-o", str(tmp_path / "out"),
                                "--jobs", "1"])
    assert again.exit_code == 0 and len(renderer.titles) == len(SIZES) + 1  # all from the cache


def test_report_batch_reports_each_failure_and_exits_non_zero(scenario, runner, monkeypatch, tmp_path):
    fake_renderer(monkeypatch, fail_on=TINY)
    result = runner.invoke(args=["report", "batch", str(scenario.round.id), "-o", str(tmp_path), "--jobs", "1"])
    assert result.exit_code == 1
    assert f"Failed: {TINY}: RuntimeError: cannot render {TINY}: team report" in result.output
    assert result.output.strip().splitlines()[-1] == (
        f"Error: 1 of {len(SIZES) + 1} reports failed; the others are in {tmp_path}")
    assert len(list(tmp_path.glob("*.pdf"))) == len(SIZES)
    assert not list(tmp_path.glob("*.part"))


def test_report_batch_refuses_an_unknown_round_in_one_line(runner, tmp_path):
    result = runner.invoke(args=["report", "batch", "no such round", "-o", str(tmp_path)])
    assert result.exit_code == 1 and result.output.strip().splitlines()[-1] == "Error: no round 'no such round'"


def test_report_pdf_refuses_an_unknown_department_in_one_line(scenario, runner, tmp_path):
    result = runner.invoke(args=["report", "pdf", str(scenario.round.id), "--department", "Nowhere",
                                 "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code == 1 and result.output.strip().splitlines()[-1].startswith("Error: ")
    assert not (tmp_path / "x.pdf").exists()


# Python 3.12+ warns when forking a process with threads; in a full run the browser tests' idle
# live-server thread is still there (``report batch`` itself runs in a single-threaded process).
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_reports_are_built_in_parallel_worker_processes_given_ids_only(tmp_path, monkeypatch):
    """On a database of its own (the workers cannot see a test's uncommitted transaction)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "tests-only", "SQLALCHEMY_DATABASE_URI":
                      f"sqlite:///{tmp_path / 'batch.db'}"})
    renderer = fake_renderer(monkeypatch, seconds=0.3)  # forked workers inherit the stand-in
    with app.app_context():
        upgrade()
        scenario = build(rounds=1)
        survey_round = db.session.get(Round, scenario.round.id)
        jobs = batch.plan(survey_round, tmp_path)
        assert {type(job.target.round_id) for job in jobs} == {int}  # ids and paths, no objects
        seen = []
        outcomes = batch.run(jobs, min_size=MIN, workers=2, settings=batch.worker_settings(app), on_done=seen.append)
        db.session.remove()
    assert [outcome.job for outcome in outcomes] == jobs and all(outcome.ok for outcome in outcomes)
    assert len(seen) == len(jobs)
    pids = {re.search(rb"pid=(\d+)", Path(job.path).read_bytes()).group(1) for job in jobs}
    assert len(pids) == 2  # built in two worker processes
    assert renderer.titles == []  # none in this process
    assert set(batch.worker_settings(app)) <= set(batch.WORKER_SETTINGS)
