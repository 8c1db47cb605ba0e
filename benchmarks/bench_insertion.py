"""How fast the booking page's fleet check answers on a full day (300 visits, 25 technicians).

A New York day of the realistic-day generator (``days.py``) is solved once (a few seconds); its routes
become the insertion structure, as a stored plan does in the service. Then
one proposed window for a random address is checked, many times: median and
p95. Also timed: building the structure from the plan's routes, and from the
bookings alone (greedy insertion, used when a day has no plan yet) — the
cost the first check after any change pays before the cache holds it.

    python benchmarks/bench_insertion.py [--checks 2000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dataclasses import replace  # noqa: E402
from datetime import UTC

from benchmarks.days import CITIES, HOME_STARTS, HOUR, SHIFTS, WINDOW, Centre, _near, generate  # noqa: E402
from dispatch.engine import solve  # noqa: E402
from dispatch.engine.insertion import Candidate, DayRoutes, day_routes  # noqa: E402
from dispatch.travel import GeodesicTravel  # noqa: E402

CITY = CITIES["nyc"]
CENTRE = CITY.lab
SHIFT = (min(start for start, _ in SHIFTS), max(end for _, end in SHIFTS))
WINDOWS = [(h * HOUR, h * HOUR + WINDOW) for h in HOME_STARTS]
TRAVEL = GeodesicTravel(circuity=CITY.circuity, speed_kmh=CITY.speed_kmh)


def generate_day(seed: int):
    """(problem, points) of the 300-visit, 25-technician New York day ``seed``."""
    day = generate("nyc", 300, 25, seed)
    return day.problem, day.points


def _around(rng: random.Random, km: float):
    """A random address within ``km`` of the lab, denser towards it."""
    return _near(rng, Centre(CENTRE, 1, km))


def _candidate(points, point, start: int, end: int) -> Candidate:
    """A window at ``point``, with its travel to and from every point of the day (as the day's own)."""
    to = TRAVEL.tables([point], points)[0][0].tolist()
    back = TRAVEL.tables(points, [point])[0][:, 0].tolist()
    return Candidate("candidate", start, end, 15 * 60, frozenset(), to, back)


def _percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--solve-seconds", type=float, default=5.0)
    parser.add_argument("--with-db", action="store_true", help="also time the check through the service")
    args = parser.parse_args()
    problem, points = generate_day(1)
    plan = solve(problem, args.solve_seconds, seed=0)
    started = time.perf_counter()
    day = DayRoutes(problem, plan.as_initial_routes())
    from_plan = time.perf_counter() - started

    started = time.perf_counter()
    greedy = day_routes(problem, None, [v.id for v in problem.visits])
    from_bookings = time.perf_counter() - started

    used = {r.technician_id for r in plan.routes}
    busy_problem = replace(problem, technicians=tuple(t for t in problem.technicians if t.id in used))
    busy = DayRoutes(busy_problem, plan.as_initial_routes())
    print(
        f"Insertion check: day of {len(problem.visits)} visits, {len(problem.technicians)} technicians "
        f"(shift {SHIFT[0] // 3600}-{SHIFT[1] // 3600} h), routes of the solved plan "
        f"({sum(len(r.stops) for r in plan.routes)} served on {len(plan.routes)} routes); centre {CENTRE}"
    )
    for label, fleet in (("whole fleet", day), ("busy technicians only", busy)):
        rng = random.Random(7)
        timings, accepted = [], 0
        for _ in range(args.checks):
            start, end = rng.choice(WINDOWS)
            candidate = _candidate(points, _around(rng, 18), start, end)
            t0 = time.perf_counter()
            accepted += fleet.can_insert(candidate)
            timings.append((time.perf_counter() - t0) * 1000)
        print(
            f"  one proposed window, {label}: median {statistics.median(timings):.2f} ms, "
            f"p95 {_percentile(timings, 0.95):.2f} ms, max {max(timings):.2f} ms "
            f"over {args.checks} checks ({accepted} accepted)"
        )
    print(
        f"  build from plan routes: {from_plan * 1000:.0f} ms; from bookings alone (greedy): "
        f"{from_bookings * 1000:.0f} ms, {len(greedy.unplaced)} of {len(problem.visits)} left unplaced"
    )


if __name__ == "__main__":
    main()


def through_the_service(checks: int = 300) -> None:
    """The same day in a scratch SQLite database: the check as the booking API runs it (queries included)."""
    import os
    import tempfile
    from datetime import date, datetime, timedelta
    from datetime import time as clock

    from flask_migrate import upgrade

    from booking import create_app
    from booking.extensions import db
    from booking.models import Booking, Patient, Region, TreatmentCourse, User
    from dispatch.fleet import ensure_servable, promised_day
    from dispatch.models import Lab, Shift, Technician

    problem, points = generate_day(1)
    path = os.path.join(tempfile.mkdtemp(), "bench.db")

    class Config(__import__("config").TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{path}"

    app = create_app(Config)
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("America/New_York")
    day = date.today() + timedelta(days=14)
    origin = datetime.combine(day, clock(0), zone).astimezone(UTC)
    with app.app_context():
        upgrade()
        region = Region(
            name="Bench",
            time_zone="America/New_York",
            latitude=CENTRE[0],
            longitude=CENTRE[1],
            radius_km=40,
            service_weekdays=list(range(7)),
            service_start=clock(8),
            service_end=clock(16),
            window_minutes=120,
            daily_capacity=1000,
            service_minutes=15,
        )
        db.session.add(region)
        db.session.flush()
        for k, tech in enumerate(problem.technicians):
            lat, lon = points[tech.start_location]
            user = User(email=f"t{k}@bench.test", password_hash="x", role="technician", first_name="T")
            db.session.add(
                Technician(
                    user=user,
                    region_id=region.id,
                    home_address="base",
                    home_latitude=lat,
                    home_longitude=lon,
                    max_visits=tech.max_visits,
                    skills=["phlebotomy"],
                    shifts=[Shift(weekday=day.weekday(), starts=clock(8), ends=clock(16))],
                )
            )
        lat, lon = points[problem.labs[0].location]
        db.session.add(
            Lab(region_id=region.id, name="Lab", address="lab", latitude=lat, longitude=lon, cutoff=clock(16))
        )
        for visit in problem.visits:
            lat, lon = points[visit.location]
            w = visit.time_windows[0]
            patient = Patient(
                first_name="P",
                last_name="Q",
                time_zone="America/New_York",
                home_address="a",
                home_latitude=lat,
                home_longitude=lon,
                home_geo_precision="client",
                courses=[TreatmentCourse(first_infusion=day, last_infusion=day)],
            )
            db.session.add(
                Booking(
                    patient=patient,
                    kind="home",
                    status="confirmed",
                    monitoring_month=day.replace(day=1),
                    region_id=region.id,
                    starts_at=origin + timedelta(seconds=w.start),
                    ends_at=origin + timedelta(seconds=w.end),
                    time_zone="America/New_York",
                    address="a",
                    latitude=lat,
                    longitude=lon,
                )
            )
        db.session.commit()
        started = time.perf_counter()
        promised_day(region, day)
        cold = time.perf_counter() - started
        rng, timings = random.Random(11), []
        for _ in range(checks):
            start, end = rng.choice(WINDOWS)
            lat, lon = _around(rng, 18)
            t0 = time.perf_counter()
            try:
                ensure_servable(
                    region.id, origin + timedelta(seconds=start), origin + timedelta(seconds=end), lat, lon
                )
            except Exception:  # noqa: BLE001 - a refusal is an answer too
                pass
            timings.append((time.perf_counter() - t0) * 1000)
            db.session.rollback()
    print(
        f"  through the service (SQLite, 300 bookings, no plan yet): first check {cold * 1000:.0f} ms "
        f"(builds the day), then median {statistics.median(timings):.1f} ms, "
        f"p95 {_percentile(timings, 0.95):.1f} ms over {checks} checks"
    )


if __name__ == "__main__" and "--with-db" in sys.argv:
    through_the_service()
