"""What publishing a version will tell whom, worked out before the coordinator confirms it.

Publishing is the moment a day's plan reaches people: each technician's route
becomes theirs, and each patient on a route sees a technician's first name and
an arrival window on their visit page. Publishing sends no e-mail or SMS by
itself (the day-before reminder goes as it always does), so the summary says
exactly what changes on whose page, comparing the version to be published with
the one published now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from booking.extensions import db
from booking.models import Booking
from dispatch.models import PlanVersion, Technician


@dataclass(frozen=True)
class TechnicianChange:
    technician: Technician
    stops: int
    stops_before: int | None  # None: had no route in the published version
    first_arrival: datetime | None


@dataclass(frozen=True)
class PatientChange:
    booking: Booking
    window: tuple[datetime, datetime] | None  # the arrival window they will see (None: no technician)
    window_before: tuple[datetime, datetime] | None


@dataclass
class PublishSummary:
    """Who sees what once ``version`` is published."""

    version: PlanVersion
    published_before: int | None
    technicians: list[TechnicianChange] = field(default_factory=list)
    joining: list[PatientChange] = field(default_factory=list)  # get a technician and a window
    moved: list[PatientChange] = field(default_factory=list)  # their window changes
    unchanged: int = 0
    leaving: list[PatientChange] = field(default_factory=list)  # lose their technician
    unassigned: list[PatientChange] = field(default_factory=list)  # no technician, now or before

    @property
    def told(self) -> int:
        """Patients whose visit page will say something new."""
        return len(self.joining) + len(self.moved) + len(self.leaving)


def publish_summary(version: PlanVersion, published: PlanVersion | None) -> PublishSummary:
    """Compare ``version`` with the ``published`` one (None: nothing published yet)."""
    summary = PublishSummary(version, published.number if published else None)
    before = {s.booking_id: s for s in published.stops} if published else {}
    now = {s.booking_id: s for s in version.stops}

    per_tech: dict[int, list] = {}
    for stop in version.stops:
        per_tech.setdefault(stop.technician_id, []).append(stop)
    per_tech_before: dict[int, int] = {}
    for stop in before.values():
        per_tech_before[stop.technician_id] = per_tech_before.get(stop.technician_id, 0) + 1
    techs = [db.session.get(Technician, i) for i in {r.technician_id for r in version.routes} | set(per_tech)]
    for tech in sorted(techs, key=lambda t: t.user.first_name):
        stops = per_tech.get(tech.id, [])
        summary.technicians.append(
            TechnicianChange(
                tech,
                len(stops),
                per_tech_before.get(tech.id, 0) if published else None,
                min((s.arrival for s in stops), default=None),
            )
        )

    for booking_id, stop in now.items():
        window = (stop.window_start, stop.window_end)
        old = before.get(booking_id)
        if old is None:
            summary.joining.append(PatientChange(stop.booking, window, None))
        elif (old.window_start, old.window_end) != window or old.technician_id != stop.technician_id:
            summary.moved.append(PatientChange(stop.booking, window, (old.window_start, old.window_end)))
        else:
            summary.unchanged += 1
    for booking_id, old in before.items():
        if booking_id not in now:
            summary.leaving.append(PatientChange(old.booking, None, (old.window_start, old.window_end)))
    leaving = {c.booking.id for c in summary.leaving}
    summary.unassigned = [
        PatientChange(u.booking, None, None) for u in version.unassigned if u.booking_id not in leaving
    ]
    for changes in (summary.joining, summary.moved, summary.leaving, summary.unassigned):
        changes.sort(key=lambda c: (c.window or c.window_before or (c.booking.starts_at,))[0])
    return summary
