"""What every command of the command line shares (``survey.cli``, ``survey.report_cli``)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from survey.extensions import db
from survey.services import ServiceError


def transactional(command: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command in one transaction; turn refusals into a one-line error and exit 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            result = command(*args, **kwargs)
            db.session.commit()
            return result
        except ServiceError as error:
            db.session.rollback()
            raise click.ClickException(str(error)) from None
        except (OperationalError, ProgrammingError) as error:
            db.session.rollback()
            reason = str(error.orig).splitlines()[0] if error.orig else str(error)
            raise click.ClickException(
                f"the database is not ready ({reason}): run flask --app survey db upgrade"
            ) from None

    return wrapper
