"""Security headers, a strict Content-Security-Policy and rate limits.

The policy allows scripts, styles and images from this origin only; the one inline script (GOV.UK
Frontend's ``js-enabled`` switch in the page template) carries a per-request nonce. Rate limits
count failed attempts only, so a whole office behind one address can still open its invitation
link at once, while guessing passwords or tokens is slowed down. With ``REDIS_URL`` the counters
are shared by every app process; without it each process counts for itself.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_qualified_name, get_remote_address
from flask_talisman import Talisman

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

talisman = Talisman()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@limiter.request_filter
def _route_without_limits() -> bool:
    """Spare the limiter its work on every other request: this app sets no default or
    application-wide limits, only the limits of a few routes of their own (sign-in, the
    invitation and resume links), so a route without one is never limited."""
    limited = current_app.extensions.get("survey_limited_endpoints")
    if limited is None:
        limited = current_app.extensions["survey_limited_endpoints"] = _limited_endpoints(current_app)
    return request.endpoint not in limited


def _limited_endpoints(app: Flask) -> frozenset[str]:
    """The endpoints whose views carry a limit of their own, as Flask-Limiter recorded them;
    every endpoint while any default or application-wide limit is set."""
    manager = limiter.limit_manager
    if manager.default_limits or manager.application_limits:
        return frozenset(app.view_functions)
    return frozenset(endpoint for endpoint, view in app.view_functions.items()
                     if manager.decorated_limits(get_qualified_name(view)))


class SigningSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer made once per secret key
    instead of again on every request (it holds only the keys and the salt)."""

    def __init__(self) -> None:
        self._serializers: dict[tuple, object] = {}

    def get_signing_serializer(self, app: Flask):  # type: ignore[no-untyped-def]
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if key not in self._serializers:
            self._serializers[key] = super().get_signing_serializer(app)
        return self._serializers[key]


def sign_in_failed(response: Response) -> bool:
    """Only a failed sign-in counts against the limit (a success redirects)."""
    return response.status_code != 302


def token_unknown(response: Response) -> bool:
    """Only a look-up of a link that does not exist counts against the limit."""
    return response.status_code == 404


def sign_in_limit() -> str:
    return current_app.config["SURVEY_SIGN_IN_LIMIT"]


def token_limit() -> str:
    return current_app.config["SURVEY_TOKEN_LIMIT"]


def init_app(app: Flask) -> None:
    production = bool(app.config.get("SESSION_COOKIE_SECURE"))
    talisman.init_app(
        app,
        content_security_policy=CONTENT_SECURITY_POLICY,
        content_security_policy_nonce_in=["script-src"],
        force_https=False,  # TLS ends at the load balancer; cookies are Secure in production
        strict_transport_security=production,
        session_cookie_secure=production,
        frame_options="DENY",
        referrer_policy="same-origin",
        permissions_policy={"geolocation": "()", "camera": "()", "microphone": "()"},
    )
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    limiter.init_app(app)
    app.session_interface = SigningSessionInterface()
