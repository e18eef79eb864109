"""The consultants' and organisation leads' workspace: ``/manage/...``, behind sign-in.

The access rule sits here, once: every view is for a signed-in account, and every object is
looked up through ``organisation_or_404`` and friends, so another organisation's objects answer
404 whatever id is guessed. Viewers (organisation leads) may read but not change anything.
"""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user, login_required

from survey.extensions import db
from survey.models import Department, Organisation, Role, Round
from survey.services.structure import MAX_ID

bp = Blueprint("workspace", __name__, url_prefix="/manage")


@bp.before_request
@login_required
def require_sign_in() -> None:
    """Every workspace page needs a signed-in account (Flask-Login redirects to sign-in)."""


@bp.after_request
def no_store(response):  # type: ignore[no-untyped-def]
    response.headers["Cache-Control"] = "no-store"
    return response


def visible_organisation_ids() -> set[int]:
    return {organisation.id for organisation in current_user.organisations}


def _get(model: type[Organisation | Round | Department], object_id: int):  # type: ignore[no-untyped-def]
    """A row by an id from an address or a form, None when no row has it (or none could)."""
    return db.session.get(model, object_id) if 0 < object_id <= MAX_ID else None


def organisation_or_404(organisation_id: int) -> Organisation:
    organisation = _get(Organisation, organisation_id)
    if organisation is None or organisation.id not in visible_organisation_ids():
        abort(404)
    return organisation


def round_or_404(round_id: int) -> Round:
    survey_round = _get(Round, round_id)
    if survey_round is None or survey_round.organisation_id not in visible_organisation_ids():
        abort(404)
    return survey_round


def department_or_404(department_id: int) -> Department:
    department = _get(Department, department_id)
    if department is None or department.organisation_id not in visible_organisation_ids():
        abort(404)
    return department


def require_consultant() -> None:
    """Changing anything is for consultants; a viewer gets 404, as if the page were not there."""
    if current_user.role is not Role.CONSULTANT:
        abort(404)


from survey.workspace import audit_log, dashboards, exports, manage, reports  # noqa: E402,F401 - views register on bp
