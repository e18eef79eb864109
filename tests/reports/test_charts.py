"""The report-only charts: accessible SVG with their figures in the text alternative."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - parses our own charts

from reports.branding import contrast_ratio
from reports.charts import DistributionRow, HeatmapRow, distribution_chart, heatmap, point_colours, text_colour_on

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))  # noqa: S314 - our own chart markup


def test_the_distribution_chart_is_an_image_with_title_and_a_description_of_every_share():
    chart = distribution_chart("Roles: answers", [DistributionRow("Q1", (1, 0, 0, 0, 0, 0, 3), 1),
                                                  DistributionRow("Q2 <b>", (0,) * 7, 0)], 7, chart_id="d")
    root = parse(chart)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "d-title d-desc"
    assert root.find(f"{SVG}title").text == "Roles: answers"
    desc = root.find(f"{SVG}desc").text
    assert "Q1: 1: 20%" in desc and "7: 60%" in desc and "don't know: 20%" in desc
    assert "Q2 <b>: no answers" in desc  # escaped in the markup, so it parses
    assert "60%" in [t.text for t in root.iter(f"{SVG}text")]


def test_segment_labels_keep_their_contrast():
    for fill in (*point_colours(7), *point_colours(5), "#ffffff"):
        assert contrast_ratio(fill, text_colour_on(fill)) >= 4.5


def test_other_scale_lengths_get_a_colour_per_point():
    assert len(point_colours(11)) == 11 and len(point_colours(4)) == 4


def test_the_heatmap_carries_every_score_and_names_rows_without_figures():
    chart = heatmap("Heatmap", ["Overall", "Roles and discretion"], [
        HeatmapRow("All departments", (47.84, 33.6), (False, True), strong=True),
        HeatmapRow("Tiny", None, note="Not shown: fewer than 5 responses"),
        HeatmapRow("Team", (51.0, None), depth=1),
    ], chart_id="h")
    root = parse(chart)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "47.8" in texts and "33.6*" in texts and "Not shown: fewer than 5 responses" in texts
    desc = root.find(f"{SVG}desc").text
    assert "Tiny: Not shown: fewer than 5 responses" in desc
    assert "Team: Overall 51.0, Roles and discretion no figure" in desc
    assert not re.search(r"\d\.\d{2}", desc)  # one decimal place only
