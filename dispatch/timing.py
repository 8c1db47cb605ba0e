"""Times of routes whose order is given (by a coordinator, or a plan being followed).

The engine decides order and times together; when a person decides the order,
this computes the earliest timetable for it and the lab drop, and builds a
core :class:`~dispatch.plan.Plan` that :func:`dispatch.validate` can judge.
A stop that cannot be reached in its window is scheduled late on purpose, so
the validator reports the broken window instead of it being hidden. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dispatch.model import DispatchProblem, Visit
from dispatch.plan import LabDrop, Plan, Route, Stop, Unassigned


def timed_route(
    problem: DispatchProblem,
    technician_id: str,
    visit_ids: Sequence[str],
    origin: tuple[int, int] | None = None,
) -> Route | None:
    """The earliest timetable of ``visit_ids`` in this order, ending at the best lab; None if empty.

    ``origin`` is (location, time) to leave from instead of the technician's start location at the
    shift start: a route under way, from the place and time of the last stop reported (then the
    route may have no visits left, only the way to the lab).
    """
    if not visit_ids and origin is None:
        return None
    tech = problem.technician(technician_id)
    matrix = problem.matrix
    visits = [problem.visit(v) for v in visit_ids]
    if origin is None:
        location = tech.start_location
        first_travel = matrix.duration(location, visits[0].location)
        start = max(tech.shift.start, visits[0].time_windows[0].start - first_travel)
    else:
        location, start = origin
    clock, travel_time, distance, stops = start, 0, 0, []
    for visit in visits:
        travel = matrix.duration(location, visit.location)
        arrival = clock + travel
        service_start = _service_start(visit, arrival)
        stops.append(Stop(visit.id, arrival, service_start, service_start + visit.service_duration))
        travel_time += travel
        distance += matrix.distance(location, visit.location)
        clock, location = service_start + visit.service_duration, visit.location
    lab_drop, end = None, clock
    if problem.labs:
        lab = min(
            problem.labs,
            key=lambda lab: (
                clock + matrix.duration(location, lab.location) > lab.cutoff,
                matrix.duration(location, lab.location),
            ),
        )
        end = clock + matrix.duration(location, lab.location)
        lab_drop = LabDrop(lab.id, end)
        travel_time += matrix.duration(location, lab.location)
        distance += matrix.distance(location, lab.location)
        location = lab.location
    if tech.end_location is not None:
        travel_time += matrix.duration(location, tech.end_location)
        distance += matrix.distance(location, tech.end_location)
        end += matrix.duration(location, tech.end_location)
    return Route(technician_id, tuple(stops), start, end, travel_time, distance, lab_drop)


def _service_start(visit: Visit, arrival: int) -> int:
    """Wait for the window if early; if too late for every window, start on arrival (a violation)."""
    start = visit.earliest_start(arrival)
    return arrival if start is None else start


def timed_plan(
    problem: DispatchProblem,
    routes: Mapping[str, Sequence[str]],
    unassigned: Sequence[Unassigned],
    status: str = "MANUAL",
) -> Plan:
    """A core plan of ``routes`` (technician id → visit ids in order) with earliest times."""
    timed = [timed_route(problem, tech_id, ids) for tech_id, ids in routes.items()]
    timed = [r for r in timed if r is not None]
    return Plan(tuple(timed), tuple(unassigned), sum(r.travel_time for r in timed), status)
