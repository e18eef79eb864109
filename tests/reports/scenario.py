"""A small organisation with two rounds for the report tests.

"Environmental Health" has 3 respondents (under the minimum group size of 5) and "Early Help"
7, hidden to protect it; "Housing" holds two teams. The second round asks for desired answers.
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass, field

from survey.extensions import db
from survey.models import Department, Organisation, Round
from tests.factories import DepartmentFactory, ResponseFactory, RoundFactory

TINY, HIDDEN = "Environmental Health", "Early Help"
SIZES = {  # name: (parent, respondents)
    "Contact Centre": (None, 12),
    HIDDEN: (None, 7),
    TINY: (None, 3),
    "Housing": (None, 0),
    "Housing Options": ("Housing", 9),
    "Tenancy Support": ("Housing", 6),
}


@dataclass
class Scenario:
    organisation: Organisation
    rounds: list[Round]
    departments: dict[str, Department]
    answers: dict[tuple[int, str], list[dict]] = field(default_factory=dict)

    @property
    def round(self) -> Round:
        return self.rounds[-1]


def answers_for(rng: random.Random, questionnaire, lean: float) -> dict[str, int | None]:  # type: ignore[no-untyped-def]
    answers: dict[str, int | None] = {}
    for item in questionnaire.items:
        roll = rng.random()
        if roll < 0.04:
            continue  # not answered
        answers[item.id] = None if roll < 0.1 else min(max(round(rng.gauss(1 + 6 * lean, 1.4)), 1), 7)
    return answers


def build(rounds: int = 2, seed: int = 11, sizes: dict | None = None) -> Scenario:
    rng = random.Random(seed)
    sizes = sizes or SIZES
    first = RoundFactory(name="Spring", closed=True)
    organisation = first.organisation
    all_rounds = [first] + [
        RoundFactory(organisation=organisation, name=f"Round {n}", desired=True,
                     opens_at=first.opens_at.replace(year=first.opens_at.year + n - 1) if n > 1 else first.opens_at)
        for n in range(2, rounds + 1)
    ]
    departments: dict[str, Department] = {}
    for name, (parent, _) in sizes.items():
        departments[name] = DepartmentFactory(organisation=organisation, name=name,
                                              parent=departments[parent] if parent else None)
    scenario = Scenario(organisation, all_rounds, departments)
    for index, survey_round in enumerate(all_rounds):
        questionnaire = survey_round.questionnaire
        for name, (_, size) in sizes.items():
            lean = 0.25 + 0.15 * index + 0.05 * (sum(map(ord, name)) % 4)
            for _ in range(size):
                current = answers_for(rng, questionnaire, lean)
                wanted = answers_for(rng, questionnaire, min(lean + 0.3, 1.0)) if survey_round.asks_desired else {}
                ResponseFactory(round=survey_round, department=departments[name], submitted=True, answers=current,
                                desired=wanted)
                scenario.answers.setdefault((survey_round.id, name), []).append(current)
    db.session.commit()
    return scenario


class FakeRenderer:
    """Stands in for WeasyPrint where a test is about something else: "renders" a report's data
    (title and the process that built it) and counts the renders."""

    def __init__(self, fail_on: str | None = None, seconds: float = 0.0):
        self.titles: list[str] = []
        self.fail_on = fail_on
        self.seconds = seconds

    def __call__(self, report) -> bytes:  # type: ignore[no-untyped-def]
        if self.fail_on and self.fail_on in report.title:
            raise RuntimeError(f"cannot render {report.title}")
        self.titles.append(report.title)
        time.sleep(self.seconds)
        return f"%PDF-fake {report.title} pid={os.getpid()}".encode()


def fake_renderer(monkeypatch, fail_on: str | None = None, seconds: float = 0.0) -> FakeRenderer:  # type: ignore[no-untyped-def]
    import reports

    renderer = FakeRenderer(fail_on, seconds)
    monkeypatch.setattr(reports, "render_pdf", renderer)
    return renderer
