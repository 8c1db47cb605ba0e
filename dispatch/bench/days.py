"""Realistic days (``benchmarks/days.py``) solved by our engine, PyVRP and VROOM.

Every solver's routes come back as ``{technician id: [visit ids in order]}``
and are timed by the engine's one timing rule and judged by its validator
(:func:`dispatch.engine.validate`), so total drive, served visits and
feasibility are measured the same way for all of them. The peers get exactly
the product's day: each technician a vehicle of its own that starts from its
home at its shift start, serves at most 16 visits, and ends at the lab by
``min(shift end, cutoff)``; every visit is required, with its window on the
start of service; the objective is total drive time.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from dispatch.engine import DispatchProblem, solve, validate
from dispatch.engine.result import Plan, Unassigned, UnassignedReason
from dispatch.engine.timing import timed_plan

REPO = Path(__file__).resolve().parents[2]


def generator():
    """``benchmarks.days``, importable however this module was started."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from benchmarks import days

    return days


@dataclass(frozen=True)
class DayRun:
    solver: str
    plan: Plan
    wall_time: float
    violations: int

    @property
    def served(self) -> int:
        return sum(len(r.stops) for r in self.plan.routes)

    @property
    def drive_minutes(self) -> float:
        return self.plan.total_travel_time / 60

    @property
    def valid(self) -> bool:
        return self.violations == 0


def _judged(solver: str, problem: DispatchProblem, plan: Plan, wall: float) -> DayRun:
    return DayRun(solver, plan, wall, len(validate(problem, plan)))


def _from_routes(problem: DispatchProblem, routes: dict[str, list[str]], status: str) -> Plan:
    served = {v for ids in routes.values() for v in ids}
    unassigned = [
        Unassigned(v.id, UnassignedReason.NO_CAPACITY, "not routed")
        for v in problem.visits
        if v.id not in served
    ]
    return timed_plan(problem, {t: ids for t, ids in routes.items() if ids}, unassigned, status)


def run_ours(
    problem: DispatchProblem, time_limit: float, seed: int = 0, workers: int | None = None
) -> DayRun:
    started = time.monotonic()
    plan = solve(problem, time_limit, seed=seed, workers=workers)
    return _judged(
        "ours" if workers is None else f"ours/{workers}", problem, plan, time.monotonic() - started
    )


def run_naive(problem: DispatchProblem) -> DayRun:
    """The floor: each visit, in window order, to the nearest technician who
    can still reach it in time and make the lab (what a dispatcher without an
    optimiser might do)."""
    started = time.monotonic()
    lab, ends = _lab_and_ends(problem)
    m = problem.matrix
    state = {t.id: (t.start_location, t.shift.start, 0) for t in problem.technicians}
    routes: dict[str, list[str]] = {t.id: [] for t in problem.technicians}
    for visit in sorted(problem.visits, key=lambda v: (v.time_windows[0].start, v.id)):
        window = visit.time_windows[0]
        best = None
        for tech, end in zip(problem.technicians, ends, strict=True):
            where, clock, count = state[tech.id]
            if tech.max_visits is not None and count >= tech.max_visits:
                continue
            start = max(clock + m.duration(where, visit.location), window.start)
            leave = start + visit.service_duration
            if start > window.end or leave + m.duration(visit.location, lab.location) > end:
                continue
            if best is None or m.duration(where, visit.location) < best[0]:
                best = (m.duration(where, visit.location), tech.id, leave)
        if best is not None:
            _, tech_id, leave = best
            state[tech_id] = (visit.location, leave, state[tech_id][2] + 1)
            routes[tech_id].append(visit.id)
    return _judged("naive", problem, _from_routes(problem, routes, "NAIVE"), time.monotonic() - started)


def _lab_and_ends(problem: DispatchProblem):
    (lab,) = problem.labs  # the generated days have one lab
    return lab, [min(t.shift.end, lab.cutoff) for t in problem.technicians]


def run_pyvrp(problem: DispatchProblem, time_limit: float, seed: int = 0) -> DayRun:
    """PyVRP (HGS, one thread) with ``MaxRuntime(time_limit)``; building its data counts."""
    import numpy as np
    import pyvrp
    from pyvrp.stop import MaxRuntime

    started = time.monotonic()
    lab, ends = _lab_and_ends(problem)
    durations = np.asarray(problem.matrix.durations, dtype=np.int64)
    size = len(durations)
    techs = problem.technicians
    depots = [pyvrp.Depot(location=t.start_location) for t in techs]
    depots.append(pyvrp.Depot(location=lab.location, tw_late=lab.cutoff))
    data = pyvrp.ProblemData(
        locations=[pyvrp.Location(0, 0) for _ in range(size)],
        clients=[
            pyvrp.Client(
                location=v.location,
                delivery=[1],
                service_duration=v.service_duration,
                tw_early=v.time_windows[0].start,
                tw_late=v.time_windows[-1].end,
            )
            for v in problem.visits
        ],
        depots=depots,
        vehicle_types=[
            pyvrp.VehicleType(
                num_available=1,
                capacity=[t.max_visits or len(problem.visits)],
                start_depot=k,
                end_depot=len(techs),
                tw_early=t.shift.start,
                tw_late=end,
                name=t.id,
            )
            for k, (t, end) in enumerate(zip(techs, ends, strict=True))
        ],
        distance_matrices=[durations],
        duration_matrices=[durations],
    )
    remaining = max(0.1, time_limit - (time.monotonic() - started))
    result = pyvrp.solve(data, stop=MaxRuntime(remaining), seed=seed, display=False)
    wall = time.monotonic() - started
    routes: dict[str, list[str]] = {}
    if result.best.is_feasible():
        for route in result.best.routes():
            routes[techs[route.vehicle_type()].id] = [
                problem.visits[activity.idx].id for activity in route if activity.is_client()
            ]
    return _judged("pyvrp", problem, _from_routes(problem, routes, "PYVRP"), wall)


def run_vroom(problem: DispatchProblem, threads: int = 2) -> DayRun:
    """VROOM at its command-line default (exploration level 5), no time limit."""
    import numpy as np
    import vroom

    started = time.monotonic()
    lab, ends = _lab_and_ends(problem)
    vr = vroom.Input()
    vr.set_durations_matrix(profile="car", matrix_input=np.asarray(problem.matrix.durations, dtype=np.uint32))
    for k, (tech, end) in enumerate(zip(problem.technicians, ends, strict=True)):
        vr.add_vehicle(
            vroom.Vehicle(
                k,
                start=tech.start_location,
                end=lab.location,
                max_tasks=tech.max_visits,
                time_window=vroom.TimeWindow(tech.shift.start, end),
            )
        )
    for i, visit in enumerate(problem.visits):
        vr.add_job(
            vroom.Job(
                i,
                location=visit.location,
                default_service=visit.service_duration,
                time_windows=[vroom.TimeWindow(w.start, w.end) for w in visit.time_windows],
            )
        )
    solution = vr.solve(exploration_level=5, nb_threads=threads)
    wall = time.monotonic() - started
    routes: dict[str, list[str]] = {}
    for row in solution.routes.itertuples():
        if row.type == "job":
            routes.setdefault(problem.technicians[int(row.vehicle_id)].id, []).append(
                problem.visits[int(row.id)].id
            )
    return _judged("vroom", problem, _from_routes(problem, routes, "VROOM"), wall)
