"""Solomon / Gehring-Homberger VRPTW instances as dispatch problems.

The DIMACS 2021 convention: distance = Euclidean distance truncated to one
decimal, travel time = distance, cost = total distance. Working in integer
tenths reproduces it exactly, so the reader scales every time, duration and
distance by 10 and the solver's integer units are tenths here (the product
uses seconds and metres instead).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from dispatch.engine.problem import DispatchProblem, Technician, TimeWindow, TravelMatrix, Visit

SCALE = 10


@dataclass(frozen=True)
class Customer:
    number: int
    x: int
    y: int
    demand: int
    ready: int
    due: int
    service: int


@dataclass(frozen=True)
class Instance:
    """A parsed instance; ``customers[0]`` is the depot."""

    name: str
    vehicles: int
    capacity: int
    customers: tuple[Customer, ...]

    @property
    def size(self) -> int:
        return len(self.customers) - 1


def read_instance(path: str | Path) -> Instance:
    """Parse the Solomon text format.

    :raise ValueError: if the file does not follow it.
    """
    lines = [line.split() for line in Path(path).read_text().splitlines()]
    lines = [fields for fields in lines if fields]
    if not lines:
        raise ValueError(f"{path}: empty instance file.")
    name = " ".join(lines[0])
    try:
        vehicle_at = next(i for i, f in enumerate(lines) if f[0].upper() == "VEHICLE")
        vehicles, capacity = int(lines[vehicle_at + 2][0]), int(lines[vehicle_at + 2][1])
        customer_at = next(i for i, f in enumerate(lines) if f[0].upper() == "CUSTOMER")
        rows = [f for f in lines[customer_at + 1 :] if f[0].lstrip("-").isdigit()]
        customers = tuple(Customer(*(int(v) for v in row[:7])) for row in rows)
    except (StopIteration, IndexError, ValueError, TypeError) as error:
        raise ValueError(f"{path}: not a Solomon-format instance ({error}).") from error
    if len(customers) < 1:
        raise ValueError(f"{path}: no depot row.")
    return Instance(name=name, vehicles=vehicles, capacity=capacity, customers=customers)


def dimacs_distance(a: Customer, b: Customer) -> int:
    """Euclidean distance truncated to one decimal, in integer tenths."""
    return math.isqrt(SCALE * SCALE * ((a.x - b.x) ** 2 + (a.y - b.y) ** 2))


def distance_matrix(instance: Instance) -> list[list[int]]:
    nodes = instance.customers
    return [[dimacs_distance(a, b) for b in nodes] for a in nodes]


def to_problem(instance: Instance, matrix: list[list[int]] | None = None) -> DispatchProblem:
    """The instance as a dispatch problem: location ``i`` is Solomon node ``i``,
    visit ids are the customer numbers as strings, one technician per vehicle."""
    matrix = matrix or distance_matrix(instance)
    depot = instance.customers[0]
    visits = [
        Visit(
            id=str(c.number),
            location=i,
            time_windows=(TimeWindow(SCALE * c.ready, SCALE * c.due),),
            service_duration=SCALE * c.service,
            demand=c.demand,
        )
        for i, c in enumerate(instance.customers)
        if i > 0
    ]
    shift = TimeWindow(SCALE * depot.ready, SCALE * depot.due)
    technicians = [
        Technician(id=f"v{k}", start_location=0, end_location=0, shift=shift, capacity=instance.capacity)
        for k in range(instance.vehicles)
    ]
    return DispatchProblem(
        visits=tuple(visits), technicians=tuple(technicians), matrix=TravelMatrix(matrix), cost="distance"
    )
