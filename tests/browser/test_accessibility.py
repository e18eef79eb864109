"""Every respondent page passes axe-core's WCAG 2.0-2.2 A and AA rules, and the basics hold:
one h1, a page title of our own, lang="en", a working skip link, a label on every radio."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


@pytest.fixture
def audit(axe, structure):  # type: ignore[no-untyped-def]
    """axe, the page structure and the skip link, on the page as it is now."""

    def check(page: Page, label: str) -> None:
        structure(page, label)
        axe(page, label)
        check_skip_link(page, label)

    return check


def check_skip_link(page: Page, label: str) -> None:
    """The first Tab from the top of the page lands on the skip link, which takes focus to #main-content.

    A page whose error summary took focus on load is first taken back to the top (blur, then a
    fragment navigation to the top, which resets where sequential focus navigation starts)."""
    if page.evaluate("() => document.activeElement !== document.body"):
        page.evaluate("() => { document.activeElement.blur(); location.hash = ''; location.hash = 'top'; }")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => ({cls: document.activeElement.className, href: document.activeElement.getAttribute('href'),"
        " text: document.activeElement.textContent.trim()})"
    )
    assert "govuk-skip-link" in focused["cls"], f"{label}: the first Tab focused {focused}, not the skip link"
    assert focused["href"] == "#main-content" and focused["text"] == "Skip to main content", f"{label}: {focused}"
    box = page.locator(".govuk-skip-link").bounding_box()
    assert box and box["width"] > 20 and box["height"] > 10, f"{label}: the focused skip link is not shown ({box})"
    assert page.locator("main#main-content").count() == 1, f"{label}: no <main id=main-content>"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main-content$"))
    if page.evaluate("() => document.body.classList.contains('js-enabled')"):
        expect(page.locator("#main-content")).to_be_focused()


def check_radios_are_labelled(page: Page) -> int:
    """Every radio has exactly one label with text, and sits in a fieldset with a legend."""
    problems = page.evaluate(
        """() => [...document.querySelectorAll('input[type=radio]')].flatMap(input => {
            const labels = [...input.labels].map(l => l.textContent.trim()).filter(Boolean);
            const legend = input.closest('fieldset')?.querySelector('legend')?.textContent.trim();
            const wrong = [];
            if (labels.length !== 1) wrong.push(`${input.id} has ${labels.length} labels`);
            if (!legend) wrong.push(`${input.id} is not in a fieldset with a legend`);
            return wrong;
        })"""
    )
    assert not problems, "\n".join(problems)
    return page.locator("input[type=radio]").count()


def start_survey(page: Page, seeded) -> None:  # type: ignore[no-untyped-def]
    page.goto(seeded.path)
    page.get_by_role("button", name="Start now").click()
    expect(page.locator("h1")).to_have_text(seeded.questionnaire.dimensions[0].title)


def test_start_page(contexts, seed, audit):
    seeded = seed.round()
    page = contexts.new_page()
    page.goto(seeded.path)
    audit(page, "the start page")


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_question_page(contexts, seed, audit, phone):
    seeded = seed.round(desired=True)
    page = contexts.new_page(phone=phone)
    start_survey(page, seeded)
    audit(page, f"a question page ({'phone' if phone else 'desktop'})")
    questionnaire = seeded.questionnaire
    items = len(questionnaire.items_in(questionnaire.dimensions[0].id))
    assert check_radios_are_labelled(page) == items * 2 * (questionnaire.points + 1)


def test_question_page_showing_errors(contexts, seed, audit):
    seeded = seed.round()
    page = contexts.new_page()
    start_survey(page, seeded)
    page.get_by_role("button", name="Continue").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    links = summary.locator("a")
    expect(links).to_have_count(len(seeded.questionnaire.items_in(seeded.questionnaire.dimensions[0].id)))
    for href in links.evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        assert page.locator(href).count() == 1, f"the error summary links to {href}, which is not on the page"
    audit(page, "a question page showing errors")
    check_radios_are_labelled(page)
    # The error summary's link takes focus to the question's first radio.
    links.first.click()
    expect(page.locator(links.first.get_attribute("href") or "")).to_be_focused()


def test_saved_page(contexts, seed, audit):
    seeded = seed.round()
    page = contexts.new_page()
    start_survey(page, seeded)
    page.get_by_role("button", name="Save and come back later").click()
    expect(page.locator("h1")).to_have_text("Your answers have been saved")
    audit(page, "the saved page")


@pytest.mark.parametrize("complete", [False, True], ids=["unanswered-questions", "complete"])
def test_check_answers_page(contexts, seed, audit, complete):
    seeded = seed.round()
    resume_token = seed.response(seeded, sections=None if complete else 3)
    page = contexts.new_page()
    page.goto(f"/r/{resume_token}")
    if not complete:
        page.goto("/survey/check")
    expect(page.locator("h1")).to_have_text("Check your answers before sending them")
    expect(page.get_by_text("Not answered", exact=True)).to_have_count(0 if complete else 25)
    audit(page, f"the check answers page ({'complete' if complete else 'with unanswered questions'})")


def test_confirmation_page(contexts, seed, audit):
    seeded = seed.round()
    resume_token = seed.response(seeded)
    page = contexts.new_page()
    page.goto(f"/r/{resume_token}")
    page.get_by_role("button", name="Send answers").click()
    expect(page.locator("h1")).to_have_text("Answers sent")
    audit(page, "the confirmation page")


def test_withdrawal_pages(contexts, seed, audit):
    seeded = seed.round()
    resume_token = seed.response(seeded)
    page = contexts.new_page()
    page.goto(f"/r/{resume_token}")
    page.get_by_role("link", name="Delete my answers instead").click()
    expect(page.locator("h1")).to_have_text("Delete your answers")
    audit(page, "the page asking to confirm a withdrawal")
    page.get_by_role("button", name="Delete my answers").click()
    expect(page.locator("h1")).to_have_text("Your answers have been deleted")
    audit(page, "the page confirming a withdrawal")


@pytest.mark.parametrize("case", ["closed", "not-yet-open", "not-found", "session-ended"])
def test_pages_that_stop_the_journey(contexts, seed, audit, case):
    page = contexts.new_page()
    if case == "closed":
        page.goto(seed.round("closed").path)
        heading = "This survey is closed"
    elif case == "not-yet-open":
        page.goto(seed.round("scheduled").path)
        heading = "This survey is not open yet"
    elif case == "not-found":
        page.goto(f"/s/{secrets.token_urlsafe(32)}")
        heading = "Page not found"
    else:
        page.goto("/survey/section/1")
        heading = "Your session has ended"
    expect(page.locator("h1")).to_have_text(heading)
    audit(page, f"the {case} page")
