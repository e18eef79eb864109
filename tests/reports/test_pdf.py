"""The PDFs themselves, through ``report pdf``: a few real renders, checked with poppler-utils
(pdfinfo, pdftotext): tagged, titled, the right text, page counts in bounds, and no word outside
the page (or, past the cover, outside the page's text column)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.reports.scenario import HIDDEN, TINY, build

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")

MM = 72 / 25.4
SIDE_MARGIN = 18 * MM


@pytest.fixture
def scenario(database):  # type: ignore[no-untyped-def]
    return build()


def write_pdf(runner, tmp_path: Path, survey_round, department: str | None = None) -> Path:  # type: ignore[no-untyped-def]
    output = tmp_path / "report.pdf"
    args = ["report", "pdf", str(survey_round.id), "-o", str(output)]
    result = runner.invoke(args=args + (["--department", department] if department else []))
    assert result.exit_code == 0, result.output
    return output


def info(path: Path) -> dict[str, str]:
    output = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return dict(line.split(":", 1) for line in output.splitlines() if ":" in line)


def text(path: Path) -> str:
    output = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(output.split())


def words_outside(path: Path) -> list[str]:
    """Words past the page's edges; past the cover, words outside the text column between the
    side margins (where a table or chart that overflowed would put them)."""
    layout = subprocess.run(["pdftotext", "-bbox-layout", str(path), "-"], capture_output=True, text=True,
                            check=True).stdout
    problems = []
    for number, (width, height, body) in enumerate(
            re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', layout, re.S), start=1):
        left, right = (0.0, float(width)) if number == 1 else (SIDE_MARGIN - 1, float(width) - SIDE_MARGIN + 1)
        for x0, y0, x1, y1, word in re.findall(
                r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">([^<]*)</word>', body):
            if float(x0) < left or float(x1) > right or float(y0) < 0 or float(y1) > float(height):
                problems.append(f"page {number}: {word!r} at {x0},{y0}-{x1},{y1}")
    return problems


def test_report_pdf_writes_a_tagged_team_report_with_the_results_figures(scenario, runner, tmp_path):
    path = write_pdf(runner, tmp_path, scenario.round, "Contact Centre")
    group = json.loads(runner.invoke(args=["results", str(scenario.round.id), "--department", "Contact Centre",
                                           "--json"]).output)["groups"][0]
    details = info(path)
    assert details["Tagged"].strip() == "yes"
    assert details["Title"].strip() == "Contact Centre: team report, Round 2"
    assert details["Page size"].strip().startswith("595.") and "(A4)" in details["Page size"]
    assert 12 <= int(details["Pages"]) <= 24
    content = text(path)
    assert "Contact Centre" in content
    assert f"{group['overall']['mean']:.1f}" in content
    for dimension in scenario.round.questionnaire.dimensions:
        assert dimension.title in content
    for suggestion in group["suggestions"][:3]:
        assert suggestion["title"] in content
    assert re.search(r"Page 3 of \d+", content)
    assert words_outside(path) == []


def test_a_suppressed_departments_pdf_shows_no_figures(scenario, runner, tmp_path):
    path = write_pdf(runner, tmp_path, scenario.round, TINY)
    assert int(info(path)["Pages"]) <= 3
    content = text(path)
    assert "No figures for this department" in content and "Fewer than 5 responses" in content
    assert set(re.findall(r"\d+\.\d", content)) <= {"33.3", "66.7", "0.7"}  # method constants only
    assert words_outside(path) == []


def test_the_organisation_pdf_is_tagged_in_bounds_and_names_withheld_departments(scenario, runner, tmp_path):
    path = write_pdf(runner, tmp_path, scenario.round)
    details = info(path)
    assert details["Tagged"].strip() == "yes"
    assert 8 <= int(details["Pages"]) <= 30
    content = text(path)
    assert f"{HIDDEN} (hidden to protect a smaller group), {TINY} (fewer than 5 responses)" in content
    assert "Heatmap of departments" in content and "Trends over rounds" in content
    assert words_outside(path) == []
