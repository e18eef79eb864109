"""Scoring: DESIGN.md section 3 as pure functions.

Frozen questionnaire in, frozen results out; no Flask, no database, no I/O. The query layer may
aggregate answers in SQL and hand over per-respondent dimension scores
(``group_result_from_scores``); ``group_result`` starts from raw answers and takes the same path,
so no figure is computed in two places. Results carry unrounded floats.

Answers are mappings ``item id -> value`` in paradigm orientation (1 = fully NPM, ``k`` = fully
relational); ``None`` is "don't know" and an item missing from the mapping counts the same way.
Item ids the questionnaire does not have are ignored.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from scipy.special import stdtrit

from survey.questionnaire import Questionnaire, Suggestion

Answers = Mapping[str, int | None]
DimensionScores = Mapping[str, float | None]

CONFIDENCE = 0.95
DIVIDED_SD = 25.0
MIN_ALPHA_RESPONDENTS = 10


@dataclass(frozen=True)
class Summary:
    """Rule 4: a group figure over the ``n`` respondents whose score is non-missing."""

    mean: float
    n: int
    sd: float | None  # sample standard deviation (n - 1); None when n < 2
    ci: tuple[float, float] | None  # 95% t interval of the mean; None when n < 2


@dataclass(frozen=True)
class ScoreResult:
    """One group figure (overall or one dimension) with its band, divided flag, desired and gap.

    ``band`` and ``divided`` describe the current summary; ``divided`` applies rule 6 to the
    overall figure too, though DESIGN.md only asks for it on dimensions.
    """

    current: Summary | None
    desired: Summary | None = None
    band: str | None = None
    divided: bool = False
    gap: float | None = None

    @property
    def mean(self) -> float | None:
        return self.current.mean if self.current else None


@dataclass(frozen=True)
class GroupResult:
    """Section 3 figures of one group in one round.

    ``respondents`` is every respondent handed over (for anonymity the caller should hand over
    the group's submitted respondents, so that this is the group size of section 4); ``n`` is the
    number of them with a non-missing overall score. ``dimensions`` is in questionnaire order.
    """

    respondents: int
    overall: ScoreResult
    dimensions: Mapping[str, ScoreResult] = field(hash=False)
    desired_collected: bool = False

    @property
    def n(self) -> int:
        return self.overall.current.n if self.overall.current else 0


@dataclass(frozen=True)
class Change:
    """Rule 8: ``difference`` = after mean - before mean, with its Welch 95% interval.

    ``ci`` and ``df`` are None (and ``real`` False) when either side has n < 2. When both sides
    have sd 0 the interval is the single point ``(difference, difference)`` (the limit of the
    Welch interval as both sds shrink) and ``df`` is None.
    """

    difference: float
    ci: tuple[float, float] | None
    df: float | None
    real: bool


@dataclass(frozen=True)
class RankedSuggestion:
    """Rule 10: a suggestion that applies to the group, with what ranked it."""

    suggestion: Suggestion
    priority: float
    mean: float
    gap: float | None


class SummaryLike(Protocol):
    @property
    def mean(self) -> float: ...

    @property
    def n(self) -> int: ...

    @property
    def sd(self) -> float | None: ...


def minimum_answered(total: int) -> int:
    """Rules 2 and 3: at least half of ``total`` (rounded up) must be answered: 5 -> 3, 8 -> 4."""
    return (total + 1) // 2


def item_score(answer: int | None, points: int) -> float | None:
    """Rule 1: ``100 * (a - 1) / (k - 1)``; None for "don't know"."""
    if answer is None:
        return None
    if isinstance(answer, bool) or not 1 <= answer <= points:
        raise ValueError(f"answer {answer!r} is not on the 1..{points} scale")
    return 100 * (answer - 1) / (points - 1)


def dimension_score(item_scores: Iterable[float | None], item_count: int) -> float | None:
    """Rule 2: the mean of the answered item scores, when at least half of the dimension's
    ``item_count`` items (rounded up) are answered; otherwise None."""
    answered = [score for score in item_scores if score is not None]
    if not answered or len(answered) < minimum_answered(item_count):
        return None
    return _mean(answered)


def respondent_dimension_scores(questionnaire: Questionnaire, answers: Answers) -> dict[str, float | None]:
    """Rule 2 for every dimension, in questionnaire order."""
    scores = {}
    for dimension in questionnaire.dimensions:
        items = questionnaire.items_in(dimension.id)
        item_scores = (item_score(answers.get(item.id), questionnaire.points) for item in items)
        scores[dimension.id] = dimension_score(item_scores, len(items))
    return scores


def respondent_overall(questionnaire: Questionnaire, dimension_scores: DimensionScores) -> float | None:
    """Rule 3: the weighted mean of the non-missing dimension scores, when at least half of the
    dimensions (rounded up) are non-missing; otherwise None."""
    return overall_rule(questionnaire)(dimension_scores)


def overall_rule(questionnaire: Questionnaire) -> Callable[[DimensionScores], float | None]:
    """``respondent_overall`` for one questionnaire, its weights looked up once: for scoring
    every respondent of a round."""
    weighted = [(dimension.id, dimension.weight) for dimension in questionnaire.dimensions]
    needed = max(minimum_answered(len(weighted)), 1)
    if len({weight for _, weight in weighted}) == 1:
        ids = [dimension_id for dimension_id, _ in weighted]

        def unweighted(dimension_scores: DimensionScores) -> float | None:
            present = [score for dimension_id in ids if (score := dimension_scores.get(dimension_id)) is not None]
            return _mean(present) if len(present) >= needed else None

        return unweighted

    def overall(dimension_scores: DimensionScores) -> float | None:
        present = [(weight, score) for dimension_id, weight in weighted
                   if (score := dimension_scores.get(dimension_id)) is not None]
        if len(present) < needed:
            return None
        if len({weight for weight, _ in present}) == 1:
            return _mean([score for _, score in present])
        return math.fsum(weight * score for weight, score in present) / math.fsum(weight for weight, _ in present)

    return overall


def summarise(values: Iterable[float | None]) -> Summary | None:
    """Rule 4: mean, n, sample sd and 95% t interval over the non-missing values.

    None when no value is present; ``sd`` and ``ci`` are None when n < 2.
    """
    present = [value for value in values if value is not None]
    n = len(present)
    if n == 0:
        return None
    mean = _mean(present)
    if n < 2:
        return Summary(mean=mean, n=n, sd=None, ci=None)
    sd = _sample_sd(present, mean)
    half = t_quantile(0.5 + CONFIDENCE / 2, n - 1) * sd / math.sqrt(n)
    return Summary(mean=mean, n=n, sd=sd, ci=(mean - half, mean + half))


def is_divided(summary: Summary | None) -> bool:
    """Rule 6: the group does not agree when ``sd > 25``."""
    return summary is not None and summary.sd is not None and summary.sd > DIVIDED_SD


def score_result(
    questionnaire: Questionnaire,
    current: Iterable[float | None],
    desired: Iterable[float | None] | None = None,
) -> ScoreResult:
    """Rules 4 to 7 for one figure: summaries, band (rule 5), divided (rule 6) and gap (rule 7)."""
    current_summary = summarise(current)
    desired_summary = summarise(desired) if desired is not None else None
    gap = None
    if current_summary and desired_summary:
        gap = desired_summary.mean - current_summary.mean
    return ScoreResult(
        current=current_summary,
        desired=desired_summary,
        band=questionnaire.band_for(current_summary.mean) if current_summary else None,
        divided=is_divided(current_summary),
        gap=gap,
    )


def group_result_from_scores(
    questionnaire: Questionnaire,
    current_scores: Sequence[DimensionScores],
    desired_scores: Sequence[DimensionScores] | None = None,
) -> GroupResult:
    """Rules 3 to 7 from per-respondent dimension scores (rule 2 already applied, e.g. in SQL).

    ``desired_scores``, when given, holds one mapping per respondent in the same order.
    """
    if desired_scores is not None and len(desired_scores) != len(current_scores):
        raise ValueError("desired scores must have one entry per respondent")

    rule = overall_rule(questionnaire)

    def overall(scores: Sequence[DimensionScores]) -> list[float | None]:
        return [rule(respondent) for respondent in scores]

    def column(scores: Sequence[DimensionScores] | None, dimension_id: str) -> list[float | None] | None:
        return None if scores is None else [respondent.get(dimension_id) for respondent in scores]

    return GroupResult(
        respondents=len(current_scores),
        overall=score_result(
            questionnaire,
            overall(current_scores),
            overall(desired_scores) if desired_scores is not None else None,
        ),
        dimensions={
            dimension.id: score_result(
                questionnaire, column(current_scores, dimension.id), column(desired_scores, dimension.id)
            )
            for dimension in questionnaire.dimensions
        },
        desired_collected=desired_scores is not None,
    )


def group_result(
    questionnaire: Questionnaire,
    respondents_current: Sequence[Answers],
    respondents_desired: Sequence[Answers] | None = None,
) -> GroupResult:
    """Rules 1 to 7 from raw answers, one mapping per respondent (desired in the same order)."""

    def scores(respondents: Sequence[Answers]) -> list[dict[str, float | None]]:
        return [respondent_dimension_scores(questionnaire, answers) for answers in respondents]

    desired = scores(respondents_desired) if respondents_desired is not None else None
    return group_result_from_scores(questionnaire, scores(respondents_current), desired)


def change_between(before: SummaryLike | None, after: SummaryLike | None) -> Change | None:
    """Rule 8: after mean - before mean with a Welch 95% interval (Welch-Satterthwaite df).

    None when either side has no data. A change is real only when the interval excludes 0.
    """
    if before is None or after is None:
        return None
    difference = after.mean - before.mean
    if before.n < 2 or after.n < 2 or before.sd is None or after.sd is None:
        return Change(difference=difference, ci=None, df=None, real=False)
    share_before = before.sd**2 / before.n
    share_after = after.sd**2 / after.n
    variance = share_before + share_after
    if variance == 0:
        return Change(difference=difference, ci=(difference, difference), df=None, real=difference != 0)
    # Welch-Satterthwaite df, written with shares of the variance so that it cannot underflow
    df = 1 / ((share_before / variance) ** 2 / (before.n - 1) + (share_after / variance) ** 2 / (after.n - 1))
    half = t_quantile(0.5 + CONFIDENCE / 2, df) * math.sqrt(variance)
    low, high = difference - half, difference + half
    return Change(difference=difference, ci=(low, high), df=df, real=low > 0 or high < 0)


def change_between_values(before: Iterable[float | None], after: Iterable[float | None]) -> Change | None:
    """Rule 8 on two lists of respondent scores (missing values skipped)."""
    return change_between(summarise(before), summarise(after))


def cronbach_alpha(
    questionnaire: Questionnaire, dimension_id: str, respondents: Sequence[Answers]
) -> float | None:
    """Rule 9: Cronbach's alpha of a dimension over the respondents who answered all its items.

    Computed on raw answers (alpha does not change under the linear map to item scores). None
    when fewer than 10 such respondents, fewer than 2 items, or no variance in the totals.
    """
    items = [item.id for item in questionnaire.items_in(dimension_id)]
    if len(items) < 2:
        return None
    complete = [
        [answers[item] for item in items]
        for answers in respondents
        if all(answers.get(item) is not None for item in items)
    ]
    if len(complete) < MIN_ALPHA_RESPONDENTS:
        return None
    total_variance = statistics.variance([sum(row) for row in complete])
    if total_variance == 0:
        return None
    item_variance = math.fsum(statistics.variance(column) for column in zip(*complete, strict=True))
    k = len(items)
    return k / (k - 1) * (1 - item_variance / total_variance)


def rank_suggestions(
    questionnaire: Questionnaire, dimension_results: Mapping[str, ScoreResult]
) -> list[RankedSuggestion]:
    """Rule 10: the suggestions whose ``[min, max]`` holds the group's current dimension mean,
    highest priority first; ties by dimension order in the questionnaire, then file order.

    Priority is ``gap * weight`` for a dimension with a gap (desired answers collected and
    present), else ``(100 - mean) * weight``.
    """
    dimension_order = {dimension.id: index for index, dimension in enumerate(questionnaire.dimensions)}
    ranked = []
    for file_order, suggestion in enumerate(questionnaire.suggestions):
        result = dimension_results.get(suggestion.dimension)
        if result is None or result.current is None or not suggestion.applies_to(result.current.mean):
            continue
        weight = questionnaire.dimension(suggestion.dimension).weight
        mean, gap = result.current.mean, result.gap
        priority = (gap if gap is not None else 100 - mean) * weight
        key = (-priority, dimension_order[suggestion.dimension], file_order)
        ranked.append((key, RankedSuggestion(suggestion=suggestion, priority=priority, mean=mean, gap=gap)))
    ranked.sort(key=lambda pair: pair[0])
    return [suggestion for _, suggestion in ranked]


@lru_cache(maxsize=4096)
def t_quantile(probability: float, df: float) -> float:
    """The Student t quantile (inverse CDF) at ``probability`` with ``df`` degrees of freedom."""
    return float(stdtrit(df, probability))


def _mean(values: Sequence[float]) -> float:
    """The mean, exactly the value itself when all values are equal."""
    first = values[0]
    if all(value == first for value in values):
        return first
    return math.fsum(values) / len(values)


def _sample_sd(values: Sequence[float], mean: float) -> float:
    """Sample standard deviation (n - 1), two-pass with a compensation term; 0.0 when all equal."""
    deviations = [value - mean for value in values]
    if not any(deviations):
        return 0.0
    squares = math.fsum(d * d for d in deviations) - math.fsum(deviations) ** 2 / len(values)
    return math.sqrt(max(squares, 0.0) / (len(values) - 1))
