"""Large days solved by parts.

OR-Tools' routing search works well up to a few hundred visits, but on a
thousand even one descent over the whole day barely moves in two minutes (each
move is checked against every constraint of every route). So a large day is
solved as many small, independent problems (:mod:`dispatch.engine.parts`), each a
:class:`~dispatch.engine.problem.DispatchProblem` solved and validated by ``solve``, in
worker processes when there are several cores:

0. **First plan by construction** (:mod:`dispatch.engine.construction`,
   made by ``solve`` in the calling process before any worker starts): the
   plan to improve on, and the start when the limit leaves no time for
   step 1.
1. **First plan by groups**: the visits are split into groups of about
   ``PART_VISITS`` (:mod:`dispatch.engine.clustering`), technicians are shared out
   in proportion, and each group is solved from scratch with the iterated
   local search. Visits a group could not place are retried with the
   technicians no group used.
2. **Route groups**: while time remains, groups of nearby routes (about
   ``PART_VISITS`` visits, plus a couple of idle technicians and a few of the
   still-unplaced visits near them) are re-solved; their new routes replace
   the old ones when they serve every visit the old ones did and either serve
   more or cost less. Groups are re-drawn on every pass, so boundaries move.

Nothing here is specific to the benchmark: skills, pins, windows, labs and
breaks stay with each part, and the assembled plan is validated by ``solve``.
"""

from __future__ import annotations

import math
import random
import time
from concurrent.futures import as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from dispatch.engine.clustering import allocate_technicians, cluster_visits, durations_array
from dispatch.engine.parts import InlineExecutor, part_executor, part_problem, solve_part
from dispatch.engine.problem import DispatchProblem
from dispatch.engine.result import Route
from dispatch.engine.search import Clock, quick_part, starting_strategy

PART_VISITS = 100
IDLE_PER_PART = 2
PENDING_PER_PART = 20
# Short parts and more passes beat long parts: only re-drawn groups move
# visits across group boundaries.
MIN_PART_SECONDS = 1.5
# From the construction's plan, when time is short, shorter parts still
# improve on it (a part's routes replace the old ones only when better).
SHORT_PART_SECONDS = 0.6
MAX_PART_SECONDS = 3.0
# The first plan may use this share of the limit, with up to START_PART_SECONDS per group.
START_SHARE = 0.4
START_PART_SECONDS = 4.0
# Below this per group, a large day starts from the construction
# instead: a 100-visit group needs about this long to build its model and
# find a first plan on a busy core.
GROUP_SECONDS = 0.5
# Below this, a part gets its first plan only (no time for the local search).
QUICK_PART_SECONDS = 0.5
# Kept back from the limit for assembling and validating the whole plan.
ASSEMBLY_SECONDS = 0.3


@dataclass
class PartsOutcome:
    """Routes by technician and the visits no part could place."""

    routes: dict[str, Route]
    pending: set[str]
    first_plan_time: float | None = None
    complete_time: float | None = None
    phases: list[str] = field(default_factory=list)


def route_cost(problem: DispatchProblem, route: Route) -> int:
    return route.distance if problem.cost == "distance" else route.travel_time


def solve_by_parts(
    problem: DispatchProblem,
    visit_ids: list[str],
    clock: Clock,
    seed: int,
    workers: int,
    start: PartsOutcome | None = None,
) -> PartsOutcome:
    """Plan ``visit_ids`` (the routable ones) part by part within ``clock``,
    on ``workers`` processes. ``start`` is a first plan already made (the
    construction): the groups' own first plans replace it only when
    there is time for them; otherwise route groups are re-solved from it."""
    runner = _Runner(problem, clock, random.Random(seed), workers)
    if start is not None and not runner.time_for_groups(len(visit_ids)):
        outcome = PartsOutcome(routes=dict(start.routes), pending=set(start.pending))
        outcome.first_plan_time = clock.elapsed()
        outcome.phases.append("first plan by construction (no time for groups)")
        if not outcome.pending:
            outcome.complete_time = outcome.first_plan_time
        runner.min_part_seconds = SHORT_PART_SECONDS
        if runner.seconds_left() < 2 * SHORT_PART_SECONDS + 0.2:
            return outcome  # starting the workers alone could take what is left
        with runner:
            passes = 0
            while outcome.routes and runner.improve_pass(outcome):
                passes += 1
            outcome.phases.append(f"{passes} passes of re-solving route groups")
        return outcome
    outcome = PartsOutcome(routes={}, pending=set())
    with runner:
        start_until = clock.elapsed() + START_SHARE * clock.remaining()
        technicians = [t.id for t in problem.technicians]
        runner.solve_fresh(visit_ids, technicians, outcome, start_until)
        outcome.first_plan_time = clock.elapsed()
        if outcome.pending:
            idle = [t for t in technicians if t not in outcome.routes]
            leftovers = [v for v in visit_ids if v in outcome.pending]
            outcome.pending.clear()
            runner.solve_fresh(leftovers, idle, outcome, start_until)
        outcome.phases.append(f"first plan by groups ({runner.workers} worker(s))")
        if not outcome.pending:
            outcome.complete_time = clock.elapsed()
        passes = 0
        while outcome.routes and runner.improve_pass(outcome):
            passes += 1
        outcome.phases.append(f"{passes} passes of re-solving route groups")
    return outcome


class _Runner:
    """Builds parts, hands them to the executor and merges what comes back."""

    def __init__(self, problem: DispatchProblem, clock: Clock, rng: random.Random, workers: int):
        self.problem = problem
        self.clock = clock
        self.rng = rng
        self.workers = max(1, workers)
        self.durations = durations_array(problem)
        self.deadline = clock.started + clock.limit - ASSEMBLY_SECONDS
        self.executor = None
        self.min_part_seconds = MIN_PART_SECONDS

    def __enter__(self) -> _Runner:
        self.executor = part_executor(self.workers)
        return self

    def __exit__(self, *exc) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)

    def seconds_left(self) -> float:
        return self.deadline - time.monotonic()

    def time_for_groups(self, visits: int) -> bool:
        """Is there time for every group's first plan (``GROUP_SECONDS`` each,
        ``workers`` at a time, within ``START_SHARE`` of what is left)?"""
        rounds = math.ceil(max(1, round(visits / PART_VISITS)) / self.workers)
        return START_SHARE * self.seconds_left() >= rounds * GROUP_SECONDS

    # -- first plan -----------------------------------------------------------
    def solve_fresh(self, visit_ids, technician_ids, outcome: PartsOutcome, until: float) -> None:
        """Group ``visit_ids``, share ``technician_ids`` out, solve each group."""
        if not visit_ids:
            return
        groups = cluster_visits(self.problem, visit_ids, PART_VISITS, self.rng, self.durations)
        crews = allocate_technicians(self.problem, groups, technician_ids, self.durations)
        rounds = math.ceil(len(groups) / self.workers)
        budget = min(START_PART_SECONDS, (until - self.clock.elapsed()) / rounds)
        jobs = {}
        for group, crew in zip(groups, crews, strict=True):
            if crew:
                jobs[self._submit(group, crew, budget)] = group
            else:
                outcome.pending.update(group)
        for group, plan in self._results(jobs):
            if plan is None:
                outcome.pending.update(group)
                continue
            outcome.routes.update({r.technician_id: r for r in plan.routes})
            outcome.pending.update(u.visit_id for u in plan.unassigned)

    # -- route groups ---------------------------------------------------------
    def improve_pass(self, outcome: PartsOutcome) -> bool:
        """Re-solve every group of nearby routes once; ``False`` when there
        is no time left for a pass."""
        groups = _route_groups(self.problem, outcome.routes, self.rng)
        rounds = math.ceil(len(groups) / self.workers)
        budget = min(MAX_PART_SECONDS, self.seconds_left() / rounds)
        if budget < self.min_part_seconds:
            budget = self.min_part_seconds
            if self.seconds_left() < budget + 0.2:
                return False
        idle = [t.id for t in self.problem.technicians if t.id not in outcome.routes]
        self.rng.shuffle(idle)
        pending = set(outcome.pending)
        jobs = {}
        for number, group in enumerate(groups):
            kept = {v for tech_id in group for v in outcome.routes[tech_id].visit_ids}
            crew = list(group) + idle[IDLE_PER_PART * number : IDLE_PER_PART * (number + 1)]
            extra = _nearby_pending(self.problem, pending, crew, outcome.routes)
            pending -= set(extra)
            before = sum(route_cost(self.problem, outcome.routes[t]) for t in group)
            jobs[self._submit(kept | set(extra), crew, budget)] = (group, kept, before)
        solved = 0
        for (group, kept, before), plan in self._results(jobs):
            if plan is None:
                continue
            solved += 1
            served = {v for r in plan.routes for v in r.visit_ids}
            after = sum(route_cost(self.problem, r) for r in plan.routes)
            if kept <= served and (len(served) > len(kept) or after < before):
                for tech_id in group:
                    del outcome.routes[tech_id]
                outcome.routes.update({r.technician_id: r for r in plan.routes})
                outcome.pending -= served
            if not outcome.pending and outcome.complete_time is None:
                outcome.complete_time = self.clock.elapsed()
        return solved > 0

    # -- plumbing -------------------------------------------------------------
    def _submit(self, visit_ids, technician_ids, budget: float):
        matrix = self.problem.matrix
        distances = None if matrix.distances is None else matrix.distance_array  # made on first use
        part = part_problem(self.problem, set(visit_ids), set(technician_ids), self.durations, distances)
        strategy = quick_part(part) if budget < QUICK_PART_SECONDS else starting_strategy(part)
        seed = self.rng.randrange(2**31)
        budget = max(budget, QUICK_PART_SECONDS / 2)
        try:
            return self.executor.submit(solve_part, part, self.deadline, budget, seed, strategy)
        except BrokenProcessPool:
            self.executor = InlineExecutor()
            return self.executor.submit(solve_part, part, self.deadline, budget, seed, strategy)

    def _results(self, jobs: dict):
        """``(what was submitted with it, plan or None)`` as parts finish."""
        for future in as_completed(jobs):
            try:
                plan = future.result()
            except BrokenProcessPool:
                # A worker died (out of memory, killed): carry on in this process.
                self.executor = InlineExecutor()
                plan = None
            yield jobs[future], plan


def _nearby_pending(problem: DispatchProblem, pending: set[str], crew: list[str], routes) -> list[str]:
    """Up to ``PENDING_PER_PART`` unplaced visits that someone in ``crew``
    may serve, nearest to the crew's routes first."""
    if not pending:
        return []
    members = set(crew)
    servable = [
        v for v in pending if any(t.id in members for t in problem.eligible_technicians(problem.visit(v)))
    ]
    centres = [_centre(problem, routes[t]) for t in crew if t in routes]
    if not centres:
        centres = [problem.technician(t).start_location for t in crew]
    matrix = problem.matrix

    def nearness(visit_id: str) -> int:
        location = problem.visit(visit_id).location
        return min(matrix.duration(c, location) + matrix.duration(location, c) for c in centres)

    return sorted(servable, key=nearness)[:PENDING_PER_PART]


def _route_groups(problem: DispatchProblem, routes: dict[str, Route], rng: random.Random) -> list[list[str]]:
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
