"""Large days are solved by parts; the result is still one valid plan."""

import time

import pytest
from test_dispatch_solver import random_problem

from dispatch import decomposition, solve, validate
from dispatch.search import Clock


def test_re_solving_route_groups_never_makes_the_plan_worse(monkeypatch):
    """Parts replace routes only when cheaper and serving the same visits."""
    monkeypatch.setattr(decomposition, "PART_VISITS", 20)
    problem = random_problem(80, 12, seed=5)
    first = solve(problem, 1.0)
    improved = decomposition.improve_by_parts(problem, first, Clock(4.0), seed=1, solve_part=solve)
    assert validate(problem, improved) == []
    assert improved.objective <= first.objective
    assert {u.visit_id for u in improved.unassigned} == {u.visit_id for u in first.unassigned}


@pytest.mark.parametrize("limit", [4.0])
def test_large_day_is_solved_by_parts_within_the_limit(limit):
    """Above the large-day threshold solve() switches to parts and still honours its limit."""
    problem = random_problem(320, 40, seed=11)
    started = time.monotonic()
    plan = solve(problem, limit)
    assert time.monotonic() - started <= limit + 1.0
    assert validate(problem, plan) == []
    assert any("route groups" in phase for phase in plan.stats.phases)
    assert len(plan.routes) > 0
