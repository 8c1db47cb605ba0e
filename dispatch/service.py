"""Planning a day: the day's bookings → the engine → a validated, stored draft version.

The search starts from the routes the day's bookings were promised on
(:func:`dispatch.fleet.promised_routes`: the published or current routes plus
every later booking where the booking-time check put it), and a plan that
serves fewer visits than those routes do is never returned: a window offered
to a patient is a promise the plan keeps.

Re-optimizing a plan that was published keeps the patients' promises where it
can: a first pass narrows each published visit to its published arrival
window (warm-started from the published routes); only visits that then cannot
be served get their full booked window back in a second pass. The plan is
validated with the engine's independent validator against the real problem
(full windows, pins) before it is stored.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import date

from flask import current_app

from booking.extensions import db
from booking.models import Region, User
from booking.observability import SOLVE_SECONDS
from config import setting
from dispatch.day import DayData, build_day, local_seconds, visit_id
from dispatch.engine import solve, validate
from dispatch.engine.problem import DispatchProblem, TimeWindow
from dispatch.engine.result import Plan, Unassigned, UnassignedReason
from dispatch.engine.timing import timed_plan
from dispatch.engine.validation import InvalidPlanError
from dispatch.fleet import promised_routes
from dispatch.models import PlanVersion
from dispatch.plans import audit, bump_revision, get_or_create_plan, store_version, version

log = logging.getLogger(__name__)


def pins_of(v: PlanVersion | None) -> dict[int, int]:
    return {s.booking_id: s.technician_id for s in (v.stops if v else []) if s.pinned}


def _narrowed(problem: DispatchProblem, windows: dict[str, TimeWindow]) -> DispatchProblem:
    visits = tuple(
        dataclasses.replace(v, time_windows=(windows[v.id],)) if v.id in windows else v
        for v in problem.visits
    )
    return dataclasses.replace(problem, visits=visits)


def _published_windows(day: DayData, published: PlanVersion) -> dict[str, TimeWindow]:
    known = {b.id for b in day.bookings}
    return {
        visit_id(s.booking_id): TimeWindow(
            max(0, local_seconds(day.origin, s.window_start)), max(0, local_seconds(day.origin, s.window_end))
        )
        for s in published.stops
        if s.booking_id in known
    }


def _workers() -> int | None:
    """``DISPATCH_WORKERS``: cores one solve may use (unset: every core)."""
    value = setting(current_app.config, "DISPATCH_WORKERS")
    return int(value) if value not in (None, "") else None


def solve_day(
    day: DayData,
    time_limit: float,
    seed: int,
    warm: dict,
    windows: dict[str, TimeWindow] | None,
    progress: Callable[[dict], None] | None = None,
):
    """Solve, keeping published windows first when there are any; validated against ``day.problem``.

    ``progress`` hears of the first plan as soon as the engine has it (see ``dispatch.engine.solve``).
    """
    with SOLVE_SECONDS.time():
        return _solve_day(day, time_limit, seed, warm, windows, progress)


def _solve_day(day: DayData, time_limit: float, seed: int, warm: dict, windows, progress=None):
    workers = _workers()
    if not windows:
        return solve(day.problem, time_limit, seed, warm or None, workers=workers, progress=progress)
    first = solve(
        _narrowed(day.problem, windows),
        time_limit * 0.6,
        seed,
        warm or None,
        workers=workers,
        progress=progress,
    )
    dropped = {u.visit_id for u in first.unassigned} & set(windows)
    result = first
    if dropped:
        kept = {k: w for k, w in windows.items() if k not in dropped}
        result = solve(
            _narrowed(day.problem, kept), time_limit * 0.4, seed, first.as_initial_routes(), workers=workers
        )
    violations = validate(day.problem, result)
    if violations:
        raise InvalidPlanError(violations)
    return no_worse_than_promised(day.problem, result, warm)


def _missing(problem: DispatchProblem, plan: Plan) -> tuple[int, ...]:
    """Unassigned visits per priority, highest first: what ranks one plan above another."""
    levels = sorted({v.priority for v in problem.visits}, reverse=True)
    missing = [problem.visit(u.visit_id).priority for u in plan.unassigned]
    return tuple(missing.count(level) for level in levels)


def no_worse_than_promised(problem: DispatchProblem, result: Plan, promised: dict | None) -> Plan:
    """``result``, or the promised routes themselves (timed by :func:`timed_plan`) when they are valid
    and the search left more visits of some priority unassigned than they do."""
    promised = {
        tech: [v for v in ids if problem.has_visit(v)]
        for tech, ids in (promised or {}).items()
        if problem.has_technician(tech)
    }
    if not promised:
        return result
    served = {v for ids in promised.values() for v in ids}
    reasons = {u.visit_id: u for u in result.unassigned}
    unassigned = [
        reasons.get(v.id)
        or Unassigned(v.id, UnassignedReason.NO_CAPACITY, f"Visit {v.id} is on no promised route.")
        for v in problem.visits
        if v.id not in served
    ]
    kept = timed_plan(problem, promised, unassigned, status=result.status)
    if validate(problem, kept) or _missing(problem, kept) >= _missing(problem, result):
        return result
    phases = result.stats.phases + ("kept the promised routes: the search served fewer visits",)
    return dataclasses.replace(kept, stats=dataclasses.replace(result.stats, phases=phases))


def plan_day(
    region: Region,
    day: date,
    *,
    time_limit: float,
    seed: int = 0,
    actor: User | None = None,
    expected_revision: int | None = None,
    source: str = "solve",
    progress: Callable[[dict], None] | None = None,
) -> PlanVersion:
    """Solve the region's day and store it as the plan's new current (draft) version; flushed.

    :raise PreconditionFailed: the plan changed since ``expected_revision``.
    :raise InvalidPlanError: the engine returned a plan that breaks a rule.
    """
    plan = get_or_create_plan(region, day)
    current = version(plan, plan.current_number)
    published = version(plan, plan.published_number)
    pins = pins_of(current)
    data = build_day(region, day, pins)
    log.info(
        "dispatch solve: region %s day %s, %d visits, %d technicians, %.1fs",
        region.id,
        day,
        len(data.problem.visits),
        len(data.problem.technicians),
        time_limit,
    )
    warm = promised_routes(region, day)
    keep = (
        {s.booking_id: (s.technician_id, s.window_start, s.window_end) for s in published.stops}
        if published
        else {}
    )
    windows = _published_windows(data, published) if published else None
    current_number = current.number if current else None
    # End the read transaction before the solve: SQLite would otherwise hold its write lock throughout.
    db.session.commit()
    core = solve_day(data, time_limit, seed, warm, windows, progress)
    bump_revision(plan, expected_revision)
    stats = {
        "solver_status": core.status,
        "solve_seconds": round(core.stats.wall_time, 3),
        "time_limit": time_limit,
        "seed": seed,
        "objective": core.objective,
    }
    v = store_version(
        plan, data, core, source=source, actor=actor, pins=set(pins), stats=stats, keep_windows=keep
    )

    audit(
        plan,
        actor,
        source,
        {
            "before": {"version": current_number},
            "after": {
                "version": v.number,
                "served": v.stats["served"],
                "unassigned": v.stats["unassigned"],
                "changed_windows": v.stats["changed_windows"],
            },
        },
        from_version=current_number,
        to_version=v.number,
    )
    return v
