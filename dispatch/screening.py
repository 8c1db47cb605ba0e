"""Which technicians could serve each visit at all, judged from the data alone.

The solver only routes a visit on technicians that pass these checks, and a
visit no technician passes is reported unassigned with the first reason that
ruled every technician out. The checks are necessary conditions (a direct trip
from the shift start, service in a window, then the lab and the way home), so
they never exclude a plan the routing model could have found.
"""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.model import DispatchProblem, Technician, Visit
from dispatch.plan import Unassigned, UnassignedReason


@dataclass(frozen=True)
class Screening:
    """``allowed[visit_id]`` lists technician ids in problem order."""

    allowed: dict[str, list[str]]
    unassigned: list[Unassigned]


def screen(problem: DispatchProblem) -> Screening:
    allowed: dict[str, list[str]] = {}
    unassigned: list[Unassigned] = []
    for visit in problem.visits:
        technicians, rejection = _candidates(problem, visit)
        if technicians:
            allowed[visit.id] = [t.id for t in technicians]
        else:
            unassigned.append(rejection)
    return Screening(allowed, unassigned)


def _candidates(problem: DispatchProblem, visit: Visit) -> tuple[list[Technician], Unassigned | None]:
    skilled = problem.eligible_technicians(visit)
    if not skilled:
        return [], Unassigned(visit.id, UnassignedReason.NO_SKILL, _skill_message(problem, visit))
    in_shift = [t for t in skilled if _overlaps_shift(visit, t)]
    if not in_shift:
        return [], Unassigned(
            visit.id,
            UnassignedReason.OUTSIDE_SHIFT,
            f"No eligible technician's shift overlaps any time window of visit {visit.id}.",
        )
    reachable = [t for t in in_shift if can_reach(problem, t, visit)]
    if not reachable:
        return [], Unassigned(
            visit.id,
            UnassignedReason.UNREACHABLE,
            f"No eligible technician can reach visit {visit.id} within a window and still "
            "finish the shift" + (" after a lab drop before its cutoff." if problem.labs else "."),
        )
    roomy = [
        t
        for t in reachable
        if (t.capacity is None or visit.demand <= t.capacity) and (t.max_visits is None or t.max_visits > 0)
    ]
    if not roomy:
        return [], Unassigned(
            visit.id,
            UnassignedReason.NO_CAPACITY,
            f"Visit {visit.id} needs more capacity or visit slots than any eligible technician has.",
        )
    return roomy, None


def _skill_message(problem: DispatchProblem, visit: Visit) -> str:
    if not problem.technicians:
        return f"No technician is on shift for visit {visit.id}."
    if visit.pinned_technician is not None:
        return (
            f"Visit {visit.id} is pinned to {visit.pinned_technician}, who lacks "
            f"{sorted(visit.required_skills - problem.technician(visit.pinned_technician).skills)}."
        )
    return f"No technician has all of {sorted(visit.required_skills)} for visit {visit.id}."


def _overlaps_shift(visit: Visit, tech: Technician) -> bool:
    return any(w.start <= tech.shift.end and w.end >= tech.shift.start for w in visit.time_windows)


def can_reach(problem: DispatchProblem, tech: Technician, visit: Visit) -> bool:
    """Can ``tech`` serve ``visit`` as the only stop of an otherwise empty day?"""
    arrival = tech.shift.start + problem.matrix.duration(tech.start_location, visit.location)
    start = visit.earliest_start(arrival)
    if start is None:
        return False
    return finish_time(problem, tech, visit.location, start + visit.service_duration) is not None


def finish_time(problem: DispatchProblem, tech: Technician, location: int, departure: int) -> int | None:
    """Earliest end of the shift after leaving ``location`` at ``departure``:
    through the best lab when there are labs; ``None`` if nothing fits."""
    options = []
    if problem.labs:
        for lab in problem.labs:
            at_lab = departure + problem.matrix.duration(location, lab.location)
            if at_lab <= lab.cutoff:
                options.append(_home_time(problem, tech, lab.location, at_lab))
    else:
        options.append(_home_time(problem, tech, location, departure))
    feasible = [t for t in options if t <= tech.shift.end]
    return min(feasible) if feasible else None


def _home_time(problem: DispatchProblem, tech: Technician, location: int, departure: int) -> int:
    if tech.end_location is None:
        return departure
    return departure + problem.matrix.duration(location, tech.end_location)
