"""Organisation report data: the heatmap, departments ranked on each dimension, trends over
rounds and organisation-wide suggestions, from the round's result objects.

Pure, like ``reports.data``: no Flask, no database, suppression taken from the results. A
department whose figures are withheld is named, with the reason, and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reports.branding import DEFAULT_BRANDING, Branding
from reports.data import (
    OVERALL,
    REPORT_SUGGESTIONS,
    SUMMARY_SUGGESTIONS,
    Answers,
    Block,
    NumberedSuggestion,
    Reliability,
    SuggestionGroup,
    commentary_blocks,
    group_by_horizon,
    group_in,
    highest_and_lowest,
    number_suggestions,
    reliability,
    score_of,
    withheld_reason,
)
from survey.questionnaire import Dimension, Questionnaire
from survey.results import GroupFigures, RoundResults
from survey.scoring import Change, ScoreResult, change_between


@dataclass(frozen=True)
class HeatRow:
    group: GroupFigures
    depth: int
    withheld: str | None

    @property
    def name(self) -> str:
        return self.group.name

    def score(self, key: str) -> ScoreResult | None:
        return score_of(self.group, key)


@dataclass(frozen=True)
class RankRow:
    rank: int
    name: str
    parent: str | None
    score: ScoreResult


@dataclass(frozen=True)
class Ranking:
    key: str
    title: str
    rows: tuple[RankRow, ...]


@dataclass(frozen=True)
class TrendPoint:
    round_name: str
    score: ScoreResult | None
    change: Change | None
    note: str = ""


@dataclass(frozen=True)
class Trend:
    key: str
    title: str
    points: tuple[TrendPoint, ...]


@dataclass(frozen=True)
class DepartmentTrend:
    name: str
    depth: int
    points: tuple[TrendPoint, ...]


@dataclass(frozen=True)
class ResponseRow:
    name: str
    depth: int
    respondents: int | None
    started: int | None
    withheld: str | None


@dataclass(frozen=True)
class DimensionFigure:
    dimension: Dimension
    score: ScoreResult
    reliability: Reliability


@dataclass(frozen=True)
class OrganisationFigures:
    respondents: int
    started: int
    overall: ScoreResult
    dimensions: tuple[DimensionFigure, ...]
    strongest: tuple[DimensionFigure, ...]
    npm_led: tuple[DimensionFigure, ...]
    top_suggestions: tuple[NumberedSuggestion, ...]
    suggestion_groups: tuple[SuggestionGroup, ...]
    suggestions_shown: int
    suggestions_applying: int
    desired_collected: bool


@dataclass(frozen=True)
class OrganisationReport:
    title: str
    organisation: str
    round_name: str
    period: str
    questionnaire: Questionnaire
    min_size: int
    branding: Branding
    answers_deleted: str  # the date the retention rule deleted the raw answers, or ""
    withheld: str | None
    figures: OrganisationFigures | None
    heatmap: tuple[HeatRow, ...]
    hidden: tuple[HeatRow, ...]
    rankings: tuple[Ranking, ...]
    unranked: tuple[HeatRow, ...]
    trend_rounds: tuple[str, ...]
    trends: tuple[Trend, ...]
    department_trends: tuple[DepartmentTrend, ...]
    responses: tuple[ResponseRow, ...]
    commentary: tuple[Block, ...]

    @property
    def columns(self) -> tuple[tuple[str, str], ...]:
        """The heatmap's columns: overall, then each dimension (key, title)."""
        return ((OVERALL, "Overall"), *((d.id, d.title) for d in self.questionnaire.dimensions))


def organisation_report(
    results: RoundResults,
    *,
    answers: Sequence[Answers] | None,
    started: Mapping[int | str, int],
    history: Sequence[RoundResults] = (),
    branding: Branding = DEFAULT_BRANDING,
    commentary: str = "",
    period: str = "",
    answers_deleted: str = "",
) -> OrganisationReport:
    """The organisation report of a round.

    ``answers`` are the raw answers of every submitted respondent (organisation-wide alpha),
    None once the retention rule deleted them (on the date ``answers_deleted`` gives),
    ``started`` how many began the survey per group key (a department with every department
    inside it; ``"organisation"`` for all). ``history`` is as for ``team_report``.
    """
    organisation = results.organisation_group
    depth = results.depths()
    rows = tuple(HeatRow(g, depth[g.key], withheld_reason(g, results.min_size) if _hidden(g) else None)
                 for g in results.groups)
    hidden_org = _hidden(organisation)
    teams = [row for row in rows if not row.group.includes]
    return OrganisationReport(
        title=f"{results.organisation}: organisation report",
        organisation=results.organisation,
        round_name=results.round_name,
        period=period,
        questionnaire=results.questionnaire,
        min_size=results.min_size,
        branding=branding,
        answers_deleted=answers_deleted,
        withheld=withheld_reason(organisation, results.min_size) if hidden_org else None,
        figures=None if hidden_org else _figures(results, answers, started),
        heatmap=rows,
        hidden=tuple(row for row in rows if row.withheld),
        rankings=() if hidden_org else rankings(results.questionnaire, [row.group for row in teams]),
        unranked=tuple(row for row in teams if row.withheld),
        trend_rounds=tuple(r.round_name for r in history),
        trends=() if hidden_org else organisation_trends(results.questionnaire, history),
        department_trends=tuple(
            DepartmentTrend(g.name, depth[g.key], _trend_points(history, g.key, OVERALL)) for g in results.groups
        ),
        responses=tuple(
            ResponseRow(row.name, row.depth, None if row.withheld else row.group.respondents,
                        None if row.withheld else started.get(row.group.key, 0), row.withheld)
            for row in rows
        ),
        commentary=commentary_blocks(commentary),
    )


def _hidden(group: GroupFigures) -> bool:
    return group.suppressed or group.result is None


def _figures(results: RoundResults, answers: Sequence[Answers] | None, started: Mapping[int | str, int]) -> (
        OrganisationFigures):
    group = results.organisation_group
    assert group.result is not None
    questionnaire = results.questionnaire
    numbered = number_suggestions(questionnaire, group)
    shown = numbered[:REPORT_SUGGESTIONS]
    dimensions = tuple(
        DimensionFigure(d, group.result.dimensions[d.id], reliability(questionnaire, d.id, answers))
        for d in questionnaire.dimensions
    )
    strongest, npm_led = highest_and_lowest(dimensions)
    return OrganisationFigures(
        respondents=group.respondents,
        started=max(started.get(group.key, 0), group.respondents),
        overall=group.result.overall,
        dimensions=dimensions,
        strongest=strongest,
        npm_led=npm_led,
        top_suggestions=tuple(numbered[:SUMMARY_SUGGESTIONS]),
        suggestion_groups=group_by_horizon(shown),
        suggestions_shown=len(shown),
        suggestions_applying=len(numbered),
        desired_collected=group.result.desired_collected,
    )


def rankings(questionnaire: Questionnaire, groups: Sequence[GroupFigures]) -> tuple[Ranking, ...]:
    """Overall and each dimension: the shown groups from most relational to most NPM-led (ties by
    name). Groups without figures are left out; the report names them separately."""
    found = []
    for key, title in ((OVERALL, "Overall"), *((d.id, d.title) for d in questionnaire.dimensions)):
        scored = [(g, score) for g in groups if (score := score_of(g, key)) is not None and score.mean is not None]
        scored.sort(key=lambda pair: (-pair[1].mean, pair[0].name))  # type: ignore[operator]
        found.append(Ranking(key, title, tuple(RankRow(index, g.name, g.parent, score)
                                               for index, (g, score) in enumerate(scored, start=1))))
    return tuple(found)


def organisation_trends(questionnaire: Questionnaire, history: Sequence[RoundResults]) -> tuple[Trend, ...]:
    if not history:
        return ()
    shared = history[-1].questionnaire
    keys = ((OVERALL, "Overall"), *((d.id, d.title) for d in shared.dimensions))
    return tuple(Trend(key, title, _trend_points(history, history[-1].organisation_group.key, key))
                 for key, title in keys)


def _trend_points(history: Sequence[RoundResults], group_key: int | str, key: str) -> tuple[TrendPoint, ...]:
    """One point per round: the figure when shown, and its change since the round before when
    both are shown (rule 8)."""
    points: list[TrendPoint] = []
    for results in history:
        group = group_in(results, group_key)
        score = score_of(group, key)
        note = ""
        if group is None:
            note = "No responses"
        elif score is None:
            note = "Not shown"
        before = points[-1].score if points else None
        change = None
        if score is not None and before is not None:
            change = change_between(before.current, score.current)
        points.append(TrendPoint(results.round_name, score, change, note))
    return tuple(points)
