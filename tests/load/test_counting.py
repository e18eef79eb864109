"""The no-loss count itself (``benchmarks.http_journey.count_stored``): it must notice a lost
submission and a duplicated one, or the load test and the ``no_loss`` benchmark prove nothing.
Runs on SQLite and PostgreSQL; no server."""

from __future__ import annotations

from sqlalchemy import select

from benchmarks.http_journey import Respondent, Stored, count_stored, create_invitation, delete_invitation
from survey.extensions import db
from survey.models import InvitationLink, Response, utcnow
from survey.tokens import hash_token, new_token


def _person(token: str, acknowledged: bool) -> Respondent:
    return Respondent(lambda: 0, "/s/unused", {}, 8, resume_path=f"/r/{token}", acknowledged=acknowledged)


def test_a_lost_and_a_duplicated_submission_are_both_counted(app):
    invitation = create_invitation(app, "Counting")
    stored_ok, lost, never_acknowledged, from_nowhere = (new_token() for _ in range(4))
    try:
        with app.app_context():
            link = db.session.scalar(select(InvitationLink).filter_by(round_id=invitation.round_id))
            for token, submitted in ((stored_ok, True), (lost, False), (never_acknowledged, True),
                                     (from_nowhere, True)):
                db.session.add(Response(
                    round_id=link.round_id, department_id=link.department_id, link_id=link.id,
                    resume_token_hash=hash_token(token), submitted_at=utcnow() if submitted else None))
            db.session.commit()
            db.session.remove()
        people = [_person(stored_ok, True), _person(lost, True), _person(never_acknowledged, False)]

        stored = count_stored(app, invitation.round_id, people)

        assert stored == Stored(acknowledged=2, stored_once=1, missing=1, duplicates=1, submitted=3)
        assert stored.baseline == 0  # neither the loss nor the duplicate hides the other
        clean = count_stored(app, invitation.round_id, [_person(stored_ok, True), _person(never_acknowledged, True)])
        assert (clean.acknowledged, clean.stored_once, clean.missing) == (2, 2, 0)
        assert clean.duplicates == 1 and clean.baseline == 1  # the one from nowhere
    finally:
        delete_invitation(app, invitation)
