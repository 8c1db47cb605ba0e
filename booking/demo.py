"""Demo data: one metro area (New York City) to try every endpoint at once.

Addresses use real NYC ZIP codes with their centroids (from the ``zipcodes``
package, the same data the offline geocoder uses), so searching "near" a ZIP
finds the demo centers. Names are invented. Past months get completed visits
(with a few gaps); this month and next get real bookings through the booking
service, so capacity counters are right.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import zipcodes
from sqlalchemy import MetaData, text

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
from booking.program import outreach, runner
from booking.program.models import NotificationPreference, OutboxMessage
from booking.program.preferences import CONSENT_TEXT_VERSION
from booking.services.availability import today_in

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
    """A first course of five days up to four and a half years ago, and for most a second one a year later."""
    earliest = schedule.add_months(schedule.month_of(today), -54)
    start = earliest + timedelta(days=rng.randint(0, (today - earliest).days - 30))
    courses = [TreatmentCourse(first_infusion=start, last_infusion=start + timedelta(days=4))]
    second = start + timedelta(days=365)
    if second < today and rng.random() < 0.8:
        courses.append(TreatmentCourse(first_infusion=second, last_infusion=second + timedelta(days=2)))
    return courses


def _demo_patient_courses(today: date) -> list[TreatmentCourse]:
    """The demo login's own history: two courses, the second a year ago, so years of monitoring remain."""
    first = schedule.add_months(schedule.month_of(today), -25) + timedelta(days=9)
    second = schedule.add_months(first, 12)
    return [
        TreatmentCourse(first_infusion=first, last_infusion=first + timedelta(days=4)),
        TreatmentCourse(first_infusion=second, last_infusion=second + timedelta(days=2)),
    ]


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
            courses=_demo_patient_courses(today) if i == 0 else _courses(rng, today),
        )
        if rng.random() < 0.4:
            office, olat, olon = _address(rng, rng.choice(zips))
            patient.office_address, patient.office_latitude, patient.office_longitude = office, olat, olon
            patient.office_geo_precision = "zip_centroid"
        patients.append(patient)
    return patients


class PastPlaces:
    """Places in the centers' past slot grids, so demo history never sits in a full slot or a closed day.

    Seeded from the bookings already stored, so the booking demo and the dispatch
    demo share the same counts.
    """

    def __init__(self) -> None:
        self.taken: Counter[tuple[int, datetime]] = Counter(
            {
                (center_id, starts_at): count
                for center_id, starts_at, count in db.session.execute(
                    db.select(Booking.service_center_id, Booking.starts_at, db.func.count())
                    .where(Booking.service_center_id.is_not(None))
                    .group_by(Booking.service_center_id, Booking.starts_at)
                )
            }
        )
        self._grids: dict[tuple[int, date], list] = {}

    def _grid(self, center: ServiceCenter, day: date) -> list:
        from booking.services.availability import center_grid

        key = (center.id, day)
        if key not in self._grids:
            self._grids[key] = center_grid(center, day, day)
        return self._grids[key]

    def take(self, rng: random.Random, centers: list[ServiceCenter], month: date):
        """A (center, slot) with a free place on an open day of ``month``, or None after a few tries."""
        for _ in range(12):
            center = rng.choice(centers)
            day = month + timedelta(days=rng.randint(0, 27))
            free = [
                s
                for s in self._grid(center, day)
                if self.taken[(center.id, s.start)] < center.capacity_per_slot
            ]
            if free:
                slot = rng.choice(free)
                self.taken[(center.id, slot.start)] += 1
                return center, slot
        return None


def nearest_centers(patient: Patient, centers: list[ServiceCenter], count: int = 3) -> list[ServiceCenter]:
    """The few centers nearest the patient's home: where a real patient would go."""
    return sorted(
        centers,
        key=lambda c: (c.latitude - patient.home_latitude) ** 2 + (c.longitude - patient.home_longitude) ** 2,
    )[:count]


def past_visits(
    rng: random.Random, patient: Patient, centers: list[ServiceCenter], places: PastPlaces, today: date
) -> list[Booking]:
    """Completed visits at a nearby center for most past months; about one month in twelve missed."""
    courses = [schedule.TreatmentCourse(c.first_infusion, c.last_infusion) for c in patient.courses]
    this_month = schedule.month_of(today)
    nearby = nearest_centers(patient, centers)
    bookings = []
    for entry in schedule.monitoring_months(courses):
        if entry.month >= this_month or rng.random() < 0.08:
            continue
        taken = places.take(rng, nearby, entry.month)
        if taken is None:
            continue
        center, slot = taken
        bookings.append(
            Booking(
                patient_id=patient.id,
                kind="service_center",
                status="delivered",
                monitoring_month=entry.month,
                service_center_id=center.id,
                starts_at=slot.start,
                ends_at=slot.end,
                time_zone=center.time_zone,
                address=center.address,
                latitude=center.latitude,
                longitude=center.longitude,
                events=[
                    BookingEvent(action="created", to_status="confirmed", at=slot.start - timedelta(days=7)),
                    BookingEvent(
                        action="status", from_status="collected", to_status="delivered", at=slot.start
                    ),
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


def _notification_preferences(
    rng: random.Random, patients: list[Patient], patient_user: User, coordinator: User
) -> list[NotificationPreference]:
    """The demo patient takes e-mail and SMS; about half the others consented to e-mail through the nurse.

    With no MAIL_URL or SMS provider set these land in the demo mailbox, never sent.
    """
    consented = datetime.now(UTC) - timedelta(days=30)
    rows = [
        NotificationPreference(
            patient_id=patients[0].id,
            language="en",
            email_enabled=True,
            sms_enabled=True,
            opted_out_types=[],
            consent_at=consented,
            consent_by_id=patient_user.id,
            consent_text_version=CONSENT_TEXT_VERSION,
        )
    ]
    for patient in patients[1:]:
        if rng.random() < 0.5:
            rows.append(
                NotificationPreference(
                    patient_id=patient.id,
                    language="es" if rng.random() < 0.15 else "en",
                    email_enabled=True,
                    sms_enabled=rng.random() < 0.4,
                    opted_out_types=[],
                    consent_at=consented,
                    consent_by_id=coordinator.id,
                    consent_text_version=CONSENT_TEXT_VERSION,
                )
            )
    return rows


def demo_today() -> date:
    """Today in the demo's metro area: every demo date is relative to it."""
    return today_in(TZ)


def demo_loaded_on() -> date | None:
    """The day the demo was loaded (its coordinator account's creation day there), or None."""
    created = db.session.scalar(db.select(User.created_at).where(User.email == f"coordinator@{DEMO_DOMAIN}"))
    return created.astimezone(ZoneInfo(TZ)).date() if created else None


def load_demo_data(
    *, seed: int = 7, n_patients: int = 200, n_centers: int = 36, visits_per_day: int | None = None
) -> str:
    """Create the demo world once; a second call does nothing.

    ``visits_per_day`` sizes the dispatch demo's field days (its default when None).
    """
    if demo_loaded_on() is not None:
        return "demo data already loaded"
    rng = random.Random(seed)
    today = demo_today()
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
    # Its own random stream, so the rest of the demo stays what it was.
    db.session.add_all(_notification_preferences(random.Random(seed + 1), patients, users[2], coordinator))
    places = PastPlaces()
    for patient in patients:
        db.session.add_all(past_visits(rng, patient, centers, places, today))
    db.session.flush()
    upcoming = _upcoming_visits(rng, patients, centers, coordinator, today)
    # The nurses' worklist starts with the demo's overdue patients, as the periodic job would list them.
    outreach.escalate(datetime.now(UTC))
    db.session.commit()
    from dispatch.demo import load_dispatch_demo  # technicians, labs and field days

    dispatch_summary = load_dispatch_demo(seed=seed, visits_per_day=visits_per_day, places=places)
    total = db.session.scalar(db.select(db.func.count(Patient.id)))
    summary = (
        f"loaded {len(centers)} service centers, 1 home-visit region, {total} patients "
        f"({len(patients)} with service-center visits, {upcoming} of them booked this month); "
        f"demo logins (password '{DEMO_PASSWORD}'): "
        f"patient@{DEMO_DOMAIN}, coordinator@{DEMO_DOMAIN}, admin@{DEMO_DOMAIN}"
    )
    return summary + "\n" + dispatch_summary + "\n" + _first_tick()


def clear_demo_data() -> None:
    """Empty every table (the schema and its migration version stay); flushed, not committed.

    Tables are read from the database itself, so rows of every feature go, in
    foreign-key order. Refuses when an account outside the demo domain exists:
    this command must never wipe a real database.

    :raise RuntimeError: the database holds accounts that are not the demo's.
    """
    others = db.session.scalar(
        db.select(db.func.count(User.id)).where(User.email.not_like(f"%@{DEMO_DOMAIN}"))
    )
    if others:
        raise RuntimeError(f"the database has {others} accounts outside {DEMO_DOMAIN}: not a demo database")
    tables = MetaData()
    tables.reflect(bind=db.session.connection())
    names = [t.name for t in reversed(tables.sorted_tables) if t.name != "alembic_version"]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        return
    for name in names:
        db.session.execute(text(f'DELETE FROM "{name}"'))
    if "sqlite_sequence" in tables.tables or db.session.scalar(
        text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'")
    ):
        db.session.execute(text("DELETE FROM sqlite_sequence"))


def _first_tick() -> str:
    """Run the program's periodic work once as of now, so patients' pages show their reminders at once."""
    result = runner.tick(datetime.now(UTC))
    pending = db.session.scalar(
        db.select(db.func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
    )
    return (
        f"reminders: {result.delivery.sent} messages delivered to patients' pages "
        f"({', '.join(f'{n} {name}' for name, n in result.queued.items())} queued by the scheduler), "
        f"{pending} pending (day-before reminders and the like)"
    )
