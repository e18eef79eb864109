"""Security headers, a strict Content-Security-Policy and rate limits.

The policy allows scripts, styles and images from this origin only; the one inline script (GOV.UK
Frontend's ``js-enabled`` switch in the page template) carries a per-request nonce. Rate limits
count failed attempts only, so a whole office behind one address can still open its invitation
link at once, while guessing passwords or tokens is slowed down. With ``REDIS_URL`` the counters
are shared by every app process; without it each process counts for itself.
"""

from __future__ import annotations

from flask import Flask, Response, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
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
