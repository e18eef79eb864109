"""Security headers, the Content-Security-Policy and rate limits."""

import re
import time

import pytest

from survey import create_app
from survey.extensions import close_pools
from survey.services import accounts
from tests.app.test_access import header_problems
from tests.factories import LinkFactory

NONCE = re.compile(r"<script nonce=\"([^\"]+)\">")


def test_every_page_sends_a_strict_content_security_policy(client):
    """One page up close; the route walks (tests/app/test_access.py) check every answer alike."""
    link = LinkFactory()
    reply = client.get(f"/s/{link.token}")
    assert NONCE.search(reply.get_data(as_text=True)), "the page's inline script carries no nonce"
    assert header_problems(f"GET /s/{link.token}", reply) == []


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
        close_pools()  # its own pools: close them now rather than leave them to the garbage collector


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


def test_the_limiter_runs_only_on_routes_with_a_limit_of_their_own(limited_app):
    """Flask-Limiter's hooks run on the routes that have a limit, as Flask-Limiter recorded them
    (sign-in and the invitation and resume links), and nowhere else."""
    from survey.security import _limited_endpoints

    app = limited_app
    with app.test_request_context():
        assert _limited_endpoints(app) == {"auth.sign_in", "respondents.start", "respondents.resume"}

    def limiter_looked(path: str) -> bool:
        with app.test_request_context(path) as context:
            app.full_dispatch_request()
            return hasattr(context, "_limiter_request_context")  # where Flask-Limiter keeps its work

    assert limiter_looked("/sign-in")
    assert not limiter_looked("/survey/section/1")
    assert not limiter_looked("/healthz")


def test_a_session_cookie_is_checked_once_but_still_ends_with_its_lifetime(app, client, monkeypatch):
    """The session interface reuses a cookie it has verified before; a cookie past the session's
    lifetime, or with a changed signature, is still no session at all."""
    from survey import security

    link = LinkFactory()
    client.submit(f"/s/{link.token}", {})
    assert client.get("/survey/section/1").status_code == 200
    assert client.get("/survey/section/1").status_code == 200  # the verified cookie, reused
    cookie = client.get_cookie("session")

    lifetime = app.permanent_session_lifetime.total_seconds()
    later = time.time() + lifetime + 5
    monkeypatch.setattr(security.time, "time", lambda: later)
    assert client.get("/survey/section/1").status_code == 401  # "your session has ended"
    monkeypatch.undo()
    assert client.get("/survey/section/1").status_code == 200

    client.set_cookie("session", cookie.value[:-2] + ("AA" if not cookie.value.endswith("AA") else "BB"))
    assert client.get("/survey/section/1").status_code == 401
