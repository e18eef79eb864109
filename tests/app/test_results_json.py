"""``results ROUND --json`` against an independent computation of DESIGN.md section 3.

The expected figures are computed here from the raw answers with plain loops, ``statistics``
and ``scipy.stats.t.ppf``; ``survey.scoring`` is deliberately not imported. Random data over
several seeds: departments of many sizes (some under the threshold, some nested), "don't know"
answers, skipped questions and whole dimensions left short, desired answers on.
"""

from __future__ import annotations

import json
import math
import random
import statistics

import pytest
from scipy.stats import t

from tests.factories import DepartmentFactory, ResponseFactory, RoundFactory

MIN = 5
TOLERANCE = 1e-6


# The independent computation -----------------------------------------------------------------------


def item_score(value: int, points: int) -> float:
    return 100 * (value - 1) / (points - 1)


def dimension_scores(questionnaire, answers: dict) -> dict:  # type: ignore[no-untyped-def,type-arg]
    scores = {}
    for dimension in questionnaire.dimensions:
        items = [item.id for item in questionnaire.items if item.dimension == dimension.id]
        answered = [item_score(answers[i], questionnaire.scale.points) for i in items if answers.get(i) is not None]
        scores[dimension.id] = sum(answered) / len(answered) if answered and len(answered) >= math.ceil(
            len(items) / 2) else None
    return scores


def overall_score(questionnaire, scores: dict) -> float | None:  # type: ignore[no-untyped-def,type-arg]
    present = [(d.weight, scores[d.id]) for d in questionnaire.dimensions if scores[d.id] is not None]
    if not present or len(present) < math.ceil(len(questionnaire.dimensions) / 2):
        return None
    return sum(w * s for w, s in present) / sum(w for w, _ in present)


def summary(values: list) -> dict | None:  # type: ignore[type-arg]
    present = [v for v in values if v is not None]
    if not present:
        return None
    n = len(present)
    mean = statistics.fmean(present)
    if n < 2:
        return {"mean": mean, "n": n, "sd": None, "ci": None}
    sd = statistics.stdev(present)
    half = t.ppf(0.975, n - 1) * sd / math.sqrt(n)
    return {"mean": mean, "n": n, "sd": sd, "ci": [mean - half, mean + half]}


def band(questionnaire, score: float) -> str:  # type: ignore[no-untyped-def]
    for entry in questionnaire.bands:
        if entry.below is None or entry.below > score:
            return entry.label
    return questionnaire.bands[-1].label


def expected_figure(questionnaire, current: list, desired: list | None) -> dict:  # type: ignore[no-untyped-def,type-arg]
    now = summary(current)
    wanted = summary(desired) if desired is not None else None
    return {
        "current": now,
        "band": band(questionnaire, now["mean"]) if now else None,
        "divided": bool(now and now["sd"] is not None and now["sd"] > 25),
        "desired": wanted["mean"] if wanted else None,
        "gap": wanted["mean"] - now["mean"] if wanted and now else None,
    }


def expected_group(questionnaire, respondents: list, asks_desired: bool) -> dict:  # type: ignore[no-untyped-def,type-arg]
    current = [dimension_scores(questionnaire, r["current"]) for r in respondents]
    desired = [dimension_scores(questionnaire, r["desired"]) for r in respondents] if asks_desired else None
    return {
        "n": len(respondents),
        "overall": expected_figure(questionnaire, [overall_score(questionnaire, s) for s in current],
                                   [overall_score(questionnaire, s) for s in desired] if desired else None),
        "dimensions": {
            d.id: expected_figure(questionnaire, [s[d.id] for s in current],
                                  [s[d.id] for s in desired] if desired else None)
            for d in questionnaire.dimensions
        },
    }


def close(got, want) -> bool:  # type: ignore[no-untyped-def]
    if want is None or got is None:
        return got is None and want is None
    return abs(got - want) <= TOLERANCE


def assert_figure(got: dict, want: dict, where: str, with_divided: bool) -> None:  # type: ignore[type-arg]
    now = want["current"]
    if now is None:
        assert got["mean"] is None and got["n"] == 0, where
        return
    assert close(got["mean"], now["mean"]) and got["n"] == now["n"], where
    assert close(got["sd"], now["sd"]), where
    if now["ci"] is None:
        assert got["ci"] is None, where
    else:
        assert close(got["ci"][0], now["ci"][0]) and close(got["ci"][1], now["ci"][1]), where
    assert got["band"] == want["band"], where
    if with_divided:
        assert got["divided"] == want["divided"], where
    assert close(got["desired"], want["desired"]) and close(got["gap"], want["gap"]), where


# Random data ----------------------------------------------------------------------------------------


def random_answers(rng: random.Random, questionnaire) -> dict:  # type: ignore[no-untyped-def,type-arg]
    answers: dict = {}  # type: ignore[type-arg]
    centre = rng.uniform(1, 7)
    for dimension in questionnaire.dimensions:
        habit = rng.random()  # some people leave whole dimensions short
        for item in questionnaire.items_in(dimension.id):
            roll = rng.random()
            if habit < 0.15 and roll < 0.7:
                continue  # skipped
            if roll < 0.08:
                answers[item.id] = None  # don't know
            elif roll < 0.12:
                continue
            else:
                answers[item.id] = min(max(round(rng.gauss(centre, 1.6)), 1), 7)
    return answers


def build(seed: int):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    survey_round = RoundFactory(desired=True)
    questionnaire = survey_round.questionnaire
    organisation = survey_round.organisation
    departments = []
    for index in range(rng.randint(5, 8)):
        parent = rng.choice([None, None, *departments]) if departments else None
        departments.append(DepartmentFactory(organisation=organisation, name=f"Dept {seed}-{index}", parent=parent))
    respondents: dict[int, list] = {d.id: [] for d in departments}  # type: ignore[type-arg]
    for department in departments:
        for _ in range(rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 11, 14, 20])):
            current, desired = random_answers(rng, questionnaire), random_answers(rng, questionnaire)
            ResponseFactory(round=survey_round, department=department, submitted=True, answers=current,
                            desired=desired)
            respondents[department.id].append({"current": current, "desired": desired})
        if rng.random() < 0.5:  # started but never sent: must not count
            ResponseFactory(round=survey_round, department=department, answers=random_answers(rng, questionnaire))
    return survey_round, departments, respondents


def members(department, departments) -> list:  # type: ignore[no-untyped-def,type-arg]
    inside = [department]
    for other in departments:
        if other.parent_id == department.id:
            inside += members(other, departments)
    return inside


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_results_json_agrees_with_an_independent_computation(runner, seed):
    survey_round, departments, respondents = build(seed)
    questionnaire = survey_round.questionnaire
    result = runner.invoke(args=["results", str(survey_round.id), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["questionnaire"] == {"id": "npm-paradigm", "version": 1}
    groups = {g["department"]: g for g in document["groups"]}
    assert set(groups) == {d.name for d in departments}

    everyone = [r for rs in respondents.values() for r in rs]
    sizes = {"All departments": len(everyone)}
    shown = {}
    checked = 0
    for department in departments:
        group = groups[department.name]
        inside = [r for m in members(department, departments) for r in respondents[m.id]]
        sizes[department.name] = len(inside)
        if len(inside) < MIN:
            assert group["suppressed"] is True, department.name
        if group["suppressed"]:
            assert set(group) == {"department", "parent", "includes", "suppressed"}, department.name
            continue
        shown[department.name] = department
        want = expected_group(questionnaire, inside, asks_desired=True)
        assert group["n"] == want["n"]
        assert_figure(group["overall"], want["overall"], f"{department.name} overall", with_divided=False)
        for dimension_id, figure in want["dimensions"].items():
            assert_figure(group["dimensions"][dimension_id], figure, f"{department.name} {dimension_id}", True)
        checked += 1
    organisation = document["organisation_group"]
    if not organisation["suppressed"]:
        want = expected_group(questionnaire, everyone, asks_desired=True)
        assert_figure(organisation["overall"], want["overall"], "organisation", with_divided=False)
    assert_no_recovery_by_difference(departments, sizes, shown, organisation["suppressed"])
    assert checked or all(size < 2 * MIN for size in sizes.values())


def assert_no_recovery_by_difference(departments, sizes, shown, organisation_hidden) -> None:  # type: ignore[no-untyped-def]
    """Section 4: a shown group minus the shown groups nearest below it is 0 or at least MIN."""

    def nearest_shown(parent_id):  # type: ignore[no-untyped-def]
        found = []
        for child in (d for d in departments if d.parent_id == parent_id):
            found += [child] if child.name in shown else nearest_shown(child.id)
        return found

    tops = [] if organisation_hidden else [("All departments", None)]
    for name, department in [*tops, *((n, d) for n, d in shown.items())]:
        unseen = sizes[name] - sum(sizes[d.name] for d in nearest_shown(department.id if department else None))
        assert unseen == 0 or unseen >= MIN, (name, unseen)


def test_results_json_for_one_department_matches_the_full_document(runner):
    survey_round, departments, _ = build(6)
    full = json.loads(runner.invoke(args=["results", str(survey_round.id), "--json"]).output)
    for department in departments[:3]:
        result = runner.invoke(args=["results", str(survey_round.id), "--department", department.name, "--json"])
        assert result.exit_code == 0, result.output
        one = json.loads(result.output)
        assert one["groups"] == [g for g in full["groups"] if g["department"] == department.name]
        assert "organisation_group" not in one
