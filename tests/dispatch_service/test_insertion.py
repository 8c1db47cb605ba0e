"""Travel-aware availability: the insertion check on hand-checkable routes, and through the booking API."""

from __future__ import annotations

from datetime import time

from booking.extensions import db
from booking.models import Booking
from dispatch.insertion import Call, FleetRoute, LabStop, build_fleet_day
from dispatch.travel import GeodesicTravel

HOUR = 3600
# One degree of latitude is ~111 km; at 36 km/h and circuity 1 that is ~11,100 s. Use small steps.
TRAVEL = GeodesicTravel(circuity=1.0, speed_kmh=36.0)  # 10 m/s
ORIGIN = (40.0, -74.0)


def north(km: float) -> tuple[float, float]:
    return (ORIGIN[0] + km / 111.195, ORIGIN[1])


def route(max_visits=10, shift=(8 * HOUR, 17 * HOUR)) -> FleetRoute:
    return FleetRoute("t1", ORIGIN, shift[0], shift[1], max_visits)


def call(key, km, start_h, end_h, service=900) -> Call:
    return Call(key, north(km), int(start_h * HOUR), int(end_h * HOUR), service)


def test_visit_fits_when_it_keeps_every_window():
    """A visit on the way between two booked ones, inside its window, is insertable."""
    day = build_fleet_day([route()], [], [call("a", 0, 8, 10), call("b", 36, 12, 14)], TRAVEL)
    assert day.unplaced == []
    assert day.can_insert(call("x", 18, 10, 12))


def test_visit_that_would_make_the_next_stop_late_is_refused():
    """Inserting a 2-hour service before a tight later window is refused, though the new window is free."""
    day = build_fleet_day([route()], [], [call("a", 0, 8, 8.5), call("b", 0, 9, 9.25)], TRAVEL)
    assert not day.can_insert(call("x", 18, 8, 9, service=2 * HOUR))  # 30 min each way + 2 h: b is missed
    assert day.can_insert(call("y", 18, 9.5, 12))  # after b there is room


def test_lab_cutoff_and_shift_end_bound_the_day():
    """A late visit is refused when the technician could no longer reach the lab before its cutoff."""
    lab = LabStop(north(36), 15 * HOUR)  # an hour's drive north of home, cutoff 15:00
    day = build_fleet_day([route()], [lab], [], TRAVEL)
    assert day.can_insert(call("early", 0, 12, 13))  # done 13:15, at the lab 14:15
    assert not day.can_insert(call("late", 0, 14, 16))  # done 14:15 at best, at the lab 15:15


def test_daily_maximum_is_respected():
    """A technician at their maximum visits takes no more, whatever the room in the day."""
    day = build_fleet_day([route(max_visits=1)], [], [call("a", 0, 8, 10)], TRAVEL)
    assert not day.can_insert(call("x", 0, 12, 14))


def _offered(client, headers, day):
    response = client.get(
        "/api/v1/availability",
        headers=headers,
        query_string={"kind": "home", "from": day.isoformat(), "to": day.isoformat()},
    )
    assert response.status_code == 200, response.json
    return [o["local_start"][11:16] for o in response.json["openings"]]


def test_availability_offers_only_windows_the_fleet_can_serve(client, coordinator, field, world):
    """With one technician working 08:00-12:00 only the morning windows are offered, and none once full."""
    field.technician(starts=time(8, 0), ends=time(12, 0), max_visits=1)
    _, patient = world.patient_login()
    assert _offered(client, patient, field.day) == ["08:00", "10:00"]
    field.booking(hour=8)
    assert _offered(client, patient, field.day) == []


def test_booking_a_window_the_fleet_cannot_serve_is_409_and_writes_nothing(
    client, coordinator, field, world, app
):
    """Booking the afternoon when no technician works then is refused, and the day's place is given back."""
    field.technician(starts=time(8, 0), ends=time(12, 0))
    patient = world.patient()
    starts, _ = field.window(14)
    response = client.post(
        "/api/v1/bookings",
        headers=coordinator,
        json={"patient_id": patient, "kind": "home", "starts_at": starts.isoformat()},
    )
    assert response.status_code == 409 and "No technician can reach" in response.json["detail"]
    with app.app_context():
        assert (
            db.session.scalar(db.select(db.func.count(Booking.id)).where(Booking.patient_id == patient)) == 0
        )
    morning, _ = field.window(10)
    ok = client.post(
        "/api/v1/bookings",
        headers=coordinator,
        json={"patient_id": patient, "kind": "home", "starts_at": morning.isoformat()},
    )
    assert ok.status_code == 201, ok.json


def test_region_without_technicians_keeps_the_daily_capacity_rule(client, coordinator, world):
    """A region not yet dispatched (no technicians at all) still offers its windows by daily capacity."""
    from tests.dispatch_service.conftest import working_day

    world.region(daily_capacity=3, weekdays=(0, 1, 2, 3, 4))
    _, patient = world.patient_login()
    assert _offered(client, patient, working_day()) == ["08:00", "10:00", "12:00", "14:00"]
