"""A round's reports as one ZIP download, built in the request or, with ``REDIS_URL`` set, as an
RQ job whose progress the workspace shows.

The job carries ids only (the round and the minimum group size). It runs in the application
context of the worker: ``flask --app survey report worker`` runs one inside the application; a
plain ``rq worker reports`` works too, as the job then creates the application itself, once per
process. Progress (``done`` of ``total``) is kept in the job's meta; the ZIP is its result.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Flask, has_app_context
from redis import Redis
from rq import Queue, SimpleWorker, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from reports import ReportTarget, report_pdf
from reports.batch import report_filename
from survey.extensions import db
from survey.models import Round

QUEUE = "reports"
JOB_TIMEOUT = 3600
RESULT_TTL = 3600


@dataclass(frozen=True)
class Progress:
    """What the progress page shows of a job."""

    state: str  # "queued", "running", "finished" or "failed"
    done: int
    total: int
    round_id: int | None


def round_zip(survey_round: Round, min_size: int, on_progress: Callable[[int, int], None] | None = None) -> bytes:
    """Every department's report and the organisation report of a round, zipped (from the cache
    where unchanged; new reports are stored in it, flushed for the caller to commit)."""
    departments = sorted(survey_round.organisation.departments, key=lambda d: d.name)
    targets = [(ReportTarget(survey_round.id, d.id), report_filename(survey_round, d)) for d in departments]
    targets.append((ReportTarget(survey_round.id), report_filename(survey_round, None)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for done, (target, name) in enumerate(targets, start=1):
            archive.writestr(name, report_pdf(target, min_size))
            if on_progress:
                on_progress(done, len(targets))
    return buffer.getvalue()


# The job ---------------------------------------------------------------------------------------------


def build_round_zip(round_id: int, min_size: int) -> bytes:
    """The RQ job: ``round_zip`` with its progress in the job's meta."""
    job = get_current_job()

    def progress(done: int, total: int) -> None:
        if job is not None:
            job.meta.update(done=done, total=total)
            job.save_meta()

    with _app_context():
        survey_round = db.session.get(Round, round_id)
        if survey_round is None:
            raise LookupError(f"no round {round_id}")
        try:
            body = round_zip(survey_round, min_size, progress)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        return body


_job_app: Flask | None = None


@contextmanager
def _app_context() -> Iterator[None]:
    """The worker's application context, or one created once per process for a plain RQ worker."""
    global _job_app
    if has_app_context():
        yield
        return
    if _job_app is None:
        from survey import create_app

        _job_app = create_app()
    with _job_app.app_context():
        try:
            yield
        finally:
            db.session.remove()


# The workspace's side ------------------------------------------------------------------------------


def connection(redis_url: str) -> Redis:
    return Redis.from_url(redis_url)


def enqueue(redis_url: str, survey_round: Round, min_size: int) -> str:
    total = len(survey_round.organisation.departments) + 1
    job = Queue(QUEUE, connection=connection(redis_url)).enqueue(
        build_round_zip, survey_round.id, min_size, job_timeout=JOB_TIMEOUT, result_ttl=RESULT_TTL,
        failure_ttl=RESULT_TTL, meta={"round_id": survey_round.id, "done": 0, "total": total},
    )
    return job.id


def fetch(redis_url: str, job_id: str) -> Job | None:
    try:
        return Job.fetch(job_id, connection=connection(redis_url))
    except (NoSuchJobError, ValueError):
        return None


def progress(job: Job) -> Progress:
    meta = job.get_meta(refresh=True)
    status = job.get_status(refresh=False)
    state = {JobStatus.FINISHED: "finished", JobStatus.FAILED: "failed", JobStatus.STARTED: "running",
             JobStatus.STOPPED: "failed", JobStatus.CANCELED: "failed"}.get(status, "queued")
    return Progress(state, int(meta.get("done", 0)), int(meta.get("total", 0)), meta.get("round_id"))


def result(job: Job) -> bytes | None:
    value = job.return_value()
    return value if isinstance(value, bytes) else None


class AppWorker(SimpleWorker):
    """An RQ worker that runs jobs in this process's application context, one after another (no
    fork), with a fresh database session for each."""

    def perform_job(self, job: Job, queue: Queue, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().perform_job(job, queue, *args, **kwargs)
        finally:
            db.session.remove()


def work(redis_url: str, burst: bool = False) -> None:
    redis = connection(redis_url)
    AppWorker([Queue(QUEUE, connection=redis)], connection=redis).work(burst=burst)
