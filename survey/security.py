"""Security headers, a strict Content-Security-Policy and rate limits.

The policy allows scripts, styles and images from this origin only; the one inline script (GOV.UK
Frontend's ``js-enabled`` switch in the page template) carries a per-request nonce. The headers
are set here rather than with Flask-Talisman, which set the same ones but built each of them
again from its options on every request: 60 us of a respondent page's 800 (benchmarks/README.md).

Rate limits count failed attempts only, so a whole office behind one address can still open its
invitation link at once, while guessing passwords or tokens is slowed down. With ``REDIS_URL``
the counters are shared by every app process; without it each process counts for itself.
"""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TypeVar

from flask import Flask, Request, Response, current_app, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_qualified_name, get_remote_address
from itsdangerous import BadSignature, URLSafeTimedSerializer

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

NONCE_IN = ("script-src",)  # the policy's sections that allow what carries the page's nonce
HSTS = "max-age=31556926; includeSubDomains"  # a year; sent over HTTPS only, and only in production
View = TypeVar("View", bound=Callable)


class SecurityHeaders:
    """The security headers of every response, with the Content-Security-Policy's nonce made
    afresh for each request (``request.csp_nonce``; ``csp_nonce()`` in templates).

    Everything but the nonce is worked out once: the fixed headers at ``init_app``, the policy
    of each view once per endpoint. A view can let the nonce into more of the policy's sections
    (``nonce_in``)."""

    def __init__(self, policy: dict[str, str]):
        self.policy = policy
        self._fixed: list[tuple[str, str]] = []
        self._hsts = False
        self._policies: dict[str | None, str] = {}

    def init_app(self, app: Flask, hsts: bool) -> None:
        self._fixed = [("X-Frame-Options", "DENY"), ("X-Content-Type-Options", "nosniff"),
                       ("Referrer-Policy", "same-origin"),
                       ("Permissions-Policy", "geolocation=(), camera=(), microphone=()")]
        self._hsts = hsts
        self._policies.clear()
        app.before_request(self._make_nonce)
        app.after_request(self._set_headers)
        app.jinja_env.globals["csp_nonce"] = _nonce

    def nonce_in(self, *sections: str) -> Callable[[View], View]:
        """Decorate a view whose page lets the nonce into these sections too (an inline style)."""
        def decorate(view: View) -> View:
            view.csp_nonce_in = sections  # type: ignore[attr-defined]
            return view
        return decorate

    def _make_nonce(self) -> None:
        request.csp_nonce = secrets.token_urlsafe(24)

    def _set_headers(self, response: Response) -> Response:
        headers = response.headers
        for name, value in self._fixed:
            headers[name] = value
        if self._hsts and (request.is_secure or request.headers.get("X-Forwarded-Proto") == "https"):
            headers["Strict-Transport-Security"] = HSTS
        endpoint = request.endpoint
        policy = self._policies.get(endpoint)
        if policy is None:
            view = current_app.view_functions.get(endpoint) if endpoint else None
            policy = self._policies[endpoint] = _policy(self.policy, getattr(view, "csp_nonce_in", NONCE_IN))
        headers["Content-Security-Policy"] = policy.replace(NONCE_PLACEHOLDER, _nonce())
        return response


NONCE_PLACEHOLDER = "{nonce}"


def _policy(policy: dict[str, str], nonce_in: Iterable[str]) -> str:
    return "; ".join(f"{section} {sources}" + (f" 'nonce-{NONCE_PLACEHOLDER}'" if section in nonce_in else "")
                     for section, sources in policy.items())


def _nonce() -> str:
    return getattr(request, "csp_nonce", "")


security_headers = SecurityHeaders(CONTENT_SECURITY_POLICY)
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def _limited_endpoints(app: Flask) -> frozenset[str] | None:
    """The endpoints whose views carry a limit of their own, as Flask-Limiter recorded them;
    None (every request) while any default or application-wide limit is set."""
    manager = limiter.limit_manager
    if manager.default_limits or manager.application_limits:
        return None
    return frozenset(endpoint for endpoint, view in app.view_functions.items()
                     if manager.decorated_limits(get_qualified_name(view)))


class SigningSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer made once per secret key
    instead of again on every request (it holds only the keys and the salt), and a cookie's
    signature checked once per process rather than on each of the respondent's twenty requests:
    the contents of a cookie verified before (``_verified_cookie``) are reused, still refused once
    older than the session's lifetime."""

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if key not in self._serializers:
            self._serializers[key] = super().get_signing_serializer(app)
        return self._serializers[key]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        verified = _verified_cookie(serializer, cookie) if cookie else None
        if verified is None:
            return self.session_class()
        data, signed_at = verified
        age = int(time.time()) - signed_at
        if not 0 <= age <= app.permanent_session_lifetime.total_seconds():
            return self.session_class()  # as itsdangerous refuses a signature too old (or from the future)
        return self.session_class(copy.deepcopy(data))


@lru_cache(maxsize=4096)  # cookies of a few hundred bytes: a megabyte or two at most
def _verified_cookie(serializer: URLSafeTimedSerializer, cookie: str) -> tuple[dict, int] | None:  # type: ignore[type-arg]
    """A session cookie's contents and when it was signed, if its signature is good; the caller
    checks its age (and copies the contents, which are shared)."""
    try:
        data, signed_at = serializer.loads(cookie, return_timestamp=True)
    except BadSignature:
        return None
    return data, int(signed_at.timestamp())


# Flask-Limiter runs a hook before, after and at the end of every request, and each does its work
# (about 80 us of a respondent page's 900) even where no limit applies. This app sets only limits
# of a few routes of their own, so the hooks it adds are wrapped to run on those routes alone.
def _hook_lists(app: Flask) -> tuple[list, list, list]:  # type: ignore[type-arg]
    return app.before_request_funcs[None], app.after_request_funcs[None], app.teardown_request_funcs[None]


def _on_a_limited_route() -> bool:
    extensions = current_app.extensions
    if "survey_limited_endpoints" not in extensions:
        extensions["survey_limited_endpoints"] = _limited_endpoints(current_app)
    limited = extensions["survey_limited_endpoints"]
    return limited is None or request.endpoint in limited


def _before_limited(hook: Callable[[], Response | None]) -> Callable[[], Response | None]:
    def before_a_limited_route() -> Response | None:
        return hook() if _on_a_limited_route() else None
    return before_a_limited_route


def _after_limited(hook: Callable[[Response], Response]) -> Callable[[Response], Response]:
    def after_a_limited_route(response: Response) -> Response:
        return hook(response) if _on_a_limited_route() else response
    return after_a_limited_route


def _teardown_limited(hook: Callable[[BaseException | None], None]) -> Callable[[BaseException | None], None]:
    def at_the_end_of_a_limited_route(error: BaseException | None = None) -> None:
        if _on_a_limited_route():
            hook(error)
    return at_the_end_of_a_limited_route


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
    # HSTS in production only, on requests that came over HTTPS (browsers ignore it otherwise): a
    # development server on plain HTTP must not pin its host to HTTPS.
    security_headers.init_app(app, hsts=bool(app.config.get("SESSION_COOKIE_SECURE")))
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    hooks = _hook_lists(app)
    already = [len(hook_list) for hook_list in hooks]
    limiter.init_app(app)
    for hook_list, count, only_there in zip(hooks, already, (_before_limited, _after_limited, _teardown_limited),
                                            strict=True):
        hook_list[count:] = [only_there(hook) for hook in hook_list[count:]]
    app.session_interface = SigningSessionInterface()
