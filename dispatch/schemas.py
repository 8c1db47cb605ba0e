"""Marshmallow schemas of the dispatch API; inputs reject unknown fields."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from booking.schemas import MAX_ID, AddressInSchema, Id, StrictSchema
from dispatch.models import SHIFT_EXCEPTION_KINDS

SKILL = fields.String(validate=validate.Length(min=1, max=40))


class ShiftSchema(StrictSchema):
    weekday = fields.Integer(
        required=True, validate=validate.Range(min=0, max=6), metadata={"description": "0 = Monday"}
    )
    starts = fields.Time(required=True, metadata={"description": "Local time of the region"})
    ends = fields.Time(required=True)

    @validates_schema
    def _ordered(self, data, **_):
        if data["ends"] <= data["starts"]:
            raise ValidationError("ends must be after starts.", "ends")


class ShiftsSchema(StrictSchema):
    shifts = fields.List(fields.Nested(ShiftSchema), required=True)

    @validates_schema
    def _one_per_day(self, data, **_):
        days = [s["weekday"] for s in data["shifts"]]
        if len(days) != len(set(days)):
            raise ValidationError("At most one shift per weekday.", "shifts")


class ShiftExceptionSchema(StrictSchema):
    id = fields.Integer(dump_only=True)
    day = fields.Date(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(SHIFT_EXCEPTION_KINDS))
    reason = fields.String(load_default="", validate=validate.Length(max=200))


class TechnicianCreateSchema(StrictSchema):
    email = fields.Email(required=True)
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=200))
    first_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    region_id = Id(required=True)
    home_base = fields.Nested(AddressInSchema, required=True)
    skills = fields.List(SKILL, load_default=lambda: ["phlebotomy"])
    max_visits = fields.Integer(load_default=12, validate=validate.Range(min=0, max=60))
    shifts = fields.List(fields.Nested(ShiftSchema), load_default=list)


class TechnicianUpdateSchema(StrictSchema):
    phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    region_id = Id()
    home_base = fields.Nested(AddressInSchema)
    skills = fields.List(SKILL)
    max_visits = fields.Integer(validate=validate.Range(min=0, max=60))
    active = fields.Boolean()


class TechnicianSchema(StrictSchema):
    id = fields.Integer()
    user_id = fields.Integer()
    email = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    phone = fields.String(allow_none=True)
    region_id = fields.Integer()
    home_address = fields.String()
    home_latitude = fields.Float()
    home_longitude = fields.Float()
    skills = fields.List(fields.String())
    max_visits = fields.Integer()
    active = fields.Boolean()
    shifts = fields.List(fields.Nested(ShiftSchema))
    exceptions = fields.List(fields.Nested(ShiftExceptionSchema))


class LabCreateSchema(StrictSchema):
    region_id = Id(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    address = fields.Nested(AddressInSchema, required=True)
    cutoff = fields.Time(required=True, metadata={"description": "Latest drop-off, local time"})


class LabUpdateSchema(StrictSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    cutoff = fields.Time()
    active = fields.Boolean()


class LabSchema(StrictSchema):
    id = fields.Integer()
    region_id = fields.Integer()
    name = fields.String()
    address = fields.String()
    latitude = fields.Float()
    longitude = fields.Float()
    cutoff = fields.Time()
    active = fields.Boolean()


# --- plans ------------------------------------------------------------------------


class PlanRequestSchema(StrictSchema):
    date = fields.Date(required=True)
    region_id = Id(required=True)
    time_limit = fields.Float(load_default=10.0, validate=validate.Range(min=0.5, max=600))
    seed = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**31 - 1))


class ReoptimizeSchema(StrictSchema):
    time_limit = fields.Float(load_default=10.0, validate=validate.Range(min=0.5, max=600))
    seed = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**31 - 1))


class PlanListArgsSchema(StrictSchema):
    date = fields.Date()
    region_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


class PlanArgsSchema(StrictSchema):
    version = fields.String(
        load_default="current",
        metadata={"description": "current, published or a version number"},
        validate=validate.Regexp(r"^(current|published|\d{1,6})$"),
    )


class JobSchema(StrictSchema):
    id = fields.String()
    kind = fields.String()
    status = fields.String()
    backend = fields.String()
    region_id = fields.Integer()
    date = fields.Date(attribute="day")
    plan_id = fields.Integer(allow_none=True)
    time_limit = fields.Float()
    error = fields.String(allow_none=True)
    result_version = fields.Integer(allow_none=True)
    summary = fields.Dict(allow_none=True)
    created_at = fields.AwareDateTime()
    started_at = fields.AwareDateTime(allow_none=True)
    finished_at = fields.AwareDateTime(allow_none=True)


ACTIONS = ("move", "pin", "unpin", "unassign", "technician_unavailable", "add_booking")


class ChangeSchema(StrictSchema):
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    booking_id = Id()
    technician_id = Id()
    position = fields.Integer(
        validate=validate.Range(min=0, max=500),
        metadata={"description": "0-based place on the route; default: the end"},
    )
    override = fields.Boolean(
        load_default=False, metadata={"description": "Apply even if it breaks windows, shifts or cutoffs"}
    )
    reason = fields.String(load_default="", validate=validate.Length(max=300))

    @validates_schema
    def _needs(self, data, **_):
        needs = {
            "move": ("booking_id", "technician_id"),
            "pin": ("booking_id",),
            "unpin": ("booking_id",),
            "unassign": ("booking_id",),
            "technician_unavailable": ("technician_id",),
            "add_booking": ("booking_id",),
        }[data["action"]]
        missing = [name for name in needs if data.get(name) is None]
        if missing:
            raise ValidationError(f"Required for action={data['action']}.", missing[0])


class RouteArgsSchema(StrictSchema):
    date = fields.Date(required=True)


class ProgressSchema(StrictSchema):
    status = fields.String(
        required=True, validate=validate.OneOf(("en_route", "arrived", "collected", "no_show"))
    )
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))

    @validates_schema
    def _reason_for_no_show(self, data, **_):
        if data["status"] == "no_show" and not (data.get("reason") or "").strip():
            raise ValidationError("Say why the visit did not happen.", "reason")


# --- responses (documented so the OpenAPI document matches what is sent) ----------


class PlanSchema(StrictSchema):
    id = fields.Integer()
    region_id = fields.Integer()
    date = fields.String()
    time_zone = fields.String()
    revision = fields.Integer()
    etag = fields.String()
    current_version = fields.Integer(allow_none=True)
    published_version = fields.Integer(allow_none=True)
    version = fields.Dict(allow_none=True, metadata={"description": "number, source, status, stats"})
    routes = fields.List(fields.Dict())
    unassigned = fields.List(fields.Dict())


class RouteSchema(StrictSchema):
    technician = fields.Dict()
    date = fields.String()
    time_zone = fields.String()
    published_version = fields.Integer(allow_none=True)
    starts_at = fields.String(allow_none=True)
    drive_minutes = fields.Float(allow_none=True)
    lab_drop = fields.Dict(allow_none=True)
    stops = fields.List(fields.Dict())


class AuditSchema(StrictSchema):
    id = fields.Integer()
    at = fields.String()
    actor_id = fields.Integer(allow_none=True)
    action = fields.String()
    from_version = fields.Integer(allow_none=True)
    to_version = fields.Integer(allow_none=True)
    detail = fields.Dict()
