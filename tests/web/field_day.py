"""A small dispatch day for page tests: a region, a lab, technicians and home visits, planned and published.

Plans are made with the dispatch service directly (a one-second solve), the
way the background job makes them.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from booking.extensions import db
from booking.models import Booking, Patient, Region, TreatmentCourse, User
from booking.slots import zone_for

TZ = "America/New_York"
MIDTOWN = (40.7484, -73.9857)
# Visit addresses a few kilometres apart around Midtown Manhattan.
PLACES = [
    (40.7580, -73.9855),
    (40.7411, -73.9897),
    (40.7527, -73.9772),
    (40.7306, -73.9866),
    (40.7614, -73.9776),
    (40.7440, -74.0060),
]


def region_tomorrow(tz: str = TZ) -> date:
    """Tomorrow in the region: a whole day ahead, whatever the time of the test run (today's past hours
    cannot be planned any more)."""
    return datetime.now(zone_for(tz)).date() + timedelta(days=1)


class FieldDay:
    """One region's day in the database: build it, then ``plan()`` and ``publish()`` it."""

    def __init__(self, app, world, day: date | None = None):
        from dispatch.models import Lab

        self.app, self.world = app, world
        self.day = day or region_tomorrow()
        self.region_id = world.region(daily_capacity=100)
        self.technicians: dict[int, User] = {}
        with app.app_context():
            db.session.add(
                Lab(
                    region_id=self.region_id,
                    name="Central Lab",
                    address="1 Lab Way, New York",
                    latitude=40.7527,
                    longitude=-73.9772,
                    cutoff=time(17, 30),
                )
            )
            db.session.commit()

    def technician(self, first_name: str, *, email: str | None = None) -> tuple[int, User]:
        from dispatch.models import Shift, Technician

        user = self.world.user("technician", first_name=first_name, email=email)
        with self.app.app_context():
            tech = Technician(
                user_id=user.id,
                region_id=self.region_id,
                phone="555-0111",
                home_address="Tech base",
                home_latitude=MIDTOWN[0],
                home_longitude=MIDTOWN[1],
                skills=["phlebotomy"],
                max_visits=12,
                shifts=[Shift(weekday=d, starts=time(7, 0), ends=time(18, 0)) for d in range(7)],
            )
            db.session.add(tech)
            db.session.commit()
            self.technicians[tech.id] = user
            return tech.id, user

    def visit(
        self,
        hour: int,
        *,
        first_name: str = "Pat",
        place: int = 0,
        notes: str = "Ring twice",
        minutes: int = 120,
    ) -> int:
        """A confirmed home visit on the day, for a new patient whose month is monitored."""
        start = datetime.combine(self.day, time(hour), zone_for(TZ))
        month = self.day.replace(day=1)
        lat, lon = PLACES[place % len(PLACES)]
        with self.app.app_context():
            patient = Patient(
                first_name=first_name,
                last_name="Visitor",
                date_of_birth=date(1980, 5, 17),
                time_zone=TZ,
                phone="555-0100",
                home_address=f"{100 + place} W {20 + place}th St, New York, NY",
                home_latitude=lat,
                home_longitude=lon,
                home_geo_precision="client",
                access_notes=notes,
                courses=[TreatmentCourse(first_infusion=month - timedelta(days=90), last_infusion=month)],
            )
            booking = Booking(
                patient=patient,
                kind="home",
                status="confirmed",
                monitoring_month=month,
                region_id=self.region_id,
                starts_at=start,
                ends_at=start + timedelta(minutes=minutes),
                time_zone=TZ,
                address=patient.home_address,
                latitude=lat,
                longitude=lon,
            )
            db.session.add(booking)
            db.session.commit()
            return booking.id

    def plan(self, time_limit: float = 1.0) -> int:
        from dispatch.service import plan_day

        with self.app.app_context():
            version = plan_day(db.session.get(Region, self.region_id), self.day, time_limit=time_limit)
            db.session.commit()
            return version.plan_id

    def publish(self) -> None:
        from dispatch.plans import plan_for, publish

        with self.app.app_context():
            plan = plan_for(db.session.get(Region, self.region_id), self.day)
            publish(plan, None, plan.revision)
            db.session.commit()

    def status(self, booking_id: int) -> str:
        with self.app.app_context():
            return db.session.get(Booking, booking_id).status
