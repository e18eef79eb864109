"""Where a report's inputs come from: the database, read through ``survey.results`` and the query
layer, handed to the pure builders in ``reports.data`` and ``reports.organisation``.

Needs an application context (the database) but no request.
"""

from __future__ import annotations

from sqlalchemy import select

from reports.branding import Branding, branding_for
from reports.data import Answers, TeamReport, team_report
from reports.organisation import OrganisationReport, organisation_report
from survey import long_date, queries
from survey.extensions import db
from survey.models import Department, ReportCommentary, Round
from survey.results import ORGANISATION, RoundResults, department_members, results_for_rounds, shared_questionnaire

HISTORY_ROUNDS = 6


def comparable_rounds(survey_round: Round) -> list[Round]:
    """The organisation's rounds on the same questionnaire up to and including this one, oldest
    first (at most ``HISTORY_ROUNDS``): the rounds its trends and changes compare."""
    key = survey_round.questionnaire_version.key
    rounds = [
        r for r in survey_round.organisation.rounds
        if r.questionnaire_version.key == key and (r.opens_at, r.id) <= (survey_round.opens_at, survey_round.id)
    ]
    rounds.sort(key=lambda r: (r.opens_at, r.id))
    return rounds[-HISTORY_ROUNDS:]


def round_figures(survey_round: Round, min_size: int) -> tuple[RoundResults, list[RoundResults]]:
    """The round's results on its own questionnaire, and the comparable rounds' results (this one
    last) on the questionnaire they share."""
    rounds = comparable_rounds(survey_round)
    if len({r.questionnaire_version_id for r in rounds}) == 1:
        figures = results_for_rounds(rounds, min_size)
        return figures[survey_round.id], [figures[r.id] for r in rounds]
    current = results_for_rounds([survey_round], min_size)[survey_round.id]
    shared = results_for_rounds(rounds, min_size, shared_questionnaire([r.questionnaire for r in rounds]))
    return current, [shared[r.id] for r in rounds]


def period(survey_round: Round) -> str:
    if survey_round.closes_at is None:
        return f"Opened {long_date(survey_round.opens_at)}"
    return f"{long_date(survey_round.opens_at)} to {long_date(survey_round.closes_at)}"


def raw_answers(survey_round: Round, department_ids: list[int], hidden: bool) -> list[Answers] | None:
    """The answers a report's distributions and alpha need: none for a withheld group, None once
    the retention rule deleted them."""
    if survey_round.answers_deleted_at:
        return None
    return [] if hidden else queries.item_answers(survey_round.id, department_ids)


def answers_deleted(survey_round: Round) -> str:
    """When the retention rule deleted the round's raw answers, as a date; "" if it has not."""
    deleted = survey_round.answers_deleted_at
    return long_date(deleted) if deleted else ""


def branding(survey_round: Round) -> Branding:
    organisation = survey_round.organisation
    return branding_for(organisation.brand_colour, organisation.logo, organisation.logo_type)


def commentary(round_id: int, department_id: int | None) -> ReportCommentary | None:
    """The consultant's commentary on a team's report, or on the organisation report (None)."""
    department = (
        ReportCommentary.department_id.is_(None) if department_id is None
        else ReportCommentary.department_id == department_id
    )
    return db.session.scalar(
        select(ReportCommentary).where(ReportCommentary.round_id == round_id, department).limit(1)
    )


def commentary_text(round_id: int, department_id: int | None) -> str:
    found = commentary(round_id, department_id)
    return found.text if found else ""


def build_team_report(survey_round: Round, department: Department, min_size: int) -> TeamReport:
    if department.organisation_id != survey_round.organisation_id:
        raise ValueError(f"{department.name} is not a department of {survey_round.organisation.name}")
    results, history = round_figures(survey_round, min_size)
    members = department_members(survey_round.organisation.departments)[department.id]
    counts = queries.response_counts(survey_round.id)
    group = next(g for g in results.groups if g.key == department.id)
    hidden = group.suppressed or group.result is None
    return team_report(
        results,
        department.id,
        answers=raw_answers(survey_round, members, hidden),
        started=sum(counts.get(m, (0, 0))[0] for m in members),
        history=history,
        branding=branding(survey_round),
        commentary="" if hidden else commentary_text(survey_round.id, department.id),
        period=period(survey_round),
        answers_deleted=answers_deleted(survey_round),
    )


def build_organisation_report(survey_round: Round, min_size: int) -> OrganisationReport:
    results, history = round_figures(survey_round, min_size)
    departments = survey_round.organisation.departments
    members = department_members(departments)
    counts = queries.response_counts(survey_round.id)
    started: dict[int | str, int] = {d.id: sum(counts.get(m, (0, 0))[0] for m in members[d.id]) for d in departments}
    started[ORGANISATION] = sum(s for s, _ in counts.values())
    hidden = results.organisation_group.suppressed or results.organisation_group.result is None
    return organisation_report(
        results,
        answers=raw_answers(survey_round, [d.id for d in departments], hidden),
        started=started,
        history=history,
        branding=branding(survey_round),
        commentary=commentary_text(survey_round.id, None),
        period=period(survey_round),
        answers_deleted=answers_deleted(survey_round),
    )
