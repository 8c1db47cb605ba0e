"""``flask program tick``: run the program's periodic work as of an instant, then deliver the outbox."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import Flask
from flask.cli import AppGroup

from booking.program import runner

program_cli = AppGroup("program", help="The monitoring program: reminders and the notification outbox.")


def _instant(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO 8601 instant: {value!r}") from exc
    if at.tzinfo is None:
        raise click.BadParameter("give a time zone offset, e.g. 2026-12-03T09:00:00Z or +00:00")
    return at.astimezone(UTC)


@program_cli.command("tick")
@click.option("--at", "at_", default=None, help="ISO 8601 instant to run as of (default: now).")
def tick(at_):
    """Run every periodic job due as of --at, deliver the outbox, and exit. Safe to repeat."""
    at = _instant(at_)
    result = runner.tick(at)
    report = result.delivery
    queued = ", ".join(f"{name} {n}" for name, n in result.queued.items()) or "no jobs"
    click.echo(
        f"as of {at.isoformat()}: queued {queued}; sent {report.sent}, retried {report.retried}, "
        f"dead {report.dead}, skipped {report.skipped}"
    )


def init_app(app: Flask) -> None:
    app.cli.add_command(program_cli)
