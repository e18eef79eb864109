"""The report data builders, on result objects made by hand: no database, no Flask."""

from __future__ import annotations

import random

import pytest

from reports.data import Block, commentary_blocks, distributions, team_report, withheld_reason
from reports.organisation import organisation_report
from survey.questionnaire import load_file
from survey.results import ORGANISATION, GroupFigures, RoundResults
from survey.scoring import group_result, rank_suggestions
from tests.factories import SHIPPED

QUESTIONNAIRE = load_file(SHIPPED)


def answers(seed: int, people: int, lean: float) -> list[dict[str, int | None]]:
    rng = random.Random(seed)
    return [{item.id: min(max(round(rng.gauss(1 + 6 * lean, 1.3)), 1), 7) for item in QUESTIONNAIRE.items}
            for _ in range(people)]


def figures(key, name, people, *, suppressed=False, parent=None, includes=(), desired=None):  # type: ignore[no-untyped-def]
    if suppressed:
        return GroupFigures.known(key, name, parent, includes, len(people), True, None, ())
    result = group_result(QUESTIONNAIRE, people, desired)
    return GroupFigures.known(key, name, parent, includes, len(people), False, result,
                        tuple(rank_suggestions(QUESTIONNAIRE, result.dimensions)))


def results(groups: list[GroupFigures], everyone: list, name: str = "Spring", round_id: int = 1) -> RoundResults:
    return RoundResults(round_id, name, "Riverside", QUESTIONNAIRE, False, 5,
                        figures(ORGANISATION, "All departments", everyone), tuple(groups))


TEAM = answers(1, 8, 0.3)
OTHER = answers(2, 9, 0.6)
SMALL = answers(3, 3, 0.5)


@pytest.fixture
def spring() -> RoundResults:
    return results([figures(1, "Housing", TEAM), figures(2, "Early Help", OTHER),
                    figures(3, "Tiny", SMALL, suppressed=True)], TEAM + OTHER + SMALL)


def test_a_team_report_carries_its_groups_figures_from_the_results(spring):
    report = team_report(spring, 1, answers=TEAM, started=10, history=[spring])
    group = spring.group("Housing")
    assert report.figures is not None and report.withheld is None
    assert report.figures.overall is group.result.overall  # the same object, no figure computed again
    assert [s.dimension.id for s in report.figures.sections] == [d.id for d in QUESTIONNAIRE.dimensions]
    assert report.figures.started == 10 and report.figures.respondents == 8
    assert report.title == "Housing: team report"


def test_a_suppressed_team_gets_a_report_with_no_figures_at_all(spring):
    report = team_report(spring, 3, answers=SMALL, started=4, commentary="Our view: 41.2 is fine")
    assert report.figures is None
    assert report.commentary == ()  # nothing a consultant wrote about the figures either
    assert report.withheld == "Fewer than 5 responses" and report.small_group


def test_a_team_hidden_to_protect_another_is_told_so():
    group = GroupFigures.known(9, "Hidden", None, (), 7, True, None, ())
    assert withheld_reason(group, 5) == "Hidden to protect a smaller group"


def test_strongest_and_most_npm_led_are_the_three_highest_and_lowest_dimensions(spring):
    figures_ = team_report(spring, 1, answers=TEAM, started=8).figures
    means = sorted((s.score.mean for s in figures_.sections), reverse=True)
    assert [s.score.mean for s in figures_.strongest] == means[:3]
    assert [s.score.mean for s in figures_.npm_led] == sorted(means)[:3]


def test_suggestions_keep_the_results_ranking_and_are_grouped_by_horizon(spring):
    figures_ = team_report(spring, 1, answers=TEAM, started=8).figures
    ranked = spring.group("Housing").suggestions
    assert [s.ranked for s in figures_.top_suggestions] == list(ranked[:3])
    assert [s.number for s in figures_.top_suggestions] == [1, 2, 3]
    horizons = [group.horizon for group in figures_.suggestion_groups]
    assert horizons == [h for h in ("quick-win", "medium", "long-term") if h in horizons]
    for group in figures_.suggestion_groups:
        numbers = [s.number for s in group.suggestions]
        assert numbers == sorted(numbers)
        assert all(s.ranked.suggestion.horizon == group.horizon for s in group.suggestions)
    shown = sum(len(group.suggestions) for group in figures_.suggestion_groups)
    assert shown == figures_.suggestions_shown == min(len(ranked), 12)
    triggered = {s.number for section in figures_.sections for s in section.triggered}
    assert triggered == set(range(1, shown + 1))


def test_change_since_the_previous_round_uses_the_welch_rule(spring):
    autumn = results([figures(1, "Housing", answers(4, 8, 0.7)), figures(2, "Early Help", OTHER),
                      figures(3, "Tiny", SMALL, suppressed=True)], [], name="Autumn", round_id=2)
    report = team_report(autumn, 1, answers=TEAM, started=8, history=[spring, autumn])
    comparison = report.figures.overall_comparison
    assert comparison.previous_round == "Spring"
    assert comparison.change.difference == pytest.approx(
        autumn.group("Housing").result.overall.mean - spring.group("Housing").result.overall.mean)
    assert comparison.change.real  # a big move with these sizes
    assert team_report(spring, 1, answers=TEAM, started=8, history=[spring]).figures.overall_comparison is None


def test_no_change_is_shown_against_a_round_where_the_group_was_suppressed(spring):
    autumn = results([figures(1, "Housing", TEAM), figures(3, "Tiny", answers(5, 6, 0.4))], [], name="Autumn")
    comparison = team_report(autumn, 3, answers=[], started=6, history=[spring, autumn]).figures.overall_comparison
    assert comparison.change is None and comparison.reason == "No figures were shown in Spring"


def test_distributions_count_each_answer_dont_know_and_unanswered():
    people = [{"roles-1": 1, "roles-2": None}, {"roles-1": 7}, {"roles-1": 1, "roles-2": 4}]
    first, second = distributions(QUESTIONNAIRE, "roles", people)[:2]
    assert first.counts == (2, 0, 0, 0, 0, 0, 1) and first.dont_know == 0 and first.unanswered == 0
    assert second.counts == (0, 0, 0, 1, 0, 0, 0) and second.dont_know == 1 and second.unanswered == 1
    assert first.summary.mean == pytest.approx(100 / 3)


def test_commentary_becomes_paragraphs_and_lists():
    text = "First line\ncontinues.\n\n- one\n- two\r\n\r\nLast."
    assert commentary_blocks(text) == (Block("p", ("First line continues.",)), Block("ul", ("one", "two")),
                                       Block("p", ("Last.",)))
    assert commentary_blocks("  \n\n ") == ()


def test_the_organisation_report_names_suppressed_departments_and_ranks_only_shown_teams(spring):
    report = organisation_report(spring, answers=TEAM + OTHER, started={1: 8, 2: 9, 3: 3, ORGANISATION: 20},
                                 history=[spring])
    assert [row.name for row in report.hidden] == ["Tiny"]
    assert report.hidden[0].withheld == "Fewer than 5 responses"
    assert [row.name for row in report.unranked] == ["Tiny"]
    overall = report.rankings[0]
    assert [row.name for row in overall.rows] == sorted(
        ["Housing", "Early Help"], key=lambda name: -spring.group(name).result.overall.mean)
    tiny = next(row for row in report.responses if row.name == "Tiny")
    assert tiny.respondents is None and tiny.started is None  # not even the count of a withheld group
    assert report.figures.started == 20


def test_an_organisation_below_the_minimum_gets_no_figures():
    tiny = results([figures(3, "Tiny", SMALL, suppressed=True)], SMALL)
    hidden = RoundResults(1, "Spring", "Riverside", QUESTIONNAIRE, False, 5,
                          figures(ORGANISATION, "All departments", SMALL, suppressed=True), tiny.groups)
    report = organisation_report(hidden, answers=[], started={})
    assert report.figures is None and report.rankings == () and report.trends == ()
