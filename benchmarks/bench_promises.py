"""A promise is a promise: book a generated month through the availability check, plan every day.

In a scratch SQLite database, a region like the demo's NYC Metro (8 technicians
of at most 8 visits, two labs, a daily capacity of 60) gets a month of home
visits: each patient asks for the windows of a few days from a preferred day
on and takes one, through the booking services (the same check the booking
page and API run). Every day is then planned with the service the background
job uses. Printed:

- the accepted visits the plans leave unassigned (must be 0);
- the windows the check refused, and for a sample of them whether the engine,
  given the day's bookings plus that visit, serves them all (a refusal the
  solver could have served: the price of answering in a millisecond).

    python benchmarks/bench_promises.py [--patients 450] [--time-limit 1] [--samples 20] [--seed 5]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, timedelta
from datetime import time as wall_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import current_app  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from booking import create_app  # noqa: E402
from booking.errors import DomainError  # noqa: E402
from booking.extensions import db  # noqa: E402
from booking.models import Patient, Region, TreatmentCourse, User  # noqa: E402
from booking.schedule import add_months, month_of  # noqa: E402
from booking.services import availability as av  # noqa: E402
from booking.services.bookings import create_booking  # noqa: E402
from booking.slots import zone_for  # noqa: E402
from dispatch.day import REQUIRED_SKILLS, build_day, local_seconds  # noqa: E402
from dispatch.demo import LABS, TECHNICIANS, _technicians  # noqa: E402
from dispatch.engine import solve  # noqa: E402
from dispatch.engine.problem import DispatchProblem, TimeWindow, Visit  # noqa: E402
from dispatch.models import Lab  # noqa: E402
from dispatch.service import plan_day  # noqa: E402
from dispatch.travel import build_matrix  # noqa: E402

CENTRE = (40.7306, -73.9352)


def _app(path: str):
    class Config(__import__("config").TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{path}"
        DISPATCH_WORKERS = 1  # one search per day: the promises are measured, not the parallel search

    return create_app(Config)


def _region() -> Region:
    region = Region(
        name="Bench Metro",
        time_zone="America/New_York",
        latitude=CENTRE[0],
        longitude=CENTRE[1],
        radius_km=40,
        service_weekdays=[0, 1, 2, 3, 4],
        service_start=wall_time(8, 0),
        service_end=wall_time(16, 0),
        window_minutes=120,
        daily_capacity=60,
        service_minutes=15,
    )
    db.session.add(region)
    db.session.flush()
    db.session.add_all(_technicians(region))
    db.session.add_all(
        Lab(region_id=region.id, name=name, address=address, latitude=lat, longitude=lon, cutoff=cutoff)
        for name, address, lat, lon, cutoff in LABS
    )
    coordinator = User(email="coordinator@bench.test", password_hash="x", role="coordinator", first_name="C")
    db.session.add(coordinator)
    db.session.commit()
    return region


def _patient(rng: random.Random, today: date) -> Patient:
    lat = CENTRE[0] + rng.uniform(-0.12, 0.12)
    lon = CENTRE[1] + rng.uniform(-0.15, 0.15)
    patient = Patient(
        first_name="P",
        last_name="Q",
        time_zone="America/New_York",
        home_address="somewhere",
        home_latitude=lat,
        home_longitude=lon,
        home_geo_precision="client",
        courses=[
            TreatmentCourse(first_infusion=add_months(month_of(today), -6), last_infusion=month_of(today))
        ],
    )
    db.session.add(patient)
    db.session.flush()
    return patient


def _could_serve(region: Region, day: date, opening, point, time_limit: float) -> bool:
    """Whether the engine serves every booking of ``day`` plus a visit at ``point`` in ``opening``."""
    data = build_day(region, day)
    points = data.points + [point]
    matrix, _ = build_matrix(current_app.config, points)
    extra = Visit(
        "candidate",
        len(points) - 1,
        (
            TimeWindow(
                local_seconds(data.origin, opening.slot.start), local_seconds(data.origin, opening.slot.end)
            ),
        ),
        region.service_minutes * 60,
        REQUIRED_SKILLS,
    )
    problem = replace(data.problem, visits=data.problem.visits + (extra,), matrix=matrix)
    assert isinstance(problem, DispatchProblem)
    return not solve(problem, time_limit, seed=0, workers=1).unassigned


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=450)
    parser.add_argument("--time-limit", type=float, default=1.0, help="seconds per day's plan")
    parser.add_argument("--samples", type=int, default=20, help="refused windows re-checked with the solver")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    app = _app(os.path.join(tempfile.mkdtemp(), "bench.db"))
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        region = _region()
        coordinator = db.session.scalar(db.select(User).where(User.role == "coordinator"))
        zone = zone_for(region.time_zone)
        today = av.now_utc().astimezone(zone).date()
        first = today + timedelta(days=2)
        days = [first + timedelta(days=k) for k in range(30) if (first + timedelta(days=k)).weekday() < 5]
        accepted, refused, unbookable, checks, asked = 0, [], 0, [], 0
        for _ in range(args.patients):
            patient = _patient(rng, today)
            site = av.visit_site(patient, "home")
            start = min(int(rng.expovariate(1 / 5)), len(days) - 1)  # demand piles up on the first days
            span = days[start : start + 3]
            by_capacity = av.region_openings(region, span[0], span[-1])
            asked += len(by_capacity)
            t0 = time.perf_counter()
            offered = av.site_openings(site, span[0], span[-1])
            checks.append(time.perf_counter() - t0)
            offered_starts = {o.slot.start for o in offered}
            refused += [
                (o, (site.latitude, site.longitude))
                for o in by_capacity
                if o.slot.start not in offered_starts
            ]
            if not offered:
                unbookable += 1
                db.session.commit()
                continue
            first_day = offered[0].slot.start.astimezone(zone).date()
            choice = rng.choice([o for o in offered if o.slot.start.astimezone(zone).date() == first_day])
            try:
                create_booking(coordinator, patient, {"kind": "home", "starts_at": choice.slot.start})
                db.session.commit()
                accepted += 1
            except DomainError as exc:  # a refusal here would be a check that disagrees with itself
                db.session.rollback()
                print(f"  booking refused after being offered: {exc.detail}")
        booked_at = time.perf_counter() - started
        unserved, served, planned = 0, 0, time.perf_counter()
        per_day = []
        for day in days:
            version = plan_day(region, day, time_limit=args.time_limit, seed=0)
            db.session.commit()
            unserved += version.stats["unassigned"]
            served += version.stats["served"]
            per_day.append(version.stats["visits"])
        planned = time.perf_counter() - planned
        sample = rng.sample(refused, min(args.samples, len(refused)))
        servable = sum(
            _could_serve(region, o.slot.start.astimezone(zone).date(), o, point, args.time_limit)
            for o, point in sample
        )
    checks.sort()
    print(
        f"Promises: {args.patients} patients over {len(days)} working days, {len(TECHNICIANS)} technicians, "
        f"daily capacity 60 (seed {args.seed})"
    )
    print(
        f"  accepted {accepted} visits ({unbookable} patients found no window in their 3 days); "
        f"visits per day: max {max(per_day)}, median {sorted(per_day)[len(per_day) // 2]}; "
        f"availability check median {checks[len(checks) // 2] * 1000:.0f} ms "
        f"({booked_at:.0f} s to book the month)"
    )
    print(
        f"  planned {len(days)} days at {args.time_limit:g} s each ({planned:.0f} s): "
        f"{served} served, accepted visits left unassigned: {unserved} (must be 0)"
    )
    rate = f"{servable / len(sample):.0%}" if sample else "n/a"
    print(
        f"  windows the check refused: {len(refused)} of the {asked} the daily capacity allowed "
        f"({len(refused) / max(asked, 1):.1%}); of a sample of "
        f"{len(sample)}, the solver could have served {servable} ({rate})"
    )


if __name__ == "__main__":
    main()
