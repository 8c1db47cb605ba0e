"""One solver run on one instance, in a shape every solver can fill."""

from __future__ import annotations

import time
from dataclasses import dataclass

from dispatch.engine.search import SearchStrategy
from dispatch.engine.solomon import Instance, to_problem
from dispatch.engine.solver import solve


@dataclass(frozen=True)
class Run:
    """``routes`` hold Solomon customer numbers; ``first_feasible`` is the
    time to the first plan serving every customer, when the solver tells."""

    solver: str
    routes: list[list[int]]
    wall_time: float
    first_feasible: float | None = None


def run_ours(
    instance: Instance, time_limit: float, seed: int = 0, strategy: SearchStrategy | None = None
) -> Run:
    started = time.monotonic()
    problem = to_problem(instance)
    # Converting the instance counts against the limit, as PyVRP's does.
    remaining = max(0.1, time_limit - (time.monotonic() - started))
    plan = solve(problem, time_limit=remaining, seed=seed, strategy=strategy)
    wall = time.monotonic() - started
    routes = [[int(stop.visit_id) for stop in route.stops] for route in plan.routes]
    return Run("ours", routes, wall, plan.stats.first_complete_time)
