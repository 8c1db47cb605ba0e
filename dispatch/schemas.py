"""Marshmallow schemas of the dispatch API; inputs reject unknown fields."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from booking.extensions import ProblemSchema
from booking.passwords import MIN_PASSWORD_LENGTH, not_common
from booking.schemas import MAX_ID, AddressInSchema, Id, StrictSchema
from booking.states import REPORTED_STATUSES
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
    password = fields.String(
        required=True,
        load_only=True,
        validate=[validate.Length(min=MIN_PASSWORD_LENGTH, max=200), not_common],
    )
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


class JobProgressSchema(StrictSchema):
    phase = fields.String(
        metadata={"description": "'first plan': the construction's, before the search improves it"}
    )
    served = fields.Integer()
    unassigned = fields.Integer()
    seconds = fields.Float(metadata={"description": "When the engine had it, from the start of the solve"})


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
    summary = fields.Nested(
        "PlanStatsSchema", allow_none=True, metadata={"description": "The plan's figures"}
    )
    progress = fields.Nested(
        JobProgressSchema,
        attribute="summary.progress",
        allow_none=True,
        metadata={"description": "While the job runs: the plan so far"},
    )
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
    status = fields.String(required=True, validate=validate.OneOf(REPORTED_STATUSES))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))

    @validates_schema
    def _reason_for_no_show(self, data, **_):
        if data["status"] == "no_show" and not (data.get("reason") or "").strip():
            raise ValidationError("Say why the visit did not happen.", "reason")


# --- responses (documented so the OpenAPI document matches what is sent) ----------
# Every shape is typed, down to the stops: a change to what is sent is a change here.

LOCAL = {"description": "Local date-time in the region's zone (ISO 8601 with offset)"}


def _local(description: str = LOCAL["description"]) -> fields.String:
    return fields.String(allow_none=True, metadata={"format": "date-time", "description": description})


class LocalWindowSchema(StrictSchema):
    local_start = _local()
    local_end = _local()


class PlanArrivalWindowSchema(LocalWindowSchema):
    start = fields.String(metadata={"format": "date-time", "description": "UTC"})
    end = fields.String(metadata={"format": "date-time", "description": "UTC"})


class TechnicianRefSchema(StrictSchema):
    id = fields.Integer()
    first_name = fields.String()


class LabDropSchema(StrictSchema):
    lab_id = fields.Integer()
    name = fields.String()
    address = fields.String()
    planned_arrival = _local()
    eta = _local()
    cutoff = fields.String(metadata={"description": "Latest drop-off, local time (HH:MM)"})


class ReportedSchema(StrictSchema):
    status = fields.String(metadata={"description": "arrived, collected or no_show"})
    local_time = _local("When the technician reported it")


class LiveTimesSchema(StrictSchema):
    """A stop's live times, shared by the coordinator's plan and the technician's route."""

    eta = _local("Live arrival: reported times first, the plan otherwise")
    eta_service_start = _local("When service can start (after any wait for the window)")
    wait_minutes = fields.Integer(metadata={"description": "Minutes between arrival and service start"})
    reported = fields.Nested(ReportedSchema, allow_none=True)


class PlanStopSchema(LiveTimesSchema):
    position = fields.Integer()
    booking_id = fields.Integer()
    kind = fields.String()
    status = fields.String()
    pinned = fields.Boolean()
    booked_window = fields.Nested(LocalWindowSchema)
    arrival_window = fields.Nested(PlanArrivalWindowSchema, metadata={"description": "The window promised"})
    planned_arrival = _local()
    service_start = _local()
    departure = _local()
    drive_minutes = fields.Float()
    distance_km = fields.Float()
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)


class PlanRouteSchema(StrictSchema):
    technician = fields.Nested(TechnicianRefSchema)
    starts_at = fields.String(metadata={"format": "date-time", "description": "UTC"})
    local_start = _local()
    local_end = _local()
    drive_minutes = fields.Float()
    distance_km = fields.Float()
    lab_drop = fields.Nested(LabDropSchema, allow_none=True)
    stops = fields.List(fields.Nested(PlanStopSchema))


class UnassignedSchema(StrictSchema):
    booking_id = fields.Integer()
    reason = fields.String(
        metadata={
            "description": "no_skill, outside_shift, unreachable, no_capacity (no eligible technician's "
            "day has room), time_limit (the limit ran out before it was placed), or a coordinator's "
            "reason such as unassigned_by_coordinator, technician_unavailable, not_yet_planned"
        }
    )
    message = fields.String()
    window = fields.Nested(LocalWindowSchema)


class ViolationSchema(StrictSchema):
    """A broken rule: read the fields; ``message`` is the engine's sentence."""

    kind = fields.String(
        metadata={
            "description": "time_window, travel, service, shift, lab, max_visits, capacity, skill, pin, "
            "break, no_room, ..."
        }
    )
    message = fields.String()
    booking_id = fields.Integer(allow_none=True)
    technician_id = fields.Integer(allow_none=True)
    lab_id = fields.Integer(allow_none=True)
    time = _local("The moment at issue, local date-time")
    limit = _local("The bound it breaks, local date-time")
    windows = fields.List(fields.Nested(LocalWindowSchema), metadata={"description": "The visit's windows"})
    amount = fields.Integer(
        allow_none=True, metadata={"description": "Visits, load or seconds of travel needed"}
    )
    maximum = fields.Integer(
        allow_none=True, metadata={"description": "Maximum visits, capacity or seconds available"}
    )


class ViolationListSchema(StrictSchema):
    violations = fields.List(fields.Nested(ViolationSchema))


class ChangeRefusedSchema(ProblemSchema):
    """The 409 of a change that would break rules: problem details whose
    ``errors.violations`` lists them (and the other members any 409 may carry)."""

    class Meta:
        ordered = True

    errors = fields.Nested(ViolationListSchema)


class PlanStatsSchema(StrictSchema):
    solver_status = fields.String()
    solve_seconds = fields.Float()
    time_limit = fields.Float()
    seed = fields.Integer()
    objective = fields.Integer()
    visits = fields.Integer()
    served = fields.Integer()
    unassigned = fields.Integer()
    technicians_on_shift = fields.Integer()
    technicians_used = fields.Integer()
    drive_seconds = fields.Integer()
    distance_m = fields.Integer()
    drive_minutes_per_visit = fields.Float(allow_none=True)
    travel_source = fields.String()
    changed_windows = fields.Integer(allow_none=True)
    violations = fields.List(
        fields.Nested(ViolationSchema), metadata={"description": "Of a coordinator's edit"}
    )


class PlanVersionSchema(StrictSchema):
    number = fields.Integer()
    source = fields.String()
    created_at = fields.String(metadata={"format": "date-time"})
    published_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    status = fields.String(validate=validate.OneOf(("published", "draft", "superseded")))
    stats = fields.Nested(PlanStatsSchema)


class PlanSchema(StrictSchema):
    id = fields.Integer()
    region_id = fields.Integer()
    date = fields.String()
    time_zone = fields.String()
    revision = fields.Integer()
    etag = fields.String()
    current_version = fields.Integer(allow_none=True)
    published_version = fields.Integer(allow_none=True)
    version = fields.Nested(PlanVersionSchema, allow_none=True)
    routes = fields.List(fields.Nested(PlanRouteSchema))
    unassigned = fields.List(fields.Nested(UnassignedSchema))


class PatientRefSchema(StrictSchema):
    name = fields.String(metadata={"description": "First name and last initial"})
    phone = fields.String(allow_none=True)


class RouteStopSchema(LiveTimesSchema):
    position = fields.Integer()
    booking_id = fields.Integer()
    kind = fields.String()
    status = fields.String()
    arrival_window = fields.Nested(LocalWindowSchema)
    planned_arrival = _local()
    patient = fields.Nested(PatientRefSchema)
    address = fields.String(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    access_notes = fields.String(allow_none=True)
    collect = fields.List(fields.String())
    drive_minutes = fields.Float()


class RouteSchema(StrictSchema):
    technician = fields.Nested(TechnicianRefSchema)
    leave_by = fields.String(
        allow_none=True, metadata={"description": "Local time to leave, with LEAVE_BY_SLACK_MINUTES to spare"}
    )
    date = fields.String()
    time_zone = fields.String()
    published_version = fields.Integer(allow_none=True)
    starts_at = _local()
    drive_minutes = fields.Float(allow_none=True)
    lab_drop = fields.Nested(LabDropSchema, allow_none=True)
    stops = fields.List(fields.Nested(RouteStopSchema))


class AuditStateSchema(StrictSchema):
    """Before or after a change; only what the change touched is present."""

    technician_id = fields.Integer(allow_none=True)
    position = fields.Integer(allow_none=True)
    pinned = fields.Boolean(allow_none=True)
    available = fields.Boolean()
    version = fields.Integer(allow_none=True)
    published_version = fields.Integer(allow_none=True)
    served = fields.Integer()
    unassigned = fields.Integer()
    changed_windows = fields.Integer(allow_none=True)


class AuditDetailSchema(StrictSchema):
    booking_id = fields.Integer(allow_none=True)
    technician_id = fields.Integer(allow_none=True)
    before = fields.Nested(AuditStateSchema)
    after = fields.Nested(AuditStateSchema)
    override = fields.Boolean()
    violations = fields.List(fields.Nested(ViolationSchema))
    reason = fields.String(allow_none=True)


class AuditSchema(StrictSchema):
    id = fields.Integer()
    at = fields.String()
    actor_id = fields.Integer(allow_none=True)
    action = fields.String()
    from_version = fields.Integer(allow_none=True)
    to_version = fields.Integer(allow_none=True)
    detail = fields.Nested(AuditDetailSchema)
