"""Command-line tools: ``flask users create|disable|enable``, ``flask demo load|reset``, ``flask integrity check|repair``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from booking.auth import hash_password
from booking.extensions import db
from booking.models import Patient, Role, User
from booking.services import accounts, integrity

users_cli = AppGroup("users", help="Manage user accounts.")
demo_cli = AppGroup("demo", help="Demo data.")
integrity_cli = AppGroup("integrity", help="Check the capacity counters against the bookings.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True, help="At least 8 characters, not a common password.")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--first-name", default="")
@click.option("--last-name", default="")
@click.option("--patient-id", type=int, default=None, help="Link a patient login to its record.")
def create_user(email, password, role, first_name, last_name, patient_id):
    """Create a user account."""
    email = email.strip().lower()
    if db.session.scalar(db.select(User).where(User.email == email)):
        raise click.ClickException(f"a user with e-mail {email} already exists")
    if role == Role.PATIENT and patient_id is None:
        raise click.ClickException("a patient login needs --patient-id")
    if patient_id is not None and db.session.get(Patient, patient_id) is None:
        raise click.ClickException(f"no patient with id {patient_id}")
    if patient_id is not None and db.session.scalar(db.select(User.id).where(User.patient_id == patient_id)):
        raise click.ClickException(f"patient {patient_id} has a login already")
    try:
        password_hash = hash_password(password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    user = User(
        email=email,
        password_hash=password_hash,
        role=role,
        first_name=first_name,
        last_name=last_name,
        patient_id=patient_id,
    )
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError as exc:  # the same e-mail or patient taken by a concurrent create
        db.session.rollback()
        raise click.ClickException("the e-mail or the patient has a login already") from exc
    click.echo(f"created {role} user {user.id}")


def _account(email: str) -> User:
    user = accounts.user_by_email(email)
    if user is None:
        raise click.ClickException(f"no user with e-mail {email.strip().lower()}")
    return user


@users_cli.command("disable")
@click.argument("email")
def disable_user(email):
    """Disable an account: it cannot sign in, and its tokens and page sessions end at once."""
    user = _account(email)
    accounts.set_active(user, False)
    db.session.commit()
    click.echo(f"disabled user {user.id}")


@users_cli.command("enable")
@click.argument("email")
def enable_user(email):
    """Let a disabled account sign in again (its old tokens stay revoked)."""
    user = _account(email)
    accounts.set_active(user, True)
    db.session.commit()
    click.echo(f"enabled user {user.id}")


def _demo_options(command):
    for option in reversed(
        (
            click.option("--seed", default=7, show_default=True),
            click.option("--patients", default=200, show_default=True, help="Patients with center visits."),
            click.option("--centers", default=36, show_default=True),
            click.option(
                "--visits-per-day", type=int, default=None, help="Home/office visits per field day (36)."
            ),
        )
    ):
        command = option(command)
    return command


def _load(seed: int, patients: int, centers: int, visits_per_day: int | None) -> None:
    from booking.demo import load_demo_data

    click.echo(
        load_demo_data(seed=seed, n_patients=patients, n_centers=centers, visits_per_day=visits_per_day)
    )


def _reset() -> None:
    """Empty the demo database and commit; a database with real accounts is refused."""
    from booking.demo import clear_demo_data

    try:
        clear_demo_data()
    except RuntimeError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()


@demo_cli.command("load")
@_demo_options
@click.option(
    "--refresh",
    is_flag=True,
    help="Reload the demo when it was loaded on an earlier day (its dates are relative to that day).",
)
def load_demo(seed, patients, centers, visits_per_day, refresh):
    """Load the demo metro area (does nothing if demo data exists, unless --refresh finds it stale)."""
    from booking.demo import demo_loaded_on, demo_today

    loaded_on = demo_loaded_on()
    if loaded_on is not None and loaded_on < demo_today():
        if not refresh:
            click.echo(
                f"demo data loaded on {loaded_on}; `flask demo reset` reloads it with dates from today"
            )
            return
        click.echo(f"demo data loaded on {loaded_on} is stale: reloading it with dates from today")
        _reset()
    _load(seed, patients, centers, visits_per_day)


@demo_cli.command("reset")
@_demo_options
@click.confirmation_option(prompt="Delete all data in this database and load the demo again?")
def reset_demo(seed, patients, centers, visits_per_day):
    """Delete the demo data (every row; refused if real accounts exist) and load the demo again."""
    _reset()
    _load(seed, patients, centers, visits_per_day)


@integrity_cli.command("check")
def integrity_check():
    """Recount every capacity counter from the active bookings; exit 1 listing each difference.

    Prints keys and counts only (no patient data), so its output may go to any log.
    """
    found = integrity.differences()
    for diff in found:
        click.echo(str(diff))
    if found:
        raise click.ClickException(f"{len(found)} capacity counter(s) differ from the bookings they count")
    click.echo("capacity counters: 0 differences")


@integrity_cli.command("repair")
def integrity_repair():
    """Set every capacity counter to its recount (after an incident) and list what changed."""
    found = integrity.repair()
    db.session.commit()
    for diff in found:
        click.echo(f"repaired {diff}")
    overbooked = [d for d in found if d.overbooked]
    click.echo(
        f"capacity counters: {len(found)} repaired, {len(overbooked)} overbooked key(s) to resolve by hand"
    )


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(integrity_cli)
