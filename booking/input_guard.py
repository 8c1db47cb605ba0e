"""What every input field accepts, decided in one place: the base schema binds these to its fields.

Text that reaches the database must be storable and loggable as it is: no NUL (PostgreSQL
refuses it, and the failed statement used to be logged with its parameters), no other control
characters (``\\n``, ``\\r`` and ``\\t`` only in fields marked ``multiline``), no lone surrogates,
and a bounded length. Dates stay within years the date arithmetic and the columns can hold;
a local time carries no UTC offset, and an instant's offset is one some place on Earth uses.
Each refusal is a marshmallow error on the field, so the API answers 422 naming it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from marshmallow import ValidationError, fields, validate

# Over this, a text field without its own limit is refused: every real column is shorter.
DEFAULT_MAX_LENGTH = 1000
EMAIL_MAX_LENGTH = 254  # RFC 5321 path limit, and the users/patients column
EMAIL_LOCAL_MAX_LENGTH = 64
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)
# Offsets in use range from UTC-12:00 to UTC+14:00.
MIN_OFFSET, MAX_OFFSET = timedelta(hours=-12), timedelta(hours=14)
INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # an INTEGER column

_SURROGATES_AND_C1 = "\ud800-\udfff\x7f-\x9f"
_CONTROL = re.compile(f"[\x00-\x1f{_SURROGATES_AND_C1}]")
_CONTROL_BUT_LINES = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_SURROGATES_AND_C1}]")


class _TextLength(validate.Length):
    """A length limit that lets through what a String subclass turned into another type (a month)."""

    def __call__(self, value):
        return super().__call__(value) if isinstance(value, str) else value


def _no_control(pattern: re.Pattern) -> validate.Validator:
    def check(value: str) -> None:
        if isinstance(value, str) and pattern.search(value):
            raise ValidationError("Control characters are not allowed here.")

    return check


def _email_parts(value: str) -> None:
    if isinstance(value, str) and len(value.partition("@")[0]) > EMAIL_LOCAL_MAX_LENGTH:
        raise ValidationError(f"The part before @ may have at most {EMAIL_LOCAL_MAX_LENGTH} characters.")


def _day_in_range(value: date) -> None:
    day = value.date() if isinstance(value, datetime) else value
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError(f"Use a date from {FIRST_DAY.year} to {LAST_DAY.year}.")


def _real_offset(value: datetime) -> None:
    offset = value.utcoffset()
    if offset is not None and not MIN_OFFSET <= offset <= MAX_OFFSET:
        raise ValidationError("The UTC offset must be between -12:00 and +14:00.")


def _local_time(value: time) -> None:
    if value.tzinfo is not None:
        raise ValidationError("Give a local time without a UTC offset (e.g. 17:30).")


def _has_max_length(field: fields.Field) -> bool:
    return any(
        isinstance(v, (validate.OneOf, validate.Regexp))
        or (isinstance(v, validate.Length) and v.max is not None)
        for v in field.validators
    )


def guard(field: fields.Field) -> None:
    """Add the edge rules to one bound field (and to a list's items)."""
    if getattr(field, "_edge_guarded", False):
        return
    field._edge_guarded = True
    if isinstance(field, fields.List):
        guard(field.inner)
    elif isinstance(field, fields.String):
        multiline = field.metadata.get("multiline", False)
        field.validators.append(_no_control(_CONTROL_BUT_LINES if multiline else _CONTROL))
        if isinstance(field, fields.Email):
            field.validators.append(_TextLength(max=EMAIL_MAX_LENGTH))
            field.validators.append(_email_parts)
        elif not _has_max_length(field):
            field.validators.append(_TextLength(max=DEFAULT_MAX_LENGTH))
    elif isinstance(field, fields.DateTime):
        field.validators.extend([_day_in_range, _real_offset])
    elif isinstance(field, fields.Date):
        field.validators.append(_day_in_range)
    elif isinstance(field, fields.Time):
        field.validators.append(_local_time)
    elif isinstance(field, fields.Integer):
        _whole_numbers_only(field)
        if not any(isinstance(v, validate.Range) for v in field.validators):
            field.validators.append(validate.Range(min=INT_MIN, max=INT_MAX))


def _whole_numbers_only(field: fields.Integer) -> None:
    """A lenient integer (one that also reads query-string text) would truncate 1.5 to 1."""
    parse = field._validated

    def validated(value):
        if isinstance(value, float) and not value.is_integer():
            raise field.make_error("invalid")
        return parse(value)

    field._validated = validated
