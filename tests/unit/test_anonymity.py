"""DESIGN.md section 4: no group under the minimum size is shown, directly or by difference."""

import ast
import itertools
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey.anonymity import (
    Group,
    Overlap,
    comments_visible,
    figures_visible,
    min_group_size_default,
    suppressed_groups,
)

SURVEY = Path(__file__).resolve().parents[2] / "survey"


def test_the_default_minimum_group_size_is_five():
    assert min_group_size_default == 5


def test_groups_under_the_minimum_size_are_suppressed_including_empty_ones():
    groups = [Group("a", 4), Group("b", 5), Group("c", 0), Group("d", 12)]
    assert suppressed_groups(groups, 5) == {"a", "c"}


def test_a_minimum_size_of_one_suppresses_only_empty_groups():
    assert suppressed_groups([Group("a", 1), Group("b", 0)], 1) == {"b"}


def test_a_small_child_is_complemented_by_the_next_smallest_shown_child():
    # org 30 - C 15 would reveal A (3) if B were shown; with B suppressed it reveals A + B = 15
    groups = [Group("org", 30), Group("a", 3, "org"), Group("b", 12, "org"), Group("c", 15, "org")]
    assert suppressed_groups(groups, 5) == {"a", "b"}


def test_equal_sized_candidates_are_suppressed_in_the_order_given():
    groups = [Group("org", 23), Group("a", 3, "org"), Group("c", 10, "org"), Group("b", 10, "org")]
    assert suppressed_groups(groups, 5) == {"a", "c"}


def test_small_children_that_together_reach_the_minimum_need_no_complement():
    groups = [Group("org", 20), Group("a", 3, "org"), Group("b", 2, "org"), Group("c", 15, "org")]
    assert suppressed_groups(groups, 5) == {"a", "b"}


def test_respondents_attached_to_the_parent_itself_are_protected_like_a_small_child():
    # 20 - 9 - 9 would reveal the 2 people answering for the directorate itself
    groups = [Group("dir", 20), Group("a", 9, "dir"), Group("b", 9, "dir")]
    assert suppressed_groups(groups, 5) == {"a"}


def test_respondents_attached_to_the_parent_count_towards_hiding_a_small_child():
    # a (3) is hidden among 3 + 4 direct respondents: 22 - 15 = 7
    groups = [Group("dir", 22), Group("a", 3, "dir"), Group("b", 15, "dir")]
    assert suppressed_groups(groups, 5) == {"a"}


def test_a_parent_shown_with_all_its_children_suppressed_reveals_nothing():
    groups = [Group("dir", 10), Group("a", 2, "dir"), Group("b", 1, "dir")]
    assert suppressed_groups(groups, 5) == {"a", "b"}


def test_a_small_parent_is_suppressed_with_its_children():
    groups = [Group("dir", 4), Group("a", 2, "dir"), Group("b", 2, "dir")]
    assert suppressed_groups(groups, 5) == {"dir", "a", "b"}


def test_a_suppressed_child_whose_own_children_are_shown_hides_nothing_so_another_child_is_chosen():
    # org - d3 - t2a - t2b = 3 would reveal d1 if d2 (12 = 6 + 6, both shown) were the complement
    groups = [
        Group("org", 30),
        Group("d1", 3, "org"),
        Group("d2", 12, "org"),
        Group("t2a", 6, "d2"),
        Group("t2b", 6, "d2"),
        Group("d3", 15, "org"),
    ]
    assert suppressed_groups(groups, 5) == {"d1", "d3"}


def test_suppression_in_a_team_carries_up_to_the_organisation():
    # in d1 the team of 2 is complemented by the team of 6, leaving d1 (8 + 6 + 2 = 16) consistent;
    # at the top the directorate of 4 is complemented by the smallest other directorate
    groups = [
        Group("org", 40),
        Group("d1", 16, "org"),
        Group("t1", 2, "d1"),
        Group("t2", 6, "d1"),
        Group("t3", 8, "d1"),
        Group("d2", 4, "org"),
        Group("d3", 20, "org"),
    ]
    assert suppressed_groups(groups, 5) == {"t1", "t2", "d2", "d1"}


def test_overlapping_groups_differing_by_a_few_respondents_suppress_the_smaller():
    groups = [Group("all", 20), Group("all-but-x", 17)]
    assert suppressed_groups(groups, 5, [Overlap("all", "all-but-x", only_a=3, only_b=0)]) == {"all-but-x"}


def test_overlapping_groups_of_equal_size_suppress_the_second():
    groups = [Group("a", 10), Group("b", 10)]
    assert suppressed_groups(groups, 5, [Overlap("a", "b", only_a=2, only_b=2)]) == {"b"}


@pytest.mark.parametrize(("only_a", "only_b"), [(0, 0), (5, 0), (0, 5), (6, 6)])
def test_overlapping_groups_differing_by_none_or_enough_respondents_are_both_shown(only_a, only_b):
    shared = 7
    groups = [Group("a", shared + only_a), Group("b", shared + only_b)]
    assert suppressed_groups(groups, 5, [Overlap("a", "b", only_a, only_b)]) == frozenset()


def test_an_overlap_with_a_suppressed_group_needs_nothing_more():
    groups = [Group("a", 4), Group("b", 6)]
    assert suppressed_groups(groups, 5, [Overlap("a", "b", only_a=0, only_b=2)]) == {"a"}


@pytest.mark.parametrize(
    ("groups", "overlaps", "message"),
    [
        ([Group("a", 5), Group("a", 6)], [], "unique"),
        ([Group("a", 5, "nowhere")], [], "unknown parent"),
        ([Group("a", 5), Group("b", 6, "a")], [], "outnumber"),
        ([Group("a", -1)], [], "negative"),
        ([Group("a", 5, "b"), Group("b", 5, "a")], [], "cycle"),
        ([Group("a", 5)], [Overlap("a", "z", 0, 0)], "not given"),
        ([Group("a", 5), Group("b", 6)], [Overlap("a", "b", 0, 0)], "does not match"),
    ],
)
def test_inconsistent_groups_are_refused(groups, overlaps, message):
    with pytest.raises(ValueError, match=message):
        suppressed_groups(groups, 5, overlaps)


def test_a_minimum_size_below_one_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        suppressed_groups([], 0)


@pytest.mark.parametrize(("n", "visible"), [(0, False), (4, False), (5, True), (30, True)])
def test_comments_and_figures_are_visible_from_the_minimum_size_up(n, visible):
    assert comments_visible(n, 5) is visible
    assert figures_visible(n, 5) is visible


# ---------------------------------------------------------------------------------------------
# Property: nothing small can be derived from the shown counts
#
# Respondents belong to exactly one group (a team, or a directorate or the organisation
# directly); a group's n counts its own and its descendants' respondents. Each shown group
# reveals the sum over its subtree. Any set of respondents an observer can isolate is a 0/1
# vector over the non-empty "atoms" (each group's own respondents) in the span of the shown
# vectors. With the span in reduced row echelon form, such a vector is fixed by its pivot
# entries, so every 0/1 combination of the basis rows that stays 0/1 lists all of them.
# ---------------------------------------------------------------------------------------------


@st.composite
def trees(draw):
    """organisation > directorates > teams, with some respondents attached above team level."""
    own = {"org": draw(st.sampled_from([0, 0, 0, 1, 2, 3, 7]))}
    parent = {"org": None}
    for d in range(draw(st.integers(1, 3))):
        directorate = f"d{d}"
        parent[directorate] = "org"
        teams = draw(st.integers(0, 3))
        own[directorate] = draw(st.integers(0, 12)) if teams == 0 else draw(st.sampled_from([0, 0, 1, 3, 6]))
        for t in range(teams):
            parent[f"{directorate}t{t}"] = directorate
            own[f"{directorate}t{t}"] = draw(st.integers(0, 12))
    order = draw(st.permutations(list(own)))
    min_size = draw(st.sampled_from([2, 3, 5, 5, 5, 6]))
    return own, parent, order, min_size


def subtree(key, parent):
    members = {key}
    for child in (k for k, p in parent.items() if p == key):
        members |= subtree(child, parent)
    return members


def tree_groups(own, parent, order):
    return [Group(key, sum(own[k] for k in subtree(key, parent)), parent[key]) for key in order]


def row_reduce(rows):
    """Reduced row echelon form (exact) of a list of rows; returns the non-zero rows."""
    matrix = [[Fraction(x) for x in row] for row in rows]
    basis, column = [], 0
    width = len(matrix[0]) if matrix else 0
    while matrix and column < width:
        pivot = next((row for row in matrix if row[column] != 0), None)
        if pivot is None:
            column += 1
            continue
        matrix.remove(pivot)
        pivot = [x / pivot[column] for x in pivot]
        matrix = [[x - row[column] * p for x, p in zip(row, pivot, strict=True)] for row in matrix]
        basis = [[x - row[column] * p for x, p in zip(row, pivot, strict=True)] for row in basis]
        basis.append(pivot)
        column += 1
    return basis


def derivable_counts(own, parent, shown):
    """The size of every set of respondents that the shown groups' counts single out."""
    atoms = [key for key in own if own[key] > 0]
    rows = [[1 if atom in subtree(key, parent) else 0 for atom in atoms] for key in shown]
    basis = row_reduce(rows)
    if not basis:
        return set()
    basis = np.array([[float(x) for x in row] for row in basis])
    combinations = np.array(list(itertools.product([0, 1], repeat=len(basis))), dtype=float)
    vectors = combinations @ basis
    zero_one = np.all((np.abs(vectors) < 1e-9) | (np.abs(vectors - 1) < 1e-9), axis=1)
    counts = np.rint(vectors[zero_one]) @ np.array([own[atom] for atom in atoms], dtype=float)
    return {int(round(count)) for count in counts}


@settings(max_examples=200, deadline=None)
@given(tree=trees())
def test_no_set_of_fewer_than_the_minimum_respondents_can_be_derived_from_the_shown_counts(tree):
    own, parent, order, min_size = tree
    groups = tree_groups(own, parent, order)
    suppressed = suppressed_groups(groups, min_size)
    shown = [group.key for group in groups if group.key not in suppressed]

    assert all(group.key in suppressed for group in groups if group.n < min_size)
    small = {count for count in derivable_counts(own, parent, shown) if 0 < count < min_size}
    assert not small, f"shown {shown} single out a set of {small} respondents"


@settings(max_examples=200, deadline=None)
@given(tree=trees())
def test_a_shown_parent_minus_its_shown_children_is_zero_or_at_least_the_minimum(tree):
    own, parent, order, min_size = tree
    groups = tree_groups(own, parent, order)
    suppressed = suppressed_groups(groups, min_size)
    n = {group.key: group.n for group in groups}

    for key in n:
        if key in suppressed:
            continue
        children = [k for k, p in parent.items() if p == key]
        remainder = n[key] - sum(n[k] for k in children if k not in suppressed)
        assert remainder == 0 or remainder >= min_size
        hidden = [k for k in children if k in suppressed]
        if hidden and any(0 < n[k] < min_size for k in hidden):
            assert remainder >= min_size


@settings(max_examples=200, deadline=None)
@given(tree=trees())
def test_suppression_keeps_big_enough_trees_shown_when_nothing_is_small(tree):
    own, parent, order, min_size = tree
    groups = tree_groups(own, parent, order)
    if all(group.n >= min_size for group in groups) and all(
        own[key] == 0 or own[key] >= min_size for key in own if any(p == key for p in parent.values())
    ):
        assert suppressed_groups(groups, min_size) == frozenset()


@st.composite
def overlapping_groups(draw):
    """Groups as sets of respondents (filters, comparisons), every pair shown side by side."""
    people = range(draw(st.integers(5, 30)))
    sets = draw(st.lists(st.sets(st.sampled_from(list(people))), min_size=2, max_size=5))
    min_size = draw(st.sampled_from([3, 5]))
    return sets, min_size


@settings(max_examples=200, deadline=None)
@given(case=overlapping_groups())
def test_shown_overlapping_groups_differ_by_none_or_at_least_the_minimum(case):
    sets, min_size = case
    groups = [Group(index, len(members)) for index, members in enumerate(sets)]
    overlaps = [
        Overlap(a, b, len(sets[a] - sets[b]), len(sets[b] - sets[a]))
        for a, b in itertools.combinations(range(len(sets)), 2)
    ]
    suppressed = suppressed_groups(groups, min_size, overlaps)

    for a, b in itertools.combinations(range(len(sets)), 2):
        if a in suppressed or b in suppressed:
            continue
        assert len(sets[a]) >= min_size and len(sets[b]) >= min_size
        assert len(sets[a] - sets[b]) in {0} or len(sets[a] - sets[b]) >= min_size
        assert len(sets[b] - sets[a]) in {0} or len(sets[b] - sets[a]) >= min_size


@pytest.mark.parametrize("module", ["scoring.py", "anonymity.py", "questionnaire.py"])
def test_the_pure_modules_import_neither_flask_nor_sqlalchemy(module):
    tree = ast.parse((SURVEY / module).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    roots = {name.split(".")[0] for name in imported}
    assert not roots & {"flask", "flask_sqlalchemy", "sqlalchemy", "werkzeug", "jinja2"}
