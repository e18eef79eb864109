"""Workspace view: an organisation's audit log, for its consultants (``survey.services.audit``).

Viewers (organisation leads) get 404, as on every page that is for consultants only.
"""

from __future__ import annotations

from datetime import datetime
from math import ceil
from typing import Any

from flask import abort, render_template, request, url_for

from survey import UK_TIME
from survey.services import audit
from survey.services.structure import MAX_ID
from survey.workspace import bp, organisation_or_404, require_consultant

PER_PAGE = 50


@bp.app_template_filter("uk_time")
def uk_time(value: datetime) -> str:
    """A moment as GOV.UK writes it, in UK time: 5 January 2027 at 2:05pm."""
    local = value.astimezone(UK_TIME)
    hour = local.hour % 12 or 12
    return f"{local.day} {local:%B %Y} at {hour}:{local.minute:02d}{'am' if local.hour < 12 else 'pm'}"


def pagination(organisation_id: int, page: int, pages: int) -> dict[str, Any]:
    """GOV.UK pagination: the first, last and neighbouring pages, with ellipses between."""

    def href(number: int) -> str:
        return url_for("workspace.audit_log", organisation_id=organisation_id, page=number)

    items: list[dict[str, Any]] = []
    for number in range(1, pages + 1):
        if number in (1, pages) or abs(number - page) <= 1:
            items.append({"number": number, "href": href(number), "current": number == page})
        elif items[-1].get("ellipsis") is not True:
            items.append({"ellipsis": True})
    return {
        "items": items,
        "previous": {"href": href(page - 1)} if page > 1 else None,
        "next": {"href": href(page + 1)} if page < pages else None,
        "landmarkLabel": "Pages of the audit log",
    }


@bp.route("/organisations/<int:organisation_id>/audit")
def audit_log(organisation_id: int) -> str:
    organisation = organisation_or_404(organisation_id)
    require_consultant()
    page = request.args.get("page", 1, type=int)
    if page < 1 or page > MAX_ID // PER_PAGE:  # past any page a log could have: no query at all
        abort(404)
    events, total = audit.organisation_events(organisation, page, PER_PAGE)
    pages = max(ceil(total / PER_PAGE), 1)
    if page > pages:
        abort(404)
    return render_template(
        "workspace/manage/audit_log.html", organisation=organisation, events=events, total=total, page=page,
        pages=pages, pagination=pagination(organisation.id, page, pages) if pages > 1 else None,
        title=f"Audit log: {organisation.name}",
        breadcrumbs=[{"text": "Organisations", "href": url_for(".organisations")},
                     {"text": organisation.name, "href": url_for(".organisation", organisation_id=organisation.id)},
                     {"text": "Audit log"}],
    )
