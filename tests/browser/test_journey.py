"""The respondent's journey in headless Chromium: the issue's acceptance check.

Every answer is given by clicking a radio's label, as a person would, and the stored answers are
compared with what was clicked, turned into paradigm orientation from the questionnaire itself.
"""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from survey.models import Kind
from survey.questionnaire import Item, Questionnaire
from survey.respondents.forms import position_labels

pytestmark = pytest.mark.browser

DONT_KNOW = "dk"
COMMENT = "We could do with fewer hand-offs between teams, and more time with people."


def choice_cycle(points: int) -> list[str]:
    return [str(position) for position in range(1, points + 1)] + [DONT_KNOW]


def stored_value(item: Item, choice: str, points: int) -> int | None:
    """What clicking ``choice`` must store: NULL for "I don't know"; for a swapped item (relational
    statement on the left) position p is points + 1 - p, so 1 always means fully NPM."""
    if choice == DONT_KNOW:
        return None
    position = int(choice)
    return points + 1 - position if item.swapped else position


def plan_answers(questionnaire: Questionnaire, asks_desired: bool, section_fields, step: int = 5):  # type: ignore[no-untyped-def]
    """{section number: {field name: choice}}, walking round every position and "I don't know"."""
    cycle = choice_cycle(questionnaire.points)
    plan: dict[int, dict[str, str]] = {}
    index = 0
    for number, dimension in enumerate(questionnaire.dimensions, start=1):
        plan[number] = {}
        for name, _, _ in section_fields(questionnaire, dimension.id, asks_desired):
            plan[number][name] = cycle[(index * step) % len(cycle)]
            index += 1
    return plan


def expected_answers(questionnaire: Questionnaire, asks_desired: bool, plan, section_fields):  # type: ignore[no-untyped-def]
    expected: dict[tuple[Kind, str], int | None] = {}
    for number, dimension in enumerate(questionnaire.dimensions, start=1):
        for name, kind, item_id in section_fields(questionnaire, dimension.id, asks_desired):
            item = questionnaire.item(item_id)
            expected[(kind, item_id)] = stored_value(item, plan[number][name], questionnaire.points)
    return expected


def expect_section(page: Page, questionnaire: Questionnaire, number: int) -> None:
    expect(page).to_have_url(re.compile(rf"/survey/section/{number}(\?.*)?$"))
    expect(page.locator("h1")).to_have_text(questionnaire.dimensions[number - 1].title)
    expect(page.locator(".govuk-caption-l")).to_have_text(f"Section {number} of {len(questionnaire.dimensions)}")


def test_the_whole_survey_with_desired_answers_is_stored_exactly_as_clicked(
    contexts, seed, respondent, section_fields, screenshot
):
    seeded = seed.round(desired=True)
    questionnaire = seeded.questionnaire
    points = questionnaire.points
    sections = len(questionnaire.dimensions)
    plan = plan_answers(questionnaire, True, section_fields)
    middle = (points + 1) / 2
    assert any(DONT_KNOW in choices.values() for choices in plan.values())
    assert any(
        questionnaire.item(name.removesuffix("--desired")).swapped and choice not in (DONT_KNOW, f"{middle:g}")
        for choices in plan.values()
        for name, choice in choices.items()
    ), "the plan must click a swapped item off the middle, or orientation is not tested"

    # Day one: the invitation link, sections 1-4, section 5 saved for later.
    page = contexts.new_page()
    page.goto(seeded.path)
    respondent.expect_heading(page, questionnaire.title)
    expect(page.locator(".govuk-caption-l")).to_contain_text(seeded.department)
    screenshot(page, "start")
    respondent.press(page, "Start now")

    for number in range(1, 5):
        expect_section(page, questionnaire, number)
        choices = plan[number]
        if number == 3:
            # Two questions left out: the page says which, and keeps what was chosen.
            names = list(choices)
            given, left_out = {n: choices[n] for n in names[:-2]}, names[-2:]
            respondent.answer(page, given)
            respondent.press(page, "Continue")
            summary = page.locator(".govuk-error-summary")
            expect(summary).to_be_visible()
            expect(summary.locator("a")).to_have_count(2)
            for name in left_out:
                expect(summary.locator(f'a[href="#{name}"]')).to_have_count(1)
                expect(page.locator(f"#{name}-error")).to_be_visible()
            assert page.title().startswith("Error: ")
            expect_section(page, questionnaire, 3)
            assert respondent.chosen(page) == given
            screenshot(page, "section-errors")
            respondent.answer(page, {n: choices[n] for n in left_out})
            assert respondent.chosen(page) == choices
        else:
            respondent.answer(page, choices)
        if number == 1:
            page.get_by_label(re.compile(r"Anything you would like to add")).fill(COMMENT)
            screenshot(page, "section-desktop")
        respondent.press(page, "Continue")

    expect_section(page, questionnaire, 5)
    respondent.answer(page, plan[5])
    respondent.press(page, "Save and come back later")
    respondent.expect_heading(page, "Your answers have been saved")
    resume_link = page.locator(".app-resume-link a")
    resume_url = resume_link.get_attribute("href")
    assert resume_url and resume_url.startswith(f"{seeded.base_url}/r/"), resume_url
    expect(resume_link).to_have_text(resume_url)
    screenshot(page, "saved")

    # Day two, another browser: no cookies, only the resume link.
    later = contexts.new_page()
    later.goto(resume_url)
    expect_section(later, questionnaire, 6)
    expect(later.locator(".govuk-notification-banner")).to_contain_text("Welcome back")
    for number in range(6, sections + 1):
        expect_section(later, questionnaire, number)
        respondent.answer(later, plan[number])
        respondent.press(later, "Continue")

    respondent.expect_heading(later, "Check your answers before sending them")
    expect(later.locator(".govuk-error-summary")).to_have_count(0)
    expect(later.get_by_text("Not answered", exact=True)).to_have_count(0)
    screenshot(later, "check")

    # Change one answer in section 2: a swapped item, so the page must show it as it was clicked.
    second = questionnaire.dimensions[1]
    later.get_by_role("link", name=f"Change answers about {second.title.lower()}").click()
    expect_section(later, questionnaire, 2)
    expect(later).to_have_url(re.compile(r"change=1"))
    assert respondent.chosen(later) == plan[2], "the saved answers are not shown as they were clicked"
    changed = next(item for item in questionnaire.items_in(second.id) if item.swapped)
    old = plan[2][changed.id]
    new = "1" if old != "1" else "2"
    respondent.answer(later, {changed.id: new})
    plan[2][changed.id] = new
    respondent.press(later, "Save and go back to check your answers")
    respondent.expect_heading(later, "Check your answers before sending them")
    left_statement = changed.statements()[0]
    row = later.locator(".govuk-summary-list__row").filter(has_text=left_statement)
    expect(row.locator(".govuk-summary-list__value")).to_contain_text(f"Now: {position_labels(points)[int(new) - 1]}")

    respondent.press(later, "Send answers")
    respondent.expect_heading(later, "Answers sent")
    expect(later).to_have_url(re.compile(r"/survey/done$"))
    screenshot(later, "done")

    responses = seed.responses_of(seeded)
    assert len(responses) == 1
    response = responses[0]
    assert response.submitted_at is not None
    assert response.source == "online"
    stored = {(answer.kind, answer.item_id): answer.value for answer in response.answers}
    expected = expected_answers(questionnaire, True, plan, section_fields)
    assert len(response.answers) == len(stored) == 2 * len(questionnaire.items)
    assert stored == expected
    assert stored[(Kind.CURRENT, changed.id)] == points + 1 - int(new)
    assert {comment.dimension_id: comment.text for comment in response.comments} == {
        questionnaire.dimensions[0].id: COMMENT
    }


def test_sending_twice_counts_once(contexts, seed, respondent, screenshot):
    seeded = seed.round()
    resume_token = seed.response(seeded)
    page = contexts.new_page()
    page.goto(f"/r/{resume_token}")
    respondent.expect_heading(page, "Check your answers before sending them")
    # The same check page left open in another tab: its form can still be sent.
    stale = page.context.new_page()
    stale.goto("/survey/check")
    respondent.expect_heading(stale, "Check your answers before sending them")

    respondent.press(page, "Send answers")
    respondent.expect_heading(page, "Answers sent")

    # Back to the check page: it is gone, the confirmation stands, nothing to send again.
    page.go_back()
    respondent.expect_heading(page, "Answers sent")
    expect(page.get_by_role("button", name="Send answers")).to_have_count(0)

    respondent.press(stale, "Send answers")
    respondent.expect_heading(stale, "Answers sent")
    expect(stale.locator(".govuk-notification-banner")).to_contain_text(
        "Your answers had already been sent. They have been counted once."
    )
    screenshot(stale, "already-sent")

    responses = seed.responses_of(seeded)
    assert len(responses) == 1
    assert sum(1 for response in responses if response.submitted_at is not None) == 1


def test_the_whole_survey_works_without_javascript_on_a_phone(contexts, seed, respondent, section_fields, screenshot):
    seeded = seed.round()
    questionnaire = seeded.questionnaire
    plan = plan_answers(questionnaire, False, section_fields, step=3)
    page = contexts.new_page(phone=True, javascript=False)
    page.goto(seeded.path)
    respondent.expect_heading(page, questionnaire.title)
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bjs-enabled\b"))
    respondent.press(page, "Start now")
    for number in range(1, len(questionnaire.dimensions) + 1):
        expect_section(page, questionnaire, number)
        respondent.answer(page, plan[number])
        if number == 1:
            screenshot(page, "section-phone")
        respondent.press(page, "Continue")
    respondent.expect_heading(page, "Check your answers before sending them")
    respondent.press(page, "Send answers")
    respondent.expect_heading(page, "Answers sent")

    responses = seed.responses_of(seeded)
    assert [response.submitted_at is not None for response in responses] == [True]
    stored = {(answer.kind, answer.item_id): answer.value for answer in responses[0].answers}
    assert stored == expected_answers(questionnaire, False, plan, section_fields)


@pytest.mark.parametrize(
    ("case", "status", "heading", "says", "picture"),
    [
        ("closed", 410, "This survey is closed", "You can no longer send answers", "closed"),
        ("scheduled", 403, "This survey is not open yet", "Come back to this link then", "not-yet-open"),
        ("unknown", 404, "Page not found", "check you copied the entire address", "not-found"),
        ("unknown-resume", 404, "This link does not work", "Check you copied the whole link", "resume-not-found"),
    ],
    ids=["closed", "not-yet-open", "unknown-link", "unknown-resume-link"],
)
def test_a_link_that_cannot_be_answered_shows_a_clear_page(
    contexts, seed, screenshot, case, status, heading, says, picture
):
    page = contexts.new_page()
    if case in ("closed", "scheduled"):
        seeded = seed.round(case)
        path = seeded.path
    else:
        path = ("/s/" if case == "unknown" else "/r/") + secrets.token_urlsafe(32)
    answer = page.goto(path)
    assert answer is not None and answer.status == status
    expect(page.locator("h1")).to_have_text(heading)
    expect(page.locator("main")).to_contain_text(re.compile(re.escape(says), re.IGNORECASE))
    expect(page.locator("form")).to_have_count(0)
    expect(page.locator("main button, main input")).to_have_count(0)
    if case in ("closed", "scheduled"):
        expect(page.locator("main")).to_contain_text(seeded.organisation)
    screenshot(page, picture)
