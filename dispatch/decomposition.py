"""Large days solved by parts.

OR-Tools' iterated local search works well up to a few hundred visits, but on
a thousand each iteration is too slow to get anywhere in two minutes. So a
large day gets a quick whole plan first (savings and a local-search descent),
then groups of nearby routes are re-solved as small, independent problems —
their visits with their own technicians plus a couple of idle ones — and a
group's new routes replace the old ones only when they cost less and serve the
same visits. Groups change from pass to pass (seeded), so boundaries move.

Nothing here is specific to the benchmark: a part is a
:class:`~dispatch.model.DispatchProblem` like any other, with its skills, pins,
windows, labs and breaks, and every part plan is validated by ``solve``.
"""

from __future__ import annotations

import random
from dataclasses import replace

from dispatch.model import DispatchProblem
from dispatch.plan import Plan, Route
from dispatch.search import Clock, SearchStrategy

PART_VISITS = 100
IDLE_PER_PART = 2
MIN_PART_SECONDS = 1.5
# Short parts and more passes beat long parts: the first plan's routes group
# visits badly, and only re-drawn groups move visits across them.
MAX_PART_SECONDS = 3.0


def route_cost(problem: DispatchProblem, route: Route) -> int:
    return route.distance if problem.cost == "distance" else route.travel_time


def improve_by_parts(problem: DispatchProblem, plan: Plan, clock: Clock, seed: int, solve_part) -> Plan:
    """Re-solve groups of nearby routes while time remains.

    ``solve_part`` is :func:`dispatch.solve`
    (passed in to keep the import graph one-way).
    """
    rng = random.Random(seed)
    routes = {route.technician_id: route for route in plan.routes}
    passes = 0
    while clock.remaining() > MIN_PART_SECONDS + 0.5:
        groups = _groups(problem, routes, rng)
        idle = [t.id for t in problem.technicians if t.id not in routes]
        rng.shuffle(idle)
        solved = 0
        for number, group in enumerate(groups):
            share = (clock.remaining() - 0.5) / (len(groups) - number)
            budget = min(MAX_PART_SECONDS, max(MIN_PART_SECONDS, share))
            if clock.remaining() - 0.5 < budget:
                break
            extra = idle[IDLE_PER_PART * number : IDLE_PER_PART * (number + 1)]
            _improve_group(problem, routes, group, extra, budget, rng.randrange(2**31), solve_part)
            solved += 1
        if not solved:
            break
        passes += 1
    return replace(
        plan,
        routes=tuple(routes[t.id] for t in problem.technicians if t.id in routes),
        objective=sum(route_cost(problem, r) for r in routes.values()),
        stats=replace(
            plan.stats, phases=plan.stats.phases + (f"{passes} passes of re-solving route groups",)
        ),
    )


def _improve_group(problem, routes, group, extra, budget, seed, solve_part) -> None:
    visit_ids = {v for tech_id in group for v in routes[tech_id].visit_ids}
    technicians = set(group) | set(extra)
    part = replace(
        problem,
        visits=tuple(v for v in problem.visits if v.id in visit_ids),
        technicians=tuple(t for t in problem.technicians if t.id in technicians),
        balance_coefficient=0,
    )
    result = solve_part(part, time_limit=budget, seed=seed, strategy=SearchStrategy())
    if result.unassigned:
        return
    before = sum(route_cost(problem, routes[t]) for t in group)
    after = sum(route_cost(problem, r) for r in result.routes)
    if after < before:
        for tech_id in group:
            del routes[tech_id]
        routes.update({r.technician_id: r for r in result.routes})


def _groups(problem: DispatchProblem, routes: dict[str, Route], rng: random.Random) -> list[list[str]]:
    """Partition the routes into groups of about ``PART_VISITS`` visits, each
    grown from a random route by adding the routes whose centres are nearest."""
    centre = {tech_id: _centre(problem, route) for tech_id, route in routes.items()}
    left = list(routes)
    rng.shuffle(left)
    groups = []
    while left:
        seed_route = left.pop()
        left.sort(key=lambda t: problem.matrix.duration(centre[seed_route], centre[t]), reverse=True)
        group, size = [seed_route], len(routes[seed_route].stops)
        while left and size < PART_VISITS:
            tech_id = left.pop()
            group.append(tech_id)
            size += len(routes[tech_id].stops)
        groups.append(group)
    return groups


def _centre(problem: DispatchProblem, route: Route) -> int:
    """The stop location with the least total travel to the route's others."""
    locations = [problem.visit(v).location for v in route.visit_ids]
    return min(locations, key=lambda a: sum(problem.matrix.duration(a, b) for b in locations))
