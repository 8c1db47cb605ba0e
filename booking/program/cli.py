"""``flask program tick`` (periodic work as of an instant, then the outbox) and ``flask program deliver``."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import click
from flask import Flask
from flask.cli import AppGroup

from booking.program import delivery, runner

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
    queued = ", ".join(f"{name} {n}" for name, n in result.queued.items()) or "no jobs"
    click.echo(f"as of {at.isoformat()}: queued {queued}; {_summary(result.delivery)}")


def _summary(report: delivery.DeliveryReport) -> str:
    return (
        f"sent {report.sent}, retried {report.retried}, dead {report.dead}, "
        f"skipped {report.skipped}, withdrawn {report.withdrawn}"
    )


@program_cli.command("deliver")
@click.option(
    "--at", "at_", default=None, help="Deliver what is due as of this ISO 8601 instant (default: now)."
)
@click.option("--batch", default=100, show_default=True, help="Messages claimed per batch.")
@click.option("--loop", is_flag=True, help="Keep delivering every --interval seconds until stopped.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between runs with --loop.")
def deliver(at_, batch, loop, interval):
    """Deliver the outbox (no periodic jobs): once, or as a worker with --loop.

    Any number of these may run side by side; a killed one's claimed messages
    are taken over by the others once its lease runs out.
    """
    while True:
        at = _instant(at_)
        report = delivery.deliver_due(at, batch=batch)
        if report.sent or report.retried or report.dead or not loop:
            click.echo(f"as of {at.isoformat()}: {_summary(report)}")
        if not loop:
            return
        time.sleep(interval)


def init_app(app: Flask) -> None:
    app.cli.add_command(program_cli)
