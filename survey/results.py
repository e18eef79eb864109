"""A round's results: every department's figures (DESIGN.md section 3) with the anonymity rule
(section 4) applied once, here. Pages, exports, the command line and reports all use these
objects; none of them computes a figure or decides a suppression of its own.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from survey import queries
from survey.anonymity import Group, suppressed_groups
from survey.models import Department, Round
from survey.questionnaire import Questionnaire
from survey.scoring import (
    GroupResult,
    RankedSuggestion,
    ScoreResult,
    Summary,
    overall_rule,
    rank_suggestions,
    score_result,
)

ORGANISATION = "organisation"
OVERALL = "overall"


@dataclass(frozen=True, eq=False)
class GroupFigures:
    """One group's figures: a department (with the teams inside it) or the whole organisation.

    Whether a group is suppressed is decided from counts, for every group at once; its figures
    are worked out when first read, because a page shows only some of a round's groups.
    """

    key: int | str
    name: str
    parent: str | None
    includes: tuple[str, ...]
    respondents: int
    suppressed: bool
    work_out: Callable[[], Figures] = field(repr=False)

    @classmethod
    def known(cls, key: int | str, name: str, parent: str | None, includes: tuple[str, ...], respondents: int,
              suppressed: bool, result: GroupResult | None, suggestions: tuple[RankedSuggestion, ...]) -> GroupFigures:
        """A group whose figures are already worked out."""
        return cls(key, name, parent, includes, respondents, suppressed, lambda: (result, suggestions))

    @cached_property
    def _figures(self) -> Figures:
        return (None, ()) if self.suppressed else self.work_out()

    @property
    def result(self) -> GroupResult | None:
        return self._figures[0]

    @property
    def suggestions(self) -> tuple[RankedSuggestion, ...]:
        return self._figures[1]

    def score(self, key: str) -> ScoreResult | None:
        """The overall figure (``key`` "overall") or a dimension's; None when withheld."""
        result = self.result
        if result is None:
            return None
        return result.overall if key == OVERALL else result.dimensions.get(key)


Figures = tuple[GroupResult | None, tuple[RankedSuggestion, ...]]


@dataclass(frozen=True)
class RoundResults:
    round_id: int
    round_name: str
    organisation: str
    questionnaire: Questionnaire
    asks_desired: bool
    min_size: int
    organisation_group: GroupFigures
    groups: tuple[GroupFigures, ...]

    def group(self, name: str) -> GroupFigures | None:
        return next((g for g in self.groups if g.name == name), None)

    def depths(self) -> dict[int | str, int]:
        """How deep each department sits in the tree (top-level departments: 0)."""
        by_name = {group.name: group for group in self.groups}
        found: dict[int | str, int] = {}
        for group in self.groups:
            depth, parent = 0, group.parent
            while parent is not None and parent in by_name and depth < len(self.groups):
                depth, parent = depth + 1, by_name[parent].parent
            found[group.key] = depth
        return found


def round_results(survey_round: Round, min_size: int) -> RoundResults:
    return results_for_rounds([survey_round], min_size)[survey_round.id]


def results_for_rounds(
    rounds: Sequence[Round], min_size: int, questionnaire: Questionnaire | None = None
) -> dict[int, RoundResults]:
    """``round_results`` for several rounds, one query per questionnaire version (trends, compare).

    With ``questionnaire`` given (e.g. ``shared_questionnaire`` of rounds on different versions),
    every round is scored on it: items and dimensions it does not have are left out. A round on
    another version is then scored from its answers; once the retention rule has deleted those,
    from its stored dimension scores (the dimensions shared, on its own version's items).
    """
    by_source: dict[tuple[int | None, bool], list[Round]] = defaultdict(list)
    for survey_round in rounds:
        own = questionnaire is None or survey_round.questionnaire == questionnaire
        from_answers = not own and survey_round.answers_deleted_at is None
        by_source[(None if questionnaire else survey_round.questionnaire_version_id, from_answers)].append(survey_round)
    found: dict[int, RoundResults] = {}
    for (_, from_answers), same in by_source.items():
        used = questionnaire or same[0].questionnaire
        read = queries.respondent_scores_from_answers if from_answers else queries.respondent_scores
        respondents = read([r.id for r in same], used)
        for survey_round in same:
            found[survey_round.id] = _round_results(survey_round, min_size, used, respondents.get(survey_round.id, []))
    return found


def _round_results(
    survey_round: Round, min_size: int, questionnaire: Questionnaire, respondents: list[queries.RespondentScores]
) -> RoundResults:
    departments = sorted(survey_round.organisation.departments, key=lambda d: d.name)
    members = _members(departments)
    by_department = defaultdict(list)
    for respondent in respondents:
        by_department[respondent.department_id].append(respondent)

    sizes = {d.id: sum(len(by_department[m]) for m in members[d.id]) for d in departments}
    suppressed = suppressed_groups(
        [Group(ORGANISATION, len(respondents))]
        + [Group(d.id, sizes[d.id], d.parent_id if d.parent_id else ORGANISATION) for d in departments],
        min_size,
    )

    asks_desired = survey_round.asks_desired

    @functools.cache
    def overalls() -> dict[int, tuple[float | None, float | None]]:
        return _respondent_overalls(questionnaire, respondents, asks_desired)

    def figures(key, name, parent, includes, group_respondents):  # type: ignore[no-untyped-def]
        def work_out() -> Figures:
            result = _group_result(questionnaire, group_respondents, overalls(), asks_desired)
            return result, tuple(rank_suggestions(questionnaire, result.dimensions))

        return GroupFigures(key, name, parent, includes, len(group_respondents), key in suppressed, work_out)

    names = {d.id: d.name for d in departments}
    groups = tuple(
        figures(
            d.id, d.name, names.get(d.parent_id) if d.parent_id else None,
            tuple(names[m] for m in members[d.id] if m != d.id),
            [r for m in members[d.id] for r in by_department[m]],
        )
        for d in _tree_order(departments)
    )
    return RoundResults(
        round_id=survey_round.id,
        round_name=survey_round.name,
        organisation=survey_round.organisation.name,
        questionnaire=questionnaire,
        asks_desired=survey_round.asks_desired,
        min_size=min_size,
        organisation_group=figures(ORGANISATION, "All departments", None, tuple(names.values()), respondents),
        groups=groups,
    )


def shared_questionnaire(questionnaires: Sequence[Questionnaire]) -> Questionnaire:
    """The first questionnaire cut down to the items (by id) and dimensions that all share, so
    that rounds on different versions compare like with like (DESIGN.md section 2)."""
    first = questionnaires[0]
    if all(q is first or q == first for q in questionnaires):
        return first
    item_ids = set.intersection(*({(i.id, i.dimension) for i in q.items} for q in questionnaires))
    items = tuple(i for i in first.items if (i.id, i.dimension) in item_ids)
    dimension_ids = {dimension for _, dimension in item_ids}
    return dataclasses.replace(
        first,
        items=items,
        dimensions=tuple(d for d in first.dimensions if d.id in dimension_ids),
        suggestions=tuple(s for s in first.suggestions if s.dimension in dimension_ids),
    )


def department_members(departments: Sequence[Department]) -> dict[int, list[int]]:
    """Each department's id with the ids of every department inside it, at any depth."""
    return _members(list(departments))


def _respondent_overalls(
    questionnaire: Questionnaire, respondents: list[queries.RespondentScores], asks_desired: bool
) -> dict[int, tuple[float | None, float | None]]:
    """Rule 3 once per respondent (current, desired): a respondent counts in every group above
    their team too, and this is the most frequent calculation of a round."""
    overall = overall_rule(questionnaire)
    return {r.response_id: (overall(r.current), overall(r.desired) if asks_desired else None) for r in respondents}


def _group_result(
    questionnaire: Questionnaire,
    respondents: list[queries.RespondentScores],
    overalls: dict[int, tuple[float | None, float | None]],
    asks_desired: bool,
) -> GroupResult:
    """``scoring.group_result_from_scores``, with the respondents' overall scores worked out once
    (``_respondent_overalls``) instead of once per group; rules 4 to 7 stay in ``scoring``."""

    def column(dimension_id: str, desired: bool) -> list[float | None]:
        return [(r.desired if desired else r.current).get(dimension_id) for r in respondents]

    return GroupResult(
        respondents=len(respondents),
        overall=score_result(
            questionnaire,
            [overalls[r.response_id][0] for r in respondents],
            [overalls[r.response_id][1] for r in respondents] if asks_desired else None,
        ),
        dimensions={
            d.id: score_result(questionnaire, column(d.id, False), column(d.id, True) if asks_desired else None)
            for d in questionnaire.dimensions
        },
        desired_collected=asks_desired,
    )


def _members(departments: list[Department]) -> dict[int, list[int]]:
    """Each department with every department inside it, at any depth (itself first)."""
    children = defaultdict(list)
    for department in departments:
        if department.parent_id:
            children[department.parent_id].append(department.id)

    def walk(department_id: int) -> list[int]:
        return [department_id] + [m for child in children[department_id] for m in walk(child)]

    return {d.id: walk(d.id) for d in departments}


def _tree_order(departments: list[Department]) -> list[Department]:
    """Top-level departments by name, each followed by the departments inside it."""
    by_parent = defaultdict(list)
    for department in departments:
        by_parent[department.parent_id].append(department)

    def walk(parent_id: int | None) -> list[Department]:
        return [d2 for d in by_parent[parent_id] for d2 in [d, *walk(d.id)]]

    return walk(None)


# JSON (DESIGN.md section 6): extend, don't rename --------------------------------------------


def to_json(results: RoundResults, department: str | None = None) -> dict[str, Any]:
    groups = [g for g in results.groups if department is None or g.name == department]
    document: dict[str, Any] = {
        "round": results.round_name,
        "round_id": results.round_id,
        "organisation": results.organisation,
        "questionnaire": {"id": results.questionnaire.id, "version": results.questionnaire.version},
        "min_group_size": results.min_size,
        "groups": [_group_json(g) for g in groups],
    }
    if department is None:
        document["organisation_group"] = _group_json(results.organisation_group)
    return document


def _group_json(group: GroupFigures) -> dict[str, Any]:
    document: dict[str, Any] = {"department": group.name, "parent": group.parent, "includes": list(group.includes),
                                "suppressed": group.suppressed}
    if group.suppressed or group.result is None:
        return document
    result = group.result
    document["n"] = result.respondents
    document["overall"] = _score_json(result.overall)
    document["dimensions"] = {key: _score_json(score, with_divided=True) for key, score in result.dimensions.items()}
    document["suggestions"] = [
        {"id": s.suggestion.id, "dimension": s.suggestion.dimension, "priority": s.priority,
         "horizon": s.suggestion.horizon, "title": s.suggestion.title, "mean": s.mean, "gap": s.gap}
        for s in group.suggestions
    ]
    return document


def _score_json(score: ScoreResult, with_divided: bool = False) -> dict[str, Any]:
    current = score.current
    document = _summary_json(current)
    document["band"] = score.band
    if with_divided:
        document["divided"] = score.divided
    document["desired"] = score.desired.mean if score.desired else None
    document["desired_n"] = score.desired.n if score.desired else None
    document["gap"] = score.gap
    return document


def _summary_json(summary: Summary | None) -> dict[str, Any]:
    if summary is None:
        return {"mean": None, "n": 0, "sd": None, "ci": None}
    return {"mean": summary.mean, "n": summary.n, "sd": summary.sd,
            "ci": list(summary.ci) if summary.ci else None}
