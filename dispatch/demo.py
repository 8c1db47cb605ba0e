"""Dispatch demo data: technicians, shifts, labs, and home and office visits on the next 5 working days.

Called at the end of ``flask demo load`` (after the booking demo made the
"NYC Metro" region). Visits are booked through the real booking service, so
the travel-aware check decides which windows each patient gets, as it would
on the booking page. Idempotent: a second call does nothing.
"""

from __future__ import annotations

import random
from datetime import date, time, timedelta

import zipcodes

from booking.auth import hash_password
from booking.errors import DomainError
from booking.extensions import db
from booking.models import Patient, Region, TreatmentCourse, User
from booking.schedule import add_months, month_of
from dispatch.models import Lab, Shift, Technician

DEMO_PASSWORD = "demo-password"
DEMO_DOMAIN = "demo.labvisit.test"
TZ = "America/New_York"
BOROUGHS = ("New York", "Brooklyn", "Bronx", "Long Island City", "Astoria", "Flushing", "Jamaica")
FIRST = ("Ava", "Ben", "Chen", "Dina", "Eli", "Farah", "Gus", "Hana", "Ivan", "Jade", "Kofi", "Lena")
LAST = ("Abbott", "Baker", "Cruz", "Diaz", "Evans", "Fox", "Gold", "Hill", "Ito", "Jones", "Klein", "Lee")
# (first name, home base latitude, longitude, shift start, shift end)
TECHNICIANS = (
    ("Rosa", 40.7831, -73.9712, time(7, 30), time(16, 0)),
    ("Marcus", 40.7359, -73.9911, time(9, 30), time(18, 30)),
    ("Ines", 40.6782, -73.9442, time(7, 30), time(16, 0)),
    ("Tomasz", 40.6501, -73.9496, time(9, 30), time(18, 30)),
    ("Keisha", 40.8448, -73.8648, time(7, 30), time(16, 0)),
    ("Arjun", 40.7282, -73.7949, time(9, 30), time(18, 30)),
    ("Lucia", 40.7447, -73.9485, time(7, 30), time(16, 0)),
    ("Dmitri", 40.7069, -73.8233, time(9, 30), time(18, 30)),
)
LABS = (
    ("Northstar Central Lab", "450 W 33rd St, New York, NY 10001", 40.7527, -73.9990, time(19, 0)),
    ("Keystone Brooklyn Lab", "1 Pierrepont Plaza, Brooklyn, NY 11201", 40.6944, -73.9907, time(18, 30)),
)
VISITS_PER_DAY = 36


def _working_days(start: date, count: int, weekdays: list[int]) -> list[date]:
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5 and day.weekday() in weekdays:
            days.append(day)
        day += timedelta(days=1)
    return days


def _zips() -> list[dict]:
    return sorted(
        (
            r
            for r in zipcodes.filter_by(state="NY")
            if r["city"] in BOROUGHS and r["zip_code_type"] == "STANDARD" and r["active"]
        ),
        key=lambda r: r["zip_code"],
    )


def _point(rng: random.Random, row: dict) -> tuple[str, float, float]:
    line = (
        f"{rng.randint(1, 999)} {rng.choice(('Main St', 'Park Ave', 'Grand St', '5th Ave'))}, "
        f"{row['city']}, NY {row['zip_code']}"
    )
    return (
        line,
        float(row["lat"]) + rng.uniform(-0.004, 0.004),
        float(row["long"]) + rng.uniform(-0.005, 0.005),
    )


def _technicians(region: Region) -> list[Technician]:
    techs = []
    for n, (first, lat, lon, starts, ends) in enumerate(TECHNICIANS, start=1):
        user = User(
            email=f"tech{n}@{DEMO_DOMAIN}",
            password_hash=hash_password(DEMO_PASSWORD),
            role="technician",
            first_name=first,
            last_name="Field",
        )
        techs.append(
            Technician(
                user=user,
                region_id=region.id,
                phone=f"555-02{n:02d}",
                home_address=f"Home base {n}",
                home_latitude=lat,
                home_longitude=lon,
                skills=["phlebotomy"],
                max_visits=8,
                shifts=[Shift(weekday=d, starts=starts, ends=ends) for d in range(5)],
            )
        )
    return techs


def _patient(rng: random.Random, zips: list[dict], today: date) -> Patient:
    """A patient a few months into monitoring, with a birth date, an e-mail and a provider on file."""
    home, lat, lon = _point(rng, rng.choice(zips))
    first, last = rng.choice(FIRST), rng.choice(LAST)
    number = rng.randint(1000, 9999)
    patient = Patient(
        first_name=first,
        last_name=last,
        date_of_birth=date(rng.randint(1958, 2002), rng.randint(1, 12), rng.randint(1, 28)),
        email=f"{first}.{last}{number}@example.org".lower(),
        time_zone=TZ,
        phone=f"555-{number}",
        provider_name=f"Dr. {rng.choice(LAST)}",
        provider_address=_point(rng, rng.choice(zips))[0],
        provider_phone=f"718-555-{rng.randint(1000, 9999)}",
        home_address=home,
        home_latitude=lat,
        home_longitude=lon,
        home_geo_precision="zip_centroid",
        access_notes=rng.choice((None, "Buzzer 4B", "Side door, dog is friendly", "Doorman building")),
        courses=[
            TreatmentCourse(
                first_infusion=add_months(month_of(today), -rng.randint(2, 14)),
                last_infusion=add_months(month_of(today), -1),
            )
        ],
    )
    if rng.random() < 0.25:
        patient.office_address, patient.office_latitude, patient.office_longitude = _point(
            rng, rng.choice(zips)
        )
        patient.office_geo_precision = "zip_centroid"
    return patient


def _book(rng: random.Random, coordinator: User, patient: Patient, region: Region, day: date) -> bool:
    """Book the patient's visit on ``day`` in a window the fleet can serve (as the booking page would)."""
    from booking.services import availability as av  # cycle: availability calls dispatch.fleet
    from booking.services.bookings import create_booking

    kind = "office" if patient.office_address and rng.random() < 0.7 else "home"
    site = av.visit_site(patient, kind)
    from dispatch.fleet import servable_openings  # cycle: dispatch.fleet imports booking.services.bookings

    openings = servable_openings(site, av.region_openings(region, day, day))
    rng.shuffle(openings)
    for opening in openings:
        try:
            with db.session.begin_nested():
                create_booking(coordinator, patient, {"kind": kind, "starts_at": opening.slot.start})
            return True
        except DomainError:
            continue
    return False


def load_dispatch_demo(seed: int = 7, visits_per_day: int | None = None, places=None) -> str:
    """Technicians tech1…tech8, two labs, and visits on the next 5 working days; once.

    The visits' patients get a history of completed center visits in the months
    before (``places`` shares the booking demo's slot counts, so no slot is
    overbooked).
    """
    from booking.demo import PastPlaces, demo_today, past_visits
    from booking.models import ServiceCenter

    if db.session.scalar(db.select(User.id).where(User.email == f"tech1@{DEMO_DOMAIN}")):
        return "dispatch demo data already loaded"
    region = db.session.scalar(db.select(Region).order_by(Region.id))
    coordinator = db.session.scalar(db.select(User).where(User.role == "coordinator").order_by(User.id))
    if region is None or coordinator is None:
        return "dispatch demo skipped: load the booking demo first (a region and a coordinator)"
    rng = random.Random(seed)
    today = demo_today()
    per_day = VISITS_PER_DAY if visits_per_day is None else visits_per_day
    centers = db.session.scalars(db.select(ServiceCenter).order_by(ServiceCenter.id)).all()
    places = places or PastPlaces()
    db.session.add_all(_technicians(region))
    db.session.add_all(
        Lab(region_id=region.id, name=name, address=address, latitude=lat, longitude=lon, cutoff=cutoff)
        for name, address, lat, lon, cutoff in LABS
    )
    db.session.flush()
    zips, booked, days = _zips(), 0, _working_days(today + timedelta(days=1), 5, region.service_weekdays)
    for day in days:
        patients = [_patient(rng, zips, today) for _ in range(per_day)]
        db.session.add_all(patients)
        db.session.flush()
        for patient in patients:
            db.session.add_all(past_visits(rng, patient, centers, places, today))
        booked += sum(_book(rng, coordinator, p, region, day) for p in patients)
    db.session.commit()
    published = _publish_first_day(region, days[0], seed)
    return (
        f"dispatch: {len(TECHNICIANS)} technicians (tech1…tech{len(TECHNICIANS)}@{DEMO_DOMAIN}, password "
        f"'{DEMO_PASSWORD}'), {len(LABS)} labs, {booked} home/office visits on {days[0]}…{days[-1]}; "
        f"{published}; try: flask dispatch plan --date {days[1]}"
    )


def _publish_first_day(region: Region, day, seed: int) -> str:
    """Plan and publish the first demo day, so technicians and patients see routes at once."""
    from dispatch.models import DispatchPlan
    from dispatch.plans import publish
    from dispatch.service import plan_day

    version = plan_day(region, day, time_limit=5, seed=seed, source="solve")
    db.session.commit()
    plan = db.session.get(DispatchPlan, version.plan_id)
    publish(plan, None, plan.revision)
    db.session.commit()
    return (
        f"the plan for {day} is published ({version.stats['served']}/{version.stats['visits']} visits routed)"
    )
