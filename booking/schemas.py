"""Marshmallow schemas: what the API accepts and returns.

Input schemas reject unknown fields (marshmallow's default ``RAISE``) and never
declare server-owned fields (ids, status, owner), so a client cannot set them.
"""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import available_timezones

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from booking import input_guard
from booking.models import VisitKind
from booking.passwords import MIN_PASSWORD_LENGTH, not_common
from booking.states import ALL_STATUSES

_ZONES = frozenset(available_timezones())
KINDS = [k.value for k in VisitKind]


MAX_ID = 2**31 - 1


def Id(*, strict: bool = True, **kwargs) -> fields.Integer:
    """A database id given by a client: a positive 32-bit integer.

    In JSON bodies it must be a number (``strict``); in query strings it is text.
    """
    return fields.Integer(strict=strict, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def _check_zone(value: str) -> None:
    if value not in _ZONES:
        raise ValidationError("Not a known IANA time zone (e.g. America/New_York).")


class StrictSchema(Schema):
    """The base of every schema: unknown fields are refused, and every field gets the edge rules.

    ``booking.input_guard`` decides, for bodies and query strings alike, what text, dates, times
    and integers are accepted (no control characters, bounded lengths and ranges), so one
    place protects the database and the logs. Mark free text that may span lines with
    ``metadata={"multiline": True}``.
    """

    class Meta:
        ordered = True

    def on_bind_field(self, field_name, field_obj):
        input_guard.guard(field_obj)


class Rendered(list):
    """Response items a service already rendered to JSON values, in their schema's shape."""


class RenderedSchema(StrictSchema):
    """A response schema that sends :class:`Rendered` items as they are.

    For the hot lists (nearest centers, the coordinators' lists): the schema still documents
    the answer in OpenAPI, while the service's plain builder, which writes exactly the
    schema's fields, spares the per-field work of marshmallow on every row. Anything else is
    dumped as usual.
    """

    def dump(self, obj, *, many=None):
        if isinstance(obj, Rendered):
            return list(obj)
        return super().dump(obj, many=many)


# --- accounts -----------------------------------------------------------------


class TokenRequestSchema(StrictSchema):
    email = fields.Email(required=True)
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TokenSchema(StrictSchema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True)
    role = fields.String(required=True)
    user_id = fields.Integer(required=True)
    patient_id = fields.Integer(allow_none=True)


class UserSchema(StrictSchema):
    id = fields.Integer()
    email = fields.String()
    role = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    patient_id = fields.Integer(allow_none=True)
    active = fields.Boolean(attribute="is_active")


class UserUpdateSchema(StrictSchema):
    active = fields.Boolean(metadata={"description": "false: the account cannot sign in; its tokens end."})
    password = fields.String(
        load_only=True,
        validate=[validate.Length(min=MIN_PASSWORD_LENGTH, max=200), not_common],
        metadata={"description": "A new password; the account's tokens and sessions end."},
    )
    role = fields.String(
        validate=validate.OneOf(["coordinator", "admin"]),
        metadata={"description": "Staff accounts only; the account's tokens and sessions end."},
    )


class MeSchema(StrictSchema):
    id = fields.Integer()
    email = fields.String()
    role = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    patient_id = fields.Integer(allow_none=True)


# --- places -------------------------------------------------------------------


class AddressInSchema(StrictSchema):
    """An address; coordinates are optional and, when given, used as they are."""

    line = fields.String(required=True, validate=validate.Length(min=3, max=300))
    latitude = fields.Float(validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(validate=validate.Range(min=-180, max=180))

    @validates_schema
    def _both_or_neither(self, data, **_):
        if ("latitude" in data) != ("longitude" in data):
            raise ValidationError("Give both latitude and longitude, or neither.", "latitude")


class AddressSchema(StrictSchema):
    line = fields.String()
    latitude = fields.Float()
    longitude = fields.Float()
    precision = fields.String(metadata={"description": "client, zip_centroid or address"})


class ProviderSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    copay_min_cents = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, max=100_000),
        metadata={
            "description": "The office's co-pay for a visit, in cents (lowest, if it depends on the plan)."
        },
    )
    copay_max_cents = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, max=100_000),
        metadata={"description": "Highest co-pay in cents; omit for a single amount."},
    )

    @validates_schema
    def _range(self, data: dict, **_) -> None:
        low, high = data.get("copay_min_cents"), data.get("copay_max_cents")
        if high is not None and low is None:
            raise ValidationError("Give copay_min_cents too (the lowest co-pay).", "copay_min_cents")
        if low is not None and high is not None and high < low:
            raise ValidationError("Must not be below copay_min_cents.", "copay_max_cents")


class CourseSchema(StrictSchema):
    id = fields.Integer(dump_only=True)
    first_infusion = fields.Date(required=True)
    last_infusion = fields.Date(required=True)

    @validates_schema
    def _ordered(self, data, **_):
        if data["last_infusion"] < data["first_infusion"]:
            raise ValidationError("last_infusion is before first_infusion.", "last_infusion")


class LoginInSchema(StrictSchema):
    email = fields.Email(required=True)
    password = fields.String(
        required=True, validate=[validate.Length(min=MIN_PASSWORD_LENGTH, max=200), not_common]
    )


class PatientCreateSchema(StrictSchema):
    first_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    date_of_birth = fields.Date(load_default=None, allow_none=True)
    email = fields.Email(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    time_zone = fields.String(required=True, validate=[validate.Length(max=64), _check_zone])
    home_address = fields.Nested(AddressInSchema, required=True)
    office_address = fields.Nested(AddressInSchema, load_default=None, allow_none=True)
    access_notes = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=1000), metadata={"multiline": True}
    )
    provider = fields.Nested(ProviderSchema, load_default=None, allow_none=True)
    courses = fields.List(fields.Nested(CourseSchema), load_default=list)
    login = fields.Nested(
        LoginInSchema, load_default=None, allow_none=True, metadata={"description": "Optional patient login."}
    )


class PatientUpdateSchema(StrictSchema):
    first_name = fields.String(validate=validate.Length(min=1, max=100))
    last_name = fields.String(validate=validate.Length(min=1, max=100))
    date_of_birth = fields.Date(allow_none=True)
    email = fields.Email(allow_none=True)
    phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    time_zone = fields.String(validate=[validate.Length(max=64), _check_zone])
    home_address = fields.Nested(AddressInSchema)
    office_address = fields.Nested(AddressInSchema, allow_none=True)
    access_notes = fields.String(
        allow_none=True, validate=validate.Length(max=1000), metadata={"multiline": True}
    )
    provider = fields.Nested(ProviderSchema, allow_none=True)


class PatientSchema(StrictSchema):
    id = fields.Integer()
    first_name = fields.String()
    last_name = fields.String()
    date_of_birth = fields.Date(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    time_zone = fields.String()
    home_address = fields.Nested(AddressSchema)
    office_address = fields.Nested(AddressSchema, allow_none=True)
    access_notes = fields.String(allow_none=True)
    provider = fields.Nested(ProviderSchema, allow_none=True)
    courses = fields.List(fields.Nested(CourseSchema))
    has_login = fields.Boolean()


class PatientListArgsSchema(StrictSchema):
    q = fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "Part of the name."})


# --- schedule -------------------------------------------------------------------


class ScheduleEntrySchema(StrictSchema):
    month = fields.String(metadata={"description": "YYYY-MM"})
    index = fields.Integer()
    tests = fields.List(fields.String())
    skin_check_due = fields.Boolean()
    skin_check_done_on = fields.Date(
        allow_none=True,
        metadata={"description": "In a skin-check month: the check done in that program year."},
    )
    status = fields.String(validate=validate.OneOf(["upcoming", "booked", "completed", "overdue", "missed"]))
    booking_id = fields.Integer(allow_none=True)


class ScheduleMonthList(fields.List):
    """Schedule entries (``booking.services.monitoring.schedule_entries``) rendered by a plain builder.

    Documented in OpenAPI by its item schema. A schedule is 50 to 100 months of seven fields
    and the most requested answer of the API; dumping each entry through marshmallow cost
    more than building the schedule. The entries already hold JSON values except the
    skin-check date, so the builder copies the schema's fields and formats that one date.
    """

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return [
            {
                "month": entry["month"],
                "index": entry["index"],
                "tests": list(entry["tests"]),
                "skin_check_due": entry["skin_check_due"],
                "skin_check_done_on": _iso_or_none(entry["skin_check_done_on"]),
                "status": entry["status"],
                "booking_id": entry["booking_id"],
            }
            for entry in value
        ]


def _iso_or_none(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


class ScheduleSchema(StrictSchema):
    patient_id = fields.Integer()
    first_month = fields.String(allow_none=True)
    last_month = fields.String(allow_none=True)
    current_month = fields.String()
    months = ScheduleMonthList(fields.Nested(ScheduleEntrySchema))


class MonthField(fields.String):
    """A calendar month written YYYY-MM, loaded as the date of its first day."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        match = re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", text)
        if not match or not 1900 <= int(match[1]) <= 2999:
            raise ValidationError("Use YYYY-MM, with a year from 1900 to 2999.")
        return date(int(match[1]), int(match[2]), 1)


class MonthArgsSchema(StrictSchema):
    month = MonthField(
        metadata={"description": "YYYY-MM; default: the current month", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$"}
    )


class MonitoringFilterArgsSchema(StrictSchema):
    """Narrow a coordinators' list; the filters combine (AND)."""

    provider = fields.String(
        validate=validate.Length(min=1, max=200), metadata={"description": "The patient's provider, exactly."}
    )
    service_center_id = Id(strict=False, metadata={"description": "Patients who have booked at this center."})
    region_id = Id(
        strict=False,
        metadata={"description": "Patients who have booked a home or office visit in this region."},
    )


class DueArgsSchema(MonthArgsSchema, MonitoringFilterArgsSchema):
    pass


class DuePatientSchema(RenderedSchema):
    patient_id = fields.Integer()
    name = fields.String()
    phone = fields.String(allow_none=True)
    month = fields.String()
    status = fields.String()
    overdue_months = fields.List(fields.String())


# --- service centers ------------------------------------------------------------


class OpeningHoursSchema(StrictSchema):
    weekday = fields.Integer(
        required=True, validate=validate.Range(min=0, max=6), metadata={"description": "0 = Monday"}
    )
    opens = fields.Time(required=True)
    closes = fields.Time(required=True)

    @validates_schema
    def _ordered(self, data, **_):
        if data["closes"] <= data["opens"]:
            raise ValidationError("closes must be after opens.", "closes")


class ClosureSchema(StrictSchema):
    id = fields.Integer(dump_only=True)
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    reason = fields.String(load_default="", validate=validate.Length(max=200))

    @validates_schema
    def _ordered(self, data, **_):
        if data["end_date"] < data["start_date"]:
            raise ValidationError("end_date is before start_date.", "end_date")


class ServiceCenterCreateSchema(StrictSchema):
    network = fields.String(required=True, validate=validate.Length(min=1, max=60))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    address = fields.Nested(AddressInSchema, required=True)
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    time_zone = fields.String(required=True, validate=[validate.Length(max=64), _check_zone])
    slot_minutes = fields.Integer(load_default=15, validate=validate.Range(min=5, max=240))
    capacity_per_slot = fields.Integer(load_default=2, validate=validate.Range(min=1, max=100))
    hours = fields.List(fields.Nested(OpeningHoursSchema), required=True)


class ServiceCenterUpdateSchema(StrictSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    slot_minutes = fields.Integer(validate=validate.Range(min=5, max=240))
    capacity_per_slot = fields.Integer(validate=validate.Range(min=1, max=100))
    hours = fields.List(fields.Nested(OpeningHoursSchema))
    active = fields.Boolean()


class ServiceCenterSchema(RenderedSchema):
    id = fields.Integer()
    network = fields.String()
    name = fields.String()
    address = fields.String()
    phone = fields.String(allow_none=True)
    latitude = fields.Float()
    longitude = fields.Float()
    time_zone = fields.String()
    slot_minutes = fields.Integer()
    capacity_per_slot = fields.Integer()
    active = fields.Boolean()
    hours = fields.List(fields.Nested(OpeningHoursSchema))
    closures = fields.List(fields.Nested(ClosureSchema))
    distance_km = fields.Float(allow_none=True)


class CenterSearchArgsSchema(StrictSchema):
    near = fields.String(
        validate=validate.Length(min=3, max=300),
        metadata={"description": "An address, a US ZIP code, or 'lat,lon'."},
    )
    radius_km = fields.Float(validate=validate.Range(min=0.1, max=500))
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))
    network = fields.String(validate=validate.Length(min=1, max=60))


class RegionCreateSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    time_zone = fields.String(required=True, validate=[validate.Length(max=64), _check_zone])
    latitude = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    radius_km = fields.Float(required=True, validate=validate.Range(min=0.5, max=300))
    service_weekdays = fields.List(
        fields.Integer(validate=validate.Range(min=0, max=6)), load_default=lambda: [0, 1, 2, 3, 4]
    )
    service_start = fields.Time(required=True)
    service_end = fields.Time(required=True)
    window_minutes = fields.Integer(load_default=120, validate=validate.Range(min=30, max=480))
    daily_capacity = fields.Integer(load_default=20, validate=validate.Range(min=1, max=1000))
    service_minutes = fields.Integer(load_default=15, validate=validate.Range(min=5, max=120))

    @validates_schema
    def _ordered(self, data, **_):
        if data["service_end"] <= data["service_start"]:
            raise ValidationError("service_end must be after service_start.", "service_end")


class RegionSchema(RegionCreateSchema):
    id = fields.Integer()


# --- availability ---------------------------------------------------------------


class AvailabilityArgsSchema(StrictSchema):
    patient_id = Id(strict=False, metadata={"description": "Default: the calling patient."})
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    service_center_id = Id(strict=False, metadata={"description": "Required for kind=service_center."})
    start = fields.Date(data_key="from", required=True)
    end = fields.Date(data_key="to", required=True)


class OpeningSchema(StrictSchema):
    starts_at = fields.AwareDateTime(metadata={"description": "UTC"})
    ends_at = fields.AwareDateTime()
    local_start = fields.String(metadata={"description": "Local time with its UTC offset"})
    local_end = fields.String()
    places_left = fields.Integer(allow_none=True)


class PlaceRefSchema(StrictSchema):
    id = fields.Integer()
    name = fields.String()
    network = fields.String(allow_none=True)
    address = fields.String(allow_none=True)


class PreRenderedList(fields.List):
    """A list whose items the service already rendered to JSON values.

    Documented in OpenAPI by its item schema, serialised without per-field work.
    """

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else list(value)


class AvailabilitySchema(StrictSchema):
    patient_id = fields.Integer()
    kind = fields.String()
    time_zone = fields.String(allow_none=True)
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
    service_center = fields.Nested(PlaceRefSchema, allow_none=True)
    region = fields.Nested(PlaceRefSchema, allow_none=True)
    openings = PreRenderedList(fields.Nested(OpeningSchema))
    notice = fields.String(allow_none=True)
    copay_may_apply = fields.Boolean()
    time_agreed_with_provider = fields.Boolean()
    provider = fields.Nested(ProviderSchema, allow_none=True)


# --- bookings -------------------------------------------------------------------


class BookingCreateSchema(StrictSchema):
    patient_id = Id(metadata={"description": "Default: the calling patient."})
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    service_center_id = Id(metadata={"description": "Required for kind=service_center."})
    starts_at = fields.AwareDateTime(
        required=True,
        metadata={
            "description": "A slot or arrival-window start from /availability; for a provider visit, the time agreed with the provider."
        },
    )
    notes = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=1000), metadata={"multiline": True}
    )


class RescheduleSchema(StrictSchema):
    starts_at = fields.AwareDateTime(required=True)
    service_center_id = Id(metadata={"description": "Move to another center (service_center visits)."})


class CancelSchema(StrictSchema):
    reason = fields.String(load_default="", validate=validate.Length(max=300))


class TransitionSchema(StrictSchema):
    status = fields.String(required=True, validate=validate.OneOf(ALL_STATUSES))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))


class BookingListArgsSchema(StrictSchema):
    patient_id = Id(strict=False)
    service_center_id = Id(strict=False)
    day = fields.Date(data_key="date", metadata={"description": "Local day at the place."})
    status = fields.String(validate=validate.OneOf(ALL_STATUSES))


class ArrivalWindowSchema(StrictSchema):
    """The technician's arrival window of a published plan, inside the booked window."""

    start = fields.AwareDateTime()
    end = fields.AwareDateTime()
    local_start = fields.String()
    local_end = fields.String()


class BookingSchema(StrictSchema):
    id = fields.Integer()
    patient_id = fields.Integer()
    kind = fields.String()
    status = fields.String()
    status_reason = fields.String(allow_none=True)
    monitoring_month = fields.String(metadata={"description": "YYYY-MM"})
    service_center = fields.Nested(PlaceRefSchema, allow_none=True)
    region = fields.Nested(PlaceRefSchema, allow_none=True)
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime(allow_none=True)
    local_start = fields.String()
    local_end = fields.String(allow_none=True)
    time_zone = fields.String()
    address = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    notice = fields.String(allow_none=True)
    reschedule_until = fields.AwareDateTime(allow_none=True)
    cancel_until = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    # dispatch: shown once a plan with this visit is published
    technician_first_name = fields.String(allow_none=True)
    arrival_window = fields.Nested(ArrivalWindowSchema, allow_none=True)


class BookingEventSchema(StrictSchema):
    id = fields.Integer()
    at = fields.AwareDateTime()
    actor_id = fields.Integer(allow_none=True)
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    detail = fields.Dict(allow_none=True)
