"""A fast first plan (cheapest insertion, else a plain greedy), in the calling process.

Every solve starts here, before any search or worker process: visits are
taken by priority, then by window, and each goes where it adds the least
travel among every position of every eligible technician's day that
keeps all windows, the lab cutoff, the shift, maximum visits and capacity. A
position is checked in constant time from each stop's earliest departure and
latest start of service (the latest at which the rest of the route still
fits), derived from :mod:`dispatch.engine.timing` and tested against it; all
positions of all technicians are checked at once with numpy, so a
thousand-visit day takes a fraction of a second.

The same insertion repairs the solver's plan at the end (:func:`insert`): a
visit still unplaced afterwards has no room on any eligible technician's
day, which is what its ``no_capacity`` reason says. Technicians with breaks
are left to the search (breaks are not timed here).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from dispatch.engine.problem import DispatchProblem, Technician, Visit
from dispatch.engine.timing import latest_departure, latest_departures, service_start, timed_route

# Larger than any time or cost in a problem, small enough not to overflow sums.
NEVER = 2**50


@dataclass
class Insertion:
    """Routes by technician id, the visits that found no room, and those not
    tried because the deadline passed."""

    routes: dict[str, list[str]]
    unplaced: list[str] = field(default_factory=list)
    not_tried: list[str] = field(default_factory=list)


def construct(
    problem: DispatchProblem,
    allowed: Mapping[str, Sequence[str]],
    routes: Mapping[str, Sequence[str]] | None = None,
) -> Insertion:
    """A first plan of the visits in ``allowed`` (visit id → technician ids
    that may serve it), from empty days or from ``routes`` (a warm start that
    fits): cheapest insertion, or, when that leaves visits out, the plain
    greedy that appends each visit to the nearest technician who can still
    serve it, if it serves more (or as many for less). It always runs to the
    end: it is the floor every limit is held to, and takes a fraction of a
    second."""
    routes = routes or {}
    placed = {v for ids in routes.values() for v in ids}
    visit_ids = [v.id for v in problem.visits if v.id in allowed and v.id not in placed]
    cheapest = insert(problem, allowed, routes, visit_ids)
    if not cheapest.unplaced:
        return cheapest  # the greedy cannot serve more
    greedy = insert(problem, allowed, routes, visit_ids, append=True)
    return min((cheapest, greedy), key=lambda c: _rank(problem, c))


def insert(
    problem: DispatchProblem,
    allowed: Mapping[str, Sequence[str]],
    routes: Mapping[str, Sequence[str]],
    visit_ids: Iterable[str],
    deadline: float | None = None,
    append: bool = False,
) -> Insertion:
    """Insert ``visit_ids`` into ``routes`` (kept in order; only technicians
    without breaks and whose route fits receive visits), cheapest first, or
    with ``append`` at the end of the nearest technician's day. ``deadline``
    is on ``time.monotonic()``."""
    day = _Days(problem, routes)
    result = Insertion(routes=day.routes)
    order = sorted(
        (problem.visit(v) for v in visit_ids),
        key=lambda v: (-v.priority, v.time_windows[0].start, v.time_windows[-1].end, v.id),
    )
    for number, visit in enumerate(order):
        if deadline is not None and number % 16 == 0 and time.monotonic() > deadline:
            result.not_tried = [v.id for v in order[number:]]
            break
        if not day.insert(visit, allowed.get(visit.id, ()), append):
            result.unplaced.append(visit.id)
    return result


class _Days:
    """Every technician's day as padded arrays: row ``t``, column ``p`` is
    the gap after position ``p`` (0 is the start location, then the stops)."""

    def __init__(self, problem: DispatchProblem, routes: Mapping[str, Sequence[str]]):
        self.problem = problem
        self.durations = problem.matrix.duration_array
        self.costs = problem.matrix.distance_array if problem.cost == "distance" else self.durations
        self.masks: dict[tuple[str, ...], np.ndarray] = {}
        self.techs = list(problem.technicians)
        self.row = {t.id: k for k, t in enumerate(self.techs)}
        self.routes: dict[str, list[str]] = {t: list(ids) for t, ids in routes.items() if ids}
        self.open = np.array([not t.breaks for t in self.techs], dtype=bool)
        self.count = np.zeros(len(self.techs), dtype=np.int64)
        self.load = np.zeros(len(self.techs), dtype=np.int64)
        self.max_visits = np.array([NEVER if t.max_visits is None else t.max_visits for t in self.techs])
        self.capacity = np.array([NEVER if t.capacity is None else t.capacity for t in self.techs])
        self._finish_tables()
        width = 2 + max((len(ids) for ids in self.routes.values()), default=0)
        self._allocate(width)
        for k, tech in enumerate(self.techs):
            self._refresh(k, tech)

    def _finish_tables(self) -> None:
        """Per technician and location: the latest departure that still ends
        the day in time."""
        self.latest = np.stack([latest_departures(self.problem, t) for t in self.techs])

    def _allocate(self, width: int) -> None:
        shape = (len(self.techs), width)
        self.departure = np.full(shape, NEVER, dtype=np.int64)
        self.here = np.zeros(shape, dtype=np.int64)
        self.after = np.zeros(shape, dtype=np.int64)
        self.last = np.zeros(shape, dtype=bool)
        self.latest_next = np.full(shape, -NEVER, dtype=np.int64)
        self.gap_cost = np.zeros(shape, dtype=np.int64)

    def _refresh(self, k: int, tech: Technician) -> None:
        """Recompute row ``k`` from its route; a route that does not fit
        (breaks aside) is closed to insertions."""
        ids = self.routes.get(tech.id, [])
        visits = [self.problem.visit(v) for v in ids]
        self.count[k] = len(visits)
        self.load[k] = sum(v.demand for v in visits)
        if len(visits) + 2 > self.departure.shape[1]:
            self._grow(2 * self.departure.shape[1])
        times = earliest_departures(self.problem, tech, visits)
        latest = latest_starts(self.problem, tech, visits)
        row = self.departure[k]
        row[:] = NEVER
        if times is None or any(s > late for s, late in zip(times[1], latest, strict=True)):
            self.open[k] = False
            return
        places = [tech.start_location] + [v.location for v in visits]
        n = len(places)
        row[:n] = times[0]
        self.here[k, :n] = places
        self.after[k, : n - 1] = places[1:]
        self.last[k, :] = False
        self.last[k, n - 1] = True
        self.latest_next[k, : n - 1] = latest
        self.latest_next[k, n - 1 :] = -NEVER
        gaps = [int(self.costs[a, b]) for a, b in zip(places, places[1:], strict=False)]
        self.gap_cost[k, :n] = [*gaps, 0]

    def _grow(self, width: int) -> None:
        old = (self.departure, self.here, self.after, self.last, self.latest_next, self.gap_cost)
        self._allocate(width)
        for new, previous in zip(
            (self.departure, self.here, self.after, self.last, self.latest_next, self.gap_cost),
            old,
            strict=True,
        ):
            new[:, : previous.shape[1]] = previous

    def insert(self, visit: Visit, technician_ids: Sequence[str], append: bool = False) -> bool:
        """Put ``visit`` at its cheapest feasible position (with ``append``,
        after the last stop); ``False`` if none."""
        rows = (
            self._eligible(technician_ids)
            & self.open
            & (self.count < self.max_visits)
            & (self.load + visit.demand <= self.capacity)
        )
        if not rows.any():
            return False
        if append:
            return self._append(visit, rows)
        place = visit.location
        arrival = self.departure + self.durations[:, place][self.here]
        if len(visit.time_windows) == 1:
            window = visit.time_windows[0]
            start = np.maximum(arrival, window.start)
            feasible = arrival <= window.end
        else:
            start = np.full(arrival.shape, NEVER, dtype=np.int64)
            for window in reversed(visit.time_windows):
                start = np.where(arrival <= window.end, np.maximum(arrival, window.start), start)
            feasible = start < NEVER
        leave = start + visit.service_duration
        onward = np.where(
            self.last,
            leave <= self.latest[:, place][:, None],
            leave + self.durations[place][self.after] <= self.latest_next,
        )
        feasible &= onward & rows[:, None]
        if not feasible.any():
            return False
        # The way to the lab and home is left out of the cost: with it, the
        # first visits crowd into a few long routes and a 1,000-visit day
        # needed 2.5 times the driving (measured); without it the greedy
        # keeps each technician near home, as a dispatcher would.
        next_cost = np.where(self.last, 0, self.costs[place][self.after])
        added = self.costs[:, place][self.here] + next_cost - self.gap_cost
        added[~feasible] = NEVER
        k, p = np.unravel_index(int(np.argmin(added)), added.shape)
        tech = self.techs[int(k)]
        self.routes.setdefault(tech.id, []).insert(int(p), visit.id)
        self._refresh(int(k), tech)
        return True

    def _append(self, visit: Visit, rows: np.ndarray) -> bool:
        """After the last stop of the technician nearest to ``visit`` who can
        still serve it (each day's last column only)."""
        place, ends = visit.location, self.count
        everyone = np.arange(len(self.techs))
        here = self.here[everyone, ends]
        arrival = self.departure[everyone, ends] + self.durations[:, place][here]
        start = np.full(arrival.shape, NEVER, dtype=np.int64)
        for window in reversed(visit.time_windows):
            start = np.where(arrival <= window.end, np.maximum(arrival, window.start), start)
        feasible = rows & (start < NEVER) & (start + visit.service_duration <= self.latest[:, place])
        if not feasible.any():
            return False
        travel = np.where(feasible, self.durations[:, place][here], NEVER)
        k = int(np.argmin(travel))
        tech = self.techs[k]
        self.routes.setdefault(tech.id, []).append(visit.id)
        self._refresh(k, tech)
        return True

    def _eligible(self, technician_ids: Sequence[str]) -> np.ndarray:
        """A mask of the rows of ``technician_ids`` (visits mostly share a few lists)."""
        key = tuple(technician_ids)
        mask = self.masks.get(key)
        if mask is None:
            mask = np.zeros(len(self.techs), dtype=bool)
            mask[[self.row[t] for t in key if t in self.row]] = True
            self.masks[key] = mask
        return mask


def _rank(problem: DispatchProblem, result: Insertion) -> tuple:
    """Fewer visits left of the highest priority first, then less cost."""
    levels = sorted({v.priority for v in problem.visits}, reverse=True)
    left = [problem.visit(v).priority for v in result.unplaced + result.not_tried]
    cost = 0
    for tech_id, ids in result.routes.items():
        route = timed_route(problem, tech_id, ids)
        if route is not None:
            cost += route.distance if problem.cost == "distance" else route.travel_time
    return (*(left.count(level) for level in levels), cost)


def earliest_departures(
    problem: DispatchProblem, tech: Technician, visits: Sequence[Visit]
) -> tuple[list[int], list[int]] | None:
    """Departure times from the start and from each stop, and each stop's
    start of service, on the earliest timetable (as
    :func:`dispatch.engine.timing.timetable`); ``None`` if a window is missed."""
    matrix = problem.matrix
    location, clock = tech.start_location, tech.shift.start
    departures, starts = [clock], []
    for visit in visits:
        begin = service_start(visit, clock + matrix.duration(location, visit.location))
        if begin is None:
            return None
        starts.append(begin)
        location, clock = visit.location, begin + visit.service_duration
        departures.append(clock)
    return departures, starts


def latest_starts(problem: DispatchProblem, tech: Technician, visits: Sequence[Visit]) -> list[int]:
    """Each stop's latest start of service from which the rest of the route
    still keeps its windows, the lab cutoff and the shift; below every window
    (``-NEVER``) when no start works."""
    matrix = problem.matrix
    latest: list[int] = [0] * len(visits)
    bound = None
    for number in range(len(visits) - 1, -1, -1):
        visit = visits[number]
        if bound is None:
            leave_by = latest_departure(problem, tech, visit.location)
        else:
            leave_by = bound - matrix.duration(visit.location, visits[number + 1].location)
        bound = latest_in_windows(visit, leave_by - visit.service_duration)
        latest[number] = bound
    return latest


def latest_in_windows(visit: Visit, time_bound: int) -> int:
    """The latest start of service inside a window and at or before ``time_bound``."""
    for window in reversed(visit.time_windows):
        if window.start <= time_bound:
            return min(time_bound, window.end)
    return -NEVER
