"""Signing in and out, through the Flask test client."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import pytest

from survey.extensions import db
from survey.services.accounts import create_user

PASSWORD = "correct horse battery staple"
GENERIC_ERROR = "Enter a correct email address and password"
CSRF_VALUE = re.compile(r'name="csrf_token" type="hidden" value="[^"]+"')


@pytest.fixture
def consultant():  # type: ignore[no-untyped-def]
    user, _ = create_user("consultant@example.org", "consultant", PASSWORD)
    db.session.commit()
    return user


def sign_in(client, email: str, password: str, next_url: str | None = None):  # type: ignore[no-untyped-def]
    url = "/sign-in" if next_url is None else f"/sign-in?next={quote(next_url, safe='')}"
    return client.submit(url, {"email": email, "password": password})


def is_signed_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/manage/").status_code == 200


def test_the_sign_in_page_asks_for_an_email_address_and_a_password(client):
    page = client.get("/sign-in")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<h1 class=\"govuk-heading-l\">Sign in</h1>" in body
    assert 'type="email"' in body and 'autocomplete="username"' in body
    assert 'type="password"' in body and 'autocomplete="current-password"' in body
    assert CSRF_VALUE.search(body)


def test_signing_in_opens_the_workspace_in_a_lasting_session(client, consultant):
    reply = sign_in(client, "consultant@example.org", PASSWORD)
    assert reply.status_code == 302 and reply.headers["Location"] == "/manage/"
    assert "Expires=" in reply.headers["Set-Cookie"]  # session.permanent
    assert is_signed_in(client)


def test_the_email_address_is_not_case_sensitive(client, consultant):
    sign_in(client, "  Consultant@EXAMPLE.org ", PASSWORD)
    assert is_signed_in(client)


def test_a_wrong_password_gets_one_generic_message_and_no_session(client, consultant):
    reply = sign_in(client, "consultant@example.org", "not the password at all")
    body = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert body.count(GENERIC_ERROR) == 2  # in the error summary and by the field, nowhere else
    assert "<title>Error: Sign in" in body
    assert not is_signed_in(client)


def test_an_unknown_email_gets_exactly_the_page_a_wrong_password_gets(client, consultant):
    def page_for(email: str) -> str:
        body = sign_in(client, email, "not the password at all").get_data(as_text=True)
        body = re.sub(r'nonce="[^"]+"', "", body)  # a fresh CSP nonce on every response
        return CSRF_VALUE.sub("", body).replace(email, "EMAIL")

    assert page_for("consultant@example.org") == page_for("nobody@example.org")


def test_empty_fields_each_get_their_own_message(client):
    body = sign_in(client, "", "").get_data(as_text=True)
    assert "Enter your email address" in body and "Enter your password" in body
    assert GENERIC_ERROR not in body


def test_the_password_is_never_sent_back(client, consultant):
    wrong = "my-secret-typo-password"
    body = sign_in(client, "consultant@example.org", wrong).get_data(as_text=True)
    assert wrong not in body
    reply = sign_in(client, "consultant@example.org", PASSWORD)
    pages = [reply.get_data(as_text=True), client.get("/manage/").get_data(as_text=True),
             client.get("/sign-out").get_data(as_text=True)]
    for page in pages:
        assert PASSWORD not in page and consultant.password_hash not in page


def test_signing_in_takes_you_back_to_the_page_you_asked_for(client, consultant):
    asked = client.get("/manage/organisations/12345?tab=rounds")
    assert asked.status_code == 302
    location = asked.headers["Location"]
    assert urlsplit(location).path == "/sign-in"
    reply = client.submit(location, {"email": "consultant@example.org", "password": PASSWORD})
    assert reply.headers["Location"] == "/manage/organisations/12345?tab=rounds"


@pytest.mark.parametrize("target", [
    "https://evil.example/manage/",
    "http://localhost/manage/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "/\t/evil.example/",
    "/\n/evil.example/",
    "javascript:alert(1)",
    "manage/",
    "",
])
def test_signing_in_never_redirects_off_the_site(client, consultant, target):
    reply = sign_in(client, "consultant@example.org", PASSWORD, next_url=target)
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/manage/"


def test_a_form_posted_without_its_csrf_token_is_refused(client, consultant):
    reply = client.post("/sign-in", data={"email": "consultant@example.org", "password": PASSWORD})
    assert reply.status_code == 400
    assert "Your session has expired" in reply.get_data(as_text=True)
    assert not is_signed_in(client)


def test_signing_out_asks_for_a_button_press_then_signs_you_out(client, consultant):
    sign_in(client, "consultant@example.org", PASSWORD)
    page = client.get("/sign-out").get_data(as_text=True)
    assert "<form method=\"post\"" in page and ">\n  Sign out\n</button>" in page
    assert is_signed_in(client)  # showing the page changes nothing

    reply = client.submit("/sign-out")
    assert reply.status_code == 302 and reply.headers["Location"] == "/sign-in"
    assert "You have signed out." in client.get("/sign-in").get_data(as_text=True)
    assert not is_signed_in(client)


def test_signing_out_without_the_csrf_token_is_refused(client, consultant):
    sign_in(client, "consultant@example.org", PASSWORD)
    assert client.post("/sign-out").status_code == 400
    assert is_signed_in(client)


def test_signed_out_visitors_to_the_front_page_are_sent_to_sign_in(client):
    front = client.get("/")
    assert front.status_code == 302 and front.headers["Location"] == "/manage/"
    workspace = client.get("/manage/")
    assert workspace.status_code == 302 and urlsplit(workspace.headers["Location"]).path == "/sign-in"
    assert client.get("/sign-out").headers["Location"] == "/sign-in"


def test_a_signed_in_visit_to_sign_in_goes_straight_to_the_workspace(client, consultant):
    sign_in(client, "consultant@example.org", PASSWORD)
    reply = client.get("/sign-in")
    assert reply.status_code == 302 and reply.headers["Location"] == "/manage/"
