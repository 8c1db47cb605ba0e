"""A realistic dispatch day in one metro area: our engine, a naive baseline and VROOM, side by side.

300 home/office visits around New York City with 2-hour windows (08-10 … 14-16)
and 15-minute service, 25 technicians with 8-hour shifts (08:00-16:00) from
home bases spread over the area, one lab whose 16:00 cutoff ends every route.
All three get the same geodesic travel matrix (circuity 1.35, 28 km/h). Every
plan, the baseline's and VROOM's included, is re-timed and checked with the
engine's independent validator before its figures are reported.

    python benchmarks/bench_dispatch_day.py [--time-limit 30] [--seed 1]

``--short-limits`` instead solves a larger day (``--visits 1000
--technicians 130`` by default in that mode) at 0.5, 1 and 2 s, three runs
each, and prints what each plan serves, its wall time and the reasons of the
visits it leaves out, beside the naive baseline: every limit must serve at
least what the naive assignment serves.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dispatch.engine import DispatchProblem, Lab, Technician, TimeWindow, Visit, solve, validate  # noqa: E402
from dispatch.engine.result import Plan, Unassigned, UnassignedReason  # noqa: E402
from dispatch.engine.timing import timed_plan  # noqa: E402
from dispatch.travel import GeodesicTravel  # noqa: E402

CENTRE = (40.7306, -73.9352)
HOUR = 3600
N_VISITS, N_TECHS, SERVICE, MAX_VISITS = 300, 25, 15 * 60, 16
SHIFT = (8 * HOUR, 16 * HOUR)
WINDOWS = [(h * HOUR, (h + 2) * HOUR) for h in (8, 10, 12, 14)]


def _around(rng: random.Random, radius_km: float) -> tuple[float, float]:
    """A point within ``radius_km`` of the centre, denser towards it (as patients are)."""
    r = radius_km * math.sqrt(rng.random()) * (0.6 + 0.4 * rng.random())
    angle = rng.uniform(0, 2 * math.pi)
    return (
        CENTRE[0] + r * math.cos(angle) / 111.2,
        CENTRE[1] + r * math.sin(angle) / (111.2 * math.cos(math.radians(CENTRE[0]))),
    )


def generate_day(
    seed: int = 1, n_visits: int = N_VISITS, n_techs: int = N_TECHS
) -> tuple[DispatchProblem, list[tuple[float, float]]]:
    """The benchmark day as a problem (times: seconds since local midnight)."""
    rng = random.Random(seed)
    visit_points = [_around(rng, 18) for _ in range(n_visits)]
    tech_points = [_around(rng, 20) for _ in range(n_techs)]
    lab_point = (40.7527, -73.9990)
    points = visit_points + tech_points + [lab_point]
    matrix = GeodesicTravel().matrix(points)
    visits = []
    for i in range(n_visits):
        start, end = WINDOWS[rng.choices(range(4), weights=(3, 3, 2, 2))[0]]
        visits.append(Visit(f"v{i}", i, (TimeWindow(start, end),), SERVICE))
    techs = [
        Technician(f"t{k}", n_visits + k, TimeWindow(*SHIFT), max_visits=MAX_VISITS) for k in range(n_techs)
    ]
    lab = Lab("lab", n_visits + n_techs, SHIFT[1])
    return DispatchProblem(tuple(visits), tuple(techs), matrix, (lab,)), points


def _figures(name: str, problem: DispatchProblem, plan: Plan, seconds: float) -> dict:
    violations = validate(problem, plan)
    served = sum(len(r.stops) for r in plan.routes)
    drive = plan.total_travel_time / 60
    return {
        "name": name,
        "seconds": seconds,
        "served": served,
        "drive_min": drive,
        "per_visit": drive / served if served else float("nan"),
        "routes": len(plan.routes),
        "valid": not violations,
        "violations": len(violations),
    }


def naive_baseline(problem: DispatchProblem) -> Plan:
    """Each visit, in window order, to the nearest technician who can still reach it in time and make the lab."""
    m, lab = problem.matrix, problem.labs[0]
    state = {t.id: (t.start_location, t.shift.start, 0) for t in problem.technicians}
    routes: dict[str, list[str]] = {t.id: [] for t in problem.technicians}
    unassigned = []
    for visit in sorted(problem.visits, key=lambda v: (v.time_windows[0].start, v.id)):
        window = visit.time_windows[0]
        best = None
        for tech in problem.technicians:
            where, clock, count = state[tech.id]
            if count >= (tech.max_visits or math.inf):
                continue
            start = max(clock + m.duration(where, visit.location), window.start)
            leave = start + visit.service_duration
            if start > window.end or leave + m.duration(visit.location, lab.location) > min(
                lab.cutoff, tech.shift.end
            ):
                continue
            distance = m.duration(where, visit.location)
            if best is None or distance < best[0]:
                best = (distance, tech.id, leave)
        if best is None:
            unassigned.append(
                Unassigned(visit.id, UnassignedReason.NO_CAPACITY, "no technician free in time")
            )
            continue
        _, tech_id, leave = best
        state[tech_id] = (visit.location, leave, state[tech_id][2] + 1)
        routes[tech_id].append(visit.id)
    return timed_plan(problem, {t: ids for t, ids in routes.items() if ids}, unassigned, "NAIVE")


def vroom_plan(problem: DispatchProblem, threads: int = 2) -> Plan:
    """VROOM (exploration level 5) on the same matrix; its routes re-timed by our timetable and validated."""
    import numpy as np
    import vroom

    lab = problem.labs[0]
    vr = vroom.Input()
    vr.set_durations_matrix(profile="car", matrix_input=np.array(problem.matrix.durations, dtype=np.uint32))
    for k, tech in enumerate(problem.technicians):
        vr.add_vehicle(
            vroom.Vehicle(
                k,
                start=tech.start_location,
                end=lab.location,
                max_tasks=tech.max_visits,
                time_window=vroom.TimeWindow(tech.shift.start, min(tech.shift.end, lab.cutoff)),
            )
        )
    for i, visit in enumerate(problem.visits):
        w = visit.time_windows[0]
        vr.add_job(
            vroom.Job(
                i,
                location=visit.location,
                default_service=visit.service_duration,
                time_windows=[vroom.TimeWindow(w.start, w.end)],
            )
        )
    solution = vr.solve(exploration_level=5, nb_threads=threads)
    routes: dict[str, list[str]] = {}
    for row in solution.routes.itertuples():
        if row.type == "job":
            routes.setdefault(problem.technicians[int(row.vehicle_id)].id, []).append(
                problem.visits[int(row.id)].id
            )
    served = {v for ids in routes.values() for v in ids}
    unassigned = [
        Unassigned(v.id, UnassignedReason.NO_CAPACITY, "") for v in problem.visits if v.id not in served
    ]
    return timed_plan(problem, routes, unassigned, "VROOM")


def short_limits(visits: int, technicians: int, seed: int, limits=(0.5, 1.0, 2.0), runs: int = 3) -> None:
    """Served visits, wall time and reasons at short limits, beside the naive baseline."""
    problem, _ = generate_day(seed, visits, technicians)
    naive = naive_baseline(problem)
    naive_served = sum(len(r.stops) for r in naive.routes)
    print(
        f"Dispatch day: {visits} visits, {technicians} technicians; seed {seed}; naive baseline serves "
        f"{naive_served} ({naive.total_travel_time / 60:.0f} drive min)"
    )
    print(f"{'limit s':>8}{'run':>5}{'wall s':>8}{'served':>8}{'drive min':>11}  valid  unassigned reasons")
    for limit in limits:
        for run in range(runs):
            started = time.monotonic()
            plan = solve(problem, limit, seed=run)
            wall = time.monotonic() - started
            served = sum(len(r.stops) for r in plan.routes)
            reasons = Counter(u.reason.value for u in plan.unassigned)
            valid = "yes" if not validate(problem, plan) else "NO"
            print(
                f"{limit:>8.1f}{run:>5}{wall:>8.2f}{served:>8}{plan.total_travel_time / 60:>11.0f}  {valid:<5}  "
                f"{dict(reasons) or '-'}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--short-limits", action="store_true")
    parser.add_argument("--visits", type=int, default=None)
    parser.add_argument("--technicians", type=int, default=None)
    args = parser.parse_args()
    if args.short_limits:
        short_limits(args.visits or 1000, args.technicians or 130, args.seed)
        return
    problem, _ = generate_day(args.seed, args.visits or N_VISITS, args.technicians or N_TECHS)
    rows = []
    started = time.monotonic()
    plan = solve(problem, args.time_limit, seed=0)
    rows.append(
        _figures(f"labvisit engine ({args.time_limit:g} s)", problem, plan, time.monotonic() - started)
    )
    started = time.monotonic()
    naive = naive_baseline(problem)
    rows.append(_figures("naive nearest-free", problem, naive, time.monotonic() - started))
    try:
        started = time.monotonic()
        peer = vroom_plan(problem)
        rows.append(_figures("VROOM (pyvroom, x=5)", problem, peer, time.monotonic() - started))
    except ImportError:
        print("pyvroom is not installed: pip install -r requirements-dev.txt")
    print(
        f"Dispatch day: {len(problem.visits)} visits, {len(problem.technicians)} technicians (8-h shifts, max {MAX_VISITS}), "
        f"2-h windows, 15-min service, one lab (cutoff 16:00); seed {args.seed}"
    )
    print(f"{'solver':<28}{'time s':>8}{'served':>8}{'routes':>8}{'drive min':>11}{'min/visit':>11}  valid")
    for r in rows:
        valid = "yes" if r["valid"] else f"NO ({r['violations']})"
        print(
            f"{r['name']:<28}{r['seconds']:>8.2f}{r['served']:>8}{r['routes']:>8}{r['drive_min']:>11.0f}"
            f"{r['per_visit']:>11.2f}  {valid}"
        )


if __name__ == "__main__":
    main()
