"""Settings, read from the environment (DESIGN.md section 6)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

DEFAULT_MIN_GROUP_SIZE = 5


def database_url(instance_path: str) -> str:
    """``DATABASE_URL``, or the embedded SQLite database under ``instance/``.

    ``postgres://`` and ``postgresql://`` URLs are sent to psycopg 3, the driver we ship.
    """
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{Path(instance_path) / 'survey.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


AUTOCOMMIT_BIND = "autocommit"


def with_autocommit_bind(settings: dict[str, Any]) -> dict[str, Any]:
    """On PostgreSQL, a second engine (Flask-SQLAlchemy bind ``autocommit``) on the same database
    and with the same pool settings, whose connections are always in autocommit, for requests
    whose statements each stand alone (``survey.extensions.autocommit``). Its connections are
    never switched into autocommit and back, nor rolled back when they return to the pool (there
    is never a transaction to end), which the main engine's would be at every checkout."""
    url = str(settings["SQLALCHEMY_DATABASE_URI"])
    if not url.startswith("postgresql"):
        return {}
    options = {**settings.get("SQLALCHEMY_ENGINE_OPTIONS", {}), "url": url,
               "isolation_level": "AUTOCOMMIT", "pool_reset_on_return": None}
    return {"SQLALCHEMY_BINDS": {**settings.get("SQLALCHEMY_BINDS", {}), AUTOCOMMIT_BIND: options}}


def instance_secret_key(instance_path: str) -> str:
    """The embedded set-up's secret key, made once and kept in ``instance/secret_key`` so that
    sessions and resume cookies survive a restart."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _int_setting(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise RuntimeError(f"{name} must be at least {minimum}")
    return value


def _optional_int_setting(name: str) -> int | None:
    return _int_setting(name, 0) or None


def from_environment(instance_path: str) -> dict[str, Any]:
    url = database_url(instance_path)
    settings: dict[str, Any] = {
        "SQLALCHEMY_DATABASE_URI": url,
        # Pooled connections the server has closed are replaced at checkout without a round trip
        # (survey.extensions), instead of pool_pre_ping's query before every use.
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "SECRET_KEY": os.environ.get("SECRET_KEY") or None,
        "SURVEY_MIN_GROUP_SIZE": _int_setting("SURVEY_MIN_GROUP_SIZE", DEFAULT_MIN_GROUP_SIZE),
        "SURVEY_BASE_URL": os.environ.get("SURVEY_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "SURVEY_SIGN_IN_LIMIT": os.environ.get("SURVEY_SIGN_IN_LIMIT", "10 per minute"),
        "SURVEY_TOKEN_LIMIT": os.environ.get("SURVEY_TOKEN_LIMIT", "30 per minute"),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=_int_setting("SURVEY_SESSION_HOURS", 8)),
        # A session lasts that long from sign-in (or from starting a survey), however busy: the
        # cookie's signed time is not moved on, and re-signing it on every request is not paid for.
        "SESSION_REFRESH_EACH_REQUEST": False,
        # Raw answers of rounds closed longer ago than this are deleted by `flask retention`
        # (survey/services/retention.py); unset keeps them.
        "SURVEY_RETENTION_MONTHS": _optional_int_setting("SURVEY_RETENTION_MONTHS"),
        # How many proxies (load balancers) in front set X-Forwarded-For/-Proto/-Host; 0 trusts none.
        "SURVEY_TRUSTED_PROXIES": _int_setting("SURVEY_TRUSTED_PROXIES", 0, minimum=0),
    }
    return settings


class ConfigurationError(RuntimeError):
    """A setting that production cannot run without."""


def require_production_settings(settings: dict[str, Any]) -> None:
    """Refuse to start without a real secret key; send cookies over HTTPS only."""
    if not settings.get("SECRET_KEY"):
        raise ConfigurationError(
            "SECRET_KEY is not set: production needs one secret shared by every app process "
            "(python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    if len(settings["SECRET_KEY"]) < 32:
        raise ConfigurationError("SECRET_KEY is too short: use at least 32 random characters")
    settings["SESSION_COOKIE_SECURE"] = True
    settings["REMEMBER_COOKIE_SECURE"] = True
    settings["PREFERRED_URL_SCHEME"] = "https"
