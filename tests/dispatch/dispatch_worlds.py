"""Tiny hand-checkable worlds for the dispatch tests.

Locations sit on a line: location ``i`` is at kilometre ``i`` and every
kilometre takes 10 time units, so travel times can be checked by eye.
"""

from __future__ import annotations

import math
import random

from dispatch.engine import DispatchProblem, Lab, Technician, TimeWindow, TravelMatrix, Visit
from dispatch.travel import GeodesicTravel

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


def metro_day(n_visits: int = 1000, n_technicians: int = 130, seed: int = 1) -> DispatchProblem:
    """A generated day around one city, shaped like the product's: 2-hour
    windows from 08:00 to 16:00, 15-minute visits, 8-hour shifts from home,
    at most 16 visits each, one lab whose 16:00 cutoff ends every route,
    geodesic travel times (seconds)."""
    rng = random.Random(seed)
    hour = 3600

    def around(radius_km: float) -> tuple[float, float]:
        r = radius_km * math.sqrt(rng.random()) * (0.6 + 0.4 * rng.random())
        angle = rng.uniform(0, 2 * math.pi)
        return 40.73 + r * math.cos(angle) / 111.2, -73.94 + r * math.sin(angle) / 84.3

    points = [around(18) for _ in range(n_visits)] + [around(20) for _ in range(n_technicians)]
    points.append((40.75, -74.0))
    windows = [(h * hour, (h + 2) * hour) for h in (8, 10, 12, 14)]
    visits = [
        Visit(f"v{i}", i, (TimeWindow(*windows[rng.choices(range(4), weights=(3, 3, 2, 2))[0]]),), 15 * 60)
        for i in range(n_visits)
    ]
    technicians = [
        Technician(
            f"t{k}", n_visits + k, TimeWindow(8 * hour, 16 * hour), end_location=n_visits + k, max_visits=16
        )
        for k in range(n_technicians)
    ]
    lab = Lab("lab", n_visits + n_technicians, 16 * hour)
    return DispatchProblem(tuple(visits), tuple(technicians), GeodesicTravel().matrix(points), (lab,))
