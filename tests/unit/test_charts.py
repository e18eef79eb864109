"""The SVG chart builders: valid XML, a text alternative with the figures, marks in the right place,
escaped names, accessible colours and no scripts or external resources."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from markupsafe import Markup

from survey import charts
from survey.charts import ProfileRow, TrendPoint

SVG = "{http://www.w3.org/2000/svg}"
SCSS = Path(__file__).resolve().parents[2] / "survey" / "static" / "src" / "_charts.scss"


def parse(svg: Markup) -> ET.Element:
    return ET.fromstring(str(svg))  # noqa: S314 - our own output, parsed to check it


def alt_text(root: ET.Element) -> str:
    return f"{root.find(f'{SVG}title').text} {root.find(f'{SVG}desc').text}"


def by_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if name in (e.get("class") or "").split()]


def every_chart() -> list[Markup]:
    return [
        charts.position_line("Housing: overall", 41.25, (35.4, 47.04), desired=60.0),
        charts.position_line("Hidden team", None),
        charts.dimension_profile("Profile", [ProfileRow("Roles and discretion", 38.9, (31.9, 45.9), 55.0),
                                             ProfileRow("How we measure", None)]),
        charts.trend("Trend", [TrendPoint("Spring 2025", 40.0, (35.0, 45.0)), TrendPoint("Autumn 2025", None),
                               TrendPoint("Spring 2026", 52.0, (48.0, 56.0), real_change=True)]),
    ]


@pytest.mark.parametrize("svg", every_chart())
def test_every_chart_is_an_accessible_self_contained_image(svg):
    assert isinstance(svg, Markup)
    root = parse(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert re.fullmatch(r"0 0 \d+(\.\d+)? \d+(\.\d+)?", root.get("viewBox"))
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text and desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    text = str(svg).lower()
    assert "<script" not in text and "href" not in text and "url(" not in text and " on" not in re.sub(
        r'"[^"]*"', '""', text)
    assert "Scale from 0 (New Public Management) to 100 (Relational)." in desc.text


def test_the_position_line_places_the_mean_interval_and_desired_on_the_scale():
    root = parse(charts.position_line("Housing", 0.0, (0.0, 10.0), desired=100.0))
    assert float(by_class(root, "app-chart__mean")[0].get("cx")) == charts.LINE_LEFT
    assert float(by_class(root, "app-chart__desired")[0].get("data-x")) == charts.LINE_RIGHT
    for mean in (25.0, 50.0, 41.2):
        root = parse(charts.position_line("Housing", mean))
        expected = charts.LINE_LEFT + (charts.LINE_RIGHT - charts.LINE_LEFT) * mean / 100
        assert float(by_class(root, "app-chart__mean")[0].get("cx")) == pytest.approx(expected, abs=0.01)
        assert by_class(root, "app-chart__desired") == []
    root = parse(charts.position_line("Housing", 50.0, (40.0, 60.0)))
    lines = by_class(root, "app-chart__interval")[0].findall(f"{SVG}line")
    assert float(lines[0].get("x1")) == pytest.approx(charts.x_for(40.0))
    assert float(lines[0].get("x2")) == pytest.approx(charts.x_for(60.0))


def test_the_position_line_alt_text_carries_the_figures_rounded_for_reading():
    root = parse(charts.position_line("Housing: overall", 41.25, (35.44, 47.04), desired=60.0))
    text = alt_text(root)
    for figure in ("41.2", "35.4", "47.0", "60.0", "In transition"):
        assert figure in text


def test_a_hidden_figure_shows_no_marks():
    root = parse(charts.position_line("Hidden team", None, desired=50.0))
    assert by_class(root, "app-chart__mean") == [] and by_class(root, "app-chart__desired") == []
    assert "not shown" in alt_text(root)


def test_the_dimension_profile_has_a_row_per_dimension_at_the_right_place():
    rows = [ProfileRow("Roles", 10.0, (5.0, 15.0), 30.0), ProfileRow("Measures", 90.0), ProfileRow("Silos", None)]
    root = parse(charts.dimension_profile("Profile", rows))
    means = by_class(root, "app-chart__mean")
    assert len(means) == 2 and len(by_class(root, "app-chart__desired")) == 1
    left = charts.PROFILE_LABEL_WIDTH + 12
    assert float(means[0].get("cx")) == pytest.approx(charts.x_for(10.0, left, charts.LINE_RIGHT))
    assert float(means[1].get("cx")) == pytest.approx(charts.x_for(90.0, left, charts.LINE_RIGHT))
    assert float(means[0].get("cy")) < float(means[1].get("cy"))
    text = alt_text(root)
    assert "Roles: mean 10.0 (NPM-led), 95% interval 5.0 to 15.0, desired 30.0" in text
    assert "Measures: mean 90.0 (Relational)" in text and "Silos: not shown" in text


def test_the_trend_draws_one_point_per_shown_round_and_rings_real_changes():
    points = [TrendPoint("R1", 0.0, (0.0, 5.0)), TrendPoint("R2", None), TrendPoint("R3", 100.0, None, True),
              TrendPoint("R4", 50.0, (45.0, 55.0))]
    root = parse(charts.trend("Trend", points))
    means = by_class(root, "app-chart__mean")
    assert len(means) == 3
    assert float(means[0].get("cy")) > float(means[2].get("cy")) > float(means[1].get("cy"))  # y grows downwards
    xs = [float(m.get("cx")) for m in means]
    assert xs == sorted(xs)
    assert len(by_class(root, "app-chart__real-change")) == 1
    assert len(by_class(root, "app-chart__trend")) == 1  # R3 to R4 only: a hidden round breaks the line
    text = alt_text(root)
    assert "R2: not shown" in text and "R3: mean 100.0 (Relational), a real change since the round before" in text


def test_names_are_escaped():
    evil = '<script>alert("x")</script> & Co'
    for svg in (charts.position_line(evil, 50.0),
                charts.dimension_profile(evil, [ProfileRow(evil, 50.0)]),
                charts.trend(evil, [TrendPoint(evil, 50.0)])):
        root = parse(svg)
        assert "<script>" not in str(svg)
        assert evil in alt_text(root)
        assert all(e.tag != f"{SVG}script" for e in root.iter())


def test_bands_come_from_the_questionnaire():
    bands = [charts.Band("Low", 50.0), charts.Band("High")]
    root = parse(charts.position_line("Custom", 60.0, bands=bands, poles=("Left", "Right")))
    labels = [e.text for e in root.iter(f"{SVG}text")]
    assert "Low" in labels and "High" in labels and "Left" in labels and "Right" in labels
    assert len(by_class(root, "app-chart__band")) == 2
    assert "mean 60.0 (High)" in alt_text(root)


# Colours -----------------------------------------------------------------------------------------


def luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_and_marks_keep_their_contrast_on_every_background():
    backgrounds = [charts.WHITE, *charts.BAND_FILLS]
    for background in backgrounds:
        assert contrast(charts.TEXT, background) >= 4.5
        for mark in (charts.TEXT, charts.SECONDARY, charts.DESIRED):
            assert contrast(mark, background) >= 3.0, (mark, background)


def test_heatmap_colours_keep_text_readable_and_match_the_stylesheet():
    for colour in charts.HEAT_COLOURS:
        assert contrast(charts.TEXT, colour) >= 4.5
    stylesheet = re.search(r"\$app-heat-colours: \(([^)]*)\)", SCSS.read_text()).group(1)
    assert tuple(c.strip() for c in stylesheet.split(",")) == charts.HEAT_COLOURS
    assert [charts.heat_step(v) for v in (0, 9.99, 10, 55, 99.9, 100)] == [0, 0, 1, 5, 9, 9]


def test_presentation_rounding_never_shows_minus_zero():
    assert charts.one_decimal(-0.04) == "0.0" and charts.one_decimal(41.25) in ("41.2", "41.3")
    assert charts.one_decimal(-3.26) == "-3.3"
