"""Fixtures of the dispatch service: a small metro region with technicians, a lab and a day of bookings.

Everything is real rows in the test database; plans are made through the API
and its background jobs, with solver limits of a second or two.
"""

from __future__ import annotations

import time as clock
from datetime import date, datetime, time, timedelta

import pytest

from booking.extensions import db
from booking.models import Booking, Patient, Region, TreatmentCourse, User
from booking.schedule import add_months
from booking.slots import zone_for
from dispatch import jobs
from dispatch.models import Lab, Shift, Technician
from tests.conftest import future_day

TZ = "America/New_York"
MIDTOWN = (40.7484, -73.9857)


def working_day(days: int = 10) -> date:
    day = future_day(days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


class Field:
    """A region with technicians, a lab and bookings, built in the database."""

    def __init__(self, app, world):
        self.app, self.world = app, world
        self.day = working_day()
        self.region_id = world.region(daily_capacity=200, weekdays=(0, 1, 2, 3, 4))
        self.technicians: list[int] = []
        self.tech_users: dict[int, User] = {}
        with app.app_context():
            lab = Lab(
                region_id=self.region_id,
                name="Central Lab",
                address="1 Lab Way",
                latitude=40.7527,
                longitude=-73.9772,
                cutoff=time(17, 0),
            )
            db.session.add(lab)
            db.session.commit()
            self.lab_id = lab.id

    def technician(
        self,
        *,
        home=MIDTOWN,
        starts=time(8, 0),
        ends=time(17, 0),
        max_visits=12,
        skills=("phlebotomy",),
        first_name="Tess",
        weekdays=range(5),
    ) -> int:
        user = self.world.user("technician", first_name=first_name)
        with self.app.app_context():
            tech = Technician(
                user_id=user.id,
                region_id=self.region_id,
                phone="555-0111",
                home_address="Tech base",
                home_latitude=home[0],
                home_longitude=home[1],
                skills=list(skills),
                max_visits=max_visits,
                shifts=[Shift(weekday=d, starts=starts, ends=ends) for d in weekdays],
            )
            db.session.add(tech)
            db.session.commit()
            self.technicians.append(tech.id)
            self.tech_users[tech.id] = user
            return tech.id

    def tech_headers(self, tech_id: int) -> dict:
        return self.world.headers(self.tech_users[tech_id])

    def window(self, hour: int, minutes: int = 120) -> tuple[datetime, datetime]:
        start = datetime.combine(self.day, time(hour), zone_for(TZ))
        return start, start + timedelta(minutes=minutes)

    def booking(
        self,
        *,
        hour: int = 8,
        at=MIDTOWN,
        kind="home",
        status="confirmed",
        minutes=120,
        access_notes="Ring twice",
    ) -> int:
        """A confirmed home visit on the field's day, for a new patient (its month is monitored)."""
        starts, ends = self.window(hour, minutes)
        with self.app.app_context():
            patient = Patient(
                first_name="Pat",
                last_name="Ient",
                time_zone=TZ,
                phone="555-0100",
                home_address="350 5th Ave",
                home_latitude=at[0],
                home_longitude=at[1],
                home_geo_precision="client",
                access_notes=access_notes,
                date_of_birth=date(1970, 1, 1),
                email="pat@example.org",
                courses=[
                    TreatmentCourse(
                        first_infusion=add_months(self.day.replace(day=1), -3),
                        last_infusion=self.day.replace(day=1),
                    )
                ],
            )
            booking = Booking(
                patient=patient,
                kind=kind,
                status=status,
                monitoring_month=self.day.replace(day=1),
                region_id=self.region_id,
                starts_at=starts,
                ends_at=ends,
                time_zone=TZ,
                address="350 5th Ave",
                latitude=at[0],
                longitude=at[1],
            )
            db.session.add(booking)
            db.session.commit()
            return booking.id

    def region(self) -> Region:
        return db.session.get(Region, self.region_id)


@pytest.fixture
def field(app, world):
    return Field(app, world)


@pytest.fixture
def coordinator(world):
    return world.login("coordinator")


def wait_for(client, headers, job: dict, timeout: float = 60) -> dict:
    """Poll a job until it is finished; also joins the solve threads, so no write outlives the test."""
    deadline = clock.monotonic() + timeout
    while clock.monotonic() < deadline:
        body = client.get(f"/api/v1/dispatch/jobs/{job['id']}", headers=headers).json
        if body["status"] in ("succeeded", "failed"):
            for thread in list(jobs.threads):
                thread.join(timeout=10)
            return body
        clock.sleep(0.1)
    raise AssertionError(f"job {job['id']} did not finish in {timeout} s")


def plan_now(client, headers, field: Field, time_limit: float = 0.5) -> dict:
    """Plan the field's day through the API and return the plan's current version."""
    response = client.post(
        "/api/v1/dispatch/plans",
        headers=headers,
        json={"date": field.day.isoformat(), "region_id": field.region_id, "time_limit": time_limit},
    )
    assert response.status_code == 202, response.json
    job = wait_for(client, headers, response.json)
    assert job["status"] == "succeeded", job
    return get_plan(client, headers, job["plan_id"])


def get_plan(client, headers, plan_id: int, which: str = "current") -> dict:
    response = client.get(
        f"/api/v1/dispatch/plans/{plan_id}", headers=headers, query_string={"version": which}
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["etag"] == response.headers["ETag"]
    return body


def publish(client, headers, plan: dict) -> dict:
    response = client.post(
        f"/api/v1/dispatch/plans/{plan['id']}/publish", headers={**headers, "If-Match": plan["etag"]}
    )
    assert response.status_code == 200, response.json
    return response.json


def stops_of(plan: dict) -> dict[int, tuple[int, int]]:
    """booking id → (technician id, position)."""
    return {
        s["booking_id"]: (r["technician"]["id"], s["position"]) for r in plan["routes"] for s in r["stops"]
    }
