"""Anonymity: DESIGN.md section 4 as one pure function that every output path calls.

``suppressed_groups`` takes the groups about to be shown together (with their respondent counts
and their place in the department tree) and returns the keys whose figures must be withheld:

1. Small groups: a group with ``n < min_size`` (``n == 0`` too) is suppressed.
2. No recovery by difference in a tree: a shown group's count minus the counts of the shown
   groups nearest below it is its *unseen remainder*: the respondents of suppressed children
   (through a suppressed child, of its own suppressed children) plus the respondents attached
   directly to a group rather than to any child (a parent's ``n`` may exceed the sum of its
   children's; those direct respondents count as unseen). That remainder must number 0 or at
   least ``min_size``. While it does not, the smallest shown group nearest below is suppressed
   (ties in the order given), preferring groups whose suppression hides someone more (a group
   whose count is the sum of its shown children hides nothing). Suppressing every child leaves
   the parent shown alone, which reveals nothing, so this always succeeds and rule 2 never
   withholds the parent itself. Counting direct respondents is stricter than DESIGN's wording
   ("the suppressed children together"): a directorate of 20 with teams of 9 and 9 shown would
   otherwise reveal the 2 people attached to the directorate itself.
3. Overlapping groups shown side by side: the respondents in one and not the other must number
   0 or at least ``min_size``; otherwise the smaller group is suppressed (on equal ``n``, the
   second of the pair).

The rules are applied one suppression at a time until none applies (a fixed point), so a
suppression on one level is seen by the levels above and by the overlaps. At the fixed point,
every set of respondents whose count follows from the shown counts of a tree by adding and
subtracting them numbers 0 or at least ``min_size``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

min_group_size_default = 5


@dataclass(frozen=True)
class Group:
    """A group about to be shown: ``n`` respondents, inside ``parent`` (another group's key)."""

    key: Hashable
    n: int
    parent: Hashable | None = None


@dataclass(frozen=True)
class Overlap:
    """Two groups shown side by side: ``only_a`` respondents are in ``a`` and not in ``b``,
    ``only_b`` in ``b`` and not in ``a``."""

    a: Hashable
    b: Hashable
    only_a: int
    only_b: int


def suppressed_groups(
    groups: Sequence[Group],
    min_size: int = min_group_size_default,
    overlaps: Sequence[Overlap] = (),
) -> frozenset[Hashable]:
    """DESIGN.md section 4: the keys of the groups whose figures must not be shown.

    Raises ValueError on inconsistent input: duplicate keys, an unknown parent or overlap key,
    a cycle, a negative count, children outnumbering their parent, or impossible overlaps.
    """
    if min_size < 1:
        raise ValueError("the minimum group size must be at least 1")
    tree = _Tree(groups)
    _check_overlaps(tree, overlaps)
    suppressed = {group.key for group in groups if group.n < min_size}
    while (key := _next_suppression(tree, suppressed, min_size, overlaps)) is not None:
        suppressed.add(key)
    return frozenset(suppressed)


def figures_visible(n: int, min_size: int = min_group_size_default) -> bool:
    """Section 4, rule 1 alone: a group of ``n`` respondents is large enough to be shown."""
    return n >= min_size


def comments_visible(n: int, min_size: int = min_group_size_default) -> bool:
    """Section 4: free-text comments only for groups "above the threshold", read as
    ``n >= min_size``, the same threshold as figures."""
    return n >= min_size


class _Tree:
    """The groups indexed by key, with children in the order given and a validated structure."""

    def __init__(self, groups: Sequence[Group]):
        self.groups = {group.key: group for group in groups}
        if len(self.groups) != len(groups):
            raise ValueError("group keys must be unique")
        self.order = {key: index for index, key in enumerate(self.groups)}
        self.children: dict[Hashable, list[Group]] = {key: [] for key in self.groups}
        for group in groups:
            if group.n < 0:
                raise ValueError(f"group {group.key!r} has a negative count")
            if group.parent is not None:
                if group.parent not in self.groups:
                    raise ValueError(f"group {group.key!r} has an unknown parent {group.parent!r}")
                self.children[group.parent].append(group)
        for group in groups:
            if sum(child.n for child in self.children[group.key]) > group.n:
                raise ValueError(f"the children of group {group.key!r} outnumber it")
        self.depth = {key: self._depth(key) for key in self.groups}

    def _depth(self, key: Hashable) -> int:
        depth, parent = 0, self.groups[key].parent
        while parent is not None:
            depth += 1
            if depth > len(self.groups):
                raise ValueError(f"group {key!r} is in a cycle of parents")
            parent = self.groups[parent].parent
        return depth

    def deepest_first(self) -> list[Group]:
        return sorted(self.groups.values(), key=lambda group: (-self.depth[group.key], self.order[group.key]))

    def unseen(self, key: Hashable, suppressed: set[Hashable]) -> int:
        """The respondents of ``key`` outside every shown group below it."""
        return self.groups[key].n - sum(group.n for group in self.nearest_shown_below(key, suppressed))

    def nearest_shown_below(self, key: Hashable, suppressed: set[Hashable]) -> list[Group]:
        """The shown groups under ``key`` with no shown group between them and ``key``."""
        found = []
        for child in self.children[key]:
            if child.key in suppressed:
                found += self.nearest_shown_below(child.key, suppressed)
            else:
                found.append(child)
        return found


def _next_suppression(
    tree: _Tree, suppressed: set[Hashable], min_size: int, overlaps: Sequence[Overlap]
) -> Hashable | None:
    """The next group to suppress under rules 2 and 3, or None at the fixed point."""
    for group in tree.deepest_first():
        if group.key in suppressed:
            continue
        if 0 < tree.unseen(group.key, suppressed) < min_size:
            return _complement(tree, group.key, suppressed)
    for overlap in overlaps:
        if overlap.a in suppressed or overlap.b in suppressed:
            continue
        if 0 < overlap.only_a < min_size or 0 < overlap.only_b < min_size:
            a, b = tree.groups[overlap.a], tree.groups[overlap.b]
            return a.key if a.n < b.n else b.key
    return None


def _complement(tree: _Tree, key: Hashable, suppressed: set[Hashable]) -> Hashable:
    """The smallest shown group nearest below ``key`` whose suppression hides someone more.

    A group whose figure is the sum of its own shown children hides nothing when suppressed,
    so it is chosen only when every candidate is such a group (its children then become
    candidates). There is always a candidate: with nothing shown below, the unseen remainder
    is the whole shown group, at least the minimum size.
    """
    below = tree.nearest_shown_below(key, suppressed)
    hiding = [group for group in below if tree.unseen(group.key, suppressed) > 0]
    return min(hiding or below, key=lambda group: (group.n, tree.order[group.key])).key


def _check_overlaps(tree: _Tree, overlaps: Sequence[Overlap]) -> None:
    for overlap in overlaps:
        if overlap.a not in tree.groups or overlap.b not in tree.groups:
            raise ValueError(f"overlap {overlap.a!r}/{overlap.b!r} names a group not given")
        a, b = tree.groups[overlap.a], tree.groups[overlap.b]
        shared = a.n - overlap.only_a
        if overlap.only_a < 0 or overlap.only_b < 0 or shared < 0 or shared != b.n - overlap.only_b:
            raise ValueError(f"overlap {overlap.a!r}/{overlap.b!r} does not match the groups' counts")
