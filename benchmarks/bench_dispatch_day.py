"""One realistic dispatch day (``benchmarks/days.py``): our engine, a naive baseline and VROOM.

    python benchmarks/bench_dispatch_day.py [--city nyc] [--visits 300] [--technicians 25] [--time-limit 30]

``--short-limits`` instead solves a larger day (1,000 visits, 80 technicians
by default in that mode) at 0.5, 1 and 2 s, three runs each, and prints what
each plan serves, its wall time and the reasons of the visits it leaves out,
beside the naive baseline: every limit must serve at least what the naive
assignment serves. Every plan, the peers' included, is timed by the
engine's timing rule and judged by its validator. ``python -m dispatch.bench
days`` is the side-by-side comparison with PyVRP over several days.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.days import CITIES, generate  # noqa: E402
from dispatch.bench.days import DayRun, run_naive, run_ours, run_vroom  # noqa: E402
from dispatch.engine import solve, validate  # noqa: E402


def _line(run: DayRun, name: str) -> str:
    valid = "yes" if run.valid else f"NO ({run.violations})"
    per_visit = run.drive_minutes / run.served if run.served else float("nan")
    return (
        f"{name:<28}{run.wall_time:>8.2f}{run.served:>8}{len(run.plan.routes):>8}"
        f"{run.drive_minutes:>11.0f}{per_visit:>11.2f}  {valid}"
    )


def short_limits(city: str, visits: int, technicians: int, seed: int, limits=(0.5, 1.0, 2.0), runs=3) -> None:
    """Served visits, wall time and reasons at short limits, beside the naive baseline."""
    day = generate(city, visits, technicians, seed)
    naive = run_naive(day.problem)
    print(f"{day.name}: naive baseline serves {naive.served} ({naive.drive_minutes:.0f} drive min)")
    print(f"{'limit s':>8}{'run':>5}{'wall s':>8}{'served':>8}{'drive min':>11}  valid  unassigned reasons")
    for limit in limits:
        for run in range(runs):
            started = time.monotonic()
            plan = solve(day.problem, limit, seed=run)
            wall = time.monotonic() - started
            served = sum(len(r.stops) for r in plan.routes)
            reasons = Counter(u.reason.value for u in plan.unassigned)
            valid = "yes" if not validate(day.problem, plan) else "NO"
            print(
                f"{limit:>8.1f}{run:>5}{wall:>8.2f}{served:>8}{plan.total_travel_time / 60:>11.0f}  {valid:<5}  "
                f"{dict(reasons) or '-'}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--city", choices=sorted(CITIES), default="nyc")
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--short-limits", action="store_true")
    parser.add_argument("--visits", type=int, default=None)
    parser.add_argument("--technicians", type=int, default=None)
    args = parser.parse_args()
    if args.short_limits:
        short_limits(args.city, args.visits or 1000, args.technicians or 80, args.seed)
        return
    day = generate(args.city, args.visits or 300, args.technicians or 25, args.seed)
    rows = [
        (f"labvisit engine ({args.time_limit:g} s)", run_ours(day.problem, args.time_limit)),
        ("naive nearest-free", run_naive(day.problem)),
    ]
    try:
        rows.append(("VROOM (pyvroom, x=5)", run_vroom(day.problem)))
    except ImportError:
        print("pyvroom is not installed: pip install -r requirements-dev.txt")
    print(
        f"{day.name}: 2-h windows, two shifts, at most 16 visits, every route ends at the lab by its cutoff"
    )
    print(f"{'solver':<28}{'time s':>8}{'served':>8}{'routes':>8}{'drive min':>11}{'min/visit':>11}  valid")
    for name, run in rows:
        print(_line(run, name))


if __name__ == "__main__":
    main()
