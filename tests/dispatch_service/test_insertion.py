"""Travel-aware availability: the insertion check on hand-checkable routes, and through the booking API."""

from __future__ import annotations

from datetime import time

from booking.extensions import db
from booking.models import Booking
from dispatch.engine.insertion import Candidate, day_routes
from dispatch.engine.problem import DispatchProblem, Lab, Technician, TimeWindow, TravelMatrix, Visit

HOUR = 3600
SKILLS = frozenset({"phlebotomy"})


def world(visits, *, labs=(), max_visits=10, shift=(8 * HOUR, 17 * HOUR), skills=SKILLS):
    """Points on a line, ``km`` from the technician's home at 10 m/s (100 s per km); location 0 is home.

    ``visits`` are (id, km, start hour, end hour, service seconds); ``labs`` are (km, cutoff hour).
    """
    kms = [0.0] + [v[1] for v in visits] + [lab[0] for lab in labs]
    durations = [[round(abs(a - b) * 100) for b in kms] for a in kms]
    return DispatchProblem(
        visits=tuple(
            Visit(v[0], i + 1, (TimeWindow(int(v[2] * HOUR), int(v[3] * HOUR)),), v[4], SKILLS)
            for i, v in enumerate(visits)
        ),
        technicians=(
            Technician("t1", 0, TimeWindow(*shift), skills=frozenset(skills), max_visits=max_visits),
        ),
        matrix=TravelMatrix(durations),
        labs=tuple(
            Lab(f"l{k}", len(visits) + 1 + k, int(cutoff * HOUR)) for k, (_, cutoff) in enumerate(labs)
        ),
    ), kms


def candidate(kms, km, start_h, end_h, service=900) -> Candidate:
    row = [round(abs(km - other) * 100) for other in kms]
    return Candidate("x", int(start_h * HOUR), int(end_h * HOUR), service, SKILLS, row, row)


def test_visit_fits_when_it_keeps_every_window():
    """A visit on the way between two booked ones, inside its window, is insertable."""
    problem, kms = world([("a", 0, 8, 10, 900), ("b", 36, 12, 14, 900)])
    day = day_routes(problem, None, ["a", "b"])
    assert day.unplaced == []
    assert day.can_insert(candidate(kms, 18, 10, 12))


def test_visit_that_would_make_the_next_stop_late_is_refused():
    """Inserting a 2-hour service before a tight later window is refused, though the new window is free."""
    problem, kms = world([("a", 0, 8, 8.5, 900), ("b", 0, 9, 9.25, 900)])
    day = day_routes(problem, None, ["a", "b"])
    assert not day.can_insert(candidate(kms, 18, 8, 9, service=2 * HOUR))  # 30 min each way + 2 h
    assert day.can_insert(candidate(kms, 18, 9.5, 12))  # after b there is room


def test_lab_cutoff_and_shift_end_bound_the_day():
    """A late visit is refused when the technician could no longer reach the lab before its cutoff."""
    problem, kms = world([], labs=[(36, 15)])  # an hour's drive from home, cutoff 15:00
    day = day_routes(problem, None, [])
    assert day.can_insert(candidate(kms, 0, 12, 13))  # done 13:15, at the lab 14:15
    assert not day.can_insert(candidate(kms, 0, 14, 16))  # done 14:15 at best, at the lab 15:15


def test_daily_maximum_is_respected():
    """A technician at their maximum visits takes no more, whatever the room in the day."""
    problem, kms = world([("a", 0, 8, 10, 900)], max_visits=1)
    day = day_routes(problem, None, ["a"])
    assert not day.can_insert(candidate(kms, 0, 12, 14))


def test_technician_without_the_skill_takes_no_visit():
    """A visit needing phlebotomy is never offered on a day whose only technician lacks it."""
    problem, kms = world([], skills=())
    day = day_routes(problem, None, [])
    assert not day.skilled(candidate(kms, 0, 8, 10))
    assert not day.can_insert(candidate(kms, 0, 8, 10))


def test_routes_are_rebuilt_in_booking_order():
    """Greedy insertion follows the order visits were booked in, so each finds the routes it was promised."""
    problem, kms = world([("late", 0, 12, 14, 900), ("early", 0, 8, 10, 900)])
    day = day_routes(problem, None, ["late", "early"])
    assert day.as_routes() == {"t1": ["early", "late"]} and day.unplaced == []


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
