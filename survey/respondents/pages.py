"""Respondent pages that look the same for everyone, rendered once per process and kept.

Most of what respondents load is the same page for all of them: a section nobody has answered
yet, the start page of one invitation link, the confirmation. Such a page differs between
requests only in its CSRF token and its Content-Security-Policy nonce, so it is rendered once
with a placeholder for each, kept (least recently used first out), and the request's own token
and nonce are put in. The caller names the page by a ``key`` that holds everything the page
shows; a page that shows anything of one respondent (saved answers, a comment, errors) is
rendered afresh and never kept, and so is any page while a message is waiting to be flashed.
Or the part that is the respondent's own is rendered on its own and put into the kept page, as
its token is (``holes``): "check your answers" lists a respondent's answers in a page that is
otherwise everyone's.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from functools import lru_cache
from typing import Any

from flask import current_app, render_template, request, session
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

CACHE_SIZE = 256  # pages of about 20 KB: a few MB per process at most
# Placeholders of letters and digits alone, so that no escaping can change them.
CSRF_PLACEHOLDER = f"csrftokenplaceholder{secrets.token_hex(16)}"
NONCE_PLACEHOLDER = f"cspnonceplaceholder{secrets.token_hex(16)}"
HOLE_PLACEHOLDER = f"holeplaceholder{secrets.token_hex(16)}"


class PageCache:
    """A thread-safe least-recently-used store of rendered pages."""

    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self._pages: OrderedDict[Hashable, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> str | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: Hashable, page: str) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def __len__(self) -> int:
        return len(self._pages)


def page_cache() -> PageCache:
    """The current app's page cache (each app has its own, as each has its own settings)."""
    return current_app.extensions.setdefault("survey_page_cache", PageCache())


def render_page(template: str, key: Hashable | None, context: Callable[[], dict[str, Any]],
                holes: Mapping[str, Markup] | None = None) -> str:
    """``render_template(template, **context(), **holes)``, kept under ``key`` when that is not
    None, with each of ``holes`` (HTML the template shows as it is) put in afresh.

    ``key`` must name everything the page shows but its holes. The template must take its CSRF
    token from ``csrf_token()`` and its nonce from ``csp_nonce()``; the settings and the address
    the app is served under are added to the key here.
    """
    holes = holes or {}
    if key is None or session.get("_flashes"):
        return render_template(template, **context(), **holes)
    full_key = (template, key, tuple(holes), request.script_root, current_app.config["SURVEY_MIN_GROUP_SIZE"])
    cache = page_cache()
    page = cache.get(full_key)
    if page is None:
        placeholders = {name: Markup(_hole(name)) for name in holes}  # noqa: S704 - letters and digits
        page = render_template(template, **context(), **placeholders,
                               csrf_token=lambda: CSRF_PLACEHOLDER, csp_nonce=lambda: NONCE_PLACEHOLDER)
        cache.put(full_key, page)
    for name, html in holes.items():
        page = page.replace(_hole(name), html)
    return page.replace(CSRF_PLACEHOLDER, _csrf_token()).replace(NONCE_PLACEHOLDER, _nonce())


def _hole(name: str) -> str:
    return f"{HOLE_PLACEHOLDER}{name}{HOLE_PLACEHOLDER}"


def _csrf_token() -> str:
    """``generate_csrf()``, reusing the token it signed for the session's secret before.

    Flask-WTF signs the session's secret afresh on every request (the signature holds the time);
    tokens have no time limit here (``WTF_CSRF_TIME_LIMIT`` None), so one signed before is
    accepted just the same, and signing cost a tenth of a kept page's time. With a time limit,
    every page gets a token signed afresh."""
    config = current_app.config
    secret = session.get(config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    if not isinstance(secret, str) or config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return generate_csrf()
    return _signed_csrf_token(config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key, secret)


@lru_cache(maxsize=4096)  # a respondent's token: under a megabyte in all
def _signed_csrf_token(signing_key: str, secret: str) -> str:
    return generate_csrf()  # signs the session's secret, ``secret``, with ``signing_key``


def _nonce() -> str:
    return getattr(request, "csp_nonce", "")
