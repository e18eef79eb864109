"""The retention rule: raw answers of rounds that closed more than N months ago are deleted.

What goes: every answer and comment of the round, and its resume links (a respondent can no
longer come back to a closed round anyway). What stays: the responses themselves (department,
when started and sent: response rates) and each respondent's stored dimension scores, from which
all results, dashboards, trends, exports and reports are worked out (``survey.queries``). What
is lost with the answers: the raw-answer export, answer distributions and reliability (alpha),
which need every answer; pages and reports say so.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update

from survey.extensions import db
from survey.models import Answer, Comment, ReportCache, Response, Round, utcnow
from survey.services import ServiceError

MAX_MONTHS = 1200


@dataclass(frozen=True)
class Deleted:
    """What the rule deleted (or, on a dry run, would delete) for one round."""

    round: Round
    answers: int
    comments: int


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (the month's last day when the
    day does not exist then: 31 March less one month is 28 or 29 February)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def check_months(months: int) -> int:
    if isinstance(months, bool) or not 1 <= months <= MAX_MONTHS:
        raise ServiceError(f"the retention period must be between 1 and {MAX_MONTHS} months, not {months}")
    return months


def due_rounds(months: int, now: datetime | None = None) -> list[Round]:
    """Closed rounds whose closing date is more than ``months`` months ago and whose answers
    are still kept, oldest first. Rounds without a closing date are still open: never due."""
    cutoff = months_before(now or utcnow(), check_months(months))
    return list(db.session.scalars(
        select(Round)
        .where(Round.closes_at.is_not(None), Round.closes_at <= cutoff, Round.answers_deleted_at.is_(None))
        .order_by(Round.closes_at, Round.id)
    ))


def apply(months: int, *, now: datetime | None = None, dry_run: bool = False) -> list[Deleted]:
    """Delete the raw answers of every round due under the rule (nothing on a dry run)."""
    now = now or utcnow()
    found = []
    for survey_round in due_rounds(months, now):
        found.append(_count(survey_round))
        if not dry_run:
            delete_answers(survey_round, now)
    return found


def delete_answers(survey_round: Round, now: datetime | None = None) -> None:
    """Delete one round's answers, comments and resume links; keep responses and their scores."""
    responses = select(Response.id).where(Response.round_id == survey_round.id).scalar_subquery()
    db.session.execute(delete(Answer).where(Answer.response_id.in_(responses)).execution_options(synchronize_session=False))
    db.session.execute(delete(Comment).where(Comment.response_id.in_(responses)).execution_options(synchronize_session=False))
    db.session.execute(
        update(Response).where(Response.round_id == survey_round.id).values(resume_token_hash=None)
        .execution_options(synchronize_session=False)
    )
    # built reports showed answer distributions that can no longer be shown
    db.session.execute(delete(ReportCache).where(ReportCache.round_id == survey_round.id))
    survey_round.answers_deleted_at = now or utcnow()
    db.session.flush()


def _count(survey_round: Round) -> Deleted:
    responses = select(Response.id).where(Response.round_id == survey_round.id).scalar_subquery()
    answers = db.session.scalar(select(func.count()).select_from(Answer).where(Answer.response_id.in_(responses)))
    comments = db.session.scalar(select(func.count()).select_from(Comment).where(Comment.response_id.in_(responses)))
    return Deleted(survey_round, answers or 0, comments or 0)
