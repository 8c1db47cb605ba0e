"""``solve``: the dispatch engine's one entry point.

It screens visits no technician could serve (reported with a reason), builds
a first plan by construction, searches within the time limit, by ruin and
recreate (:mod:`dispatch.engine.sisr`) or, for days with breaks or a balance
term, on the OR-Tools routing model (:mod:`dispatch.engine.routing`,
:mod:`dispatch.engine.search`), reads the plan back, and validates it
independently before returning it: a plan that breaks a constraint raises
:class:`~dispatch.engine.validation.InvalidPlanError` instead of reaching a
technician.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

from dispatch.engine import sisr
from dispatch.engine.construction import Insertion, construct, insert
from dispatch.engine.decomposition import PartsOutcome, route_cost, solve_by_parts
from dispatch.engine.parts import available_cores, process_pool, solve_part
from dispatch.engine.problem import DispatchProblem
from dispatch.engine.result import (
    LabDrop,
    Plan,
    Route,
    ScheduledBreak,
    SolveStats,
    Stop,
    Unassigned,
    UnassignedReason,
)
from dispatch.engine.routing import RoutingModel
from dispatch.engine.screening import screen
from dispatch.engine.search import (
    Clock,
    SearchOutcome,
    SearchStrategy,
    is_short,
    run_search,
    single_search,
    starting_strategy,
)
from dispatch.engine.timing import fits, timed_route
from dispatch.engine.validation import ensure_valid

LARGE_DAY = 300
# Shorter solves use one core: starting a worker process costs a fraction of
# a second, more than its search gave below this (300 visits at 1-2 s), and
# such solves are a coordinator's quick re-plans, frequent on a busy server.
PORTFOLIO_SECONDS = 2.5


def side_by_side(problem: DispatchProblem, time_limit: float) -> tuple[SearchStrategy, ...]:
    """The searches run side by side, in the order cores are given to them.

    They differ in how they start or ruin: OR-Tools' ILS draws its ruins from
    a fixed random stream, so different seeds alone follow the same path.
    First the default for the problem's shape (:func:`starting_strategy`).
    From one depot, savings comes next, the best single start on hard
    Solomon instances (1.20 % against 2.10 % for parallel cheapest insertion
    at 10 s). From technicians' homes every other start was worse on
    generated days (300 visits, four cities, one process, 10 s, mean ratio to
    PyVRP: savings 1.067, parallel insertion 1.089, against 1.035-1.05), so
    the second search keeps local cheapest insertion and ruins longer strings
    (1.042 alone; best of the two 1.036).

    When the limit is short for the day (:func:`is_short`), the search in
    this process improves the construction's plan (:func:`single_search`):
    it has that plan at once, while a worker process must start and build
    its own first; within 1 s a side-by-side search from OR-Tools' own first
    plan gave nothing better than the construction. Guided local search from
    the construction stalls given more time (the same plan at 8, 10 and 30 s
    on New York 300), so it is not one of the searches at longer limits.
    """
    first = starting_strategy(problem)
    longer_ruins = replace(first, ruin_sequence=20)
    savings = replace(first, first_solution="SAVINGS")
    if is_short(problem, time_limit):
        return replace(first, from_first_plan=True), first, savings, longer_ruins
    if first.first_solution == "PARALLEL_CHEAPEST_INSERTION":
        return first, savings, replace(first, first_solution="LOCAL_CHEAPEST_INSERTION"), longer_ruins
    return first, longer_ruins, savings, replace(first, first_solution="PARALLEL_CHEAPEST_INSERTION")


InitialRoutes = Mapping[str, Sequence[str]] | Sequence[Sequence[str]]


def solve(
    problem: DispatchProblem,
    time_limit: float,
    seed: int = 0,
    initial_routes: InitialRoutes | None = None,
    strategy: SearchStrategy | None = None,
    workers: int | None = None,
    progress: Callable[[dict], None] | None = None,
) -> Plan:
    """Best plan found within ``time_limit`` seconds of wall time.

    ``progress``, when given, is called in this process with the first plan's figures as soon
    as the construction has it (``phase``, ``served``, ``unassigned``, ``seconds``), before the
    search, so a caller can show a plan so far while the rest of the time is spent improving it.

    ``initial_routes`` warm-starts the search from a plan, e.g. a published
    one: ``{technician_id: [visit_id, ...]}`` or one list per technician in
    ``problem.technicians`` order. Stops that no longer fit (unknown ids,
    pins, skills, broken windows) are left out of the warm start and
    re-inserted by the search if they can be. ``seed`` seeds OR-Tools' random
    generator (ruin choices) and the grouping of routes on large days; the
    result still depends on how much search fits in the time limit.
    ``workers`` is how many cores the search may use (default: every core
    this process may run on). Given at least ``PORTFOLIO_SECONDS``, ruin and
    recreate runs one annealing chain per worker, in threads that share their
    best plan. With OR-Tools' search
    (days with breaks or a balance term, an explicit ``strategy``, or kernels
    not yet compiled) a large day is solved by parts in that many processes,
    and a smaller one, given at least ``PORTFOLIO_SECONDS``, runs that many
    searches side by side (started differently; with a warm start, the
    others start from scratch) and keeps the best plan.

    :raise ValueError: if ``time_limit`` is not positive or ``initial_routes``
        has the wrong shape.
    :raise InvalidPlanError: if the plan found breaks a constraint (a bug).
    """
    if not time_limit > 0:
        raise ValueError(f"time_limit must be > 0 seconds, got {time_limit!r}.")
    clock = Clock(time_limit)
    warm = _initial_routes_by_technician(problem, initial_routes)
    screening = screen(problem)
    if not screening.allowed:
        plan = _empty_plan(screening.unassigned, clock, status="EMPTY")
        return ensure_valid(problem, plan)
    first = construct(problem, screening.allowed, _fitting(problem, screening, warm))
    first_time = clock.elapsed()
    if progress is not None:
        served = sum(len(ids) for ids in first.routes.values())
        progress(
            {
                "phase": "first plan",
                "served": served,
                "unassigned": len(problem.visits) - served,
                "seconds": round(first_time, 2),
            }
        )
    workers = available_cores() if workers is None else max(1, workers)
    plan = None
    if strategy is None and sisr.supports(problem) and sisr.ready():
        plan = _solve_by_sisr(problem, screening, clock, seed, workers, first, bool(warm))
    if plan is None:
        plan = _search_with_ortools(problem, screening, clock, seed, warm, workers, first, strategy)
    return ensure_valid(problem, _no_worse_than_insertion(problem, screening, plan, first, first_time, clock))


def _search_with_ortools(
    problem: DispatchProblem,
    screening,
    clock: Clock,
    seed: int,
    warm,
    workers: int,
    first: Insertion,
    strategy,
) -> Plan:
    """OR-Tools' search: by parts on a large day, side by side on several
    cores, else one search (``strategy``, or the one the limit calls for)."""
    if strategy is None and not warm and len(screening.allowed) > LARGE_DAY:
        return _solve_by_parts(problem, screening, clock, seed, workers, first)
    if strategy is None and workers > 1 and clock.limit >= PORTFOLIO_SECONDS:
        return _solve_side_by_side(problem, screening, clock, seed, warm, workers, first)
    strategy = strategy or single_search(problem, clock.limit)
    return _search(problem, screening, clock, seed, warm, strategy, first)


def _fitting(problem: DispatchProblem, screening, warm: dict[str, list[str]]) -> dict[str, list[str]]:
    """The warm start's stops, in order, that its technicians may serve and
    that still fit their day (each visit once)."""
    routes: dict[str, list[str]] = {}
    seen: set[str] = set()
    for tech_id, visit_ids in warm.items():
        if not problem.has_technician(tech_id):
            continue
        tech = problem.technician(tech_id)
        kept: list[str] = []
        for visit_id in visit_ids:
            if visit_id in seen or tech_id not in screening.allowed.get(visit_id, ()):
                continue
            if fits(problem, tech, [*kept, visit_id]):
                kept.append(visit_id)
                seen.add(visit_id)
        routes[tech_id] = kept
    return routes


def _search(
    problem: DispatchProblem, screening, clock: Clock, seed: int, warm, strategy, first: Insertion
) -> Plan:
    """One OR-Tools search in this process, from the caller's warm start, or
    from the construction's plan ``first`` when ``strategy`` says so."""
    model = RoutingModel(problem, screening)
    if not warm and strategy.from_first_plan:
        start = {tech_id: ids for tech_id, ids in first.routes.items() if ids}
        outcome = run_search(model, clock, seed, start, strategy, warm_label="the construction's plan")
    else:
        outcome = run_search(model, clock, seed, warm, strategy)
    return read_plan(model, outcome, screening.unassigned, clock)


def _no_worse_than_insertion(
    problem: DispatchProblem, screening, plan: Plan, first: Insertion, first_time: float, clock: Clock
) -> Plan:
    """The better of the search's plan and the construction's first plan
    (:mod:`dispatch.engine.construction`), with every visit the search left out
    inserted where it fits.

    Afterwards a visit is unassigned as ``no_capacity`` only when no
    eligible technician's day in the plan has room for it, and as
    ``time_limit`` when the limit ran out before it could be tried.
    """
    floor = _with_routes(problem, plan, first, screening, status="CONSTRUCTION")
    phases = plan.stats.phases
    if phases[:1] != ("construction",):  # a plan from a worker's solve says so already
        phases = ("construction", *phases)
    same_routes = plan.as_initial_routes() == {t: ids for t, ids in first.routes.items() if ids}
    if _rank(problem, floor) < _rank(problem, plan):
        best = floor
        phases += ("kept the construction's plan",)
    elif same_routes:
        # The construction already tried every left-out visit on these routes.
        best = _with_routes(problem, plan, first, screening)
    else:
        best = plan
        pending = [u.visit_id for u in plan.unassigned if u.visit_id in screening.allowed]
        if pending:
            filled = insert(
                problem, screening.allowed, plan.as_initial_routes(), pending, clock.started + clock.limit
            )
            best = _with_routes(problem, plan, filled, screening)
            placed = len(pending) - len(filled.unplaced) - len(filled.not_tried)
            phases += (f"{placed} of {len(pending)} left-out visit(s) inserted after the search",)
    complete = not (first.unplaced or first.not_tried)
    stats = SolveStats(
        wall_time=clock.elapsed(),
        first_solution_time=first_time,
        first_complete_time=first_time if complete else plan.stats.first_complete_time,
        phases=phases,
    )
    return replace(best, stats=stats)


def _with_routes(
    problem: DispatchProblem, plan: Plan, filled: Insertion, screening, status: str | None = None
) -> Plan:
    """``plan`` with the insertion's routes (those that differ re-timed) and
    the unassigned visits' reasons set from what the insertion found."""
    before = plan.as_initial_routes()
    routes = []
    for tech in problem.technicians:
        ids = filled.routes.get(tech.id)
        if not ids:
            continue
        if ids == before.get(tech.id):
            routes.append(plan.route_of(tech.id))
        else:
            routes.append(timed_route(problem, tech.id, ids))
    left = {v: _not_placed(v) for v in filled.unplaced}
    left.update({v: _out_of_time(v) for v in filled.not_tried})
    left.update({u.visit_id: u for u in plan.unassigned if u.visit_id not in screening.allowed})
    return replace(
        plan,
        routes=tuple(routes),
        unassigned=tuple(left[v.id] for v in problem.visits if v.id in left),
        objective=_objective(problem, routes),
        status=status or plan.status,
    )


def _solve_side_by_side(
    problem: DispatchProblem, screening, clock: Clock, seed: int, warm, workers: int, first: Insertion
) -> Plan:
    """Independent searches in ``workers`` processes, each started its own
    way (:func:`side_by_side`); the best plan wins."""
    deadline = clock.started + clock.limit
    strategies = side_by_side(problem, clock.limit)
    plans = []
    with process_pool(workers - 1) as executor:
        others = [
            executor.submit(
                solve_part, problem, deadline, clock.remaining(), seed, strategies[k % len(strategies)]
            )
            for k in range(1, workers)
        ]
        plans.append(_search(problem, screening, clock, seed, warm, strategies[0], first))
        for future in others:
            try:
                plan = future.result()
            except BrokenProcessPool:
                plan = None
            if plan is not None:
                plans.append(plan)
    best = min(plans, key=lambda plan: _rank(problem, plan))
    phases = best.stats.phases + (f"best of {len(plans)} searches side by side",)
    return replace(best, stats=replace(best.stats, wall_time=clock.elapsed(), phases=phases))


def _solve_by_sisr(
    problem: DispatchProblem, screening, clock: Clock, seed: int, workers: int, first: Insertion, warm: bool
) -> Plan | None:
    """Ruin and recreate (:mod:`dispatch.engine.sisr`) from the construction's
    plan, one annealing chain per worker, in threads that share their best
    plan. ``None`` when the construction's plan is outside what SISR models
    (OR-Tools searches then)."""
    deadline = clock.started + clock.limit - _reserve(problem)
    start = {tech_id: ids for tech_id, ids in first.routes.items() if ids}
    # Under PORTFOLIO_SECONDS one chain: short solves are the frequent ones
    # (a coordinator's quick re-plan) and leave the other cores to the server.
    searches = workers if clock.limit >= PORTFOLIO_SECONDS else 1
    found = sisr.improve(problem, screening.allowed, start, deadline, seed, searches=searches)
    if found is None:
        return None
    routes, figures = found
    plan = _sisr_plan(problem, screening, routes, figures, clock)
    if warm:
        plan = replace(plan, stats=replace(plan.stats, phases=("warm start", *plan.stats.phases)))
    return plan


def _reserve(problem: DispatchProblem) -> float:
    """Time kept back for timing, validating and returning the plan."""
    return 0.05 + 0.0003 * len(problem.visits)


def _sisr_plan(
    problem: DispatchProblem, screening, routes: dict[str, list[str]], figures: dict, clock
) -> Plan:
    timed = [timed_route(problem, t.id, routes[t.id]) for t in problem.technicians if routes.get(t.id)]
    served = {v for ids in routes.values() for v in ids}
    by_id = {u.visit_id: u for u in screening.unassigned}
    by_id.update({v: _not_placed(v) for v in screening.allowed if v not in served})
    phase = (
        f"SISR: {figures['iterations']:,} ruins, {figures['accepted']:,} accepted, "
        f"{figures['exchanges']:,} tail exchanges, cost {figures['start_cost']:,} to {figures['cost']:,}"
    )
    if figures["searches"] > 1:
        phase += (
            f", {figures['searches']} chains sharing their best plan ({figures['shared']} moves to the best)"
        )
    return Plan(
        routes=tuple(timed),
        unassigned=tuple(by_id[v.id] for v in problem.visits if v.id in by_id),
        objective=_objective(problem, timed),
        status="SISR_SUCCESS",
        stats=SolveStats(wall_time=clock.elapsed(), phases=(phase,)),
    )


def _rank(problem: DispatchProblem, plan: Plan) -> tuple:
    """Fewer unassigned visits of the highest priority first, then cost."""
    levels = sorted({v.priority for v in problem.visits}, reverse=True)
    missing = [problem.visit(u.visit_id).priority for u in plan.unassigned]
    return (*(missing.count(level) for level in levels), plan.objective)


def _solve_by_parts(
    problem: DispatchProblem, screening, clock: Clock, seed: int, workers: int, first: Insertion
) -> Plan:
    """Many small problems instead of one large one (see
    :mod:`dispatch.engine.decomposition`)."""
    routable = [v.id for v in problem.visits if v.id in screening.allowed]
    start = {t: timed_route(problem, t, ids) for t, ids in first.routes.items() if ids}
    pending = set(first.unplaced) | set(first.not_tried)
    outcome = solve_by_parts(problem, routable, clock, seed, workers, PartsOutcome(start, pending))
    routes = tuple(outcome.routes[t.id] for t in problem.technicians if t.id in outcome.routes)
    by_id = {u.visit_id: u for u in screening.unassigned}
    by_id.update({v: _not_placed(v) for v in outcome.pending})
    return Plan(
        routes=routes,
        unassigned=tuple(by_id[v.id] for v in problem.visits if v.id in by_id),
        objective=_objective(problem, routes),
        status="ROUTING_SUCCESS" if routes or not routable else "ROUTING_FAIL",
        stats=SolveStats(
            wall_time=clock.elapsed(),
            first_solution_time=outcome.first_plan_time,
            first_complete_time=outcome.complete_time,
            phases=tuple(outcome.phases),
        ),
    )


def _initial_routes_by_technician(
    problem: DispatchProblem, initial_routes: InitialRoutes | None
) -> dict[str, list[str]]:
    if initial_routes is None:
        return {}
    if isinstance(initial_routes, Mapping):
        pairs = list(initial_routes.items())
    elif isinstance(initial_routes, Sequence) and not isinstance(initial_routes, str):
        if len(initial_routes) > len(problem.technicians):
            raise ValueError(
                f"initial_routes has {len(initial_routes)} routes for {len(problem.technicians)} technicians."
            )
        pairs = [(t.id, r) for t, r in zip(problem.technicians, initial_routes, strict=False)]
    else:
        raise ValueError(
            "initial_routes must map technician ids to visit ids, or list one route per technician."
        )
    routes = {}
    for technician_id, visit_ids in pairs:
        if isinstance(visit_ids, str) or not isinstance(visit_ids, Sequence):
            raise ValueError(f"initial route of {technician_id!r} must be a list of visit ids.")
        routes[str(technician_id)] = [str(v) for v in visit_ids]
    return routes


def _empty_plan(unassigned: list[Unassigned], clock: Clock, status: str) -> Plan:
    return Plan(
        routes=(),
        unassigned=tuple(unassigned),
        objective=0,
        status=status,
        stats=SolveStats(wall_time=clock.elapsed()),
    )


def read_plan(
    model: RoutingModel, outcome: SearchOutcome, screened_out: list[Unassigned], clock: Clock
) -> Plan:
    """Turn the search's best assignment into a :class:`Plan`."""
    problem = model.problem
    routes = []
    if outcome.assignment is not None:
        breaks = _breaks_by_vehicle(model, outcome.assignment)
        for number in range(len(model.vehicles)):
            route = _read_route(model, outcome.assignment, number, breaks.get(number, []))
            if route is not None:
                routes.append(route)
    served = {stop.visit_id for route in routes for stop in route.stops}
    dropped = [_not_placed(v.id) for v in model.visits if v.id not in served]
    by_id = {u.visit_id: u for u in screened_out + dropped}
    unassigned = tuple(by_id[v.id] for v in problem.visits if v.id in by_id)
    return Plan(
        routes=tuple(routes),
        unassigned=unassigned,
        objective=_objective(problem, routes),
        status=outcome.status,
        stats=SolveStats(
            wall_time=clock.elapsed(),
            first_solution_time=outcome.first_solution_time,
            first_complete_time=outcome.first_complete_time,
            phases=tuple(outcome.phases),
        ),
    )


def _not_placed(visit_id: str) -> Unassigned:
    return Unassigned(
        visit_id,
        UnassignedReason.NO_CAPACITY,
        f"Visit {visit_id} could be served alone, but no eligible technician's day has room for it.",
    )


def _out_of_time(visit_id: str) -> Unassigned:
    return Unassigned(
        visit_id,
        UnassignedReason.TIME_LIMIT,
        f"Visit {visit_id} was not placed before the time limit ran out; a longer limit may place it.",
    )


def _objective(problem: DispatchProblem, routes) -> int:
    """Travel cost of the routes plus the balance term."""
    objective = sum(route_cost(problem, r) for r in routes)
    if problem.balance_coefficient and routes:
        objective += problem.balance_coefficient * (
            max(r.end_time for r in routes) - min(r.start_time for r in routes)
        )
    return objective


def _breaks_by_vehicle(model: RoutingModel, assignment) -> dict[int, list[ScheduledBreak]]:
    result: dict[int, list[ScheduledBreak]] = {}
    if not model.break_vehicle:
        return result
    container = assignment.IntervalVarContainer()
    for i in range(container.Size()):
        element = container.Element(i)
        vehicle = model.break_vehicle.get(element.Var().Name())
        if vehicle is not None and element.PerformedValue():
            result.setdefault(vehicle, []).append(ScheduledBreak(element.StartValue(), element.EndValue()))
    return result


def _read_route(model: RoutingModel, assignment, number: int, breaks: list[ScheduledBreak]) -> Route | None:
    routing, manager, time_dim = model.routing, model.manager, model.time
    problem = model.problem
    vehicle = model.vehicles[number]
    tech = vehicle.technician
    index = routing.Start(number)
    start_time = assignment.Value(time_dim.CumulVar(index))
    location, departure = tech.start_location, start_time
    stops = []
    travel_time = distance = 0
    index = assignment.Value(routing.NextVar(index))
    while not routing.IsEnd(index):
        visit = model.visits[manager.IndexToNode(index)]
        start = assignment.Value(time_dim.CumulVar(index))
        arrival = (
            departure
            + problem.matrix.duration(location, visit.location)
            + _break_time(breaks, departure, start)
        )
        stops.append(Stop(visit.id, min(arrival, start), start, start + visit.service_duration))
        travel_time += problem.matrix.duration(location, visit.location)
        distance += problem.matrix.distance(location, visit.location)
        location, departure = visit.location, start + visit.service_duration
        index = assignment.Value(routing.NextVar(index))
    if not stops:
        return None
    end_cumul = assignment.Value(time_dim.CumulVar(index))
    lab_drop = None
    if vehicle.lab is not None:
        lab_drop = LabDrop(vehicle.lab.id, end_cumul)
        travel_time += problem.matrix.duration(location, vehicle.lab.location)
        distance += problem.matrix.distance(location, vehicle.lab.location)
        location, departure = vehicle.lab.location, end_cumul
    if tech.end_location is None:
        end_time = departure
    elif vehicle.lab is None:
        end_time = end_cumul
        travel_time += problem.matrix.duration(location, tech.end_location)
        distance += problem.matrix.distance(location, tech.end_location)
    else:
        # The way home from the lab is outside the routing model: breaks
        # placed after the drop are taken before driving home.
        after = sum(b.end - b.start for b in breaks if b.start >= end_cumul)
        end_time = end_cumul + vehicle.home_leg + after
        travel_time += vehicle.home_leg
        distance += problem.matrix.distance(location, tech.end_location)
    return Route(
        technician_id=tech.id,
        stops=tuple(stops),
        start_time=start_time,
        end_time=end_time,
        travel_time=travel_time,
        distance=distance,
        lab_drop=lab_drop,
        breaks=tuple(sorted(breaks, key=lambda b: b.start)),
    )


def _break_time(breaks: list[ScheduledBreak], start: int, end: int) -> int:
    return sum(max(0, min(end, b.end) - max(start, b.start)) for b in breaks)
