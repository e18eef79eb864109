"""The questionnaire loader: every problem reported with its line, safe YAML, stable hashes."""

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survey import questionnaire as q
from survey.questionnaire import QuestionnaireError, from_data, json_schema, load_file, parse

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "questionnaires" / "npm-paradigm.yaml"

VALID = """\
id: tiny
version: 2
title: A tiny questionnaire
dimensions:
  - {id: roles, title: Roles, weight: 2}
  - {id: measures, title: Measures}
items:
  - {id: roles-1, dimension: roles, npm: "We follow the script.", relational: "We do what it takes.", swapped: true}
  - {id: measures-1, dimension: measures, npm: "We count calls.", relational: "We learn from cases.", swapped: true}
suggestions:
  - {id: roles-a, dimension: roles, min: 0, max: 50, horizon: quick-win, title: T, body: B}
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(QuestionnaireError) as caught:
        parse(text, "f.yaml")
    return caught.value.problems


def test_a_valid_file_loads_into_frozen_objects():
    loaded = parse(VALID)
    assert loaded.id == "tiny" and loaded.version == 2 and loaded.points == 7
    assert loaded.dimension("roles").weight == 2
    assert [i.id for i in loaded.items_in("measures")] == ["measures-1"]
    with pytest.raises(AttributeError):
        loaded.title = "changed"  # type: ignore[misc]


def test_defaults_fill_in_the_bands_and_the_scale():
    loaded = parse(VALID)
    assert [b.label for b in loaded.bands] == ["NPM-led", "In transition", "Relational"]
    assert loaded.band_for(33.332) == "NPM-led"
    assert loaded.band_for(33.333) == "In transition"
    assert loaded.band_for(66.667) == "Relational"
    assert loaded.band_for(100) == "Relational"


def test_every_problem_is_reported_with_its_line_not_only_the_first():
    broken = VALID.replace("weight: 2", "weight: -2").replace("horizon: quick-win", "horizon: soon")
    broken = broken.replace("dimension: measures, npm", "dimension: nowhere, npm")
    found = problems_of(broken)
    assert "f.yaml:5: dimensions.0.weight: Input should be greater than 0" in found
    assert "f.yaml:9: unknown dimension 'nowhere'" in found
    assert "f.yaml:11: suggestions.0.horizon: must be one of quick-win, medium, long-term" in found
    assert "f.yaml:6: dimension 'measures' has no items" in found
    assert all(line.startswith("f.yaml:") for line in found)


def test_a_missing_field_is_reported_at_its_parent_line():
    found = problems_of(VALID.replace('relational: "We do what it takes.", ', ""))
    assert "f.yaml:8: items.0.relational: this field is required" in found


def test_duplicate_ids_and_unswapped_dimensions_are_refused():
    text = VALID.replace("id: measures-1", "id: roles-1").replace(
        'relational: "We learn from cases.", swapped: true', 'relational: "We learn from cases."'
    )
    found = problems_of(text)
    assert "f.yaml:8: duplicate id 'roles-1' in items" in found
    assert "f.yaml:9: duplicate id 'roles-1' in items" in found
    assert "f.yaml:6: dimension 'measures' needs at least one item with swapped: true" in found


def test_bands_must_increase_and_end_open():
    text = VALID + "bands: [{label: A, below: 50}, {label: B, below: 40}, {label: C, below: 90}]\n"
    found = problems_of(text)
    assert "f.yaml:12: bands must be in increasing order of 'below'" in found
    assert "f.yaml:12: the last band must have no 'below'" in found


def test_a_suggestion_range_must_not_be_upside_down():
    upside_down = VALID.replace("min: 0, max: 50", "min: 60, max: 50")
    assert "f.yaml:11: min must not be greater than max" in problems_of(upside_down)


def test_invalid_yaml_is_reported_with_its_line():
    found = problems_of("id: x\nversion: 1\n  bad: [\n")
    assert found == ["f.yaml:3: invalid YAML: mapping values are not allowed here"]


def test_yaml_aliases_are_refused_so_nothing_can_expand_without_bound():
    found = problems_of("a: &x [1, 2]\nb: *x\n")
    assert found == ["f.yaml:2: invalid YAML: aliases (*name) are not allowed"]


def test_python_specific_yaml_tags_are_refused():
    found = problems_of("id: !!python/object/apply:os.system ['true']\n")
    assert len(found) == 1 and "invalid YAML" in found[0]


def test_a_file_that_is_not_a_mapping_is_refused():
    assert problems_of("- just\n- a list\n") == ["f.yaml:1: the file must be a mapping with id, version, title, ..."]


def test_non_utf8_and_oversized_files_are_refused_without_parsing():
    with pytest.raises(QuestionnaireError, match="not UTF-8"):
        parse(b"id: \xff\xfe", "f.yaml")
    with pytest.raises(QuestionnaireError, match="larger than"):
        parse(b"#" * (q.MAX_FILE_BYTES + 1), "f.yaml")


def test_an_unreadable_path_is_one_clear_problem(tmp_path):
    with pytest.raises(QuestionnaireError) as caught:
        load_file(tmp_path / "missing.yaml")
    missing = tmp_path / "missing.yaml"
    assert caught.value.problems == [f"{missing}:0: cannot read the file (No such file or directory)"]


def test_the_content_hash_ignores_layout_and_comments_but_not_wording():
    reformatted = "# a comment\n" + VALID.replace("title: A tiny questionnaire", "title:   A tiny questionnaire")
    assert parse(VALID).content_hash() == parse(reformatted).content_hash()
    reworded = VALID.replace("We count calls.", "We count visits.")
    assert parse(VALID).content_hash() != parse(reworded).content_hash()


def test_data_round_trips_through_storage():
    loaded = parse(VALID)
    assert from_data(json.loads(json.dumps(loaded.to_data()))) == loaded


@given(st.integers(min_value=3, max_value=11), st.data())
def test_scale_positions_and_paradigm_values_are_inverse_and_swap_mirrors(points, data):
    position = data.draw(st.integers(min_value=1, max_value=points))
    for swapped in (False, True):
        item = q.Item(id="i", dimension="d", npm="n", relational="r", swapped=swapped)
        value = item.to_paradigm(position, points)
        assert value in range(1, points + 1)
        assert item.to_position(value, points) == position
        assert value == (points + 1 - position if swapped else position)


def test_swapped_items_show_the_relational_statement_first():
    item = q.Item(id="i", dimension="d", npm="N", relational="R", swapped=True)
    assert item.statements() == ("R", "N")


def test_the_committed_json_schema_matches_the_loader():
    committed = json.loads((ROOT / "questionnaires" / "schema.json").read_text())
    assert committed == json_schema(), "run: python -c 'from survey.questionnaire import json_schema' to regenerate"


def test_the_shipped_questionnaire_loads():
    assert load_file(SHIPPED).id == "npm-paradigm"

