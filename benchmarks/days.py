"""Realistic dispatch days: the days labvisit plans, generated for benchmarks.

A day in one metro area, as the product sees it:

- **Home visits** around the area's population centres (a weighted mixture of
  neighbourhoods, denser towards each centre) and **office visits** downtown.
- **2-hour windows**, mostly in the morning (fasting blood draws), office
  visits in office hours; every window is one a technician could keep and
  still reach the lab, so every visit is servable on its own.
- **Service**: 15 minutes at home (20 for one visit in five: a first visit or
  a hard draw), 10 at an office.
- **Technicians** start from their own homes spread over the area, on two
  shifts (07:00-15:30 and 08:00-16:30), serve at most 16 visits, and end
  their route at the downtown lab by its cutoff (15:30 or 16:00 depending on
  the city); they do not come back.
- **Travel**: great-circle distance times the city's circuity, driven at the
  city's speed (:class:`dispatch.travel.GeodesicTravel`).

Times are seconds since local midnight, distances metres, as in the product.
Nothing here is tuned to a solver: the cities differ in shape (a dense
core with boroughs, a lakefront grid, a sprawl), and each ``seed`` draws a
new day.

    from benchmarks.days import CITIES, generate
    day = generate("chicago", visits=300, technicians=25, seed=1)
    day.problem  # a dispatch.engine.DispatchProblem
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from dispatch.engine import DispatchProblem, Lab, Technician, TimeWindow, Visit
from dispatch.travel import GeodesicTravel

HOUR = 3600
MINUTE = 60
MAX_VISITS = 16
SHIFTS = ((7 * HOUR, 15 * HOUR + 30 * MINUTE), (8 * HOUR, 16 * HOUR + 30 * MINUTE))
WINDOW = 2 * HOUR
# Window starts and how often patients pick them: most draws are early (fasting).
HOME_STARTS = (7, 8, 9, 10, 11, 12, 13)
HOME_WEIGHTS = (3, 4, 4, 3, 2, 2, 1)
OFFICE_STARTS = (9, 10, 11, 12, 13)
OFFICE_WEIGHTS = (3, 3, 2, 2, 1)

Point = tuple[float, float]


@dataclass(frozen=True)
class Centre:
    """A neighbourhood where patients (and technicians) live: ``weight`` is its
    share of the population, ``spread_km`` its radius."""

    point: Point
    weight: float
    spread_km: float


@dataclass(frozen=True)
class City:
    name: str
    lab: Point
    cutoff: int
    downtown: tuple[Centre, ...]
    neighbourhoods: tuple[Centre, ...]
    speed_kmh: float
    circuity: float
    office_share: float = 0.25


CITIES: dict[str, City] = {
    "nyc": City(
        "New York",
        lab=(40.7527, -73.9990),
        cutoff=16 * HOUR,
        downtown=(Centre((40.7549, -73.9840), 2, 1.5), Centre((40.7075, -74.0113), 1, 1.0)),
        neighbourhoods=(
            Centre((40.6500, -73.9500), 3.0, 5),  # Brooklyn
            Centre((40.7280, -73.7940), 2.5, 6),  # Queens
            Centre((40.7830, -73.9660), 1.8, 3),  # Manhattan
            Centre((40.8450, -73.8650), 1.6, 4),  # the Bronx
            Centre((40.5800, -74.1500), 0.5, 5),  # Staten Island
            Centre((40.7300, -74.1000), 1.0, 5),  # Jersey City / Newark
        ),
        speed_kmh=24,
        circuity=1.35,
    ),
    "chicago": City(
        "Chicago",
        lab=(41.8781, -87.6298),
        cutoff=15 * HOUR + 30 * MINUTE,
        downtown=(Centre((41.8819, -87.6278), 1, 1.2),),
        neighbourhoods=(
            Centre((41.9400, -87.6600), 2.0, 4),  # North Side
            Centre((41.7800, -87.6200), 2.0, 5),  # South Side
            Centre((41.8800, -87.7500), 1.5, 5),  # West Side
            Centre((42.0450, -87.6900), 0.6, 3),  # Evanston
            Centre((41.8500, -87.7800), 1.0, 4),  # Oak Park / Cicero
            Centre((42.0300, -87.8800), 1.0, 7),  # north-west suburbs
        ),
        speed_kmh=30,
        circuity=1.3,
    ),
    "houston": City(
        "Houston",
        lab=(29.7589, -95.3677),
        cutoff=16 * HOUR,
        downtown=(Centre((29.7604, -95.3698), 2, 1.5), Centre((29.7490, -95.4610), 1, 1.5)),
        neighbourhoods=(
            Centre((29.7600, -95.3700), 1.5, 5),  # inner loop
            Centre((29.7000, -95.4800), 1.5, 6),  # Bellaire / south-west
            Centre((29.8700, -95.4000), 1.2, 6),  # north
            Centre((29.6200, -95.6300), 1.0, 6),  # Sugar Land
            Centre((29.7900, -95.8200), 1.0, 6),  # Katy
            Centre((29.6900, -95.2100), 1.0, 5),  # Pasadena
            Centre((30.1700, -95.4600), 0.8, 6),  # The Woodlands
        ),
        speed_kmh=40,
        circuity=1.3,
    ),
    "phoenix": City(
        "Phoenix",
        lab=(33.4484, -112.0740),
        cutoff=15 * HOUR + 30 * MINUTE,
        downtown=(Centre((33.4500, -112.0700), 1, 1.5),),
        neighbourhoods=(
            Centre((33.5000, -112.0500), 1.5, 6),  # central Phoenix
            Centre((33.4152, -111.8315), 1.3, 6),  # Mesa
            Centre((33.4942, -111.9261), 0.8, 5),  # Scottsdale
            Centre((33.5387, -112.1860), 1.0, 6),  # Glendale
            Centre((33.3062, -111.8413), 0.9, 5),  # Chandler
            Centre((33.4255, -111.9400), 0.7, 4),  # Tempe
        ),
        speed_kmh=42,
        circuity=1.25,
    ),
}


@dataclass(frozen=True)
class Day:
    """A generated day: the engine's problem, the points behind its matrix and what made it."""

    city: str
    seed: int
    problem: DispatchProblem
    points: tuple[Point, ...]

    @property
    def name(self) -> str:
        return f"{self.city}-{len(self.problem.visits)}x{len(self.problem.technicians)}-s{self.seed}"


def _near(rng: random.Random, centre: Centre) -> Point:
    """A point within the centre's spread, denser towards its middle."""
    r = centre.spread_km * math.sqrt(rng.random()) * (0.5 + 0.5 * rng.random())
    angle = rng.uniform(0, 2 * math.pi)
    lat, lon = centre.point
    return (
        lat + r * math.cos(angle) / 111.2,
        lon + r * math.sin(angle) / (111.2 * math.cos(math.radians(lat))),
    )


def _pick(rng: random.Random, centres: tuple[Centre, ...]) -> Centre:
    return rng.choices(centres, weights=[c.weight for c in centres])[0]


def generate(city: str, visits: int, technicians: int, seed: int = 1) -> Day:
    """One day of ``visits`` home and office visits and ``technicians`` technicians in ``city``."""
    spec = CITIES[city]
    rng = random.Random(f"{city}/{visits}/{technicians}/{seed}")
    travel = GeodesicTravel(circuity=spec.circuity, speed_kmh=spec.speed_kmh)
    kinds = ["office" if rng.random() < spec.office_share else "home" for _ in range(visits)]
    visit_points = [
        _near(rng, _pick(rng, spec.downtown if kind == "office" else spec.neighbourhoods)) for kind in kinds
    ]
    # Technicians live where people live, a little further out.
    tech_points = [
        _near(rng, Centre(c.point, c.weight, c.spread_km * 1.5))
        for c in (_pick(rng, spec.neighbourhoods) for _ in range(technicians))
    ]
    points = (*visit_points, *tech_points, spec.lab)
    matrix = travel.matrix(points)
    lab_index = len(points) - 1
    earliest_shift = min(start for start, _ in SHIFTS)
    problem_visits = []
    for i, kind in enumerate(kinds):
        if kind == "office":
            service = 10 * MINUTE
            starts, weights = OFFICE_STARTS, OFFICE_WEIGHTS
        else:
            service = (20 if rng.random() < 0.2 else 15) * MINUTE
            starts, weights = HOME_STARTS, HOME_WEIGHTS
        start = rng.choices(starts, weights=weights)[0] * HOUR
        # A window nobody could keep and still reach the lab moves earlier: the
        # scheduler offering windows would never have offered it.
        to_lab = matrix.duration(i, lab_index)
        while start > earliest_shift and start + service + to_lab > spec.cutoff:
            start -= HOUR
        problem_visits.append(Visit(f"v{i}", i, (TimeWindow(start, start + WINDOW),), service))
    techs = []
    for k in range(technicians):
        shift = SHIFTS[k % len(SHIFTS)]
        techs.append(
            Technician(f"t{k}", visits + k, TimeWindow(*shift), end_location=None, max_visits=MAX_VISITS)
        )
    lab = Lab("lab", lab_index, spec.cutoff)
    problem = DispatchProblem(tuple(problem_visits), tuple(techs), matrix, (lab,))
    return Day(city, seed, problem, points)
