"""An independent DIMACS 2021 checker for VRPTW solutions.

It works from the instance rows alone (not from the dispatch model), so the
same check judges our engine, PyVRP and VROOM alike: every customer exactly
once, capacity, service starting in [ready, due] after waiting, back at the
depot by its due date, no more routes than vehicles; distance = sum of
Euclidean distances truncated to one decimal.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from dispatch.engine.solomon import Customer, Instance


def truncated_distance(a: Customer, b: Customer) -> int:
    """DIMACS distance in tenths, computed here on purpose rather than shared
    with the reader, so a bug there cannot hide here."""
    return math.floor(10 * math.hypot(a.x - b.x, a.y - b.y))


@dataclass(frozen=True)
class CheckResult:
    feasible: bool
    distance: float
    vehicles: int
    problems: tuple[str, ...]


def check_solution(instance: Instance, routes: list[list[int]]) -> CheckResult:
    """``routes`` are lists of Solomon customer numbers, depot left out."""
    by_number = {c.number: c for c in instance.customers[1:]}
    depot = instance.customers[0]
    problems: list[str] = []
    counts = Counter(number for route in routes for number in route)
    problems += [f"customer {n} served {k} times" for n, k in counts.items() if k > 1]
    problems += [f"unknown customer {n}" for n in counts if n not in by_number]
    problems += [f"customer {n} not served" for n in by_number if n not in counts]
    used = [route for route in routes if route]
    if len(used) > instance.vehicles:
        problems.append(f"{len(used)} routes for {instance.vehicles} vehicles")
    total = 0
    for k, route in enumerate(used):
        customers = [by_number[n] for n in route if n in by_number]
        tenths, route_problems = _check_route(instance, depot, customers)
        total += tenths
        problems += [f"route {k + 1}: {p}" for p in route_problems]
    return CheckResult(not problems, total / 10, len(used), tuple(problems))


def _check_route(instance: Instance, depot, customers) -> tuple[int, list[str]]:
    problems = []
    if sum(c.demand for c in customers) > instance.capacity:
        problems.append(f"load {sum(c.demand for c in customers)} > capacity {instance.capacity}")
    clock, tenths, previous = 10 * depot.ready, 0, depot
    for customer in customers + [depot]:
        leg = truncated_distance(previous, customer)
        tenths += leg
        clock = max(clock + leg, 10 * customer.ready)
        if clock > 10 * customer.due:
            what = "depot" if customer is depot else f"customer {customer.number}"
            problems.append(f"{what} reached at {clock / 10}, due {customer.due}")
        clock += 10 * customer.service
        previous = customer
    return tenths, problems
