"""Dashboards: heatmap, department profile, trends and compare, through the test client.

The anonymity tests use one organisation with a department under the threshold
("Environmental Health", 3 people) and one hidden to protect it ("Early Help", 7 people):
no page may show either's figures, and no shown figures may give them away by difference.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from html import unescape

import pytest
from flask import g, has_app_context
from flask_login.utils import _create_identifier

from survey.extensions import db
from survey.models import Comment, Department, Organisation, Round
from survey.services.accounts import create_user
from tests.factories import DepartmentFactory, ResponseFactory, RoundFactory

MIN = 5
TINY, HIDDEN = "Environmental Health", "Early Help"
SIZES = {  # name: (parent, submitted respondents)
    "Contact Centre": (None, 12),
    HIDDEN: (None, 7),
    TINY: (None, 3),
    "Housing": (None, 0),
    "Housing Options": ("Housing", 9),
    "Tenancy Support": ("Housing", 6),
}
SECRET_COMMENT = "only-three-people-wrote-this"
SHOWN_COMMENT = "contact centre comment shown"


@dataclass
class Scenario:
    organisation: Organisation
    rounds: list[Round]
    departments: dict[str, Department]
    user: object = None
    answers: dict[tuple[int, str], list[dict]] = field(default_factory=dict)

    @property
    def round(self) -> Round:
        return self.rounds[-1]


def random_answers(rng: random.Random, questionnaire, lean: float) -> dict[str, int | None]:  # type: ignore[no-untyped-def]
    answers: dict[str, int | None] = {}
    for item in questionnaire.items:
        roll = rng.random()
        if roll < 0.05:
            continue  # not answered at all
        if roll < 0.12:
            answers[item.id] = None  # don't know
        else:
            answers[item.id] = min(max(round(rng.gauss(1 + 6 * lean, 1.5)), 1), 7)
    return answers


def build_scenario(rounds: int = 1, desired: bool = False, seed: int = 7, with_user: bool = True,
                   can_export_raw: bool = False, sizes: dict | None = None) -> Scenario:
    rng = random.Random(seed)
    sizes = sizes or SIZES
    first = RoundFactory(desired=desired, name="Round 1")
    organisation = first.organisation
    all_rounds = [first] + [RoundFactory(organisation=organisation, desired=desired, name=f"Round {n}",
                                         opens_at=first.opens_at.replace(year=first.opens_at.year + n))
                            for n in range(2, rounds + 1)]
    departments: dict[str, Department] = {}
    for name, (parent, _) in sizes.items():
        departments[name] = DepartmentFactory(organisation=organisation, name=name,
                                              parent=departments[parent] if parent else None)
    scenario = Scenario(organisation, all_rounds, departments)
    for index, survey_round in enumerate(all_rounds):
        questionnaire = survey_round.questionnaire
        for name, (_, size) in sizes.items():
            lean = 0.3 + 0.1 * index + 0.05 * (sum(map(ord, name)) % 3)
            for number in range(size):
                current = random_answers(rng, questionnaire, lean)
                wanted = random_answers(rng, questionnaire, min(lean + 0.3, 1)) if desired else {}
                response = ResponseFactory(round=survey_round, department=departments[name], submitted=True,
                                           answers=current, desired=wanted)
                scenario.answers.setdefault((survey_round.id, name), []).append(current)
                if name == TINY:
                    db.session.add(Comment(response=response, dimension_id="roles", text=SECRET_COMMENT))
                if name == "Contact Centre" and number == 0:
                    db.session.add(Comment(response=response, dimension_id="roles", text=SHOWN_COMMENT))
        if TINY in departments:
            ResponseFactory(round=survey_round, department=departments[TINY], answers={"roles-1": 7})  # not sent
    db.session.flush()
    if with_user:
        scenario.user, _ = create_user(f"consultant{seed}@example.org", "consultant", "a-long-password-123",
                                       organisations=[organisation])
        scenario.user.can_export_raw = can_export_raw
    db.session.commit()
    return scenario


def sign_in(client, user) -> None:  # type: ignore[no-untyped-def]
    """Sign in as Flask-Login would, with the session identifier its "strong" protection checks."""
    with client.application.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
        session["_id"] = identifier
    if has_app_context():  # requests share the test's app context: forget the user loaded before
        g.pop("_login_user", None)


def page(client, url: str, status: int = 200) -> str:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def text_of(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


def row_of(html: str, name: str) -> str:
    """The heatmap table row whose header names the department."""
    for row in re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", html, re.S):
        header = re.search(r"<th scope=\"row\"[^>]*>(.*?)</th>", row, re.S)
        if header and re.search(rf">{re.escape(name)}<", header.group(1)):
            return row
    raise AssertionError(f"no row for {name}")


def numbers_in(html: str) -> list[str]:
    return re.findall(r"\d+\.\d", text_of(html))


@pytest.fixture
def scenario(database) -> Scenario:  # type: ignore[no-untyped-def]
    return build_scenario(rounds=2, desired=True)


@pytest.fixture
def signed_in(client, scenario):  # type: ignore[no-untyped-def]
    sign_in(client, scenario.user)
    return client


# Access ------------------------------------------------------------------------------------------


def test_dashboards_need_sign_in(client, scenario):
    response = client.get(f"/manage/rounds/{scenario.round.id}/results")
    assert response.status_code == 302 and "sign-in" in response.headers["Location"]


def test_another_organisations_round_or_department_answers_404(signed_in, scenario):
    other = RoundFactory()
    stranger = DepartmentFactory(organisation=other.organisation)
    db.session.commit()
    page(signed_in, f"/manage/rounds/{other.id}/results", 404)
    page(signed_in, f"/manage/rounds/{scenario.round.id}/departments/{stranger.id}", 404)
    page(signed_in, f"/manage/organisations/{other.organisation_id}/trends", 404)
    page(signed_in, f"/manage/organisations/{other.organisation_id}/compare", 404)
    org = scenario.organisation.id
    page(signed_in, f"/manage/organisations/{org}/trends?department={stranger.id}", 404)
    page(signed_in, f"/manage/organisations/{org}/compare?a={other.id}:all&b={scenario.round.id}:all", 404)
    page(signed_in, f"/manage/organisations/{org}/compare?a=nonsense&b={scenario.round.id}:all", 404)


# Heatmap -----------------------------------------------------------------------------------------


def test_the_heatmap_shows_every_department_in_tree_order_with_counts_and_links(signed_in, scenario):
    html = page(signed_in, f"/manage/rounds/{scenario.round.id}/results")
    assert html.count("<h1") == 1
    assert "<caption" in html and 'scope="col"' in html and 'scope="row"' in html
    names = re.findall(r"<th scope=\"row\"[^>]*>.*?>([^<>]+)</(?:a|strong)>", html, re.S)
    assert names == ["All departments", "Contact Centre", HIDDEN, TINY, "Housing", "Housing Options",
                     "Tenancy Support"]
    assert "app-indent-1" in row_of(html, "Housing Options")
    contact = row_of(html, "Contact Centre")
    assert ">12<" in contact and len(numbers_in(contact)) == 9  # overall + eight dimensions
    assert "app-heat--" in contact and "govuk-visually-hidden" in contact
    department = scenario.departments["Contact Centre"]
    assert f"/manage/rounds/{scenario.round.id}/departments/{department.id}" in contact
    assert ">37<" in row_of(html, "All departments")
    assert f"/manage/rounds/{scenario.round.id}/export.csv" in html
    assert f"/manage/rounds/{scenario.round.id}/export.xlsx" in html
    assert "answers.csv" not in html  # no raw-export permission


def test_the_heatmap_sorts_by_any_column_on_the_server(signed_in, scenario):
    url = f"/manage/rounds/{scenario.round.id}/results"
    ascending = page(signed_in, f"{url}?sort=roles&order=asc")
    descending = page(signed_in, f"{url}?sort=roles&order=desc")

    def order(html: str) -> list[float]:
        values = []
        for name in ["Contact Centre", "Housing", "Housing Options", "Tenancy Support"]:
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row_of(html, name), re.S)
            values.append((html.index(row_of(html, name)), float(numbers_in(cells[2])[0])))
        return [value for _, value in sorted(values)]

    assert order(ascending) == sorted(order(ascending))
    assert order(descending) == sorted(order(descending), reverse=True)
    assert 'aria-sort="ascending"' in ascending and 'aria-sort="descending"' in descending
    # suppressed rows go last whatever the order
    assert descending.index(row_of(descending, TINY)) > descending.index(row_of(descending, "Tenancy Support"))
    assert "aria-sort" not in page(signed_in, f"{url}?sort=<script>&order=sideways")


def test_the_heatmap_withholds_small_and_complementary_departments(signed_in, scenario):
    html = page(signed_in, f"/manage/rounds/{scenario.round.id}/results")
    tiny, hidden = row_of(html, TINY), row_of(html, HIDDEN)
    assert f"Fewer than {MIN} responses" in tiny and numbers_in(tiny) == [] and "app-heat--" not in tiny
    assert "Hidden to protect a smaller group" in hidden and numbers_in(hidden) == []
    assert ">3<" not in tiny and ">7<" not in hidden


# Department profile ---------------------------------------------------------------------------------


def test_a_department_profile_shows_its_figures_charts_suggestions_and_comments(signed_in, scenario):
    department = scenario.departments["Contact Centre"]
    html = page(signed_in, f"/manage/rounds/{scenario.round.id}/departments/{department.id}")
    assert html.count("<h1") == 1 and "Contact Centre" in html
    assert html.count('role="img"') == 2 and "<desc" in html
    assert "Scores by dimension" in html and "Desired" in html and "Gap" in html
    assert "Why this suggestion" in html
    assert SHOWN_COMMENT in html and SECRET_COMMENT not in html
    assert "Reliability" in html and "Not shown" in html  # 12 people: alpha where >= 10 answered all items


def test_a_parent_department_profile_includes_its_teams(signed_in, scenario):
    department = scenario.departments["Housing"]
    html = page(signed_in, f"/manage/rounds/{scenario.round.id}/departments/{department.id}")
    assert "Includes Housing Options, Tenancy Support." in html
    assert "15" in text_of(html)


@pytest.mark.parametrize("name, reason", [(TINY, f"Fewer than {MIN} responses"),
                                           (HIDDEN, "Hidden to protect a smaller group")])
def test_a_withheld_department_profile_explains_and_shows_nothing(signed_in, scenario, name, reason):
    html = page(signed_in, f"/manage/rounds/{scenario.round.id}/departments/{scenario.departments[name].id}")
    assert reason in html and "No figures and no comments" in html
    assert 'role="img"' not in html and numbers_in(html) == [] and "Mean score" not in html
    assert SECRET_COMMENT not in html


# Trends --------------------------------------------------------------------------------------------


def test_trends_show_each_round_with_changes_and_a_chart(signed_in, scenario):
    org = scenario.organisation.id
    html = page(signed_in, f"/manage/organisations/{org}/trends")
    assert html.count("<h1") == 1 and html.count('role="img"') == 1
    assert "Round 1" in html and "Round 2" in html
    assert "Change since the round before" in html
    housing = scenario.departments["Housing Options"]
    html = page(signed_in, f"/manage/organisations/{org}/trends?department={housing.id}&dimension=roles")
    assert "Roles and discretion: Housing Options" in html
    page(signed_in, f"/manage/organisations/{org}/trends?dimension=nothing", 404)


def test_trends_show_no_figures_for_a_withheld_department(signed_in, scenario):
    org = scenario.organisation.id
    for name in (TINY, HIDDEN):
        html = page(signed_in, f"/manage/organisations/{org}/trends?department={scenario.departments[name].id}")
        body = html.split("<h2", 1)[1]
        assert numbers_in(body) == [], name
        assert "not shown" in body


def test_trends_mark_a_real_change(signed_in):
    built = build_scenario(rounds=1, sizes={"Big team": (None, 30)}, seed=11)
    later = RoundFactory(organisation=built.organisation, name="Later",
                         opens_at=built.round.opens_at.replace(year=built.round.opens_at.year + 1))
    team = built.departments["Big team"]
    for _ in range(30):
        ResponseFactory(round=later, department=team, submitted=True,
                        answers={item.id: 7 for item in later.questionnaire.items})
    db.session.commit()
    sign_in(signed_in, built.user)
    html = page(signed_in, f"/manage/organisations/{built.organisation.id}/trends?department={team.id}")
    assert "Real change" in html and "app-chart__real-change" in html


# Compare -------------------------------------------------------------------------------------------


def test_compare_shows_two_groups_side_by_side_with_welch_intervals(signed_in, scenario):
    org, first, last = scenario.organisation.id, scenario.rounds[0].id, scenario.rounds[1].id
    html = page(signed_in, f"/manage/organisations/{org}/compare")
    assert "<select" in html and "Compare" in html and "Difference" not in html
    housing = scenario.departments["Housing"].id
    html = page(signed_in, f"/manage/organisations/{org}/compare?a={first}:{housing}&b={last}:{housing}")
    assert "Difference (B minus A)" in html and "Welch" in html
    assert html.count("<tr class=\"govuk-table__row\">") == 1 + 9


def test_compare_of_a_team_inside_a_directorate_notes_the_overlap(signed_in, scenario):
    org, last = scenario.organisation.id, scenario.round.id
    housing, options = scenario.departments["Housing"].id, scenario.departments["Housing Options"].id
    html = page(signed_in, f"/manage/organisations/{org}/compare?a={last}:{housing}&b={last}:{options}")
    assert "Difference (B minus A)" in html and "One group contains the other" in html


@pytest.mark.parametrize("name", [TINY, HIDDEN])
def test_compare_withholds_a_suppressed_group(signed_in, scenario, name):
    org, last = scenario.organisation.id, scenario.round.id
    department = scenario.departments[name].id
    html = page(signed_in, f"/manage/organisations/{org}/compare?a={last}:all&b={last}:{department}")
    assert "nothing to compare" in html and "Difference (B minus A)" not in html
    assert numbers_in(html.split("compared with", 1)[1]) == []


def test_compare_withholds_two_nested_groups_that_differ_by_fewer_than_the_minimum(app, scenario):
    from survey.results import GroupFigures
    from survey.workspace.dashboards import overlap_withheld

    def group(key, respondents):  # type: ignore[no-untyped-def]
        return GroupFigures.known(key, str(key), None, (), respondents, False, None, ())

    with app.test_request_context():
        assert overlap_withheld("nested", group("a", 12), group("b", 9))
        assert not overlap_withheld("nested", group("a", 14), group("b", 9))
        assert not overlap_withheld("nested", group("a", 9), group("b", 9))
        assert not overlap_withheld("apart", group("a", 12), group("b", 9))


# No recovery by difference -------------------------------------------------------------------------


def test_shown_counts_cannot_recover_a_withheld_group_by_difference(signed_in, scenario):
    html = page(signed_in, f"/manage/rounds/{scenario.round.id}/results")

    def shown_n(name: str) -> int:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row_of(html, name), re.S)
        return int(text_of(cells[0]).strip()) if "Fewer than" not in cells[0] and "Hidden" not in cells[0] else 0

    organisation = shown_n("All departments")
    top_level = [name for name, (parent, _) in SIZES.items() if parent is None]
    unseen = organisation - sum(shown_n(name) for name in top_level)
    assert unseen == 0 or unseen >= MIN
    housing_unseen = shown_n("Housing") - shown_n("Housing Options") - shown_n("Tenancy Support")
    assert housing_unseen == 0 or housing_unseen >= MIN


def test_names_are_escaped_on_every_page(signed_in, scenario):
    evil = DepartmentFactory(organisation=scenario.organisation, name='<img src=x onerror="alert(1)">')
    for _ in range(MIN):
        ResponseFactory(round=scenario.round, department=evil, submitted=True, answers={"roles-1": 4})
    db.session.commit()
    org, last = scenario.organisation.id, scenario.round.id
    for url in (f"/manage/rounds/{last}/results", f"/manage/rounds/{last}/results?sort=overall",
                f"/manage/rounds/{last}/departments/{evil.id}",
                f"/manage/organisations/{org}/trends?department={evil.id}",
                f"/manage/organisations/{org}/compare?a={last}:all&b={last}:{evil.id}"):
        html = page(signed_in, url)
        assert "<img src=x" not in html, url
        assert "&lt;img src=x" in html, url


def test_pages_of_a_round_without_responses_show_no_figures_and_do_not_fail(client):
    empty = RoundFactory()
    team = DepartmentFactory(organisation=empty.organisation, name="Quiet team")
    user, _ = create_user("quiet@example.org", "viewer", "a-long-password-123", [empty.organisation])
    db.session.commit()
    sign_in(client, user)
    org = empty.organisation_id
    for url in (f"/manage/rounds/{empty.id}/results", f"/manage/rounds/{empty.id}/departments/{team.id}",
                f"/manage/organisations/{org}/trends", f"/manage/organisations/{org}/trends?department={team.id}",
                f"/manage/organisations/{org}/compare?a={empty.id}:all&b={empty.id}:{team.id}",
                f"/manage/organisations/{org}/compare?a={empty.id}:all&b={empty.id}:all"):
        body = page(client, url).split("<h1", 1)[1].split("How to read the table")[0]
        assert numbers_in(body) == [], url
