"""Signing in and out (consultants and organisation viewers). Each sign-in, failed sign-in and
sign-out is written to the audit log (``survey.services.audit``) and committed here."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response as HttpResponse

from survey.auth.forms import SignInForm, SignOutForm
from survey.extensions import db
from survey.security import limiter, sign_in_failed, sign_in_limit
from survey.services import accounts, audit

bp = Blueprint("auth", __name__)

WRONG_CREDENTIALS = "Enter a correct email address and password"


@bp.after_request
def no_store(response: HttpResponse) -> HttpResponse:
    response.headers["Cache-Control"] = "no-store"
    return response


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (``/manage/...``), else None.

    Refused: absolute URLs, scheme-relative ``//host`` and its browser-equivalent spellings
    with a backslash or control characters (browsers drop tabs and newlines in URLs)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(character) < 32 or ord(character) == 127 for character in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    """The site's front door: the workspace (which sends signed-out visitors to sign in)."""
    return redirect(url_for("workspace.organisations"))


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(sign_in_limit, methods=["POST"], deduct_when=sign_in_failed)
def sign_in():  # type: ignore[no-untyped-def]
    destination = safe_next(request.args.get("next")) or url_for("workspace.organisations")
    if current_user.is_authenticated:
        return redirect(destination)
    form = SignInForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            session.permanent = True
            audit.record(audit.SIGNED_IN, "Signed in", user=user)
            db.session.commit()
            return redirect(destination)
        # One message whichever was wrong, so that no one can find out which emails have accounts.
        form.email.errors.append(WRONG_CREDENTIALS)
        typed = form.email.data
        audit.record(audit.SIGN_IN_FAILED, "Failed to sign in: wrong email address or password",
                     email=typed if "@" in typed else None)  # not a password typed in the wrong box
        db.session.commit()
    return render_template("auth/sign_in.html", form=form, title="Sign in", has_errors=bool(form.errors))


@bp.route("/sign-out", methods=["GET", "POST"])
def sign_out():  # type: ignore[no-untyped-def]
    if not current_user.is_authenticated:
        return redirect(url_for(".sign_in"))
    form = SignOutForm()
    if form.validate_on_submit():
        audit.record(audit.SIGNED_OUT, "Signed out", user=current_user._get_current_object())
        db.session.commit()
        logout_user()
        flash("You have signed out.")
        return redirect(url_for(".sign_in"))
    return render_template("auth/sign_out.html", form=form, title="Sign out")
