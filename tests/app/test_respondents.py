"""The respondent journey through the Flask test client."""

import re

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Answer, Comment, Kind, Response
from survey.services import responses as responses_service
from tests.factories import LinkFactory, ResponseFactory, RoundFactory

RESUME_LINK = re.compile(r'href="http://localhost(/r/[A-Za-z0-9_-]+)"')


def submitted_count(round_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Response).where(Response.round_id == round_id,
                                                         Response.submitted_at.is_not(None))
    )


def answer_section(client, number: int, questionnaire, dimension, position: str = "2", action="continue", **extra):
    data = {"action": action, **extra}
    for item in questionnaire.items_in(dimension.id):
        data.setdefault(item.id, position)
    return client.submit(f"/survey/section/{number}", data)


def start(client, link):
    return client.submit(f"/s/{link.token}", {})


def answer_everything(client, questionnaire, position="2"):
    for number, dimension in enumerate(questionnaire.dimensions, start=1):
        answer_section(client, number, questionnaire, dimension, position)


@pytest.fixture
def link():
    return LinkFactory()


def test_the_start_page_explains_purpose_anonymity_and_time(client, link):
    page = client.get(f"/s/{link.token}").get_data(as_text=True)
    assert link.department.name in page
    assert "Your answers are anonymous" in page
    assert "about 10 minutes" in page
    assert "groups of 5 or more" in page


def test_starting_creates_an_unsubmitted_response_and_opens_section_one(client, link):
    reply = start(client, link)
    assert reply.status_code == 302 and reply.headers["Location"].endswith("/survey/section/1")
    response = db.session.scalar(select(Response).filter_by(round_id=link.round_id))
    assert response.submitted_at is None and response.department_id == link.department_id
    assert response.resume_token_hash and len(response.resume_token_hash) == 64


def test_an_unknown_link_gets_a_clear_not_found_page(client):
    for token in ("not-a-real-token-but-long-enough", "x", "../../etc/passwd"):
        page = client.get(f"/s/{token}")
        assert page.status_code == 404
        assert "Page not found" in page.get_data(as_text=True)


@pytest.mark.parametrize(("trait", "status", "heading"), [
    ("closed", 410, "This survey is closed"),
    ("scheduled", 403, "This survey is not open yet"),
])
def test_a_round_that_is_not_open_gets_a_clear_page_and_no_form(client, trait, status, heading):
    link = LinkFactory(round=RoundFactory(**{trait: True}))
    page = client.get(f"/s/{link.token}")
    assert page.status_code == status
    assert heading in page.get_data(as_text=True)
    assert "<form" not in page.get_data(as_text=True)


def test_continuing_without_answers_shows_every_missing_question(client, link):
    start(client, link)
    page = client.submit("/survey/section/1", {"action": "continue"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "There is a problem" in text
    assert text.count("Select where your team is now for question") == 10  # summary + each field
    assert "<title>Error: " in text
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 0


def test_answers_are_stored_in_paradigm_orientation(client, link):
    questionnaire = link.round.questionnaire
    start(client, link)
    dimension = questionnaire.dimensions[0]
    items = questionnaire.items_in(dimension.id)
    positions = {item.id: str(index + 1) for index, item in enumerate(items)}
    positions[items[-1].id] = "dk"
    answer_section(client, 1, questionnaire, dimension, **positions)
    stored = {a.item_id: a.value for a in db.session.scalars(select(Answer))}
    for index, item in enumerate(items[:-1]):
        expected = 7 - index if item.swapped else index + 1
        assert stored[item.id] == expected, item.id
    assert stored[items[-1].id] is None
    assert any(item.swapped for item in items)


def test_save_and_come_back_later_keeps_partial_answers_and_shows_a_resume_link(client, link, app):
    questionnaire = link.round.questionnaire
    start(client, link)
    dimension = questionnaire.dimensions[0]
    first = questionnaire.items_in(dimension.id)[0]
    reply = client.submit("/survey/section/1", {"action": "save", first.id: "3", "comment": "Busy week"})
    assert reply.headers["Location"].endswith("/survey/saved")
    saved_page = client.get("/survey/saved").get_data(as_text=True)
    resume_path = RESUME_LINK.search(saved_page).group(1)
    assert [(a.item_id, a.value) for a in db.session.scalars(select(Answer))] == [
        (first.id, first.to_paradigm(3, 7))
    ]
    assert db.session.scalar(select(Comment.text)) == "Busy week"

    other_device = app.test_client()
    reply = other_device.get(resume_path)
    assert reply.status_code == 302 and reply.headers["Location"].endswith("/survey/section/1")
    page = other_device.get("/survey/section/1").get_data(as_text=True)
    assert "Welcome back" in page
    assert re.search(rf'name="{first.id}" type="radio" value="3" checked', page)
    assert "Busy week" in page


def test_a_comment_is_changed_and_removed_by_saving_its_section_again(client, link):
    questionnaire = link.round.questionnaire
    start(client, link)
    roles, measures = questionnaire.dimensions[:2]

    answer_section(client, 1, questionnaire, roles, comment="Busy week")
    answer_section(client, 2, questionnaire, measures)  # no comment: the one on section 1 stays
    assert db.session.execute(select(Comment.dimension_id, Comment.text)).all() == [(roles.id, "Busy week")]

    answer_section(client, 1, questionnaire, roles, comment="  Quieter now ")
    assert db.session.scalars(select(Comment.text)).all() == ["Quieter now"]

    answer_section(client, 1, questionnaire, roles, comment="")
    assert db.session.scalars(select(Comment.text)).all() == []


def test_a_save_with_nothing_answered_keeps_its_comment_and_dont_knows_are_stored_as_null(client, link):
    questionnaire = link.round.questionnaire
    start(client, link)
    reply = client.submit("/survey/section/1", {"action": "save", "comment": "Not sure yet"})
    assert reply.headers["Location"].endswith("/survey/saved")
    assert db.session.scalars(select(Answer)).all() == []
    assert db.session.scalar(select(Comment.text)) == "Not sure yet"

    answer_section(client, 2, questionnaire, questionnaire.dimensions[1], position="dk")
    values = db.session.scalars(select(Answer.value)).all()
    assert len(values) == len(questionnaire.items_in(questionnaire.dimensions[1].id)) and set(values) == {None}


def test_a_resume_link_survives_a_new_app_process(client, link, app):
    """The resume token lives in the database, not in any process's memory."""
    from survey import create_app

    start(client, link)
    client.submit("/survey/section/1", {"action": "save"})
    resume_path = RESUME_LINK.search(client.get("/survey/saved").get_data(as_text=True)).group(1)
    restarted = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                            "SECRET_KEY": "another-process-key"})
    with restarted.app_context():
        restarted.extensions["sqlalchemy"].session = db.session  # the test's transaction
        reply = restarted.test_client().get(resume_path)
    assert reply.status_code == 302 and "/survey/section/" in reply.headers["Location"]


def test_an_unknown_resume_link_gets_a_clear_page(client):
    page = client.get("/r/this-is-not-a-valid-resume-token")
    assert page.status_code == 404
    assert "This link does not work" in page.get_data(as_text=True)


def test_the_whole_journey_stores_every_answer_once(client, link):
    questionnaire = link.round.questionnaire
    start(client, link)
    answer_everything(client, questionnaire, position="5")
    check = client.get("/survey/check").get_data(as_text=True)
    assert "Check your answers before sending them" in check
    assert "still to answer" not in check
    reply = client.submit("/survey/check", {})
    assert reply.headers["Location"].endswith("/survey/done")
    assert "Answers sent" in client.get("/survey/done").get_data(as_text=True)
    assert submitted_count(link.round_id) == 1
    assert db.session.scalar(select(func.count()).select_from(Answer)) == len(questionnaire.items)


def test_a_double_submit_is_counted_once_and_says_so(client, link):
    start(client, link)
    answer_everything(client, link.round.questionnaire)
    page = client.get("/survey/check").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    first = client.post("/survey/check", data={"csrf_token": token})
    second = client.post("/survey/check", data={"csrf_token": token}, follow_redirects=True)
    assert first.status_code == 302
    assert "already been sent" in second.get_data(as_text=True)
    assert submitted_count(link.round_id) == 1


def test_submitting_with_questions_unanswered_is_refused_and_lists_them(client, link):
    questionnaire = link.round.questionnaire
    start(client, link)
    answer_section(client, 1, questionnaire, questionnaire.dimensions[0])
    reply = client.submit("/survey/check", {}, follow_redirects=True)
    text = reply.get_data(as_text=True)
    assert "There are questions still to answer" in text
    assert f"{questionnaire.dimensions[1].title}: 5 still to answer" in text
    assert submitted_count(link.round_id) == 0


def test_a_submitted_response_can_no_longer_be_changed(client, link):
    questionnaire = link.round.questionnaire
    start(client, link)
    answer_everything(client, questionnaire, position="1")
    client.submit("/survey/check", {})
    page = client.get("/survey/section/1")
    assert page.status_code == 302 and page.headers["Location"].endswith("/survey/done")
    values = set(db.session.scalars(select(Answer.value)))
    assert values <= {1, 7}


def resume_token_of(client) -> str:
    with client.session_transaction() as session:
        return session["resume_token"]


def section_post(client, number, questionnaire, position="4"):
    """A section's answers posted with a CSRF token read beforehand (the page is not loaded again)."""
    dimension = questionnaire.dimensions[number - 1]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get(f"/survey/section/{number}").get_data(as_text=True)).group(1)
    data = {"csrf_token": token, "action": "continue"}
    data.update({item.id: position for item in questionnaire.items_in(dimension.id)})
    return lambda: client.post(f"/survey/section/{number}", data=data)


def test_a_save_after_the_answers_were_sent_elsewhere_goes_to_the_confirmation(client, link):
    questionnaire = link.round.questionnaire
    start(client, link)
    answer_everything(client, questionnaire, position="1")
    save_again = section_post(client, 1, questionnaire, position="4")
    responses_service.submit(responses_service.find_by_resume_token(resume_token_of(client)))  # another device
    db.session.commit()

    reply = save_again()

    assert reply.status_code == 302 and reply.headers["Location"].endswith("/survey/done")
    assert set(db.session.scalars(select(Answer.value))) <= {1, 7}


def test_a_save_after_the_response_was_deleted_elsewhere_stores_nothing(client, link):
    questionnaire = link.round.questionnaire
    start(client, link)
    answer_section(client, 1, questionnaire, questionnaire.dimensions[0])
    save_section_two = section_post(client, 2, questionnaire)
    responses_service.withdraw(responses_service.find_by_resume_token(resume_token_of(client)))  # another device
    db.session.commit()

    reply = save_section_two()

    assert reply.status_code == 401 and "Your session has ended" in reply.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 0


def test_a_session_cannot_save_into_another_response(client, link):
    """The session keeps the response's id for saving, but a save also needs that response's
    resume token: a session holding another response's id (never written by the app, but the
    check does not rely on that) writes nothing there."""
    questionnaire = link.round.questionnaire
    their_id = ResponseFactory(round=link.round, department=link.department).id
    start(client, link)
    save = section_post(client, 1, questionnaire)
    with client.session_transaction() as session:
        session["answering"] = [their_id, *session["answering"][1:]]

    reply = save()

    assert reply.status_code == 400 and "could not be saved" in reply.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 0


def test_a_session_begun_before_it_kept_the_response_still_saves(client, link):
    questionnaire = link.round.questionnaire
    start(client, link)
    with client.session_transaction() as session:
        del session["answering"]
    answer_section(client, 1, questionnaire, questionnaire.dimensions[0], position="3")
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 5


def test_the_desired_position_is_asked_when_the_round_wants_it(client):
    link = LinkFactory(round=RoundFactory(desired=True))
    questionnaire = link.round.questionnaire
    start(client, link)
    page = client.get("/survey/section/1").get_data(as_text=True)
    assert "where would you like your team to be?" in page
    dimension = questionnaire.dimensions[0]
    data = {f"{item.id}--desired": "7" for item in questionnaire.items_in(dimension.id)}
    answer_section(client, 1, questionnaire, dimension, position="1", **data)
    kinds = {(a.kind, a.item_id): a.value for a in db.session.scalars(select(Answer))}
    item = questionnaire.items_in(dimension.id)[0]
    assert kinds[(Kind.DESIRED, item.id)] == item.to_paradigm(7, 7)
    assert kinds[(Kind.CURRENT, item.id)] == item.to_paradigm(1, 7)


def test_a_round_that_closes_mid_survey_shows_the_closed_page_and_keeps_the_answers(client, link):
    from survey.models import utcnow

    questionnaire = link.round.questionnaire
    start(client, link)
    answer_section(client, 1, questionnaire, questionnaire.dimensions[0])
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/survey/section/2").get_data(as_text=True)).group(1)
    link.round.closes_at = utcnow()
    db.session.commit()  # a consultant closes the round
    data = {"csrf_token": token, "action": "continue"}
    data.update({item.id: "4" for item in questionnaire.items_in(questionnaire.dimensions[1].id)})
    page = client.post("/survey/section/2", data=data)
    assert page.status_code == 410
    assert "This survey is closed" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 5
    assert client.get(f"/s/{link.token}").status_code == 410


def test_pages_without_a_session_explain_how_to_come_back(client):
    for url in ("/survey/section/1", "/survey/check", "/survey/saved", "/survey/done"):
        page = client.get(url)
        assert page.status_code == 401
        assert "Your session has ended" in page.get_data(as_text=True)


def test_a_section_number_out_of_range_is_not_found(client, link):
    start(client, link)
    assert client.get("/survey/section/0").status_code == 404
    assert client.get("/survey/section/9").status_code == 404


def test_tampered_answers_are_refused_and_change_nothing(client, link):
    questionnaire = link.round.questionnaire
    start(client, link)
    dimension = questionnaire.dimensions[0]
    reply = answer_section(client, 1, questionnaire, dimension, position="99")
    assert reply.status_code == 200 and "There is a problem" in reply.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 0


def test_a_post_without_a_csrf_token_is_refused(client, link):
    reply = client.post(f"/s/{link.token}", data={})
    assert reply.status_code == 400
    assert "Your session has expired" in reply.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_respondent_pages_are_never_cached(client, link):
    assert client.get(f"/s/{link.token}").headers["Cache-Control"] == "no-store"


def test_submitted_response_factory_counts(client):
    response = ResponseFactory(submitted=True, answers={"roles-1": 4})
    assert submitted_count(response.round_id) == 1


def test_a_respondent_can_withdraw_a_sent_response_while_the_round_is_open(client, link):
    start(client, link)
    answer_everything(client, link.round.questionnaire)
    client.submit("/survey/check", {})
    assert "delete your answers" in client.get("/survey/done").get_data(as_text=True)
    page = client.submit("/survey/withdraw", {})
    assert "Your answers have been deleted" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 0
    assert client.get("/survey/check").status_code == 401


def test_the_resume_link_of_a_withdrawn_response_no_longer_works(client, link, app):
    start(client, link)
    client.submit("/survey/section/1", {"action": "save"})
    resume_path = RESUME_LINK.search(client.get("/survey/saved").get_data(as_text=True)).group(1)
    client.submit("/survey/withdraw", {})
    assert app.test_client().get(resume_path).status_code == 404


def test_withdrawing_after_the_round_closed_is_refused(client, link):
    from survey.models import utcnow

    start(client, link)
    answer_everything(client, link.round.questionnaire)
    client.submit("/survey/check", {})
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/survey/withdraw").get_data(as_text=True)).group(1)
    link.round.closes_at = utcnow()
    db.session.commit()
    reply = client.post("/survey/withdraw", data={"csrf_token": token})
    assert reply.status_code == 410
    assert submitted_count(link.round_id) == 1
