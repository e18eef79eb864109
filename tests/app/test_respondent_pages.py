"""Respondent pages kept once rendered (``survey.respondents.pages``): each request still gets its
own CSRF token and nonce, and nothing of one respondent ever reaches another."""

import re
import time

import pytest
from flask import g
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Answer
from survey.respondents.pages import PageCache
from survey.services import responses as responses_service
from tests.app.test_respondents import answer_section, start
from tests.conftest import CSRF_FIELD
from tests.factories import LinkFactory

NONCE = re.compile(r'<script nonce="([^"]+)"')


@pytest.fixture
def link():
    return LinkFactory()


def another_respondent(client):  # type: ignore[no-untyped-def]
    """A second browser. The tests' app context outlives requests, and with it ``g``, where
    Flask-WTF keeps the CSRF token it signed for the last request: forget it, as a new request
    in production (with an app context of its own) would."""
    g.pop("csrf_token", None)
    return client.application.test_client()


def without_per_request_values(page: str) -> str:
    return NONCE.sub("NONCE", CSRF_FIELD.sub("CSRF", page))


def test_the_cache_keeps_the_most_recently_used_pages():
    cache = PageCache(size=2)
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"  # now the most recently used
    cache.put("c", "C")
    assert cache.get("b") is None and cache.get("a") == "A" and cache.get("c") == "C"
    assert len(cache) == 2


def test_a_blank_section_is_the_same_page_for_everyone_but_its_token_and_nonce(client, link):
    def first_section(respondent):  # type: ignore[no-untyped-def]
        start(respondent, link)
        reply = respondent.get("/survey/section/1")
        text = reply.get_data(as_text=True)
        assert "Section 1 of" in text and "placeholder" not in text
        nonce = NONCE.search(text).group(1)
        assert f"'nonce-{nonce}'" in reply.headers["Content-Security-Policy"]
        return without_per_request_values(text), CSRF_FIELD.search(text).group(1), nonce

    page, token, nonce = first_section(client)
    other_page, other_token, other_nonce = first_section(another_respondent(client))
    assert page == other_page
    assert token != other_token and nonce != other_nonce


def test_the_token_on_a_kept_page_is_accepted(client, link):
    start(client, link)
    client.get("/survey/section/1")  # rendered and kept
    questionnaire = link.round.questionnaire
    reply = answer_section(client, 1, questionnaire, questionnaire.dimensions[0])
    assert reply.status_code == 302 and reply.headers["Location"].endswith("/survey/section/2")


def test_saved_answers_and_comments_are_shown_never_the_blank_page(client, link):
    start(client, link)
    questionnaire = link.round.questionnaire
    dimension = questionnaire.dimensions[0]
    client.get("/survey/section/1")  # the blank page, kept
    answer_section(client, 1, questionnaire, dimension, position="3", comment="Only mine to see")
    page = client.get("/survey/section/1").get_data(as_text=True)
    assert "Only mine to see" in page
    assert page.count('value="3" checked') == len(questionnaire.items_in(dimension.id))

    other = another_respondent(client)
    start(other, link)
    blank = other.get("/survey/section/1").get_data(as_text=True)
    assert "Section 1 of" in blank
    assert "Only mine to see" not in blank and "checked" not in blank


def test_a_page_with_a_message_is_rendered_afresh_and_the_message_is_not_kept(client, link):
    start(client, link)
    questionnaire = link.round.questionnaire
    answer_section(client, 1, questionnaire, questionnaire.dimensions[0])
    client.get("/survey/section/2")  # blank: kept
    with client.session_transaction() as session:
        resume_token = session["resume_token"]
    welcome = client.get(f"/r/{resume_token}", follow_redirects=True).get_data(as_text=True)
    assert "Welcome back" in welcome and "Section 2 of" in welcome
    assert "Welcome back" not in client.get("/survey/section/2").get_data(as_text=True)
    other = another_respondent(client)
    start(other, link)
    page = other.get("/survey/section/2").get_data(as_text=True)
    assert "Section 2 of" in page and "Welcome back" not in page


def test_the_minimum_group_size_is_part_of_what_is_kept(app, client, link):
    assert "groups of 5 or more" in client.get(f"/s/{link.token}").get_data(as_text=True)
    app.config["SURVEY_MIN_GROUP_SIZE"] = 9
    try:
        assert "groups of 9 or more" in client.get(f"/s/{link.token}").get_data(as_text=True)
    finally:
        app.config["SURVEY_MIN_GROUP_SIZE"] = 5


def test_a_save_after_the_answers_were_sent_elsewhere_changes_nothing(client, link):
    """Saving a section reads nothing first (the session says which response it is); a send in
    between (another tab, another device) is caught by the save itself."""
    start(client, link)
    questionnaire = link.round.questionnaire
    for number, dimension in enumerate(questionnaire.dimensions, start=1):
        answer_section(client, number, questionnaire, dimension, position="2")
    with client.session_transaction() as session:
        resume_token = session["resume_token"]
    stale = responses_service.find_by_resume_token(resume_token)  # read before the send
    client.submit("/survey/check", {})
    before = db.session.scalar(select(func.count()).select_from(Answer).where(Answer.value == 5))
    dimension = questionnaire.dimensions[0]
    with pytest.raises(responses_service.CannotSave):
        answers = {(k, i.id): 5 for i in questionnaire.items_in(dimension.id) for k in stale.kinds}
        responses_service.save_section(stale.answering, dimension, answers, "too late")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Answer).where(Answer.value == 5)) == before


def test_the_session_cookie_is_not_signed_again_on_every_request(client, link):
    """A session lasts SURVEY_SESSION_HOURS from when it was made: a page load that changes
    nothing in it sends no new cookie (so its signed time, which the server checks, stays)."""
    start(client, link)
    client.get("/survey/section/1")
    assert "Set-Cookie" not in client.get("/survey/section/1").headers


def test_check_your_answers_is_everyones_page_with_only_the_respondents_own_answers_in_it(client, link):
    questionnaire = link.round.questionnaire
    first = questionnaire.dimensions[0]

    def check_page(respondent, position: str, comment: str) -> str:  # type: ignore[no-untyped-def]
        start(respondent, link)
        answer_section(respondent, 1, questionnaire, first, position=position, comment=comment)
        return without_per_request_values(respondent.get("/survey/check").get_data(as_text=True))

    mine = check_page(client, "1", "<b>Mine</b> & only mine")
    theirs = check_page(another_respondent(client), "7", "Theirs")
    assert "&lt;b&gt;Mine&lt;/b&gt; &amp; only mine" in mine and "<b>Mine" not in mine  # escaped, as before
    assert "Mine" not in theirs and "Theirs" not in mine
    assert "There are questions still to answer" in mine and "placeholder" not in mine + theirs
    answers = re.compile(r'(?s)<h1 class="govuk-heading-l">.*<h2 class="govuk-heading-m">Now send')
    assert answers.sub("", mine) == answers.sub("", theirs)  # the rest of the page is everyone's


def test_respondent_pages_never_load_a_signed_in_user(app, client, link, monkeypatch):
    """Templates get ``current_user`` lazily: rendering a respondent's page never asks Flask-Login
    for the user (whose session protection would also mark the respondent's session)."""
    loads = []
    monkeypatch.setattr(app.login_manager, "_load_user", lambda: loads.append(1))
    g.pop("_login_user", None)
    start(client, link)
    assert client.get("/survey/section/1").status_code == 200
    assert client.get("/survey/check").status_code == 200
    assert loads == []


def test_a_kept_page_reuses_the_token_signed_for_the_session_while_tokens_never_expire(app, client, link,
                                                                                        monkeypatch):
    import itsdangerous.timed

    start(client, link)
    questionnaire = link.round.questionnaire

    def token_on_a_kept_page(seconds_later: int) -> str:
        g.pop("csrf_token", None)  # a new request, as in production
        then = time.time() + seconds_later
        monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: then)
        page = client.get("/survey/section/2").get_data(as_text=True)
        monkeypatch.undo()
        return CSRF_FIELD.search(page).group(1)

    first, later = token_on_a_kept_page(0), token_on_a_kept_page(30)
    assert first == later  # signed once (Flask-WTF would sign it again with the new time)
    reply = answer_section(client, 1, questionnaire, questionnaire.dimensions[0], csrf_token=later)
    assert reply.status_code == 302

    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    try:
        assert token_on_a_kept_page(60) != first  # tokens that expire are signed afresh
    finally:
        app.config["WTF_CSRF_TIME_LIMIT"] = None
