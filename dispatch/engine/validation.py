"""An independent check of a plan against the problem data.

Nothing here trusts the solver: every constraint is re-derived from the
:class:`~dispatch.engine.problem.DispatchProblem` and the plan's own times, so a bug in
how the OR-Tools model was built shows up as a violation instead of a wrong
route on a technician's phone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from dispatch.engine.problem import DispatchProblem, Technician, Visit
from dispatch.engine.result import Plan, Route


@dataclass(frozen=True)
class Violation:
    """One broken rule, as fields a program can read and a sentence.

    ``kind`` is a stable code (``"time_window"``, ``"skill"``, ...). The
    other fields say what it concerns, where they apply: the visit,
    technician and lab ids; ``time``, the moment at issue (a start of
    service, an arrival at the lab, the end or start of the day, a
    departure); ``limit``, the bound it breaks (a window's end, a cutoff, a
    shift's end or start, the time the next stop must start by);
    ``windows``, the visit's windows; ``amount`` and ``maximum``, a count,
    load or travel time against what is allowed or available. Times are in
    the problem's units.
    """

    kind: str
    message: str
    visit_id: str | None = None
    technician_id: str | None = None
    lab_id: str | None = None
    time: int | None = None
    limit: int | None = None
    windows: tuple[tuple[int, int], ...] = ()
    amount: int | None = None
    maximum: int | None = None


class InvalidPlanError(RuntimeError):
    """A plan broke at least one constraint; ``violations`` says which."""

    def __init__(self, violations: list[Violation]):
        self.violations = violations
        lines = "; ".join(f"[{v.kind}] {v.message}" for v in violations[:10])
        super().__init__(f"{len(violations)} constraint violation(s): {lines}")


def validate(problem: DispatchProblem, plan: Plan) -> list[Violation]:
    """Every constraint ``plan`` breaks; an empty list means the plan is valid."""
    violations = _check_accounting(problem, plan)
    seen_technicians: set[str] = set()
    for route in plan.routes:
        if not problem.has_technician(route.technician_id):
            violations.append(
                Violation(
                    "unknown_technician",
                    f"Route for unknown technician {route.technician_id!r}.",
                    technician_id=route.technician_id,
                )
            )
            continue
        if route.technician_id in seen_technicians:
            violations.append(
                Violation(
                    "duplicate_route",
                    f"Technician {route.technician_id} has two routes.",
                    technician_id=route.technician_id,
                )
            )
        seen_technicians.add(route.technician_id)
        violations.extend(_check_route(problem, route))
    return violations


def ensure_valid(problem: DispatchProblem, plan: Plan) -> Plan:
    """Return ``plan`` unchanged, or raise :class:`InvalidPlanError`."""
    violations = validate(problem, plan)
    if violations:
        raise InvalidPlanError(violations)
    return plan


def _check_accounting(problem: DispatchProblem, plan: Plan) -> list[Violation]:
    """Each visit exactly once: served on one route or listed as unassigned."""
    violations = []
    counts = Counter(stop.visit_id for route in plan.routes for stop in route.stops)
    counts.update(item.visit_id for item in plan.unassigned)
    for visit_id, count in counts.items():
        if not problem.has_visit(visit_id):
            violations.append(
                Violation("unknown_visit", f"Visit {visit_id!r} is not in the problem.", visit_id=visit_id)
            )
        elif count > 1:
            violations.append(
                Violation(
                    "duplicate_visit",
                    f"Visit {visit_id} appears {count} times.",
                    visit_id=visit_id,
                    amount=count,
                )
            )
    for visit in problem.visits:
        if visit.id not in counts:
            violations.append(
                Violation(
                    "missing_visit", f"Visit {visit.id} is neither routed nor unassigned.", visit_id=visit.id
                )
            )
    return violations


def _check_route(problem: DispatchProblem, route: Route) -> list[Violation]:
    tech = problem.technician(route.technician_id)
    known = [stop for stop in route.stops if problem.has_visit(stop.visit_id)]
    return (
        _check_eligibility(problem, tech, route)
        + _check_limits(problem, tech, route)
        + _check_timeline(problem, tech, route, known)
        + _check_breaks(problem, tech, route)
    )


def _check_eligibility(problem: DispatchProblem, tech: Technician, route: Route) -> list[Violation]:
    violations = []
    for stop in route.stops:
        if not problem.has_visit(stop.visit_id):
            continue
        visit = problem.visit(stop.visit_id)
        missing = visit.required_skills - tech.skills
        if missing:
            violations.append(
                Violation(
                    "skill",
                    f"Visit {visit.id} needs {sorted(missing)} which {tech.id} lacks.",
                    visit_id=visit.id,
                    technician_id=tech.id,
                )
            )
        if visit.pinned_technician is not None and visit.pinned_technician != tech.id:
            violations.append(
                Violation(
                    "pin",
                    f"Visit {visit.id} is pinned to {visit.pinned_technician}, routed to {tech.id}.",
                    visit_id=visit.id,
                    technician_id=tech.id,
                )
            )
    return violations


def _check_limits(problem: DispatchProblem, tech: Technician, route: Route) -> list[Violation]:
    violations = []
    if tech.max_visits is not None and len(route.stops) > tech.max_visits:
        violations.append(
            Violation(
                "max_visits",
                f"{tech.id} has {len(route.stops)} visits, maximum {tech.max_visits}.",
                technician_id=tech.id,
                amount=len(route.stops),
                maximum=tech.max_visits,
            )
        )
    if tech.capacity is not None:
        load = sum(problem.visit(s.visit_id).demand for s in route.stops if problem.has_visit(s.visit_id))
        if load > tech.capacity:
            violations.append(
                Violation(
                    "capacity",
                    f"{tech.id} carries {load}, capacity {tech.capacity}.",
                    technician_id=tech.id,
                    amount=load,
                    maximum=tech.capacity,
                )
            )
    return violations


def _break_time_within(route: Route, start: int, end: int) -> int:
    """Break time scheduled inside ``[start, end]``; it cannot be used for travel."""
    return sum(max(0, min(end, b.end) - max(start, b.start)) for b in route.breaks)


def _check_leg(
    route: Route,
    what: str,
    departure: int,
    arrival_by: int,
    travel: int,
    visit_id: str | None = None,
    lab_id: str | None = None,
) -> list[Violation]:
    available = arrival_by - departure - _break_time_within(route, departure, arrival_by)
    if available < travel:
        return [
            Violation(
                "travel",
                f"{route.technician_id}: {what} needs {travel} of travel but only {available} "
                f"is available between {departure} and {arrival_by}.",
                visit_id=visit_id,
                technician_id=route.technician_id,
                lab_id=lab_id,
                time=departure,
                limit=arrival_by,
                amount=travel,
                maximum=available,
            )
        ]
    return []


def _check_timeline(problem: DispatchProblem, tech: Technician, route: Route, stops: list) -> list[Violation]:
    """Windows, service durations, travel between stops, lab cutoff and shift."""
    violations = []
    if route.start_time < tech.shift.start:
        violations.append(
            Violation(
                "shift",
                f"{tech.id} leaves at {route.start_time}, before the shift starts at {tech.shift.start}.",
                technician_id=tech.id,
                time=route.start_time,
                limit=tech.shift.start,
            )
        )
    if route.end_time > tech.shift.end:
        violations.append(
            Violation(
                "shift",
                f"{tech.id} is back at {route.end_time}, after the shift ends at {tech.shift.end}.",
                technician_id=tech.id,
                time=route.end_time,
                limit=tech.shift.end,
            )
        )
    location, departure = tech.start_location, route.start_time
    travel_time = distance = 0
    for stop in stops:
        visit = problem.visit(stop.visit_id)
        travel = problem.matrix.duration(location, visit.location)
        travel_time += travel
        distance += problem.matrix.distance(location, visit.location)
        violations += _check_leg(
            route, f"reaching {visit.id}", departure, stop.start_of_service, travel, visit_id=visit.id
        )
        if not (departure <= stop.arrival <= stop.start_of_service):
            violations.append(
                Violation(
                    "travel",
                    f"{visit.id}: arrival {stop.arrival} is not between the previous departure "
                    f"{departure} and the start of service {stop.start_of_service}.",
                    visit_id=visit.id,
                    technician_id=tech.id,
                    time=stop.arrival,
                    limit=stop.start_of_service,
                )
            )
        if visit.window_at(stop.start_of_service) is None:
            violations.append(
                Violation(
                    "time_window",
                    f"{visit.id}: service starts at {stop.start_of_service}, outside "
                    f"{[(w.start, w.end) for w in visit.time_windows]}.",
                    visit_id=visit.id,
                    technician_id=tech.id,
                    time=stop.start_of_service,
                    limit=_nearest_bound(visit, stop.start_of_service),
                    windows=tuple((w.start, w.end) for w in visit.time_windows),
                )
            )
        if stop.departure != stop.start_of_service + visit.service_duration:
            violations.append(
                Violation(
                    "service",
                    f"{visit.id}: departs at {stop.departure}, service of "
                    f"{visit.service_duration} from {stop.start_of_service} ends later or earlier.",
                    visit_id=visit.id,
                    technician_id=tech.id,
                    time=stop.departure,
                    limit=stop.start_of_service + visit.service_duration,
                )
            )
        location, departure = visit.location, stop.departure
    lab_violations, location, departure, lab_travel, lab_distance = _check_lab(
        problem, route, stops, location, departure
    )
    violations += lab_violations
    travel_time += lab_travel
    distance += lab_distance
    if tech.end_location is not None:
        travel = problem.matrix.duration(location, tech.end_location)
        travel_time += travel
        distance += problem.matrix.distance(location, tech.end_location)
        violations += _check_leg(route, "returning to the end location", departure, route.end_time, travel)
    elif route.end_time < departure:
        violations.append(
            Violation(
                "travel",
                f"{tech.id}: route ends at {route.end_time} before its last departure.",
                technician_id=tech.id,
                time=route.end_time,
                limit=departure,
            )
        )
    if (route.travel_time, route.distance) != (travel_time, distance):
        violations.append(
            Violation(
                "accounting",
                f"{tech.id}: reports travel {route.travel_time} and distance {route.distance}, "
                f"the data give {travel_time} and {distance}.",
                technician_id=tech.id,
                amount=route.travel_time,
                maximum=travel_time,
            )
        )
    return violations


def _check_lab(problem: DispatchProblem, route: Route, stops: list, location: int, departure: int):
    """The lab drop after the last visit, when the problem has labs."""
    if not problem.labs or not stops:
        if route.lab_drop is not None and not problem.labs:
            return (
                [
                    Violation(
                        "lab",
                        f"{route.technician_id}: a lab drop in a problem without labs.",
                        technician_id=route.technician_id,
                        lab_id=route.lab_drop.lab_id,
                    )
                ],
                location,
                departure,
                0,
                0,
            )
        return [], location, departure, 0, 0
    if route.lab_drop is None:
        return (
            [
                Violation(
                    "lab",
                    f"{route.technician_id}: the route has visits but no lab drop.",
                    technician_id=route.technician_id,
                )
            ],
            location,
            departure,
            0,
            0,
        )
    if route.lab_drop.lab_id not in {lab.id for lab in problem.labs}:
        return (
            [
                Violation(
                    "lab",
                    f"{route.technician_id}: unknown lab {route.lab_drop.lab_id!r}.",
                    technician_id=route.technician_id,
                    lab_id=route.lab_drop.lab_id,
                )
            ],
            location,
            departure,
            0,
            0,
        )
    lab = problem.lab(route.lab_drop.lab_id)
    travel = problem.matrix.duration(location, lab.location)
    violations = _check_leg(
        route, f"reaching lab {lab.id}", departure, route.lab_drop.arrival, travel, lab_id=lab.id
    )
    if route.lab_drop.arrival > lab.cutoff:
        violations.append(
            Violation(
                "lab",
                f"{route.technician_id}: reaches lab {lab.id} at {route.lab_drop.arrival}, "
                f"after its cutoff {lab.cutoff}.",
                technician_id=route.technician_id,
                lab_id=lab.id,
                time=route.lab_drop.arrival,
                limit=lab.cutoff,
            )
        )
    return (
        violations,
        lab.location,
        route.lab_drop.arrival,
        travel,
        problem.matrix.distance(location, lab.location),
    )


def _check_breaks(problem: DispatchProblem, tech: Technician, route: Route) -> list[Violation]:
    """Each of the technician's breaks taken once, in its window, never during service."""
    if not route.stops:
        return []
    if len(route.breaks) != len(tech.breaks):
        return [
            Violation(
                "break",
                f"{tech.id}: {len(route.breaks)} breaks scheduled, the shift has {len(tech.breaks)}.",
                technician_id=tech.id,
                amount=len(route.breaks),
                maximum=len(tech.breaks),
            )
        ]
    violations = []
    scheduled = sorted(route.breaks, key=lambda b: b.start)
    for brk, taken in zip(tech.breaks, scheduled, strict=True):
        if taken.end - taken.start != brk.duration:
            violations.append(
                Violation(
                    "break",
                    f"{tech.id}: break {taken} should last {brk.duration}.",
                    technician_id=tech.id,
                    time=taken.start,
                    limit=taken.end,
                    amount=taken.end - taken.start,
                    maximum=brk.duration,
                )
            )
        if taken.start < brk.window.start or taken.end > brk.window.end:
            violations.append(
                Violation(
                    "break",
                    f"{tech.id}: break {taken} is outside its window {brk.window}.",
                    technician_id=tech.id,
                    time=taken.start,
                    limit=taken.end,
                    windows=((brk.window.start, brk.window.end),),
                )
            )
    for first, second in zip(scheduled, scheduled[1:], strict=False):
        if second.start < first.end:
            violations.append(
                Violation(
                    "break",
                    f"{tech.id}: breaks {first} and {second} overlap.",
                    technician_id=tech.id,
                    time=second.start,
                    limit=first.end,
                )
            )
    for taken in scheduled:
        for stop in route.stops:
            if taken.start < stop.departure and stop.start_of_service < taken.end:
                violations.append(
                    Violation(
                        "break",
                        f"{tech.id}: break {taken} overlaps the service of {stop.visit_id}.",
                        visit_id=stop.visit_id,
                        technician_id=tech.id,
                        time=taken.start,
                        limit=taken.end,
                    )
                )
    return violations


def _nearest_bound(visit: Visit, start: int) -> int:
    """The window edge a start outside every window missed: the end of the
    last window before it, else the start of the first after it."""
    before = [w.end for w in visit.time_windows if w.end < start]
    return max(before) if before else min(w.start for w in visit.time_windows)
