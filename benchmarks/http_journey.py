"""Respondents over real HTTP: the driver shared by the load-and-kill test (``tests/load``) and the
HTTP benchmarks (``submit_throughput``, ``no_loss`` in ``benchmarks/run.py``).

Each simulated respondent does what a browser does: opens the invitation link, starts, answers
every section, optionally saves half-way and reads its resume link, then sends its answers; with
``browse`` it also follows every redirect with a GET, as a browser loads each page. Connection
failures and 5xx answers (a server being killed and restarted) are retried as a person would
retry: the same request again, after a pause. Only loopback addresses are ever contacted.

``kill_and_restart_load`` is the whole no-loss scenario (gunicorn killed with SIGKILL mid-load,
restarted, then every acknowledged submission looked for in the database), so the test and the
benchmark run the same code and differ only in what they do with its ``NoLossReport``.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

if TYPE_CHECKING:
    from flask import Flask

    from survey.questionnaire import Questionnaire

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
RESUME = re.compile(r'href="https?://[^/"]+(/r/[A-Za-z0-9_-]+)"')
RETRYABLE = (ConnectionError, http.client.HTTPException, socket.timeout, OSError)
SECRET_KEY = "load-test-secret-key-that-is-long-enough-0123456789"  # noqa: S105 - loopback tests only


def free_port() -> int:
    """A loopback port nobody listens on now (bound to port 0 and read back)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn with the production settings (``gunicorn.conf.py``) serving ``app`` on a free
    loopback port; killable with SIGKILL and restartable on the same port.

    ``threads=None`` leaves the thread count to gunicorn.conf.py (``SURVEY_THREADS`` or its
    default). gunicorn's own log goes to a temporary file, read back when it fails to start (a
    pipe nobody reads would fill up and stall the server under an error storm).
    """

    def __init__(self, database_url: str, port: int | None = None, workers: int = 2, threads: int | None = 4,
                 app: str = "survey.wsgi:app"):
        self.port = port or free_port()
        self.app = app
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": SECRET_KEY,
            "SURVEY_BIND": f"127.0.0.1:{self.port}",
            "SURVEY_WORKERS": str(workers),
            "SURVEY_LOG_LEVEL": "warning",
        }
        if threads is not None:
            self.env["SURVEY_THREADS"] = str(threads)
        self.process: subprocess.Popen | None = None
        self._log = tempfile.TemporaryFile(mode="a+b")  # noqa: SIM115 - appended to by every start; close()

    def start(self, timeout: float = 60) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "--access-logfile", "/dev/null",
             self.app],
            cwd=ROOT, env=self.env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=self._log,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_tail()}")
            try:
                status, _, _ = request(self.port, "GET", "/healthz", timeout=5)
                if status == 200:
                    return
            except RETRYABLE:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"gunicorn did not become healthy in time: {self.log_tail()}")

    def log_tail(self, characters: int = 2000) -> str:
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-characters:]

    def kill(self) -> None:
        """SIGKILL the whole process group: master and workers die mid-request, nothing graceful."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def close(self) -> None:
        self.stop()
        self._log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def request(port: int, method: str, path: str, body: dict | None = None, cookie: str | None = None,
            timeout: float = 20) -> tuple[int, dict[str, str], str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Host": f"127.0.0.1:{port}"}
        if cookie:
            headers["Cookie"] = cookie
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text
    finally:
        connection.close()


@dataclass
class Respondent:
    """One simulated person; ``acknowledged`` once the server has said their answers were sent.

    ``browse``: load every page a redirect points at, as a browser does (section pages, check
    your answers, the confirmation), not only the form posts. ``save_halfway``: save before the
    middle section and read the resume link from the "saved" page (``resume_path``).
    """

    port_of: Callable[[], int]
    invitation: str
    answers: dict[str, str]
    sections: int
    browse: bool = False
    save_halfway: bool = True
    cookie: str | None = None
    csrf: str | None = None
    resume_path: str | None = None
    acknowledged: bool = False
    retries: int = 0
    requests: int = 0
    error: str | None = None

    def _call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict[str, str], str]:
        for attempt in range(200):
            try:
                self.requests += 1
                status, headers, text = request(self.port_of(), method, path, body, self.cookie)
            except RETRYABLE:
                self.retries += 1
                time.sleep(min(0.05 * (attempt + 1), 1.0))
                continue
            if status >= 500:
                self.retries += 1
                time.sleep(0.2)
                continue
            if "set-cookie" in headers:
                self.cookie = headers["set-cookie"].split(";", 1)[0]
            return status, headers, text
        raise RuntimeError(f"gave up on {method} {path}")

    def _follow(self, headers: dict[str, str]) -> None:
        if self.browse:
            location = urlsplit(headers["location"])
            self._call("GET", location.path + (f"?{location.query}" if location.query else ""))

    def run(self) -> None:
        status, _, page = self._call("GET", self.invitation)
        self.csrf = CSRF.search(page).group(1)
        status, headers, _ = self._call("POST", self.invitation, {"csrf_token": self.csrf})
        if status != 302:  # a retried start after a crash may find the form again: start once more
            raise RuntimeError(f"start answered {status}")
        self._follow(headers)
        for number in range(1, self.sections + 1):
            if self.save_halfway and number == self.sections // 2 and self.resume_path is None:
                self._save_and_read_resume_link(number)
            status, headers, _ = self._call("POST", f"/survey/section/{number}", self._section_body(number))
            if status != 302:
                raise RuntimeError(f"section {number} answered {status}")
            self._follow(headers)
        status, headers, _ = self._call("POST", "/survey/check", {"csrf_token": self.csrf})
        if status == 302 and headers.get("location", "").endswith("/survey/done"):
            self.acknowledged = True
            self._follow(headers)

    def _section_body(self, number: int, action: str = "continue") -> dict[str, str]:
        body = {"csrf_token": self.csrf, "action": action}
        body.update({k: v for k, v in self.answers.items() if k.startswith(f"{number}:")})
        return {k.split(":", 1)[-1]: v for k, v in body.items()}

    def _save_and_read_resume_link(self, number: int) -> None:
        self._call("POST", f"/survey/section/{number}", self._section_body(number, "save"))
        _, _, page = self._call("GET", "/survey/saved")
        self.resume_path = RESUME.search(page).group(1)


@dataclass
class LoadResult:
    respondents: list[Respondent]
    seconds: float

    @property
    def acknowledged(self) -> list[Respondent]:
        return [r for r in self.respondents if r.acknowledged]

    @property
    def failed(self) -> list[Respondent]:
        """Respondents who gave up or met an answer they could not go on from (``error`` says)."""
        return [r for r in self.respondents if r.error is not None]

    @property
    def retries(self) -> int:
        return sum(r.retries for r in self.respondents)

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.respondents)


def _run_one(respondent: Respondent) -> None:
    try:
        respondent.run()
    except Exception as error:  # noqa: BLE001 - recorded; the caller decides what a failure means
        respondent.error = f"{type(error).__name__}: {error}"


def run_load(respondents: list[Respondent], concurrency: int, during: Callable[[list[Respondent]], None] | None = None
             ) -> LoadResult:
    """Run every respondent with ``concurrency`` threads; ``during`` runs alongside (e.g. a kill).
    A respondent who fails is recorded (``error``), not raised: see ``LoadResult.failed``."""
    started = time.perf_counter()
    helper = None
    if during is not None:
        helper = threading.Thread(target=during, args=(respondents,), daemon=True)
        helper.start()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(_run_one, respondents))
    seconds = time.perf_counter() - started
    if helper is not None:
        helper.join(timeout=60)
    return LoadResult(respondents, seconds)


def answer_plan(questionnaire: Questionnaire, number_of_people: int, seed: int = 7) -> list[dict[str, str]]:
    """Deterministic answers per person: ``"section:item_id" -> scale position or dk``."""
    rng = random.Random(seed)
    plans = []
    for _ in range(number_of_people):
        plan = {}
        for number, dimension in enumerate(questionnaire.dimensions, start=1):
            for item in questionnaire.items_in(dimension.id):
                plan[f"{number}:{item.id}"] = rng.choice(["1", "2", "3", "4", "5", "6", "7", "dk"])
        plans.append(plan)
    return plans


def invitation_path(url: str) -> str:
    return urlsplit(url).path


# A survey to answer ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invitation:
    """An open round of the shipped questionnaire with one department's invitation link."""

    path: str
    organisation_id: int
    round_id: int
    questionnaire: Questionnaire
    created_version_id: int | None = None  # the questionnaire version, when this froze it

    def respondents(self, port_of: Callable[[], int], people: int, *, browse: bool = False,
                    save_halfway: bool = True, seed: int = 7) -> list[Respondent]:
        return [Respondent(port_of, self.path, plan, len(self.questionnaire.dimensions), browse=browse,
                           save_halfway=save_halfway)
                for plan in answer_plan(self.questionnaire, people, seed)]


def create_invitation(app: Flask, name: str = "Load test") -> Invitation:
    """A new organisation with one department, an open round of the shipped questionnaire (frozen
    if it is not yet) and its invitation link, committed."""
    from survey.extensions import db
    from survey.services import questionnaires, structure

    with app.app_context():
        version, created = questionnaires.load_path(questionnaires.QUESTIONNAIRE_DIR / "npm-paradigm.yaml")
        organisation = structure.create_organisation(f"{name} {uuid.uuid4().hex[:8]}")
        department = structure.create_department(organisation, "Contact Centre")
        survey_round = structure.create_round(organisation, "Load", version)
        _, token = structure.create_link(survey_round, department)
        db.session.commit()
        invitation = Invitation(f"/s/{token}", organisation.id, survey_round.id, version.questionnaire,
                                version.id if created else None)
        db.session.remove()
    return invitation


def delete_invitation(app: Flask, invitation: Invitation) -> None:
    """Remove the organisation and everything in it (rounds, responses, answers, scores), and the
    questionnaire version if ``create_invitation`` froze it and no other round uses it."""
    from sqlalchemy import delete, exists, select

    from survey.extensions import db
    from survey.models import Organisation, QuestionnaireVersion, Round

    with app.app_context():
        db.session.execute(delete(Organisation).where(Organisation.id == invitation.organisation_id))
        if invitation.created_version_id is not None and not db.session.scalar(
                select(exists().where(Round.questionnaire_version_id == invitation.created_version_id))):
            db.session.execute(delete(QuestionnaireVersion)
                               .where(QuestionnaireVersion.id == invitation.created_version_id))
        db.session.commit()
        db.session.remove()


# No lost submissions: kill the server mid-load and count what was stored -----------------------------


@dataclass(frozen=True)
class Stored:
    """What the database holds for a round after a load, against what respondents were told.

    ``stored_once``: acknowledged respondents whose submission is stored exactly once (found by
    the hash of their resume token); ``missing``: acknowledged ones not stored; ``duplicates``:
    submitted responses in the round beyond one per respondent (a second copy of someone's, or
    one that no respondent of the load accounts for).
    """

    acknowledged: int
    stored_once: int
    missing: int
    duplicates: int
    submitted: int

    @property
    def baseline(self) -> int:
        """The ``no_loss`` benchmark's baseline: submissions stored exactly once, less duplicates.
        A lost submission and a duplicate each make it differ from ``acknowledged``; they cannot
        cancel each other out."""
        return self.stored_once - self.duplicates


def count_stored(app: Flask, round_id: int, respondents: list[Respondent]) -> Stored:
    """Look for the respondents' submissions in the round, by the hashes of their resume tokens."""
    from sqlalchemy import select

    from survey.extensions import db
    from survey.models import Response
    from survey.tokens import hash_token

    acknowledged = [r for r in respondents if r.acknowledged]
    if any(r.resume_path is None for r in acknowledged):
        raise ValueError("count_stored needs every acknowledged respondent's resume link (save_halfway)")
    known = {hash_token(r.resume_path.rsplit("/", 1)[-1]): r.acknowledged for r in respondents if r.resume_path}
    with app.app_context():
        submitted = Counter(db.session.scalars(
            select(Response.resume_token_hash).where(Response.round_id == round_id, Response.submitted_at.is_not(None))
        ).all())
        db.session.remove()
    stored_once = sum(1 for token_hash, acked in known.items() if acked and submitted[token_hash] == 1)
    duplicates = sum(count - 1 for count in submitted.values()) + sum(
        count for token_hash, count in submitted.items() if token_hash not in known)
    return Stored(len(acknowledged), stored_once, len(acknowledged) - stored_once, duplicates,
                  sum(submitted.values()))


@dataclass(frozen=True)
class NoLossReport:
    load: LoadResult
    stored: Stored
    killed: bool
    acknowledged_before_kill: int
    resume_status: int | None
    resume_location: str

    @property
    def resume_link_works(self) -> bool:
        """An acknowledged respondent's resume link, after the restart, leads to "answers sent"."""
        return self.resume_status == 302 and self.resume_location.endswith("/survey/done")


def kill_and_restart_load(app: Flask, database_url: str, people: int, concurrency: int, *,
                          kill_at: float = 0.25, pause: float = 0.5, threads: int | None = 4,
                          log: Callable[[str], None] = lambda message: None) -> NoLossReport:
    """The no-loss scenario: gunicorn (2 workers) on ``database_url``; ``people`` respondents, each
    saving half-way (for their resume link), ``concurrency`` at a time; once ``kill_at`` of them
    are acknowledged the whole gunicorn process group is killed with SIGKILL, requests in flight
    fail and are retried, and after ``pause`` seconds gunicorn is started again on the same port.
    Afterwards every acknowledged submission is looked for in the database, and one acknowledged
    respondent's resume link is opened. The organisation made for it is deleted again."""
    invitation = create_invitation(app)
    server = Server(database_url, threads=threads)
    acknowledged_before_kill = [0]
    killed = threading.Event()

    def kill_and_restart(respondents: list[Respondent]) -> None:
        while sum(r.acknowledged for r in respondents) < people * kill_at:
            if all(r.acknowledged or r.error for r in respondents):
                return
            time.sleep(0.02)
        acknowledged_before_kill[0] = sum(r.acknowledged for r in respondents)
        server.kill()
        killed.set()
        log(f"killed gunicorn with {acknowledged_before_kill[0]} of {people} acknowledged")
        time.sleep(pause)  # requests in flight fail and are retried
        server.start()

    try:
        server.start()
        respondents = invitation.respondents(lambda: server.port, people, save_halfway=True)
        load = run_load(respondents, concurrency, during=kill_and_restart)
        stored = count_stored(app, invitation.round_id, respondents)
        resume_status, resume_location = None, ""
        if load.acknowledged:
            resume_status, headers, _ = request(server.port, "GET", load.acknowledged[0].resume_path)
            resume_location = headers.get("location", "")
        return NoLossReport(load, stored, killed.is_set(), acknowledged_before_kill[0], resume_status,
                            resume_location)
    finally:
        server.close()
        delete_invitation(app, invitation)
