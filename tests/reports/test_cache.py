"""The report cache: an unchanged report is served from the database; any change to what the
report depends on gives a new key, so a stale report is never served."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

import reports
from reports import ReportTarget, cache
from survey.extensions import db
from survey.models import ReportCache, ReportCommentary
from tests.factories import ResponseFactory
from tests.reports.scenario import TINY, build, fake_renderer

MIN = 5


@pytest.fixture
def scenario(database):  # type: ignore[no-untyped-def]
    return build()


@pytest.fixture
def renderer(monkeypatch):  # type: ignore[no-untyped-def]
    return fake_renderer(monkeypatch)


def pdf(scenario, name: str | None = "Contact Centre", min_size: int = MIN) -> bytes:  # type: ignore[no-untyped-def]
    department = scenario.departments[name].id if name else None
    body = reports.report_pdf(ReportTarget(scenario.round.id, department), min_size)
    db.session.commit()
    return body


def test_an_unchanged_report_is_served_from_the_cache(scenario, renderer):
    first = pdf(scenario)
    assert pdf(scenario) == first
    assert renderer.titles == ["Contact Centre: team report"]
    assert db.session.scalar(select(func.count()).select_from(ReportCache)) == 1


def test_use_cache_false_builds_again_and_stores_nothing(scenario, renderer):
    reports.report_pdf(ReportTarget(scenario.round.id, scenario.departments["Contact Centre"].id), MIN,
                       use_cache=False)
    assert len(renderer.titles) == 1
    assert db.session.scalar(select(func.count()).select_from(ReportCache)) == 0


def change_commentary(scenario) -> None:  # type: ignore[no-untyped-def]
    db.session.add(ReportCommentary(round_id=scenario.round.id, department_id=scenario.departments["Contact Centre"].id,
                                    text="A new note"))


def change_branding(scenario) -> None:  # type: ignore[no-untyped-def]
    scenario.organisation.brand_colour = "#003366"


def change_logo(scenario) -> None:  # type: ignore[no-untyped-def]
    scenario.organisation.logo, scenario.organisation.logo_type = b"<svg/>", "image/svg+xml"


def new_answers_elsewhere(scenario) -> None:  # type: ignore[no-untyped-def]
    """Another department's responses change what is suppressed, so every report may change."""
    for _ in range(3):
        ResponseFactory(round=scenario.round, department=scenario.departments[TINY], submitted=True,
                        answers={"roles-1": 4})


def an_earlier_round_changes(scenario) -> None:  # type: ignore[no-untyped-def]
    ResponseFactory(round=scenario.rounds[0], department=scenario.departments["Contact Centre"], submitted=True,
                    answers={"roles-1": 2})


def a_department_is_renamed(scenario) -> None:  # type: ignore[no-untyped-def]
    scenario.departments["Housing Options"].name = "Housing Advice"


def the_templates_change(scenario) -> None:  # type: ignore[no-untyped-def]
    cache.rendering_fingerprint.cache_clear()
    cache.TEMPLATE_VERSION += 1


@pytest.mark.parametrize("change", [change_commentary, change_branding, change_logo, new_answers_elsewhere,
                                    an_earlier_round_changes, a_department_is_renamed, the_templates_change])
def test_a_change_to_anything_the_report_depends_on_builds_it_again(scenario, renderer, change, monkeypatch):
    monkeypatch.setattr(cache, "TEMPLATE_VERSION", cache.TEMPLATE_VERSION)
    before = cache.cache_key(scenario.round, scenario.departments["Contact Centre"].id, MIN)
    pdf(scenario)
    change(scenario)
    db.session.commit()
    assert cache.cache_key(scenario.round, scenario.departments["Contact Centre"].id, MIN) != before
    pdf(scenario)
    assert len(renderer.titles) == 2
    assert db.session.scalar(select(func.count()).select_from(ReportCache)) == 1  # the old one is dropped
    cache.rendering_fingerprint.cache_clear()


def test_another_organisations_answers_leave_the_key_alone(scenario):
    key = cache.cache_key(scenario.round, None, MIN)
    ResponseFactory(submitted=True, answers={"roles-1": 3})  # in a round of its own organisation
    db.session.commit()
    assert cache.cache_key(scenario.round, None, MIN) == key


def test_the_minimum_group_size_and_the_report_are_part_of_the_key(scenario):
    team = scenario.departments["Contact Centre"].id
    keys = {cache.cache_key(scenario.round, team, MIN), cache.cache_key(scenario.round, team, MIN + 1),
            cache.cache_key(scenario.round, None, MIN)}
    assert len(keys) == 3


def test_the_rendering_fingerprint_covers_templates_stylesheet_and_code():
    names = {path.name for path in cache.RENDERING_FILES}
    assert {"team.html", "organisation.html", "_macros.html", "report.css", "render.py", "charts.py"} <= names
