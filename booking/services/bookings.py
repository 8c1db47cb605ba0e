"""Booking, rescheduling and cancelling a monthly lab visit.

Every change happens in one transaction: the place is taken (or given back) by
the capacity counters and the booking row is written together, so a failure
leaves nothing half-written. "One active booking per patient and monitoring
month" is the database's partial unique index; the check here only gives a
friendlier message first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy.exc import IntegrityError

from booking import schedule
from booking.auth import is_staff
from booking.errors import Conflict, NotFound, Unprocessable
from booking.extensions import db
from booking.models import INACTIVE_STATUSES, Booking, BookingEvent, Patient, User
from booking.program import outreach, reminders
from booking.services import availability as av
from booking.services import capacity
from booking.services.monitoring import month_label
from booking.states import FIELD_KINDS, NOT_STARTED_STATUSES, check_transition, initial_status, is_open
from dispatch.published import published_visit


@dataclass(frozen=True)
class Placement:
    """Where and when a visit happens, and which capacity it takes a place of."""

    starts_at: datetime
    ends_at: datetime | None
    time_zone: str
    service_center_id: int | None = None
    region_id: int | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    capacity_key: str | None = None
    capacity: int = 0
    full_message: str = ""


def visible_booking(user: User, booking_id: int) -> Booking:
    """:raise NotFound: (404) unknown, or another patient's booking."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or (not is_staff(user) and booking.patient_id != user.patient_id):
        raise NotFound(f"Booking {booking_id} not found.")
    return booking


def locked(booking: Booking) -> Booking:
    """``booking`` locked until the transaction ends, and re-read, so its status is the committed one.

    Every change of a booking starts here, before it reads the status it
    decides on: two cancels (or a cancel and a reschedule) of one booking then
    run one after the other, and the second sees what the first did and is
    refused, instead of both releasing the place. PostgreSQL: ``SELECT … FOR
    UPDATE`` (the concurrent one waits, then reads the new row); SQLite: every
    transaction already holds the write lock from BEGIN IMMEDIATE. Lock order is
    the booking row first, then capacity counters in key order.
    """
    return db.session.get(Booking, booking.id, with_for_update=True, populate_existing=True)


def _not_an_opening(kind: str) -> Unprocessable:
    what = "slot of this service center" if kind == "service_center" else "arrival window offered here"
    return Unprocessable(
        f"starts_at is not a {what}; pick one from /api/v1/availability.",
        errors={"starts_at": [f"Not a {what}."]},
    )


def _opening_at(grid: list, starts_at: datetime, kind: str):
    """The slot or window of ``grid`` starting at ``starts_at``; :raise Unprocessable: none does."""
    found = next((s for s in grid if s.start == starts_at), None)
    if found is None:
        raise _not_an_opening(kind)
    return found


def place_visit(patient: Patient, kind: str, starts_at: datetime, center_id: int | None) -> Placement:
    """Check that ``starts_at`` is bookable for ``kind`` and say where it takes a place.

    :raise Unprocessable: (422) in the past, not on the grid, no such site.
    :raise NotFound: (404) unknown service center.
    """
    if starts_at <= av.now_utc():
        raise Unprocessable("starts_at is in the past.", errors={"starts_at": ["Must be in the future."]})
    if kind == "service_center":
        center = av.active_center(center_id)
        day = av.local_day(starts_at, center.time_zone)
        slot = _opening_at(av.center_grid(center, day, day), starts_at, kind)
        return Placement(
            slot.start,
            slot.end,
            center.time_zone,
            service_center_id=center.id,
            address=center.address,
            latitude=center.latitude,
            longitude=center.longitude,
            capacity_key=capacity.center_slot_key(center.id, slot.start),
            capacity=center.capacity_per_slot,
            full_message="This slot is fully booked; pick another one.",
        )
    if center_id is not None:
        raise Unprocessable(
            f"service_center_id does not apply to a {kind} visit.",
            errors={"service_center_id": [f"Not allowed for kind={kind}."]},
        )
    if kind in ("home", "office"):
        site = av.visit_site(patient, kind)
        region = site.region
        day = av.local_day(starts_at, region.time_zone)
        window = _opening_at(av.region_grid(region, day, day), starts_at, kind)
        lead = av.home_visit_lead()
        if window.start < av.now_utc() + lead:
            hours = int(lead.total_seconds() // 3600)
            raise Unprocessable(
                f"A {kind} visit must be booked at least {hours} hours before its window; "
                "pick a later window or a service center.",
                errors={"starts_at": [f"Less than {hours} hours ahead."]},
            )
        return Placement(
            window.start,
            window.end,
            region.time_zone,
            region_id=region.id,
            address=site.address,
            latitude=site.latitude,
            longitude=site.longitude,
            capacity_key=capacity.region_day_key(region.id, day),
            capacity=region.daily_capacity,
            full_message="No more mobile visits can be booked on this day; pick another day.",
        )
    provider = av.provider_of(patient)
    return Placement(starts_at, None, patient.time_zone, address=provider["address"])


def _monitoring_month(patient: Patient, placement: Placement) -> date:
    """:raise Unprocessable: (422) the visit's month is outside the monitoring schedule."""
    month = schedule.month_of(av.local_day(placement.starts_at, placement.time_zone))
    courses = [schedule.TreatmentCourse(c.first_infusion, c.last_infusion) for c in patient.courses]
    window = schedule.monitoring_window(courses)
    if window is None or not window[0] <= month <= window[1]:
        raise Unprocessable(
            f"{month_label(month)} is not a monitoring month for this patient.",
            errors={"starts_at": ["Outside the patient's monitoring schedule."]},
        )
    return month


def _active_in_month(patient_id: int, month: date, exclude: int | None = None) -> Booking | None:
    query = db.select(Booking).where(
        Booking.patient_id == patient_id,
        Booking.monitoring_month == month,
        Booking.status.not_in(INACTIVE_STATUSES),
    )
    if exclude is not None:
        query = query.where(Booking.id != exclude)
    return db.session.scalars(query).first()


def _month_taken(month: date) -> Conflict:
    return Conflict(
        f"The patient already has a lab visit for {month_label(month)}; reschedule or cancel it instead."
    )


def _apply(booking: Booking, placement: Placement) -> None:
    booking.starts_at, booking.ends_at = placement.starts_at, placement.ends_at
    booking.time_zone = placement.time_zone
    booking.service_center_id, booking.region_id = placement.service_center_id, placement.region_id
    booking.address, booking.latitude, booking.longitude = (
        placement.address,
        placement.latitude,
        placement.longitude,
    )
    booking.capacity_key = placement.capacity_key


def _take(placement: Placement, booking_id: int | None = None) -> None:
    if placement.capacity_key:
        capacity.take_place(placement.capacity_key, placement.capacity, full_message=placement.full_message)
    if placement.region_id is not None:
        # dispatch: after the day's counter row is taken (and locked), check the fleet can still reach it
        from dispatch.fleet import ensure_servable  # cycle: dispatch.fleet imports change_status from here

        ensure_servable(
            placement.region_id,
            placement.starts_at,
            placement.ends_at,
            placement.latitude,
            placement.longitude,
            exclude_booking=booking_id,
        )


def _move_place(old_key: str | None, placement: Placement, booking_id: int) -> None:
    """Give back ``old_key`` and take the new place, touching the two counters in key order.

    Two reschedules crossing between the same two slots would otherwise each
    hold one counter and wait for the other's (a deadlock on PostgreSQL).
    """
    new_key = placement.capacity_key
    if old_key and new_key and new_key < old_key:
        _take(placement, booking_id)
        capacity.release_place(old_key)
    else:
        capacity.release_place(old_key)
        _take(placement, booking_id)


def create_booking(actor: User, patient: Patient, data: dict) -> Booking:
    """Reserve the visit and record it; flushed, not committed (the caller commits).

    :raise Conflict: (409) the place is full, or the month already has a booking.
    """
    kind = data["kind"]
    placement = place_visit(patient, kind, data["starts_at"], data.get("service_center_id"))
    month = _monitoring_month(patient, placement)
    if _active_in_month(patient.id, month):
        raise _month_taken(month)
    _take(placement)
    booking = Booking(
        patient_id=patient.id,
        kind=kind,
        status=initial_status(kind),
        monitoring_month=month,
        notes=data.get("notes"),
        created_by_id=actor.id,
    )
    _apply(booking, placement)
    booking.events.append(
        BookingEvent(
            actor_id=actor.id,
            action="created",
            to_status=booking.status,
            detail={"starts_at": placement.starts_at.isoformat()},
        )
    )
    db.session.add(booking)
    flush_or_conflict(month)
    if placement.region_id is not None:
        # dispatch: once the day's plan is published, the visit joins its routes (or is refused)
        from dispatch.fleet import place_in_published  # cycle: as above

        place_in_published(booking, actor)
    reminders.booking_created(booking)
    outreach.on_booked(booking, actor)
    return booking


def flush_or_conflict(month: date) -> None:
    """Flush, turning the one-booking-per-month index into a 409."""
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise _month_taken(month) from exc


def _check_cutoff(actor: User, booking: Booking, hours_key: str, what: str) -> None:
    """Patients may change a visit only up to a configured cutoff; staff may always."""
    if is_staff(actor):
        return
    deadline = booking.starts_at - timedelta(hours=current_app.config[hours_key])
    if av.now_utc() > deadline:
        raise Conflict(
            f"A visit can be {what} online only until {current_app.config[hours_key]} hours "
            "before it starts; please call your coordinator.",
            deadline=deadline.isoformat(),
        )


def reschedule_booking(actor: User, booking: Booking, data: dict) -> Booking:
    """Move a visit to another time (and center), giving back the old place in the same transaction.

    :raise Conflict: (409) past the cutoff, not reschedulable in its status, new place full.
    """
    booking = locked(booking)
    if booking.status not in NOT_STARTED_STATUSES:
        raise Conflict(
            f"A booking in status '{booking.status}' cannot be rescheduled.", current_status=booking.status
        )
    _check_cutoff(actor, booking, "RESCHEDULE_CUTOFF_HOURS", "rescheduled")
    center_id = data.get("service_center_id", booking.service_center_id)
    if booking.kind != "service_center":
        center_id = data.get("service_center_id")
    placement = place_visit(booking.patient, booking.kind, data["starts_at"], center_id)
    month = _monitoring_month(booking.patient, placement)
    if _active_in_month(booking.patient_id, month, exclude=booking.id):
        raise _month_taken(month)
    before = {"starts_at": booking.starts_at.isoformat(), "service_center_id": booking.service_center_id}
    left_from = (booking.region_id, av.local_day(booking.starts_at, booking.time_zone), booking.starts_at)
    _move_place(booking.capacity_key, placement, booking.id)
    _apply(booking, placement)
    booking.monitoring_month = month
    previous = booking.status
    if booking.status == "assigned":
        booking.status = "confirmed"  # the technician's route no longer holds it
    booking.events.append(
        BookingEvent(
            actor_id=actor.id,
            action="rescheduled",
            from_status=previous,
            to_status=booking.status,
            detail={
                "before": before,
                "after": {
                    "starts_at": placement.starts_at.isoformat(),
                    "service_center_id": placement.service_center_id,
                },
            },
        )
    )
    flush_or_conflict(month)
    if booking.kind in FIELD_KINDS and left_from[2] != booking.starts_at:
        # dispatch: off the old day's published routes (no technician sent at the old time), onto the
        # new day's if it is published already
        from dispatch.fleet import leave_published, place_in_published  # cycle: as above

        leave_published(booking, left_from[0], left_from[1], actor)
        place_in_published(booking, actor)
    reminders.booking_moved(booking, booking.events[-1])
    return booking


def change_status(actor: User, booking: Booking, new_status: str, reason: str | None) -> Booking:
    """Move a booking along its state machine; a cancel gives its place back.

    The booking is locked and re-read first (:func:`locked`), so of two racing
    changes the second one sees the first one's status: a place is given back
    once, by the change that made the booking inactive. A cancel forgets its
    place; a no-show keeps its ``capacity_key`` (the place it held) so that a
    technician's undo can take it again (:func:`take_back_place`).

    :raise Conflict: (409) the transition is not allowed (or past the cancel cutoff).
    """
    booking = locked(booking)
    check_transition(booking.kind, booking.status, new_status)
    if new_status == "cancelled":
        _check_cutoff(actor, booking, "CANCEL_CUTOFF_HOURS", "cancelled")
    if new_status in INACTIVE_STATUSES and booking.status not in INACTIVE_STATUSES:
        capacity.release_place(booking.capacity_key)
    if new_status == "cancelled":
        booking.capacity_key = None
    previous = booking.status
    booking.status = new_status
    booking.status_reason = reason or None
    booking.events.append(
        BookingEvent(
            actor_id=actor.id,
            action="status",
            from_status=previous,
            to_status=new_status,
            detail={"reason": reason} if reason else None,
        )
    )
    db.session.flush()
    reminders.status_changed(booking, previous)
    return booking


def take_back_place(booking: Booking) -> None:
    """Take again the place a no-show gave back, as an undone no-show becomes active again.

    :raise Conflict: (409) the place was given to someone else meanwhile.
    """
    if booking.capacity_key and not capacity.take_back_place(booking.capacity_key):
        raise Conflict(
            "The place this visit held has been booked by someone else meanwhile; book the visit again.",
            current_status=booking.status,
        )


def booking_view(booking: Booking) -> dict:
    """The API shape of a booking, with local times and the patient's change deadlines."""
    zone = av.zone_for(booking.time_zone)
    config = current_app.config
    place = None
    if booking.service_center is not None:
        place = av.center_ref(booking.service_center)
    open_ = is_open(booking.status)
    return {
        "id": booking.id,
        "patient_id": booking.patient_id,
        "kind": booking.kind,
        "status": booking.status,
        "status_reason": booking.status_reason,
        "monitoring_month": month_label(booking.monitoring_month),
        "service_center": place,
        "region": av.region_ref(booking.region) if booking.region is not None else None,
        "starts_at": booking.starts_at,
        "ends_at": booking.ends_at,
        "local_start": booking.starts_at.astimezone(zone).isoformat(),
        "local_end": booking.ends_at.astimezone(zone).isoformat() if booking.ends_at else None,
        "time_zone": booking.time_zone,
        "address": booking.address,
        "notes": booking.notes,
        "notice": av.PROVIDER_NOTICE if booking.kind == "provider" else None,
        "reschedule_until": booking.starts_at - timedelta(hours=config["RESCHEDULE_CUTOFF_HOURS"])
        if open_
        else None,
        "cancel_until": booking.starts_at - timedelta(hours=config["CANCEL_CUTOFF_HOURS"]) if open_ else None,
        "created_at": booking.created_at,
        "updated_at": booking.updated_at,
        # dispatch: the technician and arrival window of the published plan, if any
        **published_visit(booking),
    }
