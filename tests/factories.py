"""factory_boy factories for organisations, rounds and responses, with traits."""

from __future__ import annotations

import functools
from datetime import timedelta
from pathlib import Path

import factory
from factory.alchemy import SQLAlchemyModelFactory

from survey.extensions import db
from survey.models import (
    Answer,
    Department,
    InvitationLink,
    Kind,
    Organisation,
    QuestionnaireVersion,
    Response,
    Round,
    utcnow,
)
from survey.questionnaire import Questionnaire, load_file
from survey.services.scores import record_scores
from survey.tokens import hash_token

SHIPPED = Path(__file__).resolve().parents[1] / "questionnaires" / "npm-paradigm.yaml"


@functools.cache
def shipped() -> Questionnaire:
    return load_file(SHIPPED)


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731 - the session is swapped per test
        sqlalchemy_session_persistence = "commit"


class OrganisationFactory(Base):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Council {n}")


class DepartmentFactory(Base):
    class Meta:
        model = Department

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class QuestionnaireVersionFactory(Base):
    """The shipped questionnaire, frozen (one per database: get-or-create on key and version)."""

    class Meta:
        model = QuestionnaireVersion
        sqlalchemy_get_or_create = ("key", "version")

    key = "npm-paradigm"
    version = 1
    title = factory.LazyFunction(lambda: shipped().title)
    content = factory.LazyFunction(lambda: shipped().to_data())
    content_hash = factory.LazyFunction(lambda: shipped().content_hash())
    source_text = factory.LazyFunction(lambda: SHIPPED.read_text())


class RoundFactory(Base):
    class Meta:
        model = Round

    organisation = factory.SubFactory(OrganisationFactory)
    questionnaire_version = factory.SubFactory(QuestionnaireVersionFactory)
    name = factory.Sequence(lambda n: f"Round {n}")
    opens_at = factory.LazyFunction(lambda: utcnow() - timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: utcnow() + timedelta(days=30))
    asks_desired = False

    class Params:
        desired = factory.Trait(asks_desired=True)
        closed = factory.Trait(
            opens_at=factory.LazyFunction(lambda: utcnow() - timedelta(days=60)),
            closes_at=factory.LazyFunction(lambda: utcnow() - timedelta(days=30)),
        )
        scheduled = factory.Trait(
            opens_at=factory.LazyFunction(lambda: utcnow() + timedelta(days=7)),
            closes_at=factory.LazyFunction(lambda: utcnow() + timedelta(days=37)),
        )


class LinkFactory(Base):
    """An invitation link; its plain ``token`` (never stored) is set on the object for the test."""

    class Meta:
        model = InvitationLink

    round = factory.SubFactory(RoundFactory)
    department = factory.SubFactory(DepartmentFactory, organisation=factory.SelfAttribute("..round.organisation"))
    token = factory.Sequence(lambda n: f"test-invitation-token-{n:08d}")
    token_hash = factory.LazyAttribute(lambda link: hash_token(link.token))

    @classmethod
    def _create(cls, model_class, *args, token, **kwargs):  # type: ignore[no-untyped-def]
        link = super()._create(model_class, *args, **kwargs)
        link.token = token
        return link


class ResponseFactory(Base):
    """A response; ``answers={item_id: value}`` sets current answers (desired with ``desired=``)."""

    class Meta:
        model = Response

    round = factory.SubFactory(RoundFactory)
    department = factory.SubFactory(DepartmentFactory, organisation=factory.SelfAttribute("..round.organisation"))
    source = "online"
    submitted_at = None

    class Params:
        submitted = factory.Trait(submitted_at=factory.LazyFunction(utcnow))

    @factory.post_generation
    def answers(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]  # noqa: N805
        for item_id, value in (extracted or {}).items():
            obj.answers.append(Answer(kind=Kind.CURRENT, item_id=item_id, value=value))

    @factory.post_generation
    def desired(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]  # noqa: N805
        for item_id, value in (extracted or {}).items():
            obj.answers.append(Answer(kind=Kind.DESIRED, item_id=item_id, value=value))
        db.session.flush()
        if obj.submitted_at is not None:  # as every submit path does (survey.services.scores)
            record_scores([obj.id])
