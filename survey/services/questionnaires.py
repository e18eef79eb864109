"""Freezing questionnaire versions in the database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from survey.extensions import db
from survey.models import QuestionnaireVersion
from survey.questionnaire import Questionnaire, QuestionnaireError, load_file
from survey.services import ServiceError

QUESTIONNAIRE_DIR = Path(__file__).resolve().parents[2] / "questionnaires"


def freeze(questionnaire: Questionnaire, source_text: str) -> tuple[QuestionnaireVersion, bool]:
    """Store a version, or return the stored one if identical. Returns (version, created).

    A stored version is frozen: different content under the same id and version is refused.
    """
    existing = db.session.scalar(
        select(QuestionnaireVersion).filter_by(key=questionnaire.id, version=questionnaire.version)
    )
    content_hash = questionnaire.content_hash()
    if existing is not None:
        if existing.content_hash != content_hash:
            raise ServiceError(
                f"{questionnaire.id} version {questionnaire.version} is frozen and this file differs from it: "
                f"give the changed questionnaire a new version number"
            )
        return existing, False
    version = QuestionnaireVersion(
        key=questionnaire.id,
        version=questionnaire.version,
        title=questionnaire.title,
        content=questionnaire.to_data(),
        content_hash=content_hash,
        source_text=source_text,
    )
    db.session.add(version)
    db.session.flush()
    return version, True


def load_path(path: str | Path) -> tuple[QuestionnaireVersion, bool]:
    """Validate a file and freeze it. Raises QuestionnaireError (every problem) or ServiceError."""
    questionnaire = load_file(path)
    return freeze(questionnaire, Path(path).read_text(encoding="utf-8"))


def load_directory(directory: Path = QUESTIONNAIRE_DIR) -> list[QuestionnaireVersion]:
    """Freeze every questionnaire file in a directory (the shipped ones, for ``demo``)."""
    versions = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            versions.append(load_path(path)[0])
        except QuestionnaireError as error:
            raise ServiceError(error.problems[0]) from None
    return versions


def find_version(reference: str) -> QuestionnaireVersion:
    """``ID`` (the newest version) or ``ID:VERSION``."""
    try:
        reference.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8 on the command line
        raise ServiceError("questionnaire reference must be UTF-8 text") from None
    key, _, number = reference.partition(":")
    query = select(QuestionnaireVersion).filter_by(key=key)
    if number:
        if not number.isdecimal() or int(number) > 2**31 - 1:
            raise ServiceError(f"questionnaire version must be a number: {reference!r}")
        query = query.filter_by(version=int(number))
    found = db.session.scalar(query.order_by(QuestionnaireVersion.version.desc()).limit(1))
    if found is None:
        raise ServiceError(f"no questionnaire {reference!r} has been loaded (use: questionnaire load PATH)")
    return found
