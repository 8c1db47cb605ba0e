"""The JSON shapes of plans and routes; local times in the region's zone.

A technician's route carries only what the visit needs of the patient: first
name and last initial, phone, address, access notes and what to collect, never
date of birth, e-mail or the monitoring history.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app

from booking import schedule
from booking.models import Booking, Patient, Region
from booking.slots import local_to_utc, zone_for
from dispatch.engine.validation import Violation
from dispatch.models import DispatchPlan, Lab, PlanRoute, PlanStop, PlanVersion, Technician
from dispatch.plans import etag
from dispatch.published import reported_states

TEST_LABELS = {
    "cbc_with_differential": "Blood: complete blood count with differential",
    "serum_creatinine": "Blood: serum creatinine",
    "urinalysis_with_cell_counts": "Urine: urinalysis with cell counts",
    "thyroid_function": "Blood: thyroid function panel",
}


def _local(value: datetime | None, region: Region) -> str | None:
    return value.astimezone(zone_for(region.time_zone)).isoformat() if value else None


def _tech_ref(tech: Technician) -> dict:
    return {"id": tech.id, "first_name": tech.user.first_name}


def version_view(plan: DispatchPlan, v: PlanVersion | None) -> dict:
    """A plan version for coordinators: every route, stop and unassigned visit."""
    region = plan.region
    body = {
        "id": plan.id,
        "region_id": plan.region_id,
        "date": plan.day.isoformat(),
        "time_zone": region.time_zone,
        "revision": plan.revision,
        "etag": etag(plan),
        "current_version": plan.current_number,
        "published_version": plan.published_number,
        "version": None,
        "routes": [],
        "unassigned": [],
    }
    if v is None:
        return body
    body["version"] = {
        "number": v.number,
        "source": v.source,
        "created_at": v.created_at.isoformat(),
        "published_at": v.published_at.isoformat() if v.published_at else None,
        "status": "published"
        if v.number == plan.published_number
        else ("draft" if v.number == plan.current_number else "superseded"),
        "stats": v.stats,
    }
    stops = {}
    for stop in v.stops:
        stops.setdefault(stop.technician_id, []).append(stop)
    reports = reported_states([s.booking_id for s in v.stops])
    for route in v.routes:
        body["routes"].append(
            {
                "technician": _tech_ref(route.technician),
                "starts_at": route.starts_at.isoformat(),
                "local_start": _local(route.starts_at, region),
                "local_end": _local(route.ends_at, region),
                "drive_minutes": round(route.drive_seconds / 60, 1),
                "distance_km": round(route.distance_m / 1000, 2),
                "lab_drop": _lab_drop(route, region),
                "stops": [
                    _stop_view(s, region, reports.get(s.booking_id))
                    for s in sorted(stops.get(route.technician_id, []), key=lambda s: s.position)
                ],
            }
        )
    body["unassigned"] = [
        {
            "booking_id": u.booking_id,
            "reason": u.reason,
            "message": u.message,
            "window": {
                "local_start": _local(u.booking.starts_at, region),
                "local_end": _local(u.booking.ends_at, region),
            },
        }
        for u in v.unassigned
    ]
    return body


def violation_view(violation: Violation, origin: datetime, region: Region) -> dict:
    """A broken rule as fields: booking, technician and lab ids, the times
    involved as local date-times, the counts; and the engine's sentence."""

    def at(seconds: int | None) -> str | None:
        return None if seconds is None else _local(origin + timedelta(seconds=seconds), region)

    def ident(key: str | None) -> int | None:
        return int(key[1:]) if key else None  # the day's keys: b12, t3, l1

    return {
        "kind": violation.kind,
        "message": violation.message,
        "booking_id": ident(violation.visit_id),
        "technician_id": ident(violation.technician_id),
        "lab_id": ident(violation.lab_id),
        "time": at(violation.time),
        "limit": at(violation.limit),
        "windows": [{"local_start": at(a), "local_end": at(b)} for a, b in violation.windows],
        "amount": violation.amount,
        "maximum": violation.maximum,
    }


def _lab_drop(route: PlanRoute, region: Region) -> dict | None:
    if route.lab is None:
        return None
    lab: Lab = route.lab
    return {
        "lab_id": lab.id,
        "name": lab.name,
        "address": lab.address,
        "planned_arrival": _local(route.lab_arrival, region),
        "eta": _local(route.lab_eta, region),
        "cutoff": lab.cutoff.isoformat(timespec="minutes"),
    }


def live_times(stop: PlanStop, region: Region) -> dict:
    """The stop's live ETA as an arrival and a start of service, and the wait between them (minutes)."""
    arrival = stop.eta or stop.arrival
    start = max(stop.eta_start or stop.service_start, arrival)
    return {
        "eta": _local(arrival, region),
        "eta_service_start": _local(start, region),
        "wait_minutes": int((start - arrival).total_seconds() // 60),
    }


def reported_view(report, region: Region) -> dict | None:
    """What the technician reported on the stop, and when (None before any report)."""
    if report is None:
        return None
    return {"status": report.status, "local_time": _local(report.reported_at, region)}


def leave_by(tech: Technician, first: PlanStop, day: date) -> datetime:
    """When to leave to reach the first stop ``LEAVE_BY_SLACK_MINUTES`` before its service must start
    (never before the shift starts)."""
    slack = timedelta(minutes=current_app.config["LEAVE_BY_SLACK_MINUTES"])
    start = first.eta_start or first.service_start
    latest = start - timedelta(seconds=first.drive_seconds) - slack
    zone = zone_for(tech.region.time_zone)
    shift = next((s for s in tech.shifts if s.weekday == day.weekday()), None)
    if shift is not None:
        latest = max(latest, local_to_utc(day, shift.starts, zone))
    return latest


def _stop_view(stop: PlanStop, region: Region, report=None) -> dict:
    booking = stop.booking
    return {
        "position": stop.position,
        "booking_id": stop.booking_id,
        "kind": booking.kind,
        "status": booking.status,
        "pinned": stop.pinned,
        "booked_window": {
            "local_start": _local(booking.starts_at, region),
            "local_end": _local(booking.ends_at, region),
        },
        "arrival_window": {
            "start": stop.window_start.isoformat(),
            "end": stop.window_end.isoformat(),
            "local_start": _local(stop.window_start, region),
            "local_end": _local(stop.window_end, region),
        },
        "planned_arrival": _local(stop.arrival, region),
        "service_start": _local(stop.service_start, region),
        "departure": _local(stop.departure, region),
        **live_times(stop, region),
        "reported": reported_view(report, region),
        "drive_minutes": round(stop.drive_seconds / 60, 1),
        "distance_km": round(stop.distance_m / 1000, 2),
        "latitude": booking.latitude,
        "longitude": booking.longitude,
    }


def what_to_collect(booking: Booking) -> list[str]:
    """The month's tests: blood and urine every month, thyroid every third month."""
    patient: Patient = booking.patient
    courses = [schedule.TreatmentCourse(c.first_infusion, c.last_infusion) for c in patient.courses]
    month = next(
        (m for m in schedule.monitoring_months(courses) if m.month == booking.monitoring_month), None
    )
    tests = month.tests if month else schedule.MONTHLY_TESTS
    return [TEST_LABELS.get(t, t) for t in tests]


def route_view(tech: Technician, plan: DispatchPlan | None, v: PlanVersion | None, day) -> dict:
    """A technician's published route of the day: what they need, nothing more."""
    region = tech.region
    body = {
        "technician": _tech_ref(tech),
        "date": day.isoformat(),
        "time_zone": region.time_zone,
        "published_version": v.number if v else None,
        "stops": [],
        "lab_drop": None,
        "starts_at": None,
        "leave_by": None,
        "drive_minutes": None,
    }
    if v is None:
        return body
    route = next((r for r in v.routes if r.technician_id == tech.id), None)
    if route is None:
        return body
    body.update(
        starts_at=_local(route.starts_at, region),
        drive_minutes=round(route.drive_seconds / 60, 1),
        lab_drop=_lab_drop(route, region),
    )
    stops = sorted((s for s in v.stops if s.technician_id == tech.id), key=lambda s: s.position)
    if stops:
        body["leave_by"] = _local(leave_by(tech, stops[0], day), region)
    reports = reported_states([s.booking_id for s in stops])
    for stop in stops:
        booking, patient = stop.booking, stop.booking.patient
        body["stops"].append(
            {
                "position": stop.position,
                "booking_id": booking.id,
                "kind": booking.kind,
                "status": booking.status,
                "arrival_window": {
                    "local_start": _local(stop.window_start, region),
                    "local_end": _local(stop.window_end, region),
                },
                **live_times(stop, region),
                "reported": reported_view(reports.get(stop.booking_id), region),
                "planned_arrival": _local(stop.arrival, region),
                "patient": {"name": f"{patient.first_name} {patient.last_name[:1]}.", "phone": patient.phone},
                "address": booking.address,
                "latitude": booking.latitude,
                "longitude": booking.longitude,
                "access_notes": patient.access_notes if booking.kind == "home" else None,
                "collect": what_to_collect(booking),
                "drive_minutes": round(stop.drive_seconds / 60, 1),
            }
        )
    return body


def technician_view(tech: Technician) -> dict:
    user = tech.user
    return {
        "id": tech.id,
        "user_id": tech.user_id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": tech.phone,
        "region_id": tech.region_id,
        "home_address": tech.home_address,
        "home_latitude": tech.home_latitude,
        "home_longitude": tech.home_longitude,
        "skills": list(tech.skills or []),
        "max_visits": tech.max_visits,
        "active": tech.active,
        "shifts": tech.shifts,
        "exceptions": tech.exceptions,
    }
