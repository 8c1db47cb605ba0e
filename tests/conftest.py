"""Shared fixtures: one real database per test run, built by the migrations.

SQLite by default (a temporary file); PostgreSQL when ``TEST_DATABASE_URL`` is
set. Each test starts from empty tables; objects are created through the app.
"""

from __future__ import annotations

import os
import threading
from datetime import date, time, timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text
from werkzeug.serving import make_server

from booking import create_app
from booking.auth import hash_password
from booking.extensions import db
from booking.models import OpeningHours, Patient, Region, ServiceCenter, TreatmentCourse, User

PASSWORD = "correct horse battery"


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return _worker_database(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets its own PostgreSQL database (``<name>_gw0``, …).

    The fixture below drops and recreates the schema, so two workers must never
    share one database. Created on first use, next to the given one.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = _database_url(tmp_path_factory)

    class Config(__import__("config").TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    app = create_app(Config)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
    yield app


@pytest.fixture(autouse=True)
def _clean_tables(request):
    """Empty every table after each test that used the app."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for name in tables:
                    conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


class World:
    """Builds real objects in the database and signs users in."""

    def __init__(self, app, client):
        self.app, self.client = app, client

    def user(
        self, role: str, *, email: str | None = None, patient_id: int | None = None, first_name: str = "Test"
    ) -> User:
        with self.app.app_context():
            user = User(
                email=email or f"{role}-{os.urandom(4).hex()}@example.org",
                password_hash=hash_password(PASSWORD),
                role=role,
                first_name=first_name,
                patient_id=patient_id,
            )
            db.session.add(user)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    def headers(self, user: User) -> dict:
        response = self.client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
        assert response.status_code == 200, response.json
        return {"Authorization": f"Bearer {response.json['access_token']}"}

    def login(self, role: str, **kwargs) -> dict:
        return self.headers(self.user(role, **kwargs))

    def patient(
        self,
        *,
        first_infusion=date(2025, 1, 10),
        last_infusion=date(2026, 2, 20),
        home=(40.7484, -73.9857),
        office=None,
        provider=True,
        tz="America/New_York",
    ) -> int:
        with self.app.app_context():
            patient = Patient(
                first_name="Pat",
                last_name=f"Ient{os.urandom(2).hex()}",
                time_zone=tz,
                phone="555-0100",
                home_address="350 5th Ave, New York, NY 10118",
                home_latitude=home[0],
                home_longitude=home[1],
                home_geo_precision="client",
                provider_name="Dr. Rivera" if provider else None,
                provider_address="10 Main St, New York, NY 10001" if provider else None,
                provider_phone="555-0199" if provider else None,
                courses=[TreatmentCourse(first_infusion=first_infusion, last_infusion=last_infusion)],
            )
            if office:
                patient.office_address = "1 Office Plaza, New York, NY 10004"
                patient.office_latitude, patient.office_longitude = office
                patient.office_geo_precision = "client"
            db.session.add(patient)
            db.session.commit()
            return patient.id

    def patient_login(self, **kwargs) -> tuple[int, dict]:
        patient_id = self.patient(**kwargs)
        return patient_id, self.login("patient", patient_id=patient_id)

    def center(
        self,
        *,
        name="Midtown PSC",
        network="Acme Labs",
        lat=40.7505,
        lon=-73.9934,
        capacity=2,
        slot_minutes=15,
        opens=time(7, 0),
        closes=time(15, 0),
        weekdays=range(7),
        tz="America/New_York",
    ) -> int:
        with self.app.app_context():
            center = ServiceCenter(
                network=network,
                name=name,
                address=f"{name} address",
                latitude=lat,
                longitude=lon,
                time_zone=tz,
                slot_minutes=slot_minutes,
                capacity_per_slot=capacity,
                hours=[OpeningHours(weekday=d, opens=opens, closes=closes) for d in weekdays],
            )
            db.session.add(center)
            db.session.commit()
            return center.id

    def region(
        self,
        *,
        lat=40.7484,
        lon=-73.9857,
        radius_km=30,
        daily_capacity=3,
        tz="America/New_York",
        weekdays=(0, 1, 2, 3, 4, 5, 6),
    ) -> int:
        with self.app.app_context():
            region = Region(
                name=f"Metro {os.urandom(2).hex()}",
                time_zone=tz,
                latitude=lat,
                longitude=lon,
                radius_km=radius_km,
                service_weekdays=list(weekdays),
                service_start=time(8, 0),
                service_end=time(16, 0),
                window_minutes=120,
                daily_capacity=daily_capacity,
            )
            db.session.add(region)
            db.session.commit()
            return region.id


@pytest.fixture
def world(app, client):
    return World(app, client)


def future_day(days: int = 10) -> date:
    """A day safely in the future, so slots on it are bookable."""
    return date.today() + timedelta(days=days)


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on localhost, for concurrency tests."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
