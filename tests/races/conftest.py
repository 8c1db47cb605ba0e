"""A real server for the race suite: gunicorn, several worker processes, the test's own database.

The in-process ``live_server`` of ``tests/conftest.py`` is one process with one
SQLAlchemy engine; production is several processes with their own connections,
which is where a double cancel or two racing reschedules show. So the suite
starts ``gunicorn`` once per test run (``-w 3 -k gthread --threads 4``, bound to
127.0.0.1 on a free port) over the database the ``app`` fixture migrated
(SQLite file, or the xdist worker's PostgreSQL database), with its configuration
given explicitly: ``-c /dev/null`` so no repository gunicorn.conf.py applies, and
LABVISIT_CONFIG, DATABASE_URL, a random SECRET_KEY, PROGRAM_SCHEDULER=off.

Tokens are issued with the server's key by :func:`booking.auth.issue_token`
itself, so a trial with fifty racers does not pay fifty Argon2 sign-ins.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from booking.auth import hash_password, issue_token
from booking.extensions import db
from booking.models import Booking, BookingEvent, CapacityCounter, Patient, TreatmentCourse, User
from booking.services import integrity
from tests.conftest import PASSWORD, future_day

ROOT = Path(__file__).resolve().parents[2]
WORKERS, THREADS = 3, 4


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_serving(proc: subprocess.Popen, url: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/openapi.json", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer in {timeout} s:\n{log.read_text()[-4000:]}")


@dataclass
class Server:
    url: str
    secret: str
    log: Path

    def token_headers(self, user: User) -> dict:
        """A bearer token the server accepts, issued by the app's own token code with its key."""
        minting = Flask("race-tokens")
        minting.config.update(SECRET_KEY=self.secret, TOKEN_TTL_SECONDS=3600)
        with minting.app_context():
            token, _ = issue_token(user)
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def server(app):
    """gunicorn serving the test database, started once for the whole run."""
    secret = secrets.token_urlsafe(48)
    port = _free_port()
    log = Path(tempfile.mkdtemp(prefix="races-")) / "gunicorn.log"
    env = {
        **os.environ,
        "LABVISIT_CONFIG": "tests.races.server_config.RaceServerConfig",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": secret,
        "PROGRAM_SCHEDULER": "off",
        "SIGN_IN_RATE_LIMIT": "10000 per second",
        "SESSION_COOKIE_SECURE": "0",
        "PYTHONPATH": str(ROOT),
    }
    args = [
        *(sys.executable, "-m", "gunicorn", "-c", "/dev/null"),
        *("-w", str(WORKERS), "-k", "gthread", "--threads", str(THREADS)),
        *("-b", f"127.0.0.1:{port}", "--timeout", "120", "--graceful-timeout", "2", "--chdir", str(ROOT)),
        "wsgi:app",
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(proc, url, log)
        yield Server(url, secret, log)
    finally:
        proc.terminate()  # with --graceful-timeout 2: nothing is in flight any more
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- people -----------------------------------------------------------------------------------

_HASH: list[str] = []


def _password_hash() -> str:
    """One Argon2 hash for every racer's account (hashing fifty passwords would cost seconds)."""
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


@dataclass(frozen=True)
class Person:
    user_id: int
    patient_id: int | None
    email: str
    headers: dict


class People:
    """Patients and staff made in the database, with tokens for the server."""

    def __init__(self, app, server: Server):
        self.app, self.server = app, server

    def patients(self, n: int, *, home=(40.7484, -73.9857)) -> list[Person]:
        with self.app.app_context():
            users = []
            for _ in range(n):
                tag = os.urandom(4).hex()
                patient = Patient(
                    first_name="Race",
                    last_name=f"R{tag}",
                    time_zone="America/New_York",
                    home_address="350 5th Ave, New York, NY 10118",
                    home_latitude=home[0],
                    home_longitude=home[1],
                    home_geo_precision="client",
                    courses=[TreatmentCourse(first_infusion=future_day(-400), last_infusion=future_day(-30))],
                )
                user = User(
                    email=f"race-{tag}@example.org",
                    password_hash=_password_hash(),
                    role="patient",
                    patient=patient,
                )
                db.session.add(user)
                users.append(user)
            db.session.commit()
            return [self._person(u) for u in users]

    def staff(self) -> Person:
        with self.app.app_context():
            user = User(
                email=f"coord-{os.urandom(4).hex()}@example.org",
                password_hash=_password_hash(),
                role="coordinator",
            )
            db.session.add(user)
            db.session.commit()
            return self._person(user)

    def _person(self, user: User) -> Person:
        return Person(user.id, user.patient_id, user.email, self.server.token_headers(user))


@pytest.fixture
def people(app, server) -> People:
    return People(app, server)


# --- HTTP and races ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict | None
    content_type: str


def call(method: str, url: str, headers: dict | None = None, body: dict | None = None) -> Answer:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={**(headers or {}), "Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return Answer(response.status, _json(response.read()), response.headers.get("Content-Type", ""))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, _json(exc.read()), exc.headers.get("Content-Type", ""))


def _json(raw: bytes) -> dict | None:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def race(calls) -> list:
    """Run every call at the same instant (a barrier), each on its own thread; answers in call order."""
    barrier = threading.Barrier(len(calls))
    answers: list = [None] * len(calls)

    def run(i, fn):
        barrier.wait()
        try:
            answers[i] = fn()
        except Exception as exc:  # noqa: BLE001 - reported as the answer, so the test names it
            answers[i] = exc

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return answers


def statuses(answers) -> list[int]:
    return sorted(a.status for a in answers)


def assert_conflicts_say_why(answers, current_status: str | None = None) -> None:
    """Every loser got a 409 problem+json (with the booking's status where asked), never a 5xx."""
    for answer in answers:
        assert isinstance(answer, Answer), answer
        assert answer.status < 500, answer
        if answer.status == 409:
            assert answer.content_type.startswith("application/problem+json"), answer
            assert answer.body["status"] == 409 and answer.body.get("detail"), answer
            if current_status is not None:
                assert answer.body.get("current_status") == current_status, answer


# --- what the database says after a trial -----------------------------------------------------


def openings(server: Server, headers: dict, day=None, **params) -> list[dict]:
    day = day or future_day()
    query = "&".join(f"{k}={v}" for k, v in {"from": day, "to": day, **params}.items())
    answer = call("GET", f"{server.url}/api/v1/availability?{query}", headers)
    assert answer.status == 200, answer
    return answer.body["openings"]


def assert_counters_match(app) -> None:
    """The integrity check (the CLI's own function) finds 0 differences."""
    with app.app_context():
        found = integrity.differences()
    assert found == [], [str(d) for d in found]


def booking_of(app, booking_id: int) -> Booking:
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        db.session.expunge(booking)
        return booking


def events_of(app, booking_id: int) -> list[BookingEvent]:
    with app.app_context():
        events = db.session.scalars(
            db.select(BookingEvent).where(BookingEvent.booking_id == booking_id).order_by(BookingEvent.id)
        ).all()
        db.session.expunge_all()
        return list(events)


def counter(app, key: str) -> int:
    with app.app_context():
        return db.session.scalar(db.select(CapacityCounter.booked).where(CapacityCounter.key == key)) or 0


def active_at(app, key: str) -> int:
    with app.app_context():
        return db.session.scalar(
            db.select(db.func.count(Booking.id)).where(
                Booking.capacity_key == key, Booking.status.not_in(("cancelled", "no_show"))
            )
        )
