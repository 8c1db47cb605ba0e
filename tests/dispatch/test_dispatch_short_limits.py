"""Short limits on a large day: a complete first plan, at least what a
greedy assignment serves, and reasons that tell the truth."""

import time

import pytest
from dispatch_worlds import metro_day, problem, technician, visit

from dispatch.engine import UnassignedReason, solve, validate
from dispatch.engine.construction import construct, insert
from dispatch.engine.result import Plan, SolveStats, Unassigned
from dispatch.engine.screening import screen
from dispatch.engine.search import Clock, is_short
from dispatch.engine.solver import _no_worse_than_insertion
from dispatch.engine.timing import fits, latest_departure, service_start, timed_plan, timed_route


def greedy_served(day) -> int:
    """Visits served by the plainest greedy: in window order, each appended
    to the day of the nearest technician who can still serve it in time."""
    state = {t.id: (t.start_location, t.shift.start, 0) for t in day.technicians}
    served = 0
    for v in sorted(day.visits, key=lambda v: (v.time_windows[0].start, v.id)):
        best = None
        for tech in day.eligible_technicians(v):
            where, clock, count = state[tech.id]
            if tech.max_visits is not None and count >= tech.max_visits:
                continue
            travel = day.matrix.duration(where, v.location)
            start = service_start(v, clock + travel)
            if start is None or start + v.service_duration > latest_departure(day, tech, v.location):
                continue
            if best is None or travel < best[0]:
                best = (travel, tech.id, start + v.service_duration)
        if best is not None:
            _, tech_id, leave = best
            state[tech_id] = (day.visit(v.id).location, leave, state[tech_id][2] + 1)
            served += 1
    return served


def has_room(day, plan, visit_id) -> bool:
    """Could some eligible technician's day in ``plan`` take ``visit_id`` anywhere?"""
    routes = plan.as_initial_routes()
    for tech in day.eligible_technicians(day.visit(visit_id)):
        ids = routes.get(tech.id, [])
        if any(fits(day, tech, ids[:p] + [visit_id] + ids[p:]) for p in range(len(ids) + 1)):
            return True
    return False


DAYS: dict[int, object] = {}


def thousand_visits(technicians: int):
    if technicians not in DAYS:
        DAYS[technicians] = metro_day(1000, technicians, seed=1)
    return DAYS[technicians]


@pytest.fixture(scope="module")
def thousand():
    """Enough technicians (130) to serve all 1,000 visits."""
    return thousand_visits(130)


@pytest.mark.slow
@pytest.mark.parametrize("limit", [0.5, 1.0])
def test_a_short_limit_on_a_thousand_visits_serves_at_least_the_greedy(thousand, limit):
    """At 0.5 s and 1 s a 1,000-visit day gets a valid plan serving at least
    what a greedy assignment serves (here: all of them)."""
    plan = solve(thousand, limit)
    assert validate(thousand, plan) == []
    served = sum(len(r.stops) for r in plan.routes)
    assert served >= greedy_served(thousand) > 0
    assert plan.stats.first_complete_time is not None


@pytest.mark.slow
def test_a_short_limit_on_an_overfull_day_calls_no_capacity_only_when_there_is_no_room():
    """With too few technicians (90 for 1,000 visits) at 0.5 s the plan still
    serves at least the greedy, and every visit it calls no_capacity truly
    has no room on any eligible technician's day in that plan."""
    day = thousand_visits(90)
    plan = solve(day, 0.5)
    assert validate(day, plan) == []
    assert sum(len(r.stops) for r in plan.routes) >= greedy_served(day)
    left = [u for u in plan.unassigned if u.reason == UnassignedReason.NO_CAPACITY]
    assert left and all(not has_room(day, plan, u.visit_id) for u in left)


@pytest.mark.slow
def test_the_first_plan_comes_from_the_calling_process_before_any_search(thousand):
    """The construction alone, with no search or worker, already
    serves the whole 1,000-visit day (so there is always a plan to return)."""
    screening = screen(thousand)
    first = construct(thousand, screening.allowed)
    assert first.unplaced == [] and first.not_tried == []
    assert sum(len(ids) for ids in first.routes.values()) == 1000


def test_a_visit_with_room_is_inserted_after_the_search():
    """If the search's plan leaves out a visit that fits, it is put in, not
    reported as no_capacity."""
    day = problem([visit("a", 1), visit("b", 2)], [technician()])
    screening = screen(day)
    first = construct(day, screening.allowed)
    first.routes, first.unplaced = {}, ["a", "b"]  # as if the construction had found nothing
    plan = _no_worse_than_insertion(day, screening, _with_b(day), first, 0.0, Clock(10.0))
    assert validate(day, plan) == []
    assert plan.unassigned == () and sorted(plan.routes[0].visit_ids) == ["a", "b"]


def test_a_visit_not_tried_before_the_limit_says_time_limit():
    """When the limit has run out before a left-out visit could be tried, its
    reason is time_limit, not no_capacity."""
    day = problem([visit("a", 1), visit("b", 2)], [technician()])
    screening = screen(day)
    first = construct(day, screening.allowed)
    first.routes, first.unplaced = {}, ["a", "b"]
    expired = Clock(0.01, started=time.monotonic() - 1.0)
    plan = _no_worse_than_insertion(day, screening, _with_b(day), first, 0.0, expired)
    assert validate(day, plan) == []
    assert [(u.visit_id, u.reason) for u in plan.unassigned] == [("a", UnassignedReason.TIME_LIMIT)]
    assert "time limit" in plan.unassigned[0].message


def test_insertion_with_a_deadline_passed_tries_nothing():
    """Visits not tried before the deadline are listed apart from those that found no room."""
    day = problem([visit("a", 1), visit("b", 2)], [technician()])
    result = insert(day, screen(day).allowed, {}, ["a", "b"], deadline=time.monotonic() - 1)
    assert result.not_tried == ["a", "b"] and result.unplaced == []


def test_warm_start_is_kept_as_the_floor():
    """Given routes that fit, the first plan keeps them as they are and the
    plan returned serves every visit they served."""
    day = problem([visit("a", 1), visit("b", 5), visit("c", 9)], [technician("t1"), technician("t2", 9)])
    warm = {"t2": ["c", "b"], "t1": ["a"]}
    assert construct(day, screen(day).allowed, warm).routes == warm
    plan = solve(day, 0.5, initial_routes=warm)
    assert validate(day, plan) == []
    assert plan.unassigned == ()


def _with_b(day) -> Plan:
    route = timed_route(day, "t1", ["b"])
    return Plan(
        (route,),
        (Unassigned("a", UnassignedReason.NO_CAPACITY, ""),),
        route.travel_time,
        "ROUTING_SUCCESS",
        SolveStats(wall_time=0.0),
    )


@pytest.mark.parametrize("workers, limit", [(1, 1.5), (2, 2.6)])
def test_a_short_limit_improves_on_the_construction_plan(workers, limit, ortools_search):
    """With OR-Tools' search (days with breaks or a balance term): when the
    limit is short for the day's size (under 2.7 s for 200 visits) the
    search in this process starts from the construction's plan (OR-Tools'
    own first descent takes longer than that), so a short limit ends with a
    plan cheaper than the construction's; with two workers another search
    from OR-Tools' own first plan runs beside it."""
    day = metro_day(200, 30, seed=2)
    assert is_short(day, limit)
    first = construct(day, screen(day).allowed, {})
    assert not first.unplaced and not first.not_tried
    constructed = timed_plan(day, first.routes, []).total_travel_time
    started = time.monotonic()
    plan = solve(day, limit, workers=workers)
    assert time.monotonic() - started <= limit + 1.0
    assert validate(day, plan) == []
    assert not plan.unassigned
    assert plan.total_travel_time < constructed
    if workers == 1:
        assert plan.stats.phases[:3] == ("construction", "the construction's plan", "GUIDED_LOCAL_SEARCH")
    else:
        assert "best of 2 searches side by side" in plan.stats.phases
