"""Tiny hand-checkable worlds for the dispatch tests.

Locations sit on a line: location ``i`` is at kilometre ``i`` and every
kilometre takes 10 time units, so travel times can be checked by eye.
"""

from __future__ import annotations

from dispatch import DispatchProblem, Technician, TimeWindow, TravelMatrix, Visit

UNIT = 10


def line_matrix(size: int) -> TravelMatrix:
    return TravelMatrix([[UNIT * abs(i - j) for j in range(size)] for i in range(size)])


def visit(visit_id: str, location: int, start: int = 0, end: int = 1000, service: int = 5, **kwargs) -> Visit:
    return Visit(visit_id, location, (TimeWindow(start, end),), service, **kwargs)


def technician(
    tech_id: str = "t1", location: int = 0, start: int = 0, end: int = 1000, **kwargs
) -> Technician:
    kwargs.setdefault("end_location", location)
    return Technician(tech_id, location, TimeWindow(start, end), **kwargs)


def problem(visits, technicians, size: int = 10, **kwargs) -> DispatchProblem:
    return DispatchProblem(tuple(visits), tuple(technicians), line_matrix(size), **kwargs)
