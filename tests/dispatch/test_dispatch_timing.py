"""One timing rule: the timetable, the validator, the screening and the
construction's constant-time check agree on random routes."""

import random

import pytest
from dispatch_worlds import line_matrix

from dispatch.engine import DispatchProblem, Lab, Technician, TimeWindow, Visit, validate
from dispatch.engine.construction import insert
from dispatch.engine.result import Plan, Unassigned, UnassignedReason
from dispatch.engine.screening import _masks, can_reach
from dispatch.engine.timing import finish, fits, latest_departure, latest_departures, timed_route, timetable

SEEDS = range(40)
TIMING_KINDS = {"time_window", "lab", "shift", "travel"}


def random_world(seed: int) -> DispatchProblem:
    """Ten places on a line, visits with one or two windows, technicians
    with or without an end location, zero to two labs."""
    rng = random.Random(seed)
    visits = []
    for i in range(8):
        start = rng.randint(0, 300)
        windows = [TimeWindow(start, start + rng.randint(0, 120))]
        if rng.random() < 0.3:
            later = windows[0].end + rng.randint(1, 100)
            windows.append(TimeWindow(later, later + rng.randint(0, 80)))
        visits.append(Visit(f"v{i}", rng.randint(0, 9), tuple(windows), rng.choice([0, 5, 20])))
    technicians = []
    for k in range(3):
        begin = rng.randint(0, 100)
        technicians.append(
            Technician(
                f"t{k}",
                rng.randint(0, 9),
                TimeWindow(begin, begin + rng.randint(150, 500)),
                end_location=rng.choice([None, rng.randint(0, 9)]),
            )
        )
    labs = [Lab(f"lab{j}", rng.randint(0, 9), rng.randint(200, 600)) for j in range(rng.randint(0, 2))]
    return DispatchProblem(tuple(visits), tuple(technicians), line_matrix(10), tuple(labs))


@pytest.mark.parametrize("seed", SEEDS)
def test_latest_departure_is_the_last_moment_the_finish_is_feasible(seed):
    """Leaving at the latest departure ends the day in time; a unit later does not."""
    world = random_world(seed)
    for tech in world.technicians:
        table = latest_departures(world, tech)
        for location in range(world.matrix.size):
            latest = latest_departure(world, tech, location)
            assert table[location] == latest
            assert finish(world, tech, location, latest).feasible
            assert not finish(world, tech, location, latest + 1).feasible


@pytest.mark.parametrize("seed", SEEDS)
def test_the_validator_agrees_with_the_timetable(seed):
    """A random order timed by the timetable passes the validator's window,
    travel, lab and shift checks exactly when the timetable calls it feasible."""
    world = random_world(seed)
    rng = random.Random(seed)
    for _ in range(10):
        tech = rng.choice(world.technicians)
        ids = rng.sample([v.id for v in world.visits], rng.randint(1, 4))
        route = timed_route(world, tech.id, ids)
        others = [v.id for v in world.visits if v.id not in ids]
        plan = Plan(
            (route,), tuple(Unassigned(v, UnassignedReason.NO_CAPACITY, "") for v in others), 0, "MANUAL"
        )
        kinds = {v.kind for v in validate(world, plan)}
        assert (not kinds & TIMING_KINDS) == timetable(world, tech, ids).feasible


@pytest.mark.parametrize("seed", SEEDS)
def test_the_construction_check_agrees_with_the_timetable(seed):
    """Inserting a visit into a route succeeds exactly when some position
    fits by the timetable, and the position chosen fits and adds the least travel."""
    world = random_world(seed)
    rng = random.Random(seed)
    for _ in range(10):
        tech = rng.choice(world.technicians)
        route: list[str] = []
        for visit_id in rng.sample([v.id for v in world.visits], 4):
            if fits(world, tech, [*route, visit_id]):
                route.append(visit_id)
        newcomer = rng.choice([v.id for v in world.visits if v.id not in route])
        trials = [route[:p] + [newcomer] + route[p:] for p in range(len(route) + 1)]
        fitting = [t for t in trials if fits(world, tech, t)]
        result = insert(world, {newcomer: [tech.id]}, {tech.id: route}, [newcomer])
        assert (result.unplaced == []) == bool(fitting)
        if fitting:
            chosen = result.routes[tech.id]
            assert chosen in fitting
            assert _travel(world, tech, chosen) == min(_travel(world, tech, t) for t in fitting)


@pytest.mark.parametrize("seed", SEEDS)
def test_screening_for_all_pairs_at_once_agrees_with_one_pair_at_a_time(seed):
    """The vectorised reachability of every visit and technician is :func:`can_reach`."""
    world = random_world(seed)
    _, _, reachable, _ = _masks(world)
    for i, visit in enumerate(world.visits):
        for k, tech in enumerate(world.technicians):
            assert reachable[i, k] == can_reach(world, tech, visit)


def _travel(world, tech, ids) -> int:
    """Travel between the start and the stops (the construction's cost)."""
    places = [tech.start_location] + [world.visit(v).location for v in ids]
    return sum(world.matrix.duration(a, b) for a, b in zip(places, places[1:], strict=False))
