"""The command line (DESIGN.md section 6): ``flask --app survey COMMAND``.

Every command refuses bad input with a one-line reason and a non-zero exit, and changes
nothing when it refuses: it works in one transaction, committed only at the end.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from werkzeug.serving import run_simple

from survey import exports, results
from survey.assets import AssetError, ensure_assets
from survey.cli_base import transactional
from survey.extensions import db
from survey.questionnaire import QuestionnaireError, load_file
from survey.report_cli import report_cli
from survey.services import ServiceError, accounts, audit, paper_import, retention, structure
from survey.services import questionnaires as questionnaire_service


def invitation_url(token: str) -> str:
    return f"{current_app.config['SURVEY_BASE_URL']}/s/{token}"


def parse_date(value: str | None, option: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-03-31", param_hint=option) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# questionnaire ---------------------------------------------------------------------------------

questionnaire_cli = AppGroup("questionnaire", help="Check and load questionnaire files.")


@questionnaire_cli.command("check")
@click.argument("path", type=click.Path(dir_okay=False))
def questionnaire_check(path: str) -> None:
    """Validate a questionnaire file; print every problem as file:line: message."""
    try:
        questionnaire = load_file(path)
    except QuestionnaireError as error:
        for problem in error.problems:
            click.echo(problem)
        raise click.ClickException(f"{len(error.problems)} problem(s) in {path}") from None
    click.echo(f"{path}: ok ({questionnaire.id} version {questionnaire.version}, "
               f"{len(questionnaire.dimensions)} dimensions, {len(questionnaire.items)} items)")


@questionnaire_cli.command("load")
@click.argument("path", type=click.Path(dir_okay=False))
@transactional
def questionnaire_load(path: str) -> None:
    """Validate a questionnaire file and freeze it as a version."""
    try:
        version, created = questionnaire_service.load_path(path)
    except QuestionnaireError as error:
        for problem in error.problems:
            click.echo(problem)
        raise ServiceError(f"{len(error.problems)} problem(s) in {path}; nothing was loaded") from None
    state = "loaded and frozen" if created else "already loaded, unchanged"
    click.echo(f"{version.key} version {version.version}: {state}")


# user ------------------------------------------------------------------------------------------

user_cli = AppGroup("user", help="Accounts for consultants and organisation viewers.")


@user_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["consultant", "viewer"]), required=True)
@click.option("--password", help="At least 12 characters; one is generated and printed if left out.")
@click.option("--organisation", "organisations", multiple=True, help="An organisation the account may see.")
@click.option("--can-export-raw", is_flag=True, help="May download raw answers (never respondent identity).")
@transactional
def user_create(
    email: str, role: str, password: str | None, organisations: tuple[str, ...], can_export_raw: bool
) -> None:
    """Create an account."""
    orgs = [structure.find_organisation(name) for name in organisations]
    user, password_used = accounts.create_user(email, role, password, orgs)
    user.can_export_raw = can_export_raw
    click.echo(f"Created {user.role.value} {user.email}")
    if password is None:
        click.echo(f"Password: {password_used}")


# organisations, departments, rounds, links -----------------------------------------------------

org_cli = AppGroup("org", help="Organisations.")


@org_cli.command("create")
@click.argument("name")
@transactional
def org_create(name: str) -> None:
    """Create an organisation."""
    organisation = structure.create_organisation(name)
    click.echo(f"Created organisation {organisation.name}")


department_cli = AppGroup("department", help="Departments of an organisation.")


@department_cli.command("create")
@click.argument("organisation")
@click.argument("name")
@click.option("--parent", help="The department (a directorate, say) that holds this one.")
@transactional
def department_create(organisation: str, name: str, parent: str | None) -> None:
    """Create a department in an organisation."""
    department = structure.create_department(structure.find_organisation(organisation), name, parent)
    click.echo(f"Created department {department.name}" + (f" in {department.parent.name}" if parent else ""))


round_cli = AppGroup("round", help="Survey rounds.")


@round_cli.command("create")
@click.argument("organisation")
@click.argument("name")
@click.option("--questionnaire", "questionnaire_ref", required=True, help="ID or ID:VERSION.")
@click.option("--desired", is_flag=True, help="Also ask where respondents would like their team to be.")
@click.option("--opens", help="Opening date (ISO 8601); now if left out.")
@click.option("--closes", help="Closing date (ISO 8601); open until closed if left out.")
@transactional
def round_create(
    organisation: str, name: str, questionnaire_ref: str, desired: bool, opens: str | None, closes: str | None
) -> None:
    """Create a survey round; prints its id alone on the last line."""
    survey_round = structure.create_round(
        structure.find_organisation(organisation),
        name,
        questionnaire_service.find_version(questionnaire_ref),
        asks_desired=desired,
        opens_at=parse_date(opens, "--opens"),
        closes_at=parse_date(closes, "--closes"),
    )
    click.echo(f"Created round {survey_round.name} ({survey_round.questionnaire_version.label})")
    click.echo(str(survey_round.id))


link_cli = AppGroup("link", help="Invitation links.")


@link_cli.command("create")
@click.argument("round_ref", metavar="ROUND")
@click.argument("department")
@transactional
def link_create(round_ref: str, department: str) -> None:
    """Create an invitation link for a department; prints the URL alone on the last line."""
    survey_round = structure.find_round(round_ref)
    found = structure.find_department(survey_round.organisation, department)
    _, token = structure.create_link(survey_round, found)
    click.echo(f"Invitation link for {found.name}, round {survey_round.name} (shown once; keep it):")
    click.echo(invitation_url(token))


responses_cli = AppGroup("responses", help="Responses.")


@responses_cli.command("import")
@click.argument("round_ref", metavar="ROUND")
@click.argument("file", type=click.Path(dir_okay=False))
@transactional
def responses_import(round_ref: str, file: str) -> None:
    """Import paper responses from CSV: all rows or none, every bad row listed."""
    survey_round = structure.find_round(round_ref)
    try:
        raw = Path(file).read_bytes()
    except OSError as error:
        raise ServiceError(f"cannot read {file}: {error.strerror}") from None
    try:
        count = paper_import.import_csv(survey_round, raw, Path(file).name)
    except paper_import.ImportRefused as error:
        for problem in error.problems:
            click.echo(f"{file}: {problem}", err=True)
        raise
    click.echo(f"Imported {count} paper response(s) into {survey_round.name}")


@click.command("results")
@click.argument("round_ref", metavar="ROUND")
@click.option("--department", help="Only this department's figures (suppression still applies).")
@click.option("--json", "as_json", is_flag=True, required=True, help="Print JSON (DESIGN.md section 6).")
@with_appcontext
@transactional
def results_command(round_ref: str, department: str | None, as_json: bool) -> None:
    """Print a round's figures as JSON, with the anonymity rule applied."""
    survey_round = structure.find_round(round_ref)
    if department is not None:
        department = structure.find_department(survey_round.organisation, department).name
    figures = results.round_results(survey_round, current_app.config["SURVEY_MIN_GROUP_SIZE"])
    click.echo(json.dumps(results.to_json(figures, department), indent=2, allow_nan=False))


@click.command("export")
@click.argument("round_ref", metavar="ROUND")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), required=True, help="The file format.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The file to write.")
@with_appcontext
@transactional
def export_command(round_ref: str, fmt: str, output: str) -> None:
    """Write a round's tidy results (suppression applied) to a CSV or XLSX file."""
    survey_round = structure.find_round(round_ref)
    figures = results.round_results(survey_round, current_app.config["SURVEY_MIN_GROUP_SIZE"])
    rows = exports.aggregate_rows(figures)
    if fmt == "csv":
        body: bytes = exports.to_csv(exports.COLUMNS, rows).encode("utf-8")
    else:
        body = exports.to_xlsx(figures, rows, datetime.now(UTC))
    try:
        Path(output).write_bytes(body)
    except OSError as error:
        raise ServiceError(f"cannot write {output}: {error.strerror}") from None
    what = "a CSV file" if fmt == "csv" else "an Excel spreadsheet"
    audit.record(audit.COMMAND_EXPORT, f"Exported the results of {survey_round.name} as {what} "
                 f"{audit.FROM_THE_COMMAND_LINE}", organisation_id=survey_round.organisation_id)
    click.echo(f"Wrote {len(rows)} rows of {survey_round.name} to {output}")


@click.command("retention")
@click.option("--months", type=int, help="Override SURVEY_RETENTION_MONTHS for this run.")
@click.option("--dry-run", is_flag=True, help="Only list what would be deleted.")
@with_appcontext
@transactional
def retention_command(months: int | None, dry_run: bool) -> None:
    """Delete the raw answers of rounds that closed more than N months ago (results are kept)."""
    months = months if months is not None else current_app.config.get("SURVEY_RETENTION_MONTHS")
    if months is None:
        raise ServiceError("no retention period: set SURVEY_RETENTION_MONTHS or pass --months")
    deleted = retention.apply(months, dry_run=dry_run)
    verb = "Would delete" if dry_run else "Deleted"
    for found in deleted:
        click.echo(f"{verb} {found.answers} answers and {found.comments} comments of "
                   f"{found.round.organisation.name}: {found.round.name} (closed {found.round.closes_at:%Y-%m-%d})")
    click.echo(f"{len(deleted)} round(s) {'due' if dry_run else 'done'} under a retention period of {months} months.")


# assets and demo -------------------------------------------------------------------------------


@click.command("assets")
@with_appcontext
def assets_command() -> None:
    """Install and build the front-end assets (GOV.UK Frontend) if they are missing."""
    try:
        ensure_assets(echo=click.echo)
    except AssetError as error:
        raise click.ClickException(str(error)) from None
    click.echo("Front-end assets are ready.")


@click.command("demo")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-serve", is_flag=True, help="Set everything up but do not start the server.")
def demo_command(host: str, port: int, no_serve: bool) -> None:
    """Set up the database, demo organisation and accounts, then serve the app."""
    from survey import demo

    try:
        ensure_assets(echo=click.echo)
    except AssetError as error:
        raise click.ClickException(str(error)) from None
    if port != 5000 and current_app.config["SURVEY_BASE_URL"] == "http://127.0.0.1:5000":
        current_app.config["SURVEY_BASE_URL"] = f"http://{host}:{port}"
    summary = transactional(demo.set_up)()
    for line in demo.describe(summary, current_app.config["SURVEY_BASE_URL"]):
        click.echo(line)
    db.session.remove()  # release the database before serving: SQLite would stay locked
    if not no_serve:
        # app.run() is ignored under the flask command, so serve with Werkzeug directly.
        run_simple(host, port, current_app._get_current_object(), threaded=True)


def init_app(app: Flask) -> None:
    for command in (questionnaire_cli, user_cli, org_cli, department_cli, round_cli, link_cli, responses_cli,
                    results_command, export_command, retention_command, assets_command, demo_command):
        app.cli.add_command(command)
    app.cli.add_command(report_cli)
