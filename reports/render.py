"""Report data -> HTML (the report's own Jinja environment) -> PDF bytes (WeasyPrint).

No request context: the templates use no ``url_for`` and load nothing. The stylesheet is
inlined, images are ``data:`` URLs and charts are inline SVG, so the PDF is rendered with a URL
fetcher that refuses everything else (``file:``, ``http:``...). PDFs are tagged PDF/UA-1 with
the document's title and language.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET  # noqa: S405 - parses the charts we have just drawn
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from reports import charts as report_charts
from reports.data import OVERALL, TeamReport
from reports.organisation import OrganisationReport
from survey import charts

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STYLESHEET = HERE / "static" / "report.css"
LANG = "en-GB"
PDF_VARIANT = "pdf/ua-1"


@dataclass(frozen=True)
class Preview:
    """Links shown above the HTML preview in the workspace (never in the PDF)."""

    back_url: str
    back_text: str
    pdf_url: str
    nonce: str = ""  # the page's Content-Security-Policy nonce for the inline stylesheet


@lru_cache(maxsize=1)
def _fetcher_class() -> type:
    from weasyprint.urls import URLFetcher  # WeasyPrint is imported only when a PDF is made

    class DataOnlyFetcher(URLFetcher):
        """Fetches embedded ``data:`` URLs and refuses every other URL (files, the network)."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols={"data"}, allow_redirects=False)

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith("data:"):
                raise ValueError(f"reports load nothing but embedded data: URLs, not {url[:80]!r}")
            return super().fetch(url, headers)

    return DataOnlyFetcher


def url_fetcher() -> Any:
    """WeasyPrint's URL fetcher for reports: ``data:`` URLs only (Indico refuses ``file:`` and
    foreign URLs the same way)."""
    return _fetcher_class()()


# HTML ------------------------------------------------------------------------------------------


def team_html(report: TeamReport, preview: Preview | None = None) -> str:
    return environment().get_template("team.html").render(
        report=report, charts=team_charts(report), preview=preview, css=stylesheet(), lang=LANG)


def organisation_html(report: OrganisationReport, preview: Preview | None = None) -> str:
    return environment().get_template("organisation.html").render(
        report=report, charts=organisation_charts(report), preview=preview, css=stylesheet(), lang=LANG)


def html_to_pdf(html: str) -> bytes:
    """Render report HTML as a tagged PDF/UA-1 document (title and language from the HTML)."""
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=url_fetcher()).write_pdf(pdf_variant=PDF_VARIANT)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(one_decimal=one_decimal, signed=signed, interval=interval, alpha=alpha, plain=plain)
    return env


@lru_cache(maxsize=1)
def stylesheet() -> Markup:
    return Markup(STYLESHEET.read_text(encoding="utf-8"))  # noqa: S704 - our own file, not user input


def one_decimal(value: float | None) -> str:
    return "–" if value is None else charts.one_decimal(value).replace("-", "−")


def signed(value: float | None) -> str:
    if value is None:
        return "–"
    text = charts.one_decimal(value)
    if text == "0.0":
        return text
    return f"−{text[1:]}" if text.startswith("-") else f"+{text}"


def interval(ci: tuple[float, float] | None) -> str:
    return "–" if ci is None else f"{one_decimal(ci[0])} to {one_decimal(ci[1])}"


def plain(value: float) -> str:
    """A bound from the questionnaire file as written: 40, 33.3."""
    return f"{value:g}"


def alpha(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}".replace("-", "−")


# Charts ----------------------------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def as_image(chart: Markup) -> Markup:
    """A chart as an ``<img>`` of its SVG (a ``data:`` URL), its title and description as the
    alt text: the PDF's figure then carries the whole text alternative, and the SVG's elements stay
    out of the HTML's style cascade (which makes the PDF render markedly faster)."""
    root = ET.fromstring(str(chart))  # noqa: S314 - our own chart markup
    alt = f"{root.findtext(f'{SVG}title', '')}. {root.findtext(f'{SVG}desc', '')}"
    source = base64.b64encode(str(chart).encode()).decode("ascii")
    return Markup('<img class="chart" src="data:image/svg+xml;base64,{}" alt="{}">').format(source, alt)



def _poles(report: TeamReport | OrganisationReport) -> tuple[str, str]:
    return report.questionnaire.poles.npm, report.questionnaire.poles.relational


def team_charts(report: TeamReport) -> dict[str, Any]:
    figures = report.figures
    if figures is None:
        return {}
    q, poles = report.questionnaire, _poles(report)
    overall = figures.overall
    found: dict[str, Any] = {
        "position": charts.position_line(
            f"{report.department}: overall position{_figure_words(overall)}",
            overall.mean, overall.current.ci if overall.current else None,
            overall.desired.mean if overall.desired else None, q.bands, poles, chart_id="overall-position"),
        "profile": charts.dimension_profile(
            f"{report.department}: position on each dimension",
            [charts.ProfileRow(s.dimension.title, s.score.mean, s.score.current.ci if s.score.current else None,
                               s.score.desired.mean if s.score.desired else None) for s in figures.sections],
            q.bands, poles, chart_id="dimension-profile"),
    }
    for section in figures.sections:
        if not section.distributions:  # the answers were deleted under the retention rule
            continue
        found[section.dimension.id] = report_charts.distribution_chart(
            f"{section.dimension.title}: how people answered each question",
            [report_charts.DistributionRow(f"Q{d.number}", d.counts, d.dont_know) for d in section.distributions],
            q.points, poles, chart_id=f"distribution-{section.dimension.id}")
    return {key: as_image(chart) for key, chart in found.items()}


def organisation_charts(report: OrganisationReport) -> dict[str, Any]:
    figures = report.figures
    if figures is None:
        return {}
    q, poles = report.questionnaire, _poles(report)
    overall = figures.overall
    keys = [key for key, _ in report.columns]
    by_key = {OVERALL: overall, **{d.dimension.id: d.score for d in figures.dimensions}}
    heat_rows = [report_charts.HeatmapRow(
        "All departments", tuple(by_key[key].mean for key in keys), tuple(by_key[key].divided for key in keys),
        strong=True)]
    for row in report.heatmap:
        if row.withheld:
            heat_rows.append(report_charts.HeatmapRow(row.name, None, depth=row.depth,
                                                      note=f"Not shown: {row.withheld.lower()}"))
            continue
        scores = [row.score(key) for key in keys]
        heat_rows.append(report_charts.HeatmapRow(
            row.name, tuple(_mean(score) for score in scores), tuple(bool(s and s.divided) for s in scores),
            depth=row.depth))
    found: dict[str, Any] = {
        "position": charts.position_line(
            f"All departments: overall position{_figure_words(overall)}",
            overall.mean, overall.current.ci if overall.current else None,
            overall.desired.mean if overall.desired else None, q.bands, poles, chart_id="overall-position"),
        "heatmap": report_charts.heatmap(
            f"Heatmap of {report.round_name} scores by department and dimension",
            [title for _, title in report.columns], heat_rows, chart_id="heatmap"),
    }
    for ranking in report.rankings:
        found[f"ranking-{ranking.key}"] = charts.dimension_profile(
            f"{ranking.title}: departments from most relational to most NPM-led",
            [charts.ProfileRow(row.name, row.score.mean, row.score.current.ci if row.score.current else None)
             for row in ranking.rows], q.bands, poles, chart_id=f"ranking-{ranking.key}")
    overall_trend = next((t for t in report.trends if t.key == OVERALL), None)
    if overall_trend is not None and len(overall_trend.points) > 1:
        found["trend"] = charts.trend(
            "All departments: overall position across rounds",
            [charts.TrendPoint(p.round_name, _mean(p.score), _ci(p.score), bool(p.change and p.change.real))
             for p in overall_trend.points],
            q.bands, poles, chart_id="trend-overall")
    return {key: as_image(chart) for key, chart in found.items()}


def _ci(score: Any) -> tuple[float, float] | None:
    return score.current.ci if score is not None and score.current is not None else None


def _figure_words(score: Any) -> str:
    return f", {one_decimal(score.mean)} ({score.band})" if score.mean is not None else ", no figure"


def _mean(score: Any) -> float | None:
    return score.mean if score is not None else None

