"""The demo and the first run: realistic demo data relative to today, `flask demo reset`, quiet
commands, and the README's curl walk-through run verbatim against a served app."""

from __future__ import annotations

import inspect
import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from booking.demo import DEMO_DOMAIN, demo_loaded_on, demo_today, load_demo_data
from booking.extensions import db
from booking.models import Booking, Patient, ServiceCenter, User
from booking.services.availability import center_grid
from booking.services.monitoring import overdue_patients
from booking.states import is_open

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"n_patients": 12, "n_centers": 6, "visits_per_day": 6}
SMALL_CLI = ["--patients", "12", "--centers", "6", "--visits-per-day", "6"]

pytestmark = pytest.mark.slow


def _load_small(app) -> None:
    with app.app_context():
        load_demo_data(**SMALL)


def test_flask_commands_do_not_print_alembic_plugin_lines(tmp_path):
    """An ordinary `flask` command prints no log lines about alembic's plugins."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'quiet.db'}",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "PYTHONWARNINGS": "ignore",
    }
    env.pop("LABVISIT_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "demo", "--help"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "alembic.runtime.plugins" not in done.stderr and "setup plugin" not in done.stderr


def test_demo_patients_all_have_history_and_a_provider_and_few_are_overdue(app):
    """Every demo patient has a birth date, a provider and completed past visits; overdue stays a short list."""
    _load_small(app)
    with app.app_context():
        patients = db.session.scalars(db.select(Patient)).all()
        assert len(patients) == SMALL["n_patients"] + 5 * SMALL["visits_per_day"]
        this_month = demo_today().replace(day=1)
        for patient in patients:
            assert patient.date_of_birth and patient.provider_name and patient.provider_phone
            done = [
                b for b in patient.bookings if b.status == "delivered" and b.monitoring_month < this_month
            ]
            assert done, f"patient {patient.id} has no history"
        assert len(overdue_patients()) <= len(patients) // 4


def test_past_demo_visits_fit_the_centers_hours_and_capacity(app):
    """No past demo visit is on a day or at an hour its center is closed, nor in a slot over its capacity."""
    _load_small(app)
    with app.app_context():
        taken: dict[tuple[int, object], int] = {}
        visits = db.session.scalars(db.select(Booking).where(Booking.service_center_id.is_not(None))).all()
        assert visits
        for visit in visits:
            center = db.session.get(ServiceCenter, visit.service_center_id)
            day = visit.starts_at.astimezone(__import__("zoneinfo").ZoneInfo(center.time_zone)).date()
            assert visit.starts_at in {s.start for s in center_grid(center, day, day)}, visit.id
            if visit.status not in ("cancelled", "no_show"):
                key = (center.id, visit.starts_at)
                taken[key] = taken.get(key, 0) + 1
                assert taken[key] <= center.capacity_per_slot, key


def test_demo_dates_start_from_today_and_tomorrow_is_planned(app):
    """The demo's field days start after today, and the first one has a published plan."""
    from dispatch.models import DispatchPlan

    _load_small(app)
    with app.app_context():
        assert demo_loaded_on() == demo_today()
        plan = db.session.scalar(db.select(DispatchPlan).order_by(DispatchPlan.day))
        assert plan.published_number is not None
        assert demo_today() < plan.day <= demo_today() + timedelta(days=3)
        upcoming = db.session.scalars(db.select(Booking).where(Booking.kind.in_(("home", "office")))).all()
        assert upcoming and all(is_open(b.status) for b in upcoming)


def test_demo_reset_reloads_the_demo_instead_of_adding_to_it(app):
    """`flask demo reset --yes` empties the demo and loads it again: same counts, the patient login works."""
    _load_small(app)
    with app.app_context():
        before = db.session.scalar(db.select(db.func.count(Patient.id)))
    result = app.test_cli_runner().invoke(args=["demo", "reset", "--yes", *SMALL_CLI])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Patient.id))) == before
        assert db.session.scalar(
            db.select(db.func.count(User.id)).where(User.email == f"patient@{DEMO_DOMAIN}")
        )
    token = app.test_client().post(
        "/api/v1/auth/token", json={"email": f"patient@{DEMO_DOMAIN}", "password": "demo-password"}
    )
    assert token.status_code == 200


def test_demo_reset_refuses_a_database_with_real_accounts(app, world):
    """A database with an account outside the demo domain is never emptied by `flask demo reset`."""
    world.user("coordinator", email="nurse@hospital.example.org")
    result = app.test_cli_runner().invoke(args=["demo", "reset", "--yes", *SMALL_CLI])
    assert result.exit_code != 0 and "not a demo database" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(User.id))) == 1


def test_demo_load_refresh_reloads_a_demo_from_an_earlier_day(app):
    """`flask demo load --refresh` (what `make run` does) reloads a demo loaded on an earlier day."""
    _load_small(app)
    with app.app_context():
        coordinator = db.session.scalar(db.select(User).where(User.email == f"coordinator@{DEMO_DOMAIN}"))
        coordinator.created_at = coordinator.created_at - timedelta(days=3)
        db.session.commit()
    plain = app.test_cli_runner().invoke(args=["demo", "load", *SMALL_CLI])
    assert "flask demo reset" in plain.output
    result = app.test_cli_runner().invoke(args=["demo", "load", "--refresh", *SMALL_CLI])
    assert result.exit_code == 0 and "stale" in result.output, result.output
    with app.app_context():
        assert demo_loaded_on() == demo_today()


def test_readme_patient_count_matches_the_demo():
    """The README's number of demo patients is what `flask demo load` creates."""
    from dispatch.demo import VISITS_PER_DAY

    readme = (ROOT / "README.md").read_text()
    stated = int(re.search(r"and (\d+) patients", readme).group(1))
    assert stated == inspect.signature(load_demo_data).parameters["n_patients"].default + 5 * VISITS_PER_DAY


def _walk_through() -> str:
    """The README's curl walk-through, exactly as written."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Try the API (curl)") :]
    start = section.index("```sh\n") + len("```sh\n")
    return section[start : section.index("\n```", start)]


def test_readme_curl_walk_through_succeeds_verbatim(app, live_server):
    """Pasted into bash against the served demo, every README curl step succeeds: book, move, cancel."""
    _load_small(app)
    script = _walk_through()
    assert "API=http://127.0.0.1:5000/api/v1" in script
    script = script.replace("http://127.0.0.1:5000", live_server, 1)
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert not re.search(r'"status":\s*[45]\d\d', done.stdout), done.stdout[-3000:]
    assert '"status":"confirmed"' in done.stdout.replace(" ", "")
    assert done.stdout.rstrip().endswith("}") and '"status":"cancelled"' in done.stdout.splitlines()[-1]
    with app.app_context():
        [cancelled] = db.session.scalars(db.select(Booking).where(Booking.status == "cancelled")).all()
        assert cancelled.patient.user.email == f"patient@{DEMO_DOMAIN}"
        assert cancelled.status_reason == "travel"
