"""Command-line tools: ``flask users create`` and ``flask demo load``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from booking.auth import hash_password
from booking.extensions import db
from booking.models import Patient, Role, User

users_cli = AppGroup("users", help="Manage user accounts.")
demo_cli = AppGroup("demo", help="Demo data.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True, help="At least 8 characters.")
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
    db.session.commit()
    click.echo(f"created {role} user {user.id}")


@demo_cli.command("load")
@click.option("--seed", default=7, show_default=True)
@click.option("--patients", default=200, show_default=True)
@click.option("--centers", default=36, show_default=True)
def load_demo(seed, patients, centers):
    """Load the demo metro area (idempotent: does nothing if demo data exists)."""
    from booking.demo import load_demo_data

    summary = load_demo_data(seed=seed, n_patients=patients, n_centers=centers)
    click.echo(summary)


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
