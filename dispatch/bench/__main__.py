"""``python -m dispatch.bench {solve,compare,scaling}``.

- ``solve INSTANCE --time-limit S --out SOLUTION.json``: our engine on one
  instance; writes ``{"routes": [[customer numbers], ...]}`` and prints the
  distance, vehicles and gap to the BKS when ``bks.csv`` lists the instance.
- ``compare [INSTANCES...] --time-limit S``: our engine, PyVRP and VROOM one
  after another on the same instances, one table, every solution checked by
  :mod:`dispatch.bench.checker`.
- ``scaling [INSTANCES...] --time-limit S``: time to the first feasible plan
  and final gap as instances grow.
- ``days [CITY:VISITS:TECHNICIANS@LIMIT...]``: realistic days from
  ``benchmarks/days.py`` solved by our engine (all cores, and one worker for
  equal CPU), PyVRP and VROOM side by side; total drive, served visits, wall
  time and the ratio to PyVRP, every plan judged by the engine's validator.

Instances are paths or names of the shared set (``R101``, ``R1_2_1``).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from dispatch.bench.checker import CheckResult, check_solution
from dispatch.bench.instances import DEFAULT_COMPARE, DEFAULT_SCALING, best_known, gap_percent, resolve
from dispatch.bench.report import Cell, format_table, mean
from dispatch.bench.runs import Run, run_ours
from dispatch.engine.solomon import read_instance

SOLVERS = ("ours", "pyvrp", "vroom")
DAY_SOLVERS = ("ours", "ours/1", "pyvrp", "vroom", "naive")
# The product's days at the product's limits (10 s is its default) and longer.
DEFAULT_DAYS = (
    "nyc:120:10@30",
    "chicago:300:25@10",
    "houston:300:25@30",
    "phoenix:500:40@60",
    "nyc:1000:80@10",
    "chicago:1000:80@120",
)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return args.command(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dispatch.bench", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(required=True)
    solve = commands.add_parser("solve", help="solve one instance with our engine")
    solve.add_argument("instance")
    solve.add_argument("--time-limit", type=float, default=10.0)
    solve.add_argument("--seed", type=int, default=0)
    solve.add_argument("--out", type=Path)
    solve.set_defaults(command=command_solve)
    compare = commands.add_parser("compare", help="ours vs PyVRP vs VROOM on the same instances")
    compare.add_argument("instances", nargs="*", default=list(DEFAULT_COMPARE))
    compare.add_argument("--time-limit", type=float, default=10.0)
    compare.add_argument("--seed", type=int, default=0)
    compare.add_argument(
        "--solvers", default=",".join(SOLVERS), help="comma-separated subset of ours,pyvrp,vroom"
    )
    compare.add_argument(
        "--at-vroom-time", action="store_true", help="also run ours with VROOM's own wall time as its limit"
    )
    compare.set_defaults(command=command_compare)
    scaling = commands.add_parser("scaling", help="time to first feasible plan and gap as size grows")
    scaling.add_argument("instances", nargs="*", default=list(DEFAULT_SCALING))
    scaling.add_argument("--time-limit", type=float, default=30.0)
    scaling.add_argument("--seed", type=int, default=0)
    scaling.add_argument("--peers", action="store_true", help="also run PyVRP with the same limit")
    scaling.set_defaults(command=command_scaling)
    days = commands.add_parser("days", help="realistic days: ours vs PyVRP vs VROOM")
    days.add_argument(
        "cases",
        nargs="*",
        default=list(DEFAULT_DAYS),
        help="CITY:VISITS:TECHNICIANS@LIMIT, e.g. nyc:300:25@30",
    )
    days.add_argument("--seed", type=int, default=1, help="which day of each size is drawn")
    days.add_argument(
        "--solvers", default=",".join(DAY_SOLVERS), help="comma-separated subset of " + ",".join(DAY_SOLVERS)
    )
    days.set_defaults(command=command_days, time_limit=0)
    return parser


def _header(args: argparse.Namespace, what: str) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(
        f"# {what}, {stamp}, time limit {args.time_limit:g} s, seed {args.seed}, "
        f"{platform.machine()} Python {platform.python_version()}, argv: {' '.join(sys.argv[1:])}"
    )


def command_solve(args: argparse.Namespace) -> int:
    path = resolve(args.instance)
    instance = read_instance(path)
    run = run_ours(instance, args.time_limit, args.seed)
    check = check_solution(instance, run.routes)
    if args.out:
        args.out.write_text(json.dumps({"routes": run.routes}) + "\n")
    bks = best_known(path)
    gap = gap_percent(check.distance, bks)
    print(
        f"{path.stem}: distance {check.distance:.1f}, vehicles {check.vehicles}, "
        + (
            f"gap {gap:+.2f}% to BKS {bks.distance:.1f} ({bks.vehicles} vehicles), "
            if bks
            else "no BKS listed, "
        )
        + f"wall {run.wall_time:.1f} s, "
        + ("feasible" if check.feasible else f"INFEASIBLE: {check.problems[:5]}")
    )
    return 0 if check.feasible else 1


def _run(solver: str, instance, time_limit: float | None, seed: int) -> Run:
    if solver == "ours":
        return run_ours(instance, time_limit, seed)
    from dispatch.bench import peers

    if solver == "pyvrp":
        return peers.run_pyvrp(instance, time_limit, seed)
    return peers.run_vroom(instance)


def _cell(instance, path: Path, run: Run) -> Cell:
    check: CheckResult = check_solution(instance, run.routes)
    return Cell(
        check.distance,
        gap_percent(check.distance, best_known(path)),
        check.vehicles,
        run.wall_time,
        check.feasible,
        run.first_feasible,
    )


def command_compare(args: argparse.Namespace) -> int:
    solvers = [s for s in args.solvers.split(",") if s]
    unknown = set(solvers) - set(SOLVERS)
    if unknown:
        raise SystemExit(f"unknown solvers {sorted(unknown)}; choose from {SOLVERS}")
    columns = solvers + (["ours@vroom"] if args.at_vroom_time and "vroom" in solvers else [])
    _header(args, "compare")
    rows = []
    for name in args.instances:
        path = resolve(name)
        instance = read_instance(path)
        cells = {}
        for solver in solvers:
            cells[solver] = _cell(instance, path, _run(solver, instance, args.time_limit, args.seed))
            if solver == "vroom" and "ours@vroom" in columns:
                limit = max(0.5, cells["vroom"].wall_time)
                cells["ours@vroom"] = _cell(instance, path, run_ours(instance, limit, args.seed))
        rows.append((path.stem, instance.size, best_known(path), cells))
        print(
            f"done {path.stem}: " + ", ".join(f"{s} {c.short()}" for s, c in cells.items()),
            file=sys.stderr,
            flush=True,
        )
    print(format_table(rows, columns))
    return 0 if all(c.feasible for _, _, _, cells in rows for c in cells.values()) else 1


def command_scaling(args: argparse.Namespace) -> int:
    _header(args, "scaling")
    rows = []
    for name in args.instances:
        path = resolve(name)
        instance = read_instance(path)
        started = time.monotonic()
        cells = {"ours": _cell(instance, path, run_ours(instance, args.time_limit, args.seed))}
        if args.peers:
            cells["pyvrp"] = _cell(instance, path, _run("pyvrp", instance, args.time_limit, args.seed))
        rows.append((path.stem, instance.size, best_known(path), cells))
        print(f"done {path.stem} in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    print(format_table(rows, list(rows[0][3]) if rows else ["ours"], first_feasible=True))
    for size in sorted({size for _, size, _, _ in rows}):
        gaps = [cells["ours"].gap for _, s, _, cells in rows if s == size]
        print(f"n={size}: mean gap {mean(gaps)}")
    return 0


def _day_case(text: str) -> tuple[str, int, int, float]:
    try:
        spec, limit = text.split("@")
        city, visits, techs = spec.split(":")
        return city, int(visits), int(techs), float(limit)
    except ValueError:
        raise SystemExit(
            f"bad day {text!r}: write CITY:VISITS:TECHNICIANS@LIMIT, e.g. nyc:300:25@30"
        ) from None


def command_days(args: argparse.Namespace) -> int:
    from dispatch.bench import days as runs

    generator = runs.generator()
    solvers = [s for s in args.solvers.split(",") if s]
    unknown = set(solvers) - set(DAY_SOLVERS)
    if unknown:
        raise SystemExit(f"unknown solvers {sorted(unknown)}; choose from {DAY_SOLVERS}")
    cases = [_day_case(text) for text in args.cases]
    for city, *_ in cases:
        if city not in generator.CITIES:
            raise SystemExit(f"unknown city {city!r}; choose from {sorted(generator.CITIES)}")
    _header(args, "realistic days")
    header = ["day", "limit s"]
    for solver in solvers:
        header += [f"{solver} drive min", f"{solver} served", f"{solver} s"]
    ratios = [s for s in ("ours", "ours/1") if s in solvers and "pyvrp" in solvers]
    header += [f"{s} / pyvrp" for s in ratios]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    all_valid = True
    for city, visits, techs, limit in cases:
        day = generator.generate(city, visits, techs, args.seed)
        results = {}
        for solver in solvers:
            if solver == "ours":
                results[solver] = runs.run_ours(day.problem, limit, seed=0)
            elif solver == "ours/1":
                results[solver] = runs.run_ours(day.problem, limit, seed=0, workers=1)
            elif solver == "pyvrp":
                results[solver] = runs.run_pyvrp(day.problem, limit, seed=0)
            elif solver == "vroom":
                results[solver] = runs.run_vroom(day.problem)
            else:
                results[solver] = runs.run_naive(day.problem)
        row = [day.name, f"{limit:g}"]
        for solver in solvers:
            r = results[solver]
            all_valid &= r.valid
            row += [
                f"{r.drive_minutes:,.0f}" + ("" if r.valid else f" ({r.violations} violations)"),
                f"{r.served}/{visits}",
                f"{r.wall_time:.1f}",
            ]
        for solver in ratios:
            ours, peer = results[solver], results["pyvrp"]
            fair = ours.served == peer.served and peer.drive_minutes > 0
            row.append(f"{ours.drive_minutes / peer.drive_minutes:.3f}" if fair else "n/a (served differ)")
        lines.append("| " + " | ".join(row) + " |")
        print(f"done {day.name} @ {limit:g} s: {row[2:]}", file=sys.stderr, flush=True)
    print("\n".join(lines))
    return 0 if all_valid else 1


if __name__ == "__main__":
    sys.exit(main())
