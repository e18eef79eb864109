"""Exports: tidy rows of a round's results (CSV, XLSX) and of raw answers (CSV).

The aggregate rows come from ``survey.results`` alone, so they carry exactly what the pages
show: a suppressed group is a single row saying so, never a figure. Text cells that a
spreadsheet would read as a formula are defused with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import random
import re
import secrets
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from survey import queries
from survey.models import Department, Round
from survey.results import GroupFigures, RoundResults
from survey.scoring import ScoreResult

COLUMNS = ("round", "department", "parent", "dimension", "statistic", "value")
ANSWER_COLUMNS = ("department", "respondent", "item", "dimension", "kind", "value")
OVERALL = "overall"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Row = tuple[Any, ...]


def aggregate_rows(results: RoundResults) -> list[Row]:
    """One row per group, dimension and statistic; the organisation ("All departments") first."""
    rows: list[Row] = []
    for group in (results.organisation_group, *results.groups):
        rows += _group_rows(results, group)
    return rows


def _group_rows(results: RoundResults, group: GroupFigures) -> Iterator[Row]:
    def row(dimension: str, statistic: str, value: Any) -> Row:
        return (results.round_name, group.name, group.parent or "", dimension, statistic, value)

    if group.suppressed or group.result is None:
        yield row(OVERALL, "suppressed", "true")
        return
    yield row(OVERALL, "respondents", group.result.respondents)
    yield from (row(OVERALL, s, v) for s, v in _statistics(group.result.overall, results.asks_desired, False))
    for dimension_id, score in group.result.dimensions.items():
        yield from (row(dimension_id, s, v) for s, v in _statistics(score, results.asks_desired, True))


def _statistics(score: ScoreResult, asks_desired: bool, with_divided: bool) -> Iterator[tuple[str, Any]]:
    current = score.current
    yield "mean", current.mean if current else None
    yield "n", current.n if current else 0
    yield "sd", current.sd if current else None
    yield "ci_low", current.ci[0] if current and current.ci else None
    yield "ci_high", current.ci[1] if current and current.ci else None
    if asks_desired:
        yield "desired", score.desired.mean if score.desired else None
        yield "gap", score.gap
    yield "band", score.band
    if with_divided:
        yield "divided", "true" if score.divided else "false"


# Raw answers -----------------------------------------------------------------------------------


def answer_rows(survey_round: Round, results: RoundResults, rng: random.Random | None = None) -> list[Row]:
    """Every submitted answer of the round, with a respondent label made up for this export.

    Labels (R0001, ...) follow a random order drawn afresh each time, so they say nothing about
    database ids or the order of submission. The department column names the smallest group
    whose figures are shown that holds the respondent (a suppressed team's answers are listed
    under its nearest shown parent, or "All departments"), so the export reveals no more about
    small groups than the aggregates do. No comments, no timestamps, no identity.
    """
    rng = rng or random.Random(secrets.randbits(64))
    questionnaire = results.questionnaire
    dimension_of = {item.id: item.dimension for item in questionnaire.items}
    item_order = {item.id: index for index, item in enumerate(questionnaire.items)}
    shown_as = _shown_group_names(survey_round.organisation.departments, results)
    answers = queries.raw_answers(survey_round.id)
    response_ids = sorted({response_id for response_id, *_ in answers})
    rng.shuffle(response_ids)
    labels = {response_id: f"R{index:04d}" for index, response_id in enumerate(response_ids, start=1)}
    rows = [
        (shown_as[department_id], labels[response_id], item_id, dimension_of.get(item_id, ""), kind.value, value)
        for response_id, department_id, kind, item_id, value in answers
    ]
    rows.sort(key=lambda row: (row[0], row[1], row[4], item_order.get(row[2], len(item_order)), row[2]))
    return rows


def _shown_group_names(departments: Sequence[Department], results: RoundResults) -> dict[int, str]:
    """Each department's id with the name of the nearest group (itself or above) that is shown."""
    shown = {group.key for group in results.groups if not group.suppressed}
    by_id = {department.id: department for department in departments}
    names = {}
    for department in departments:
        current: Department | None = department
        while current is not None and current.id not in shown:
            current = by_id.get(current.parent_id) if current.parent_id else None
        names[department.id] = current.name if current is not None else results.organisation_group.name
    return names


# Formats -------------------------------------------------------------------------------------------


def safe_cell(value: Any) -> Any:
    """A cell as written: text that a spreadsheet would run as a formula gets a leading "'"."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(columns: Sequence[str], rows: Iterable[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if value is None else _csv_value(value) for value in row])
    return buffer.getvalue()


def _csv_value(value: Any) -> Any:
    if isinstance(value, float):
        return repr(value)
    return safe_cell(value)


def to_xlsx(results: RoundResults, rows: Iterable[Row], generated_at: datetime) -> bytes:
    """A workbook with the tidy rows ("Results") and what they are ("About")."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Results"
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    about = workbook.create_sheet("About")
    for key, value in about_rows(results, generated_at):
        about.append([key, safe_cell(value)])
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 100
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def about_rows(results: RoundResults, generated_at: datetime) -> list[tuple[str, Any]]:
    questionnaire = results.questionnaire
    return [
        ("Organisation", results.organisation),
        ("Round", results.round_name),
        ("Questionnaire", f"{questionnaire.title} ({questionnaire.id} version {questionnaire.version})"),
        ("Desired position asked", "yes" if results.asks_desired else "no"),
        ("Minimum group size", results.min_size),
        ("Generated", generated_at.strftime("%Y-%m-%d %H:%M UTC")),
        ("Anonymity rule", anonymity_sentence(results.min_size)),
        ("Scale", "Scores run from 0 (fully New Public Management) to 100 (fully relational); "
                  "figures are unrounded."),
    ]


def anonymity_sentence(min_size: int) -> str:
    return (f"A group's figures appear only when at least {min_size} people in it responded, and further "
            "groups are withheld where their figures would let a smaller group's be worked out by "
            "difference; withheld groups appear with the statistic 'suppressed'.")


def filename(*parts: str, extension: str) -> str:
    """A safe download name: ASCII letters, digits and hyphens only."""
    text = "-".join(parts)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:120] or "export"
    return f"{slug}.{extension}"
