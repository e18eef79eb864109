"""Browser fixtures: the app served on a real port, one headless Chromium for the session, a fresh
browser context per test, seeded rounds, axe-core and screenshots.

The server thread uses its own database connections, so these tests cannot use the rolled-back
``database`` fixture: they seed through ``db.session`` in an app context and commit, under
unique names, only ever look at the rows they made, and delete them after each test.
"""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright
from sqlalchemy import delete, select
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from survey.assets import AXE_SCRIPT
from survey.extensions import close_pools, db
from survey.models import Kind, Organisation, QuestionnaireVersion, Response, utcnow
from survey.questionnaire import Questionnaire
from survey.services import responses as responses_service
from survey.services.questionnaires import QUESTIONNAIRE_DIR, load_path
from survey.services.structure import create_department, create_link, create_organisation, create_round

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
SHIPPED_QUESTIONNAIRE = QUESTIONNAIRE_DIR / "npm-paradigm.yaml"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1100, "height": 900}
PHONE = {"width": 375, "height": 740}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
GOVUK_DEFAULT_TITLE = "GOV.UK - The best place to find government services and information"


# --- the server -------------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's handler without a log line per request (errors are still logged)."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@dataclass
class LiveServer:
    app: Flask
    url: str


@pytest.fixture(scope="session")
def live_server(app: Flask, built_assets: None) -> Iterator[LiveServer]:
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            close_pools()  # the connections the server threads opened


# --- the browser ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(
            "Chromium was not found on PATH: the browser tests need Debian's chromium "
            "(apt-get install chromium); .ci/run installs it",
            pytrace=False,
        )
    browser = playwright_instance.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


class Contexts:
    """Opens browser contexts for one test and watches them for server and script errors."""

    def __init__(self, browser: Browser, base_url: str):
        self.browser = browser
        self.base_url = base_url
        self.opened: list[BrowserContext] = []
        self.problems: list[str] = []

    def new(self, *, phone: bool = False, javascript: bool = True) -> BrowserContext:
        context = self.browser.new_context(
            base_url=self.base_url,
            viewport=PHONE if phone else DESKTOP,
            java_script_enabled=javascript,
            is_mobile=phone,
            has_touch=phone,
            locale="en-GB",
        )
        context.set_default_timeout(10_000)
        context.on("response", self._on_response)
        context.on("weberror", lambda error: self.problems.append(f"script error: {error.error}"))
        context.on("console", self._on_console)
        self.opened.append(context)
        return context

    def _on_console(self, message) -> None:  # type: ignore[no-untyped-def]
        if message.type == "error" and "Content Security Policy" in message.text:
            self.problems.append(f"CSP violation: {message.text}")

    def new_page(self, *, phone: bool = False, javascript: bool = True) -> Page:
        return self.new(phone=phone, javascript=javascript).new_page()

    def _on_response(self, response: Any) -> None:
        if response.status >= 500:
            self.problems.append(f"server error {response.status} at {response.request.method} {response.url}")
        elif response.status == 404 and "/static/" in response.url:
            self.problems.append(f"missing asset {response.url}")

    def close(self) -> None:
        for context in self.opened:
            context.close()


@pytest.fixture
def contexts(browser: Browser, live_server: LiveServer, seed: Seeder) -> Iterator[Contexts]:
    """A fresh browser context (no cookies) per call; the test fails on a 5xx or a script error.

    (It asks for ``seed`` so that the contexts close before the seeded rows are deleted.)"""
    opened = Contexts(browser, live_server.url)
    try:
        yield opened
    finally:
        opened.close()
    if opened.problems:
        pytest.fail("the browser saw problems:\n" + "\n".join(opened.problems), pytrace=False)


# --- seeded data ------------------------------------------------------------------------------


@dataclass
class SeededRound:
    round_id: int
    token: str
    organisation: str
    department: str
    name: str
    questionnaire: Questionnaire
    asks_desired: bool
    base_url: str

    @property
    def path(self) -> str:
        return f"/s/{self.token}"

    @property
    def url(self) -> str:
        return self.base_url + self.path


@dataclass
class Seeder:
    """Commits rows for one test under unique names, and deletes them all afterwards, so that the
    shared database looks to the other tests as if no browser test had run."""

    app: Flask
    base_url: str
    organisation_ids: list[int] = field(default_factory=list)
    version_ids: list[int] = field(default_factory=list)

    def round(self, state: str = "open", *, desired: bool = False) -> SeededRound:
        """A round (``open``, ``closed`` or ``scheduled``) with one department and its invitation link."""
        now = utcnow()
        opens_at, closes_at = {
            "open": (now - timedelta(days=1), now + timedelta(days=30)),
            "closed": (now - timedelta(days=60), now - timedelta(days=30)),
            "scheduled": (now + timedelta(days=7), now + timedelta(days=37)),
        }[state]
        unique = uuid.uuid4().hex[:8]
        with self.app.app_context():
            version, created = load_path(SHIPPED_QUESTIONNAIRE)
            if created:
                self.version_ids.append(version.id)
            organisation = create_organisation(f"Browser Council {unique}")
            self.organisation_ids.append(organisation.id)
            department = create_department(organisation, "Adult social care")
            survey_round = create_round(
                organisation,
                f"Spring review {unique}",
                version,
                asks_desired=desired,
                opens_at=opens_at,
                closes_at=closes_at,
            )
            _, token = create_link(survey_round, department)
            db.session.commit()
            seeded = SeededRound(
                round_id=survey_round.id,
                token=token,
                organisation=organisation.name,
                department=department.name,
                name=survey_round.name,
                questionnaire=version.questionnaire,
                asks_desired=desired,
                base_url=self.base_url,
            )
        return seeded

    def response(self, seeded: SeededRound, sections: int | None = None) -> str:
        """A response in progress with the first ``sections`` sections answered (all when None),
        every answer "I don't know"; returns its resume token."""
        with self.app.app_context():
            invitation = responses_service.find_invitation(seeded.token)
            assert invitation is not None
            response, resume_token = responses_service.start(invitation)
            questionnaire = seeded.questionnaire
            dimensions = questionnaire.dimensions[: len(questionnaire.dimensions) if sections is None else sections]
            for dimension in dimensions:
                answers = {(kind, item.id): None for item in questionnaire.items_in(dimension.id)
                           for kind in response.kinds}
                responses_service.save_section(response.answering, dimension, answers, None)
            db.session.commit()
        return resume_token

    def responses_of(self, seeded: SeededRound) -> list[Response]:
        """Every response to the round, with answers and comments loaded (detached, read-only)."""
        with self.app.app_context():
            found = db.session.scalars(
                select(Response).where(Response.round_id == seeded.round_id).order_by(Response.id)
            ).all()
            for response in found:
                _ = response.answers, response.comments
            db.session.expunge_all()
            db.session.rollback()
        return list(found)

    def delete_everything(self) -> None:
        """The organisations (their departments, rounds, links, responses and answers go with them,
        through the foreign keys' ON DELETE CASCADE) and the questionnaire version if this test froze it."""
        with self.app.app_context():
            if self.organisation_ids:
                db.session.execute(delete(Organisation).where(Organisation.id.in_(self.organisation_ids)))
            if self.version_ids:
                db.session.execute(delete(QuestionnaireVersion).where(QuestionnaireVersion.id.in_(self.version_ids)))
            db.session.commit()


@pytest.fixture
def seed(live_server: LiveServer) -> Iterator[Seeder]:
    seeder = Seeder(app=live_server.app, base_url=live_server.url)
    try:
        yield seeder
    finally:
        seeder.delete_everything()


# --- axe, page structure and screenshots ------------------------------------------------------


def _describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        targets = [" ".join(map(str, node.get("target", []))) for node in violation.get("nodes", [])]
        shown = ", ".join(targets[:3]) + (f" (+{len(targets) - 3} more)" if len(targets) > 3 else "")
        lines.append(
            f"- {violation['id']} [{violation.get('impact')}]: {violation['help']} -> {shown}\n"
            f"  {violation.get('helpUrl', '')}"
        )
    return "\n".join(lines)


def run_axe(page: Page, label: str) -> None:
    """Run axe-core (WCAG 2.0-2.2 A and AA rules) and fail listing every violation."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through DevTools rather than as an inline <script>, which the page's CSP refuses.
        page.evaluate(AXE_SCRIPT.read_text())
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        AXE_TAGS,
    )
    assert results["passes"], f"axe checked nothing on {label}: is the page empty?"
    violations = results["violations"]
    if violations:
        pytest.fail(
            f"axe found {len(violations)} violation(s) on {label} ({page.url}):\n" + _describe_violations(violations)
        )


@pytest.fixture
def axe() -> Callable[[Page, str], None]:
    if not AXE_SCRIPT.exists():
        pytest.fail(f"axe-core is missing at {AXE_SCRIPT}: run flask --app survey assets", pytrace=False)
    return run_axe


def check_structure(page: Page, label: str) -> str:
    """One h1, a page title of our own that starts with it, lang="en"; returns the h1's text."""
    headings = page.locator("h1")
    assert headings.count() == 1, f"{label}: expected exactly one h1, found {headings.all_inner_texts()}"
    heading = " ".join(headings.inner_text().split())
    title = page.title()
    assert title and GOVUK_DEFAULT_TITLE not in title, f"{label}: the page title is {title!r}"
    assert title.removeprefix("Error: ").startswith(heading), f"{label}: title {title!r} does not start with the h1"
    assert page.locator("html").get_attribute("lang") == "en", f'{label}: <html> has no lang="en"'
    return heading


@pytest.fixture
def structure() -> Callable[[Page, str], str]:
    return check_structure


def save_screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    return save_screenshot


# --- the respondent's actions ----------------------------------------------------------------


class Respondent:
    """What a respondent does on the pages, as clicks and key presses."""

    @staticmethod
    def choose(page: Page, field_name: str, choice: str) -> None:
        """Click the label of one radio (a scale position "1".."k", or "dk")."""
        item = page.locator(".govuk-radios__item").filter(
            has=page.locator(f'input[type="radio"][name="{field_name}"][value="{choice}"]')
        )
        item.locator("label").click()

    @staticmethod
    def chosen(page: Page) -> dict[str, str]:
        """The radios checked in the page's form, by name."""
        return page.evaluate(
            """() => Object.fromEntries(
                [...document.querySelectorAll('input[type=radio]:checked')].map(i => [i.name, i.value]))"""
        )

    def answer(self, page: Page, choices: dict[str, str]) -> None:
        for name, choice in choices.items():
            self.choose(page, name, choice)
        checked = self.chosen(page)
        assert {name: checked.get(name) for name in choices} == choices

    @staticmethod
    def press(page: Page, button: str) -> None:
        page.get_by_role("button", name=button, exact=True).click()

    @staticmethod
    def expect_heading(page: Page, text: str) -> None:
        expect(page.locator("h1")).to_have_text(text)


@pytest.fixture
def respondent() -> Respondent:
    return Respondent()


def field_names(questionnaire: Questionnaire, dimension_id: str, asks_desired: bool) -> list[tuple[str, Kind, str]]:
    """(field name, kind, item id) of every radio group on a section page, in page order."""
    names = []
    for item in questionnaire.items_in(dimension_id):
        names.append((item.id, Kind.CURRENT, item.id))
        if asks_desired:
            names.append((f"{item.id}--desired", Kind.DESIRED, item.id))
    return names


@pytest.fixture
def section_fields() -> Callable[[Questionnaire, str, bool], list[tuple[str, Kind, str]]]:
    return field_names
