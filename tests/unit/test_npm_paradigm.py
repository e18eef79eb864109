"""The content of the first questionnaire, questionnaires/npm-paradigm.yaml (DESIGN.md section 2).

The loader checks the schema; these tests check the promises the content makes: eight
dimensions of five bipolar items, short and readable statements, and reform suggestions that
cover every score with all three time horizons.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path
from statistics import mean

import textstat

from survey.questionnaire import HORIZONS, Questionnaire, load_file

PATH = Path(__file__).parents[2] / "questionnaires" / "npm-paradigm.yaml"
DIMENSIONS = ("roles", "measures", "silos", "contact", "control", "motivation", "citizens", "prevention")
MAX_WORDS = 30
MIN_READING_EASE = 50
MIN_MEAN_READING_EASE = 65


@cache
def questionnaire() -> Questionnaire:
    return load_file(PATH)


def statements() -> list[tuple[str, str, str]]:
    """Every statement as (item id, pole, text)."""
    return [
        (item.id, pole, getattr(item, pole))
        for item in questionnaire().items
        for pole in ("npm", "relational")
    ]


def test_the_file_loads_as_version_1_of_npm_paradigm():
    q = questionnaire()
    assert (q.id, q.version) == ("npm-paradigm", 1)
    assert q.points == 7
    assert [band.label for band in q.bands] == ["NPM-led", "In transition", "Relational"]


def test_there_are_eight_dimensions_in_the_design_order():
    assert tuple(d.id for d in questionnaire().dimensions) == DIMENSIONS


def test_every_dimension_has_a_title_and_a_description():
    for dimension in questionnaire().dimensions:
        assert dimension.title.strip(), dimension.id
        assert dimension.description.strip(), dimension.id


def test_every_dimension_has_five_items_numbered_one_to_five():
    q = questionnaire()
    for dimension in DIMENSIONS:
        assert [item.id for item in q.items_in(dimension)] == [f"{dimension}-{n}" for n in range(1, 6)]
    assert len(q.items) == 5 * len(DIMENSIONS)


def test_every_dimension_has_at_least_one_swapped_item():
    q = questionnaire()
    for dimension in DIMENSIONS:
        assert any(item.swapped for item in q.items_in(dimension)), dimension


def test_every_dimension_has_at_least_four_suggestions():
    counts = Counter(s.dimension for s in questionnaire().suggestions)
    for dimension in DIMENSIONS:
        assert counts[dimension] >= 4, (dimension, counts[dimension])


def test_every_dimension_has_a_suggestion_for_each_horizon():
    q = questionnaire()
    for dimension in DIMENSIONS:
        horizons = {s.horizon for s in q.suggestions if s.dimension == dimension}
        assert horizons == set(HORIZONS), (dimension, sorted(horizons))


def test_every_score_from_0_to_100_gets_at_least_two_suggestions_in_every_dimension():
    # Every integer, and every half point between them, so that no gap hides between two ranges.
    q = questionnaire()
    scores = [n / 2 for n in range(0, 201)]
    for dimension in DIMENSIONS:
        own = [s for s in q.suggestions if s.dimension == dimension]
        thin = [score for score in scores if sum(s.applies_to(score) for s in own) < 2]
        assert not thin, (dimension, thin)


def test_suggestion_ids_are_unique():
    ids = [s.id for s in questionnaire().suggestions]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]


def test_suggestion_ids_start_with_their_dimension():
    for suggestion in questionnaire().suggestions:
        assert suggestion.id.startswith(f"{suggestion.dimension}-"), suggestion.id


def test_every_suggestion_has_a_title_and_a_body():
    for suggestion in questionnaire().suggestions:
        assert suggestion.title.strip(), suggestion.id
        assert suggestion.body.strip(), suggestion.id


def test_no_statement_is_over_thirty_words():
    long = [(item, pole, len(text.split())) for item, pole, text in statements() if len(text.split()) > MAX_WORDS]
    assert not long, long


def test_the_two_statements_of_each_pair_differ():
    for item in questionnaire().items:
        assert item.npm.strip().lower() != item.relational.strip().lower(), item.id


def test_no_statement_is_used_twice():
    texts = Counter(text.strip().lower() for _, _, text in statements())
    assert all(n == 1 for n in texts.values()), [t for t, n in texts.items() if n > 1]


def test_every_statement_is_easy_to_read():
    hard = [
        (item, pole, textstat.flesch_reading_ease(text))
        for item, pole, text in statements()
        if textstat.flesch_reading_ease(text) < MIN_READING_EASE
    ]
    assert not hard, hard


def test_the_statements_are_easy_to_read_on_average():
    average = mean(textstat.flesch_reading_ease(text) for _, _, text in statements())
    assert average >= MIN_MEAN_READING_EASE, average
