"""The ``report`` commands (DESIGN.md section 6): one PDF, a round's batch, and the RQ worker.

    flask --app survey report pdf ROUND --department NAME -o FILE.pdf
    flask --app survey report batch ROUND -o DIR [--jobs N]
    flask --app survey report worker [--burst]

Reports written to files are recorded in the audit log, with no account (the command line has none).
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from reports import ReportTarget, batch, report_pdf
from survey.cli_base import transactional
from survey.extensions import db
from survey.services import ServiceError, audit, structure

report_cli = AppGroup("report", help="PDF reports.")


def min_size() -> int:
    return current_app.config["SURVEY_MIN_GROUP_SIZE"]


@report_cli.command("pdf")
@click.argument("round_ref", metavar="ROUND")
@click.option("--department", help="The department whose team report to write; the organisation report if left out.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The PDF file to write.")
@click.option("--no-cache", is_flag=True, help="Build the report again even if an unchanged one is cached.")
@transactional
def report_pdf_command(round_ref: str, department: str | None, output: str, no_cache: bool) -> None:
    """Write one report as a tagged PDF: a department's team report, or the organisation's."""
    survey_round = structure.find_round(round_ref)
    found = structure.find_department(survey_round.organisation, department) if department else None
    pdf = report_pdf(ReportTarget(survey_round.id, found.id if found else None), min_size(), use_cache=not no_cache)
    try:
        Path(output).write_bytes(pdf)
    except OSError as error:
        raise ServiceError(f"cannot write {output}: {error.strerror}") from None
    audit.record(audit.COMMAND_REPORT, f"Wrote {audit.report_name(survey_round, found)} to a PDF file "
                 f"{audit.FROM_THE_COMMAND_LINE}", organisation_id=survey_round.organisation_id)
    what = f"{found.name}'s team report" if found else "the organisation report"
    click.echo(f"Wrote {what} for {survey_round.name} to {output} ({len(pdf) // 1024} KB)")


@report_cli.command("batch")
@click.argument("round_ref", metavar="ROUND")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="The folder to write into.")
@click.option("--jobs", type=click.IntRange(1, 64), help="Worker processes; one per core if left out.")
@click.option("--no-cache", is_flag=True, help="Build every report again even if an unchanged one is cached.")
@transactional
def report_batch_command(round_ref: str, output: str, jobs: int | None, no_cache: bool) -> None:
    """Write every department's team report and the organisation report, in parallel."""
    survey_round = structure.find_round(round_ref)
    directory = Path(output)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ServiceError(f"cannot write to {output}: {error.strerror}") from None
    planned = batch.plan(survey_round, directory)
    workers = jobs or batch.available_cores()
    label = f"Building {len(planned)} reports for {survey_round.name} ({min(workers, len(planned))} at a time)"
    with click.progressbar(length=len(planned), label=label, show_pos=True,
                           item_show_func=lambda outcome: outcome.job.label if outcome else None) as bar:
        outcomes = batch.run(planned, min_size=min_size(), workers=workers,
                             settings=batch.worker_settings(current_app), use_cache=not no_cache,
                             on_done=lambda outcome: bar.update(1, outcome))
    failed = [outcome for outcome in outcomes if not outcome.ok]
    for outcome in failed:
        click.echo(f"Failed: {outcome.job.label}: {outcome.error}", err=True)
    written = len(outcomes) - len(failed)
    if written:
        what = f"{written} of {len(outcomes)} reports" if failed else f"every report ({written} PDF files)"
        audit.record(audit.COMMAND_REPORT, f"Wrote {what} for {survey_round.name} {audit.FROM_THE_COMMAND_LINE}",
                     organisation_id=survey_round.organisation_id)
    if failed:
        db.session.commit()  # the reports written are on disk: the audit log keeps them though the command fails
        raise ServiceError(f"{len(failed)} of {len(outcomes)} reports failed; the others are in {directory}")
    click.echo(f"Wrote {len(outcomes)} reports to {directory}")


@report_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def report_worker_command(burst: bool) -> None:
    """Build queued report downloads (needs REDIS_URL): an RQ worker inside the application."""
    from reports import jobs

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set: without it, reports are built in the request")
    jobs.work(url, burst=burst)
