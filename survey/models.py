"""The database model (SQLAlchemy 2, typed).

Respondents are never identified: a response holds no name, email or address, only the
department it was invited through and the hash of its resume token.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.questionnaire import Questionnaire, from_data


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every database (SQLite keeps no zone of its own)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


intpk = Annotated[int, mapped_column(Integer, primary_key=True)]
timestamp = Annotated[datetime, mapped_column(UTCDateTime, default=utcnow)]
name_str = Annotated[str, mapped_column(String(200))]


class Role(enum.StrEnum):
    CONSULTANT = "consultant"
    VIEWER = "viewer"


class Kind(enum.StrEnum):
    """Which question an answer is to: where the team is now, or where it would like to be."""

    CURRENT = "current"
    DESIRED = "desired"


user_organisations = Table(
    "user_organisations",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
)


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[intpk]
    name: Mapped[name_str] = mapped_column(unique=True)
    created_at: Mapped[timestamp]
    # Report branding (validated in reports/branding.py): a #rrggbb colour that white text can sit
    # on, and a small PNG or SVG logo.
    brand_colour: Mapped[str | None] = mapped_column(String(7))
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_type: Mapped[str | None] = mapped_column(String(20))

    departments: Mapped[list[Department]] = relationship(
        back_populates="organisation", order_by="Department.name", cascade="all, delete-orphan"
    )
    rounds: Mapped[list[Round]] = relationship(
        back_populates="organisation", order_by="Round.opens_at", cascade="all, delete-orphan"
    )


class Department(db.Model):
    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    name: Mapped[name_str]
    created_at: Mapped[timestamp]

    organisation: Mapped[Organisation] = relationship(back_populates="departments")
    parent: Mapped[Department | None] = relationship(remote_side="Department.id", back_populates="children")
    children: Mapped[list[Department]] = relationship(back_populates="parent", order_by="Department.name")


_parsed_questionnaires: dict[tuple[int, str], Questionnaire] = {}


def parsed_questionnaire(version_id: int, content_hash: str, content: Callable[[], dict[str, Any]]) -> Questionnaire:
    """The questionnaire of a frozen version. A frozen version never changes, so each process
    parses it once (keyed on its id and content hash) rather than on every request; ``content``
    reads the stored content when it has not been parsed yet."""
    key = (version_id, content_hash)
    found = _parsed_questionnaires.get(key)
    if found is None:
        found = _parsed_questionnaires[key] = from_data(content())
    return found


class QuestionnaireVersion(db.Model):
    """A questionnaire file as it was frozen: its content can never change afterwards."""

    __tablename__ = "questionnaire_versions"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(64))
    version: Mapped[int]
    title: Mapped[name_str]
    content: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_text: Mapped[str] = mapped_column(Text, deferred=True)
    loaded_at: Mapped[timestamp]

    @property
    def questionnaire(self) -> Questionnaire:
        """The parsed questionnaire, parsed once per process (``parsed_questionnaire``)."""
        return parsed_questionnaire(self.id, self.content_hash, lambda: self.content)

    @property
    def label(self) -> str:
        return f"{self.key}:{self.version}"


class RoundStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


def round_status(opens_at: datetime, closes_at: datetime | None, now: datetime | None = None) -> RoundStatus:
    """Whether a round that opens and closes at these times is open now."""
    now = now or utcnow()
    if now < opens_at:
        return RoundStatus.SCHEDULED
    if closes_at is not None and now >= closes_at:
        return RoundStatus.CLOSED
    return RoundStatus.OPEN


class Round(db.Model):
    """A survey round: one organisation, one pinned questionnaire version, an open period."""

    __tablename__ = "rounds"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    name: Mapped[name_str]
    opens_at: Mapped[timestamp]
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    asks_desired: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[timestamp]
    # Set when the retention rule deleted the round's answers and comments; its results then
    # come from the respondents' stored dimension scores alone (RespondentScore).
    answers_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship(back_populates="rounds")
    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()

    @property
    def questionnaire(self) -> Questionnaire:
        return self.questionnaire_version.questionnaire

    def status(self, now: datetime | None = None) -> RoundStatus:
        return round_status(self.opens_at, self.closes_at, now)


class InvitationLink(db.Model):
    """A link that invites one department to one round. Only the token's hash is stored."""

    __tablename__ = "invitation_links"

    id: Mapped[intpk]
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[timestamp]
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    round: Mapped[Round] = relationship()
    department: Mapped[Department] = relationship()


class Response(db.Model):
    """One respondent's answers to one round. Counted only once ``submitted_at`` is set."""

    __tablename__ = "responses"
    __table_args__ = (
        Index("ix_responses_round_department_submitted", "round_id", "department_id", "submitted_at"),
        CheckConstraint("source IN ('online', 'paper')", name="source"),
    )

    id: Mapped[intpk]
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    link_id: Mapped[int | None] = mapped_column(ForeignKey("invitation_links.id", ondelete="SET NULL"))
    resume_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(10), default="online")
    started_at: Mapped[timestamp]
    last_saved_at: Mapped[timestamp]
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    round: Mapped[Round] = relationship()
    department: Mapped[Department] = relationship()
    answers: Mapped[list[Answer]] = relationship(back_populates="response", cascade="all, delete-orphan")
    comments: Mapped[list[Comment]] = relationship(back_populates="response", cascade="all, delete-orphan")
    scores: Mapped[list[RespondentScore]] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class Answer(db.Model):
    """One answer in paradigm orientation (1 = fully NPM .. k = fully relational).

    A row exists once the question is answered; ``value`` is NULL for "don't know".
    """

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("response_id", "kind", "item_id"),)

    id: Mapped[intpk]
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    kind: Mapped[Kind] = mapped_column(
        Enum(Kind, native_enum=False, length=10, values_callable=lambda kinds: [k.value for k in kinds])
    )
    item_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[int | None] = mapped_column(SmallInteger)

    response: Mapped[Response] = relationship(back_populates="answers")


class RespondentScore(db.Model):
    """A submitted respondent's score on one dimension (DESIGN.md section 3, rule 2), worked out
    once when the response is submitted on the round's own questionnaire version.

    Dashboards and reports read these instead of every answer, and they outlive the answers when
    the retention rule deletes those. A dimension with too few items answered has no row.
    """

    __tablename__ = "respondent_scores"

    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[Kind] = mapped_column(
        Enum(Kind, native_enum=False, length=10, values_callable=lambda kinds: [k.value for k in kinds]),
        primary_key=True,
    )
    dimension_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    score: Mapped[float]


class Comment(db.Model):
    """A respondent's optional free-text comment on one dimension."""

    __tablename__ = "comments"
    __table_args__ = (UniqueConstraint("response_id", "dimension_id"),)

    id: Mapped[intpk]
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    dimension_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)

    response: Mapped[Response] = relationship(back_populates="comments")


class PaperImport(db.Model):
    """A paper-response file imported into a round; the same file is never imported twice."""

    __tablename__ = "paper_imports"
    __table_args__ = (UniqueConstraint("round_id", "file_hash"),)

    id: Mapped[intpk]
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    file_hash: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    responses: Mapped[int]
    imported_at: Mapped[timestamp]


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[intpk]
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, values_callable=lambda roles: [r.value for r in roles])
    )
    created_at: Mapped[timestamp]
    # A separate, explicit permission (DESIGN.md section 4): raw answers, never identities.
    can_export_raw: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    organisations: Mapped[list[Organisation]] = relationship(secondary=user_organisations)


class AuditEvent(db.Model):
    """Who did what, when: sign-ins (and failed attempts), exports and report downloads.

    ``user_email`` is copied so the record survives the account; ``organisation_id`` says whose
    consultants may read it (NULL for events that belong to no organisation, such as sign-ins).
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_organisation_occurred", "organisation_id", "occurred_at"),)

    id: Mapped[intpk]
    occurred_at: Mapped[timestamp] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    user_email: Mapped[str | None] = mapped_column(String(254))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(500))
    remote_addr: Mapped[str | None] = mapped_column(String(45))


class ReportCommentary(db.Model):
    """A consultant's commentary for a report: one round and one department, or the whole
    organisation when ``department_id`` is NULL."""

    __tablename__ = "report_commentaries"
    __table_args__ = (UniqueConstraint("round_id", "department_id"),)

    id: Mapped[intpk]
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[timestamp]


class ReportCache(db.Model):
    """A built PDF report, keyed on a hash of everything it depends on (reports/cache.py), so that
    every app process and batch worker shares it. ``subject`` says which report of the round it is."""

    __tablename__ = "report_cache"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(40))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[timestamp]
