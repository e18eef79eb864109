"""Pooled PostgreSQL connections: one the server has closed is replaced before a request uses it,
and a healthy one is reused as it is (no round trip is spent checking it)."""

import os
import time

import pytest
from sqlalchemy import create_engine, text

from survey import create_app
from survey.config import AUTOCOMMIT_BIND
from survey.extensions import close_pools, db

pytestmark = pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                                reason="the server closing a connection is a PostgreSQL matter")


@pytest.fixture
def one_connection_app(app, database_url):  # type: ignore[no-untyped-def]
    """The app with a pool of exactly one connection, so every request gets the same one (on the
    schema the session-wide ``app`` built)."""
    one = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url,
                      "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0, "pool_timeout": 2}})
    yield one
    with one.app_context():
        close_pools()


def backend_of(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context(), db.engine.connect() as connection:
        return connection.connection.dbapi_connection.info.backend_pid


def terminate(database_url: str, backend: int) -> None:
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend}).scalar()
            for _ in range(100):  # until the server has let it go
                if not connection.execute(text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid"),
                                          {"pid": backend}).first():
                    return
                time.sleep(0.02)
    finally:
        admin.dispose()


def test_a_healthy_pooled_connection_is_reused(one_connection_app):
    client = one_connection_app.test_client()
    assert client.get("/healthz").status_code == 200
    first = backend_of(one_connection_app)
    assert client.get("/healthz").status_code == 200
    assert backend_of(one_connection_app) == first


def test_a_connection_the_server_closed_is_replaced_before_a_request_uses_it(one_connection_app, database_url):
    client = one_connection_app.test_client()
    assert client.get("/healthz").status_code == 200
    closed = backend_of(one_connection_app)
    terminate(database_url, closed)

    reply = client.get("/healthz")

    assert reply.status_code == 200 and reply.json["database"] == "ok"
    assert backend_of(one_connection_app) != closed


def test_a_page_that_only_reads_gives_its_connection_back(one_connection_app):
    """Respondent pages read on a connection of their own (autocommit); with a pool of one, a
    second page could not get it if the first kept it."""
    client = one_connection_app.test_client()
    for _ in range(3):
        assert client.get("/s/an-invitation-token-nobody-has-got").status_code == 404
    assert client.get("/healthz").status_code == 200
    with one_connection_app.app_context():
        pool = db.engines[AUTOCOMMIT_BIND].pool
        assert (pool.checkedout(), pool.checkedin()) == (0, 1)


def test_the_connections_for_statements_that_stand_alone_are_always_in_autocommit(one_connection_app):
    """They are never switched to autocommit and back; the main engine's are transactional."""
    with one_connection_app.app_context():
        with db.engines[AUTOCOMMIT_BIND].connect() as connection:
            assert connection.connection.dbapi_connection.autocommit is True
            connection.execute(text("SELECT 1"))
        with db.engines[AUTOCOMMIT_BIND].connect() as connection:
            assert connection.connection.dbapi_connection.autocommit is True
        with db.engine.connect() as connection:
            assert connection.connection.dbapi_connection.autocommit is False
