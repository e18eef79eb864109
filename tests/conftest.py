"""Fixtures: the app on a database built by the real migrations, a session rolled back after
every test, a test client that fills in CSRF tokens like a browser, and factories.

``DATABASE_URL`` pointing at PostgreSQL runs the suite there, in a throwaway database created
on that server for the run (the named database itself is never touched); otherwise SQLite.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import scoped_session, sessionmaker

from survey import create_app
from survey.assets import AssetError, ensure_assets
from survey.extensions import close_pools, db


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith(("postgres://", "postgresql")):
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    server = make_url(configured.replace("postgres://", "postgresql://", 1)).set(drivername="postgresql+psycopg")
    name = f"survey_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "tests-only-secret",
         "SURVEY_BASE_URL": "http://localhost", "RATELIMIT_ENABLED": False}
    )
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        close_pools()  # close pooled connections before the throwaway database is dropped


@pytest.fixture(scope="session")
def built_assets() -> None:
    try:
        ensure_assets(echo=lambda message: None)
    except AssetError as error:
        pytest.exit(str(error), returncode=3)


@pytest.fixture
def database(app: Flask) -> Iterator[None]:
    """Everything a test writes happens in one outer transaction, rolled back afterwards."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        # A plain SQLAlchemy session: Flask-SQLAlchemy's own would bind to the engine, not this connection.
        db.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint"), scopefunc=_app_ctx_id
        )
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class FormClient(FlaskClient):
    """A test client whose ``submit`` posts a form as a browser would, with its CSRF token."""

    def submit(self, url: str, data: dict[str, str] | None = None, **kwargs):  # type: ignore[no-untyped-def]
        page = self.get(url)
        match = CSRF_FIELD.search(page.get_data(as_text=True))
        assert match, f"no form with a CSRF token at {url} (status {page.status_code})"
        return self.post(url, data={"csrf_token": match.group(1), **(data or {})}, **kwargs)


@pytest.fixture
def client(app: Flask, database: None) -> FormClient:
    app.test_client_class = FormClient
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def runner(app: Flask, database: None):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture
def app_context(app: Flask, database: None) -> Iterator[None]:
    with app.test_request_context():
        yield
