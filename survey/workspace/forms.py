"""The workspace's forms: GOV.UK widgets (govuk-frontend-wtf), GOV.UK error messages.

Dates are entered as GOV.UK date inputs (day, month, year) and mean whole days in UK time: a
round opens at the start of its opening day and closes at the end of its closing day.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, time
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovDateInput, GovSelect, GovTextInput
from wtforms import BooleanField, Field, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from survey import UK_TIME
from survey.services.structure import MAX_ID, MAX_NAME

END_OF_DAY = time(23, 59, 59)


def start_of_day(day: date) -> datetime:
    """Midnight at the start of a day in UK time, as an aware UTC datetime."""
    return datetime.combine(day, time.min, tzinfo=UK_TIME).astimezone(UTC)


def end_of_day(day: date) -> datetime:
    """The last second of a day in UK time, as an aware UTC datetime."""
    return datetime.combine(day, END_OF_DAY, tzinfo=UK_TIME).astimezone(UTC)


def uk_date(moment: datetime | None) -> date | None:
    """The day, in UK time, on which a moment falls."""
    return moment.astimezone(UK_TIME).date() if moment is not None else None


def today() -> date:
    return datetime.now(UK_TIME).date()


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def optional_id(value: Any) -> int | None:
    """A select's value as an id, or None for the empty choice; a number that no row could have
    as its id is refused like any other value that is not an id (and is never looked up)."""
    if value is None or value == "":
        return None
    number = int(value)
    if not 0 < number <= MAX_ID:
        raise ValueError(f"{value!r} is not an id")
    return number


class DateInputField(Field):
    """A date in three boxes, day, month and year (GOV.UK's date input), with GOV.UK's messages.

    ``required=False`` lets all three boxes be left empty (the date is then None)."""

    widget = GovDateInput()

    def __init__(self, label: str | None = None, validators: Any = None, *, required: bool = True, **kwargs: Any):
        super().__init__(label, validators, **kwargs)
        self.required = required
        self.noun = (label or "date").lower()

    def _value(self) -> str:
        return self.data.isoformat() if self.data else ""

    def process_data(self, value: Any) -> None:
        self.data = value
        # What the three boxes show before anything is posted, without leading zeros (5 1 2027).
        self.raw_data = [str(value.day), str(value.month), str(value.year)] if isinstance(value, date) else None

    def process_formdata(self, valuelist: list[Any]) -> None:
        parts = [str(value).strip() for value in valuelist[:3]]
        parts += [""] * (3 - len(parts))
        self.raw_data = parts  # the widget shows these back, exactly as typed
        self.data = None
        day, month, year = parts
        if not any(parts):
            if self.required:
                raise ValueError(f"Enter the {self.noun}")
            return
        missing = [name for name, part in zip(("day", "month", "year"), parts, strict=True) if not part]
        if missing:
            raise ValueError(f"The {self.noun} must include a {' and a '.join(missing)}")
        if not all(part.isdigit() for part in parts):
            raise ValueError(f"The {self.noun} must be a real date, in numbers, for example 27 3 2026")
        if len(year) != 4:
            raise ValueError(f"The year of the {self.noun} must have 4 numbers, for example 2026")
        try:
            self.data = date(int(year), int(month), int(day))
        except (ValueError, OverflowError):  # OverflowError: a day or month too big for a C int
            raise ValueError(f"The {self.noun} must be a real date") from None


class PlainName:
    """A name people can read: no control characters (NUL, escape codes; spaces, tabs and line
    breaks are tidied away by the service), and at least one letter, number or sign, so that a
    name is never only invisible characters such as zero-width spaces."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __call__(self, form: FlaskForm, field: Field) -> None:
        name = field.data or ""
        if any(unicodedata.category(character) == "Cc" and not character.isspace() for character in name):
            raise ValidationError("The name must only include letters, numbers, spaces and symbols")
        if not any(unicodedata.category(character)[0] in "LNPS" for character in name):
            raise ValidationError(f"Enter a name for the {self.what}")


def _name_field(what: str, example: str) -> StringField:
    return StringField(
        f"Name of the {what}",
        widget=GovTextInput(),
        filters=[_strip],
        description=f"For example, {example}",
        validators=[
            DataRequired(f"Enter a name for the {what}"),
            Length(max=MAX_NAME, message=f"The name must be {MAX_NAME} characters or fewer"),
            PlainName(what),
        ],
    )


class OrganisationForm(FlaskForm):
    name = _name_field("organisation", "Riverside Borough Council")


class DepartmentForm(FlaskForm):
    name = _name_field("department", "Housing Options")
    # The choices are every department it may go inside; anything else posted is left to the
    # service to refuse with a reason (validate_choice=False), rather than "Not a valid choice".
    parent = SelectField(
        "Which department is it part of?",
        widget=GovSelect(),
        coerce=optional_id,
        validate_choice=False,
        description="Results can be shown for a department and for the teams inside it.",
    )

    def set_parent_choices(self, departments: list[tuple[Any, int]]) -> None:
        """Fill the parent select from (department, depth) pairs, indenting the names by depth."""
        self.parent.choices = [("", "None: it is not part of another department")] + [
            (department.id, "\u2002" * 2 * depth + department.name) for department, depth in departments
        ]


class RoundForm(FlaskForm):
    name = _name_field("round", "Spring 2026")
    questionnaire = SelectField("Questionnaire", widget=GovSelect(), coerce=int,
                                validators=[InputRequired("Select a questionnaire")])
    opens_at = DateInputField(
        "Opening date",
        description="The round opens at the start of this day (UK time). For example, 27 3 2026",
    )
    closes_at = DateInputField(
        "Closing date",
        required=False,
        description="The round closes at the end of this day. Leave it empty to keep the round open "
        "until you close it.",
    )
    asks_desired = BooleanField(
        "Also ask where people would like their team to be",
        widget=GovCheckboxInput(),
        description="Each question is then asked twice: where the team is now, and where people would like it "
        "to be. This cannot be changed once anyone has started answering.",
    )

    closing_may_be_past = False

    def validate_closes_at(self, field: DateInputField) -> None:
        if field.data is None:
            return
        if self.opens_at.data is not None and field.data < self.opens_at.data:
            raise ValidationError("The closing date must be the same as or after the opening date")
        if not self.closing_may_be_past and field.data < today():
            raise ValidationError("The closing date must be today or in the future")


class EditRoundForm(RoundForm):
    """A round's questionnaire version is pinned when it is created; everything else can change."""

    questionnaire = None  # type: ignore[assignment]
    closing_may_be_past = True


class ConfirmForm(FlaskForm):
    """Only a CSRF token: the buttons that change something with one press."""
