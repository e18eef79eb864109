"""DESIGN.md section 3, checked by hand-worked examples and against an independent reference."""

import math
import statistics

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from survey import scoring
from survey.questionnaire import from_data
from survey.scoring import Summary

TOLERANCE = 1e-9


def make_questionnaire(dimensions, points=7, suggestions=()):
    """``dimensions``: (id, item count, weight) triples; items are named ``<dimension>-<i>``."""
    return from_data(
        {
            "id": "test",
            "version": 1,
            "title": "Test",
            "scale": {"points": points},
            "dimensions": [{"id": d, "title": d.title(), "weight": w} for d, _, w in dimensions],
            "items": [
                {"id": f"{d}-{i}", "dimension": d, "npm": "N", "relational": "R", "swapped": i == 1}
                for d, count, _ in dimensions
                for i in range(1, count + 1)
            ],
            "suggestions": [
                {"id": s, "dimension": d, "min": low, "max": high, "horizon": "medium", "title": s, "body": s}
                for s, d, low, high in suggestions
            ],
        }
    )


# ---------------------------------------------------------------------------------------------
# A hand-worked group: a 5-point scale, "roles" (3 items, weight 1), "measures" (2 items, weight 3)
#
#   A: roles 5, 3, ?   -> 100, 50 (2 of 3 answered, 2 needed)  -> 75
#      measures 2, 4   -> 25, 75                               -> 50
#      overall (75 * 1 + 50 * 3) / 4                          = 56.25
#   B: roles 1, ?, ?   -> 1 of 3 answered                      -> missing
#      measures 5, 5                                           -> 100
#      overall: 1 of 2 dimensions present, 1 needed            = 100
#   C: everything "don't know"                                 -> all missing
#
#   roles:    [75]        mean 75, n 1, no sd, no ci
#   measures: [50, 100]   mean 75, sd sqrt(2 * 25^2 / 1) = 35.355..., divided (> 25)
#             ci 75 -+ t(0.975, 1) * 35.355 / sqrt(2) = 75 -+ 12.7062 * 25
#   overall:  [56.25, 100] mean 78.125, sd 21.875 * sqrt(2)
#
# Desired: A wants 5 everywhere (roles 100, measures 100, overall 100); B wants roles 4, 4, ?
# (75) and does not know measures (missing), so B's desired overall is 75 (1 of 2 dimensions).
#   desired roles [100, 75] mean 87.5 -> gap 12.5; measures [100] -> gap 25;
#   desired overall [100, 75] mean 87.5 -> gap 87.5 - 78.125 = 9.375
# ---------------------------------------------------------------------------------------------

WORKED = make_questionnaire([("roles", 3, 1), ("measures", 2, 3)], points=5)
WORKED_CURRENT = [
    {"roles-1": 5, "roles-2": 3, "roles-3": None, "measures-1": 2, "measures-2": 4},
    {"roles-1": 1, "measures-1": 5, "measures-2": 5},
    {"roles-1": None, "roles-2": None},
]
WORKED_DESIRED = [
    {"roles-1": 5, "roles-2": 5, "roles-3": 5, "measures-1": 5, "measures-2": 5},
    {"roles-1": 4, "roles-2": 4},
    {},
]


def test_a_hand_worked_respondent_scores_each_dimension_and_the_weighted_overall():
    scores = scoring.respondent_dimension_scores(WORKED, WORKED_CURRENT[0])
    assert scores == {"roles": 75.0, "measures": 50.0}
    assert scoring.respondent_overall(WORKED, scores) == 56.25


def test_a_hand_worked_group_has_the_means_sds_and_intervals_computed_by_hand():
    result = scoring.group_result(WORKED, WORKED_CURRENT)

    assert result.respondents == 3
    assert result.n == 2
    assert result.dimensions["roles"].current == Summary(mean=75.0, n=1, sd=None, ci=None)
    measures = result.dimensions["measures"].current
    assert (measures.mean, measures.n) == (75.0, 2)
    assert measures.sd == pytest.approx(math.sqrt(1250), abs=TOLERANCE)
    assert measures.ci == pytest.approx((75 - 12.706204736 * 25, 75 + 12.706204736 * 25), abs=1e-6)
    assert result.dimensions["measures"].divided
    assert result.overall.current.mean == 78.125
    assert result.overall.current.sd == pytest.approx(21.875 * math.sqrt(2), abs=TOLERANCE)
    assert result.overall.band == "Relational"
    assert list(result.dimensions) == ["roles", "measures"]


def test_a_hand_worked_group_with_desired_answers_has_the_gaps_computed_by_hand():
    result = scoring.group_result(WORKED, WORKED_CURRENT, WORKED_DESIRED)

    assert result.desired_collected
    assert result.dimensions["roles"].desired.mean == 87.5
    assert result.dimensions["roles"].gap == 12.5
    assert result.dimensions["measures"].desired == Summary(mean=100.0, n=1, sd=None, ci=None)
    assert result.dimensions["measures"].gap == 25.0
    assert result.overall.desired.mean == 87.5
    assert result.overall.gap == 9.375


def test_a_group_without_desired_answers_has_no_desired_figures_or_gaps():
    result = scoring.group_result(WORKED, WORKED_CURRENT)

    assert not result.desired_collected
    assert all(r.desired is None and r.gap is None for r in [result.overall, *result.dimensions.values()])


def test_suggestions_are_ranked_by_gap_times_weight_when_desired_answers_were_collected():
    questionnaire = make_questionnaire(
        [("roles", 3, 1), ("measures", 2, 3)],
        points=5,
        suggestions=[
            ("everywhere", "roles", 0, 100),
            ("too-low", "measures", 0, 50),
            ("high-measures", "measures", 60, 100),
            ("too-high", "roles", 80, 100),
        ],
    )
    # both current means are 75: roles gap 12.5 * 1 = 12.5, measures gap 25 * 3 = 75
    with_desired = scoring.group_result(questionnaire, WORKED_CURRENT, WORKED_DESIRED)
    ranked = scoring.rank_suggestions(questionnaire, with_desired.dimensions)
    assert [(r.suggestion.id, r.priority, r.mean, r.gap) for r in ranked] == [
        ("high-measures", 75.0, 75.0, 25.0),
        ("everywhere", 12.5, 75.0, 12.5),
    ]
    # without desired answers: (100 - 75) * 1 = 25 and (100 - 75) * 3 = 75
    current_only = scoring.group_result(questionnaire, WORKED_CURRENT)
    ranked = scoring.rank_suggestions(questionnaire, current_only.dimensions)
    assert [(r.suggestion.id, r.priority, r.gap) for r in ranked] == [
        ("high-measures", 75.0, None),
        ("everywhere", 25.0, None),
    ]


def test_equal_priorities_are_ordered_by_dimension_then_by_file_order():
    questionnaire = make_questionnaire(
        [("first", 1, 1), ("second", 1, 1)],
        suggestions=[("b-1", "second", 0, 100), ("a-1", "first", 0, 100), ("a-2", "first", 0, 100)],
    )
    result = scoring.group_result(questionnaire, [{"first-1": 4, "second-1": 4}])
    ranked = scoring.rank_suggestions(questionnaire, result.dimensions)
    assert [r.suggestion.id for r in ranked] == ["a-1", "a-2", "b-1"]


def test_a_suggestion_applies_on_the_edges_of_its_range():
    questionnaire = make_questionnaire(
        [("roles", 1, 1)], suggestions=[("up-to-50", "roles", 0, 50), ("from-50", "roles", 50, 100)]
    )
    result = scoring.group_result(questionnaire, [{"roles-1": 4}])  # exactly 50
    assert [r.suggestion.id for r in scoring.rank_suggestions(questionnaire, result.dimensions)] == [
        "up-to-50",
        "from-50",
    ]


def test_a_dimension_without_a_group_mean_triggers_no_suggestion():
    questionnaire = make_questionnaire([("roles", 1, 1)], suggestions=[("any", "roles", 0, 100)])
    result = scoring.group_result(questionnaire, [{"roles-1": None}])
    assert scoring.rank_suggestions(questionnaire, result.dimensions) == []


@pytest.mark.parametrize(("answer", "score"), [(1, 0.0), (4, 50.0), (7, 100.0), (None, None), (2, 100 / 6)])
def test_an_item_score_maps_the_seven_point_scale_onto_0_to_100(answer, score):
    assert scoring.item_score(answer, 7) == score


@pytest.mark.parametrize("answer", [0, 8, -1, True])
def test_an_answer_off_the_scale_is_refused(answer):
    with pytest.raises(ValueError, match="scale"):
        scoring.item_score(answer, 7)


@pytest.mark.parametrize(("total", "needed"), [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (8, 4), (9, 5)])
def test_half_the_items_or_dimensions_rounded_up_must_be_answered(total, needed):
    assert scoring.minimum_answered(total) == needed


def test_a_five_item_dimension_needs_three_answers():
    questionnaire = make_questionnaire([("roles", 5, 1)])
    two = {"roles-1": 7, "roles-2": 1}
    three = {**two, "roles-3": 4}
    assert scoring.respondent_dimension_scores(questionnaire, two) == {"roles": None}
    assert scoring.respondent_dimension_scores(questionnaire, three) == {"roles": 50.0}


def test_a_four_item_dimension_is_scored_with_exactly_half_answered():
    questionnaire = make_questionnaire([("roles", 4, 1)])
    assert scoring.respondent_dimension_scores(questionnaire, {"roles-1": 7, "roles-4": 4}) == {"roles": 75.0}


def test_an_overall_score_over_eight_dimensions_needs_four_of_them():
    questionnaire = make_questionnaire([(f"d{i}", 1, i) for i in range(1, 9)])
    three = {"d1": 0.0, "d2": 50.0, "d3": 100.0}
    four = {**three, "d4": 100.0, "d5": None}
    assert scoring.respondent_overall(questionnaire, three) is None
    # weights 1, 2, 3, 4: (0 + 100 + 300 + 400) / 10
    assert scoring.respondent_overall(questionnaire, four) == 80.0


def test_unequal_weights_pull_the_overall_score_towards_the_heavier_dimension():
    questionnaire = make_questionnaire([("light", 1, 1), ("heavy", 1, 3)])
    assert scoring.respondent_overall(questionnaire, {"light": 0.0, "heavy": 100.0}) == 75.0


def test_a_respondent_who_does_not_know_anything_has_no_scores():
    result = scoring.group_result(WORKED, [{item.id: None for item in WORKED.items}])

    assert result.respondents == 1
    assert result.n == 0
    assert result.overall.current is None
    assert result.overall.band is None
    assert not result.overall.divided
    assert all(r.current is None for r in result.dimensions.values())


def test_an_empty_group_has_no_figures():
    result = scoring.group_result(WORKED, [])
    assert (result.respondents, result.n, result.overall.current) == (0, 0, None)


def test_one_value_has_a_mean_but_no_spread_or_interval():
    assert scoring.summarise([42.5, None]) == Summary(mean=42.5, n=1, sd=None, ci=None)


def test_no_values_summarise_to_nothing():
    assert scoring.summarise([]) is None
    assert scoring.summarise([None, None]) is None


@pytest.mark.parametrize("value", [0.0, 100 / 6, 100 / 3, 55.55555555555556, 100.0])
def test_identical_values_have_sd_zero_and_a_point_interval(value):
    summary = scoring.summarise([value] * 7)
    assert summary == Summary(mean=value, n=7, sd=0.0, ci=(value, value))


def test_a_group_answering_identically_is_not_divided():
    questionnaire = make_questionnaire([("roles", 3, 1)])
    result = scoring.group_result(questionnaire, [{"roles-1": 2, "roles-2": 3, "roles-3": 3}] * 6)
    roles = result.dimensions["roles"]
    assert roles.current.sd == 0.0
    assert roles.current.mean == pytest.approx(100 * 5 / 18, abs=TOLERANCE)  # (1 + 2 + 2) / 3 steps of 6
    assert not roles.divided


@pytest.mark.parametrize(("sd", "divided"), [(None, False), (0.0, False), (25.0, False), (25.000001, True)])
def test_a_view_is_divided_only_when_the_sd_exceeds_25(sd, divided):
    assert scoring.is_divided(Summary(mean=50.0, n=2, sd=sd, ci=None)) is divided


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0.0, "NPM-led"),
        (33.3329, "NPM-led"),
        (33.333, "In transition"),
        (66.667, "Relational"),
        (100, "Relational"),
    ],
)
def test_the_band_is_the_first_whose_limit_exceeds_the_score(score, band):
    questionnaire = make_questionnaire([("roles", 1, 1)])
    assert scoring.score_result(questionnaire, [score]).band == band


def test_desired_answers_must_come_one_per_respondent():
    with pytest.raises(ValueError, match="one entry per respondent"):
        scoring.group_result(WORKED, WORKED_CURRENT, WORKED_DESIRED[:2])


def test_a_group_result_from_dimension_scores_equals_one_from_answers():
    current = [scoring.respondent_dimension_scores(WORKED, a) for a in WORKED_CURRENT]
    desired = [scoring.respondent_dimension_scores(WORKED, a) for a in WORKED_DESIRED]
    from_scores = scoring.group_result_from_scores(WORKED, current, desired)
    assert from_scores == scoring.group_result(WORKED, WORKED_CURRENT, WORKED_DESIRED)


# ---------------------------------------------------------------------------------------------
# Rule 8: change between rounds
#
#   before [40, 50, 60]: mean 50, sd 10;  after [70, 80, 90]: mean 80, sd 10
#   shares 100/3 each, variance 200/3, df = (200/3)^2 / (2 * (100/3)^2 / 2) = 4
#   half width t(0.975, 4) * sqrt(200/3) = 2.776445 * 8.164966 = 22.6696
# ---------------------------------------------------------------------------------------------


def test_a_hand_worked_change_has_a_welch_interval_with_four_degrees_of_freedom():
    change = scoring.change_between_values([40, 50, 60], [70, 80, 90])
    assert change.difference == 30.0
    assert change.df == pytest.approx(4.0, abs=TOLERANCE)
    assert change.ci == pytest.approx((30 - 22.66965, 30 + 22.66965), abs=1e-4)
    assert change.real


def test_a_change_whose_interval_holds_zero_is_not_real():
    change = scoring.change_between_values([10, 50, 90], [20, 60, 95])
    assert change.ci[0] < 0 < change.ci[1]
    assert not change.real


def test_a_change_with_fewer_than_two_respondents_on_a_side_has_no_interval():
    change = scoring.change_between_values([50.0], [60.0, 70.0])
    assert change == scoring.Change(difference=15.0, ci=None, df=None, real=False)


def test_a_change_with_no_data_on_a_side_is_undefined():
    assert scoring.change_between(None, scoring.summarise([1.0, 2.0])) is None
    assert scoring.change_between_values([None], [1.0, 2.0]) is None


def test_a_change_between_two_unanimous_rounds_is_a_point_and_real_when_it_moved():
    assert scoring.change_between_values([50.0] * 3, [75.0] * 4) == scoring.Change(
        25.0, (25.0, 25.0), None, True
    )
    assert scoring.change_between_values([50.0] * 3, [50.0] * 4) == scoring.Change(
        0.0, (0.0, 0.0), None, False
    )


def test_a_change_with_one_unanimous_round_takes_its_degrees_of_freedom_from_the_other():
    change = scoring.change_between_values([50.0] * 3, [60.0, 70.0, 80.0, 90.0])
    assert change.df == pytest.approx(3.0, abs=TOLERANCE)


scores_lists = st.lists(
    st.integers(0, 10_000).map(lambda hundredths: hundredths / 100), min_size=2, max_size=30
)


@pytest.mark.filterwarnings("ignore:Precision loss occurred:RuntimeWarning")  # scipy, on a unanimous side
@settings(max_examples=200, deadline=None)
@given(before=scores_lists, after=scores_lists)
def test_the_change_interval_matches_scipys_welch_test(before, after):
    change = scoring.change_between_values(before, after)
    if statistics.variance(before) == 0 and statistics.variance(after) == 0:
        assert change.ci == (change.difference, change.difference)
        return
    welch = stats.ttest_ind(after, before, equal_var=False)
    low, high = welch.confidence_interval(0.95)
    assert change.difference == pytest.approx(statistics.mean(after) - statistics.mean(before), abs=TOLERANCE)
    assert change.ci == pytest.approx((low, high), abs=1e-7)
    assert change.df == pytest.approx(welch.df, rel=1e-7)
    if abs(low) > 1e-7 and abs(high) > 1e-7:
        assert change.real == (low > 0 or high < 0)


# ---------------------------------------------------------------------------------------------
# Rule 9: Cronbach's alpha
# ---------------------------------------------------------------------------------------------


def reference_alpha(rows):
    """alpha = k / (k - 1) * (1 - trace(C) / sum(C)) with C the items' covariance matrix."""
    covariance = np.cov(np.array(rows, dtype=float), rowvar=False)
    k = covariance.shape[0]
    return k / (k - 1) * (1 - np.trace(covariance) / covariance.sum())


def test_two_items_that_always_agree_have_alpha_one():
    questionnaire = make_questionnaire([("roles", 2, 1)])
    respondents = [{"roles-1": a, "roles-2": a} for a in [1, 2, 3, 4, 5, 6, 7, 1, 2, 3]]
    assert scoring.cronbach_alpha(questionnaire, "roles", respondents) == pytest.approx(1.0, abs=TOLERANCE)


def test_alpha_needs_ten_respondents_who_answered_every_item():
    questionnaire = make_questionnaire([("roles", 2, 1)])
    complete = [{"roles-1": a, "roles-2": (a % 7) + 1} for a in [1, 2, 3, 4, 5, 6, 7, 1, 2]]
    partial = [{"roles-1": 3, "roles-2": None}, {"roles-1": 3}]
    assert scoring.cronbach_alpha(questionnaire, "roles", complete + partial) is None
    assert (
        scoring.cronbach_alpha(questionnaire, "roles", [*complete, {"roles-1": 3, "roles-2": 5}]) is not None
    )


def test_alpha_is_undefined_when_every_total_is_the_same_or_the_dimension_has_one_item():
    two_items = make_questionnaire([("roles", 2, 1)])
    assert scoring.cronbach_alpha(two_items, "roles", [{"roles-1": 4, "roles-2": 4}] * 12) is None
    one_item = make_questionnaire([("roles", 1, 1)])
    assert scoring.cronbach_alpha(one_item, "roles", [{"roles-1": a} for a in range(1, 8)] * 2) is None


answer_rows = st.integers(2, 5).flatmap(
    lambda k: st.lists(st.lists(st.integers(1, 7), min_size=k, max_size=k), min_size=10, max_size=25)
)


@settings(max_examples=200, deadline=None)
@given(rows=answer_rows)
def test_alpha_matches_the_textbook_formula(rows):
    k = len(rows[0])
    questionnaire = make_questionnaire([("roles", k, 1)])
    respondents = [{f"roles-{i + 1}": a for i, a in enumerate(row)} for row in rows]
    alpha = scoring.cronbach_alpha(questionnaire, "roles", respondents)
    if statistics.variance([sum(row) for row in rows]) == 0:
        assert alpha is None
    else:
        assert alpha == pytest.approx(reference_alpha(rows), abs=TOLERANCE)
        scores = [[scoring.item_score(a, 7) for a in row] for row in rows]
        assert alpha == pytest.approx(reference_alpha(scores), abs=TOLERANCE)


# ---------------------------------------------------------------------------------------------
# Rules 1 to 7 and 10 against a plain reference implementation
# ---------------------------------------------------------------------------------------------


def reference_band(score):
    return "NPM-led" if score < 33.333 else "In transition" if score < 66.667 else "Relational"


def reference_dimension_scores(spec, points, answers):
    scores = {}
    for dimension, count, _ in spec:
        answered = []
        for i in range(1, count + 1):
            answer = answers.get(f"{dimension}-{i}")
            if answer is not None:
                answered.append(100 * (answer - 1) / (points - 1))
        scores[dimension] = sum(answered) / len(answered) if answered and 2 * len(answered) >= count else None
    return scores


def reference_overall(spec, dimension_scores):
    total, weights, present = 0.0, 0.0, 0
    for dimension, _, weight in spec:
        if dimension_scores[dimension] is not None:
            total += weight * dimension_scores[dimension]
            weights += weight
            present += 1
    return total / weights if present and 2 * present >= len(spec) else None


def reference_summary(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    mean = statistics.mean(values)
    if len(values) < 2:
        return (mean, len(values), None, None)
    sd = statistics.stdev(values)
    half = stats.t.ppf(0.975, len(values) - 1) * sd / math.sqrt(len(values))
    return (mean, len(values), sd, (mean - half, mean + half))


def assert_summary_matches(summary, expected):
    if expected is None:
        assert summary is None
        return
    mean, n, sd, ci = expected
    assert summary.n == n
    assert summary.mean == pytest.approx(mean, abs=TOLERANCE)
    assert (summary.sd is None) == (sd is None)
    assert (summary.ci is None) == (ci is None)
    if sd is not None:
        assert summary.sd == pytest.approx(sd, abs=TOLERANCE)
        assert summary.ci == pytest.approx(ci, abs=TOLERANCE)


def assert_figure_matches(questionnaire, result, current_values, desired_values):
    current = reference_summary(current_values)
    assert_summary_matches(result.current, current)
    if current is None:
        assert result.band is None and not result.divided
    else:
        assert result.band == reference_band(current[0])
        if current[2] is not None and abs(current[2] - 25) > 1e-9:
            assert result.divided == (current[2] > 25)
    if desired_values is None:
        assert result.desired is None and result.gap is None
        return
    desired = reference_summary(desired_values)
    assert_summary_matches(result.desired, desired)
    if current is None or desired is None:
        assert result.gap is None
    else:
        assert result.gap == pytest.approx(desired[0] - current[0], abs=TOLERANCE)


ABSENT = object()  # an item left out of the mapping altogether


@st.composite
def surveys(draw):
    """A random questionnaire with suggestions, and a group's current (and maybe desired) answers."""
    points = draw(st.integers(3, 11))
    spec = [
        (f"d{index}", draw(st.integers(1, 5)), draw(st.sampled_from([0.5, 1, 1, 2, 3])))
        for index in range(draw(st.integers(1, 5)))
    ]
    suggestions = []
    for index in range(draw(st.integers(0, 8))):
        low = draw(st.integers(0, 100))
        suggestions.append((f"s{index}", draw(st.sampled_from(spec))[0], low, draw(st.integers(low, 100))))
    value = st.integers(1, points)
    answer = st.one_of(st.just(ABSENT), st.none(), value, value, value)  # mostly answered
    items = [f"{d}-{i}" for d, count, _ in spec for i in range(1, count + 1)]
    respondent = st.lists(answer, min_size=len(items), max_size=len(items)).map(
        lambda answers: {item: a for item, a in zip(items, answers, strict=True) if a is not ABSENT}
    )
    current = draw(st.lists(respondent, max_size=10))
    desired = draw(st.one_of(st.none(), st.lists(respondent, min_size=len(current), max_size=len(current))))
    return make_questionnaire(spec, points, suggestions), spec, points, current, desired


@settings(max_examples=200, deadline=None)
@given(survey=surveys())
def test_group_results_match_a_plain_reference_implementation(survey):
    questionnaire, spec, points, current, desired = survey
    result = scoring.group_result(questionnaire, current, desired)

    current_dims = [reference_dimension_scores(spec, points, a) for a in current]
    desired_dims = None if desired is None else [reference_dimension_scores(spec, points, a) for a in desired]
    current_overall = [reference_overall(spec, s) for s in current_dims]
    desired_overall = None if desired_dims is None else [reference_overall(spec, s) for s in desired_dims]

    assert result.respondents == len(current)
    assert result.n == sum(score is not None for score in current_overall)
    assert result.desired_collected == (desired is not None)
    assert_figure_matches(questionnaire, result.overall, current_overall, desired_overall)
    assert list(result.dimensions) == [d for d, _, _ in spec]
    for dimension, _, _ in spec:
        current_values = [s[dimension] for s in current_dims]
        desired_values = None if desired_dims is None else [s[dimension] for s in desired_dims]
        assert_figure_matches(questionnaire, result.dimensions[dimension], current_values, desired_values)


@settings(max_examples=200, deadline=None)
@given(survey=surveys())
def test_ranked_suggestions_are_the_applicable_ones_in_priority_then_dimension_then_file_order(survey):
    questionnaire, spec, _, current, desired = survey
    result = scoring.group_result(questionnaire, current, desired)
    ranked = scoring.rank_suggestions(questionnaire, result.dimensions)

    weights = {d: w for d, _, w in spec}
    dimension_order = [d for d, _, _ in spec]
    file_order = [s.id for s in questionnaire.suggestions]
    applicable = {
        s.id
        for s in questionnaire.suggestions
        if result.dimensions[s.dimension].current is not None
        and s.min <= result.dimensions[s.dimension].current.mean <= s.max
    }
    assert {r.suggestion.id for r in ranked} == applicable
    for r in ranked:
        figure = result.dimensions[r.suggestion.dimension]
        assert (r.mean, r.gap) == (figure.current.mean, figure.gap)
        expected = figure.gap if figure.gap is not None else 100 - figure.current.mean
        assert r.priority == pytest.approx(expected * weights[r.suggestion.dimension], abs=TOLERANCE)
        if desired is None:
            assert r.gap is None
    keys = [
        (-r.priority, dimension_order.index(r.suggestion.dimension), file_order.index(r.suggestion.id))
        for r in ranked
    ]
    assert keys == sorted(keys)


@settings(max_examples=50, deadline=None)
@given(survey=surveys())
def test_a_group_result_is_the_same_from_answers_and_from_dimension_scores(survey):
    questionnaire, _, _, current, desired = survey
    scores = [scoring.respondent_dimension_scores(questionnaire, a) for a in current]
    desired_scores = (
        None if desired is None else [scoring.respondent_dimension_scores(questionnaire, a) for a in desired]
    )
    assert scoring.group_result_from_scores(questionnaire, scores, desired_scores) == scoring.group_result(
        questionnaire, current, desired
    )


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.floats(0, 100, allow_nan=False)), max_size=40))
def test_summaries_match_the_statistics_module_and_scipys_t_quantile(values):
    assert_summary_matches(scoring.summarise(values), reference_summary(values))
