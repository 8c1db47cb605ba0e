"""The dispatch problem as plain, validated value objects.

Every time and duration inside the model is an integer in one unit the caller
chooses; the product uses seconds (times are seconds since the start of the
dispatch day, in UTC) and metres. The Solomon reader uses integer tenths for
both distance and time. Nothing here converts units: conversion happens at the
boundary, so the solver never mixes them.

Locations are indices into the :class:`TravelMatrix`. Objects are frozen and
check themselves in ``__post_init__``, so an invalid problem fails loudly with
a ``ValueError`` naming the offending field instead of producing a silently
wrong plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _require_int(value: object, name: str) -> None:
    _require(
        isinstance(value, int) and not isinstance(value, bool),
        f"{name} must be an int, got {value!r}.",
    )


@dataclass(frozen=True)
class TimeWindow:
    """A closed interval ``[start, end]`` of times in model units."""

    start: int
    end: int

    def __post_init__(self) -> None:
        _require_int(self.start, "TimeWindow.start")
        _require_int(self.end, "TimeWindow.end")
        _require(self.start >= 0, f"TimeWindow.start < 0 not understood ({self.start}).")
        _require(
            self.end >= self.start,
            f"TimeWindow end {self.end} is before its start {self.start}.",
        )

    def contains(self, time: int) -> bool:
        return self.start <= time <= self.end


@dataclass(frozen=True)
class Visit:
    """One visit to serve: service must *start* inside one of its windows.

    ``priority`` ranks drop penalties: a visit of a higher priority is never
    dropped to serve any number of visits of lower priorities (overdue
    patients first). ``demand`` uses the technicians' capacity unit (in the
    product: specimen-box slots).
    """

    id: str
    location: int
    time_windows: tuple[TimeWindow, ...]
    service_duration: int
    required_skills: frozenset[str] = frozenset()
    priority: int = 1
    pinned_technician: str | None = None
    demand: int = 0

    def __post_init__(self) -> None:
        _require(isinstance(self.id, str) and self.id != "", "Visit.id must be a non-empty str.")
        _require_int(self.location, f"Visit {self.id}: location")
        _require(self.location >= 0, f"Visit {self.id}: location < 0 not understood.")
        object.__setattr__(self, "time_windows", tuple(self.time_windows))
        object.__setattr__(self, "required_skills", frozenset(self.required_skills))
        _require(len(self.time_windows) > 0, f"Visit {self.id}: needs at least one time window.")
        _require(
            all(isinstance(w, TimeWindow) for w in self.time_windows),
            f"Visit {self.id}: time_windows must be TimeWindow objects.",
        )
        ordered = sorted(self.time_windows, key=lambda w: w.start)
        for first, second in zip(ordered, ordered[1:], strict=False):
            _require(
                first.end < second.start,
                f"Visit {self.id}: time windows {first} and {second} overlap.",
            )
        object.__setattr__(self, "time_windows", tuple(ordered))
        _require_int(self.service_duration, f"Visit {self.id}: service_duration")
        _require(self.service_duration >= 0, f"Visit {self.id}: service_duration < 0 not understood.")
        _require_int(self.priority, f"Visit {self.id}: priority")
        _require(self.priority >= 1, f"Visit {self.id}: priority must be >= 1.")
        _require_int(self.demand, f"Visit {self.id}: demand")
        _require(self.demand >= 0, f"Visit {self.id}: demand < 0 not understood.")

    def window_at(self, time: int) -> TimeWindow | None:
        """The window in which service may start at ``time``, if any."""
        return next((w for w in self.time_windows if w.contains(time)), None)

    def earliest_start(self, arrival: int) -> int | None:
        """Earliest time at or after ``arrival`` at which service may start."""
        for window in self.time_windows:
            if arrival <= window.end:
                return max(arrival, window.start)
        return None


@dataclass(frozen=True)
class Break:
    """A break of ``duration`` taken entirely inside ``window``."""

    window: TimeWindow
    duration: int

    def __post_init__(self) -> None:
        _require(isinstance(self.window, TimeWindow), "Break.window must be a TimeWindow.")
        _require_int(self.duration, "Break.duration")
        _require(self.duration > 0, "Break.duration must be > 0.")
        _require(
            self.window.end - self.window.start >= self.duration,
            f"Break of {self.duration} does not fit in its window {self.window}.",
        )


@dataclass(frozen=True)
class Technician:
    """A technician on shift: leaves ``start_location`` no earlier than
    ``shift.start`` and is back at ``end_location`` no later than ``shift.end``.

    ``end_location=None`` means the route ends at its last stop (or lab).
    ``max_visits`` and ``capacity`` of ``None`` mean unlimited.
    """

    id: str
    start_location: int
    shift: TimeWindow
    end_location: int | None = None
    skills: frozenset[str] = frozenset()
    max_visits: int | None = None
    capacity: int | None = None
    breaks: tuple[Break, ...] = ()

    def __post_init__(self) -> None:
        _require(isinstance(self.id, str) and self.id != "", "Technician.id must be a non-empty str.")
        object.__setattr__(self, "skills", frozenset(self.skills))
        object.__setattr__(self, "breaks", tuple(self.breaks))
        _require_int(self.start_location, f"Technician {self.id}: start_location")
        _require(self.start_location >= 0, f"Technician {self.id}: start_location < 0.")
        if self.end_location is not None:
            _require_int(self.end_location, f"Technician {self.id}: end_location")
            _require(self.end_location >= 0, f"Technician {self.id}: end_location < 0.")
        _require(isinstance(self.shift, TimeWindow), f"Technician {self.id}: shift must be a TimeWindow.")
        for name in ("max_visits", "capacity"):
            value = getattr(self, name)
            if value is not None:
                _require_int(value, f"Technician {self.id}: {name}")
                _require(value >= 0, f"Technician {self.id}: {name} < 0 not understood.")
        for brk in self.breaks:
            _require(isinstance(brk, Break), f"Technician {self.id}: breaks must be Break objects.")
            _require(
                self.shift.start <= brk.window.start and brk.window.end <= self.shift.end,
                f"Technician {self.id}: break window {brk.window} is outside the shift {self.shift}.",
            )
        ordered = sorted(self.breaks, key=lambda b: b.window.start)
        object.__setattr__(self, "breaks", tuple(ordered))


@dataclass(frozen=True)
class Lab:
    """A lab where specimens are dropped; arrival must be no later than ``cutoff``."""

    id: str
    location: int
    cutoff: int

    def __post_init__(self) -> None:
        _require(isinstance(self.id, str) and self.id != "", "Lab.id must be a non-empty str.")
        _require_int(self.location, f"Lab {self.id}: location")
        _require(self.location >= 0, f"Lab {self.id}: location < 0.")
        _require_int(self.cutoff, f"Lab {self.id}: cutoff")
        _require(self.cutoff >= 0, f"Lab {self.id}: cutoff < 0 not understood.")


@dataclass(frozen=True)
class TravelMatrix:
    """Travel durations (and optionally distances) between locations.

    ``durations[i][j]`` is the time to go from location ``i`` to ``j``. When
    ``distances`` is omitted the durations double as distances.
    """

    durations: tuple[tuple[int, ...], ...]
    distances: tuple[tuple[int, ...], ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "durations", _square("durations", self.durations))
        if self.distances is not None:
            distances = _square("distances", self.distances)
            _require(
                len(distances) == len(self.durations),
                "TravelMatrix: distances and durations must have the same size.",
            )
            object.__setattr__(self, "distances", distances)

    @property
    def size(self) -> int:
        return len(self.durations)

    def duration(self, origin: int, destination: int) -> int:
        return self.durations[origin][destination]

    def distance(self, origin: int, destination: int) -> int:
        table = self.distances if self.distances is not None else self.durations
        return table[origin][destination]

    @cached_property
    def duration_array(self) -> np.ndarray:
        """``durations`` as one integer array, made once: the vectorised
        checks of large days read it."""
        return np.asarray(self.durations, dtype=np.int64)

    @cached_property
    def distance_array(self) -> np.ndarray:
        if self.distances is None:
            return self.duration_array
        return np.asarray(self.distances, dtype=np.int64)


def _square(name: str, rows: Sequence[Sequence[int]]) -> tuple[tuple[int, ...], ...]:
    table = tuple(tuple(row) for row in rows)
    size = len(table)
    for i, row in enumerate(table):
        _require(len(row) == size, f"TravelMatrix.{name} must be square (row {i} has {len(row)} of {size}).")
        for value in row:
            _require(
                isinstance(value, int) and not isinstance(value, bool) and value >= 0,
                f"TravelMatrix.{name} must hold ints >= 0, got {value!r} in row {i}.",
            )
    return table


@dataclass(frozen=True)
class DispatchProblem:
    """One day of one region: visits, technicians, labs and travel times.

    ``cost`` chooses what the objective sums: ``"duration"`` (travel time, the
    product default) or ``"distance"``. ``balance_coefficient`` > 0 adds that
    weight times the longest route duration, to spread work across technicians.
    If ``labs`` are given, every used route ends with a drop at one lab (the
    solver picks which) no later than that lab's cutoff.
    """

    visits: tuple[Visit, ...]
    technicians: tuple[Technician, ...]
    matrix: TravelMatrix
    labs: tuple[Lab, ...] = ()
    cost: str = "duration"
    balance_coefficient: int = 0
    _visit_by_id: dict[str, Visit] = field(init=False, repr=False, compare=False)
    _technician_by_id: dict[str, Technician] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "visits", tuple(self.visits))
        object.__setattr__(self, "technicians", tuple(self.technicians))
        object.__setattr__(self, "labs", tuple(self.labs))
        _require(isinstance(self.matrix, TravelMatrix), "DispatchProblem.matrix must be a TravelMatrix.")
        _require(self.cost in ("duration", "distance"), f"cost {self.cost!r} not understood.")
        _require_int(self.balance_coefficient, "balance_coefficient")
        _require(self.balance_coefficient >= 0, "balance_coefficient < 0 not understood.")
        object.__setattr__(self, "_visit_by_id", _unique("visit", self.visits))
        object.__setattr__(self, "_technician_by_id", _unique("technician", self.technicians))
        _unique("lab", self.labs)
        size = self.matrix.size
        for visit in self.visits:
            _require(visit.location < size, f"Visit {visit.id}: location {visit.location} not in the matrix.")
            pinned = visit.pinned_technician
            _require(
                pinned is None or pinned in self._technician_by_id,
                f"Visit {visit.id}: pinned to unknown technician {pinned!r}.",
            )
        for tech in self.technicians:
            for location in (tech.start_location, tech.end_location):
                _require(
                    location is None or location < size,
                    f"Technician {tech.id}: location {location} not in the matrix.",
                )
        for lab in self.labs:
            _require(lab.location < size, f"Lab {lab.id}: location {lab.location} not in the matrix.")

    def visit(self, visit_id: str) -> Visit:
        return self._visit_by_id[visit_id]

    def technician(self, technician_id: str) -> Technician:
        return self._technician_by_id[technician_id]

    def has_visit(self, visit_id: str) -> bool:
        return visit_id in self._visit_by_id

    def has_technician(self, technician_id: str) -> bool:
        return technician_id in self._technician_by_id

    def lab(self, lab_id: str) -> Lab:
        return next(lab for lab in self.labs if lab.id == lab_id)

    def arc_cost(self, origin: int, destination: int) -> int:
        """What the objective charges for one leg."""
        if self.cost == "distance":
            return self.matrix.distance(origin, destination)
        return self.matrix.duration(origin, destination)

    def eligible_technicians(self, visit: Visit) -> list[Technician]:
        """Technicians allowed to serve ``visit``: its pin, else anyone with the skills."""
        if visit.pinned_technician is not None:
            candidates = [self.technician(visit.pinned_technician)]
        else:
            candidates = list(self.technicians)
        return [t for t in candidates if visit.required_skills <= t.skills]


def _unique(kind: str, items: Sequence[Visit | Technician | Lab]) -> dict:
    by_id: dict = {}
    for item in items:
        _require(item.id not in by_id, f"Duplicate {kind} id {item.id!r}.")
        by_id[item.id] = item
    return by_id
