"""Each technician's day as a timeline: driving, waiting, at a visit, and the lab drop.

Built from the same route shape the API returns (``dispatch.shapes.version_view``),
so the board's bars and the route's times cannot disagree. All technicians of a
day share one axis, whole hours from the earliest start to the latest end, so
the bars line up and the hour labels can be spaced evenly without any inline
style (the pages' Content-Security-Policy allows none).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

KINDS = ("drive", "wait", "service", "lab")


@dataclass(frozen=True)
class Segment:
    kind: str  # one of KINDS
    start: int  # minutes from the axis start
    minutes: int
    label: str  # what it is, for the tooltip


@dataclass
class Timeline:
    segments: list[Segment] = field(default_factory=list)

    def total(self, kind: str) -> int:
        return sum(s.minutes for s in self.segments if s.kind == kind)


@dataclass
class DayAxis:
    """The shared axis: ``start`` on a whole hour, ``minutes`` long, labelled every ``step`` hours."""

    start: datetime
    minutes: int
    step: int

    @property
    def hours(self) -> list[datetime]:
        return [self.start + timedelta(hours=h) for h in range(0, self.minutes // 60 + 1, self.step)]

    def offset(self, at: datetime) -> int:
        return round((at - self.start).total_seconds() / 60)


def _at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def day_axis(routes: list[dict]) -> DayAxis | None:
    """Whole hours around every route of the day (None: no route)."""
    starts = [_at(r["local_start"]) for r in routes]
    ends = [_at(r["local_end"]) for r in routes]
    ends += [_at(r["lab_drop"]["planned_arrival"]) for r in routes if r.get("lab_drop")]
    if not starts:
        return None
    first = min(starts).replace(minute=0, second=0, microsecond=0)
    last = max(ends)
    hours = max(1, -(-int((last - first).total_seconds()) // 3600))
    step = 1 if hours <= 8 else 2
    hours += -hours % step  # the axis ends on a labelled hour
    return DayAxis(first, hours * 60, step)


def route_timeline(route: dict, axis: DayAxis, names: dict[int, str]) -> Timeline:
    """Drive to each stop, wait for its window, the visit, then drive to the lab."""
    timeline = Timeline()

    def add(kind: str, start: datetime, end: datetime, label: str) -> None:
        minutes = round((end - start).total_seconds() / 60)
        if minutes > 0:
            timeline.segments.append(Segment(kind, axis.offset(start), minutes, label))

    clock = _at(route["local_start"])
    for stop in route["stops"]:
        who = names.get(stop["booking_id"], "a visit")
        arrival, service, departure = (
            _at(stop[k]) for k in ("planned_arrival", "service_start", "departure")
        )
        add("drive", clock, arrival, f"Driving to {who}")
        add("wait", arrival, service, f"Waiting for {who}'s window")
        add("service", service, departure, f"At {who}")
        clock = departure
    lab = route.get("lab_drop")
    if lab:
        arrival = _at(lab["planned_arrival"])
        add("drive", clock, arrival, f"Driving to {lab['name']}")
        end = max(_at(route["local_end"]), arrival + timedelta(minutes=5))
        add("lab", arrival, end, f"Specimens dropped at {lab['name']}")
    return timeline
