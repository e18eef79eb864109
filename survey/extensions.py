"""The Flask extensions, created unbound and attached in ``create_app``."""

import select
import sqlite3

from flask import g, has_request_context, request
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import Pool

from survey.config import AUTOCOMMIT_BIND

# One naming convention so that migrations name constraints alike on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record) -> None:  # type: ignore[no-untyped-def]
    """SQLite: enforce foreign keys, and let SQLAlchemy own transactions (savepoints work)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
        dbapi_connection.execute("PRAGMA busy_timeout=10000")
        dbapi_connection.execute("PRAGMA journal_mode=WAL")  # readers never block the writer


@event.listens_for(Pool, "checkout")
def _replace_connection_closed_by_server(dbapi_connection, connection_record, connection_proxy) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL: replace a pooled connection that the server has closed (a restart, a failover,
    a terminated backend) before it is used, so no request fails on it.

    A connection waiting in the pool has nothing to read unless the server has hung up: it sends
    its last message (FATAL: terminating connection) and closes the socket. So one poll of the
    socket, with no round trip, finds what ``pool_pre_ping`` would find with a query at every
    checkout, which costs each request a round trip. SQLAlchemy discards a connection for which
    this raises ``DisconnectionError`` and checks out another (its documented way to do this)."""
    pgconn = getattr(dbapi_connection, "pgconn", None)  # psycopg 3
    if pgconn is None:
        return
    if dbapi_connection.closed or dbapi_connection.broken:
        raise DisconnectionError("the connection is closed")
    poller = select.poll()
    poller.register(pgconn.socket, select.POLLIN | select.POLLHUP | select.POLLERR)
    if poller.poll(0):
        raise DisconnectionError("the server has closed the connection")


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(connection) -> None:  # type: ignore[no-untyped-def]
    """SQLite: a request that changes something takes the write lock when its transaction
    begins. A deferred transaction that reads and then writes fails at once ("database is
    locked", whatever the busy timeout) when another process wrote in between; an immediate one
    waits its turn. Reading requests stay deferred, so they never wait for a writer; so does
    the reading part of a request that called ``read_before_writing``."""
    if connection.dialect.name == "sqlite":
        writing = (has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")
                   and not request.environ.get(_READING_FIRST, False))
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


_READING_FIRST = "survey_reading_first"
_OWN_CONNECTION = "survey_own_connection"


def autocommit() -> None:
    """Each of this request's statements stands alone: on PostgreSQL they run on a pooled
    connection of the request's own, from the engine whose connections are always in autocommit
    (``survey.config.with_autocommit_bind``), handed out by ``connection()``.

    For the respondent's pages, which read one statement's worth, and for the saves that are one
    statement: that spares them the BEGIN and COMMIT or ROLLBACK round trips, and an ORM session
    they have no use for. It also keeps psycopg's prepared statements: psycopg forgets every
    statement it has prepared at a ROLLBACK (and deallocates them on the server), so a connection
    used by read-only requests, which end in one, would plan the respondent's queries afresh
    every time. Only for requests that need no common snapshot and no two writes together.
    Where the session runs inside a caller's transaction (the tests' rolled-back fixture binds it
    to a connection), statements join that one instead.
    """
    if _OWN_CONNECTION in g or isinstance(db.session.session_factory.kw.get("bind"), Connection):
        return
    if engine := db.engines.get(AUTOCOMMIT_BIND):
        setattr(g, _OWN_CONNECTION, engine.connect())


def connection() -> Connection:
    """The connection for this request's statements: ``autocommit``'s, or the session's (so that
    they share its transaction)."""
    return g.get(_OWN_CONNECTION) or db.session.connection()


def close_own_connection(error: BaseException | None = None) -> None:
    """Give ``autocommit``'s connection back to the pool (at the end of the app context)."""
    if (own_connection := g.pop(_OWN_CONNECTION, None)) is not None:
        own_connection.close()


def close_pools(*, inherited: bool = False) -> None:
    """Close the pooled connections of every engine of the current app (the main one and the
    autocommit one): when a short-lived app is done, or before its database is dropped.

    ``inherited``: in a process forked from the one that opened them, only let go of them,
    unclosed (they still belong to the parent; a connection must never serve two processes)."""
    for engine in db.engines.values():
        engine.dispose(close=not inherited)


def read_before_writing() -> None:
    """Let this request read in a transaction of its own, without the write lock, until it calls
    ``begin_writing``. Only for a request whose writes do not depend on what it read staying
    true (they check it again themselves): SQLite has one write lock for the whole database, and
    the respondent's busiest request (saving a section) would otherwise hold it while it reads
    and validates, keeping every other writer waiting. (On PostgreSQL, where reading locks
    nothing, the reads stay in the transaction that writes: one connection, one round trip fewer.)"""
    request.environ.setdefault(_READING_FIRST, True)


def begin_writing() -> None:
    """End the reading transaction (SQLite only: elsewhere nothing is locked by reading); the
    next statement begins one that takes the write lock."""
    if request.environ.pop(_READING_FIRST, False) and db.session.get_bind().dialect.name == "sqlite":
        db.session.commit()
