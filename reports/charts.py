"""Charts that only the reports draw, as inline SVG in the style of ``survey.charts``.

Pure functions, plain numbers in, ``Markup`` out: an answer-distribution chart (one stacked bar
per item) and the organisation heatmap as a figure. Every chart is an image with a text
alternative (``role="img"``, ``<title>`` and ``<desc>``); the report prints the same numbers in a
table next to it. Colour never carries meaning alone: segments run in scale order and carry their
share as text, heatmap cells carry their score.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from reports.branding import contrast_ratio
from survey.charts import FONT, HEAT_COLOURS, SECONDARY, TEXT, WHITE, heat_step, one_decimal

WIDTH = 640
# Scale points from fully NPM to fully relational: orange through grey to blue (colour-blind safe).
POINT_COLOURS = {
    3: ("#b35806", "#d9d9d9", "#2166ac"),
    5: ("#b35806", "#f1a340", "#d9d9d9", "#67a9cf", "#2166ac"),
    7: ("#b35806", "#e08214", "#fdb863", "#d9d9d9", "#92c5de", "#4393c3", "#2166ac"),
}
DONT_KNOW = "#ffffff"
NOT_SHOWN = "#f3f2f1"


@dataclass(frozen=True)
class DistributionRow:
    """One item's answers: ``counts[i]`` answered scale point ``i + 1`` (paradigm orientation)."""

    label: str
    counts: tuple[int, ...]
    dont_know: int


@dataclass(frozen=True)
class HeatmapRow:
    """One group of the heatmap; ``values`` is None (and ``note`` says why) when not shown."""

    label: str
    values: tuple[float | None, ...] | None
    divided: tuple[bool, ...] = ()
    depth: int = 0
    note: str = ""
    strong: bool = False


def point_colours(points: int) -> tuple[str, ...]:
    """A colour per scale point, NPM end first."""
    if points in POINT_COLOURS:
        return POINT_COLOURS[points]
    seven = POINT_COLOURS[7]
    return tuple(seven[round(index * 6 / (points - 1))] for index in range(points))


def text_colour_on(fill: str) -> str:
    """Black or white, whichever reads better on ``fill``."""
    return TEXT if contrast_ratio(fill, TEXT) >= contrast_ratio(fill, WHITE) else WHITE


def percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "0%"


# Answer distributions ------------------------------------------------------------------------------


def distribution_chart(
    title: str,
    rows: Sequence[DistributionRow],
    points: int,
    poles: Sequence[str] = ("New Public Management", "Relational"),
    chart_id: str | None = None,
) -> Markup:
    """One 100% bar per item, split by scale point from fully NPM (left) to fully relational
    (right), "don't know" last; each segment wide enough carries its share."""
    chart_id = chart_id or _chart_id("distribution", title, tuple(rows))
    colours = point_colours(points)
    left, right, bar, gap, top = 44.0, float(WIDTH), 21.0, 6.0, 2.0
    body: list[str] = []
    for index, row in enumerate(rows):
        y = top + index * (bar + gap)
        body.append(_text(0, y + bar / 2 + 5, row.label, size=14, weight="bold"))
        total = sum(row.counts) + row.dont_know
        if total == 0:
            body.append(_rect(left, y, right - left, bar, NOT_SHOWN))
            body.append(_text((left + right) / 2, y + bar / 2 + 5, "No answers", size=12, anchor="middle"))
            continue
        x = left
        segments = [(count, colours[point], str(point + 1)) for point, count in enumerate(row.counts)]
        segments.append((row.dont_know, DONT_KNOW, "?"))
        for count, fill, _ in segments:
            if count == 0:
                continue
            width = (right - left) * count / total
            body.append(_rect(x, y, width, bar, fill, stroke=SECONDARY if fill == DONT_KNOW else WHITE))
            if width >= 30:
                body.append(_text(x + width / 2, y + bar / 2 + 5, percent(count, total), size=12, anchor="middle",
                                  fill=text_colour_on(fill)))
            x += width
    legend_y = top + len(rows) * (bar + gap) + 6
    body += _distribution_legend(legend_y, left, right, colours, poles)
    desc = "; ".join(_describe_distribution(row) for row in rows)
    desc += f". Scale points 1 (fully the {poles[0]} statement) to {points} (fully the {poles[1]} statement)."
    return _svg(chart_id, legend_y + 26, title, desc, body)


def _distribution_legend(y: float, left: float, right: float, colours: Sequence[str],
                         poles: Sequence[str]) -> list[str]:
    size, step = 22.0, 27.0
    parts = []
    x = left
    for index, fill in enumerate((*colours, DONT_KNOW)):
        label = str(index + 1) if index < len(colours) else "?"
        parts.append(_rect(x, y, size, size, fill, stroke=SECONDARY))
        parts.append(_text(x + size / 2, y + size / 2 + 5, label, size=12, anchor="middle", weight="bold",
                           fill=text_colour_on(fill)))
        x += step
    parts.append(_text(x + 6, y + 9, f"1 = fully {poles[0]}, {len(colours)} = fully {poles[1]}", size=12))
    parts.append(_text(x + 6, y + 24, "? = don't know", size=12))
    return parts


def _describe_distribution(row: DistributionRow) -> str:
    total = sum(row.counts) + row.dont_know
    if total == 0:
        return f"{row.label}: no answers"
    shares = ", ".join(f"{point + 1}: {percent(count, total)}" for point, count in enumerate(row.counts))
    return f"{row.label}: {shares}, don't know: {percent(row.dont_know, total)}"


# Heatmap -------------------------------------------------------------------------------------------


def heatmap(title: str, columns: Sequence[str], rows: Sequence[HeatmapRow], chart_id: str | None = None) -> Markup:
    """Groups down, figures across (the first column is usually "Overall"): each cell shaded by
    its score from NPM (orange) to relational (blue) and carrying the score; a row not shown
    carries its reason instead."""
    chart_id = chart_id or _chart_id("heatmap", title, tuple(columns), tuple(rows))
    label_width, row_height = 176.0, 26.0
    cell = (WIDTH - label_width) / max(len(columns), 1)
    header_lines = [_wrap(column, max(int(cell / 5.6), 6)) for column in columns]
    header = 14.0 * max(len(lines) for lines in header_lines) + 8
    body: list[str] = []
    for index, lines in enumerate(header_lines):
        x = label_width + cell * (index + 0.5)
        first = header - 8 - 14 * (len(lines) - 1)
        body += [_text(x, first + 14 * n, line, size=10, anchor="middle") for n, line in enumerate(lines)]
    for index, row in enumerate(rows):
        y = header + 4 + index * row_height
        indent = 12.0 * min(row.depth, 3)
        label = row.label if len(row.label) * 6.6 + indent <= label_width - 6 else row.label[: int(
            (label_width - 6 - indent) / 6.6) - 1] + "…"
        body.append(_text(indent, y + row_height / 2 + 4, label, size=12, weight="bold" if row.strong else "normal"))
        if row.values is None:
            body.append(_rect(label_width, y + 1, WIDTH - label_width, row_height - 2, NOT_SHOWN))
            body.append(_text(label_width + 8, y + row_height / 2 + 4, row.note or "Not shown", size=11,
                              fill=SECONDARY))
            continue
        for column, value in enumerate(row.values):
            x = label_width + cell * column
            if value is None:
                body.append(_rect(x + 1, y + 1, cell - 2, row_height - 2, NOT_SHOWN))
                body.append(_text(x + cell / 2, y + row_height / 2 + 4, "–", size=12, anchor="middle"))
                continue
            marker = "*" if column < len(row.divided) and row.divided[column] else ""
            body.append(_rect(x + 1, y + 1, cell - 2, row_height - 2, HEAT_COLOURS[heat_step(value)]))
            body.append(_text(x + cell / 2, y + row_height / 2 + 4, one_decimal(value) + marker, size=12,
                              anchor="middle", weight="bold" if row.strong else "normal"))
    legend_y = header + 4 + len(rows) * row_height + 14
    body += _heat_legend(legend_y, label_width)
    desc = "; ".join(_describe_heat_row(row, columns) for row in rows)
    return _svg(chart_id, legend_y + 40, title, desc + ". Scores from 0 (NPM) to 100 (relational).", body)


def _heat_legend(y: float, left: float) -> list[str]:
    step = (WIDTH - left) / len(HEAT_COLOURS)
    parts = [_text(0, y + 14, "0 = fully NPM", size=11), _text(0, y + 30, "100 = fully relational", size=11)]
    for index, fill in enumerate(HEAT_COLOURS):
        x = left + step * index
        parts.append(_rect(x, y, step, 16, fill))
        parts.append(_text(x + step / 2, y + 12, f"{index * 10}–{index * 10 + 10}", size=10, anchor="middle"))
    parts.append(_text(left, y + 32, "* views differ a lot (standard deviation above 25)", size=11))
    return parts


def _describe_heat_row(row: HeatmapRow, columns: Sequence[str]) -> str:
    if row.values is None:
        return f"{row.label}: {row.note or 'not shown'}"
    cells = ", ".join(f"{column} {one_decimal(value) if value is not None else 'no figure'}"
                      for column, value in zip(columns, row.values, strict=True))
    return f"{row.label}: {cells}"


# Helpers -------------------------------------------------------------------------------------------


def _wrap(text: str, per_line: int, max_lines: int = 3) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= per_line:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [" ".join(lines[max_lines - 1 :])]
    return [line if len(line) <= per_line + 2 else line[: per_line + 1] + "…" for line in lines]


def _chart_id(prefix: str, *parts: object) -> str:
    digest = hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{prefix}-{digest}"


def _svg(chart_id: str, height: float, title: str, desc: str, body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" viewBox="0 0 {WIDTH} {height:g}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false" {FONT}>'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 - every text part is escaped


def _text(x: float, y: float, text: str, size: int = 13, anchor: str = "start", weight: str = "normal",
          fill: str = TEXT) -> str:
    bold = ' font-weight="bold"' if weight == "bold" else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{bold}>'
            f"{escape(text)}</text>")


def _rect(x: float, y: float, width: float, height: float, fill: str, stroke: str | None = None) -> str:
    edge = f' stroke="{stroke}" stroke-width="1"' if stroke else ""
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" fill="{fill}"{edge}/>'
