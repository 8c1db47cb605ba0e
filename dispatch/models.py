"""Database models of the dispatch side: field data, plans and their history.

Field data: technicians (a login, a home base, skills, a region, a daily
maximum), their weekly shifts and day exceptions, and labs with a daily
cutoff. Plans: one :class:`DispatchPlan` per region and day, with immutable
:class:`PlanVersion` snapshots (every solve, edit or re-optimization makes a
new one), so the published version never changes under a technician's feet
and the audit trail can point at before and after. ``DispatchPlan.revision``
is bumped by a conditional UPDATE on every change: two coordinators editing
the same plan cannot overwrite each other.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.db_types import UTCDateTime, utcnow
from booking.extensions import db
from booking.models import Booking, Region, User

SHIFT_EXCEPTION_KINDS = ("day_off", "sick", "unavailable")


class Technician(db.Model):
    __tablename__ = "technicians"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    home_address: Mapped[str] = mapped_column(String(300))
    home_latitude: Mapped[float] = mapped_column(Float)
    home_longitude: Mapped[float] = mapped_column(Float)
    skills: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["phlebotomy"])
    max_visits: Mapped[int] = mapped_column(Integer, default=12)
    active: Mapped[bool] = mapped_column(default=True)

    user: Mapped[User] = relationship()
    region: Mapped[Region] = relationship()
    shifts: Mapped[list[Shift]] = relationship(
        cascade="all, delete-orphan", order_by="(Shift.weekday, Shift.starts)"
    )
    exceptions: Mapped[list[ShiftException]] = relationship(
        cascade="all, delete-orphan", order_by="ShiftException.day"
    )

    __table_args__ = (CheckConstraint("max_visits >= 0", name="max_visits_not_negative"),)


class Shift(db.Model):
    """A weekly shift in the region's local time (0 = Monday)."""

    __tablename__ = "technician_shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)

    __table_args__ = (
        UniqueConstraint("technician_id", "weekday", name="uq_technician_shifts_technician_weekday"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
    )


class ShiftException(db.Model):
    """A day a technician does not work (day off, sick, unavailable)."""

    __tablename__ = "shift_exceptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (
        UniqueConstraint("technician_id", "day", name="uq_shift_exceptions_technician_day"),
        CheckConstraint("kind IN ('day_off', 'sick', 'unavailable')", name="kind_known"),
    )


class Lab(db.Model):
    """Where specimens are dropped; arrival must be no later than the local ``cutoff``."""

    __tablename__ = "labs"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    cutoff: Mapped[time] = mapped_column(Time)
    active: Mapped[bool] = mapped_column(default=True)


class DispatchPlan(db.Model):
    """The plan of one region and day; its versions hold the routes."""

    __tablename__ = "dispatch_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    day: Mapped[date] = mapped_column(Date)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    current_number: Mapped[int | None] = mapped_column(Integer)
    published_number: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region] = relationship()
    __table_args__ = (UniqueConstraint("region_id", "day", name="uq_dispatch_plans_region_day"),)


class PlanVersion(db.Model):
    """An immutable snapshot of a plan: routes, stops, unassigned visits and how it came about."""

    __tablename__ = "plan_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("dispatch_plans.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    unavailable_technician_ids: Mapped[list[int]] = mapped_column(JSON, default=list)

    routes: Mapped[list[PlanRoute]] = relationship(
        cascade="all, delete-orphan", order_by="PlanRoute.technician_id"
    )
    stops: Mapped[list[PlanStop]] = relationship(
        cascade="all, delete-orphan", order_by="(PlanStop.technician_id, PlanStop.position)"
    )
    unassigned: Mapped[list[PlanUnassigned]] = relationship(
        cascade="all, delete-orphan", order_by="PlanUnassigned.booking_id"
    )

    __table_args__ = (UniqueConstraint("plan_id", "number", name="uq_plan_versions_plan_number"),)


class PlanRoute(db.Model):
    """One technician's day in a version: when they leave, the lab drop, totals."""

    __tablename__ = "plan_routes"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id", ondelete="CASCADE"), index=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    drive_seconds: Mapped[int] = mapped_column(Integer)
    distance_m: Mapped[int] = mapped_column(Integer)
    lab_id: Mapped[int | None] = mapped_column(ForeignKey("labs.id"))
    lab_arrival: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lab_eta: Mapped[datetime | None] = mapped_column(UTCDateTime)

    technician: Mapped[Technician] = relationship()
    lab: Mapped[Lab | None] = relationship()

    __table_args__ = (
        UniqueConstraint("version_id", "technician_id", name="uq_plan_routes_version_technician"),
    )


class PlanStop(db.Model):
    """One visit on a route: planned times, the arrival window shown, and a live ETA."""

    __tablename__ = "plan_stops"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id", ondelete="CASCADE"), index=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    arrival: Mapped[datetime] = mapped_column(UTCDateTime)
    service_start: Mapped[datetime] = mapped_column(UTCDateTime)
    departure: Mapped[datetime] = mapped_column(UTCDateTime)
    drive_seconds: Mapped[int] = mapped_column(Integer)
    distance_m: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    eta: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The live ETA's start of service: later than ``eta`` when the technician will be early and wait.
    eta_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pinned: Mapped[bool] = mapped_column(default=False)

    booking: Mapped[Booking] = relationship()
    technician: Mapped[Technician] = relationship()

    __table_args__ = (UniqueConstraint("version_id", "booking_id", name="uq_plan_stops_version_booking"),)


class StopReport(db.Model):
    """A technician's report on a stop (arrived, collected, no-show): when, and the status before it,
    so the last report can be undone for a few minutes and the board can say what was reported when."""

    __tablename__ = "stop_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str] = mapped_column(String(20))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PlanUnassigned(db.Model):
    """A visit the version does not serve, and why."""

    __tablename__ = "plan_unassigned"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id", ondelete="CASCADE"), index=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"))
    reason: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text, default="")
    pinned_technician_id: Mapped[int | None] = mapped_column(ForeignKey("technicians.id"))

    booking: Mapped[Booking] = relationship()


class PlanAudit(db.Model):
    """Every change to a plan: who, what, when, before and after."""

    __tablename__ = "plan_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("dispatch_plans.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    from_version: Mapped[int | None] = mapped_column(Integer)
    to_version: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


JOB_STATUSES = ("queued", "running", "succeeded", "failed")


class DispatchJob(db.Model):
    """A solve run off the request path; ``error`` says why it failed."""

    __tablename__ = "dispatch_jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    day: Mapped[date] = mapped_column(Date)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("dispatch_plans.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    backend: Mapped[str] = mapped_column(String(20))
    time_limit: Mapped[float] = mapped_column(Float)
    base_revision: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    result_version: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed')", name="status_known"),
    )
