"""The engine's one timing rule: arrival, wait, start of service, departure,
then the lab drop and the way home.

Everything that times a route whose order is given uses these functions: a
coordinator's reordering, a plan being followed, the screening of what a
technician could reach at all, a warm start cut down to what fits, and the
fast construction of a first plan (:mod:`dispatch.engine.construction`, whose
vectorised check is tested against :func:`timetable`). The engine decides
order and times together; for a given order this computes the earliest
timetable and the best lab drop, and builds a core :class:`~dispatch.engine.result.Plan`
that :func:`dispatch.engine.validate` can judge. A stop that cannot be reached in its
window is scheduled late on purpose, so the validator reports the broken
window instead of it being hidden. Breaks are not placed here (the search
places them). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from dispatch.engine.problem import DispatchProblem, Lab, Technician, Visit
from dispatch.engine.result import LabDrop, Plan, Route, Stop, Unassigned


@dataclass(frozen=True)
class Finish:
    """How a day ends after the last departure: the lab drop (if the problem
    has labs) and the arrival at the end location (or the lab / the last stop
    when the route is open). ``feasible`` is whether the lab's cutoff and the
    shift end are both kept."""

    lab: Lab | None
    lab_arrival: int | None
    end_time: int
    feasible: bool


@dataclass(frozen=True)
class Timetable:
    """The earliest times of a route in a given order; ``feasible`` is
    whether every window, the lab cutoff and the shift end are kept (breaks,
    maximum visits and capacity aside)."""

    start_time: int
    stops: tuple[Stop, ...]
    finish: Finish
    feasible: bool


def service_start(visit: Visit, arrival: int) -> int | None:
    """Start of service for an arrival: at once inside a window, after a wait
    before one, ``None`` after the last window has closed."""
    return visit.earliest_start(arrival)


def finish(problem: DispatchProblem, tech: Technician, location: int, departure: int) -> Finish:
    """The end of the day after leaving ``location`` at ``departure``.

    With labs, the lab that keeps its cutoff and the shift end and brings the
    technician home first; if none does, the nearest lab still open, else the
    nearest (a violation the validator reports).
    """
    matrix = problem.matrix
    if not problem.labs:
        end = _home(problem, tech, location, departure)
        return Finish(None, None, end, end <= tech.shift.end)
    options = []
    for lab in problem.labs:
        at_lab = departure + matrix.duration(location, lab.location)
        end = _home(problem, tech, lab.location, at_lab)
        options.append((lab, at_lab, end))
    kept = [o for o in options if o[1] <= o[0].cutoff and o[2] <= tech.shift.end]
    if kept:
        lab, at_lab, end = min(kept, key=lambda o: o[2])
        return Finish(lab, at_lab, end, True)
    lab, at_lab, end = min(options, key=lambda o: (o[1] > o[0].cutoff, o[1]))
    return Finish(lab, at_lab, end, False)


def latest_departure(problem: DispatchProblem, tech: Technician, location: int) -> int:
    """The latest departure from ``location`` for which :func:`finish` is
    feasible (it may be before the shift starts: then nothing fits)."""
    matrix = problem.matrix
    if not problem.labs:
        home = 0 if tech.end_location is None else matrix.duration(location, tech.end_location)
        return tech.shift.end - home
    latest = []
    for lab in problem.labs:
        to_lab = matrix.duration(location, lab.location)
        home = 0 if tech.end_location is None else matrix.duration(lab.location, tech.end_location)
        latest.append(min(lab.cutoff, tech.shift.end - home) - to_lab)
    return max(latest)


def latest_departures(problem: DispatchProblem, tech: Technician) -> np.ndarray:
    """:func:`latest_departure` from every location at once (an array
    indexed by location), for the vectorised checks of large days."""
    durations = problem.matrix.duration_array
    end = tech.end_location
    if not problem.labs:
        if end is None:
            return np.full(problem.matrix.size, tech.shift.end, dtype=np.int64)
        return tech.shift.end - durations[:, end]
    latest = None
    for lab in problem.labs:
        home = 0 if end is None else int(durations[lab.location, end])
        by = min(lab.cutoff, tech.shift.end - home) - durations[:, lab.location]
        latest = by if latest is None else np.maximum(latest, by)
    return latest


def timetable(
    problem: DispatchProblem,
    tech: Technician,
    visit_ids: Sequence[str],
    start: int | None = None,
    origin: tuple[int, int] | None = None,
) -> Timetable:
    """Earliest arrival, service start and departure of each stop in this
    order, leaving at ``start`` (default: as late as the first stop allows
    without waiting there, and not before the shift starts).

    ``origin`` is (location, time) to leave from instead: a route under way,
    from the place and time of the last stop reported; then the day still
    ends at a lab even when no visit is left."""
    matrix = problem.matrix
    visits = [problem.visit(v) for v in visit_ids]
    if origin is not None:
        location, start = origin
        feasible = True
    else:
        location = tech.start_location
        if start is None:
            start = tech.shift.start
            if visits:
                first_travel = matrix.duration(tech.start_location, visits[0].location)
                first_start = service_start(visits[0], start + first_travel)
                if first_start is not None:
                    start = max(start, first_start - first_travel)
        feasible = start >= tech.shift.start
    clock, stops = start, []
    for visit in visits:
        arrival = clock + matrix.duration(location, visit.location)
        begin = service_start(visit, arrival)
        if begin is None:
            feasible, begin = False, arrival
        stops.append(Stop(visit.id, arrival, begin, begin + visit.service_duration))
        location, clock = visit.location, begin + visit.service_duration
    if visits or origin is not None or not problem.labs:
        end = finish(problem, tech, location, clock)
    else:
        end = Finish(None, None, _home(problem, tech, location, clock), True)
    return Timetable(start, tuple(stops), end, feasible and end.feasible)


def fits(problem: DispatchProblem, tech: Technician, visit_ids: Sequence[str]) -> bool:
    """Can ``tech`` serve ``visit_ids`` in this order (windows, lab cutoff,
    shift, maximum visits, capacity; breaks aside)?"""
    if tech.max_visits is not None and len(visit_ids) > tech.max_visits:
        return False
    if tech.capacity is not None and sum(problem.visit(v).demand for v in visit_ids) > tech.capacity:
        return False
    return timetable(problem, tech, visit_ids).feasible


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
    times = timetable(problem, tech, visit_ids, origin=origin)
    location = tech.start_location if origin is None else origin[0]
    travel_time, distance = 0, 0
    for stop in times.stops:
        visit = problem.visit(stop.visit_id)
        travel_time += matrix.duration(location, visit.location)
        distance += matrix.distance(location, visit.location)
        location = visit.location
    lab_drop = None
    if times.finish.lab is not None:
        lab = times.finish.lab
        lab_drop = LabDrop(lab.id, times.finish.lab_arrival)
        travel_time += matrix.duration(location, lab.location)
        distance += matrix.distance(location, lab.location)
        location = lab.location
    if tech.end_location is not None:
        travel_time += matrix.duration(location, tech.end_location)
        distance += matrix.distance(location, tech.end_location)
    return Route(
        technician_id, times.stops, times.start_time, times.finish.end_time, travel_time, distance, lab_drop
    )


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


def _home(problem: DispatchProblem, tech: Technician, location: int, departure: int) -> int:
    if tech.end_location is None:
        return departure
    return departure + problem.matrix.duration(location, tech.end_location)
