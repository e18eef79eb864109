"""Security headers, the Content-Security-Policy and rate limits."""

import re

import pytest

from survey import create_app
from survey.extensions import db
from survey.services import accounts
from tests.factories import LinkFactory

NONCE = re.compile(r"<script nonce=\"([^\"]+)\">")


def test_every_page_sends_a_strict_content_security_policy(client):
    link = LinkFactory()
    reply = client.get(f"/s/{link.token}")
    policy = reply.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    nonce = NONCE.search(reply.get_data(as_text=True)).group(1)
    assert f"'nonce-{nonce}'" in policy
    assert reply.headers["X-Frame-Options"] == "DENY"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Referrer-Policy"] == "same-origin"


def test_inline_scripts_all_carry_the_nonce(client):
    page = client.get("/sign-in").get_data(as_text=True)
    assert all("nonce=" in tag or "src=" in tag for tag in re.findall(r"<script[^>]*>", page))


@pytest.fixture
def limited_app(database_url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x",
                       "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True,
                       "RATELIMIT_STORAGE_URI": "memory://", "SURVEY_SIGN_IN_LIMIT": "3 per minute",
                       "SURVEY_TOKEN_LIMIT": "3 per minute"})
    yield app
    with app.app_context():
        db.engine.dispose()  # its own pool: close it now rather than leave it to the garbage collector


def test_failed_sign_ins_are_rate_limited(limited_app):
    client = limited_app.test_client()
    statuses = [client.post("/sign-in", data={"email": "nobody@example.org", "password": "wrong-password-123"})
                .status_code for _ in range(4)]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3] == 429


def test_guessing_invitation_links_is_rate_limited_but_a_real_link_is_not(limited_app):
    client = limited_app.test_client()
    statuses = [client.get(f"/s/guessed-token-number-{n:04d}").status_code for n in range(4)]
    assert statuses == [404, 404, 404, 429]
    assert "Too many attempts" in client.get("/r/another-guessed-token-0001").get_data(as_text=True)


def test_successful_look_ups_do_not_count(limited_app, database):
    link = LinkFactory()  # db.session is shared by both apps, so limited_app sees it
    client = limited_app.test_client()
    statuses = {client.get(f"/s/{link.token}").status_code for _ in range(6)}
    assert statuses == {200}


def test_passwords_are_hashed_with_argon2id(app, database):
    user, _ = accounts.create_user("hash@example.org", "consultant", "a-long-password-123")
    assert user.password_hash.startswith("$argon2id$")


def test_the_limiter_skips_only_routes_without_a_limit_of_their_own(app):
    """Routes without a limit skip the limiter's work (a request filter); the routes that have one,
    as Flask-Limiter recorded them, are exactly sign-in and the invitation and resume links."""
    from survey.security import _limited_endpoints

    with app.test_request_context():
        assert _limited_endpoints(app) == {"auth.sign_in", "respondents.start", "respondents.resume"}
