"""The audit log: every sign-in, failed sign-in, sign-out, export and report download (in the
workspace and on the command line) records exactly one event; a refused request records nothing;
an organisation's consultants read its log, newest first, a page at a time; no one else can."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import g
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import AuditEvent, Organisation, User
from survey.services import audit
from survey.services.accounts import create_user
from survey.workspace.audit_log import pagination
from tests.app.test_dashboards import sign_in as sign_in_directly
from tests.app.test_report_jobs import redis, run_worker, start  # noqa: F401 - redis is a fixture
from tests.factories import OrganisationFactory, RoundFactory
from tests.reports.scenario import SIZES, TINY, build, fake_renderer

PASSWORD = "a long enough password"
WRONG_PASSWORD = "a wrong but plausible password"


class Log:
    """The events recorded since the last look (the browser tests may leave older ones behind)."""

    def __init__(self) -> None:
        self.seen = db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))

    def new(self) -> list[AuditEvent]:
        found = list(db.session.scalars(select(AuditEvent).where(AuditEvent.id > self.seen).order_by(AuditEvent.id)))
        if found:
            self.seen = found[-1].id
        return found

    def one(self) -> AuditEvent:
        found = self.new()
        assert len(found) == 1, [(event.action, event.description) for event in found]
        return found[0]


@pytest.fixture
def scenario(database):  # type: ignore[no-untyped-def]
    return build(rounds=1)


@pytest.fixture
def log(database) -> Log:  # type: ignore[no-untyped-def]
    return Log()


def account(role: str, organisation: Organisation, email: str | None = None, *, raw: bool = False) -> User:
    user, _ = create_user(email or f"{role}@example.org", role, PASSWORD, organisations=[organisation])
    user.can_export_raw = raw
    db.session.commit()
    return user


def sign_in(client, user: User) -> None:  # type: ignore[no-untyped-def]
    assert client.submit("/sign-in", {"email": user.email, "password": PASSWORD}).status_code == 302


@pytest.fixture
def consultant(client, scenario, log):  # type: ignore[no-untyped-def]
    """A consultant of the scenario's organisation, signed in (that event already looked at)."""
    user = account("consultant", scenario.organisation, raw=True)
    sign_in(client, user)
    log.new()
    client.user = user
    return client


def assert_event(event: AuditEvent, action: str, user: User | None, organisation_id: int | None) -> None:
    assert (event.action, event.user_id, event.organisation_id) == (action, user.id if user else None,
                                                                    organisation_id)
    assert event.user_email == (user.email if user else None)
    assert event.occurred_at is not None


# Signing in and out ------------------------------------------------------------------------------


def test_signing_in_records_the_account_and_its_address(client, scenario, log):
    user = account("consultant", scenario.organisation)
    sign_in(client, user)
    event = log.one()
    assert_event(event, audit.SIGNED_IN, user, None)
    assert (event.description, event.remote_addr) == ("Signed in", "127.0.0.1")


@pytest.mark.parametrize("email", ["consultant@example.org", "Nobody@Example.org"])
def test_a_failed_sign_in_records_the_email_typed_and_no_account(client, scenario, log, email):
    account("consultant", scenario.organisation)
    reply = client.submit("/sign-in", {"email": email, "password": WRONG_PASSWORD})
    assert reply.status_code == 200
    event = log.one()
    assert (event.action, event.user_id, event.user_email, event.organisation_id) == (
        audit.SIGN_IN_FAILED, None, email, None)
    assert event.remote_addr == "127.0.0.1" and WRONG_PASSWORD not in event.description


def test_a_password_typed_in_the_email_box_is_not_kept(client, log):
    client.submit("/sign-in", {"email": WRONG_PASSWORD, "password": "x"})
    event = log.one()
    assert event.action == audit.SIGN_IN_FAILED and event.user_email is None


def test_a_sign_in_form_with_empty_fields_records_nothing(client, log):
    assert client.submit("/sign-in", {"email": "", "password": ""}).status_code == 200
    assert log.new() == []


def test_signing_out_records_the_account(consultant, log):
    assert consultant.submit("/sign-out").status_code == 302
    assert_event(log.one(), audit.SIGNED_OUT, consultant.user, None)
    assert consultant.get("/sign-out").status_code == 302  # signed out already: nothing more
    assert log.new() == []


def test_recorded_emails_and_descriptions_are_cut_to_their_columns(app_context, log):
    audit.record(audit.SIGN_IN_FAILED, "x" * 600, email="a@" + "b" * 400)
    event = log.one()
    assert len(event.user_email) == 254 and len(event.description) == 500


def test_only_known_actions_are_recorded(app_context):
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record("deleted-everything", "Deleted everything")


# Exports and reports -----------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "action", "description"), [
    ("export.csv", audit.EXPORT_CSV, "Downloaded the results of Spring as a CSV file"),
    ("export.xlsx", audit.EXPORT_XLSX, "Downloaded the results of Spring as an Excel spreadsheet"),
    ("answers.csv", audit.EXPORT_RAW, "Downloaded the raw answers of Spring as a CSV file"),
])
def test_each_export_records_one_event(consultant, scenario, log, path, action, description):
    assert consultant.get(f"/manage/rounds/{scenario.round.id}/{path}").status_code == 200
    event = log.one()
    assert_event(event, action, consultant.user, scenario.organisation.id)
    assert event.description == description and event.remote_addr == "127.0.0.1"


def test_each_report_download_records_one_event(consultant, scenario, log, monkeypatch):
    fake_renderer(monkeypatch)
    round_id, team = scenario.round.id, scenario.departments["Housing Options"]
    assert consultant.get(f"/manage/rounds/{round_id}/departments/{team.id}/report.pdf").status_code == 200
    event = log.one()
    assert_event(event, audit.REPORT_PDF, consultant.user, scenario.organisation.id)
    assert event.description == "Downloaded the team report for Housing Options, Spring"
    assert consultant.get(f"/manage/rounds/{round_id}/report.pdf").status_code == 200
    event = log.one()
    assert_event(event, audit.REPORT_PDF, consultant.user, scenario.organisation.id)
    assert event.description == f"Downloaded the organisation report for {scenario.organisation.name}, Spring"


def download_zip(client, round_id: int):  # type: ignore[no-untyped-def]
    """Press "Download all reports" on the round's reports page (built in the request)."""
    page = client.get(f"/manage/rounds/{round_id}/reports").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post(f"/manage/rounds/{round_id}/reports.zip", data={"csrf_token": token})


def test_the_zip_of_every_report_records_one_event(consultant, scenario, log, monkeypatch):
    fake_renderer(monkeypatch)
    reply = download_zip(consultant, scenario.round.id)
    assert reply.status_code == 200 and reply.mimetype == "application/zip"
    event = log.one()
    assert_event(event, audit.REPORT_ZIP, consultant.user, scenario.organisation.id)
    assert event.description == "Downloaded every report for Spring as a ZIP file"


def test_the_zip_built_by_a_job_records_its_download_not_its_start(consultant, scenario, log, redis,  # noqa: F811
                                                                   monkeypatch):
    fake_renderer(monkeypatch)
    consultant.scenario = scenario
    user_id, organisation_id = consultant.user.id, scenario.organisation.id
    location = start(consultant)
    run_worker(redis)  # the worker ends with a fresh session: the test's objects are gone with the old one
    assert log.new() == []
    download = location.replace("/job?", "/job.zip?")
    assert consultant.get(download).status_code == 200
    event = log.one()
    assert_event(event, audit.REPORT_ZIP, db.session.get(User, user_id), organisation_id)
    job_id = location.rsplit("=", 1)[1]
    assert job_id not in event.description
    assert consultant.get(download).status_code == 200  # a second download is a second event
    assert len(log.new()) == 1


# Refused requests ------------------------------------------------------------------------------


def test_refused_requests_record_nothing(client, scenario, log, monkeypatch):
    fake_renderer(monkeypatch)
    round_id, team = scenario.round.id, scenario.departments["Contact Centre"].id
    downloads = [f"/manage/rounds/{round_id}/export.csv", f"/manage/rounds/{round_id}/answers.csv",
                 f"/manage/rounds/{round_id}/report.pdf", f"/manage/rounds/{round_id}/departments/{team}/report.pdf"]
    for url in downloads:  # signed out: sent to sign in
        assert client.get(url).status_code == 302
    other = RoundFactory()
    user = account("consultant", other.organisation)  # no raw-answer permission either
    sign_in(client, user)
    log.new()
    for url in downloads:  # another organisation's round
        assert client.get(url).status_code == 404, url
    assert client.get(f"/manage/rounds/{other.id}/answers.csv").status_code == 404  # no permission
    assert client.post(f"/manage/rounds/{other.id}/reports.zip", data={}).status_code == 400  # no CSRF token
    assert client.get(f"/manage/rounds/{other.id}/reports/job.zip?job=nope").status_code == 404
    assert client.post("/sign-out", data={}).status_code == 400
    assert log.new() == []


# The command line --------------------------------------------------------------------------------


def assert_command_event(event: AuditEvent, action: str, organisation_id: int, description: str) -> None:
    assert_event(event, action, None, organisation_id)
    assert event.description == description and event.remote_addr is None


@pytest.mark.parametrize(("fmt", "what"), [("csv", "a CSV file"), ("xlsx", "an Excel spreadsheet")])
def test_the_export_command_records_one_event_with_no_account(runner, scenario, log, tmp_path, fmt, what):
    result = runner.invoke(args=["export", str(scenario.round.id), "--format", fmt, "-o", str(tmp_path / "x")])
    assert result.exit_code == 0, result.output
    assert_command_event(log.one(), audit.COMMAND_EXPORT, scenario.organisation.id,
                         f"Exported the results of Spring as {what} from the command line")


def test_the_report_commands_record_one_event_each(runner, scenario, log, tmp_path, monkeypatch):
    fake_renderer(monkeypatch)
    organisation, round_id = scenario.organisation, str(scenario.round.id)
    result = runner.invoke(args=["report", "pdf", round_id, "--department", "Housing Options",
                                 "-o", str(tmp_path / "team.pdf")])
    assert result.exit_code == 0, result.output
    assert_command_event(log.one(), audit.COMMAND_REPORT, organisation.id,
                         "Wrote the team report for Housing Options, Spring to a PDF file from the command line")
    result = runner.invoke(args=["report", "pdf", round_id, "-o", str(tmp_path / "organisation.pdf")])
    assert result.exit_code == 0, result.output
    assert_command_event(log.one(), audit.COMMAND_REPORT, organisation.id,
                         f"Wrote the organisation report for {organisation.name}, Spring to a PDF file "
                         "from the command line")
    result = runner.invoke(args=["report", "batch", round_id, "-o", str(tmp_path / "all"), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert_command_event(log.one(), audit.COMMAND_REPORT, organisation.id,
                         f"Wrote every report ({len(SIZES) + 1} PDF files) for Spring from the command line")


def test_a_batch_that_partly_fails_records_the_reports_it_wrote(runner, scenario, log, tmp_path, monkeypatch):
    fake_renderer(monkeypatch, fail_on=TINY)
    result = runner.invoke(args=["report", "batch", str(scenario.round.id), "-o", str(tmp_path), "--jobs", "1"])
    assert result.exit_code == 1
    assert_command_event(log.one(), audit.COMMAND_REPORT, scenario.organisation.id,
                         f"Wrote {len(SIZES)} of {len(SIZES) + 1} reports for Spring from the command line")


def test_refused_commands_record_nothing(runner, scenario, log, tmp_path):
    for args in (["export", "no such round", "--format", "csv", "-o", str(tmp_path / "x.csv")],
                 ["export", str(scenario.round.id), "--format", "csv", "-o", str(tmp_path / "no" / "x.csv")],
                 ["report", "pdf", str(scenario.round.id), "--department", "Nowhere", "-o", str(tmp_path / "x")],
                 ["report", "batch", "no such round", "-o", str(tmp_path)]):
        assert runner.invoke(args=args).exit_code != 0, args
    assert log.new() == []


# The audit page ----------------------------------------------------------------------------------


def audit_url(organisation: Organisation, page: int | None = None) -> str:
    return f"/manage/organisations/{organisation.id}/audit" + (f"?page={page}" if page is not None else "")


def rows_of(html: str) -> list[list[str]]:
    body = html.split('<tbody class="govuk-table__body">', 1)[1].split("</tbody>", 1)[0]
    return [[" ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split())
             for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def test_a_consultant_reads_the_organisations_log_newest_first(consultant, scenario, log):
    organisation = scenario.organisation
    colleague = account("viewer", organisation, "colleague@example.org")
    stranger = account("consultant", OrganisationFactory(), "stranger@example.org")
    audit.record(audit.SIGNED_IN, "Signed in", user=colleague)
    audit.record(audit.SIGN_IN_FAILED, "Failed to sign in: wrong email address or password",
                 email="Colleague@Example.org")
    audit.record(audit.SIGNED_IN, "Signed in", user=stranger)
    audit.record(audit.SIGN_IN_FAILED, "Failed to sign in: wrong email address or password",
                 email="stranger@example.org")
    audit.record(audit.EXPORT_CSV, "Another organisation's export", user=stranger,
                 organisation_id=stranger.organisations[0].id)
    db.session.commit()
    assert consultant.get(f"/manage/rounds/{scenario.round.id}/export.csv").status_code == 200
    log.new()

    reply = consultant.get(audit_url(organisation))
    assert reply.status_code == 200
    html = reply.get_data(as_text=True)
    assert "<h1 class=\"govuk-heading-l\">Audit log</h1>" in html and f"<title>Audit log: {organisation.name}" in html
    assert re.search(r"<caption[^>]*>\s*4 events, newest first\s*</caption>", html)
    assert '<th scope="col" class="govuk-table__header">When (UK time)</th>' in html
    rows = rows_of(html)
    assert [row[1:] for row in rows] == [
        ["consultant@example.org", "Downloaded the results of Spring as a CSV file", "127.0.0.1"],
        ["Colleague@Example.org", "Failed to sign in: wrong email address or password", "Not recorded"],
        ["colleague@example.org", "Signed in", "Not recorded"],
        ["consultant@example.org", "Signed in", "127.0.0.1"],
    ]
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4} at \d{1,2}:\d\d[ap]m", rows[0][0])
    assert "stranger" not in html and "Another organisation" not in html
    assert log.new() == []  # reading the log is not recorded


def test_command_line_events_say_so(consultant, scenario):
    audit.record(audit.COMMAND_EXPORT, "Exported the results of Spring as a CSV file from the command line",
                 organisation_id=scenario.organisation.id)
    db.session.commit()
    rows = rows_of(consultant.get(audit_url(scenario.organisation)).get_data(as_text=True))
    assert rows[0][1:] == ["The command line", "Exported the results of Spring as a CSV file from the command line",
                           "Not recorded"]


def test_the_organisation_page_links_to_the_log_for_consultants_only(client, scenario):
    page = f"/manage/organisations/{scenario.organisation.id}"
    sign_in(client, account("viewer", scenario.organisation))
    assert audit_url(scenario.organisation) not in client.get(page).get_data(as_text=True)
    assert client.get(audit_url(scenario.organisation)).status_code == 404
    client.submit("/sign-out")
    g.pop("_login_user", None)
    sign_in(client, account("consultant", scenario.organisation))
    assert audit_url(scenario.organisation) in client.get(page).get_data(as_text=True)


def test_another_organisations_consultant_gets_404(client, scenario):
    audit.record(audit.EXPORT_CSV, "Downloaded the results of Spring as a CSV file",
                 organisation_id=scenario.organisation.id)
    sign_in(client, account("consultant", OrganisationFactory()))
    reply = client.get(audit_url(scenario.organisation))
    assert reply.status_code == 404 and b"Downloaded" not in reply.data


def test_the_log_is_shown_fifty_events_a_page(consultant, scenario):
    for number in range(120):
        audit.record(audit.EXPORT_CSV, f"Event {number}", organisation_id=scenario.organisation.id)
    db.session.commit()  # with the consultant's sign-in: 121 events, 3 pages
    organisation = scenario.organisation
    first = consultant.get(audit_url(organisation)).get_data(as_text=True)
    rows = rows_of(first)
    assert len(rows) == 50 and rows[0][2] == "Event 119" and rows[49][2] == "Event 70"
    assert "121 events, newest first (page 1 of 3)" in first
    assert '<nav class="govuk-pagination" aria-label="Pages of the audit log"' in first
    assert f'href="{audit_url(organisation, 2)}" rel="next"' in first and 'rel="prev"' not in first
    assert 'aria-current="page"' in first
    last = consultant.get(audit_url(organisation, 3)).get_data(as_text=True)
    rows = rows_of(last)
    assert len(rows) == 21 and rows[-1][2] == "Signed in"
    assert f'href="{audit_url(organisation, 2)}" rel="prev"' in last and 'rel="next"' not in last
    for page in (0, 4, -1):
        assert consultant.get(audit_url(organisation, page)).status_code == 404


def test_long_logs_get_ellipses_in_their_pagination(app_context):
    shown = pagination(7, 5, 10)
    assert [item.get("number", "...") for item in shown["items"]] == [1, "...", 4, 5, 6, "...", 10]
    assert [item["number"] for item in shown["items"] if item.get("current")] == [5]
    assert shown["previous"]["href"] == "/manage/organisations/7/audit?page=4"
    assert shown["next"]["href"] == "/manage/organisations/7/audit?page=6"


def test_an_empty_log_says_so(client, database):
    organisation = OrganisationFactory()
    user, _ = create_user("consultant@example.org", "consultant", PASSWORD, organisations=[organisation])
    db.session.commit()
    sign_in_directly(client, user)  # not through the form, so that nothing has been recorded
    html = client.get(audit_url(organisation)).get_data(as_text=True)
    assert "Nothing has been recorded yet." in html and "<table" not in html


def test_nothing_secret_is_recorded_or_shown(client, scenario, log, monkeypatch):
    fake_renderer(monkeypatch)
    user = account("consultant", scenario.organisation, raw=True)
    client.submit("/sign-in", {"email": user.email, "password": WRONG_PASSWORD})
    sign_in(client, user)
    for path in ("export.csv", "answers.csv", "report.pdf"):
        assert client.get(f"/manage/rounds/{scenario.round.id}/{path}").status_code == 200
    assert download_zip(client, scenario.round.id).status_code == 200
    csrf = g.csrf_token
    html = client.get(audit_url(scenario.organisation)).get_data(as_text=True)
    events = log.new()
    assert len(events) == 6
    stored = " ".join(f"{e.user_email} {e.description} {e.remote_addr} {e.action}" for e in events)
    session_cookie = client.get_cookie("session").value
    for secret in (PASSWORD, WRONG_PASSWORD, user.password_hash, csrf, session_cookie):
        assert secret not in stored and secret not in html
    assert "roles-1" not in stored  # no item ids or answers
