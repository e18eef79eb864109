"""Respondents over real HTTP: a driver for the load-and-kill test and the HTTP benchmarks.

Each simulated respondent does what a browser does: opens the invitation link, starts, answers
every section, saves half-way and reads its resume link, then sends its answers. Connection
failures (a server being killed and restarted) are retried as a person would retry: the same
request again, after a pause. Only loopback addresses are ever contacted.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
RESUME = re.compile(r'href="https?://[^/"]+(/r/[A-Za-z0-9_-]+)"')
RETRYABLE = (ConnectionError, http.client.HTTPException, socket.timeout, OSError)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn serving ``survey.wsgi:app`` on a loopback port, killable with SIGKILL."""

    def __init__(self, database_url: str, port: int, workers: int = 2, threads: int = 4):
        self.port = port
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "load-test-secret-key-that-is-long-enough-0123456789",
            "SURVEY_BIND": f"127.0.0.1:{port}",
            "SURVEY_WORKERS": str(workers),
            "SURVEY_THREADS": str(threads),
            "SURVEY_LOG_LEVEL": "warning",
        }
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "--access-logfile", "/dev/null",
             "survey.wsgi:app"],
            cwd=ROOT, env=self.env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.process.stderr.read().decode()[-2000:]}")
            try:
                status, _, _ = request(self.port, "GET", "/healthz")
                if status == 200:
                    return
            except RETRYABLE:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not become healthy in time")

    def kill(self) -> None:
        """SIGKILL the whole process group: master and workers die mid-request, nothing graceful."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process.stderr.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            self.process.stderr.close()


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
    """One simulated person; ``acknowledged`` once the server has said their answers were sent."""

    port_of: Callable[[], int]
    invitation: str
    answers: dict[str, str]
    sections: int
    cookie: str | None = None
    csrf: str | None = None
    resume_path: str | None = None
    acknowledged: bool = False
    retries: int = 0
    log: list[str] = field(default_factory=list)

    def _call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict[str, str], str]:
        for attempt in range(200):
            try:
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

    def run(self) -> None:
        status, _, page = self._call("GET", self.invitation)
        self.csrf = CSRF.search(page).group(1)
        status, headers, _ = self._call("POST", self.invitation, {"csrf_token": self.csrf})
        if status != 302:  # a retried start after a crash may find the form again: start once more
            raise RuntimeError(f"start answered {status}")
        for number in range(1, self.sections + 1):
            if number == self.sections // 2 and self.resume_path is None:
                self._save_and_read_resume_link(number)
            status, headers, _ = self._call("POST", f"/survey/section/{number}", self._section_body(number))
            if status != 302:
                raise RuntimeError(f"section {number} answered {status}")
        status, headers, _ = self._call("POST", "/survey/check", {"csrf_token": self.csrf})
        if status == 302 and headers.get("location", "").endswith("/survey/done"):
            self.acknowledged = True

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


def run_load(respondents: list[Respondent], concurrency: int, during: Callable[[list[Respondent]], None] | None = None
             ) -> LoadResult:
    """Run every respondent with ``concurrency`` threads; ``during`` runs alongside (e.g. a kill)."""
    started = time.perf_counter()
    helper = None
    if during is not None:
        helper = threading.Thread(target=during, args=(respondents,), daemon=True)
        helper.start()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for future in [pool.submit(r.run) for r in respondents]:
            future.result()
    if helper is not None:
        helper.join(timeout=60)
    return LoadResult(respondents, time.perf_counter() - started)


def answer_plan(questionnaire, number_of_people: int, seed: int = 7) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    """Deterministic answers per person: ``"section:item_id" -> scale position or dk``."""
    import random

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
