"""Building many reports at once: every department's report and the organisation's, in parallel.

The parent plans the work as ids and file names and hands it to a pool of worker processes, one
per core. Each worker creates the application once (``survey.create_app``) and then builds
report after report in it, writing each PDF itself and storing it in the shared cache; a failed
report is reported with its reason and does not stop the others. With one worker the reports are
built one after another in the calling process (and its application context).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, has_app_context

from reports import ReportTarget, report_pdf
from survey.exports import filename
from survey.extensions import close_pools, db
from survey.models import Department, Round

# What a worker needs to create the same application as the parent (nothing else is passed).
WORKER_SETTINGS = ("SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS", "SECRET_KEY", "SURVEY_MIN_GROUP_SIZE",
                   "SURVEY_BASE_URL", "TESTING")


@dataclass(frozen=True)
class Job:
    target: ReportTarget
    label: str
    path: str


@dataclass(frozen=True)
class Outcome:
    job: Job
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def report_filename(survey_round: Round, department: Department | None) -> str:
    if department is None:
        return filename(survey_round.organisation.name, survey_round.name, "organisation", extension="pdf")
    return filename(survey_round.name, department.name, str(department.id), extension="pdf")


def plan(survey_round: Round, directory: Path, *, teams: Sequence[Department] | None = None,
         organisation: bool = True) -> list[Job]:
    """A job per department of the round's organisation (or per one of ``teams``), then the
    organisation report."""
    departments = sorted(survey_round.organisation.departments, key=lambda d: d.name) if teams is None else teams
    jobs = [Job(ReportTarget(survey_round.id, d.id), d.name, str(directory / report_filename(survey_round, d)))
            for d in departments]
    if organisation:
        jobs.append(Job(ReportTarget(survey_round.id), f"{survey_round.organisation.name} (organisation report)",
                        str(directory / report_filename(survey_round, None))))
    return jobs


def worker_settings(app: Flask) -> dict[str, Any]:
    return {name: app.config[name] for name in WORKER_SETTINGS if name in app.config}


def run(
    jobs: Sequence[Job],
    *,
    min_size: int,
    workers: int,
    settings: dict[str, Any] | None = None,
    use_cache: bool = True,
    on_done: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Build every job; ``settings`` (``worker_settings(app)``) are needed when ``workers > 1``."""
    done = on_done or (lambda outcome: None)
    if workers <= 1 or len(jobs) <= 1:
        outcomes = []
        for job in jobs:
            outcomes.append(_build(job, min_size, use_cache))
            done(outcomes[-1])
        return outcomes
    if settings is None:
        raise ValueError("worker processes need the application's settings")
    if has_app_context():
        db.session.commit()  # the workers read and write the database themselves
    outcomes_by_job: dict[Job, Outcome] = {}
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context, initializer=_start_worker,
                             initargs=(settings,)) as pool:
        futures = {pool.submit(_work, job, min_size, use_cache): job for job in jobs}
        for future in as_completed(futures):
            job = futures[future]
            try:
                outcome = future.result()
            except Exception as error:  # the worker process itself failed
                outcome = Outcome(job, f"the worker stopped: {type(error).__name__}: {error}")
            outcomes_by_job[job] = outcome
            done(outcome)
    return [outcomes_by_job[job] for job in jobs]


def _build(job: Job, min_size: int, use_cache: bool) -> Outcome:
    started = time.perf_counter()
    try:
        pdf = report_pdf(job.target, min_size, use_cache=use_cache)
        temporary = Path(f"{job.path}.part")
        temporary.write_bytes(pdf)
        temporary.replace(job.path)
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        return Outcome(job, f"{type(error).__name__}: {error}", time.perf_counter() - started)
    return Outcome(job, None, time.perf_counter() - started)


# In the worker processes ---------------------------------------------------------------------------

_worker_app: Flask | None = None


def _start_worker(settings: dict[str, Any]) -> None:
    """Create this worker's application, once. A forked worker first lets go of the parent's
    database connections without closing them (they still belong to the parent)."""
    global _worker_app
    if has_app_context():
        close_pools(inherited=True)
    from survey import create_app

    _worker_app = create_app(settings)


def _work(job: Job, min_size: int, use_cache: bool) -> Outcome:
    assert _worker_app is not None
    with _worker_app.app_context():
        try:
            return _build(job, min_size, use_cache)
        finally:
            db.session.remove()
