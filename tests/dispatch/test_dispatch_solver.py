"""solve() on tiny worlds whose best plans can be checked by hand.

Each constraint test is built so that ignoring the constraint gives a cheaper
plan than honouring it: the solver would pick that plan, and either the
assertion or solve()'s own validation would fail. Every test runs three
times: with ruin and recreate (:mod:`dispatch.engine.sisr`, the search of
days without breaks or a balance term), and with each OR-Tools search (the
one a short limit gets, guided local search from the construction's plan,
and the one a longer limit gets, iterated local search from OR-Tools' own
first plan), which days with breaks or a balance term run.
"""

import random
import time
from dataclasses import replace

import pytest
from dispatch_worlds import UNIT, problem, technician, visit

from dispatch.engine import (
    Break,
    DispatchProblem,
    Lab,
    Technician,
    TimeWindow,
    TravelMatrix,
    UnassignedReason,
    Visit,
    search,
    sisr,
    solve,
    validate,
)
from dispatch.engine.result import Plan, SolveStats, Unassigned
from dispatch.engine.routing import RoutingModel
from dispatch.engine.screening import screen
from dispatch.engine.solver import _rank

LIMIT = 0.5


@pytest.fixture(
    autouse=True, params=["SISR", "OR-Tools from the construction", "OR-Tools from its own first plan"]
)
def search_start(request, monkeypatch):
    """Which single search ``solve`` runs at ``LIMIT``."""
    if request.param != "SISR":
        monkeypatch.setattr(sisr, "supports", lambda problem: False)
    short = 1e9 if request.param == "OR-Tools from the construction" else 0.0
    monkeypatch.setattr(search, "SHORT_SEARCH_SECONDS", short)
    return request.param


def reasons(plan):
    return {u.visit_id: u.reason for u in plan.unassigned}


def test_known_optimum_on_a_line(line_problem):
    """Three visits on a line from 0 to 4: 0-1-2-3-4, 40 units."""
    plan = solve(line_problem, LIMIT)
    (route,) = plan.routes
    assert route.visit_ids == ["a", "b", "c"]
    assert route.travel_time == 40
    assert plan.objective == 40
    assert plan.unassigned == ()
    # The search finds it; on a starved machine (a 1 s limit, both cores busy)
    # the construction may already have it and be kept.
    assert plan.status in ("SISR_SUCCESS", "ROUTING_SUCCESS", "CONSTRUCTION")


def test_known_optimum_with_two_technicians():
    """Technicians at 0 and 9 each take the two visits next to them: 2 x 40 units."""
    p = problem(
        [visit("a", 1), visit("b", 2), visit("c", 7), visit("d", 8)],
        [technician("west", 0), technician("east", 9)],
    )
    plan = solve(p, LIMIT)
    assert sorted(plan.route_of("west").visit_ids) == ["a", "b"]
    assert sorted(plan.route_of("east").visit_ids) == ["c", "d"]
    assert plan.objective == 80


def test_route_times_follow_travel_and_service(line_problem):
    """Arrival is the previous departure plus travel; departure adds the service."""
    (route,) = solve(line_problem, LIMIT).routes
    first, second, _ = route.stops
    assert first.arrival == route.start_time + UNIT
    assert first.departure == first.start_of_service + 5
    assert second.arrival == first.departure + UNIT


def test_time_window_forces_the_dearer_order():
    """a at 3 must start by 40 and b at 1 in [60, 70]: a first (80) instead of b first (40)."""
    p = problem(
        [visit("a", 3, start=0, end=40), visit("b", 1, start=60, end=70)],
        [technician(location=0, end_location=4)],
    )
    (route,) = solve(p, LIMIT).routes
    assert route.visit_ids == ["a", "b"]
    assert route.travel_time == 80
    assert 60 <= route.stops[1].start_of_service <= 70


def test_service_starts_in_a_later_window_when_the_first_is_unreachable():
    """Windows [0, 5] and [50, 60] at 30 units away: service starts at 50."""
    v = Visit("a", 3, (TimeWindow(0, 5), TimeWindow(50, 60)), 5)
    (route,) = solve(problem([v], [technician()]), LIMIT).routes
    assert route.stops[0].start_of_service == 50
    assert route.start_time == 20


def test_shift_end_limits_the_day():
    """Two 15-unit visits 40 units away do not both fit in a 100-unit shift."""
    p = problem([visit("a", 4, service=15), visit("b", 4, service=15)], [technician(end=100)])
    plan = solve(p, LIMIT)
    (route,) = plan.routes
    assert len(route.stops) == 1
    assert route.end_time <= 100
    assert list(reasons(plan).values()) == [UnassignedReason.NO_CAPACITY]


def test_shift_start_is_respected():
    """A technician whose shift starts at 200 never leaves before 200."""
    p = problem([visit("a", 1, start=0, end=500)], [technician(start=200)])
    (route,) = solve(p, LIMIT).routes
    assert route.start_time >= 200
    assert route.stops[0].start_of_service >= 210


def test_skill_sends_the_skilled_technician():
    """The visit next to the unskilled technician goes to the skilled one far away."""
    p = problem(
        [visit("a", 1, required_skills=frozenset({"paediatric"}))],
        [technician("near", 0), technician("far", 9, skills=frozenset({"paediatric"}))],
    )
    plan = solve(p, LIMIT)
    assert [r.technician_id for r in plan.routes] == ["far"]


def test_pin_overrides_the_cheaper_technician():
    """A visit pinned to the far technician is served by them."""
    p = problem(
        [visit("a", 1, pinned_technician="far"), visit("b", 0)], [technician("near", 0), technician("far", 9)]
    )
    plan = solve(p, LIMIT)
    assert plan.route_of("far").visit_ids == ["a"]
    assert plan.route_of("near").visit_ids == ["b"]


def test_pin_holds_when_warm_started_on_the_wrong_technician():
    """Initial routes that put a pinned visit on another technician do not move the pin."""
    p = problem(
        [visit("a", 1, pinned_technician="far"), visit("b", 0)], [technician("near", 0), technician("far", 9)]
    )
    plan = solve(p, LIMIT, initial_routes={"near": ["a", "b"]})
    assert plan.route_of("far").visit_ids == ["a"]
    assert plan.route_of("near").visit_ids == ["b"]


def test_routing_model_rejects_a_warm_start_that_breaks_a_pin():
    """The pin lives in the CP model itself: OR-Tools refuses initial routes that break it."""
    p = problem([visit("a", 1, pinned_technician="far")], [technician("near", 0), technician("far", 9)])
    model = RoutingModel(p, screen(p))
    model.routing.CloseModel()
    wrong = model.routing.ReadAssignmentFromRoutes(model.index_routes({"near": ["a"]}), True)
    right = model.routing.ReadAssignmentFromRoutes(model.index_routes({"far": ["a"]}), True)
    assert wrong is None
    assert right is not None


def test_skill_holds_when_warm_started_on_the_wrong_technician():
    """Initial routes cannot give a visit to a technician without its skill."""
    p = problem(
        [visit("a", 1, required_skills=frozenset({"x"}))],
        [technician("near", 0), technician("far", 9, skills=frozenset({"x"}))],
    )
    plan = solve(p, LIMIT, initial_routes=[["a"], []])
    assert [r.technician_id for r in plan.routes] == ["far"]


def test_max_visits_splits_the_work():
    """The nearby technician may do one visit; the other goes to the far one.
    (Visits at 1 and 3: serving both from the far end would cost more, so
    the split is the one optimum, not one of two.)"""
    p = problem([visit("a", 1), visit("b", 3)], [technician("near", 0, max_visits=1), technician("far", 9)])
    plan = solve(p, LIMIT)
    assert len(plan.route_of("near").stops) == 1
    assert len(plan.route_of("far").stops) == 1


def test_capacity_splits_the_work():
    """Two visits of demand 2 do not fit in a capacity of 3 (the split is the one optimum)."""
    p = problem(
        [visit("a", 1, demand=2), visit("b", 3, demand=2)],
        [technician("near", 0, capacity=3), technician("far", 9)],
    )
    plan = solve(p, LIMIT)
    assert len(plan.route_of("near").stops) == 1
    assert len(plan.route_of("far").stops) == 1


def test_break_takes_time_out_of_the_shift():
    """A 50-unit break leaves room for only one of two 10-unit visits in a 100-unit shift."""
    brk = Break(TimeWindow(0, 100), 50)
    p = problem([visit("a", 1, service=10), visit("b", 2, service=10)], [technician(end=100, breaks=(brk,))])
    plan = solve(p, LIMIT)
    (route,) = plan.routes
    assert len(route.stops) == 1
    (taken,) = route.breaks
    assert taken.end - taken.start == 50
    assert len(plan.unassigned) == 1


def test_break_is_taken_in_its_window_and_not_during_service():
    """A break that must be taken in [20, 40] falls between the services."""
    brk = Break(TimeWindow(20, 40), 15)
    p = problem([visit("a", 1, service=10), visit("b", 1, service=10)], [technician(breaks=(brk,))])
    (route,) = solve(p, LIMIT).routes
    (taken,) = route.breaks
    assert 20 <= taken.start and taken.end <= 40
    for stop in route.stops:
        assert taken.end <= stop.start_of_service or stop.departure <= taken.start


def test_route_ends_at_the_lab_that_is_still_open():
    """The near lab's cutoff has passed after the visit, so the far lab is used."""
    p = problem(
        [visit("a", 3, start=100, end=200)],
        [technician()],
        labs=(Lab("near", 2, 50), Lab("far", 8, 500)),
    )
    (route,) = solve(p, LIMIT).routes
    assert route.lab_drop.lab_id == "far"
    assert route.lab_drop.arrival == 105 + 5 * UNIT
    assert route.end_time == route.lab_drop.arrival + 8 * UNIT


def test_lab_cutoff_limits_the_day():
    """Only one 15-unit visit fits before a lab cutoff of 40."""
    p = problem(
        [visit("a", 1, service=15), visit("b", 1, service=15)],
        [technician()],
        labs=(Lab("lab", 0, 40),),
    )
    plan = solve(p, LIMIT)
    (route,) = plan.routes
    assert len(route.stops) == 1
    assert route.lab_drop.arrival <= 40
    assert len(plan.unassigned) == 1


def test_unused_technician_gets_no_route_with_labs():
    """With labs, a technician with nothing to do has no route (no lone lab trip)."""
    p = problem([visit("a", 1)], [technician("t1", 0), technician("t2", 9)], labs=(Lab("lab", 0, 500),))
    plan = solve(p, LIMIT)
    assert [r.technician_id for r in plan.routes] == ["t1"]


def test_far_visit_is_not_dropped_to_save_travel():
    """Drop penalties outweigh travel: a visit 180 units round trip is still served."""
    p = problem([visit("far", 9)], [technician()])
    plan = solve(p, LIMIT)
    assert plan.routes[0].visit_ids == ["far"]


def test_one_high_priority_visit_beats_several_low_priority_ones():
    """The shift fits either three priority-1 visits or one priority-2 visit: the latter wins."""
    low = [visit(name, 1, service=25) for name in ("a", "b", "d")]
    high = visit("c", 4, service=15, priority=2)
    plan = solve(problem(low + [high], [technician(end=100)]), LIMIT)
    (route,) = plan.routes
    assert route.visit_ids == ["c"]
    assert set(reasons(plan)) == {"a", "b", "d"}


def test_unassigned_reasons_come_from_the_data():
    """Each visit no one can serve says why."""
    p = problem(
        [
            visit("skill", 1, required_skills=frozenset({"x"})),
            visit("shift", 1, start=600, end=700),
            visit("far", 9, start=0, end=50),
            visit("heavy", 1, demand=5),
        ],
        [technician(end=500, capacity=3)],
    )
    plan = solve(p, LIMIT)
    assert reasons(plan) == {
        "skill": UnassignedReason.NO_SKILL,
        "shift": UnassignedReason.OUTSIDE_SHIFT,
        "far": UnassignedReason.UNREACHABLE,
        "heavy": UnassignedReason.NO_CAPACITY,
    }
    assert plan.routes == ()
    assert all(u.message for u in plan.unassigned)


def test_empty_day_gives_an_empty_plan():
    """No visits: no routes, nothing unassigned, no crash."""
    plan = solve(problem([], [technician()]), LIMIT)
    assert (plan.routes, plan.unassigned, plan.objective, plan.status) == ((), (), 0, "EMPTY")


def test_no_technicians_leaves_everything_unassigned():
    """Without technicians every visit is unassigned with a reason."""
    plan = solve(problem([visit("a", 1), visit("b", 2)], []), LIMIT)
    assert reasons(plan) == {"a": UnassignedReason.NO_SKILL, "b": UnassignedReason.NO_SKILL}


def test_technician_who_cannot_get_home_in_time_is_not_used():
    """A shift shorter than the trip home would make the empty route infeasible; no crash."""
    p = problem([visit("a", 1)], [technician("t", 0, end=50, end_location=9)])
    plan = solve(p, LIMIT)
    assert plan.routes == ()
    assert reasons(plan) == {"a": UnassignedReason.UNREACHABLE}


def test_open_route_ends_at_the_last_stop():
    """With no end location the route stops after its last visit."""
    p = problem([visit("a", 2)], [technician(end_location=None)])
    (route,) = solve(p, LIMIT).routes
    assert route.travel_time == 2 * UNIT
    assert route.end_time == route.stops[-1].departure


def test_warm_start_from_a_plan_keeps_its_quality(line_problem):
    """Re-solving from a plan's own routes gives a plan at least as good."""
    first = solve(line_problem, LIMIT)
    again = solve(line_problem, LIMIT, initial_routes=first.as_initial_routes())
    assert again.objective <= first.objective
    assert "warm start" in again.stats.phases


def test_infeasible_warm_start_is_repaired_not_fatal():
    """A warm start that breaks a window is cut down and the visit re-inserted."""
    p = problem(
        [visit("a", 3, start=0, end=40), visit("b", 1, start=60, end=70)],
        [technician(location=0, end_location=4)],
    )
    plan = solve(p, LIMIT, initial_routes={"t1": ["b", "a", "unknown"]})
    assert plan.routes[0].visit_ids == ["a", "b"]


@pytest.mark.parametrize("bad", ["ab", [["a"], ["b"]], {"t1": "a"}, 42])
def test_malformed_initial_routes_are_rejected(line_problem, bad):
    """initial_routes is a mapping or one list per technician, of visit-id lists."""
    with pytest.raises(ValueError):
        solve(line_problem, LIMIT, initial_routes=bad)


@pytest.mark.parametrize("limit", [0, -1])
def test_time_limit_must_be_positive(line_problem, limit):
    """A solve needs some time."""
    with pytest.raises(ValueError, match="time_limit must be > 0"):
        solve(line_problem, limit)


def random_problem(n_visits: int, n_techs: int, seed: int) -> DispatchProblem:
    rng = random.Random(seed)
    points = [(50, 50)] + [(rng.randint(0, 100), rng.randint(0, 100)) for _ in range(n_visits)]
    matrix = TravelMatrix(
        [[int(((ax - bx) ** 2 + (ay - by) ** 2) ** 0.5 * 10) for bx, by in points] for ax, ay in points]
    )
    visits = []
    for i in range(1, n_visits + 1):
        start = rng.randint(0, 8000)
        visits.append(
            Visit(
                f"v{i}",
                i,
                (TimeWindow(start, start + rng.randint(300, 2000)),),
                100,
                demand=rng.randint(1, 20),
            )
        )
    techs = [
        Technician(f"t{k}", 0, TimeWindow(0, 10000), end_location=0, capacity=200) for k in range(n_techs)
    ]
    return DispatchProblem(tuple(visits), tuple(techs), matrix, cost="distance")


def test_time_limit_is_honoured_on_a_larger_day():
    """200 visits with a 1-second limit: back within 2 seconds with a valid plan."""
    p = random_problem(200, 25, seed=3)
    started = time.monotonic()
    plan = solve(p, 1.0)
    elapsed = time.monotonic() - started
    assert elapsed <= 2.0
    assert validate(p, plan) == []
    assert plan.stats.first_solution_time is not None
    assert len(plan.routes) > 0


def test_searches_side_by_side_return_the_best_valid_plan_within_the_limit(search_start):
    """With two workers and a few seconds, two searches run at once (two
    OR-Tools searches in processes, or two annealing chains sharing their best
    plan); the plan is valid and no later than the limit plus a second."""
    p = random_problem(100, 15, seed=4)
    started = time.monotonic()
    plan = solve(p, 3.0, workers=2)
    assert time.monotonic() - started <= 4.0
    assert validate(p, plan) == []
    together = (
        "2 chains sharing their best plan" if search_start == "SISR" else "best of 2 searches side by side"
    )
    assert any(together in phase for phase in plan.stats.phases)
    alone = solve(p, 3.0, workers=1)
    assert not any("side by side" in phase or "chains" in phase for phase in alone.stats.phases)


def test_side_by_side_with_a_warm_start_keeps_pins_and_skills():
    p = problem(
        [visit("a", 1, pinned_technician="t2"), visit("b", 2, required_skills={"x"}), visit("c", 8)],
        [technician("t1", 0, skills={"x"}), technician("t2", 9)],
    )
    plan = solve(p, 3.0, initial_routes={"t1": ["a", "b", "c"]}, workers=2)
    assert validate(p, plan) == []
    by_visit = {v: r.technician_id for r in plan.routes for v in r.visit_ids}
    assert by_visit["a"] == "t2" and by_visit["b"] == "t1"


def test_the_plan_serving_more_high_priority_visits_wins_over_a_cheaper_one():
    p = problem([visit("hi", 1, priority=3), visit("lo", 2), visit("lo2", 3)], [technician()])
    cheap = Plan(
        routes=(),
        unassigned=(Unassigned("hi", UnassignedReason.NO_CAPACITY, ""),),
        objective=0,
        status="x",
        stats=SolveStats(wall_time=0),
    )
    dear = replace(
        cheap,
        unassigned=(
            Unassigned("lo", UnassignedReason.NO_CAPACITY, ""),
            Unassigned("lo2", UnassignedReason.NO_CAPACITY, ""),
        ),
        objective=100,
    )
    assert min([cheap, dear], key=lambda plan: _rank(p, plan)) is dear
