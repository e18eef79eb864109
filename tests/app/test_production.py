"""Production settings and the health endpoint."""

import pytest

from survey import create_app
from survey.config import ConfigurationError
from survey.extensions import close_pools


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        create_app(production=True)


def test_production_refuses_a_short_secret_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ConfigurationError, match="too short"):
        create_app(production=True)


def test_production_sends_cookies_over_https_only(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    app = create_app(production=True)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_production_sends_hsts_over_https_and_never_over_plain_http(monkeypatch, database_url):
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("DATABASE_URL", database_url)
    app = create_app(production=True)
    client = app.test_client()
    assert client.get("/sign-in", base_url="https://survey.example").headers["Strict-Transport-Security"] \
        .startswith("max-age=31556926")
    assert "Strict-Transport-Security" not in client.get("/sign-in", base_url="http://survey.example").headers
    with app.app_context():
        close_pools()


def test_the_nonce_is_new_on_every_page(client):
    first, second = (client.get("/sign-in").headers["Content-Security-Policy"] for _ in range(2))
    assert "'nonce-" in first and first != second


def test_the_health_endpoint_checks_the_database(client):
    reply = client.get("/healthz")
    assert reply.status_code == 200 and reply.json == {"status": "ok", "database": "ok"}


def test_the_health_endpoint_reports_an_unreachable_database(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing-dir/none.db"})
    reply = app.test_client().get("/healthz")
    assert reply.status_code == 503 and reply.json["database"] == "unreachable"


@pytest.mark.parametrize(("proxies", "address"), [("0", "10.0.0.1"), ("1", "203.0.113.9")])
def test_the_client_address_comes_from_the_trusted_proxy_only(monkeypatch, proxies, address):
    from flask import request

    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("SURVEY_TRUSTED_PROXIES", proxies)
    app = create_app(production=True)
    seen = {}

    @app.get("/test-address")
    def test_address():  # type: ignore[no-untyped-def]
        seen["address"] = request.remote_addr
        return "ok"

    app.test_client().get("/test-address", environ_base={"REMOTE_ADDR": "10.0.0.1"},
                          headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    assert seen["address"] == address


def test_a_negative_number_of_proxies_is_refused(monkeypatch):
    monkeypatch.setenv("SURVEY_TRUSTED_PROXIES", "-1")
    with pytest.raises(RuntimeError, match="SURVEY_TRUSTED_PROXIES must be at least 0"):
        create_app()


def test_the_production_entry_point_compiles_every_template_before_workers_fork(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 64)  # before the import: survey.wsgi makes the production app
    from survey.wsgi import compile_templates

    app = create_app(production=True)
    compile_templates(app)
    pages = app.jinja_env.list_templates(filter_func=lambda name: name.endswith(".html"))
    assert len(app.jinja_env.cache) == len(pages) > 50
