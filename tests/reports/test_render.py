"""Report HTML (cheaper to check than the PDF): contents, figures as the results show them,
suppression, accessible charts, and a URL fetcher that loads nothing but data: URLs."""

from __future__ import annotations

import base64
import json
import re
from html import unescape

import pytest

import reports
from reports import ReportTarget
from reports.render import url_fetcher
from tests.reports.scenario import HIDDEN, TINY, build

MIN = 5
METHOD_NUMBERS = {"33.3", "66.7", "0.7"}  # band limits and the alpha rule of thumb, not figures


@pytest.fixture
def scenario(database):  # type: ignore[no-untyped-def]
    return build()


def results_json(runner, survey_round, department: str) -> dict:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["results", str(survey_round.id), "--department", department, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["groups"][0]


def html_of(scenario, department: str | None = None) -> str:  # type: ignore[no-untyped-def]
    department_id = scenario.departments[department].id if department else None
    return reports.report_html(ReportTarget(scenario.round.id, department_id), MIN)


def text_of(html: str) -> str:
    body = re.sub(r"<(style|title|desc)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def one_decimal(value: float) -> str:
    return f"{value:.1f}"


def test_a_team_report_shows_what_the_results_show(scenario, runner):
    group = results_json(runner, scenario.round, "Contact Centre")
    html = html_of(scenario, "Contact Centre")
    text = text_of(html)
    assert '<html lang="en-GB">' in html
    assert "<title>Contact Centre: team report, Round 2</title>" in html
    assert f"Contact Centre scores {one_decimal(group['overall']['mean'])} on the line" in text
    for dimension in scenario.round.questionnaire.dimensions:
        figure = group["dimensions"][dimension.id]
        assert dimension.title in text
        assert f"{dimension.title} {one_decimal(figure['mean'])}" in text  # the profile table
    for suggestion in group["suggestions"][:3]:
        assert suggestion["title"] in text
    assert "Methodology and anonymity" in text and "Cronbach's alpha" in text


def test_every_contents_link_and_cross_reference_has_its_target(scenario):
    html = html_of(scenario, "Contact Centre")
    ids = set(re.findall(r' id="([^"]+)"', html))
    links = re.findall(r'href="#([^"]+)"', html)
    assert links and set(links) <= ids
    assert len(re.findall(r'<nav class="section contents"', html)) == 1


def test_every_chart_is_an_image_with_a_text_alternative_and_a_table_of_its_numbers(scenario):
    for html in (html_of(scenario, "Contact Centre"), html_of(scenario)):
        charts = re.findall(r"<img [^>]*>", html)
        assert len(charts) == html.count("<figure")
        for chart in charts:
            source, alt = re.search(r'src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]+)"', chart).groups()
            assert re.search(r"\d+(\.\d|%)", alt)  # the figures themselves, in words
            svg = base64.b64decode(source).decode()
            assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
        for figure in re.finditer(r"</figure>", html):  # a table follows each figure, before the next one
            next_figure = html.find("<figure", figure.end())
            assert "<table" in html[figure.end():next_figure if next_figure > 0 else None]


def test_the_change_since_the_previous_round_is_worded_as_real_or_not(scenario):
    text = text_of(html_of(scenario, "Contact Centre"))
    assert "since Spring" in text
    assert re.search(r"(a real change|not a real change)", text)


def test_commentary_and_branding_appear_escaped(scenario):
    from survey.extensions import db
    from survey.models import ReportCommentary

    scenario.organisation.brand_colour = "#003366"
    db.session.add(ReportCommentary(round_id=scenario.round.id, department_id=scenario.departments["Contact Centre"].id,
                                    text="Start with <b>contact</b>.\n\n- first\n- second"))
    db.session.commit()
    html = html_of(scenario, "Contact Centre")
    assert "--brand: #003366" in html
    assert "Start with &lt;b&gt;contact&lt;/b&gt;." in html and "<li>second</li>" in html


@pytest.mark.parametrize("name", [TINY, HIDDEN])
def test_a_suppressed_department_report_shows_no_figures_only_the_reason(scenario, name):
    html = html_of(scenario, name)
    text = text_of(html)
    assert "No figures for this department" in text
    assert ("Fewer than 5 responses" if name == TINY else "Hidden to protect a smaller group") in text
    assert "<img" not in html and "<svg" not in html and "<table" not in html
    assert set(re.findall(r"\d+\.\d", text)) <= METHOD_NUMBERS
    size = len(scenario.answers[(scenario.round.id, name)])
    assert f"{size} people" not in text and f"{size} responses" not in text


def test_the_organisation_report_names_withheld_departments_and_shows_none_of_their_figures(scenario, runner):
    html = html_of(scenario)
    text = text_of(html)
    everyone = json.loads(runner.invoke(args=["results", str(scenario.round.id), "--json"]).output)
    assert f"scores {one_decimal(everyone['organisation_group']['overall']['mean'])} on the line" in text
    assert f"{HIDDEN} (hidden to protect a smaller group), {TINY} (fewer than 5 responses)" in text
    for name in (TINY, HIDDEN):
        rows = re.findall(rf"<tr>\s*<th scope=\"row\"[^>]*>{name}</th>(.*?)</tr>", html, re.S)
        assert rows, name
        for row in rows:
            assert not re.search(r"\d", text_of(row).replace("fewer than 5", "")), (name, row)
    for heading in ("Heatmap of departments", "Departments ranked on each dimension", "Trends over rounds",
                    "Organisation-wide suggestions", "Methodology and anonymity"):
        assert heading in text


def test_the_url_fetcher_refuses_files_and_the_network_and_reads_data_urls():
    fetcher = url_fetcher()
    for url in ("file:///etc/passwd", "http://example.org/logo.png", "https://example.org/a.css"):
        with pytest.raises(ValueError, match="nothing but embedded data"):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"


def test_a_shown_group_without_enough_complete_answers_still_gets_a_report(database):
    from tests.factories import DepartmentFactory, ResponseFactory, RoundFactory

    survey_round = RoundFactory()
    team = DepartmentFactory(organisation=survey_round.organisation, name="Sparse")
    for _ in range(6):  # two questions each: no dimension reaches half its questions
        ResponseFactory(round=survey_round, department=team, submitted=True, answers={"roles-1": 3, "roles-2": 5})
    text = text_of(reports.report_html(ReportTarget(survey_round.id, team.id), MIN))
    assert "Too few people answered enough questions for Sparse to have an overall score." in text
    assert "No suggestion in the questionnaire fits" in text
    assert "Too few people answered enough questions for an overall score." in text_of(
        reports.report_html(ReportTarget(survey_round.id), MIN))


def test_a_first_round_has_no_trends_and_says_there_is_nothing_to_compare_with(database):
    scenario = build(rounds=1)
    team = text_of(html_of(scenario, "Contact Centre"))
    assert "No earlier round to compare with." in team and "Change since" not in team
    organisation = html_of(scenario)
    assert "Trends over rounds" not in organisation and 'href="#trends"' not in organisation
