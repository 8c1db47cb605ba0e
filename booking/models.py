"""Database models of the booking side (SQLAlchemy 2 typed models).

Rules that must hold under concurrency live here as database constraints:
one active booking per patient and monitoring month (a partial unique index),
never more bookings than places (``CapacityCounter`` with a CHECK), and one
stored response per caller and idempotency key.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.db_types import UTCDateTime, utcnow
from booking.extensions import db
from booking.states import INACTIVE_STATUSES


class Role(StrEnum):
    PATIENT = "patient"
    TECHNICIAN = "technician"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class VisitKind(StrEnum):
    SERVICE_CENTER = "service_center"
    HOME = "home"
    OFFICE = "office"
    PROVIDER = "provider"


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patients.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Carried in every token and page session; raising it ends them all at once
    # (sign-out, disabling, a new password or role).
    token_version: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    patient: Mapped[Patient | None] = relationship(back_populates="user")

    __table_args__ = (
        CheckConstraint("role IN ('patient', 'technician', 'coordinator', 'admin')", name="role_known"),
    )


class Patient(db.Model):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    time_zone: Mapped[str] = mapped_column(String(64))

    home_address: Mapped[str] = mapped_column(String(300))
    home_latitude: Mapped[float] = mapped_column(Float)
    home_longitude: Mapped[float] = mapped_column(Float)
    home_geo_precision: Mapped[str] = mapped_column(String(20))
    office_address: Mapped[str | None] = mapped_column(String(300))
    office_latitude: Mapped[float | None] = mapped_column(Float)
    office_longitude: Mapped[float | None] = mapped_column(Float)
    office_geo_precision: Mapped[str | None] = mapped_column(String(20))
    access_notes: Mapped[str | None] = mapped_column(Text)

    provider_name: Mapped[str | None] = mapped_column(String(200))
    provider_address: Mapped[str | None] = mapped_column(String(300))
    provider_phone: Mapped[str | None] = mapped_column(String(40))
    # What the provider's office charges the patient for a visit, in cents: one amount (min = max) or a
    # range that depends on the plan; None: not known (the pages say "may apply").
    provider_copay_min_cents: Mapped[int | None] = mapped_column(Integer)
    provider_copay_max_cents: Mapped[int | None] = mapped_column(Integer)
    # Part of the calendar feed's token: raising it makes every earlier feed address stop working.
    calendar_feed_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User | None] = relationship(back_populates="patient")
    courses: Mapped[list[TreatmentCourse]] = relationship(
        back_populates="patient",
        cascade="all, delete-orphan",
        order_by="TreatmentCourse.first_infusion",
    )
    bookings: Mapped[list[Booking]] = relationship(back_populates="patient")

    # The coordinators' lists are ordered by name and paged (booking.services.monitoring_lists).
    __table_args__ = (Index("ix_patients_last_name_id", "last_name", "id"),)


class TreatmentCourse(db.Model):
    __tablename__ = "treatment_courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    first_infusion: Mapped[date] = mapped_column(Date)
    last_infusion: Mapped[date] = mapped_column(Date)

    patient: Mapped[Patient] = relationship(back_populates="courses")

    __table_args__ = (CheckConstraint("last_infusion >= first_infusion", name="course_order"),)


class ServiceCenter(db.Model):
    __tablename__ = "service_centers"

    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(String(60), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(40))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    time_zone: Mapped[str] = mapped_column(String(64))
    slot_minutes: Mapped[int] = mapped_column(Integer, default=15)
    capacity_per_slot: Mapped[int] = mapped_column(Integer, default=2)
    active: Mapped[bool] = mapped_column(default=True)

    hours: Mapped[list[OpeningHours]] = relationship(
        cascade="all, delete-orphan", order_by="(OpeningHours.weekday, OpeningHours.opens)"
    )
    closures: Mapped[list[Closure]] = relationship(
        cascade="all, delete-orphan", order_by="Closure.start_date"
    )

    __table_args__ = (
        CheckConstraint("slot_minutes > 0", name="slot_minutes_positive"),
        CheckConstraint("capacity_per_slot > 0", name="capacity_positive"),
    )


class OpeningHours(db.Model):
    __tablename__ = "opening_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_center_id: Mapped[int] = mapped_column(
        ForeignKey("service_centers.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(Integer)
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)

    __table_args__ = (CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),)


class Closure(db.Model):
    __tablename__ = "closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_center_id: Mapped[int] = mapped_column(
        ForeignKey("service_centers.id", ondelete="CASCADE"), index=True
    )
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")


class Region(db.Model):
    """A home-visit service area: a circle around a point, with its days and hours."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    radius_km: Mapped[float] = mapped_column(Float)
    service_weekdays: Mapped[list[int]] = mapped_column(JSON, default=lambda: [0, 1, 2, 3, 4])
    service_start: Mapped[time] = mapped_column(Time)
    service_end: Mapped[time] = mapped_column(Time)
    window_minutes: Mapped[int] = mapped_column(Integer, default=120)
    daily_capacity: Mapped[int] = mapped_column(Integer, default=20)
    service_minutes: Mapped[int] = mapped_column(Integer, default=15)


class CapacityCounter(db.Model):
    """Places taken of a capacity (a center's slot, a region's day).

    Taking a place is one conditional UPDATE (``booked < capacity``), so two
    racing requests can never both get the last place.
    """

    __tablename__ = "capacity_counters"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        CheckConstraint("booked >= 0", name="booked_not_negative"),
        CheckConstraint("booked <= capacity", name="booked_within_capacity"),
    )


# Statuses that free the patient's month again.
# A booking in one of these no longer holds its month (see the partial unique index below).
_NOT_HOLDING = "status NOT IN (" + ", ".join(f"'{s}'" for s in INACTIVE_STATUSES) + ")"


class Booking(db.Model):
    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    monitoring_month: Mapped[date] = mapped_column(Date)
    service_center_id: Mapped[int | None] = mapped_column(ForeignKey("service_centers.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    time_zone: Mapped[str] = mapped_column(String(64))
    capacity_key: Mapped[str | None] = mapped_column(String(120))
    address: Mapped[str | None] = mapped_column(String(300))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    notes: Mapped[str | None] = mapped_column(Text)
    status_reason: Mapped[str | None] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    patient: Mapped[Patient] = relationship(back_populates="bookings")
    service_center: Mapped[ServiceCenter | None] = relationship()
    region: Mapped[Region | None] = relationship()
    events: Mapped[list[BookingEvent]] = relationship(
        back_populates="booking", order_by="BookingEvent.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index(
            "uq_bookings_one_active_per_month",
            "patient_id",
            "monitoring_month",
            unique=True,
            sqlite_where=text(_NOT_HOLDING),
            postgresql_where=text(_NOT_HOLDING),
        ),
        Index("ix_bookings_center_start", "service_center_id", "starts_at"),
        # "Who has a visit booked or done for month M / since month M" in the due and overdue lists.
        Index("ix_bookings_month_status_patient", "monitoring_month", "status", "patient_id"),
        CheckConstraint("kind IN ('service_center', 'home', 'office', 'provider')", name="kind_known"),
    )


class BookingEvent(db.Model):
    """The history of a booking: who did what, when, and what it was before."""

    __tablename__ = "booking_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    booking: Mapped[Booking] = relationship(back_populates="events")


class IdempotencyRecord(db.Model):
    """The first response to a create request, replayed for the same caller and key."""

    __tablename__ = "idempotency_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),)
