"""A promise is a promise: the window check and the plan share one model of the day.

Windows are offered and booked through the API; the day is then planned
through the API. Travel times come from the configured source, here a small
OSRM-style table service on localhost whose roads are much slower than the
straight-line estimate.
"""

from __future__ import annotations

import json
import random
import threading
from datetime import datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from booking.extensions import db
from booking.models import Booking
from booking.slots import zone_for
from tests.dispatch_service.conftest import TZ, get_plan, plan_now, publish

ROAD_SECONDS = 40 * 60  # every drive between two different places takes 40 minutes


class _Roads(BaseHTTPRequestHandler):
    """``/table/v1/driving/{lon,lat;...}?sources=..&destinations=..`` with slow roads."""

    def do_GET(self):  # noqa: N802 - the http.server hook
        url = urlsplit(self.path)
        points = url.path.rsplit("/", 1)[1].split(";")
        query = parse_qs(url.query)
        sources = _indices(query.get("sources"), len(points))
        targets = _indices(query.get("destinations"), len(points))
        durations = [[0 if points[i] == points[j] else ROAD_SECONDS for j in targets] for i in sources]
        body = {
            "code": "Ok",
            "durations": durations,
            "distances": [[d * 10 for d in row] for row in durations],
        }
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def _indices(value, size: int) -> list[int]:
    if not value or value[0] == "all":
        return list(range(size))
    return [int(i) for i in value[0].split(";")]


@pytest.fixture
def slow_roads(app, monkeypatch):
    """The app's travel times come from a local table service with 40-minute drives."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Roads)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setitem(app.config, "OSRM_URL", f"http://127.0.0.1:{server.server_port}")
    yield
    server.shutdown()
    server.server_close()


def _openings(client, headers, patient_id: int, day) -> list[str]:
    response = client.get(
        "/api/v1/availability",
        headers=headers,
        query_string={
            "kind": "home",
            "patient_id": patient_id,
            "from": day.isoformat(),
            "to": day.isoformat(),
        },
    )
    assert response.status_code == 200, response.json
    return [o["starts_at"] for o in response.json["openings"]]


def _book(client, headers, patient_id: int, starts_at: str):
    return client.post(
        "/api/v1/bookings",
        headers=headers,
        json={"patient_id": patient_id, "kind": "home", "starts_at": starts_at},
    )


def test_region_whose_technician_lacks_the_skill_offers_no_home_windows(client, coordinator, field, world):
    """With its only technician lacking phlebotomy, the region offers no home window and refuses one with 409."""
    field.technician(skills=("pediatrics",))
    patient = world.patient()
    assert _openings(client, coordinator, patient, field.day) == []
    starts, _ = field.window(10)
    refused = _book(client, coordinator, patient, starts.isoformat())
    assert refused.status_code == 409
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert "skills" in refused.json["detail"]


def test_a_day_filled_through_availability_is_planned_without_dropping_a_promise(
    app, client, coordinator, field, world, slow_roads
):
    """A day booked to the fleet's capacity through the availability check (slow roads from the configured
    table service) is planned with every accepted visit served."""
    field.technician()
    field.technician(home=(40.7306, -73.9866))
    rng = random.Random(3)
    accepted = 0
    for k in range(40):
        patient = world.patient(home=(40.70 + 0.004 * k, -73.99 + 0.002 * (k % 7)))
        offered = _openings(client, coordinator, patient, field.day)
        if not offered:
            break
        response = _book(client, coordinator, patient, rng.choice(offered))
        assert response.status_code == 201, response.json
        accepted += 1
    assert 0 < accepted < 40  # the fleet, not the region's daily capacity, filled the day
    plan = plan_now(client, coordinator, field, time_limit=1)
    assert plan["unassigned"] == []
    assert sum(len(r["stops"]) for r in plan["routes"]) == accepted


def test_home_visits_follow_the_lead_time(app, client, coordinator, field, world, monkeypatch):
    """The evening before, windows starting within HOME_VISIT_LEAD_HOURS are neither offered nor bookable."""
    field.technician()
    patient = world.patient()
    evening = datetime.combine(field.day - timedelta(days=1), time(21, 0), zone_for(TZ))
    monkeypatch.setattr("booking.services.availability.now_utc", lambda: evening)
    monkeypatch.setitem(app.config, "HOME_VISIT_LEAD_HOURS", 12)
    offered = _openings(client, coordinator, patient, field.day)
    assert [datetime.fromisoformat(s).astimezone(zone_for(TZ)).hour for s in offered] == [10, 12, 14]
    eight, _ = field.window(8)
    refused = _book(client, coordinator, patient, eight.isoformat())
    assert refused.status_code == 422 and "12 hours" in refused.json["detail"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Booking.id))) == 0


def _hours(starts: list[str]) -> list[int]:
    return [datetime.fromisoformat(s).astimezone(zone_for(TZ)).hour for s in starts]


def test_once_published_new_bookings_are_checked_against_the_published_routes(
    app, client, coordinator, field, world
):
    """A draft that moves a visit does not change what is promised: windows follow the published routes,
    and a booking accepted there joins them."""
    far = field.technician(first_name="Ana", home=(40.90, -73.88), max_visits=1)
    near = field.technician(first_name="Ben", ends=time(12, 0), max_visits=1)
    visit = field.booking(hour=8)
    plan = publish(client, coordinator, plan_now(client, coordinator, field))
    plan = get_plan(client, coordinator, plan["id"], which="published")
    assert {s["booking_id"]: r["technician"]["id"] for r in plan["routes"] for s in r["stops"]} == {
        visit: near
    }
    moved = client.post(
        f"/api/v1/dispatch/plans/{plan['id']}/changes",
        headers={**coordinator, "If-Match": plan["etag"]},
        json={"action": "move", "booking_id": visit, "technician_id": far, "position": 0},
    )
    assert moved.status_code == 200, moved.json
    patient = world.patient()
    offered = _openings(client, coordinator, patient, field.day)
    assert _hours(offered) == [8, 10, 12, 14]  # the far technician is free on the published routes
    afternoon = next(s for s in offered if _hours([s]) == [14])
    booked = _book(client, coordinator, patient, afternoon)
    assert booked.status_code == 201, booked.json
    published = get_plan(client, coordinator, plan["id"], which="published")
    routes = {r["technician"]["id"]: [s["booking_id"] for s in r["stops"]] for r in published["routes"]}
    assert routes == {near: [visit], far: [booked.json["id"]]}
    assert booked.json["status"] == "assigned"
    assert _openings(client, coordinator, world.patient(), field.day) == []


def test_a_plan_never_serves_fewer_visits_than_the_promised_routes():
    """If the search leaves a promised visit out, the promised routes themselves are the plan."""
    from dispatch.engine.problem import DispatchProblem, Technician, TimeWindow, TravelMatrix, Visit
    from dispatch.engine.result import Unassigned, UnassignedReason
    from dispatch.engine.timing import timed_plan
    from dispatch.service import no_worse_than_promised

    problem = DispatchProblem(
        visits=(
            Visit("a", 1, (TimeWindow(8 * 3600, 10 * 3600),), 900),
            Visit("b", 2, (TimeWindow(12 * 3600, 14 * 3600),), 900),
        ),
        technicians=(Technician("t1", 0, TimeWindow(8 * 3600, 17 * 3600)),),
        matrix=TravelMatrix([[0, 600, 600], [600, 0, 600], [600, 600, 0]]),
    )
    short = timed_plan(problem, {"t1": ["a"]}, [Unassigned("b", UnassignedReason.NO_CAPACITY, "")])
    kept = no_worse_than_promised(problem, short, {"t1": ["a", "b"]})
    assert kept.unassigned == () and kept.route_of("t1").visit_ids == ["a", "b"]
    assert no_worse_than_promised(problem, kept, {"t1": ["a"]}) is kept


def _published_routes(client, coordinator, plan_id) -> dict[int, list[int]]:
    published = get_plan(client, coordinator, plan_id, which="published")
    return {r["technician"]["id"]: [s["booking_id"] for s in r["stops"]] for r in published["routes"]}


def _window_of(client, coordinator, plan_id, booking_id) -> str:
    published = get_plan(client, coordinator, plan_id, which="published")
    [stop] = [s for r in published["routes"] for s in r["stops"] if s["booking_id"] == booking_id]
    return stop["arrival_window"]["local_start"]


def test_a_visit_moved_on_or_off_a_published_day_follows_the_routes(client, coordinator, field, world):
    """Moved to another time of the published day it is re-placed with its new window; moved to another
    day it leaves the published routes, so no technician is sent at the old time."""
    tech = field.technician()
    first, second = world.patient(), world.patient()
    eight, _ = field.window(8)
    booked = [_book(client, coordinator, p, eight.isoformat()) for p in (first, second)]
    assert [b.status_code for b in booked] == [201, 201], [b.json for b in booked]
    a, b = (r.json["id"] for r in booked)
    plan = publish(client, coordinator, plan_now(client, coordinator, field))
    assert sorted(_published_routes(client, coordinator, plan["id"])[tech]) == sorted([a, b])
    kept_window = _window_of(client, coordinator, plan["id"], b)

    afternoon = next(
        s for s in _openings(client, coordinator, world.patient(), field.day) if _hours([s]) == [14]
    )
    moved = client.patch(f"/api/v1/bookings/{a}", headers=coordinator, json={"starts_at": afternoon})
    assert moved.status_code == 200, moved.json
    assert moved.json["status"] == "assigned"
    assert sorted(_published_routes(client, coordinator, plan["id"])[tech]) == sorted([a, b])
    assert datetime.fromisoformat(_window_of(client, coordinator, plan["id"], a)).hour >= 14
    assert _window_of(client, coordinator, plan["id"], b) == kept_window  # the other promise stands

    other_day = field.day + timedelta(days=1 if field.day.weekday() < 4 else 3)
    elsewhere = _openings(client, coordinator, world.patient(), other_day)[0]
    moved = client.patch(f"/api/v1/bookings/{a}", headers=coordinator, json={"starts_at": elsewhere})
    assert moved.status_code == 200, moved.json
    assert moved.json["status"] == "confirmed" and moved.json["technician_first_name"] is None
    assert _published_routes(client, coordinator, plan["id"]) == {tech: [b]}
    assert _window_of(client, coordinator, plan["id"], b) == kept_window
