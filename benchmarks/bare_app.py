"""The baseline of ``submit_throughput``: a bare Flask + SQLAlchemy app that stores a respondent's
submission with the same rows as the survey, and nothing else.

Served as ``gunicorn -c gunicorn.conf.py benchmarks.bare_app:app`` (the same workers, threads
and settings as the real app) against the same database (``DATABASE_URL``), and driven by the
same client (``benchmarks.http_journey.Respondent`` with ``browse=True``), so it answers the same
21 requests per respondent at the same paths:

- ``GET /s/TOKEN``: a fixed one-line page holding a ``csrf_token`` field for the client to
  echo; no database.
- ``POST /s/TOKEN``: one SELECT of the invitation link by the token's SHA-256; INSERT of the
  ``responses`` row (with a new resume-token hash, as ``services.responses.start``); commit; a
  plain cookie ``r=RESPONSE-ROUND``; 302 to section 1.
- ``GET /survey/section/N``, ``GET /survey/check``, ``GET /survey/done``: the fixed one-line
  page; no database.
- ``POST /survey/section/N``: INSERT of that section's ``answers`` rows (the posted positions in
  paradigm orientation, ``dk`` as NULL, as ``save_section``) and UPDATE of the response's
  ``last_saved_at``; commit; 302 to the next section, or to the check page after the last.
- ``POST /survey/check``: the conditional UPDATE of ``submitted_at`` and ``last_saved_at`` (as
  ``services.responses.submit``); SELECT of the response's answers; INSERT of its
  ``respondent_scores`` rows, worked out by ``survey.scoring.respondent_dimension_scores`` as
  ``record_scores`` does; commit; 302 to the confirmation.

No templates, no forms or validation, no CSRF check, no signed session (the response id rides in
a plain cookie), no ORM objects (SQLAlchemy Core with ``text()`` statements), no security
headers, no rate limits. The questionnaire (which item belongs to which section, which items
are shown swapped) is read from the database once per process and round. Transactions behave
as the real app's: on SQLite the same pragmas (WAL, ``busy_timeout``, foreign keys) and explicit
deferred ``BEGIN``, by the very listeners of ``survey.extensions``, which apply to every engine.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from datetime import UTC, datetime
from functools import cache

from flask import Flask, Response, abort, redirect, request
from sqlalchemy import Engine, create_engine, text

import survey.extensions  # noqa: F401 - SQLite: the real app's pragmas and explicit BEGIN, for every engine
from survey.questionnaire import Questionnaire, from_data
from survey.scoring import respondent_dimension_scores


def _engine() -> Engine:
    url = os.environ["DATABASE_URL"]
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix):]
    engine = create_engine(url)  # on SQLite, survey.extensions' listeners set its pragmas and BEGIN
    return engine


app = Flask(__name__)
engine = _engine()
PAGE = '<form method="post"><input name="csrf_token" type="hidden" value="bare"></form>'


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)  # stored as the real app stores it: naive UTC


@cache
def _questionnaire(round_id: int) -> Questionnaire:
    """The round's questionnaire, read once per process."""
    with engine.connect() as connection:
        content = connection.execute(
            text("SELECT v.content FROM questionnaire_versions v JOIN rounds r ON r.questionnaire_version_id = v.id "
                 "WHERE r.id = :id"), {"id": round_id}).scalar_one()
    return from_data(content if isinstance(content, dict) else json.loads(content))


def _response() -> tuple[int, Questionnaire]:
    """The response id and its round's questionnaire, from the plain cookie ``r=RESPONSE-ROUND``."""
    response_id, _, round_id = request.cookies.get("r", "").partition("-")
    if not (response_id.isdigit() and round_id.isdigit()):
        abort(401)
    return int(response_id), _questionnaire(int(round_id))


@app.get("/healthz")
def healthz() -> str:
    return "ok"


@app.get("/s/<token>")
@app.get("/survey/section/<int:number>")
@app.get("/survey/check")
@app.get("/survey/done")
def page(token: str = "", number: int = 0) -> str:
    return PAGE


@app.post("/s/<token>")
def start(token: str) -> Response:
    now = _now()
    with engine.begin() as connection:
        link = connection.execute(
            text("SELECT id, round_id, department_id FROM invitation_links WHERE token_hash = :hash"),
            {"hash": hashlib.sha256(token.encode()).hexdigest()}).one_or_none()
        if link is None:
            abort(404)
        resume_hash = hashlib.sha256(secrets.token_urlsafe(32).encode()).hexdigest()
        response_id = connection.execute(
            text("INSERT INTO responses (round_id, department_id, link_id, resume_token_hash, source, started_at, "
                 "last_saved_at) VALUES (:round_id, :department_id, :link_id, :hash, 'online', :now, :now) "
                 "RETURNING id"),
            {"round_id": link.round_id, "department_id": link.department_id, "link_id": link.id,
             "hash": resume_hash, "now": now}).scalar_one()
    redirected = redirect("/survey/section/1")
    redirected.set_cookie("r", f"{response_id}-{link.round_id}", httponly=True)
    return redirected


@app.post("/survey/section/<int:number>")
def section(number: int) -> Response:
    response_id, questionnaire = _response()
    if not 1 <= number <= len(questionnaire.dimensions):
        abort(404)
    rows = []
    for item in questionnaire.items_in(questionnaire.dimensions[number - 1].id):
        raw = request.form.get(item.id, "")
        if raw.isdigit() and 1 <= int(raw) <= questionnaire.points:
            rows.append({"response_id": response_id, "item_id": item.id,
                         "value": item.to_paradigm(int(raw), questionnaire.points)})
        elif raw == "dk":
            rows.append({"response_id": response_id, "item_id": item.id, "value": None})
    with engine.begin() as connection:
        if rows:
            connection.execute(text("INSERT INTO answers (response_id, kind, item_id, value) "
                                    "VALUES (:response_id, 'current', :item_id, :value)"), rows)
        connection.execute(text("UPDATE responses SET last_saved_at = :now WHERE id = :id"),
                           {"now": _now(), "id": response_id})
    if number == len(questionnaire.dimensions):
        return redirect("/survey/check")
    return redirect(f"/survey/section/{number + 1}")


@app.post("/survey/check")
def check() -> Response:
    response_id, questionnaire = _response()
    now = _now()
    with engine.begin() as connection:
        updated = connection.execute(
            text("UPDATE responses SET submitted_at = :now, last_saved_at = :now "
                 "WHERE id = :id AND submitted_at IS NULL"), {"now": now, "id": response_id}).rowcount
        if updated == 1:
            given: dict[str, dict[str, int | None]] = {}
            for kind, item_id, value in connection.execute(
                    text("SELECT kind, item_id, value FROM answers WHERE response_id = :id"), {"id": response_id}):
                given.setdefault(kind, {})[item_id] = value
            rows = [{"response_id": response_id, "kind": kind, "dimension_id": dimension, "score": score}
                    for kind, answers in given.items()
                    for dimension, score in respondent_dimension_scores(questionnaire, answers).items()
                    if score is not None]
            if rows:
                connection.execute(text("INSERT INTO respondent_scores (response_id, kind, dimension_id, score) "
                                        "VALUES (:response_id, :kind, :dimension_id, :score)"), rows)
    return redirect("/survey/done")
