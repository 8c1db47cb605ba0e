"""What a solve returns: routes with their timetable, unassigned visits with
a reason, the objective and search statistics.

Times are in the same units as the :class:`~dispatch.engine.problem.DispatchProblem`
they were solved from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class Stop:
    """One served visit. ``wait = start_of_service - arrival``."""

    visit_id: str
    arrival: int
    start_of_service: int
    departure: int

    @property
    def wait(self) -> int:
        return self.start_of_service - self.arrival


@dataclass(frozen=True)
class LabDrop:
    """The specimen drop that ends a route when the problem has labs."""

    lab_id: str
    arrival: int


@dataclass(frozen=True)
class ScheduledBreak:
    start: int
    end: int


@dataclass(frozen=True)
class Route:
    """One technician's day. ``start_time`` is when they leave their start
    location and ``end_time`` when they reach their end location (or the last
    stop or lab when the route is open)."""

    technician_id: str
    stops: tuple[Stop, ...]
    start_time: int
    end_time: int
    travel_time: int
    distance: int
    lab_drop: LabDrop | None = None
    breaks: tuple[ScheduledBreak, ...] = ()

    @property
    def visit_ids(self) -> list[str]:
        return [stop.visit_id for stop in self.stops]


class UnassignedReason(StrEnum):
    """Why a visit is not in the plan: from the data alone, except
    ``no_capacity`` (no eligible technician's day in the plan has room) and
    ``time_limit`` (the limit ran out before the visit could be placed)."""

    NO_SKILL = "no_skill"
    OUTSIDE_SHIFT = "outside_shift"
    UNREACHABLE = "unreachable"
    NO_CAPACITY = "no_capacity"
    TIME_LIMIT = "time_limit"


@dataclass(frozen=True)
class Unassigned:
    visit_id: str
    reason: UnassignedReason
    message: str


@dataclass(frozen=True)
class SolveStats:
    """Seconds since the solve started. ``first_solution_time`` is the first
    plan of any kind, ``first_complete_time`` the first that left no routable
    visit out; both are ``None`` when no search ran or none was found."""

    wall_time: float
    first_solution_time: float | None = None
    first_complete_time: float | None = None
    phases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """The result of :func:`dispatch.engine.solve`.

    ``status`` is a name, never a number: OR-Tools' routing status name such
    as ``"ROUTING_SUCCESS"``, ``"SISR_SUCCESS"`` from ruin and recreate,
    ``"CONSTRUCTION"`` when the first plan was kept, or ``"EMPTY"`` when
    there was nothing to route.
    ``objective`` is the cost of the routes (travel time or distance, per
    ``DispatchProblem.cost``) plus the balance term; drop penalties are left
    out, unassigned visits are listed instead.
    """

    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    objective: int
    status: str
    stats: SolveStats = field(default_factory=lambda: SolveStats(wall_time=0.0))

    def route_of(self, technician_id: str) -> Route | None:
        return next((r for r in self.routes if r.technician_id == technician_id), None)

    @property
    def total_travel_time(self) -> int:
        return sum(route.travel_time for route in self.routes)

    @property
    def total_distance(self) -> int:
        return sum(route.distance for route in self.routes)

    def as_initial_routes(self) -> dict[str, list[str]]:
        """The routes in the shape :func:`dispatch.engine.solve` takes as a warm start."""
        return {route.technician_id: route.visit_ids for route in self.routes}
