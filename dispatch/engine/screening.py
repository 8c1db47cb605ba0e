"""Which technicians could serve each visit at all, judged from the data alone.

The solver only routes a visit on technicians that pass these checks, and a
visit no technician passes is reported unassigned with the first reason that
ruled every technician out. The checks are necessary conditions (a direct trip
from the shift start, service in a window, then the lab and the way home), so
they never exclude a plan the routing model could have found.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dispatch.engine.problem import DispatchProblem, Technician, Visit
from dispatch.engine.result import Unassigned, UnassignedReason
from dispatch.engine.timing import latest_departure, latest_departures, service_start

# Larger than any time in a problem.
NEVER = 2**50


@dataclass(frozen=True)
class Screening:
    """``allowed[visit_id]`` lists technician ids in problem order."""

    allowed: dict[str, list[str]]
    unassigned: list[Unassigned]


def screen(problem: DispatchProblem) -> Screening:
    """Every visit's candidate technicians, or the reason it has none.

    The checks run for all visits and technicians at once (numpy), the same
    rules as :func:`can_reach` and :func:`_overlaps_shift` one pair at a
    time, so a thousand-visit day is screened in a few hundredths of a second.
    """
    allowed: dict[str, list[str]] = {}
    unassigned: list[Unassigned] = []
    if not problem.visits:
        return Screening(allowed, unassigned)
    skilled, in_shift, reachable, roomy = _masks(problem)
    ids = np.array([t.id for t in problem.technicians], dtype=object)
    for number, visit in enumerate(problem.visits):
        candidates = skilled[number] & in_shift[number] & reachable[number] & roomy[number]
        if candidates.any():
            allowed[visit.id] = ids[candidates].tolist()
        elif not skilled[number].any():
            unassigned.append(Unassigned(visit.id, UnassignedReason.NO_SKILL, _skill_message(problem, visit)))
        elif not (skilled[number] & in_shift[number]).any():
            unassigned.append(
                Unassigned(
                    visit.id,
                    UnassignedReason.OUTSIDE_SHIFT,
                    f"No eligible technician's shift overlaps any time window of visit {visit.id}.",
                )
            )
        elif not (skilled[number] & in_shift[number] & reachable[number]).any():
            unassigned.append(
                Unassigned(
                    visit.id,
                    UnassignedReason.UNREACHABLE,
                    f"No eligible technician can reach visit {visit.id} within a window and still "
                    "finish the shift" + (" after a lab drop before its cutoff." if problem.labs else "."),
                )
            )
        else:
            unassigned.append(
                Unassigned(
                    visit.id,
                    UnassignedReason.NO_CAPACITY,
                    f"Visit {visit.id} needs more capacity or visit slots than any eligible technician has.",
                )
            )
    return Screening(allowed, unassigned)


def _masks(problem: DispatchProblem) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Visit-by-technician masks: skills and pins, a window overlapping the
    shift, reachable alone (:func:`can_reach`), room for one visit."""
    visits, techs = problem.visits, problem.technicians
    shape = (len(visits), len(techs))
    skilled = np.zeros(shape, dtype=bool)
    column = {t.id: k for k, t in enumerate(techs)}
    eligible_by_need: dict[tuple, list[int]] = {}
    for number, visit in enumerate(visits):
        need = (visit.required_skills, visit.pinned_technician)
        if need not in eligible_by_need:
            eligible_by_need[need] = [column[t.id] for t in problem.eligible_technicians(visit)]
        skilled[number, eligible_by_need[need]] = True
    width = max(len(v.time_windows) for v in visits)
    starts = np.full((len(visits), width), NEVER, dtype=np.int64)
    ends = np.full((len(visits), width), -1, dtype=np.int64)
    for number, visit in enumerate(visits):
        for k, window in enumerate(visit.time_windows):
            starts[number, k], ends[number, k] = window.start, window.end
    places = np.array([v.location for v in visits], dtype=np.int64)
    service = np.array([v.service_duration for v in visits], dtype=np.int64)
    demand = np.array([v.demand for v in visits], dtype=np.int64)
    durations = problem.matrix.duration_array
    in_shift = np.empty(shape, dtype=bool)
    reachable = np.empty(shape, dtype=bool)
    roomy = np.empty(shape, dtype=bool)
    for k, tech in enumerate(techs):
        in_shift[:, k] = ((starts <= tech.shift.end) & (ends >= tech.shift.start)).any(axis=1)
        arrival = tech.shift.start + durations[tech.start_location, places]
        begin = np.full(len(visits), NEVER, dtype=np.int64)
        for w in range(width - 1, -1, -1):
            begin = np.where(arrival <= ends[:, w], np.maximum(arrival, starts[:, w]), begin)
        latest = latest_departures(problem, tech)[places]
        reachable[:, k] = (begin < NEVER) & (begin + service <= latest)
        room = tech.max_visits is None or tech.max_visits > 0
        roomy[:, k] = room & (True if tech.capacity is None else demand <= tech.capacity)
    return skilled, in_shift, reachable, roomy


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
    begin = service_start(visit, arrival)
    return begin is not None and begin + visit.service_duration <= latest_departure(
        problem, tech, visit.location
    )
