"""The respondent's journey: start, one page per section, check answers, confirmation.

The response in progress is found through its resume token, kept in the (signed) session
cookie; the same token in a resume link brings it back on another day or device.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from jinja2 import Environment
from markupsafe import Markup
from werkzeug.wrappers import Response as HttpResponse

from survey.errors import render_error
from survey.extensions import autocommit, begin_writing, db, read_before_writing
from survey.models import Kind, Round, RoundStatus
from survey.questionnaire import Dimension
from survey.respondents.forms import (
    DONT_KNOW,
    EmptyForm,
    from_paradigm,
    position_labels,
    section_form_class,
    to_paradigm,
)
from survey.respondents.pages import render_page
from survey.security import limiter, token_limit, token_unknown
from survey.services import ServiceError
from survey.services import responses as responses_service
from survey.services.responses import ResponseState, Saved
from survey.tokens import hash_token, looks_like_token

bp = Blueprint("respondents", __name__)
SESSION_KEY = "resume_token"
ANSWERING_KEY = "answering"  # the response's Answering, less the token hash (see _answering)


@bp.before_request
def statements_stand_alone() -> None:
    """Loading a page reads one statement's worth, and starting or saving a section writes in
    one statement (on PostgreSQL), so these need no transaction of their own. Only sending the
    answers (check) and deleting them (withdraw) write more than one thing together."""
    if request.method in ("GET", "HEAD") or request.endpoint in ("respondents.start", "respondents.section"):
        autocommit()


@bp.after_request
def no_store(response: HttpResponse) -> HttpResponse:
    """Answers are private: never keep these pages in a shared cache or the back-forward cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


RADIOS_MACRO = "govuk_frontend_jinja/components/radios/macro.html"


@bp.app_template_global()
def govuk_radios(params: dict[str, Any]) -> Markup:
    """GOV.UK Frontend's ``govukRadios(params)``, each distinct ``params`` rendered once per process.

    The macro's output depends on its parameters alone, and a section page calls it once per
    question with one of a handful of parameter sets (question x answer given x error shown), so
    the HTML is kept (least recently used first out) instead of running the macro, the costliest
    part of the page, again for every respondent. Parameters it cannot key on exactly (anything
    but dicts, lists, strings, Markup, numbers, booleans and None) are rendered afresh.
    """
    try:
        key = _frozen(params)
    except TypeError:
        return _radios_macro(current_app.jinja_env)(params)
    return _rendered_radios(current_app.jinja_env, key)


def _radios_macro(environment: Environment):  # type: ignore[no-untyped-def]
    return environment.get_template(RADIOS_MACRO).module.govukRadios


@lru_cache(maxsize=1024)  # a few MB at most
def _rendered_radios(environment: Environment, key: tuple) -> Markup:  # type: ignore[type-arg]
    return _radios_macro(environment)(_thawed(key))


def _frozen(value: Any) -> tuple:  # type: ignore[type-arg]
    """A hashable copy that keeps every type the macro could tell apart (Markup is not str)."""
    if isinstance(value, dict):
        return ("dict", tuple((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, list):
        return ("list", tuple(_frozen(item) for item in value))
    if isinstance(value, tuple):
        return ("tuple", tuple(_frozen(item) for item in value))
    if type(value) in (Markup, str, int, float, bool, type(None)):
        return (type(value).__name__, value)
    raise TypeError(f"cannot key on {type(value).__name__}")


def _thawed(key: tuple) -> Any:  # type: ignore[type-arg]
    kind, value = key
    if kind == "dict":
        return {name: _thawed(item) for name, item in value}
    if kind == "list":
        return [_thawed(item) for item in value]
    if kind == "tuple":
        return tuple(_thawed(item) for item in value)
    return value


def _invitation_or_404(token: str) -> responses_service.Invitation:
    invitation = responses_service.find_invitation(token) if looks_like_token(token) else None
    if invitation is None:
        abort(404)
    return invitation


def _round_unavailable(status: RoundStatus, round_id: int) -> tuple[str, int]:
    survey_round = db.session.get(Round, round_id)
    return render_template("respondents/unavailable.html", status=status.value, round=survey_round,
                           title="This survey is closed" if status is RoundStatus.CLOSED
                           else "This survey is not open yet"), 410 if status is RoundStatus.CLOSED else 403


def _resume_token() -> str | None:
    token = session.get(SESSION_KEY)
    return token if token and looks_like_token(token) else None


def _current_response() -> ResponseState | None:
    token = _resume_token()
    return responses_service.find_by_resume_token(token) if token else None


def _keep_in_session(token: str, response: ResponseState) -> None:
    """The respondent's session: the resume token, and what never changes about the response
    (``Answering``), so that saving a section need not read it first."""
    session[SESSION_KEY] = token
    session[ANSWERING_KEY] = [response.id, response.version_id, response.content_hash, response.asks_desired]
    session.permanent = True


def _answering() -> responses_service.Answering | None:
    """The session's ``Answering``: the token hash from the session's resume token, the rest as
    ``_keep_in_session`` kept it (a signed cookie, so as the app wrote it)."""
    token, kept = _resume_token(), session.get(ANSWERING_KEY)
    if token is None or not isinstance(kept, list) or len(kept) != 4:
        return None
    response_id, version_id, content_hash, asks_desired = kept
    return responses_service.Answering(asks_desired, version_id, content_hash, response_id, hash_token(token))


def _current_response_with_saved() -> tuple[ResponseState | None, Saved]:
    """The response in progress and what it has saved, read together (one query)."""
    token = _resume_token()
    return responses_service.find_with_saved(token) if token else (None, ({}, {}))


def _page_context(response: ResponseState, **extra):  # type: ignore[no-untyped-def]
    questionnaire = response.questionnaire
    return {"service_name": questionnaire.title, "questionnaire": questionnaire, "response": response, **extra}


@bp.route("/s/<token>", methods=["GET", "POST"])
@limiter.shared_limit(token_limit, scope="tokens", deduct_when=token_unknown)
def start(token: str):  # type: ignore[no-untyped-def]
    if request.method == "POST":
        read_before_writing()  # a new response depends on nothing read here but the link
    invitation = _invitation_or_404(token)
    status = invitation.status()
    if status is not RoundStatus.OPEN:
        return _round_unavailable(status, invitation.round_id)
    if request.method == "POST" and EmptyForm().validate_on_submit():
        begin_writing()
        response, resume_token = responses_service.start(invitation)
        db.session.commit()
        _keep_in_session(resume_token, response)
        return redirect(url_for(".section", number=1))
    current = _current_response()
    in_progress = current is not None and current.round_id == invitation.round_id and current.submitted_at is None
    questionnaire = invitation.questionnaire
    return render_page("respondents/start.html", ("start", invitation, in_progress), lambda: {
        "invitation": invitation, "questionnaire": questionnaire, "service_name": questionnaire.title,
        "in_progress": in_progress, "title": questionnaire.title})


@bp.route("/r/<token>")
@limiter.shared_limit(token_limit, scope="tokens", deduct_when=token_unknown)
def resume(token: str):  # type: ignore[no-untyped-def]
    response = responses_service.find_by_resume_token(token) if looks_like_token(token) else None
    if response is None:
        return render_error(404, "This link does not work",
                            "Check you copied the whole link. If you sent your answers already, "
                            "there is nothing more to do.")
    _keep_in_session(token, response)
    if response.submitted_at is not None:
        return redirect(url_for(".done"))
    status = response.status()
    if status is not RoundStatus.OPEN:
        return _round_unavailable(status, response.round_id)
    number = responses_service.first_section_to_answer(response)
    if number is None:
        return redirect(url_for(".check"))
    flash("Welcome back. Your saved answers are below.")
    return redirect(url_for(".section", number=number))


def _respondent_guard(response: ResponseState | None):  # type: ignore[no-untyped-def]
    """The page to show instead, when there is no response to work on or it cannot change."""
    if response is None:
        return render_template("respondents/no_session.html", title="Your session has ended"), 401
    if response.submitted_at is not None:
        return redirect(url_for(".done"))
    status = response.status()
    if status is not RoundStatus.OPEN:
        return _round_unavailable(status, response.round_id)
    return None


@bp.route("/survey/section/<int:number>", methods=["GET", "POST"])
def section(number: int):  # type: ignore[no-untyped-def]
    changing = request.args.get("change") == "1"
    if request.method == "POST":
        return _save_section(number, changing)
    response, (saved_answers, saved_comments) = _current_response_with_saved()
    if (guard := _respondent_guard(response)) is not None:
        return guard
    dimension, form_class = _section_of(response, number)
    data = _form_data(form_class, saved_answers, response.questionnaire.points, saved_comments.get(dimension.id))
    if not any(data.values()):  # nothing of this respondent's on it: the page everyone sees
        return render_page("respondents/section.html",
                           ("section", response.version_id, response.content_hash, number, response.asks_desired,
                            changing),
                           lambda: _section_context(response, form_class(formdata=None), dimension, number, changing))
    return _section_page(response, form_class(data=data), dimension, number, changing)


def _section_of(questions: responses_service.Questions, number: int):  # type: ignore[no-untyped-def]
    """The section's dimension and its form class; 404 for a number with no section."""
    questionnaire = questions.questionnaire
    if not 1 <= number <= len(questionnaire.dimensions):
        abort(404)
    dimension = questionnaire.dimensions[number - 1]
    return dimension, section_form_class(questionnaire, dimension, questions.asks_desired)


def _section_page(response: ResponseState, form, dimension, number: int, changing: bool):  # type: ignore[no-untyped-def]
    return render_template("respondents/section.html", **_section_context(response, form, dimension, number, changing))


def _save_section(number: int, changing: bool):  # type: ignore[no-untyped-def]
    """Store a section's posted answers and go on, or show the page again with its errors.

    The response is not read first: the session says which it is and what it asks
    (``Answering``), and the save itself refuses a response that can no longer change. Only
    when it does, or the form has errors, is the response read, to show the right page."""
    read_before_writing()  # SQLite: the write lock is taken only for the save
    answering = _answering()
    if answering is None:  # no session, or one from before sessions kept the Answering
        response = _current_response()
        if (guard := _respondent_guard(response)) is not None:
            return guard
        answering = response.answering
    dimension, form_class = _section_of(answering, number)
    form = form_class()
    saving_for_later = request.form.get("action") == "save"
    form.validate()
    if saving_for_later:
        # Unanswered questions may wait; only a bad comment stops a save.
        for question in form.questions:
            form[question.field_name].errors = []
    if any(field.errors for field in form):
        response = _current_response()
        return _respondent_guard(response) or _section_page(response, form, dimension, number, changing)
    given = _answers_from(form, answering.questionnaire.points)
    begin_writing()
    try:
        responses_service.save_section(answering, dimension, given, form.comment.data)
    except ServiceError as error:
        db.session.rollback()
        return _respondent_guard(_current_response()) or render_error(400, "Your answers could not be saved",
                                                                        str(error))
    db.session.commit()
    if saving_for_later:
        return redirect(url_for(".saved"))
    if changing or number == len(answering.questionnaire.dimensions):
        return redirect(url_for(".check"))
    return redirect(url_for(".section", number=number + 1))


def _section_context(response: ResponseState, form, dimension, number: int, changing: bool):  # type: ignore[no-untyped-def]
    questionnaire = response.questionnaire
    return _page_context(
        response,
        form=form,
        dimension=dimension,
        number=number,
        total=len(questionnaire.dimensions),
        questions=form.questions,
        labels=position_labels(questionnaire.points),
        dont_know=DONT_KNOW,
        changing=changing,
        title=dimension.title,
        has_errors=any(field.errors for field in form),
    )


def _form_data(form_class, saved, points: int, comment: str | None) -> dict[str, str]:  # type: ignore[no-untyped-def]
    data = {"comment": comment or ""}
    for question in form_class.questions:
        key = (question.kind, question.item.id)
        if key in saved:
            data[question.field_name] = from_paradigm(saved[key], question.item, points)
    return data


def _answers_from(form, points: int) -> dict[tuple[Kind, str], int | None]:  # type: ignore[no-untyped-def]
    """The questions answered on the page, in paradigm orientation; blank ones are left out."""
    given = {}
    for question in form.questions:
        answered, value = to_paradigm(form[question.field_name].data, question.item, points)
        if answered:
            given[(question.kind, question.item.id)] = value
    return given


@bp.route("/survey/saved")
def saved():  # type: ignore[no-untyped-def]
    response = _current_response()
    if (guard := _respondent_guard(response)) is not None:
        return guard
    resume_url = url_for(".resume", token=session[SESSION_KEY], _external=True)
    return render_template("respondents/saved.html", **_page_context(response), resume_url=resume_url,
                           title="Your answers have been saved")


@bp.route("/survey/check", methods=["GET", "POST"])
def check():  # type: ignore[no-untyped-def]
    response, (answers, comments) = _current_response_with_saved()
    if response is not None and response.submitted_at is not None and request.method == "POST":
        flash("Your answers had already been sent. They have been counted once.")
        return redirect(url_for(".done"))
    if (guard := _respondent_guard(response)) is not None:
        return guard
    missing = responses_service.unanswered(response, given=answers)
    if request.method == "POST" and EmptyForm().validate_on_submit():
        if missing:  # the page lists them in its error summary
            return redirect(url_for(".check"))
        try:
            sent = responses_service.submit(response, answers)
        except ServiceError as error:
            db.session.rollback()
            return render_error(400, "Your answers could not be sent", str(error))
        db.session.commit()
        if not sent:
            flash("Your answers had already been sent. They have been counted once.")
        return redirect(url_for(".done"))
    answers_list = Markup(render_template(  # noqa: S704 - an autoescaped template's output
        "respondents/check_list.html", sections=_check_sections(response, answers, comments, missing)))
    return render_page("respondents/check.html", ("check", response.version_id, response.content_hash),
                       lambda: {**_page_context(response), "title": "Check your answers before sending them"},
                       holes={"answers_list": answers_list})


@dataclass(frozen=True)
class _CheckSection:
    """One section as the check page lists it: each question's two statements and the answers
    given, as the page words them, worked out here rather than in the template (the page is
    rendered afresh for every respondent)."""

    number: int
    dimension: Dimension
    rows: list[tuple[str, str, list[str]]]
    comment: str
    missing: int


def _check_sections(response: ResponseState, answers, comments, missing) -> list[_CheckSection]:  # type: ignore[no-untyped-def]
    questionnaire = response.questionnaire
    points, labels = questionnaire.points, position_labels(questionnaire.points)
    prefixes = {Kind.CURRENT: "Now: ", Kind.DESIRED: "Would like: "} if response.asks_desired else {}
    missing_counts = Counter(questionnaire.item(item_id).dimension for _, item_id in missing)

    def answered(kind: Kind, item) -> str:  # type: ignore[no-untyped-def]
        if (kind, item.id) not in answers:
            text = "Not answered"
        elif (value := answers[(kind, item.id)]) is None:
            text = "I don't know"
        else:
            text = labels[item.to_position(value, points) - 1]
        return prefixes.get(kind, "") + text

    return [
        _CheckSection(number, dimension,
                      [(*item.statements(), [answered(kind, item) for kind in response.kinds])
                       for item in questionnaire.items_in(dimension.id)],
                      comments.get(dimension.id) or "None", missing_counts[dimension.id])
        for number, dimension in enumerate(questionnaire.dimensions, start=1)
    ]


@bp.route("/survey/withdraw", methods=["GET", "POST"])
def withdraw():  # type: ignore[no-untyped-def]
    response = _current_response()
    if response is None:
        return render_template("respondents/no_session.html", title="Your session has ended"), 401
    status = response.status()
    if status is not RoundStatus.OPEN:
        return _round_unavailable(status, response.round_id)
    form = EmptyForm()
    if form.validate_on_submit():
        responses_service.withdraw(response)
        db.session.commit()
        session.pop(SESSION_KEY, None)
        session.pop(ANSWERING_KEY, None)
        return render_template("respondents/withdrawn.html", title="Your answers have been deleted",
                               service_name=response.questionnaire.title)
    return render_template("respondents/withdraw.html", **_page_context(response), form=form,
                           title="Delete your answers")


@bp.route("/survey/done")
def done():  # type: ignore[no-untyped-def]
    response = _current_response()
    if response is None or response.submitted_at is None:
        return redirect(url_for(".check")) if response is not None else (
            render_template("respondents/no_session.html", title="Your session has ended"), 401)
    return render_page("respondents/done.html", ("done", response.version_id, response.content_hash),
                       lambda: _page_context(response, title="Answers sent"))
