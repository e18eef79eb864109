"""The management pages (``/manage/...``) through the Flask test client: organisations,
departments, rounds and invitation links, for consultants and read-only viewers."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from survey import UK_TIME
from survey.extensions import db
from survey.models import Department, InvitationLink, Organisation, Round, RoundStatus, User, utcnow
from survey.services.accounts import create_user
from survey.tokens import hash_token
from tests.factories import (
    DepartmentFactory,
    OrganisationFactory,
    QuestionnaireVersionFactory,
    ResponseFactory,
    RoundFactory,
)

PASSWORD = "a long enough password"
CSRF_VALUE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
NEW_LINK = re.compile(r'value="(http://localhost/s/([A-Za-z0-9_-]+))"')


def count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model))


def sign_in(client, role: str, organisations: list[Organisation]) -> User:  # type: ignore[no-untyped-def]
    user, _ = create_user(f"{role}-{len(organisations)}@example.org", role, PASSWORD, organisations=organisations)
    db.session.commit()
    reply = client.submit("/sign-in", {"email": user.email, "password": PASSWORD})
    assert reply.status_code == 302
    return user


def csrf_token(client, url: str) -> str:  # type: ignore[no-untyped-def]
    match = CSRF_VALUE.search(client.get(url).get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def date_parts(day: date) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


@pytest.fixture
def organisation() -> Organisation:
    return OrganisationFactory(name="Riverside Borough Council")


@pytest.fixture
def consultant(client, organisation) -> User:  # type: ignore[no-untyped-def]
    return sign_in(client, "consultant", [organisation])


# organisations ---------------------------------------------------------------------------------


def test_the_organisations_page_lists_only_the_organisations_you_can_see(client, consultant, organisation):
    OrganisationFactory(name="Someone Else's Council")
    page = client.get("/manage/").get_data(as_text=True)
    assert "Riverside Borough Council" in page
    assert "Someone Else" not in page
    assert "Create an organisation" in page


def test_a_consultant_creates_an_organisation_and_is_given_access_to_it(client, consultant):
    reply = client.submit("/manage/organisations/new", {"name": "  Northshire   County Council "})
    created = db.session.scalar(select(Organisation).filter_by(name="Northshire County Council"))
    assert created is not None
    assert reply.status_code == 302 and reply.headers["Location"] == f"/manage/organisations/{created.id}"
    assert created in db.session.get(User, consultant.id).organisations
    page = client.get(reply.headers["Location"]).get_data(as_text=True)
    assert "Northshire County Council has been created" in page


@pytest.mark.parametrize(("name", "message"), [
    ("", "Enter a name for the organisation"),
    ("   ", "Enter a name for the organisation"),
    ("x" * 201, "The name must be 200 characters or fewer"),
    ("Riverside Borough Council", "An organisation called &#39;Riverside Borough Council&#39; already exists"),
])
def test_a_bad_organisation_name_gets_a_clear_error_and_creates_nothing(client, consultant, name, message):
    before = count(Organisation)
    reply = client.submit("/manage/organisations/new", {"name": name})
    page = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert "There is a problem" in page and page.count(message) == 2  # summary and field
    assert "<title>Error: Create an organisation" in page
    assert count(Organisation) == before
    if name.strip():
        assert f'value="{name[:50]}' in page  # what was typed is kept


# departments -----------------------------------------------------------------------------------


def test_departments_are_added_inside_each_other_and_shown_as_a_tree(client, consultant, organisation):
    base = f"/manage/organisations/{organisation.id}"
    assert client.submit(f"{base}/departments/new", {"name": "Housing", "parent": ""}).status_code == 302
    housing = db.session.scalar(select(Department).filter_by(name="Housing"))
    reply = client.submit(f"{base}/departments/new", {"name": "Housing Options", "parent": str(housing.id)})
    assert reply.status_code == 302
    options = db.session.scalar(select(Department).filter_by(name="Housing Options"))
    assert options.parent_id == housing.id and options.organisation_id == organisation.id

    page = client.get(base).get_data(as_text=True)
    tree = page[page.index(">Departments</h2>"):]
    between = tree[tree.index("Housing"):tree.index("Housing Options")]
    assert '<ul class="govuk-list govuk-list--bullet">' in between  # Housing Options is nested in Housing
    assert f"/manage/departments/{options.id}/edit" in tree


def test_a_department_name_must_be_new_in_its_organisation(client, consultant, organisation):
    DepartmentFactory(organisation=organisation, name="Early Help")
    before = count(Department)
    reply = client.submit(f"/manage/organisations/{organisation.id}/departments/new", {"name": "Early  Help"})
    assert "already has a department called &#39;Early Help&#39;" in reply.get_data(as_text=True)
    assert count(Department) == before


def test_a_department_is_renamed_and_moved(client, consultant, organisation):
    care = DepartmentFactory(organisation=organisation, name="Adult Social Care")
    team = DepartmentFactory(organisation=organisation, name="Reablment")
    reply = client.submit(f"/manage/departments/{team.id}/edit", {"name": "Reablement", "parent": str(care.id)})
    assert reply.status_code == 302
    db.session.refresh(team)
    assert (team.name, team.parent_id) == ("Reablement", care.id)
    reply = client.submit(f"/manage/departments/{team.id}/edit", {"name": "Reablement", "parent": ""})
    db.session.refresh(team)
    assert team.parent_id is None


def test_the_edit_page_does_not_offer_the_department_itself_or_its_teams_as_parent(client, consultant, organisation):
    care = DepartmentFactory(organisation=organisation, name="Adult Social Care")
    DepartmentFactory(organisation=organisation, name="Reablement", parent=care)
    DepartmentFactory(organisation=organisation, name="Early Help")
    page = client.get(f"/manage/departments/{care.id}/edit").get_data(as_text=True)
    options = re.findall(r"<option [^>]*>([^<]+)</option>", page)
    assert [option.strip() for option in options] == ["None: it is not part of another department", "Early Help"]


def test_a_department_cannot_be_made_its_own_ancestor(client, consultant, organisation):
    care = DepartmentFactory(organisation=organisation, name="Adult Social Care")
    team = DepartmentFactory(organisation=organisation, name="Reablement", parent=care)
    unit = DepartmentFactory(organisation=organisation, name="Night Unit", parent=team)
    for parent, message in [
        (care, "Adult Social Care cannot be inside itself"),
        (team, "Reablement is inside Adult Social Care, so Adult Social Care cannot be put inside it"),
        (unit, "Night Unit is inside Adult Social Care, so Adult Social Care cannot be put inside it"),
    ]:
        reply = client.submit(f"/manage/departments/{care.id}/edit",
                              {"name": "Adult Social Care", "parent": str(parent.id)})
        assert reply.status_code == 200 and message in reply.get_data(as_text=True)
        db.session.refresh(care)
        assert care.parent_id is None


def test_a_department_of_another_organisation_cannot_be_chosen_as_parent(client, consultant, organisation):
    elsewhere = DepartmentFactory(name="Their Housing")
    before = count(Department)
    reply = client.submit(f"/manage/organisations/{organisation.id}/departments/new",
                          {"name": "Housing", "parent": str(elsewhere.id)})
    page = reply.get_data(as_text=True)
    assert reply.status_code == 200 and "Riverside Borough Council has no such department" in page
    assert "Their Housing" not in page
    assert count(Department) == before


# rounds ----------------------------------------------------------------------------------------


def round_form(version_id: int, **overrides):  # type: ignore[no-untyped-def]
    start = date.today() + timedelta(days=7)
    data = {"name": "Spring 2027", "questionnaire": str(version_id), "opens_at": date_parts(start),
            "closes_at": date_parts(start + timedelta(days=27)), "asks_desired": "y"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_a_consultant_creates_a_round_pinning_a_questionnaire_version(client, consultant, organisation):
    version = QuestionnaireVersionFactory()
    page = client.get(f"/manage/organisations/{organisation.id}/rounds/new").get_data(as_text=True)
    assert f'<option value="{version.id}"' in page
    assert "Also ask where people would like their team to be" in page

    data = round_form(version.id, opens_at=["1", "3", "2030"], closes_at=["31", "3", "2030"])
    reply = client.submit(f"/manage/organisations/{organisation.id}/rounds/new", data)
    created = db.session.scalar(select(Round).filter_by(name="Spring 2027"))
    assert reply.status_code == 302 and reply.headers["Location"] == f"/manage/rounds/{created.id}"
    assert created.questionnaire_version_id == version.id and created.asks_desired
    # Whole days in UK time: from the start of 1 March (GMT) to the end of 31 March (BST).
    assert created.opens_at == datetime(2030, 3, 1, tzinfo=UK_TIME)
    assert created.closes_at == datetime(2030, 3, 31, 23, 59, 59, tzinfo=UK_TIME)
    assert created.status() is RoundStatus.SCHEDULED


def test_a_round_without_a_closing_date_stays_open_until_closed(client, consultant, organisation):
    version = QuestionnaireVersionFactory()
    data = round_form(version.id, opens_at=date_parts(date.today()), closes_at=["", "", ""], asks_desired=None)
    client.submit(f"/manage/organisations/{organisation.id}/rounds/new", data)
    created = db.session.scalar(select(Round).filter_by(name="Spring 2027"))
    assert created.closes_at is None and not created.asks_desired
    assert created.status() is RoundStatus.OPEN


@pytest.mark.parametrize(("overrides", "message"), [
    ({"name": ""}, "Enter a name for the round"),
    ({"opens_at": ["", "", ""]}, "Enter the opening date"),
    ({"opens_at": ["1", "", "2030"]}, "The opening date must include a month"),
    ({"opens_at": None}, "Enter the opening date"),
    ({"opens_at": ["31", "2", "2030"]}, "The opening date must be a real date"),
    ({"opens_at": ["1", "March", "2030"]}, "The opening date must be a real date, in numbers"),
    ({"opens_at": ["1", "3", "30"]}, "The year of the opening date must have 4 numbers"),
    ({"opens_at": ["2", "3", "2030"], "closes_at": ["1", "3", "2030"]},
     "The closing date must be the same as or after the opening date"),
    ({"opens_at": ["1", "3", "2020"], "closes_at": ["2", "3", "2020"]},
     "The closing date must be today or in the future"),
    ({"questionnaire": "999999"}, "Not a valid choice"),
    ({"name": "Autumn 2025"}, "Riverside Borough Council already has a round called &#39;Autumn 2025&#39;"),
])
def test_bad_round_input_gets_a_clear_error_and_creates_nothing(client, consultant, organisation, overrides, message):
    version = QuestionnaireVersionFactory()
    RoundFactory(organisation=organisation, name="Autumn 2025")
    before = count(Round)
    reply = client.submit(f"/manage/organisations/{organisation.id}/rounds/new", round_form(version.id, **overrides))
    page = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert "There is a problem" in page and message in page
    assert count(Round) == before
    if overrides.get("name", "x"):
        assert f'value="{overrides.get("name", "Spring 2027")}"' in page  # what was typed is kept


def test_the_round_page_shows_each_departments_progress_against_the_minimum_group_size(
    client, consultant, organisation
):
    survey_round = RoundFactory(organisation=organisation, name="Spring 2026")
    housing = DepartmentFactory(organisation=organisation, name="Housing")
    options = DepartmentFactory(organisation=organisation, name="Housing Options", parent=housing)
    DepartmentFactory(organisation=organisation, name="Early Help")
    for _ in range(5):
        ResponseFactory(round=survey_round, department=options, submitted=True)
    ResponseFactory(round=survey_round, department=options)
    for _ in range(2):
        ResponseFactory(round=survey_round, department=housing, submitted=True)

    page = client.get(f"/manage/rounds/{survey_round.id}").get_data(as_text=True)
    assert re.search(r'<strong class="govuk-tag govuk-tag--green">\s*Open\s*</strong>', page)
    rows = {re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).split(" Create invitation link")[0].strip()
            for row in re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', page, re.S)}
    assert "Housing 2 2 3 more needed View results for Housing 0 links" in rows
    assert "Housing Options in Housing 6 5 Enough to show results View results for Housing Options 0 links" in rows
    assert "Early Help 0 0 5 more needed View results for Early Help 0 links" in rows
    assert "All departments 8 7" in rows
    for path in (f"/manage/rounds/{survey_round.id}/results", f"/manage/rounds/{survey_round.id}/export.csv",
                 f"/manage/rounds/{survey_round.id}/export.xlsx",
                 f"/manage/rounds/{survey_round.id}/departments/{options.id}"):
        assert f'href="{path}"' in page


def test_the_organisation_page_lists_rounds_with_status_and_answers_sent(client, consultant, organisation):
    department = DepartmentFactory(organisation=organisation)
    closed = RoundFactory(organisation=organisation, name="Spring 2025", closed=True)
    RoundFactory(organisation=organisation, name="Spring 2027", scheduled=True)
    for _ in range(3):
        ResponseFactory(round=closed, department=department, submitted=True)
    page = client.get(f"/manage/organisations/{organisation.id}").get_data(as_text=True)
    rounds = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.split("<tbody")[1].split("</tbody>")[0]))
    assert re.search(r"Spring 2027 How we work: .*?, version 1 Scheduled .*? 0 ", rounds)
    assert re.search(r"Spring 2025 How we work: .*?, version 1 Closed .*? 3 ", rounds)
    assert rounds.index("Spring 2027") < rounds.index("Spring 2025")  # newest first
    assert f'href="/manage/organisations/{organisation.id}/trends"' in page
    assert f'href="/manage/organisations/{organisation.id}/compare"' in page


# invitation links ------------------------------------------------------------------------------


def test_an_invitation_link_is_shown_once_and_opens_the_survey(client, consultant, organisation):
    survey_round = RoundFactory(organisation=organisation)
    department = DepartmentFactory(organisation=organisation, name="Early Help")
    token = csrf_token(client, "/sign-out")
    reply = client.post(f"/manage/rounds/{survey_round.id}/departments/{department.id}/links",
                        data={"csrf_token": token})
    page = reply.get_data(as_text=True)
    assert reply.status_code == 200 and reply.headers["Cache-Control"] == "no-store"
    url, plain = NEW_LINK.search(page).groups()
    assert "Copy the link now" in page and "js/copy-link.mjs" in page and "<script>" not in page.split("<main")[1]

    link = db.session.scalar(select(InvitationLink).filter_by(round_id=survey_round.id))
    assert link.department_id == department.id and link.token_hash == hash_token(plain)
    assert plain not in client.get(f"/manage/rounds/{survey_round.id}").get_data(as_text=True)
    assert "1 link" in client.get(f"/manage/rounds/{survey_round.id}").get_data(as_text=True)
    start = client.get(url.removeprefix("http://localhost"))
    assert start.status_code == 200 and "Early Help" in start.get_data(as_text=True)


def test_an_invitation_link_needs_the_csrf_token(client, consultant, organisation):
    survey_round = RoundFactory(organisation=organisation)
    department = DepartmentFactory(organisation=organisation)
    reply = client.post(f"/manage/rounds/{survey_round.id}/departments/{department.id}/links")
    assert reply.status_code == 400
    assert count(InvitationLink) == 0


def test_an_invitation_link_is_only_for_a_department_of_the_rounds_organisation(client, organisation):
    other = OrganisationFactory(name="Other Council")
    sign_in(client, "consultant", [organisation, other])
    survey_round = RoundFactory(organisation=organisation)
    theirs = DepartmentFactory(organisation=other)
    token = csrf_token(client, "/sign-out")
    reply = client.post(f"/manage/rounds/{survey_round.id}/departments/{theirs.id}/links", data={"csrf_token": token})
    assert reply.status_code == 404
    assert count(InvitationLink) == 0


# closing and editing rounds --------------------------------------------------------------------


def test_closing_a_round_early_asks_first_then_stops_new_answers(client, consultant, organisation):
    survey_round = RoundFactory(organisation=organisation, name="Spring 2026")
    department = DepartmentFactory(organisation=organisation)
    ResponseFactory(round=survey_round, department=department, submitted=True)
    ResponseFactory(round=survey_round, department=department)
    page = client.get(f"/manage/rounds/{survey_round.id}/close").get_data(as_text=True)
    assert "Close Spring 2026 now" in page and "the 1 answer already sent is kept" in page
    assert "1 person who has started but not sent" in page
    db.session.refresh(survey_round)
    assert survey_round.status() is RoundStatus.OPEN  # the question changes nothing

    reply = client.submit(f"/manage/rounds/{survey_round.id}/close")
    assert reply.status_code == 302 and reply.headers["Location"] == f"/manage/rounds/{survey_round.id}"
    db.session.refresh(survey_round)
    assert survey_round.status() is RoundStatus.CLOSED
    assert utcnow() - survey_round.closes_at < timedelta(minutes=1)
    page = client.get(reply.headers["Location"]).get_data(as_text=True)
    assert "Spring 2026 is closed" in page and "Close this round now" not in page
    assert "Create invitation link" not in page


def test_a_round_that_is_not_open_cannot_be_closed(client, consultant, organisation):
    survey_round = RoundFactory(organisation=organisation, scheduled=True)
    closes_at = survey_round.closes_at
    page = client.get(f"/manage/rounds/{survey_round.id}/close").get_data(as_text=True)
    assert "This round is scheduled, so it cannot be closed now" in page and "<form" not in page.split("<main")[1]
    token = csrf_token(client, "/sign-out")
    reply = client.post(f"/manage/rounds/{survey_round.id}/close", data={"csrf_token": token})
    assert reply.status_code == 200 and "There is a problem" in reply.get_data(as_text=True)
    db.session.refresh(survey_round)
    assert survey_round.closes_at == closes_at


def test_editing_a_round_changes_its_name_dates_and_desired_question(client, consultant, organisation):
    survey_round = RoundFactory(organisation=organisation, name="Sprnig 2026", scheduled=True)
    page = client.get(f"/manage/rounds/{survey_round.id}/edit").get_data(as_text=True)
    assert 'value="Sprnig 2026"' in page and "<select" not in page  # the version is pinned
    reply = client.submit(f"/manage/rounds/{survey_round.id}/edit", {
        "name": "Spring 2026", "opens_at": ["1", "6", "2031"], "closes_at": ["30", "6", "2031"], "asks_desired": "y",
    })
    assert reply.status_code == 302
    db.session.refresh(survey_round)
    assert survey_round.name == "Spring 2026" and survey_round.asks_desired
    assert survey_round.opens_at == datetime(2031, 6, 1, tzinfo=UK_TIME)
    assert survey_round.closes_at == datetime(2031, 6, 30, 23, 59, 59, tzinfo=UK_TIME)


def test_saving_a_round_with_its_dates_unchanged_keeps_their_exact_times(client, consultant, organisation):
    survey_round = RoundFactory(organisation=organisation, closed=True)
    opens_at, closes_at = survey_round.opens_at, survey_round.closes_at
    page = client.get(f"/manage/rounds/{survey_round.id}/edit").get_data(as_text=True)
    shown = re.findall(r'name="(opens_at|closes_at)" type="text" value="(\d*)"', page)
    data = {"name": "Renamed", "opens_at": [v for n, v in shown if n == "opens_at"],
            "closes_at": [v for n, v in shown if n == "closes_at"]}
    assert client.submit(f"/manage/rounds/{survey_round.id}/edit", data).status_code == 302
    db.session.refresh(survey_round)
    assert (survey_round.name, survey_round.opens_at, survey_round.closes_at) == ("Renamed", opens_at, closes_at)


@pytest.mark.parametrize("asks_desired", [False, True])
def test_the_desired_question_cannot_be_switched_once_anyone_has_started(
    client, consultant, organisation, asks_desired
):
    survey_round = RoundFactory(organisation=organisation, name="Spring 2026", asks_desired=asks_desired)
    ResponseFactory(round=survey_round, department=DepartmentFactory(organisation=organisation))  # not even sent
    page = client.get(f"/manage/rounds/{survey_round.id}/edit").get_data(as_text=True)
    assert "People have already started answering this round, so this can no longer be changed" in page
    data = {"name": "Spring 2026 renamed", "opens_at": date_parts(survey_round.opens_at.astimezone(UK_TIME)),
            "closes_at": date_parts(survey_round.closes_at.astimezone(UK_TIME))}
    if not asks_desired:
        data["asks_desired"] = "y"
    reply = client.submit(f"/manage/rounds/{survey_round.id}/edit", data)
    page = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert "People have already started answering this round, so whether it asks where they would like their " \
           "team to be can no longer be changed" in page
    assert 'href="#asks_desired"' in page
    db.session.refresh(survey_round)
    assert (survey_round.name, survey_round.asks_desired) == ("Spring 2026", asks_desired)


def test_the_desired_question_can_be_switched_before_anyone_answers(client, consultant, organisation):
    survey_round = RoundFactory(organisation=organisation, name="Spring 2026")
    data = {"name": "Spring 2026", "opens_at": date_parts(survey_round.opens_at.astimezone(UK_TIME)),
            "closes_at": date_parts(survey_round.closes_at.astimezone(UK_TIME)), "asks_desired": "y"}
    assert client.submit(f"/manage/rounds/{survey_round.id}/edit", data).status_code == 302
    db.session.refresh(survey_round)
    assert survey_round.asks_desired


# viewers ---------------------------------------------------------------------------------------


def test_a_viewer_can_read_everything_but_change_nothing(client, organisation):
    department = DepartmentFactory(organisation=organisation, name="Early Help")
    survey_round = RoundFactory(organisation=organisation, name="Spring 2026")
    QuestionnaireVersionFactory()
    sign_in(client, "viewer", [organisation])

    for url in ("/manage/", f"/manage/organisations/{organisation.id}", f"/manage/rounds/{survey_round.id}"):
        page = client.get(url)
        body = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "Riverside Borough Council" in body
        for action in ("Create an organisation", "Create a round", "Add a department", "Edit round",
                       "Close this round now", "Create invitation link", "/edit"):
            assert action not in body, f"{url} offers {action!r} to a viewer"

    token = csrf_token(client, "/sign-out")
    tables = (Organisation, Department, Round, InvitationLink)
    before = {table: count(table) for table in tables}
    for url in (
        "/manage/organisations/new",
        f"/manage/organisations/{organisation.id}/departments/new",
        f"/manage/departments/{department.id}/edit",
        f"/manage/organisations/{organisation.id}/rounds/new",
        f"/manage/rounds/{survey_round.id}/edit",
        f"/manage/rounds/{survey_round.id}/close",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, data={"csrf_token": token, "name": "Changed"}).status_code == 404, url
    link_url = f"/manage/rounds/{survey_round.id}/departments/{department.id}/links"
    assert client.post(link_url, data={"csrf_token": token}).status_code == 404
    assert {table: count(table) for table in tables} == before
    db.session.refresh(survey_round)
    assert survey_round.name == "Spring 2026" and survey_round.status() is RoundStatus.OPEN


def test_a_viewer_without_organisations_is_told_to_ask_for_access(client):
    sign_in(client, "viewer", [])
    page = client.get("/manage/").get_data(as_text=True)
    assert "You cannot see any organisation yet" in page and "Ask the consultant" in page


def test_the_round_and_organisation_pages_lead_to_the_reports_and_branding(client):
    survey_round = RoundFactory()
    sign_in(client, "consultant", [survey_round.organisation])
    round_page = client.get(f"/manage/rounds/{survey_round.id}").get_data(as_text=True)
    assert f'href="/manage/rounds/{survey_round.id}/reports"' in round_page
    assert client.get(f"/manage/rounds/{survey_round.id}/reports").status_code == 200
    organisation_page = client.get(f"/manage/organisations/{survey_round.organisation_id}").get_data(as_text=True)
    assert f'href="/manage/organisations/{survey_round.organisation_id}/branding"' in organisation_page
