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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import bindparam, create_engine, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from survey import create_app  # noqa: E402
from survey.extensions import db  # noqa: E402
from survey.models import Answer, Department, Kind, Organisation, Response, Round  # noqa: E402
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


def seed_dashboard_data() -> list[int]:
    """60 departments x 6 rounds x 25 submitted respondents x every item (current answers)."""
    from survey.services.questionnaires import load_directory

    version = next(v for v in load_directory() if v.key == "npm-paradigm")
    questionnaire = version.questionnaire
    organisation = Organisation(name="Benchmark Council")
    db.session.add(organisation)
    db.session.flush()
    departments = [Department(organisation_id=organisation.id, name=f"Team {n:02d}") for n in range(DEPARTMENTS)]
    db.session.add_all(departments)
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
    from survey.services.questionnaires import load_directory

    version = next(v for v in load_directory() if v.key == "npm-paradigm")
    questionnaire = version.questionnaire
    organisation = Organisation(name="Report Council")
    db.session.add(organisation)
    db.session.flush()
    teams = [Department(organisation_id=organisation.id, name=f"Team {n:02d}") for n in range(REPORT_TEAMS)]
    db.session.add_all(teams)
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


def report_overhead(settings: Settings) -> Result:
    """One team report from its ids to PDF bytes (database reads, report data, HTML, WeasyPrint;
    no cache) against WeasyPrint rendering that report's final HTML alone."""
    import reports
    from reports.render import html_to_pdf

    with throwaway_app() as app, app.app_context():
        round_id, teams = seed_report_data()
        target = reports.ReportTarget(round_id, teams[0])
        min_size = app.config["SURVEY_MIN_GROUP_SIZE"]
        html = reports.report_html(target, min_size)

        def whole() -> None:
            db.session.remove()
            reports.report_pdf(target, min_size, use_cache=False)

        values, baselines = [], []
        for _ in range(2 if settings.quick else 7):  # interleaved, so that drift hits both alike
            values.append(median_time(whole, 1, warm_up=0 if values else 1))
            baselines.append(median_time(lambda: html_to_pdf(html), 1, warm_up=0))
        value, base = statistics.median(values), statistics.median(baselines)
        db.session.remove()
    ratio = value / base
    return Result("report_overhead", round(value, 1), "ms", round(base, 1), round(ratio, 3), "ratio <= 1.25",
                  ratio <= 1.25)


def batch_speedup(settings: Settings) -> Result:
    """20 team reports (6 with --quick) built by ``report batch``'s machinery (a worker process
    per core, each creating the app once) against the same reports built one after another in this
    process. Neither reads or writes the cache. ``ratio`` is the speedup, baseline / value."""
    from reports import batch

    with throwaway_app() as app, app.app_context(), tempfile.TemporaryDirectory() as directory:
        round_id, _ = seed_report_data()
        survey_round = db.session.get(Round, round_id)
        jobs = batch.plan(survey_round, Path(directory), organisation=False)[:6 if settings.quick else REPORT_TEAMS]
        min_size, workers = app.config["SURVEY_MIN_GROUP_SIZE"], batch.available_cores()

        def run(count: int) -> float:
            started = time.perf_counter()
            outcomes = batch.run(jobs, min_size=min_size, workers=count, settings=batch.worker_settings(app),
                                 use_cache=False)
            assert all(outcome.ok for outcome in outcomes), [o.error for o in outcomes if not o.ok]
            return time.perf_counter() - started

        batch.run(jobs[:1], min_size=min_size, workers=1, use_cache=False)  # warm up: fonts, templates
        values, baselines = [], []
        for _ in range(1 if settings.quick else 2):
            baselines.append(run(1))
            values.append(run(workers))
        value, base = statistics.median(values), statistics.median(baselines)
        log(f"batch_speedup: {len(jobs)} reports, {workers} workers: {value:.1f} s against {base:.1f} s")
        db.session.remove()
    ratio = base / value
    return Result("batch_speedup", round(value * 1000, 1), "ms", round(base * 1000, 1), round(ratio, 3),
                  f"baseline / value >= 1.6 on 2 cores ({workers} here)", ratio >= 1.6)


def report_cached(settings: Settings) -> Result:
    """The same team report asked for again with unchanged data (cache key worked out from the
    database, PDF read from the report_cache table) against its first build (built and stored)."""
    import reports
    from reports import cache

    with throwaway_app() as app, app.app_context():
        round_id, teams = seed_report_data()
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

        base = median_time(first, 2 if settings.quick else 5)
        value = median_time(again, 10 if settings.quick else 30)
        db.session.remove()
    ratio = value / base
    return Result("report_cached", round(value, 1), "ms", round(base, 1), round(ratio, 4), "ratio <= 0.05",
                  ratio <= 0.05)


BENCHMARKS: dict[str, Callable[[Settings], Result]] = {
    "dashboard_latency": dashboard_latency,
    "report_overhead": report_overhead,
    "batch_speedup": batch_speedup,
    "report_cached": report_cached,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the benchmarks; one JSON object per line on stdout.")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions: under a minute on 2 cores")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these benchmarks")
    arguments = parser.parse_args(argv)
    settings = Settings(quick=arguments.quick)
    for name in arguments.only or BENCHMARKS:
        print(json.dumps(asdict(BENCHMARKS[name](settings))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
