"""The workspace as a consultant uses it, in headless Chromium: sign in, then every kind of page
(organisations, organisation, round, heatmap, department profile, trends, compare, audit log), each checked
with axe-core (WCAG 2.2 AA) and for its structure, and screenshotted for people to look at."""

from __future__ import annotations

import random
import uuid

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete

from survey.extensions import db
from survey.models import AuditEvent, Round, User
from survey.services import accounts
from survey.services import responses as responses_service
from survey.services.structure import create_department, create_link

pytestmark = pytest.mark.browser
PASSWORD = "a long enough password 123"


def submit_responses(link_token: str, how_many: int, rng: random.Random) -> None:
    invitation = responses_service.find_invitation(link_token)
    questionnaire = invitation.questionnaire
    for _ in range(how_many):
        response, _ = responses_service.start(invitation)
        for dimension in questionnaire.dimensions:
            answers = {(kind, item.id): rng.choice([None, 1, 2, 3, 4, 5, 6, 7])
                       for item in questionnaire.items_in(dimension.id) for kind in response.kinds}
            responses_service.save_section(response.answering, dimension, answers, "A comment about this")
        responses_service.submit(response)


@pytest.fixture
def workspace(seed, live_server):  # type: ignore[no-untyped-def]
    """A round with teams of 8, 6 and 2 (under the threshold), and a consultant."""
    seeded = seed.round(desired=True)
    rng = random.Random(5)
    email = f"consultant-{uuid.uuid4().hex[:8]}@example.org"
    with live_server.app.app_context():
        survey_round = db.session.get(Round, seeded.round_id)
        small = create_department(survey_round.organisation, "Small team")
        _, small_token = create_link(survey_round, small)
        third = create_department(survey_round.organisation, "Third team")
        _, third_token = create_link(survey_round, third)
        submit_responses(seeded.token, 8, rng)
        submit_responses(small_token, 2, rng)
        submit_responses(third_token, 6, rng)  # suppressed too, so that the team of 8 can be shown
        user, _ = accounts.create_user(email, "consultant", PASSWORD, organisations=[survey_round.organisation])
        db.session.commit()
        ids = {"round": survey_round.id, "organisation": survey_round.organisation_id,
               "department": responses_service.find_invitation(seeded.token).department_id, "small": small.id}
    yield email, ids
    with live_server.app.app_context():
        db.session.execute(delete(AuditEvent).where(AuditEvent.user_email == email))  # its sign-ins
        db.session.execute(delete(User).where(User.email == email))
        db.session.commit()


def sign_in(page: Page, email: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_be_visible()


def test_every_kind_of_workspace_page_passes_axe(contexts, workspace, axe, structure, screenshot):
    email, ids = workspace
    page = contexts.new_page()
    sign_in(page, email)
    pages = {
        "organisations": "/manage/",
        "organisation": f"/manage/organisations/{ids['organisation']}",
        "round": f"/manage/rounds/{ids['round']}",
        "heatmap": f"/manage/rounds/{ids['round']}/results",
        "profile": f"/manage/rounds/{ids['round']}/departments/{ids['department']}",
        "profile-suppressed": f"/manage/rounds/{ids['round']}/departments/{ids['small']}",
        "trends": f"/manage/organisations/{ids['organisation']}/trends",
        "compare": f"/manage/organisations/{ids['organisation']}/compare",
        "audit-log": f"/manage/organisations/{ids['organisation']}/audit",
    }
    for name, path in pages.items():
        reply = page.goto(path)
        assert reply is not None and reply.status == 200, f"{path} answered {reply and reply.status}"
        if name == "profile":
            expect(page.get_by_text("Hidden to protect a smaller group")).to_have_count(0)
        structure(page, f"the {name} page")
        axe(page, f"the {name} page")
        screenshot(page, f"workspace-{name}")


def test_the_workspace_works_on_a_phone(contexts, workspace, axe, screenshot):
    email, ids = workspace
    page = contexts.new_page(phone=True)
    sign_in(page, email)
    for name, path in {"round": f"/manage/rounds/{ids['round']}",
                       "heatmap": f"/manage/rounds/{ids['round']}/results"}.items():
        page.goto(path)
        axe(page, f"the {name} page on a phone")
        screenshot(page, f"workspace-{name}-phone")
