"""The demo organisation: departments, three rounds over 18 months, synthetic responses.

Deterministic (a seeded random generator), and idempotent: a second run reuses what exists,
gives the demo consultant a fresh password and prints the same invitation links.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import insert, select

from survey.extensions import db
from survey.models import Answer, Kind, Organisation, Response, Round, utcnow
from survey.questionnaire import Questionnaire
from survey.services import accounts, structure
from survey.services import questionnaires as questionnaire_service
from survey.services.scores import record_scores

ORGANISATION = "Riverside Borough Council"
CONSULTANT = "consultant@example.org"
VIEWER = "lead@riverside.example.org"

# (name, parent, respondents per round, starting position 0..1 on the NPM-to-relational line)
DEPARTMENTS = [
    ("Adult Social Care", None, 0, 0.45),
    ("Reablement", "Adult Social Care", 14, 0.55),
    ("Hospital Discharge", "Adult Social Care", 11, 0.35),
    ("Housing", None, 0, 0.4),
    ("Housing Options", "Housing", 16, 0.3),
    ("Tenancy Support", "Housing", 12, 0.6),
    ("Customer Contact Centre", None, 18, 0.2),
    ("Early Help", None, 13, 0.65),
    ("Revenues and Benefits", None, 15, 0.25),
    ("Environmental Health", None, 3, 0.4),  # under the anonymity threshold on purpose
]
ROUNDS = [
    ("Spring 2025", 540, 510, False),
    ("Autumn 2025", 360, 330, False),
    ("Spring 2026", 20, None, True),
]


@dataclass
class DemoSummary:
    organisation: Organisation
    consultant_password: str
    viewer_password: str
    links: dict[str, str]


def set_up() -> DemoSummary:
    """Migrate, load the shipped questionnaires and seed the demo organisation (once)."""
    upgrade()
    versions = questionnaire_service.load_directory()
    version = next(v for v in versions if v.key == "npm-paradigm")
    organisation = db.session.scalar(select(Organisation).filter_by(name=ORGANISATION))
    if organisation is None:
        organisation = _seed(version)
    consultant_password = _account(CONSULTANT, "consultant", organisation)
    viewer_password = _account(VIEWER, "viewer", organisation)
    return DemoSummary(organisation, consultant_password, viewer_password, _links(organisation))


def _seed(version) -> Organisation:  # type: ignore[no-untyped-def]
    organisation = structure.create_organisation(ORGANISATION)
    for name, parent, _, _ in DEPARTMENTS:
        structure.create_department(organisation, name, parent)
    rng = random.Random(2026)
    now = utcnow()
    for index, (name, opened_days_ago, closed_days_ago, desired) in enumerate(ROUNDS):
        survey_round = structure.create_round(
            organisation, name, version, asks_desired=desired,
            opens_at=now - timedelta(days=opened_days_ago),
            closes_at=now - timedelta(days=closed_days_ago) if closed_days_ago else now + timedelta(days=28),
        )
        _seed_round(survey_round, organisation, index, rng)
    return organisation


def _seed_round(survey_round: Round, organisation: Organisation, index: int, rng: random.Random) -> None:
    questionnaire = survey_round.questionnaire
    departments = {d.name: d for d in organisation.departments}
    dimension_shift = {d.id: rng.uniform(-0.15, 0.15) for d in questionnaire.dimensions}
    answer_rows = []
    for name, _, size, start in DEPARTMENTS:
        count = size if index < 2 else round(size * 0.8)  # the open round is still filling up
        drift = 0.06 * index if start < 0.5 else 0.02 * index  # teams moving towards relational working
        for _ in range(count):
            response = Response(
                round=survey_round, department=departments[name], source="online",
                started_at=survey_round.opens_at + timedelta(hours=rng.uniform(1, 200)),
            )
            response.last_saved_at = response.submitted_at = response.started_at + timedelta(minutes=12)
            db.session.add(response)
            db.session.flush()
            answer_rows += _answers(response, questionnaire, start + drift, dimension_shift, rng)
    db.session.execute(insert(Answer), answer_rows)
    record_scores(sorted({row["response_id"] for row in answer_rows}))


def _answers(response, questionnaire: Questionnaire, position, shift, rng) -> list[dict]:  # type: ignore[no-untyped-def]
    rows = []
    person = rng.gauss(0, 0.1)
    for item in questionnaire.items:
        centre = min(max(position + shift[item.dimension] + person, 0.0), 1.0)
        kinds = [(Kind.CURRENT, centre)]
        if response.round.asks_desired:
            kinds.append((Kind.DESIRED, min(centre + rng.uniform(0.15, 0.4), 1.0)))
        for kind, where in kinds:
            if rng.random() < 0.04:
                value = None  # don't know
            else:
                value = round(1 + (questionnaire.points - 1) * min(max(rng.gauss(where, 0.15), 0), 1))
            rows.append({"response_id": response.id, "kind": kind, "item_id": item.id, "value": value})
    return rows


def _account(email: str, role: str, organisation: Organisation) -> str:
    user = accounts.find_user(email)
    if user is None:
        user, password = accounts.create_user(email, role, organisations=[organisation])
        return password
    return accounts.reset_password(user)


def _links(organisation: Organisation) -> dict[str, str]:
    """One invitation link per team for the open round, kept in instance/ so reruns print the same."""
    store = Path(current_app.instance_path) / "demo-links.json"
    open_round = max(organisation.rounds, key=lambda r: r.opens_at)
    saved = json.loads(store.read_text()) if store.exists() else {}
    database = db.engine.url.render_as_string(hide_password=True)
    if saved.get("round_id") == open_round.id and saved.get("database") == database:
        return saved["links"]
    links = {}
    for department in organisation.departments:
        if department.children:
            continue
        _, token = structure.create_link(open_round, department)
        links[department.name] = token
    store.write_text(json.dumps({"database": database, "round_id": open_round.id, "links": links}))
    store.chmod(0o600)
    return links


def describe(summary: DemoSummary, base_url: str) -> list[str]:
    lines = [
        "",
        f"Demo organisation: {summary.organisation.name}",
        f"Consultant sign-in: {CONSULTANT}  password: {summary.consultant_password}",
        f"Organisation lead (read-only): {VIEWER}  password: {summary.viewer_password}",
        "",
        "Invitation links for the open round (Spring 2026):",
    ]
    lines += [f"  {name}: {base_url}/s/{token}" for name, token in summary.links.items()]
    lines += ["", f"Serving on {base_url} (press Ctrl+C to stop)"]
    return lines

