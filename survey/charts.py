"""Charts as inline SVG: pure functions, plain numbers in, ``Markup`` out.

No Flask request, no JavaScript, no external resources, so the pages and the PDF reports use
the same builders. Every chart is an image with a text alternative (``role="img"``, a
``<title>`` and a ``<desc>`` that carries the figures), and the pages show the same figures in a
table beside it. Colours meet WCAG 2.2 AA: text on its background 4.5:1, the marks that carry
meaning (mean, interval, desired, line) 3:1 against every background they sit on, and each mark
also differs in shape, so colour never carries meaning alone.

The scale runs from 0 (fully New Public Management) to 100 (fully relational).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from markupsafe import Markup, escape

# Colours (GOV.UK Frontend palette). BAND_FILLS are light tints: text and marks keep their contrast.
TEXT = "#0b0c0c"
SECONDARY = "#505a5f"
DESIRED = "#1d70b8"
BAND_FILLS = ("#fbe4d5", "#f3f2f1", "#dcebf7")
BAND_EDGE = "#505a5f"
WHITE = "#ffffff"

# The heatmap's background scale: ten steps from NPM (0) to relational (100), all light enough
# for black text at well over 4.5:1. ``survey/static/src/_charts.scss`` holds the same list.
HEAT_COLOURS = (
    "#f7b883", "#f9c7a0", "#fbd6bc", "#fce4d6", "#f3f2f1",
    "#eef2f6", "#d6e5f2", "#bdd6ec", "#a3c6e5", "#8ab6de",
)

WIDTH = 640
LINE_LEFT = 24.0
LINE_RIGHT = 616.0
PROFILE_LABEL_WIDTH = 196.0
KEY = "app-chart__key"
FONT = "font-family=\"Arial, Helvetica, sans-serif\""


class BandLike(Protocol):
    @property
    def label(self) -> str: ...

    @property
    def below(self) -> float | None: ...


@dataclass(frozen=True)
class Band:
    label: str
    below: float | None = None


DEFAULT_BANDS = (Band("NPM-led", 33.333), Band("In transition", 66.667), Band("Relational"))
DEFAULT_POLES = ("New Public Management", "Relational")


@dataclass(frozen=True)
class ProfileRow:
    """One row of a dimension profile: a label and its figures (None when not shown)."""

    label: str
    mean: float | None
    ci: tuple[float, float] | None = None
    desired: float | None = None


@dataclass(frozen=True)
class TrendPoint:
    """One round of a trend: ``mean`` None when the figure is not shown (too few responses)."""

    label: str
    mean: float | None
    ci: tuple[float, float] | None = None
    real_change: bool = False


# Shared helpers ---------------------------------------------------------------------------------


def one_decimal(value: float) -> str:
    """Presentation rounding (DESIGN.md section 3): one decimal place, never "-0.0"."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def heat_step(mean: float) -> int:
    """The heatmap colour step (0..9) of a mean on the 0..100 scale."""
    return min(max(int(mean // 10), 0), len(HEAT_COLOURS) - 1)


def x_for(value: float, left: float = LINE_LEFT, right: float = LINE_RIGHT) -> float:
    """The x coordinate of a score on a line from ``left`` (0) to ``right`` (100)."""
    clamped = min(max(value, 0.0), 100.0)
    return round(left + (right - left) * clamped / 100.0, 2)


def _band_edges(bands: Sequence[BandLike]) -> list[tuple[str, float, float]]:
    """Each band as (label, from, to) on 0..100."""
    edges, start = [], 0.0
    for band in bands:
        end = 100.0 if band.below is None else min(max(float(band.below), start), 100.0)
        edges.append((band.label, start, end))
        start = end
    return edges


def _chart_id(prefix: str, *parts: object) -> str:
    digest = hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{prefix}-{digest}"


def _svg(chart_id: str, height: float, title: str, desc: str, body: list[str], width: float = WIDTH) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" viewBox="0 0 {width:g} {height:g}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false" {FONT}>'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 - every text part is escaped above or below


def _text(x: float, y: float, text: str, size: int = 13, anchor: str = "start", weight: str = "normal",
          fill: str = TEXT) -> str:
    bold = ' font-weight="bold"' if weight == "bold" else ""
    return (f'<text x="{x:g}" y="{y:g}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{bold}>'
            f"{escape(text)}</text>")


def _bands_rects(bands: Sequence[BandLike], top: float, height: float, left: float, right: float) -> list[str]:
    parts = []
    for index, (_, start, end) in enumerate(_band_edges(bands)):
        fill = BAND_FILLS[index % len(BAND_FILLS)]
        x0, x1 = x_for(start, left, right), x_for(end, left, right)
        parts.append(f'<rect class="app-chart__band" x="{x0:g}" y="{top:g}" width="{x1 - x0:g}" '
                     f'height="{height:g}" fill="{fill}"/>')
        if index:
            parts.append(f'<line x1="{x0:g}" y1="{top:g}" x2="{x0:g}" y2="{top + height:g}" stroke="{BAND_EDGE}" '
                         'stroke-width="1" stroke-dasharray="3 3"/>')
    return parts


def _band_labels(bands: Sequence[BandLike], y: float, left: float, right: float) -> list[str]:
    return [_text((x_for(start, left, right) + x_for(end, left, right)) / 2, y, label, size=12, anchor="middle")
            for label, start, end in _band_edges(bands)]


def _interval(low: float, high: float, y: float, left: float, right: float) -> str:
    return _interval_px(x_for(low, left, right), x_for(high, left, right), y)


def _interval_px(x0: float, x1: float, y: float) -> str:
    return (f'<g class="app-chart__interval" stroke="{SECONDARY}" stroke-width="3">'
            f'<line x1="{x0:g}" y1="{y:g}" x2="{x1:g}" y2="{y:g}"/>'
            f'<line x1="{x0:g}" y1="{y - 7:g}" x2="{x0:g}" y2="{y + 7:g}"/>'
            f'<line x1="{x1:g}" y1="{y - 7:g}" x2="{x1:g}" y2="{y + 7:g}"/></g>')


def _mean_marker(x: float, y: float, css_class: str = "app-chart__mean") -> str:
    return (f'<circle class="{css_class}" cx="{x:g}" cy="{y:g}" r="7" fill="{TEXT}" '
            f'stroke="{WHITE}" stroke-width="2"/>')


def _desired_marker(x: float, y: float, css_class: str = "app-chart__desired") -> str:
    size = 7
    points = f"{x:g},{y - size:g} {x + size:g},{y:g} {x:g},{y + size:g} {x - size:g},{y:g}"
    return (f'<polygon class="{css_class}" data-x="{x:g}" points="{points}" fill="{WHITE}" '
            f'stroke="{DESIRED}" stroke-width="3"/>')


def _describe(mean: float | None, ci: tuple[float, float] | None, desired: float | None,
              bands: Sequence[BandLike]) -> str:
    if mean is None:
        return "not shown"
    text = f"mean {one_decimal(mean)} ({_band_of(mean, bands)})"
    if ci is not None:
        text += f", 95% interval {one_decimal(ci[0])} to {one_decimal(ci[1])}"
    if desired is not None:
        text += f", desired {one_decimal(desired)}"
    return text


def _band_of(score: float, bands: Sequence[BandLike]) -> str:
    for band in bands:
        if band.below is None or score < band.below:
            return band.label
    return bands[-1].label


def _scale_sentence(poles: Sequence[str]) -> str:
    return f"Scale from 0 ({poles[0]}) to 100 ({poles[1]})."


def _legend(y: float, left: float, with_desired: bool, with_interval: bool = True) -> list[str]:
    parts = [_mean_marker(left + 7, y - 4, KEY), _text(left + 20, y, "Current mean")]
    x = left + 130
    if with_interval:
        parts += [_interval_px(x, x + 26, y - 4), _text(x + 34, y, "95% interval")]
        x += 140
    if with_desired:
        parts += [_desired_marker(x + 7, y - 4, KEY), _text(x + 20, y, "Desired position")]
    return parts


# (a) Position line ---------------------------------------------------------------------------------


def position_line(
    title: str,
    mean: float | None,
    ci: tuple[float, float] | None = None,
    desired: float | None = None,
    bands: Sequence[BandLike] = DEFAULT_BANDS,
    poles: Sequence[str] = DEFAULT_POLES,
    chart_id: str | None = None,
) -> Markup:
    """A horizontal line from NPM (0) to relational (100), bands shaded, the mean as a dot, its
    95% interval as a bar and the desired position as a diamond when there is one."""
    chart_id = chart_id or _chart_id("position", title, mean, ci, desired)
    axis_y, top, height = 50.0, 28.0, 44.0
    body = _band_labels(bands, 18, LINE_LEFT, LINE_RIGHT) + _bands_rects(bands, top, height, LINE_LEFT, LINE_RIGHT)
    body.append(f'<line x1="{LINE_LEFT:g}" y1="{axis_y:g}" x2="{LINE_RIGHT:g}" y2="{axis_y:g}" '
                f'stroke="{SECONDARY}" stroke-width="1"/>')
    for tick in (0, 25, 50, 75, 100):
        x = x_for(tick)
        body.append(f'<line x1="{x:g}" y1="{top + height:g}" x2="{x:g}" y2="{top + height + 5:g}" '
                    f'stroke="{SECONDARY}" stroke-width="1"/>')
        body.append(_text(x, top + height + 18, str(tick), size=12, anchor="middle"))
    body.append(_text(LINE_LEFT - 8, top + height + 36, poles[0], size=13, anchor="start"))
    body.append(_text(LINE_RIGHT + 8, top + height + 36, poles[1], size=13, anchor="end"))
    if mean is not None:
        if ci is not None:
            body.append(_interval(ci[0], ci[1], axis_y, LINE_LEFT, LINE_RIGHT))
        body.append(_mean_marker(x_for(mean), axis_y))
    else:
        body.append(_text(WIDTH / 2, axis_y + 5, "Not shown", size=14, anchor="middle", weight="bold"))
    if desired is not None and mean is not None:
        body.append(_desired_marker(x_for(desired), axis_y))
    body += _legend(top + height + 62, LINE_LEFT - 8, desired is not None and mean is not None, ci is not None)
    desc = f"{title}: {_describe(mean, ci, desired, bands)}. {_scale_sentence(poles)}"
    return _svg(chart_id, top + height + 74, title, desc, body)


# (b) Dimension profile -----------------------------------------------------------------------------


def dimension_profile(
    title: str,
    rows: Sequence[ProfileRow],
    bands: Sequence[BandLike] = DEFAULT_BANDS,
    poles: Sequence[str] = DEFAULT_POLES,
    chart_id: str | None = None,
) -> Markup:
    """One row per dimension, each with the same line as ``position_line``."""
    chart_id = chart_id or _chart_id("profile", title, tuple(rows))
    left, right, row_height, top = PROFILE_LABEL_WIDTH + 12, LINE_RIGHT, 40.0, 30.0
    height = top + row_height * len(rows)
    with_desired = any(row.desired is not None and row.mean is not None for row in rows)
    body = _band_labels(bands, 18, left, right) + _bands_rects(bands, top, row_height * len(rows), left, right)
    for index, row in enumerate(rows):
        y = top + row_height * index + row_height / 2
        body += _wrapped_label(row.label, 0, y, PROFILE_LABEL_WIDTH)
        body.append(f'<line x1="{left:g}" y1="{y:g}" x2="{right:g}" y2="{y:g}" stroke="{SECONDARY}" '
                    'stroke-width="1"/>')
        if row.mean is None:
            body.append(_text((left + right) / 2, y + 5, "Not shown", size=13, anchor="middle", weight="bold"))
            continue
        if row.ci is not None:
            body.append(_interval(row.ci[0], row.ci[1], y, left, right))
        body.append(_mean_marker(x_for(row.mean, left, right), y))
        if row.desired is not None:
            body.append(_desired_marker(x_for(row.desired, left, right), y))
    for tick in (0, 50, 100):
        x = x_for(tick, left, right)
        body.append(_text(x, height + 16, str(tick), size=12, anchor="middle"))
    body.append(_text(left - 4, height + 34, poles[0], size=13, anchor="start"))
    body.append(_text(right + 8, height + 34, poles[1], size=13, anchor="end"))
    body += _legend(height + 60, 0, with_desired)
    lines = "; ".join(f"{row.label}: {_describe(row.mean, row.ci, row.desired, bands)}" for row in rows)
    desc = f"{lines}. {_scale_sentence(poles)}"
    return _svg(chart_id, height + 72, title, desc, body)


def _wrapped_label(label: str, x: float, y: float, width: float) -> list[str]:
    """A row label in at most two lines of about ``width`` (long labels are cut with an ellipsis)."""
    per_line = int(width / 7)
    words, lines, line = label.split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if len(candidate) <= per_line or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
    lines.append(line)
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
    lines = [text if len(text) <= per_line else text[: per_line - 1] + "…" for text in lines]
    first_y = y + 5 - 8 * (len(lines) - 1)
    return [_text(x, first_y + 16 * index, text, size=13) for index, text in enumerate(lines)]


# (c) Trend ---------------------------------------------------------------------------------------


def trend(
    title: str,
    points: Sequence[TrendPoint],
    bands: Sequence[BandLike] = DEFAULT_BANDS,
    poles: Sequence[str] = DEFAULT_POLES,
    chart_id: str | None = None,
) -> Markup:
    """Rounds along x, the score (0..100) up y: one line with interval whiskers; a round whose
    change from the round before is real (its interval excludes 0) is ringed."""
    chart_id = chart_id or _chart_id("trend", title, tuple(points))
    left, right, top, bottom = 64.0, WIDTH - 24.0, 16.0, 236.0

    def y_for(value: float) -> float:
        return round(bottom - (bottom - top) * min(max(value, 0.0), 100.0) / 100.0, 2)

    body = []
    for index, (label, start, end) in enumerate(_band_edges(bands)):
        y0, y1 = y_for(end), y_for(start)
        body.append(f'<rect class="app-chart__band" x="{left:g}" y="{y0:g}" width="{right - left:g}" '
                    f'height="{y1 - y0:g}" fill="{BAND_FILLS[index % len(BAND_FILLS)]}"/>')
        body.append(_text(right - 6, y0 + 14, label, size=12, anchor="end"))
    for tick in (0, 25, 50, 75, 100):
        y = y_for(tick)
        body.append(f'<line x1="{left - 5:g}" y1="{y:g}" x2="{left:g}" y2="{y:g}" stroke="{SECONDARY}"/>')
        body.append(_text(left - 8, y + 4, str(tick), size=12, anchor="end"))
    body.append(f'<line x1="{left:g}" y1="{top:g}" x2="{left:g}" y2="{bottom:g}" stroke="{SECONDARY}"/>')
    step = (right - left) / max(len(points), 1)
    xs = [round(left + step * (index + 0.5), 2) for index in range(len(points))]
    body += _trend_lines(points, xs, y_for)
    for x, point in zip(xs, points, strict=True):
        body += _wrapped_round_label(point.label, x, bottom + 18, step)
        if point.mean is None:
            body.append(_text(x, (top + bottom) / 2, "Not shown", size=12, anchor="middle", weight="bold"))
            continue
        if point.ci is not None:
            y0, y1 = y_for(point.ci[1]), y_for(point.ci[0])
            body.append(f'<g class="app-chart__interval" stroke="{SECONDARY}" stroke-width="2">'
                        f'<line x1="{x:g}" y1="{y0:g}" x2="{x:g}" y2="{y1:g}"/>'
                        f'<line x1="{x - 6:g}" y1="{y0:g}" x2="{x + 6:g}" y2="{y0:g}"/>'
                        f'<line x1="{x - 6:g}" y1="{y1:g}" x2="{x + 6:g}" y2="{y1:g}"/></g>')
        if point.real_change:
            body.append(f'<circle class="app-chart__real-change" cx="{x:g}" cy="{y_for(point.mean):g}" r="12" '
                        f'fill="none" stroke="{DESIRED}" stroke-width="3"/>')
        body.append(_mean_marker(x, y_for(point.mean)))
    legend_y = bottom + 56
    body += [_mean_marker(left + 7, legend_y - 4, KEY), _text(left + 20, legend_y, "Mean"),
             f'<line x1="{left + 80:g}" y1="{legend_y - 12:g}" x2="{left + 80:g}" y2="{legend_y + 4:g}" '
             f'stroke="{SECONDARY}" stroke-width="2"/>', _text(left + 90, legend_y, "95% interval"),
             f'<circle cx="{left + 212:g}" cy="{legend_y - 4:g}" r="9" fill="none" stroke="{DESIRED}" '
             'stroke-width="3"/>', _text(left + 228, legend_y, "Real change since the round before")]
    desc = f"{title}. " + "; ".join(_describe_point(point, bands) for point in points) + f". {_scale_sentence(poles)}"
    return _svg(chart_id, legend_y + 12, title, desc, body)


def _trend_lines(points: Sequence[TrendPoint], xs: Sequence[float], y_for) -> list[str]:  # type: ignore[no-untyped-def]
    """Line segments between consecutive shown rounds (a hidden round breaks the line)."""
    parts = []
    for index in range(1, len(points)):
        before, after = points[index - 1], points[index]
        if before.mean is None or after.mean is None:
            continue
        parts.append(f'<line class="app-chart__trend" x1="{xs[index - 1]:g}" y1="{y_for(before.mean):g}" '
                     f'x2="{xs[index]:g}" y2="{y_for(after.mean):g}" stroke="{TEXT}" stroke-width="2"/>')
    return parts


def _wrapped_round_label(label: str, x: float, y: float, width: float) -> list[str]:
    per_line = max(int(width / 7), 6)
    if len(label) <= per_line:
        return [_text(x, y, label, size=12, anchor="middle")]
    cut = label.rfind(" ", 0, per_line + 1)
    first, rest = (label[:cut], label[cut + 1:]) if cut > 0 else (label[:per_line], label[per_line:])
    rest = rest if len(rest) <= per_line else rest[: per_line - 1] + "…"
    return [_text(x, y, first, size=12, anchor="middle"), _text(x, y + 15, rest, size=12, anchor="middle")]


def _describe_point(point: TrendPoint, bands: Sequence[BandLike]) -> str:
    text = f"{point.label}: {_describe(point.mean, point.ci, None, bands)}"
    if point.mean is not None and point.real_change:
        text += ", a real change since the round before"
    return text
