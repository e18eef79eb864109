"""Benchmarks (DESIGN.md section 7): ``python benchmarks/run.py [--quick] [--only NAME ...]``.

Prints one JSON object per benchmark and line:
``{"name", "value", "unit", "baseline", "ratio", "target", "ok"}``. Every value is measured
against its baseline in the same run, on the same data, because shared machines drift.
Progress and diagnostics go to stderr, so stdout stays machine-readable.

A benchmark is a function ``(Settings) -> Result`` registered in ``BENCHMARKS``; add new ones
there. The database is a temporary SQLite file, or, when ``DATABASE_URL`` points at PostgreSQL,
a throwaway database created on that server for the run and dropped afterwards (the named
database itself is never touched).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import bindparam, create_engine, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from survey import create_app  # noqa: E402
from survey.extensions import db  # noqa: E402
from survey.models import Answer, Department, Kind, Organisation, QuestionnaireVersion, Response, Round  # noqa: E402
from survey.services.scores import record_scores  # noqa: E402


@dataclass(frozen=True)
class Settings:
    quick: bool


@dataclass(frozen=True)
class Result:
    name: str
    value: float
    unit: str
    baseline: float
    ratio: float
    target: str
    ok: bool


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def median_time(action: Callable[[], object], repetitions: int, warm_up: int = 1) -> float:
    """The median wall time of ``action`` in milliseconds, after ``warm_up`` unmeasured runs."""
    for _ in range(warm_up):
        action()
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


# The database --------------------------------------------------------------------------------------


@contextlib.contextmanager
def throwaway_app() -> Iterator[Flask]:
    """The app on a fresh database built by the real migrations, removed afterwards."""
    configured = os.environ.get("DATABASE_URL", "")
    if configured.startswith(("postgres://", "postgresql")):
        server = make_url(configured.replace("postgres://", "postgresql://", 1)).set(drivername="postgresql+psycopg")
        name = f"survey_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield _app(server.set(database=name).render_as_string(hide_password=False))
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        return
    with tempfile.TemporaryDirectory(prefix="survey-bench-") as directory:
        yield _app(f"sqlite:///{Path(directory) / 'bench.db'}")


def _app(url: str) -> Flask:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmarks-only", "TESTING": False})
    with app.app_context():
        upgrade()
    return app


# dashboard_latency ---------------------------------------------------------------------------------

DEPARTMENTS, ROUNDS, RESPONDENTS = 60, 6, 25


def organisation_with_teams(name: str, teams: int) -> tuple[QuestionnaireVersion, Organisation, list[Department]]:
    """The shipped questionnaire (frozen), and an organisation of ``teams`` departments."""
    from survey.services.questionnaires import load_directory

    version = next(v for v in load_directory() if v.key == "npm-paradigm")
    organisation = Organisation(name=name)
    db.session.add(organisation)
    db.session.flush()
    departments = [Department(organisation_id=organisation.id, name=f"Team {n:02d}") for n in range(teams)]
    db.session.add_all(departments)
    return version, organisation, departments


def seed_dashboard_data() -> list[int]:
    """60 departments x 6 rounds x 25 submitted respondents x every item (current answers)."""
    version, organisation, departments = organisation_with_teams("Benchmark Council", DEPARTMENTS)
    questionnaire = version.questionnaire
    now = datetime.now(UTC)
    rounds = [Round(organisation_id=organisation.id, questionnaire_version_id=version.id, name=f"Round {n + 1}",
                    opens_at=now - timedelta(days=180 * (ROUNDS - n)),
                    closes_at=now - timedelta(days=180 * (ROUNDS - n) - 30))
              for n in range(ROUNDS)]
    db.session.add_all(rounds)
    db.session.flush()
    rng = random.Random(2026)
    responses = [{"round_id": r.id, "department_id": d.id, "source": "online", "started_at": r.opens_at,
                  "last_saved_at": r.opens_at, "submitted_at": r.opens_at + timedelta(minutes=12)}
                 for r in rounds for d in departments for _ in range(RESPONDENTS)]
    db.session.execute(insert(Response), responses)
    response_ids = db.session.scalars(select(Response.id).order_by(Response.id)).all()
    rows = []
    for response_id in response_ids:
        lean = rng.uniform(1.5, 6.5)
        for item in questionnaire.items:
            value = None if rng.random() < 0.04 else min(max(round(rng.gauss(lean, 1.2)), 1), 7)
            rows.append((response_id, Kind.CURRENT.value, item.id, value))
    insert_answers(rows)
    record_scores(response_ids)  # as submitting does
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return [r.id for r in rounds]


def insert_answers(rows: list[tuple[int, str, str, int | None]]) -> None:
    """Bulk insert answers: COPY on PostgreSQL (executemany would take most of a minute),
    ``insert(Answer)`` in batches elsewhere."""
    if db.engine.dialect.name == "postgresql":
        cursor = db.session.connection().connection.driver_connection.cursor()
        with cursor.copy("COPY answers (response_id, kind, item_id, value) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    names = ("response_id", "kind", "item_id", "value")
    for start in range(0, len(rows), 20_000):
        db.session.execute(insert(Answer), [dict(zip(names, row, strict=True)) for row in rows[start:start + 20_000]])


BASELINE_SQL = text(
    "SELECT r.round_id, r.department_id, a.item_id, avg(a.value), count(a.value) "
    "FROM answers a JOIN responses r ON r.id = a.response_id "
    "WHERE r.round_id IN :round_ids AND r.submitted_at IS NOT NULL AND a.kind = 'current' "
    "GROUP BY r.round_id, r.department_id, a.item_id"
).bindparams(bindparam("round_ids", expanding=True))


def dashboard_latency(settings: Settings) -> Result:
    """The organisation dashboard's data against one raw SQL GROUP BY over the same answers: the
    heatmap of the latest round (every department's figures, suppression decided over the whole
    tree) and the organisation's trend across all six rounds, as the workspace pages read them."""
    from survey.results import results_for_rounds

    with throwaway_app() as app, app.app_context():
        started = time.perf_counter()
        round_ids = seed_dashboard_data()
        log(f"dashboard_latency: seeded {DEPARTMENTS * ROUNDS * RESPONDENTS * 40:,} answers on "
            f"{db.engine.dialect.name} in {time.perf_counter() - started:.1f} s")
        min_size = app.config["SURVEY_MIN_GROUP_SIZE"]
        gc.freeze()  # as a served app does once started (gunicorn.conf.py): the seeding's objects stay put

        def dashboard() -> None:
            db.session.remove()  # as a new request: nothing cached in the session
            rounds = db.session.scalars(select(Round).where(Round.id.in_(round_ids)).order_by(Round.opens_at)).all()
            figures = results_for_rounds(list(rounds), min_size)
            heatmap = figures[rounds[-1].id]
            shown = [g.result for g in (heatmap.organisation_group, *heatmap.groups)]
            trend = [figures[r.id].organisation_group.result for r in rounds]
            assert len(shown) == DEPARTMENTS + 1 and all(shown) and len(trend) == ROUNDS and all(trend)

        def baseline() -> None:
            db.session.remove()
            rows = db.session.execute(BASELINE_SQL, {"round_ids": round_ids}).all()
            assert len(rows) == ROUNDS * DEPARTMENTS * 40

        repetitions = 5 if settings.quick else 15
        # interleave the two so that drift on a shared machine hits both alike
        values, baselines = [], []
        for _ in range(3 if settings.quick else 5):
            values.append(median_time(dashboard, max(repetitions // 3, 1)))
            baselines.append(median_time(baseline, max(repetitions // 3, 1)))
        value, base = statistics.median(values), statistics.median(baselines)
        db.session.remove()
    ratio = value / base
    return Result("dashboard_latency", round(value, 1), "ms", round(base, 1), round(ratio, 3),
                  "ratio <= 2 and value < 300 ms", ratio <= 2 and value < 300)


# Reports: report_overhead, batch_speedup, report_cached ----------------------------------------------

REPORT_TEAMS, REPORT_RESPONDENTS = 20, 15


def seed_report_data() -> tuple[int, list[int]]:
    """20 teams x 15 submitted respondents in two rounds (the second asks for desired answers):
    the current round's id and the teams' ids."""
    version, organisation, teams = organisation_with_teams("Report Council", REPORT_TEAMS)
    questionnaire = version.questionnaire
    now = datetime.now(UTC)
    rounds = [Round(organisation_id=organisation.id, questionnaire_version_id=version.id, name=name,
                    opens_at=now - timedelta(days=days), closes_at=now - timedelta(days=days - 30),
                    asks_desired=desired)
              for name, days, desired in (("Spring", 400, False), ("Autumn", 200, True))]
    db.session.add_all(rounds)
    db.session.flush()
    db.session.execute(insert(Response), [
        {"round_id": r.id, "department_id": d.id, "source": "online", "started_at": r.opens_at,
         "last_saved_at": r.opens_at, "submitted_at": r.opens_at + timedelta(minutes=12)}
        for r in rounds for d in teams for _ in range(REPORT_RESPONDENTS)])
    rng = random.Random(2026)
    rows = []
    for response_id, asks_desired in db.session.execute(
            select(Response.id, Round.asks_desired).join(Round, Round.id == Response.round_id).order_by(Response.id)):
        lean = rng.uniform(2, 6)
        for item in questionnaire.items:
            rows.append((response_id, Kind.CURRENT.value, item.id, min(max(round(rng.gauss(lean, 1.2)), 1), 7)))
            if asks_desired:
                rows.append((response_id, Kind.DESIRED.value, item.id, min(max(round(rng.gauss(lean + 1.5, 1)), 1), 7)))
    insert_answers(rows)
    record_scores(sorted({row[0] for row in rows}))
    db.session.commit()
    return rounds[-1].id, [team.id for team in teams]


# One database of report data serves the three report benchmarks of a run (seeding it and
# building the first report, which loads fonts and templates, take seconds each time).
SHARED = contextlib.ExitStack()
_report_data: dict[str, Any] = {}


@contextlib.contextmanager
def report_data() -> Iterator[tuple[Flask, int, list[int]]]:
    """The app on the shared report database (made on first use, removed when ``main`` ends),
    in an app context: the app, the current round's id and the teams' ids."""
    if "app" not in _report_data:
        app = SHARED.enter_context(throwaway_app())
        with app.app_context():
            _report_data.update(app=app, seeded=seed_report_data())
    app = _report_data["app"]
    with app.app_context():
        yield (app, *_report_data["seeded"])
        db.session.remove()


def warm_up_once(action: Callable[[], object]) -> None:
    """Run ``action`` unmeasured unless a report was built in this process already (the first
    loads WeasyPrint's fonts and the templates)."""
    if not _report_data.get("warm"):
        action()
        _report_data["warm"] = True


def report_overhead(settings: Settings) -> Result:
    """One team report from its ids to PDF bytes (database reads, report data, HTML, WeasyPrint;
    no cache) against WeasyPrint rendering that report's final HTML alone."""
    import reports
    from reports.render import html_to_pdf

    with report_data() as (app, round_id, teams):
        target = reports.ReportTarget(round_id, teams[0])
        min_size = app.config["SURVEY_MIN_GROUP_SIZE"]
        html = reports.report_html(target, min_size)

        def whole() -> None:
            db.session.remove()
            reports.report_pdf(target, min_size, use_cache=False)

        warm_up_once(whole)
        values, baselines = [], []
        for _ in range(1 if settings.quick else 7):  # interleaved, so that drift hits both alike
            values.append(median_time(whole, 1, warm_up=0))
            baselines.append(median_time(lambda: html_to_pdf(html), 1, warm_up=0))
        value, base = statistics.median(values), statistics.median(baselines)
    ratio = value / base
    return Result("report_overhead", round(value, 1), "ms", round(base, 1), round(ratio, 3), "ratio <= 1.25",
                  ratio <= 1.25)


def batch_speedup(settings: Settings) -> Result:
    """20 team reports (4 with --quick) built by ``report batch``'s machinery (a worker process
    per core, each creating the app once) against the same reports built one after another in this
    process. Neither reads or writes the cache. ``ratio`` is the speedup, baseline / value."""
    from reports import batch

    with report_data() as (app, round_id, _), tempfile.TemporaryDirectory() as directory:
        survey_round = db.session.get(Round, round_id)
        jobs = batch.plan(survey_round, Path(directory), organisation=False)[:4 if settings.quick else REPORT_TEAMS]
        min_size, workers = app.config["SURVEY_MIN_GROUP_SIZE"], batch.available_cores()

        def run(count: int) -> float:
            started = time.perf_counter()
            outcomes = batch.run(jobs, min_size=min_size, workers=count, settings=batch.worker_settings(app),
                                 use_cache=False)
            assert all(outcome.ok for outcome in outcomes), [o.error for o in outcomes if not o.ok]
            return time.perf_counter() - started

        warm_up_once(lambda: batch.run(jobs[:1], min_size=min_size, workers=1, use_cache=False))
        values, baselines = [], []
        for _ in range(1 if settings.quick else 2):
            baselines.append(run(1))
            values.append(run(workers))
        value, base = statistics.median(values), statistics.median(baselines)
        log(f"batch_speedup: {len(jobs)} reports, {workers} workers: {value:.1f} s against {base:.1f} s")
    ratio = base / value
    return Result("batch_speedup", round(value * 1000, 1), "ms", round(base * 1000, 1), round(ratio, 3),
                  f"baseline / value >= 1.6 on 2 cores ({workers} here)", ratio >= 1.6)


def report_cached(settings: Settings) -> Result:
    """The same team report asked for again with unchanged data (cache key worked out from the
    database, PDF read from the report_cache table) against its first build (built and stored)."""
    import reports
    from reports import cache

    with report_data() as (app, round_id, teams):
        target = reports.ReportTarget(round_id, teams[0])
        min_size = app.config["SURVEY_MIN_GROUP_SIZE"]

        def first() -> None:
            cache.clear()
            db.session.commit()
            db.session.remove()
            reports.report_pdf(target, min_size)
            db.session.commit()

        def again() -> None:
            db.session.remove()
            reports.report_pdf(target, min_size)
            db.session.commit()

        warm_up_once(first)
        base = median_time(first, 1 if settings.quick else 5, warm_up=0)
        value = median_time(again, 10 if settings.quick else 30)
    ratio = value / base
    return Result("report_cached", round(value, 1), "ms", round(base, 1), round(ratio, 4), "ratio <= 0.05",
                  ratio <= 0.05)


# HTTP: submit_throughput, no_loss -----------------------------------------------------------------

THROUGHPUT_CONCURRENCY = 8  # simultaneous respondents: twice what 2 workers x 2 threads (the default) serve at once


def submit_throughput(settings: Settings) -> Result:
    """Completed respondent submissions per second through the real HTTP journey, against a bare
    Flask + SQLAlchemy app storing the same rows, both in the same run on the same database.

    Both are served by gunicorn with gunicorn.conf.py (2 workers; threads from ``SURVEY_THREADS``
    or its default) and driven by the same client, ``http_journey.Respondent`` with
    ``browse=True``: 8 respondents at a time, each doing the 21 requests a browser makes (open the
    invitation, start, then for each of the 8 sections load the page and post its answers, load
    "check your answers", send, load the confirmation); no save-for-later. The real app is
    ``survey.wsgi:app`` (templates, forms, CSRF, signed session, security headers, rate limits, SQLAlchemy). The
    baseline, ``benchmarks/bare_app.py``, answers the same requests at the same paths with a
    fixed one-line page for every GET (no database) and, for every POST, only the SQL that stores
    what the real app stores at that step: the response row at the start; each section's answer
    rows and the response's ``last_saved_at``; at the send, the conditional update of
    ``submitted_at`` and the respondent's dimension scores (``survey.scoring``) - no templates,
    forms, CSRF or sessions (the response id rides in a plain cookie).

    Each side first answers half a batch of the same answer plans in a round of its own (warming up
    templates and connections), and the rows the two stored there are compared afterwards
    (submitted responses, answers, answer values, scores), so the baseline provably does the same
    writes. Then timed slots alternate (real, bare, bare, real, ...): in each, batches of 8
    respondents run back to back until the slot (1 s with --quick, 8 s) is used up, and its rate
    is respondents / seconds from each batch's first request to its last answer. The value and
    the baseline are the medians of the slots' rates."""
    from concurrent.futures import ThreadPoolExecutor

    from benchmarks.http_journey import Server, create_invitation, run_load

    rounds, slot = (2, 1.0) if settings.quick else (5, 8.0)
    batch = THROUGHPUT_CONCURRENCY
    started = time.perf_counter()
    with throwaway_app() as app:
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        invitations = {(side, purpose): create_invitation(app, f"{side} {purpose}")
                       for side in ("real", "bare") for purpose in ("check", "timed")}
        with Server(url, threads=None) as real, Server(url, threads=None, app="benchmarks.bare_app:app") as bare:
            with ThreadPoolExecutor(2) as pool:  # both at once; a failure to start is raised here
                list(pool.map(lambda server: server.start(), (real, bare)))
            servers = {"real": real, "bare": bare}
            log(f"submit_throughput: {db_kind()}, both servers up after {time.perf_counter() - started:.1f} s")
            retries = {"real": 0, "bare": 0}
            seeds = iter(range(10_000))

            def run(side: str, purpose: str, seed: int, people: int = batch) -> float:
                server, invitation = servers[side], invitations[(side, purpose)]
                load = run_load(invitation.respondents(lambda: server.port, people, browse=True, save_halfway=False,
                                                       seed=seed), THROUGHPUT_CONCURRENCY)
                if load.failed or len(load.acknowledged) != people:
                    raise RuntimeError(f"{side}: {len(load.failed)} of {people} respondents failed: "
                                       f"{load.failed[0].error if load.failed else 'not acknowledged'}; "
                                       f"{server.log_tail(1000)}")
                retries[side] += load.retries
                return load.seconds

            def rate(side: str) -> float:
                """Batches back to back until the slot is used up: respondents per second."""
                seconds, people = 0.0, 0
                while seconds < slot:
                    seconds += run(side, "timed", next(seeds))
                    people += batch
                return people / seconds

            # warm-up, both at once (templates compiled, connections opened), on the same answers
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(lambda side: run(side, "check", 1000, batch // 2), servers))
            log(f"submit_throughput: warmed up after {time.perf_counter() - started:.1f} s")
            rates: dict[str, list[float]] = {"real": [], "bare": []}
            for number in range(rounds):
                for side in (("real", "bare") if number % 2 == 0 else ("bare", "real")):
                    rates[side].append(rate(side))
        with app.app_context():
            stored = {side: _stored_rows(invitations[(side, "check")].round_id) for side in ("real", "bare")}
            db.session.remove()
    if stored["real"] != stored["bare"]:
        raise RuntimeError(f"the baseline did not store what the real app stored: {stored}")
    value, base = statistics.median(rates["real"]), statistics.median(rates["bare"])
    log(f"submit_throughput: real {', '.join(f'{r:.2f}' for r in rates['real'])}/s, "
        f"bare {', '.join(f'{r:.2f}' for r in rates['bare'])}/s (batches of {batch} respondents at a time, "
        f"{slot:g} s slots); retried requests: real {retries['real']}, bare {retries['bare']}; rows stored by "
        f"each from the same answers: {stored['real']}; {time.perf_counter() - started:.1f} s in all")
    ratio = value / base
    return Result("submit_throughput", round(value, 2), "submissions/s", round(base, 2), round(ratio, 3),
                  "ratio >= 0.6", ratio >= 0.6)


def db_kind() -> str:
    configured = os.environ.get("DATABASE_URL", "")
    return "postgresql" if configured.startswith(("postgres://", "postgresql")) else "sqlite"


def _stored_rows(round_id: int) -> dict[str, object]:
    """What a round's submitted responses hold: counts and sums of their answers and scores."""
    submitted = select(Response.id).where(Response.round_id == round_id, Response.submitted_at.is_not(None))
    answers = db.session.execute(text(
        "SELECT count(*), count(value), coalesce(sum(value), 0) FROM answers WHERE response_id IN "
        "(SELECT id FROM responses WHERE round_id = :round AND submitted_at IS NOT NULL)"), {"round": round_id}).one()
    scores = db.session.execute(text(
        "SELECT count(*), coalesce(sum(score), 0) FROM respondent_scores WHERE response_id IN "
        "(SELECT id FROM responses WHERE round_id = :round AND submitted_at IS NOT NULL)"), {"round": round_id}).one()
    return {"submitted": len(db.session.scalars(submitted).all()), "answers": answers[0], "answered": answers[1],
            "answer_sum": int(answers[2]), "scores": scores[0], "score_sum": round(float(scores[1]), 6)}


def no_loss(settings: Settings) -> Result:
    """Submissions acknowledged while gunicorn is killed and restarted mid-load, against the
    submissions stored afterwards: ``http_journey.kill_and_restart_load``, the scenario of
    tests/load/test_no_loss.py (gunicorn, 2 workers x 4 threads; 240 respondents, 48 at a time,
    or 16 and 8 with --quick; each saves half-way for a resume link; once a quarter have been
    told their answers were sent, the whole process group gets SIGKILL, and gunicorn is started
    again half a second later; every failed request is retried as a person would).

    ``value``: respondents acknowledged. ``baseline``: acknowledged respondents whose submission
    is stored exactly once (found by their resume token's hash), less every further submitted
    response in the round (a second copy, or one no respondent accounts for). So a lost
    submission and a duplicate each move the ratio away from 1, and they cannot cancel out.
    ``ok`` also needs the kill to have happened mid-load (requests failed and were retried), every
    respondent to have got through, and a resume link to work afterwards."""
    from benchmarks.http_journey import kill_and_restart_load

    people, concurrency = (16, 8) if settings.quick else (240, 48)
    with throwaway_app() as app:
        report = kill_and_restart_load(app, app.config["SQLALCHEMY_DATABASE_URI"], people, concurrency,
                                       log=lambda message: log(f"no_loss: {message}"))
        with app.app_context():
            db.session.remove()
    stored, load = report.stored, report.load
    log(f"no_loss: {db_kind()}, {people} respondents, {concurrency} at a time, {load.seconds:.1f} s: "
        f"{stored.acknowledged} acknowledged ({report.acknowledged_before_kill} before the kill), "
        f"{stored.stored_once} stored exactly once, {stored.missing} missing, {stored.duplicates} duplicates, "
        f"{stored.submitted} submitted in all; {len(load.failed)} gave up; {load.retries} requests retried; "
        f"resume link after restart: {report.resume_status} -> {report.resume_location or '-'}")
    value, base = stored.acknowledged, stored.baseline
    ratio = value / base if base > 0 else 0.0  # nothing stored exactly once: no ratio to speak of
    ok = (ratio == 1 and stored.missing == 0 and stored.duplicates == 0 and not load.failed and report.killed
          and load.retries > 0 and report.resume_link_works)
    return Result("no_loss", float(value), "submissions", float(base), round(ratio, 4),
                  "ratio == 1 (killed mid-load, every acknowledged submission stored exactly once)", ok)


BENCHMARKS: dict[str, Callable[[Settings], Result]] = {
    "dashboard_latency": dashboard_latency,
    "report_overhead": report_overhead,
    "batch_speedup": batch_speedup,
    "report_cached": report_cached,
    "submit_throughput": submit_throughput,
    "no_loss": no_loss,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the benchmarks; one JSON object per line on stdout.")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions: under a minute on 2 cores")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these benchmarks")
    arguments = parser.parse_args(argv)
    settings = Settings(quick=arguments.quick)
    with SHARED:
        for name in arguments.only or BENCHMARKS:
            started = time.perf_counter()
            print(json.dumps(asdict(BENCHMARKS[name](settings))), flush=True)
            log(f"{name}: took {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
