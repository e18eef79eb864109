"""Exports: tidy aggregates (CSV, XLSX, the export command) and raw answers behind a permission.

Uses the organisation of ``test_dashboards``: "Environmental Health" (3 people) is under the
threshold and "Early Help" (7) is hidden to protect it; neither may show a figure anywhere.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask_migrate import downgrade, upgrade
from openpyxl import load_workbook
from sqlalchemy import inspect, select

from survey import create_app
from survey.exports import safe_cell
from survey.extensions import close_pools, db
from survey.models import Answer, Response, User
from tests.app.test_dashboards import HIDDEN, MIN, SECRET_COMMENT, SIZES, TINY, build_scenario, page, sign_in
from tests.factories import DepartmentFactory, ResponseFactory

STATISTICS = {"respondents", "mean", "n", "sd", "ci_low", "ci_high", "desired", "gap", "band", "divided"}


@pytest.fixture
def scenario(database):  # type: ignore[no-untyped-def]
    return build_scenario(rounds=1, desired=True, can_export_raw=False)


@pytest.fixture
def signed_in(client, scenario):  # type: ignore[no-untyped-def]
    sign_in(client, scenario.user)
    return client


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def download(client, url: str):  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200, url
    return response


def assert_withheld_everywhere(rows: list[dict]) -> None:  # type: ignore[type-arg]
    """Suppressed groups: one row saying so and nothing else; shown counts do not give them away."""
    for name in (TINY, HIDDEN):
        own = [row for row in rows if row["department"] == name]
        assert own == [{**own[0], "dimension": "overall", "statistic": "suppressed", "value": "true"}], name
    respondents = {row["department"]: int(row["value"]) for row in rows if row["statistic"] == "respondents"}
    top_level = [name for name, (parent, _) in SIZES.items() if parent is None]
    unseen = respondents["All departments"] - sum(respondents.get(name, 0) for name in top_level)
    assert unseen == 0 or unseen >= MIN
    housing = respondents["Housing"] - respondents["Housing Options"] - respondents["Tenancy Support"]
    assert housing == 0 or housing >= MIN


# Aggregates ----------------------------------------------------------------------------------------


def test_the_csv_export_is_tidy_one_row_per_group_dimension_and_statistic(signed_in, scenario):
    response = download(signed_in, f"/manage/rounds/{scenario.round.id}/export.csv")
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=") and re.fullmatch(
        r'attachment; filename="[a-z0-9-]+-results\.csv"', disposition)
    rows = csv_rows(response.get_data(as_text=True))
    assert list(rows[0]) == ["round", "department", "parent", "dimension", "statistic", "value"]
    keys = [(row["department"], row["dimension"], row["statistic"]) for row in rows]
    assert len(keys) == len(set(keys))
    shown = [row for row in rows if row["department"] == "Contact Centre"]
    dimensions = {row["dimension"] for row in shown}
    assert dimensions == {"overall", *(d.id for d in scenario.round.questionnaire.dimensions)}
    assert {row["statistic"] for row in shown} == STATISTICS
    assert {row["parent"] for row in rows if row["department"] == "Housing Options"} == {"Housing"}
    mean = next(row for row in shown if row["dimension"] == "roles" and row["statistic"] == "mean")
    assert 0 <= float(mean["value"]) <= 100 and len(mean["value"]) > 6  # unrounded
    assert_withheld_everywhere(rows)


def test_the_xlsx_export_has_the_same_rows_and_an_about_sheet(signed_in, scenario):
    csv_text = download(signed_in, f"/manage/rounds/{scenario.round.id}/export.csv").get_data(as_text=True)
    response = download(signed_in, f"/manage/rounds/{scenario.round.id}/export.xlsx")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert response.headers["Content-Disposition"].endswith('-results.xlsx"')
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["Results", "About"]
    sheet = [[cell for cell in row] for row in workbook["Results"].iter_rows(values_only=True)]
    header, body = sheet[0], sheet[1:]
    rows = [dict(zip(header, ["" if v is None else str(v) for v in row], strict=True)) for row in body]
    expected = csv_rows(csv_text)
    assert len(rows) == len(expected)
    for got, want in zip(rows, expected, strict=True):
        assert got.keys() == want.keys()
        for key in got:
            if key == "value" and want[key] not in ("", "true", "false") and re.fullmatch(r"[-\d.e]+", want[key]):
                assert float(got[key]) == pytest.approx(float(want[key]), abs=1e-9)
            else:
                assert got[key] == want[key]
    assert_withheld_everywhere(rows)
    about = dict(workbook["About"].iter_rows(values_only=True))
    assert about["Round"] == scenario.round.name
    assert about["Minimum group size"] == MIN
    assert "npm-paradigm version 1" in about["Questionnaire"]
    assert "at least 5 people" in about["Anonymity rule"] and about["Generated"]


def test_exports_defuse_spreadsheet_formulas_in_names(signed_in, scenario):
    evil = DepartmentFactory(organisation=scenario.organisation, name="=HYPERLINK(\"http://x\",\"y\")")
    for _ in range(6):
        ResponseFactory(round=scenario.round, department=evil, submitted=True, answers={"roles-1": 3})
    db.session.commit()
    text = download(signed_in, f"/manage/rounds/{scenario.round.id}/export.csv").get_data(as_text=True)
    assert {row["department"] for row in csv_rows(text) if "HYPERLINK" in row["department"]} == {
        "'=HYPERLINK(\"http://x\",\"y\")"}
    workbook = load_workbook(io.BytesIO(download(signed_in, f"/manage/rounds/{scenario.round.id}/export.xlsx").data))
    cells = [cell for row in workbook["Results"].iter_rows() for cell in row if "HYPERLINK" in str(cell.value)]
    assert cells and all(cell.data_type == "s" and cell.value.startswith("'=") for cell in cells)


@pytest.mark.parametrize("value, written", [("=1+1", "'=1+1"), ("+44", "'+44"), ("-2", "'-2"),
                                            ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("Housing", "Housing"),
                                            (-2.5, -2.5), (3, 3)])
def test_safe_cell_prefixes_text_that_a_spreadsheet_would_run(value, written):
    assert safe_cell(value) == written


def test_a_viewer_may_download_aggregates_but_another_organisation_may_not(client, scenario):
    from survey.services.accounts import create_user

    viewer, _ = create_user("viewer@example.org", "viewer", "a-long-password-123", [scenario.organisation])
    stranger, _ = create_user("stranger@example.org", "consultant", "a-long-password-123", [])
    db.session.commit()
    sign_in(client, viewer)
    download(client, f"/manage/rounds/{scenario.round.id}/export.xlsx")
    sign_in(client, stranger)
    page(client, f"/manage/rounds/{scenario.round.id}/export.csv", 404)


# Raw answers ---------------------------------------------------------------------------------------


def test_raw_answers_need_the_separate_permission(signed_in, scenario):
    page(signed_in, f"/manage/rounds/{scenario.round.id}/answers.csv", 404)


def test_raw_answers_carry_submitted_answers_with_made_up_labels_and_no_identity(client, scenario):
    scenario.user.can_export_raw = True
    db.session.commit()
    sign_in(client, scenario.user)
    assert "answers.csv" in page(client, f"/manage/rounds/{scenario.round.id}/results")
    response = download(client, f"/manage/rounds/{scenario.round.id}/answers.csv")
    assert response.headers["Content-Disposition"].endswith('-answers.csv"')
    text = response.get_data(as_text=True)
    rows = csv_rows(text)
    assert list(rows[0]) == ["department", "respondent", "item", "dimension", "kind", "value"]
    submitted = db.session.scalars(select(Response.id).where(Response.round_id == scenario.round.id,
                                                             Response.submitted_at.is_not(None))).all()
    answers = db.session.scalars(select(Answer).where(Answer.response_id.in_(submitted))).all()
    assert len(rows) == len(answers)
    labels = sorted({row["respondent"] for row in rows})
    assert labels == [f"R{n:04d}" for n in range(1, len(submitted) + 1)]
    assert {row["kind"] for row in rows} == {"current", "desired"}
    assert all(row["dimension"] == row["item"].rsplit("-", 1)[0] for row in rows)
    assert SECRET_COMMENT not in text
    # small groups are listed under the nearest shown group, never under their own name
    departments = {row["department"] for row in rows}
    assert TINY not in departments and HIDDEN not in departments and "All departments" in departments
    assert {"Contact Centre", "Housing Options", "Tenancy Support"} <= departments
    pooled = {row["respondent"] for row in rows if row["department"] == "All departments"}
    assert len(pooled) == SIZES[TINY][1] + SIZES[HIDDEN][1]
    again = csv_rows(download(client, f"/manage/rounds/{scenario.round.id}/answers.csv").get_data(as_text=True))
    assert [row["respondent"] for row in again] != [row["respondent"] for row in rows] or len(submitted) < 3


# The export command ------------------------------------------------------------------------------


def test_the_export_command_writes_the_same_tidy_rows(runner, signed_in, scenario, tmp_path):
    target = tmp_path / "out.csv"
    result = runner.invoke(args=["export", str(scenario.round.id), "--format", "csv", "-o", str(target)])
    assert result.exit_code == 0, result.output
    web = download(signed_in, f"/manage/rounds/{scenario.round.id}/export.csv").data
    assert target.read_bytes() == web
    book = tmp_path / "out.xlsx"
    result = runner.invoke(args=["export", scenario.round.name, "--format", "xlsx", "-o", str(book)])
    assert result.exit_code == 0, result.output
    assert load_workbook(book).sheetnames == ["Results", "About"]


@pytest.mark.parametrize("arguments", [["999999", "--format", "csv", "-o", "{tmp}/x.csv"],
                                       ["{round}", "--format", "pdf", "-o", "{tmp}/x.pdf"],
                                       ["{round}", "--format", "csv", "-o", "{tmp}/missing/dir/x.csv"]])
def test_the_export_command_refuses_bad_input_in_one_line(runner, scenario, tmp_path, arguments):
    args = [a.format(tmp=tmp_path, round=scenario.round.id) for a in arguments]
    result = runner.invoke(args=["export", *args])
    assert result.exit_code != 0
    assert result.output.strip().splitlines()[-1].startswith("Error: ")
    assert "Traceback" not in result.output


def test_user_create_can_grant_the_raw_export_permission(runner, scenario):
    for email, flag in (("analyst@example.org", ["--can-export-raw"]), ("plain@example.org", [])):
        result = runner.invoke(args=["user", "create", email, "--role", "viewer", "--password",
                                     "a-long-password-123", *flag])
        assert result.exit_code == 0, result.output
    users = {u.email: u.can_export_raw for u in db.session.scalars(select(User))}
    assert users["analyst@example.org"] is True and users["plain@example.org"] is False


# The migration -----------------------------------------------------------------------------------


def test_the_raw_export_migration_upgrades_and_downgrades(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}",
                      "SECRET_KEY": "x"})
    with app.app_context():
        upgrade()
        columns = {c["name"]: c for c in inspect(db.engine).get_columns("users")}
        assert "can_export_raw" in columns and columns["can_export_raw"]["nullable"] is False
        downgrade(revision="b35fa922685b")
        assert "can_export_raw" not in {c["name"] for c in inspect(db.engine).get_columns("users")}
        upgrade()
        close_pools()
