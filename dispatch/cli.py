"""``flask dispatch plan``: plan a region's day from the command line (the solve runs right here)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from booking.extensions import db
from booking.models import Region
from dispatch.models import DispatchPlan
from dispatch.plans import publish as publish_version
from dispatch.service import plan_day

dispatch_cli = AppGroup("dispatch", help="Daily dispatch plans.")


def _regions(name_or_id: str | None) -> list[Region]:
    query = db.select(Region).order_by(Region.id)
    if name_or_id:
        column = Region.id if name_or_id.isdigit() else Region.name
        query = query.where(column == (int(name_or_id) if name_or_id.isdigit() else name_or_id))
    regions = list(db.session.scalars(query))
    if not regions:
        raise click.ClickException(f"no region {name_or_id!r}" if name_or_id else "no regions")
    return regions


@dispatch_cli.command("plan")
@click.option("--date", "day", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="YYYY-MM-DD")
@click.option("--region", "region", default=None, help="Region id or name (default: every region).")
@click.option("--time-limit", default=10.0, show_default=True, type=click.FloatRange(0.5, 600))
@click.option("--seed", default=0, show_default=True)
@click.option("--publish/--no-publish", default=False, help="Publish the new version at once.")
def plan_command(day, region, time_limit, seed, publish):
    """Solve the day's home and office visits and store a draft plan version."""

    for r in _regions(region):
        v = plan_day(r, day.date(), time_limit=time_limit, seed=seed, source="solve")
        db.session.commit()
        s = v.stats
        click.echo(
            f"region {r.id} {r.name} {day.date()}: plan {v.plan_id} version {v.number} (draft): "
            f"{s['served']}/{s['visits']} visits served by {s['technicians_used']} of "
            f"{s['technicians_on_shift']} technicians, {s['unassigned']} unassigned, "
            f"{s['drive_seconds'] / 60:.0f} drive minutes "
            f"({s['drive_minutes_per_visit']} per visit), solved in {s['solve_seconds']} s "
            f"[{s['solver_status']}, travel: {s['travel_source']}]"
        )
        for u in v.unassigned:
            click.echo(f"  unassigned booking {u.booking_id}: {u.reason}")
        if publish:
            plan = db.session.get(DispatchPlan, v.plan_id)
            publish_version(plan, None, plan.revision)
            db.session.commit()
            click.echo(f"  published version {v.number}")


def init_app(app: Flask) -> None:
    app.cli.add_command(dispatch_cli)
