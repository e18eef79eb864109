"""Error pages: a clear page for every error, never a traceback."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from survey.extensions import db

MESSAGES = {
    400: ("Sorry, there is a problem with the request", "The page could not understand what was sent."),
    404: ("Page not found", "If you typed the web address, check it is correct. If you pasted it, check you copied "
          "the entire address."),
    405: ("Sorry, that cannot be done here", "Go back and try again from the page you came from."),
    413: ("The file or form is too large", "Go back and send something smaller."),
    429: ("Too many attempts", "Wait a few minutes and try again."),
    500: ("Sorry, there is a problem with the service", "Try again later. Your saved answers are safe."),
}


def render_error(status: int, title: str | None = None, body: str | None = None) -> tuple[str, int]:
    default_title, default_body = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    return render_template("error.html", title=title or default_title, body=body or default_body), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):  # type: ignore[no-untyped-def]
        return render_error(
            400,
            "Your session has expired",
            "For your security, forms expire. Go back, reload the page and try again. "
            "Answers you saved before are safe.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        return render_error(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):  # type: ignore[no-untyped-def]
        app.logger.exception("Unhandled error")
        db.session.rollback()
        return render_error(500)
