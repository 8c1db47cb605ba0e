"""Large days are solved by parts; the result is still one valid plan."""

import math
import random
import time
from dataclasses import replace

import numpy as np
import pytest
from test_dispatch_solver import random_problem

from dispatch.engine import (
    DispatchProblem,
    Technician,
    TimeWindow,
    TravelMatrix,
    Visit,
    decomposition,
    solve,
    validate,
)
from dispatch.engine.clustering import _by_bearing, allocate_technicians, cluster_visits, durations_array
from dispatch.engine.decomposition import PartsOutcome, _Runner
from dispatch.engine.parts import part_problem
from dispatch.engine.result import UnassignedReason
from dispatch.engine.search import Clock, SearchStrategy


def euclidean(points):
    pts = np.asarray(points, dtype=float)
    return np.rint(np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1)) * 10).astype(np.int64)


def test_bearings_are_recovered_from_travel_times_alone():
    """Sorted by the recovered bearing, the true angles rise around the circle
    (a random order would fall back about every other step)."""
    rng = np.random.default_rng(1)
    points = np.vstack([[0, 0], rng.uniform(-100, 100, (300, 2))])
    order = _by_bearing(euclidean(points), 0, np.arange(1, 301), random.Random(3))
    angles = np.mod(np.arctan2(points[1:, 1], points[1:, 0]), 2 * np.pi)[order]
    steps = np.diff(np.append(angles, angles[0]))
    if (steps < 0).sum() > len(steps) / 2:  # the recovered bearing may turn the other way
        steps = -steps
    assert (steps < 0).sum() <= 30  # one wrap-around plus rounding near the depot
    assert sorted(order.tolist()) == list(range(300))


def test_a_shared_depot_gives_sectors_of_equal_size():
    rng = np.random.default_rng(2)
    points = np.vstack([[50, 50], rng.uniform(0, 100, (400, 2))])
    problem = DispatchProblem(
        visits=tuple(Visit(f"v{i}", i, (TimeWindow(0, 10000),), 100) for i in range(1, 401)),
        technicians=tuple(Technician(f"t{k}", 0, TimeWindow(0, 10000), end_location=0) for k in range(40)),
        matrix=TravelMatrix(euclidean(points).tolist()),
    )
    groups = cluster_visits(problem, [v.id for v in problem.visits], 100, random.Random(0))
    assert sorted(len(g) for g in groups) == [100, 100, 100, 100]
    for group in groups:
        x, y = points[[problem.visit(v).location for v in group]].T
        # A sector spans about a quarter turn, not the whole circle.
        assert _circular_spread(np.arctan2(y - 50, x - 50)) < 0.6 * math.pi


def test_technicians_starting_from_home_get_compact_clusters_near_them():
    problem = random_problem(300, 30, seed=4)
    # Spread the technicians' homes over the area (visit locations double as homes).
    technicians = tuple(
        replace(t, start_location=1 + 10 * k, end_location=1 + 10 * k)
        for k, t in enumerate(problem.technicians)
    )
    problem = replace(problem, technicians=technicians)
    visit_ids = [v.id for v in problem.visits]
    groups = cluster_visits(problem, visit_ids, 100, random.Random(0))
    assert len(groups) == 3 and sum(len(g) for g in groups) == 300
    assert max(len(g) for g in groups) <= math.ceil(1.15 * 100)
    table = durations_array(problem)
    overall = np.mean(table[1:, 1:])
    for group in groups:
        locations = [problem.visit(v).location for v in group]
        assert np.mean(table[np.ix_(locations, locations)]) < 0.8 * overall
    crews = allocate_technicians(problem, groups, [t.id for t in problem.technicians])
    for crew, group in zip(crews, groups, strict=True):
        assert abs(len(crew) - 30 * len(group) / 300) < 1
    assert len({t for c in crews for t in c}) == 30
    # Each crew lives, on average, nearer to its own group than to the others.
    for number, crew in enumerate(crews):
        own = _mean_travel(problem, table, crew, groups[number])
        others = [_mean_travel(problem, table, crew, g) for k, g in enumerate(groups) if k != number]
        assert own < min(others)


def test_a_part_keeps_only_the_locations_it_needs_and_its_plan_fits_the_whole_day():
    problem = random_problem(120, 12, seed=7)
    visit_ids = {v.id for v in problem.visits[:40]}
    technician_ids = {t.id for t in problem.technicians[:4]}
    part = part_problem(problem, visit_ids, technician_ids, durations_array(problem), None)
    assert part.matrix.size == 41  # 40 visits and the shared depot
    plan = solve(part, 2.0, strategy=SearchStrategy())
    assert plan.routes
    whole_day_slice = replace(
        problem,
        visits=tuple(v for v in problem.visits if v.id in visit_ids),
        technicians=tuple(t for t in problem.technicians if t.id in technician_ids),
    )
    assert validate(whole_day_slice, plan) == []


def test_re_solving_route_groups_never_makes_the_plan_worse(monkeypatch):
    """Groups replace routes only when they serve the same visits for less."""
    monkeypatch.setattr(decomposition, "PART_VISITS", 20)
    problem = random_problem(80, 12, seed=5)
    first = solve(problem, 1.0, strategy=SearchStrategy(iterated_local_search=False, first_plan_only=True))
    outcome = PartsOutcome(routes={r.technician_id: r for r in first.routes}, pending=set())
    clock = Clock(8.0)
    with _Runner(problem, clock, random.Random(1), workers=1) as runner:
        assert runner.improve_pass(outcome)
    improved = replace(first, routes=tuple(outcome.routes.values()))
    improved = replace(improved, objective=sum(r.distance for r in improved.routes))
    assert validate(problem, improved) == []
    assert improved.objective < first.objective
    assert {v for r in improved.routes for v in r.visit_ids} == {v for r in first.routes for v in r.visit_ids}


def test_visits_a_group_cannot_serve_are_placed_later():
    """The only technician with a skill lives in one corner; the visits that
    need it are spread over the whole area, so most groups lack that
    technician and must hand those visits on."""
    problem = random_problem(360, 40, seed=8)
    special = {v.id for v in problem.visits[::30]}
    visits = tuple(replace(v, required_skills={"x"}) if v.id in special else v for v in problem.visits)
    technicians = tuple(
        replace(t, skills={"x"}, shift=TimeWindow(0, 20000)) if k == 0 else t
        for k, t in enumerate(problem.technicians)
    )
    problem = replace(problem, visits=visits, technicians=technicians)
    problem = replace(problem, visits=tuple(_wide(v) if v.id in special else v for v in problem.visits))
    plan = solve(problem, 12.0, workers=1)
    assert validate(problem, plan) == []
    served = {v for r in plan.routes for v in r.visit_ids}
    assert special <= served


@pytest.mark.parametrize("workers", [1, 2])
def test_large_day_is_solved_by_parts_within_the_limit(workers, ortools_search):
    """With OR-Tools' search (days with breaks or a balance term), above the
    large-day threshold solve() switches to parts, in this process or in
    worker processes, and still honours its limit."""
    problem = random_problem(320, 40, seed=11)
    started = time.monotonic()
    plan = solve(problem, 6.0, workers=workers)
    assert time.monotonic() - started <= 6.0 + 1.0
    assert validate(problem, plan) == []
    assert any("route groups" in phase for phase in plan.stats.phases)
    assert any(f"{workers} worker" in phase for phase in plan.stats.phases)
    assert [u for u in plan.unassigned if u.reason == UnassignedReason.NO_CAPACITY] == []


def test_a_thousand_visits_with_a_short_limit_stay_within_a_second_of_it():
    problem = random_problem(1000, 120, seed=12)
    started = time.monotonic()
    plan = solve(problem, 3.0)
    assert time.monotonic() - started <= 3.0 + 1.0
    assert validate(problem, plan) == []
    assert len(plan.routes) > 0


def _wide(visit: Visit) -> Visit:
    return replace(visit, time_windows=(TimeWindow(0, 19000),))


def _circular_spread(angles) -> float:
    """The smallest arc containing every angle."""
    ordered = sorted(a % (2 * math.pi) for a in angles)
    gaps = [b - a for a, b in zip(ordered, ordered[1:], strict=False)]
    gaps.append(ordered[0] + 2 * math.pi - ordered[-1])
    return 2 * math.pi - max(gaps)


def _mean_travel(problem, table, crew, group) -> float:
    homes = [problem.technician(t).start_location for t in crew]
    locations = [problem.visit(v).location for v in group]
    return float(np.mean(table[np.ix_(homes, locations)]))
