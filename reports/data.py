"""Report data: the round's result objects (``survey.results``) turned into what a report shows.

Pure: no Flask, no database. Every figure comes from ``RoundResults`` and ``survey.scoring``;
suppression is taken from ``GroupFigures.suppressed``, never decided here. A suppressed team's
report carries no figures at all: ``TeamReport.figures`` is None and the templates can show
nothing but the reason. Numbers stay unrounded; the templates round them for presentation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from reports.branding import DEFAULT_BRANDING, Branding
from survey.questionnaire import Dimension, Item, Questionnaire
from survey.results import OVERALL, GroupFigures, RoundResults
from survey.scoring import (
    MIN_ALPHA_RESPONDENTS,
    Change,
    RankedSuggestion,
    ScoreResult,
    Summary,
    change_between,
    cronbach_alpha,
    item_score,
    summarise,
)

HORIZONS = (("quick-win", "Quick wins"), ("medium", "Medium term"), ("long-term", "Long term"))
HORIZON_TITLES = dict(HORIZONS)
REPORT_SUGGESTIONS = 12
SUMMARY_SUGGESTIONS = 3
HIGHLIGHTS = 3

Answers = Mapping[str, int | None]
T = TypeVar("T")


# Shared parts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A block of commentary: a paragraph (``kind`` "p") or a bulleted list ("ul")."""

    kind: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Comparison:
    """The change of one figure since the previous comparable round (rule 8), or why there is none."""

    previous_round: str
    change: Change | None
    reason: str = ""


@dataclass(frozen=True)
class NumberedSuggestion:
    """A suggestion with its place in the priority order (1 = first) and what triggered it."""

    number: int
    ranked: RankedSuggestion
    dimension: Dimension
    band: str | None

    @property
    def horizon_title(self) -> str:
        return HORIZON_TITLES.get(self.ranked.suggestion.horizon, self.ranked.suggestion.horizon)


@dataclass(frozen=True)
class SuggestionGroup:
    horizon: str
    title: str
    suggestions: tuple[NumberedSuggestion, ...]


@dataclass(frozen=True)
class Reliability:
    """Rule 9 for one dimension: alpha, shown only with enough complete answers."""

    alpha: float | None
    complete: int
    answers_deleted: bool = False

    @property
    def reason(self) -> str:
        if self.alpha is not None:
            return ""
        if self.answers_deleted:
            return "Not available: the answers were deleted under the retention rule"
        if self.complete < MIN_ALPHA_RESPONDENTS:
            return f"Not shown: fewer than {MIN_ALPHA_RESPONDENTS} people answered every question"
        return "Not shown: the answers did not vary"


@dataclass(frozen=True)
class Distribution:
    """One item's answers: ``counts[i]`` people answered scale point ``i + 1`` (paradigm
    orientation, 1 = fully the NPM statement), ``dont_know`` answered "don't know", ``unanswered``
    left it out."""

    item: Item
    number: int
    counts: tuple[int, ...]
    dont_know: int
    unanswered: int
    summary: Summary | None

    @property
    def answered(self) -> int:
        return sum(self.counts) + self.dont_know


# The team report ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DimensionSection:
    dimension: Dimension
    score: ScoreResult
    comparison: Comparison | None
    distributions: tuple[Distribution, ...]
    reliability: Reliability
    triggered: tuple[NumberedSuggestion, ...]


@dataclass(frozen=True)
class TeamFigures:
    respondents: int
    started: int
    overall: ScoreResult
    overall_comparison: Comparison | None
    sections: tuple[DimensionSection, ...]
    strongest: tuple[DimensionSection, ...]
    npm_led: tuple[DimensionSection, ...]
    top_suggestions: tuple[NumberedSuggestion, ...]
    suggestion_groups: tuple[SuggestionGroup, ...]
    suggestions_shown: int
    suggestions_applying: int
    desired_collected: bool


@dataclass(frozen=True)
class TeamReport:
    title: str
    organisation: str
    department: str
    parent: str | None
    includes: tuple[str, ...]
    round_name: str
    period: str
    questionnaire: Questionnaire
    min_size: int
    branding: Branding
    answers_deleted: str  # the date the retention rule deleted the raw answers, or ""
    withheld: str | None
    small_group: bool
    figures: TeamFigures | None
    commentary: tuple[Block, ...]


def team_report(
    results: RoundResults,
    department_key: int,
    *,
    answers: Sequence[Answers] | None,
    started: int,
    history: Sequence[RoundResults] = (),
    branding: Branding = DEFAULT_BRANDING,
    commentary: str = "",
    period: str = "",
    answers_deleted: str = "",
) -> TeamReport:
    """The team report of one department in ``results``.

    ``answers`` are the raw answers of the group's submitted respondents (distributions, alpha),
    None once the retention rule deleted them on the date ``answers_deleted`` gives;
    ``started`` how many began the survey. ``history`` is the comparable rounds up to and
    including this one, oldest first, scored on the questionnaire they share; the change since
    the previous one is shown when the group has figures in both.
    """
    group = next((g for g in results.groups if g.key == department_key), None)
    if group is None:
        raise ValueError(f"department {department_key!r} is not in round {results.round_name!r}")
    hidden = group.suppressed or group.result is None
    return TeamReport(
        title=f"{group.name}: team report",
        organisation=results.organisation,
        department=group.name,
        parent=group.parent,
        includes=group.includes,
        round_name=results.round_name,
        period=period,
        questionnaire=results.questionnaire,
        min_size=results.min_size,
        branding=branding,
        answers_deleted=answers_deleted,
        withheld=withheld_reason(group, results.min_size) if hidden else None,
        small_group=hidden and group.respondents < results.min_size,
        figures=None if hidden else _team_figures(results, group, answers, started, history),
        commentary=() if hidden else commentary_blocks(commentary),
    )


def _team_figures(results: RoundResults, group: GroupFigures, answers: Sequence[Answers] | None, started: int,
                  history: Sequence[RoundResults]) -> TeamFigures:
    assert group.result is not None
    questionnaire = results.questionnaire
    numbered = number_suggestions(questionnaire, group)
    shown = numbered[:REPORT_SUGGESTIONS]
    previous = _previous_scores(history, group.key)
    sections = tuple(
        DimensionSection(
            dimension=dimension,
            score=group.result.dimensions[dimension.id],
            comparison=_comparison(previous, dimension.id, history),
            distributions=distributions(questionnaire, dimension.id, answers),
            reliability=reliability(questionnaire, dimension.id, answers),
            triggered=tuple(s for s in shown if s.dimension.id == dimension.id),
        )
        for dimension in questionnaire.dimensions
    )
    strongest, npm_led = highest_and_lowest(sections)
    return TeamFigures(
        respondents=group.respondents,
        started=max(started, group.respondents),
        overall=group.result.overall,
        overall_comparison=_comparison(previous, OVERALL, history),
        sections=sections,
        strongest=strongest,
        npm_led=npm_led,
        top_suggestions=tuple(numbered[:SUMMARY_SUGGESTIONS]),
        suggestion_groups=group_by_horizon(shown),
        suggestions_shown=len(shown),
        suggestions_applying=len(numbered),
        desired_collected=group.result.desired_collected,
    )


def highest_and_lowest(items: Sequence[T]) -> tuple[tuple[T, ...], tuple[T, ...]]:
    """The three most relational items (highest mean first) and the three most NPM-led of the
    rest (lowest first); ties keep questionnaire order. Items without a figure are left out."""
    means = {id(item): item.score.mean for item in items if item.score.mean is not None}  # type: ignore[attr-defined]
    ranked = sorted((item for item in items if id(item) in means), key=lambda item: -means[id(item)])
    rest = sorted(ranked[HIGHLIGHTS:], key=lambda item: means[id(item)])
    return tuple(ranked[:HIGHLIGHTS]), tuple(rest[:HIGHLIGHTS])


def withheld_reason(group: GroupFigures, min_size: int) -> str:
    """Why a group shows no figures (the same words as the workspace)."""
    if group.respondents < min_size:
        return f"Fewer than {min_size} responses"
    return "Hidden to protect a smaller group"


# Pieces both reports use ---------------------------------------------------------------------------


def number_suggestions(questionnaire: Questionnaire, group: GroupFigures) -> list[NumberedSuggestion]:
    """The group's ranked suggestions (rule 10, already ranked in the results), numbered."""
    assert group.result is not None
    return [
        NumberedSuggestion(
            number=index,
            ranked=ranked,
            dimension=questionnaire.dimension(ranked.suggestion.dimension),
            band=group.result.dimensions[ranked.suggestion.dimension].band,
        )
        for index, ranked in enumerate(group.suggestions, start=1)
    ]


def group_by_horizon(suggestions: Sequence[NumberedSuggestion]) -> tuple[SuggestionGroup, ...]:
    """Quick wins, then medium and long term, each in priority order; empty horizons left out."""
    groups = []
    for horizon, title in HORIZONS:
        found = tuple(s for s in suggestions if s.ranked.suggestion.horizon == horizon)
        if found:
            groups.append(SuggestionGroup(horizon, title, found))
    return tuple(groups)


def distributions(questionnaire: Questionnaire, dimension_id: str, answers: Sequence[Answers] | None) -> tuple[
        Distribution, ...]:
    """How the group answered each item of a dimension (nothing once the answers are deleted)."""
    if answers is None:
        return ()
    found = []
    for number, item in enumerate(questionnaire.items_in(dimension_id), start=1):
        counts = [0] * questionnaire.points
        dont_know = unanswered = 0
        for respondent in answers:
            if item.id not in respondent:
                unanswered += 1
            elif (value := respondent[item.id]) is None:
                dont_know += 1
            else:
                counts[value - 1] += 1
        summary = summarise(item_score(r.get(item.id), questionnaire.points) for r in answers)
        found.append(Distribution(item, number, tuple(counts), dont_know, unanswered, summary))
    return tuple(found)


def reliability(questionnaire: Questionnaire, dimension_id: str, answers: Sequence[Answers] | None) -> Reliability:
    if answers is None:
        return Reliability(None, 0, answers_deleted=True)
    items = [item.id for item in questionnaire.items_in(dimension_id)]
    complete = sum(1 for r in answers if all(r.get(item) is not None for item in items))
    return Reliability(cronbach_alpha(questionnaire, dimension_id, answers), complete)


def commentary_blocks(text: str) -> tuple[Block, ...]:
    """Commentary as paragraphs (separated by blank lines) and bulleted lists (lines that start
    with "- " or "* "). Plain text only: the templates escape it."""
    blocks: list[Block] = []
    for chunk in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in chunk.split("\n") if line.strip()]
        if not lines:
            continue
        if all(line.startswith(("- ", "* ")) for line in lines):
            blocks.append(Block("ul", tuple(line[2:].strip() for line in lines)))
        else:
            blocks.append(Block("p", (" ".join(lines),)))
    return tuple(blocks)


def score_of(group: GroupFigures | None, key: str) -> ScoreResult | None:
    return group.score(key) if group is not None else None


def _previous_scores(history: Sequence[RoundResults], key: int | str) -> tuple[
        GroupFigures | None, GroupFigures | None] | None:
    """The group in the previous comparable round and in this one (on their shared questionnaire)."""
    if len(history) < 2:
        return None
    before, after = history[-2], history[-1]
    return group_in(before, key), group_in(after, key)


def group_in(results: RoundResults, key: int | str) -> GroupFigures | None:
    if key == results.organisation_group.key:
        return results.organisation_group
    return next((g for g in results.groups if g.key == key), None)


def _comparison(pair: tuple[GroupFigures | None, GroupFigures | None] | None, key: str,
                history: Sequence[RoundResults]) -> Comparison | None:
    if pair is None:
        return None
    previous_name = history[-2].round_name
    before, after = (score_of(group, key) for group in pair)
    if pair[0] is None:
        return Comparison(previous_name, None, f"No responses in {previous_name}")
    if pair[0].suppressed:
        return Comparison(previous_name, None, f"No figures were shown in {previous_name}")
    change = change_between(before.current if before else None, after.current if after else None)
    if change is None:
        return Comparison(previous_name, None, f"No comparable figure in {previous_name}")
    return Comparison(previous_name, change)
