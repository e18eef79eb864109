"""Importing paper responses from CSV (DESIGN.md section 6), all or nothing.

Header ``department,respondent,item,current[,desired]``; one row per answer; ``respondent`` any
label unique within the file (it is used to group rows and never stored); values ``1..k`` or
empty for "don't know". Every bad row is reported; if there is one, nothing is stored.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field

from sqlalchemy import select

from survey.extensions import db
from survey.models import Answer, Department, Kind, PaperImport, Response, Round, utcnow
from survey.services import ServiceError
from survey.services.scores import record_scores

MAX_BYTES = 5_000_000
REQUIRED = ["department", "respondent", "item", "current"]


class ImportRefused(ServiceError):
    """A refused import; ``problems`` lists every bad row."""

    def __init__(self, problems: list[str]):
        super().__init__(f"{len(problems)} problem(s) found; nothing was imported")
        self.problems = problems


@dataclass
class _Respondent:
    department: Department
    first_row: int
    answers: dict[tuple[Kind, str], int | None] = field(default_factory=dict)


def import_csv(survey_round: Round, raw: bytes, filename: str) -> int:
    """Import the file into the round; returns how many responses were stored."""
    if len(raw) > MAX_BYTES:
        raise ImportRefused([f"the file is larger than {MAX_BYTES // 1_000_000} MB"])
    file_hash = hashlib.sha256(raw).hexdigest()
    previous = db.session.scalar(select(PaperImport).filter_by(round_id=survey_round.id, file_hash=file_hash))
    if previous is not None:
        raise ImportRefused([f"this file was already imported into this round (as {previous.filename!r})"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(["the file is not UTF-8 text (save it from your spreadsheet as 'CSV UTF-8')"]) from None
    respondents = _parse(survey_round, text)
    responses = []
    for respondent in respondents.values():
        response = Response(
            round=survey_round, department=respondent.department, source="paper", submitted_at=utcnow()
        )
        response.answers = [Answer(kind=k, item_id=i, value=v) for (k, i), v in respondent.answers.items()]
        db.session.add(response)
        responses.append(response)
    db.session.add(
        PaperImport(round_id=survey_round.id, file_hash=file_hash, filename=filename[:255], responses=len(respondents))
    )
    db.session.flush()
    record_scores([response.id for response in responses])
    return len(respondents)


def _parse(survey_round: Round, text: str) -> dict[str, _Respondent]:
    questionnaire = survey_round.questionnaire
    item_ids = {item.id for item in questionnaire.items}
    departments = {d.name: d for d in survey_round.organisation.departments}
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [column.strip().lower() for column in next(reader)]
    except StopIteration:
        raise ImportRefused(["the file is empty"]) from None
    except csv.Error as error:
        raise ImportRefused([f"row 1: {error}"]) from None
    if header[:4] != REQUIRED or len(header) > 5 or (len(header) == 5 and header[4] != "desired"):
        raise ImportRefused([f"row 1: the header must be {','.join(REQUIRED)}[,desired], not {','.join(header)}"])
    has_desired = len(header) == 5
    if has_desired and not survey_round.asks_desired:
        raise ImportRefused(["row 1: this round does not ask for desired answers; remove the desired column"])
    problems: list[str] = []
    respondents: dict[str, _Respondent] = {}
    try:
        for row_number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            problems += _read_row(row_number, row, len(header), departments, item_ids, questionnaire.points,
                                  respondents)
    except csv.Error as error:
        problems.append(f"row {reader.line_num}: {error}")
    if not respondents and not problems:
        problems.append("the file has no answers")
    if problems:
        raise ImportRefused(problems)
    return respondents


def _read_row(
    row_number: int,
    row: list[str],
    width: int,
    departments: dict[str, Department],
    item_ids: set[str],
    points: int,
    respondents: dict[str, _Respondent],
) -> list[str]:
    if len(row) != width:
        return [f"row {row_number}: expected {width} columns, found {len(row)}"]
    cells = [cell.strip() for cell in row]
    department_name, label, item_id = " ".join(cells[0].split()), cells[1], cells[2]
    problems = []
    department = departments.get(department_name)
    if department is None:
        problems.append(f"row {row_number}: unknown department {department_name!r}")
    if not label:
        problems.append(f"row {row_number}: respondent is empty")
    if item_id not in item_ids:
        problems.append(f"row {row_number}: unknown item {item_id!r}")
    values = {}
    for kind, cell in zip((Kind.CURRENT, Kind.DESIRED), cells[3:], strict=False):
        if cell == "":
            values[kind] = None
        elif cell.isdecimal() and 1 <= int(cell) <= points:  # isdigit() would let "²" through to int()
            values[kind] = int(cell)
        else:
            problems.append(f"row {row_number}: {kind.value} must be a whole number from 1 to {points} or empty, "
                            f"not {cell!r}")
    if problems:
        return problems
    respondent = respondents.setdefault(label, _Respondent(department=department, first_row=row_number))
    if respondent.department is not department:
        return [f"row {row_number}: respondent {label!r} is in {respondent.department.name} on row "
                f"{respondent.first_row}, not {department.name}"]
    if (Kind.CURRENT, item_id) in respondent.answers:
        return [f"row {row_number}: respondent {label!r} already answered {item_id}"]
    for kind, value in values.items():
        respondent.answers[(kind, item_id)] = value
    return []
