"""The workspace's report pages: preview, PDF download, the round's ZIP, branding and commentary.
WeasyPrint is stood in for (tests/reports/test_pdf.py renders real PDFs)."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from PIL import Image

from survey.extensions import db
from survey.models import Organisation, ReportCommentary, User
from survey.services.accounts import create_user
from tests.factories import DepartmentFactory, RoundFactory
from tests.reports.scenario import SIZES, TINY, build, fake_renderer

PASSWORD = "a long enough password"


def sign_in(client, role: str, organisation: Organisation) -> User:  # type: ignore[no-untyped-def]
    user, _ = create_user(f"{role}@example.org", role, PASSWORD, organisations=[organisation])
    db.session.commit()
    assert client.submit("/sign-in", {"email": user.email, "password": PASSWORD}).status_code == 302
    return user


@pytest.fixture
def scenario(database):  # type: ignore[no-untyped-def]
    return build(rounds=1)


@pytest.fixture
def renderer(monkeypatch):  # type: ignore[no-untyped-def]
    return fake_renderer(monkeypatch)


@pytest.fixture
def consultant(client, scenario):  # type: ignore[no-untyped-def]
    sign_in(client, "consultant", scenario.organisation)
    return client


def urls(scenario) -> list[str]:  # type: ignore[no-untyped-def]
    round_id, department = scenario.round.id, scenario.departments["Contact Centre"].id
    return [f"/manage/rounds/{round_id}/reports", f"/manage/rounds/{round_id}/departments/{department}/report",
            f"/manage/rounds/{round_id}/departments/{department}/report.pdf", f"/manage/rounds/{round_id}/report",
            f"/manage/rounds/{round_id}/report.pdf"]


def test_report_pages_need_sign_in(client, scenario):
    for url in urls(scenario):
        response = client.get(url)
        assert response.status_code == 302 and "sign-in" in response.headers["Location"], url


def test_another_organisations_reports_answer_404(consultant, scenario, renderer):
    other = RoundFactory()
    stranger = DepartmentFactory(organisation=other.organisation)
    db.session.commit()
    mine = scenario.round.id
    for url in [f"/manage/rounds/{other.id}/reports", f"/manage/rounds/{other.id}/report.pdf",
                f"/manage/rounds/{other.id}/departments/{stranger.id}/report",
                f"/manage/rounds/{mine}/departments/{stranger.id}/report.pdf",
                f"/manage/rounds/{mine}/departments/{stranger.id}/commentary",
                f"/manage/organisations/{other.organisation_id}/branding"]:
        assert consultant.get(url).status_code == 404, url
    assert renderer.titles == []


def test_the_reports_page_links_every_report(consultant, scenario):
    html = consultant.get(f"/manage/rounds/{scenario.round.id}/reports").get_data(as_text=True)
    for url in urls(scenario)[1:]:
        assert f'href="{url}"' in html
    assert html.count("/report.pdf") == len(SIZES) + 1
    assert f"Download all {len(SIZES) + 1} reports (ZIP)" in html
    assert "/branding" in html and "/commentary" in html


def test_the_preview_is_the_reports_html_with_links_back(consultant, scenario, renderer):
    round_id, department = scenario.round.id, scenario.departments["Contact Centre"].id
    response = consultant.get(f"/manage/rounds/{round_id}/departments/{department}/report")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "<title>Contact Centre: team report, Spring</title>" in html
    assert f'href="/manage/rounds/{round_id}/departments/{department}/report.pdf"' in html
    assert 'class="preview-bar"' in html
    assert renderer.titles == []  # a preview makes no PDF
    nonce = re.search(r"<style nonce=\"([^\"]+)\">", html).group(1)  # the inline stylesheet is allowed
    assert f"style-src 'self' 'nonce-{nonce}'" in response.headers["Content-Security-Policy"]


def test_a_team_pdf_downloads_as_an_attachment_and_comes_from_the_cache_next_time(consultant, scenario, renderer):
    round_id, department = scenario.round.id, scenario.departments["Contact Centre"].id
    url = f"/manage/rounds/{round_id}/departments/{department}/report.pdf"
    first, second = consultant.get(url), consultant.get(url)
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert re.fullmatch(r'attachment; filename="[a-z0-9-]+\.pdf"', first.headers["Content-Disposition"])
    assert first.data == second.data and renderer.titles == ["Contact Centre: team report"]


def test_the_organisation_pdf_downloads(consultant, scenario, renderer):
    response = consultant.get(f"/manage/rounds/{scenario.round.id}/report.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert "organisation" in response.headers["Content-Disposition"]


def test_without_redis_the_zip_is_built_in_the_request(consultant, scenario, renderer):
    page = consultant.get(f"/manage/rounds/{scenario.round.id}/reports").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = consultant.post(f"/manage/rounds/{scenario.round.id}/reports.zip", data={"csrf_token": token})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert len(names) == len(SIZES) + 1 and all(name.endswith(".pdf") for name in names)


def test_the_zip_needs_a_csrf_token(consultant, scenario, renderer):
    assert consultant.post(f"/manage/rounds/{scenario.round.id}/reports.zip").status_code == 400
    assert renderer.titles == []


def test_a_viewer_can_read_reports_but_not_change_branding_or_commentary(client, scenario, renderer):
    sign_in(client, "viewer", scenario.organisation)
    round_id = scenario.round.id
    assert client.get(f"/manage/rounds/{round_id}/report.pdf").status_code == 200
    html = client.get(f"/manage/rounds/{round_id}/reports").get_data(as_text=True)
    assert "/commentary" not in html and "/branding" not in html
    assert client.get(f"/manage/rounds/{round_id}/commentary").status_code == 404
    assert client.get(f"/manage/organisations/{scenario.organisation.id}/branding").status_code == 404


# Branding ----------------------------------------------------------------------------------------


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 20), "#003366").save(buffer, format="PNG")
    return buffer.getvalue()


def test_branding_saves_a_colour_and_a_logo_that_the_report_then_uses(consultant, scenario):
    url = f"/manage/organisations/{scenario.organisation.id}/branding"
    response = consultant.submit(url, {"colour": "#036", "logo": (io.BytesIO(png()), "logo.png")},
                                 content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.refresh(scenario.organisation)
    assert scenario.organisation.brand_colour == "#003366" and scenario.organisation.logo_type == "image/png"
    html = consultant.get(f"/manage/rounds/{scenario.round.id}/report").get_data(as_text=True)
    assert "--brand: #003366" in html and 'src="data:image/png;base64,' in html
    assert 'alt="' + scenario.organisation.name + ' logo"' in html


@pytest.mark.parametrize(("data", "message"), [
    ({"colour": "#ffdd00"}, "White text on #ffdd00 has a contrast of"),
    ({"colour": "blue"}, "Enter the colour as a hex code"),
    ({"logo": (io.BytesIO(b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>'), "x.svg")}, "&lt;script&gt;"),
])
def test_branding_refuses_bad_colours_and_logos_with_a_message(consultant, scenario, data, message):
    url = f"/manage/organisations/{scenario.organisation.id}/branding"
    response = consultant.submit(url, {"colour": "", **data}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in html and message in html
    db.session.refresh(scenario.organisation)
    assert scenario.organisation.brand_colour is None and scenario.organisation.logo is None


def test_a_logo_can_be_removed(consultant, scenario):
    scenario.organisation.logo, scenario.organisation.logo_type = png(), "image/png"
    db.session.commit()
    url = f"/manage/organisations/{scenario.organisation.id}/branding"
    assert consultant.submit(url, {"colour": "", "remove_logo": "y"}).status_code == 302
    db.session.refresh(scenario.organisation)
    assert scenario.organisation.logo is None and scenario.organisation.logo_type is None


# Commentary --------------------------------------------------------------------------------------


def test_commentary_is_saved_shown_in_the_report_changed_and_removed(consultant, scenario):
    round_id, department = scenario.round.id, scenario.departments["Contact Centre"].id
    url = f"/manage/rounds/{round_id}/departments/{department}/commentary"
    assert consultant.submit(url, {"text": "What stands out.\n\n- Try one thing"}).status_code == 302
    preview = consultant.get(f"/manage/rounds/{round_id}/departments/{department}/report").get_data(as_text=True)
    assert "<p>What stands out.</p>" in preview and "<li>Try one thing</li>" in preview
    assert consultant.submit(url, {"text": "Changed."}).status_code == 302
    assert db.session.query(ReportCommentary).one().text == "Changed."
    assert consultant.submit(url, {"text": "  "}).status_code == 302
    assert db.session.query(ReportCommentary).count() == 0


def test_organisation_commentary_has_its_own_page(consultant, scenario):
    url = f"/manage/rounds/{scenario.round.id}/commentary"
    assert "Commentary on the organisation report" in consultant.get(url).get_data(as_text=True)
    assert consultant.submit(url, {"text": "For the chief executive."}).status_code == 302
    preview = consultant.get(f"/manage/rounds/{scenario.round.id}/report").get_data(as_text=True)
    assert "For the chief executive." in preview


def test_a_suppressed_departments_report_leaves_its_commentary_out(consultant, scenario):
    round_id, department = scenario.round.id, scenario.departments[TINY].id
    consultant.submit(f"/manage/rounds/{round_id}/departments/{department}/commentary", {"text": "Score 41.2"})
    preview = consultant.get(f"/manage/rounds/{round_id}/departments/{department}/report").get_data(as_text=True)
    assert "No figures for this department" in preview and "41.2" not in preview


def test_too_long_commentary_is_refused(consultant, scenario):
    url = f"/manage/rounds/{scenario.round.id}/commentary"
    html = consultant.submit(url, {"text": "x" * 20_001}).get_data(as_text=True)
    assert "The commentary must be 20,000 characters or fewer" in html
