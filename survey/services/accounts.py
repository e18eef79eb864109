"""Accounts: consultants and read-only organisation viewers, with argon2id password hashes."""

from __future__ import annotations

import contextlib
import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Organisation, Role, User
from survey.services import ServiceError

_hasher = PasswordHasher()
MIN_PASSWORD = 12


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise ServiceError(f"{email!r} is not a valid email address: {error}") from None


def create_user(
    email: str, role: str, password: str | None = None, organisations: list[Organisation] | None = None
) -> tuple[User, str]:
    """Create an account; returns it and its password (generated when none is given)."""
    email = normalise_email(email)
    try:
        role_value = Role(role)
    except ValueError:
        raise ServiceError(f"role must be consultant or viewer, not {role!r}") from None
    if find_user(email) is not None:
        raise ServiceError(f"an account for {email} already exists")
    password = password if password is not None else secrets.token_urlsafe(12)
    if len(password) < MIN_PASSWORD:
        raise ServiceError(f"the password must be at least {MIN_PASSWORD} characters")
    user = User(email=email, role=role_value, password_hash=_hasher.hash(password))
    user.organisations = list(organisations or [])
    db.session.add(user)
    db.session.flush()
    return user, password


def find_user(email: str) -> User | None:
    if "\x00" in email:  # no account's email holds NUL, and PostgreSQL cannot compare text with it
        return None
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def check_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def reset_password(user: User, password: str | None = None) -> str:
    """Give an account a new password (generated when none is given); returns it."""
    password = password if password is not None else secrets.token_urlsafe(12)
    if len(password) < MIN_PASSWORD:
        raise ServiceError(f"the password must be at least {MIN_PASSWORD} characters")
    user.password_hash = _hasher.hash(password)
    db.session.flush()
    return password


@functools.cache
def _unknown_account_hash() -> str:
    """A hash of a random password, checked when no account matches, so that signing in with an
    unknown email takes as long as with a wrong password (accounts cannot be found by timing)."""
    return _hasher.hash(secrets.token_urlsafe(16))


def authenticate(email: str, password: str) -> User | None:
    """The account with this email and password, or None (whichever of the two was wrong)."""
    user = find_user(email or "")
    if user is None:
        with contextlib.suppress(VerificationError, InvalidHashError):
            _hasher.verify(_unknown_account_hash(), password or "")
        return None
    return user if check_password(user, password or "") else None


def give_access(user: User, organisation: Organisation) -> None:
    """Let an account see (and, for a consultant, manage) an organisation."""
    if organisation not in user.organisations:
        user.organisations.append(organisation)
    db.session.flush()
