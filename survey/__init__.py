"""The survey application: ``create_app`` builds it (``flask --app survey ...``)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import current_user
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix

from survey import config
from survey.extensions import close_own_connection, csrf, db, login_manager, migrate

UK_TIME = ZoneInfo("Europe/London")
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def create_app(test_config: dict[str, Any] | None = None, *, production: bool = False) -> Flask:
    """Build the app. ``production`` (the gunicorn entry point, ``survey.wsgi``) requires
    ``SECRET_KEY`` and HTTPS-only cookies; the demo and the tests may use an instance key."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)
    if production:
        config.require_production_settings(app.config)
    elif not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = config.instance_secret_key(app.instance_path)
    if proxies := app.config["SURVEY_TRUSTED_PROXIES"]:
        # Behind a load balancer: take the client's address and scheme from the proxies'
        # X-Forwarded-* headers (the audit log and the rate limits need the real address).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]

    app.config.update(config.with_autocommit_bind(app.config))
    db.init_app(app)
    app.teardown_appcontext(close_own_connection)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    # current_user in templates as the lazy proxy, not Flask-Login's context processor, which
    # loads the user for every page rendered, the respondent's too (and marks their session).
    login_manager.init_app(app, add_context_processor=False)
    app.jinja_env.globals["current_user"] = current_user
    WTFormsHelpers(app)
    app.jinja_loader = ChoiceLoader(
        [
            app.jinja_loader,
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters["long_date"] = long_date

    from survey import cli, errors, health, security, workspace
    from survey.auth import views as auth
    from survey.respondents import views as respondents

    security.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(respondents.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(workspace.bp)
    errors.init_app(app)
    cli.init_app(app)
    _register_user_loader()
    return app


def long_date(value: datetime) -> str:
    """A date as GOV.UK writes it, in UK time: 5 January 2027."""
    local = value.astimezone(UK_TIME)
    return f"{local.day} {local:%B %Y}"


def _register_user_loader() -> None:
    from survey.models import User

    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to see that page."
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id)) if user_id.isdigit() else None
