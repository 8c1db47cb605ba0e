"""Can one more visit join a day's routes without breaking any? Pure and fast.

The routes are those of a :class:`~dispatch.engine.problem.DispatchProblem`, the same
problem the planner solves (skills, pins, shifts, visit limits, labs and the
travel matrix from the configured source), timed by the one timing function,
:func:`dispatch.engine.timing.timed_route`. On top of those times each route keeps,
per stop, its earliest departure and its latest feasible start of service
(backward pass from window ends, shift end and lab cutoffs). Inserting a
visit between two stops is then an O(1) test: it must start inside its own
window and the next stop must still start by its latest time. A day of 25
routes and 300 stops answers in about a millisecond, which is what lets the
booking page offer only windows the fleet can really serve.

A visit that is not in the problem (a window being offered at a patient's
address) comes as a :class:`Candidate` with its travel times to and from every
location of the problem's matrix. Times are the problem's (seconds since the
day's local midnight in the product).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from dispatch.engine.problem import DispatchProblem, Technician, Visit
from dispatch.engine.timing import timed_route


@dataclass(frozen=True)
class Candidate:
    """A visit to try: its window, service time, skills, and travel to (``to[i]``) and from
    (``back[i]``) every location ``i`` of the problem's matrix."""

    key: str
    start: int
    end: int
    service: int
    skills: frozenset[str]
    to: Sequence[int]
    back: Sequence[int]
    location: int | None = None
    pinned_technician: str | None = None


def candidate_of(problem: DispatchProblem, visit: Visit) -> Candidate:
    """A visit of ``problem`` as a candidate (its first window)."""
    durations = problem.matrix.durations
    return Candidate(
        visit.id,
        visit.time_windows[0].start,
        visit.time_windows[-1].end,
        visit.service_duration,
        visit.required_skills,
        durations[visit.location],
        [row[visit.location] for row in durations],
        visit.location,
        visit.pinned_technician,
    )


@dataclass
class RouteTimes:
    """One technician's route with the times the insertion test needs."""

    technician: Technician
    visits: list[Visit] = field(default_factory=list)
    departures: list[int] = field(default_factory=list)  # departures[k]: leaving point k (0 = start)
    latest: list[int] = field(default_factory=list)  # latest[k]: latest service start at point k (k >= 1)

    @property
    def visit_ids(self) -> list[str]:
        return [v.id for v in self.visits]

    @property
    def locations(self) -> list[int]:
        return [self.technician.start_location] + [v.location for v in self.visits]


@dataclass(frozen=True)
class Position:
    """Where a candidate fits: the route, the index it would take, and the travel it adds."""

    added: int
    technician_id: str
    index: int


class DayRoutes:
    """A day's routes, ready for insertion tests."""

    def __init__(self, problem: DispatchProblem, routes: Mapping[str, Sequence[str]] | None = None):
        self.problem = problem
        self.unplaced: list[str] = []
        self.routes = {t.id: RouteTimes(t) for t in problem.technicians}
        for tech_id, visit_ids in (routes or {}).items():
            if tech_id in self.routes:
                route = self.routes[tech_id]
                route.visits = [problem.visit(v) for v in visit_ids if problem.has_visit(v)]
        for route in self.routes.values():
            self._refresh(route)

    @property
    def placed(self) -> set[str]:
        return {v.id for r in self.routes.values() for v in r.visits}

    def as_routes(self) -> dict[str, list[str]]:
        """The routes in the shape :func:`dispatch.engine.solve` takes as a warm start."""
        return {t: r.visit_ids for t, r in self.routes.items() if r.visits}

    # --- times ------------------------------------------------------------------------

    def _latest_departure(
        self, tech: Technician, location: int, travel_from: Sequence[int] | None = None
    ) -> int:
        """Latest time to leave ``location`` and still end the day in time (a lab before its cutoff)."""
        problem, matrix = self.problem, self.problem.matrix

        def leg(destination: int) -> int:
            return (
                travel_from[destination]
                if travel_from is not None
                else matrix.duration(location, destination)
            )

        def home(place: int, first_leg: int) -> int:
            back = 0 if tech.end_location is None else matrix.duration(place, tech.end_location)
            return tech.shift.end - first_leg - back

        if not problem.labs:
            if tech.end_location is None:
                return tech.shift.end
            return tech.shift.end - leg(tech.end_location)
        return max(
            min(lab.cutoff - leg(lab.location), home(lab.location, leg(lab.location))) for lab in problem.labs
        )

    def _refresh(self, route: RouteTimes) -> None:
        """Earliest departures (from the timing function) and latest starts of ``route``."""
        tech, matrix = route.technician, self.problem.matrix
        timed = timed_route(self.problem, tech.id, route.visit_ids)
        route.departures = [tech.shift.start] + [s.departure for s in (timed.stops if timed else ())]
        n = len(route.visits)
        route.latest = [0] * (n + 1)
        if not n:
            return
        last = route.visits[-1]
        route.latest[n] = min(
            last.time_windows[-1].end, self._latest_departure(tech, last.location) - last.service_duration
        )
        for k in range(n - 1, 0, -1):
            visit, after = route.visits[k - 1], route.visits[k]
            route.latest[k] = min(
                visit.time_windows[-1].end,
                route.latest[k + 1]
                - matrix.duration(visit.location, after.location)
                - visit.service_duration,
            )

    # --- insertion --------------------------------------------------------------------

    def positions(self, candidate: Candidate) -> list[Position]:
        """Every feasible position of ``candidate``, with the travel it adds."""
        found = []
        matrix = self.problem.matrix
        for route in self._eligible(candidate):
            n = len(route.visits)
            locations = route.locations
            leave_by = None
            for k in range(n + 1):
                arrival = route.departures[k] + candidate.back[locations[k]]
                start = max(arrival, candidate.start)
                if start > candidate.end:
                    continue
                leave = start + candidate.service
                if k < n:
                    after = route.visits[k]
                    reach = after.earliest_start(leave + candidate.to[after.location])
                    if reach is None or reach > route.latest[k + 1]:
                        continue
                    added = (
                        candidate.back[locations[k]]
                        + candidate.to[after.location]
                        - matrix.duration(locations[k], after.location)
                    )
                else:
                    if leave_by is None:
                        leave_by = self._latest_departure(route.technician, -1, candidate.to)
                    if leave > leave_by:
                        continue
                    added = candidate.back[locations[k]]
                found.append(Position(added, route.technician.id, k))
        return found

    def _eligible(self, candidate: Candidate) -> Iterable[RouteTimes]:
        for tech_id, route in self.routes.items():
            tech = route.technician
            if candidate.pinned_technician is not None and candidate.pinned_technician != tech_id:
                continue
            if not candidate.skills <= tech.skills:
                continue
            if tech.max_visits is not None and len(route.visits) >= tech.max_visits:
                continue
            yield route

    def skilled(self, candidate: Candidate) -> bool:
        """Whether any technician of the day has the skills ``candidate`` needs."""
        return any(candidate.skills <= t.skills for t in self.problem.technicians)

    def can_insert(self, candidate: Candidate) -> bool:
        return bool(self.positions(candidate))

    def best(self, candidate: Candidate) -> Position | None:
        options = self.positions(candidate)
        return min(options, key=lambda p: (p.added, p.technician_id, p.index)) if options else None

    def insert(self, visit: Visit) -> bool:
        """Put a visit of the problem where it adds the least travel; False (and remembered) if nowhere fits."""
        position = self.best(candidate_of(self.problem, visit))
        if position is None:
            self.unplaced.append(visit.id)
            return False
        route = self.routes[position.technician_id]
        route.visits.insert(position.index, visit)
        self._refresh(route)
        return True


def day_routes(
    problem: DispatchProblem, routes: Mapping[str, Sequence[str]] | None, pending: Sequence[str]
) -> DayRoutes:
    """``routes`` as given (e.g. a plan's), then the ``pending`` visits inserted greedily in the order
    given: in the product, the order they were booked in, so each visit finds the routes it was
    promised into."""
    day = DayRoutes(problem, routes)
    placed = day.placed
    for visit_id in pending:
        if visit_id not in placed and problem.has_visit(visit_id):
            day.insert(problem.visit(visit_id))
    return day
