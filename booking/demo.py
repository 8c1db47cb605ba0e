"""Demo data: one metro area (New York City) to try every endpoint at once.

Addresses use real NYC ZIP codes with their centroids (from the ``zipcodes``
package, the same data the offline geocoder uses), so searching "near" a ZIP
finds the demo centers. Names are invented. Past months get completed visits
(with a few gaps); this month and next get real bookings through the booking
service, so capacity counters are right.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import zipcodes

from booking import schedule
from booking.auth import hash_password
from booking.extensions import db
from booking.models import (
    Booking,
    BookingEvent,
    OpeningHours,
    Patient,
    Region,
    ServiceCenter,
    TreatmentCourse,
    User,
)
from booking.program import outreach

DEMO_PASSWORD = "demo-password"
DEMO_DOMAIN = "demo.labvisit.test"
TZ = "America/New_York"
NETWORKS = ("Northstar Labs", "Keystone Diagnostics")  # a LabCorp-style and a Quest-style network
CITIES = (
    "New York",
    "Brooklyn",
    "Bronx",
    "Long Island City",
    "Astoria",
    "Flushing",
    "Jamaica",
    "Staten Island",
)
STREETS = (
    "Broadway",
    "Main St",
    "Park Ave",
    "Atlantic Ave",
    "Queens Blvd",
    "Grand St",
    "Court St",
    "Amsterdam Ave",
    "Fulton St",
    "Lexington Ave",
    "Northern Blvd",
    "Flatbush Ave",
)
FIRST = (
    "Maria",
    "James",
    "Aisha",
    "Wei",
    "Sofia",
    "David",
    "Priya",
    "Carlos",
    "Emily",
    "Kwame",
    "Hannah",
    "Luis",
    "Fatima",
    "Noah",
    "Yuki",
    "Grace",
    "Omar",
    "Elena",
    "Samuel",
    "Chloe",
)
LAST = (
    "Garcia",
    "Smith",
    "Khan",
    "Chen",
    "Rossi",
    "Cohen",
    "Patel",
    "Lopez",
    "Johnson",
    "Mensah",
    "Weiss",
    "Rivera",
    "Haddad",
    "Kim",
    "Tanaka",
    "Okafor",
    "Novak",
    "Silva",
    "Murphy",
    "Ali",
)


def _nyc_zips() -> list[dict]:
    rows = [
        r
        for r in zipcodes.filter_by(state="NY")
        if r["city"] in CITIES and r["zip_code_type"] == "STANDARD" and r["active"]
    ]
    return sorted(rows, key=lambda r: r["zip_code"])


def _address(rng: random.Random, row: dict) -> tuple[str, float, float]:
    line = f"{rng.randint(1, 999)} {rng.choice(STREETS)}, {row['city']}, NY {row['zip_code']}"
    # Spread points around the ZIP centroid (about ±600 m) so they are not stacked.
    return (
        line,
        float(row["lat"]) + rng.uniform(-0.005, 0.005),
        float(row["long"]) + rng.uniform(-0.007, 0.007),
    )


def _user(email: str, role: str, first: str, last: str, patient: Patient | None = None) -> User:
    return User(
        email=email,
        password_hash=hash_password(DEMO_PASSWORD),
        role=role,
        first_name=first,
        last_name=last,
        patient=patient,
    )


def _centers(rng: random.Random, zips: list[dict], count: int) -> list[ServiceCenter]:
    centers = []
    for i in range(count):
        network = NETWORKS[i % 2]
        line, lat, lon = _address(rng, rng.choice(zips))
        weekday_close = time(16, 30) if network == NETWORKS[0] else time(15, 0)
        hours = [OpeningHours(weekday=d, opens=time(7, 0), closes=weekday_close) for d in range(5)]
        if i % 3 == 0:
            hours.append(OpeningHours(weekday=5, opens=time(8, 0), closes=time(12, 0)))
        centers.append(
            ServiceCenter(
                network=network,
                name=f"{network.split()[0]} PSC {line.split(',')[1].strip()} #{i + 1}",
                address=line,
                phone=f"212-555-{1000 + i:04d}",
                latitude=lat,
                longitude=lon,
                time_zone=TZ,
                slot_minutes=15,
                capacity_per_slot=rng.choice((1, 2, 2, 3)),
                hours=hours,
            )
        )
    return centers


def _courses(rng: random.Random, today: date) -> list[TreatmentCourse]:
    """A first course of five days, and for most patients a second one twelve months later."""
    start = date(2021, 6, 1) + timedelta(days=rng.randint(0, (today - date(2021, 6, 1)).days - 30))
    courses = [TreatmentCourse(first_infusion=start, last_infusion=start + timedelta(days=4))]
    second = start + timedelta(days=365)
    if second < today and rng.random() < 0.8:
        courses.append(TreatmentCourse(first_infusion=second, last_infusion=second + timedelta(days=2)))
    return courses


def _patients(rng: random.Random, zips: list[dict], count: int, today: date) -> list[Patient]:
    patients = []
    for i in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        home, lat, lon = _address(rng, rng.choice(zips))
        patient = Patient(
            first_name=first,
            last_name=last,
            time_zone=TZ,
            date_of_birth=date(rng.randint(1960, 2000), rng.randint(1, 12), rng.randint(1, 28)),
            email=f"{first}.{last}{i}@example.org".lower(),
            phone=f"917-555-{i:04d}",
            home_address=home,
            home_latitude=lat,
            home_longitude=lon,
            home_geo_precision="zip_centroid",
            access_notes=rng.choice((None, "Buzzer 4B", "Side entrance", "Doorman building")),
            provider_name=f"Dr. {rng.choice(LAST)}",
            provider_address=_address(rng, rng.choice(zips))[0],
            provider_phone=f"212-555-{2000 + i:04d}",
            courses=_courses(rng, today),
        )
        if rng.random() < 0.4:
            office, olat, olon = _address(rng, rng.choice(zips))
            patient.office_address, patient.office_latitude, patient.office_longitude = office, olat, olon
            patient.office_geo_precision = "zip_centroid"
        patients.append(patient)
    return patients


def _past_visits(
    rng: random.Random, patient: Patient, centers: list[ServiceCenter], today: date
) -> list[Booking]:
    """Completed visits for most past months; about one month in twelve missed."""
    courses = [schedule.TreatmentCourse(c.first_infusion, c.last_infusion) for c in patient.courses]
    this_month = schedule.month_of(today)
    bookings = []
    for entry in schedule.monitoring_months(courses):
        if entry.month >= this_month or rng.random() < 0.08:
            continue
        center = rng.choice(centers)
        day = entry.month + timedelta(days=rng.randint(1, 25))
        starts = datetime.combine(day, time(rng.randint(12, 19), rng.choice((0, 15, 30, 45))), UTC)
        bookings.append(
            Booking(
                patient=patient,
                kind="service_center",
                status="delivered",
                monitoring_month=entry.month,
                service_center=center,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=15),
                time_zone=TZ,
                address=center.address,
                latitude=center.latitude,
                longitude=center.longitude,
                events=[
                    BookingEvent(action="created", to_status="confirmed", at=starts - timedelta(days=7)),
                    BookingEvent(action="status", from_status="collected", to_status="delivered", at=starts),
                ],
            )
        )
    return bookings


def _upcoming_visits(
    rng: random.Random, patients: list[Patient], centers: list[ServiceCenter], coordinator: User, today: date
) -> int:
    """Book about half the patients' current month at a nearby center, through the real service."""
    from booking.errors import DomainError
    from booking.services import availability as av
    from booking.services.bookings import create_booking

    booked = 0
    for patient in patients[: len(patients) // 2]:
        center = min(
            centers,
            key=lambda c: (
                (c.latitude - patient.home_latitude) ** 2 + (c.longitude - patient.home_longitude) ** 2
            ),
        )
        first = today + timedelta(days=1)
        last = max(first, schedule.add_months(schedule.month_of(today), 1) - timedelta(days=1))
        openings = av.center_openings(center, first, last)
        if not openings:
            continue
        opening = rng.choice(openings[: max(1, len(openings) // 2)])
        try:
            with db.session.begin_nested():
                create_booking(
                    coordinator,
                    patient,
                    {
                        "kind": "service_center",
                        "service_center_id": center.id,
                        "starts_at": opening.slot.start,
                    },
                )
            booked += 1
        except DomainError:
            continue  # outside this patient's schedule, or the slot filled up
    return booked


def load_demo_data(*, seed: int = 7, n_patients: int = 200, n_centers: int = 36) -> str:
    """Create the demo world once; a second call does nothing."""
    if db.session.scalar(db.select(User.id).where(User.email == f"coordinator@{DEMO_DOMAIN}")):
        return "demo data already loaded"
    rng = random.Random(seed)
    today = datetime.now(UTC).date()
    zips = _nyc_zips()
    centers = _centers(rng, zips, n_centers)
    region = Region(
        name="NYC Metro",
        time_zone=TZ,
        latitude=40.7306,
        longitude=-73.9352,
        radius_km=30,
        service_weekdays=[0, 1, 2, 3, 4, 5],
        service_start=time(8, 0),
        service_end=time(18, 0),
        window_minutes=120,
        daily_capacity=60,
        service_minutes=15,
    )
    patients = _patients(rng, zips, n_patients, today)
    coordinator = _user(f"coordinator@{DEMO_DOMAIN}", "coordinator", "Nora", "Nurse")
    users = [
        coordinator,
        _user(f"admin@{DEMO_DOMAIN}", "admin", "Alex", "Admin"),
        _user(
            f"patient@{DEMO_DOMAIN}", "patient", patients[0].first_name, patients[0].last_name, patients[0]
        ),
    ]
    db.session.add_all([*centers, region, *patients, *users])
    db.session.flush()
    for patient in patients:
        db.session.add_all(_past_visits(rng, patient, centers, today))
    db.session.flush()
    upcoming = _upcoming_visits(rng, patients, centers, coordinator, today)
    # The nurses' worklist starts with the demo's overdue patients, as the periodic job would list them.
    outreach.escalate(datetime.now(UTC))
    db.session.commit()
    summary = (
        f"loaded {len(centers)} service centers, 1 home-visit region, {len(patients)} patients, "
        f"{upcoming} upcoming bookings; demo logins (password '{DEMO_PASSWORD}'): "
        f"patient@{DEMO_DOMAIN}, coordinator@{DEMO_DOMAIN}, admin@{DEMO_DOMAIN}"
    )
    from dispatch.demo import load_dispatch_demo  # technicians, labs and field days

    return summary + "\n" + str(load_dispatch_demo(seed=seed))
