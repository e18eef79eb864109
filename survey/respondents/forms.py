"""The respondent's forms, built from the questionnaire (a field per question)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from survey.models import Kind
from survey.questionnaire import Dimension, Item, Questionnaire
from survey.services.responses import MAX_COMMENT

DONT_KNOW = "dk"


def position_labels(points: int) -> list[str]:
    """Labels for the scale positions, left (statement A) to right (statement B)."""
    half = (points - 1) / 2
    labels = []
    for position in range(1, points + 1):
        distance = min(position - 1, points - position)
        side = "A" if position - 1 < half else "B"
        if position - 1 == half:
            labels.append("Halfway between the two")
        elif distance == 0:
            labels.append(f"Just like statement {side}")
        elif distance >= half - 1:
            labels.append(f"A bit more like statement {side}")
        else:
            labels.append(f"Mostly like statement {side}")
    return labels


@dataclass(frozen=True)
class Question:
    """One radio group on a section page: an item, asked about now or as desired."""

    number: int
    item: Item
    kind: Kind

    @property
    def field_name(self) -> str:
        return self.item.id if self.kind is Kind.CURRENT else f"{self.item.id}--desired"


def questions_for(questionnaire: Questionnaire, dimension: Dimension, asks_desired: bool) -> list[Question]:
    kinds = (Kind.CURRENT, Kind.DESIRED) if asks_desired else (Kind.CURRENT,)
    return [
        Question(number, item, kind)
        for number, item in enumerate(questionnaire.items_in(dimension.id), start=1)
        for kind in kinds
    ]


class RespondentForm(FlaskForm):
    """A respondent's form. Its CSRF token is not a field of its own: ``CSRFProtect`` checks the
    token of every POST before any view runs, and the pages put it in with ``csrf_token()``; a
    field would only sign another token on every request."""

    class Meta:
        csrf = False


class SectionForm(RespondentForm):
    """Base of the generated section forms; ``questions`` lists their radio groups in order."""

    questions: list[Question] = []


@lru_cache(maxsize=128)  # a frozen questionnaire's sections never change: one class each, per process
def section_form_class(questionnaire: Questionnaire, dimension: Dimension, asks_desired: bool) -> type[SectionForm]:
    questions = questions_for(questionnaire, dimension, asks_desired)
    choices = [SelectChoice(str(p), label) for p, label in enumerate(position_labels(questionnaire.points), 1)]
    choices.append(SelectChoice(DONT_KNOW, "I don't know"))
    fields: dict[str, object] = {"questions": questions}
    for question in questions:
        if question.kind is Kind.CURRENT:
            message = f"Select where your team is now for question {question.number}, or ‘I don’t know’"
        else:
            message = f"Select where you would like your team to be for question {question.number}, or ‘I don’t know’"
        fields[question.field_name] = RadioField(choices=choices, validators=[InputRequired(message)])
    fields["comment"] = TextAreaField(
        f"Anything you would like to add about {dimension.title.lower()}? (optional)",
        validators=[Optional(), Length(max=MAX_COMMENT, message=f"Comments must be {MAX_COMMENT} characters or fewer")],
    )
    return type("GeneratedSectionForm", (SectionForm,), fields)


def to_paradigm(raw: str | None, item: Item, points: int) -> tuple[bool, int | None]:
    """Read a submitted radio value: (answered, value in paradigm orientation or None for don't know)."""
    if raw == DONT_KNOW:
        return True, None
    if raw and raw.isdecimal() and 1 <= int(raw) <= points:  # isdigit() would let "²" through to int()
        return True, item.to_paradigm(int(raw), points)
    return False, None


def from_paradigm(value: int | None, item: Item, points: int) -> str:
    return DONT_KNOW if value is None else str(item.to_position(value, points))


class EmptyForm(RespondentForm):
    """A form with no fields (start, send, withdraw): a POST with its CSRF token."""
