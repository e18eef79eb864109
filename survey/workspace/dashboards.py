"""Workspace views: results dashboards (heatmap, department profile, trends, compare).

Thin views: they look objects up through the blueprint's access helpers, take every figure and
every suppression from ``survey.results`` (computed once per request and round), and hand plain
rows to the templates. Charts are inline SVG from ``survey.charts``; the same numbers are always
in a table beside them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, g, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from survey import charts, queries
from survey.anonymity import Group, Overlap, comments_visible, suppressed_groups
from survey.models import Department, Organisation, Round
from survey.questionnaire import Questionnaire
from survey.results import (
    ORGANISATION,
    GroupFigures,
    RoundResults,
    department_members,
    results_for_rounds,
    shared_questionnaire,
)
from survey.scoring import Change, ScoreResult, change_between, cronbach_alpha
from survey.workspace import bp, organisation_or_404, round_or_404

TOP_SUGGESTIONS = 5
HORIZONS = {"quick-win": "Quick win", "medium": "Medium term", "long-term": "Long term"}


def min_size() -> int:
    return current_app.config["SURVEY_MIN_GROUP_SIZE"]


@bp.app_template_filter("one_decimal")
def one_decimal(value: float | None) -> str:
    return "" if value is None else charts.one_decimal(value)


@bp.app_template_filter("signed")
def signed(value: float | None) -> str:
    if value is None:
        return ""
    text = charts.one_decimal(value)
    return text if text.startswith("-") or text == "0.0" else f"+{text}"


@bp.app_template_filter("interval")
def interval(ci: tuple[float, float] | None) -> str:
    return "" if ci is None else f"{charts.one_decimal(ci[0])} to {charts.one_decimal(ci[1])}"


@bp.before_request
def forget_figures() -> None:
    """Results are cached for one request only."""
    g.pop("round_results", None)


def figures_for(rounds: list[Round], questionnaire: Questionnaire | None = None) -> dict[int, RoundResults]:
    """Each round's results, computed once per request (and per questionnaire they are scored on)."""
    cache: dict[tuple[int, int | None], RoundResults] = g.setdefault("round_results", {})
    tag = None if questionnaire is None else id(questionnaire)
    missing = [r for r in rounds if (r.id, tag) not in cache]
    if missing:
        for round_id, found in results_for_rounds(missing, min_size(), questionnaire).items():
            cache[(round_id, tag)] = found
    return {r.id: cache[(r.id, tag)] for r in rounds}


def crumbs(organisation: Organisation, *more: tuple[str, str | None]) -> list[dict[str, str]]:
    items = [{"text": "Organisations", "href": url_for(".organisations")},
             {"text": organisation.name, "href": url_for(".organisation", organisation_id=organisation.id)}]
    return items + [{"text": text, "href": href} if href else {"text": text} for text, href in more]


def round_crumbs(survey_round: Round, *more: tuple[str, str | None]) -> list[dict[str, str]]:
    return crumbs(survey_round.organisation, (survey_round.name, url_for(".round", round_id=survey_round.id)),
                  *more)


def withheld_reason(group: GroupFigures) -> str:
    """Why a group shows no figures: too few responses, or hidden to protect a smaller group."""
    if group.respondents < min_size():
        return f"Fewer than {min_size()} responses"
    return "Hidden to protect a smaller group"


# Heatmap ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    title: str


def heat_cell(score: ScoreResult | None) -> dict[str, Any]:
    if score is None or score.current is None:
        return {"html": Markup('<span aria-hidden="true">–</span><span class="govuk-visually-hidden">No figure'
                               "</span>"), "format": "numeric"}
    mean = score.current.mean
    html = escape(charts.one_decimal(mean)) + Markup('<span class="govuk-visually-hidden">, {}</span>').format(
        score.band)
    if score.divided:
        html += Markup('<span aria-hidden="true">*</span><span class="govuk-visually-hidden">, views differ a lot'
                       "</span>")
    return {"html": html, "format": "numeric", "classes": f"app-heat app-heat--{charts.heat_step(mean)}"}


def heat_header(column: Column, sort: str | None, order: str) -> dict[str, Any]:
    next_order = "desc" if sort == column.key and order == "asc" else "asc"
    href = url_for(request.endpoint, **request.view_args, sort=column.key, order=next_order)  # type: ignore[arg-type]
    state = ""
    attributes = {}
    if sort == column.key:
        attributes["aria-sort"] = "ascending" if order == "asc" else "descending"
        state = " (sorted lowest first)" if order == "asc" else " (sorted highest first)"
    arrow = {"": "", " (sorted lowest first)": " ▲", " (sorted highest first)": " ▼"}[state]
    html = Markup('<a class="govuk-link app-sort-link" href="{}">{}<span aria-hidden="true">{}</span>'
                  '<span class="govuk-visually-hidden">{}, sort {}</span></a>').format(
        href, column.title, arrow, state, "lowest first" if next_order == "asc" else "highest first")
    return {"html": html, "format": "numeric", "attributes": attributes, "classes": "app-heat-header"}


def heat_rows(results: RoundResults, columns: list[Column], sort: str | None, order: str) -> list[list[dict]]:
    groups = list(results.groups)
    if sort is not None:
        shown = [group for group in groups if not group.suppressed]
        hidden = [group for group in groups if group.suppressed]
        if sort == "n":
            shown.sort(key=lambda group: group.respondents, reverse=order == "desc")
        else:
            def mean_of(group: GroupFigures) -> float:
                score = group.score(sort)
                return score.mean if score is not None and score.mean is not None else -1.0
            shown.sort(key=mean_of, reverse=order == "desc")
        groups = shown + hidden
    depth = results.depths()
    rows = [heat_row(results, results.organisation_group, columns, 0, None)]
    rows += [heat_row(results, group, columns, 0 if sort else depth[group.key], sort) for group in groups]
    return rows


def heat_row(results: RoundResults, group: GroupFigures, columns: list[Column], depth: int,
             sort: str | None) -> list[dict[str, Any]]:
    if group.key == ORGANISATION:
        name = Markup("<strong>{}</strong>").format(group.name)
    else:
        href = url_for(".department_profile", round_id=results.round_id, department_id=group.key)
        name = Markup('<a class="govuk-link" href="{}">{}</a>').format(href, group.name)
        if sort and group.parent:
            name += Markup('<span class="app-heat__parent">in {}</span>').format(group.parent)
    first = {"html": name, "classes": f"app-heat__name app-indent-{min(depth, 4)}"}
    if group.suppressed:
        return [first, {"text": withheld_reason(group), "colspan": len(columns) + 1, "classes": "app-heat__withheld"}]
    return [first, {"text": str(group.respondents), "format": "numeric"},
            *(heat_cell(group.score(column.key)) for column in columns)]


def sort_arguments(columns: list[Column]) -> tuple[str | None, str]:
    sort = request.args.get("sort")
    order = request.args.get("order", "asc")
    if sort not in {"n", *(column.key for column in columns)}:
        sort = None
    return sort, "desc" if order == "desc" else "asc"


@bp.route("/rounds/<int:round_id>/results")
def round_results(round_id: int) -> str:
    survey_round = round_or_404(round_id)
    results = figures_for([survey_round])[round_id]
    questionnaire = results.questionnaire
    columns = [Column("overall", "Overall")] + [Column(d.id, d.title) for d in questionnaire.dimensions]
    sort, order = sort_arguments(columns)
    tree_order = url_for(".round_results", round_id=round_id)
    head = [{"html": Markup('<a class="govuk-link" href="{}">Department<span class="govuk-visually-hidden">, '
                            "sort in the order of the organisation</span></a>").format(tree_order)},
            heat_header(Column("n", "Responses"), sort, order),
            *(heat_header(column, sort, order) for column in columns)]
    started = sum(started for started, _ in queries.response_counts(round_id).values())
    return render_template(
        "workspace/dashboards/heatmap.html", title=f"{survey_round.name}: results", round=survey_round,
        results=results, head=head, rows=heat_rows(results, columns, sort, order), sort=sort, order=order,
        started=started, heat_colours=charts.HEAT_COLOURS, can_export_raw=current_user.can_export_raw,
        breadcrumbs=round_crumbs(survey_round, ("Results", None)),
    )


# Department profile ------------------------------------------------------------------------------


def profile_chart_rows(results: RoundResults, group: GroupFigures) -> list[charts.ProfileRow]:
    assert group.result is not None
    return [
        charts.ProfileRow(d.title, score.mean, score.current.ci if score.current else None,
                          score.desired.mean if score.desired else None)
        for d in results.questionnaire.dimensions
        if (score := group.result.dimensions[d.id]) is not None
    ]


def reliability(survey_round: Round, results: RoundResults, group: GroupFigures) -> dict[str, float | None]:
    members = department_members(survey_round.organisation.departments)[int(group.key)]
    answers = queries.item_answers(survey_round.id, members)
    return {d.id: cronbach_alpha(results.questionnaire, d.id, answers) for d in results.questionnaire.dimensions}


def grouped_comments(survey_round: Round, results: RoundResults, group: GroupFigures) -> list[tuple[str, list[str]]]:
    members = department_members(survey_round.organisation.departments)[int(group.key)]
    by_dimension: dict[str, list[str]] = {}
    for dimension_id, text in queries.comments(survey_round.id, members):
        by_dimension.setdefault(dimension_id, []).append(text)
    return [(d.title, by_dimension[d.id]) for d in results.questionnaire.dimensions if d.id in by_dimension]


@bp.route("/rounds/<int:round_id>/departments/<int:department_id>")
def department_profile(round_id: int, department_id: int) -> str:
    survey_round = round_or_404(round_id)
    results = figures_for([survey_round])[round_id]
    group = next((group for group in results.groups if group.key == department_id), None)
    if group is None:  # not a department of this round's organisation
        abort(404)
    questionnaire = results.questionnaire
    context: dict[str, Any] = {}
    if not group.suppressed and group.result is not None:
        overall = group.result.overall
        context = {
            "position_chart": charts.position_line(
                f"{group.name}: overall position", overall.mean, overall.current.ci if overall.current else None,
                overall.desired.mean if overall.desired else None, questionnaire.bands,
                (questionnaire.poles.npm, questionnaire.poles.relational), chart_id="overall-position"),
            "profile_chart": charts.dimension_profile(
                f"{group.name}: position on each dimension", profile_chart_rows(results, group),
                questionnaire.bands, (questionnaire.poles.npm, questionnaire.poles.relational),
                chart_id="dimension-profile"),
            "alpha": reliability(survey_round, results, group),
            "suggestions": group.suggestions[:TOP_SUGGESTIONS],
            "comments": (grouped_comments(survey_round, results, group)
                         if comments_visible(group.respondents, min_size()) else None),
        }
    return render_template(
        "workspace/dashboards/profile.html", title=f"{group.name}: {survey_round.name}", round=survey_round,
        results=results, group=group, questionnaire=questionnaire, withheld=withheld_reason(group),
        horizons=HORIZONS, breadcrumbs=round_crumbs(
            survey_round, ("Results", url_for(".round_results", round_id=round_id)), (group.name, None)),
        **context,
    )


# Trends ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendRow:
    """One round of one series: the figure (None when not shown) and the change since the round before."""

    round: Round
    respondents: int | None
    score: ScoreResult | None
    withheld: str | None
    change: Change | None


def comparable_rounds(organisation: Organisation) -> list[Round]:
    """The organisation's rounds on the questionnaire of its latest round, oldest first."""
    rounds = list(organisation.rounds)
    if not rounds:
        return []
    key = rounds[-1].questionnaire_version.key
    return [r for r in rounds if r.questionnaire_version.key == key]


def group_in(results: RoundResults, department_id: int | None) -> GroupFigures | None:
    if department_id is None:
        return results.organisation_group
    return next((group for group in results.groups if group.key == department_id), None)


def trend_rows(rounds: list[Round], figures: dict[int, RoundResults], department_id: int | None,
               key: str) -> list[TrendRow]:
    rows: list[TrendRow] = []
    for survey_round in rounds:
        group = group_in(figures[survey_round.id], department_id)
        score = group.score(key) if group is not None else None
        before = rows[-1].score if rows else None
        change = None
        if score is not None and score.current is not None and before is not None:
            change = change_between(before.current, score.current)
        rows.append(TrendRow(
            survey_round, group.respondents if group is not None and not group.suppressed else None, score,
            None if score is not None else (withheld_reason(group) if group is not None else "No responses"),
            change,
        ))
    return rows


@bp.route("/organisations/<int:organisation_id>/trends")
def trends(organisation_id: int) -> str:
    organisation = organisation_or_404(organisation_id)
    rounds = comparable_rounds(organisation)
    departments = {d.id: d for d in organisation.departments}
    department_id = request.args.get("department", "")
    department: Department | None = None
    if department_id not in ("", "all"):
        department = departments.get(int(department_id)) if department_id.isdecimal() else None
        if department is None:
            abort(404)
    context: dict[str, Any] = {}
    if rounds:
        questionnaire, figures = comparable_figures(rounds)
        key = request.args.get("dimension") or "overall"
        if key != "overall" and key not in {d.id for d in questionnaire.dimensions}:
            abort(404)
        series = {k: trend_rows(rounds, figures, department.id if department else None, k)
                  for k in ["overall", *(d.id for d in questionnaire.dimensions)]}
        name = department.name if department else "All departments"
        title = "Overall" if key == "overall" else questionnaire.dimension(key).title
        context = {
            "questionnaire": questionnaire, "key": key, "series": series, "series_title": title,
            "chart": charts.trend(
                f"{name}: {'overall position' if key == 'overall' else title} across rounds",
                [charts.TrendPoint(row.round.name, row.score.mean if row.score else None,
                                   row.score.current.ci if row.score and row.score.current else None,
                                   bool(row.change and row.change.real)) for row in series[key]],
                questionnaire.bands, (questionnaire.poles.npm, questionnaire.poles.relational), chart_id="trend"),
            "department_options": tree_options(organisation),
            "versions_differ": len({r.questionnaire_version_id for r in rounds}) > 1,
            "other_rounds": [r for r in organisation.rounds if r not in rounds],
        }
    return render_template(
        "workspace/dashboards/trends.html", title=f"Trends across rounds: {organisation.name}",
        organisation=organisation, rounds=rounds, department=department,
        breadcrumbs=crumbs(organisation, ("Trends", None)), **context,
    )


# Compare -----------------------------------------------------------------------------------------

SPEC = re.compile(r"^(\d+):(all|\d+)$")


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a round and a department (None: all departments)."""

    round: Round
    department: Department | None

    @property
    def spec(self) -> str:
        return f"{self.round.id}:{self.department.id if self.department else 'all'}"

    @property
    def label(self) -> str:
        return f"{self.department.name if self.department else 'All departments'}, {self.round.name}"


def parse_side(organisation: Organisation, spec: str | None) -> Side | None:
    """A ``round_id:department_id`` or ``round_id:all`` spec; 404 for another organisation's objects."""
    if not spec:
        return None
    match = SPEC.match(spec)
    if match is None:
        abort(404)
    survey_round = next((r for r in organisation.rounds if r.id == int(match.group(1))), None)
    department = None
    if match.group(2) != "all":
        department = next((d for d in organisation.departments if d.id == int(match.group(2))), None)
        if department is None:
            abort(404)
    if survey_round is None:
        abort(404)
    return Side(survey_round, department)


def relation(a: Side, b: Side) -> str:
    """How two sides' respondents relate: "apart" (different rounds or teams), "same" or "nested"."""
    if a.round.id != b.round.id:
        return "apart"
    if a.department == b.department:
        return "same"
    members = department_members(a.round.organisation.departments)

    def holds(outer: Side, inner: Side) -> bool:
        return outer.department is None or (inner.department is not None
                                            and inner.department.id in members[outer.department.id])

    return "nested" if holds(a, b) or holds(b, a) else "apart"


def overlap_withheld(kind: str, group_a: GroupFigures, group_b: GroupFigures) -> bool:
    """DESIGN.md section 4 for two groups side by side: when one holds the other, the people in one
    and not the other must number 0 or at least the minimum group size."""
    if kind != "nested":
        return False
    only_a = max(group_a.respondents - group_b.respondents, 0)
    only_b = max(group_b.respondents - group_a.respondents, 0)
    groups = [Group("a", group_a.respondents), Group("b", group_b.respondents)]
    return bool(suppressed_groups(groups, min_size(), [Overlap("a", "b", only_a, only_b)]))


def compare_rows(questionnaire: Questionnaire, group_a: GroupFigures, group_b: GroupFigures) -> list[dict]:
    rows = []
    for key, title in [("overall", "Overall"), *((d.id, d.title) for d in questionnaire.dimensions)]:
        score_a, score_b = group_a.score(key), group_b.score(key)
        current_a = score_a.current if score_a else None
        current_b = score_b.current if score_b else None
        rows.append({"title": title, "a": current_a, "b": current_b, "change": change_between(current_a, current_b)})
    return rows


def tree_options(organisation: Organisation) -> list[tuple[int, str]]:
    """The organisation's departments in tree order, each name indented by its depth."""
    departments = sorted(organisation.departments, key=lambda d: d.name)
    by_id = {d.id: d for d in departments}
    children: dict[int | None, list[Department]] = {}
    for department in departments:
        children.setdefault(department.parent_id if department.parent_id in by_id else None, []).append(department)

    def walk(parent: int | None, depth: int) -> list[tuple[int, str]]:
        indent = "\u2003" * depth
        return [x for d in children.get(parent, []) for x in ((d.id, indent + d.name), *walk(d.id, depth + 1))]

    return walk(None, 0)


def side_options(organisation: Organisation) -> list[tuple[str, str]]:
    departments = tree_options(organisation)
    options = []
    for survey_round in reversed(organisation.rounds):
        options.append((f"{survey_round.id}:all", f"{survey_round.name}: All departments"))
        options += [(f"{survey_round.id}:{d}", f"{survey_round.name}: {name.strip()}") for d, name in departments]
    return options


@bp.route("/organisations/<int:organisation_id>/compare")
def compare(organisation_id: int) -> str:
    organisation = organisation_or_404(organisation_id)
    a = parse_side(organisation, request.args.get("a"))
    b = parse_side(organisation, request.args.get("b"))
    context: dict[str, Any] = {}
    if a is not None and b is not None:
        context = comparison(a, b)
    return render_template(
        "workspace/dashboards/compare.html", title=f"Compare two groups: {organisation.name}",
        organisation=organisation, a=a, b=b, options=side_options(organisation),
        breadcrumbs=crumbs(organisation, ("Compare", None)),
        **context,
    )


def comparable_figures(rounds: list[Round]) -> tuple[Questionnaire, dict[int, RoundResults]]:
    """Rounds on one questionnaire, scored on the items their versions share."""
    questionnaire = shared_questionnaire([r.questionnaire for r in rounds])
    same_version = len({r.questionnaire_version_id for r in rounds}) == 1
    return questionnaire, figures_for(rounds, None if same_version else questionnaire)


def comparison(a: Side, b: Side) -> dict[str, Any]:
    if a.round.questionnaire_version.key != b.round.questionnaire_version.key:
        return {"problem": "These rounds used different questionnaires, so their figures cannot be compared."}
    questionnaire, figures = comparable_figures([a.round] if a.round.id == b.round.id else [a.round, b.round])
    group_a = group_in(figures[a.round.id], a.department.id if a.department else None)
    group_b = group_in(figures[b.round.id], b.department.id if b.department else None)
    assert group_a is not None and group_b is not None
    context: dict[str, Any] = {"group_a": group_a, "group_b": group_b}
    hidden = [(side, group) for side, group in ((a, group_a), (b, group_b)) if group.suppressed]
    kind = relation(a, b)
    if hidden:
        context["withheld"] = [(side.label, withheld_reason(group)) for side, group in hidden]
    elif overlap_withheld(kind, group_a, group_b):
        context["overlap"] = True
    else:
        context.update(rows=compare_rows(questionnaire, group_a, group_b), relation=kind)
    return context
