"""validate() catches a hand-broken plan of every kind, from the data alone."""

from dataclasses import replace

import pytest
from dispatch_worlds import problem, technician, visit

from dispatch.engine import (
    Break,
    InvalidPlanError,
    Lab,
    LabDrop,
    Plan,
    Route,
    ScheduledBreak,
    Stop,
    TimeWindow,
    Unassigned,
    UnassignedReason,
    ensure_valid,
    validate,
)


@pytest.fixture
def world():
    """t1 at 0 (skill x, 2 visits, capacity 3, a break in [50, 100]); t2 at 9;
    a lab at 0 with cutoff 200; c is pinned to t2; d is left unassigned."""
    return problem(
        [
            visit("a", 1, start=0, end=100, demand=1, required_skills=frozenset({"x"})),
            visit("b", 2, start=30, end=60, demand=1),
            visit("c", 8, pinned_technician="t2"),
            visit("d", 1, demand=2),
        ],
        [
            technician(
                "t1",
                0,
                skills=frozenset({"x"}),
                max_visits=2,
                capacity=3,
                breaks=(Break(TimeWindow(50, 100), 10),),
            ),
            technician("t2", 9),
        ],
        labs=(Lab("lab", 0, 200),),
    )


@pytest.fixture
def plan():
    """A valid plan for ``world``, checked by hand."""
    t1 = Route(
        "t1",
        (Stop("a", 10, 10, 15), Stop("b", 25, 30, 35)),
        start_time=0,
        end_time=55,
        travel_time=40,
        distance=40,
        lab_drop=LabDrop("lab", 55),
        breaks=(ScheduledBreak(60, 70),),
    )
    t2 = Route(
        "t2",
        (Stop("c", 10, 10, 15),),
        start_time=0,
        end_time=185,
        travel_time=180,
        distance=180,
        lab_drop=LabDrop("lab", 95),
    )
    unassigned = (Unassigned("d", UnassignedReason.NO_CAPACITY, "full"),)
    return Plan((t1, t2), unassigned, objective=220, status="ROUTING_SUCCESS")


def with_route(plan, route):
    return replace(
        plan, routes=tuple(route if r.technician_id == route.technician_id else r for r in plan.routes)
    )


def kinds(world, plan):
    return {v.kind for v in validate(world, plan)}


def test_hand_checked_plan_is_valid(world, plan):
    """The reference plan breaks nothing."""
    assert validate(world, plan) == []
    assert ensure_valid(world, plan) is plan


def test_service_outside_its_window_is_caught(world, plan):
    """b may only start in [30, 60]."""
    t1 = plan.route_of("t1")
    late = replace(t1, stops=(t1.stops[0], Stop("b", 25, 61, 66)), lab_drop=LabDrop("lab", 86), end_time=86)
    assert "time_window" in kinds(world, with_route(plan, late))


def test_too_little_travel_time_is_caught(world, plan):
    """a is 10 units from the start: service cannot begin at 5."""
    t1 = plan.route_of("t1")
    early = replace(t1, stops=(Stop("a", 5, 5, 10), t1.stops[1]))
    assert "travel" in kinds(world, with_route(plan, early))


def test_wrong_departure_is_caught(world, plan):
    """Departure is start of service plus the service duration."""
    t1 = plan.route_of("t1")
    short = replace(t1, stops=(Stop("a", 10, 10, 12), t1.stops[1]))
    assert "service" in kinds(world, with_route(plan, short))


def test_ending_after_the_shift_is_caught(world, plan):
    """t1's shift ends at 1000."""
    assert "shift" in kinds(world, with_route(plan, replace(plan.route_of("t1"), end_time=1001)))


def test_leaving_before_the_shift_is_caught(world, plan):
    """t2 may not leave before its shift starts."""
    shifted = replace(world, technicians=(world.technicians[0], technician("t2", 9, start=5)))
    assert "shift" in kinds(shifted, plan)


def test_missing_skill_is_caught(world, plan):
    """a needs skill x, which t2 lacks."""
    t1, t2 = plan.routes
    broken = replace(
        plan, routes=(replace(t1, stops=t1.stops[1:]), replace(t2, stops=(Stop("a", 80, 80, 85),) + t2.stops))
    )
    assert "skill" in kinds(world, broken)


def test_broken_pin_is_caught(world, plan):
    """c is pinned to t2."""
    t1, t2 = plan.routes
    moved = replace(plan, routes=(replace(t1, stops=t1.stops + (Stop("c", 95, 95, 100),)), t2))
    assert "pin" in kinds(world, moved)


def test_too_many_visits_and_too_much_load_are_caught(world, plan):
    """t1 may do two visits carrying at most 3; adding d makes three visits and a load of 4."""
    t1 = plan.route_of("t1")
    crowded = with_route(plan, replace(t1, stops=t1.stops + (Stop("d", 45, 45, 50),)))
    crowded = replace(crowded, unassigned=())
    assert {"max_visits", "capacity"} <= kinds(world, crowded)


def test_lab_after_cutoff_is_caught(world, plan):
    """The lab closes at 200."""
    t2 = plan.route_of("t2")
    late = replace(t2, lab_drop=LabDrop("lab", 201), end_time=291)
    assert "lab" in kinds(world, with_route(plan, late))


def test_missing_lab_drop_is_caught(world, plan):
    """With labs, a route with visits must end at one."""
    assert "lab" in kinds(world, with_route(plan, replace(plan.route_of("t2"), lab_drop=None)))


def test_visit_twice_is_caught(world, plan):
    """A visit both routed and unassigned counts twice."""
    twice = replace(plan, unassigned=plan.unassigned + (Unassigned("a", UnassignedReason.NO_SKILL, "x"),))
    assert "duplicate_visit" in kinds(world, twice)


def test_forgotten_visit_is_caught(world, plan):
    """Every visit is either routed or unassigned."""
    assert "missing_visit" in kinds(world, replace(plan, unassigned=()))


def test_unknown_ids_are_caught(world, plan):
    """Visits and technicians must exist in the problem."""
    ghost = Route("ghost", (), 0, 0, 0, 0)
    broken = replace(
        plan,
        routes=plan.routes + (ghost,),
        unassigned=plan.unassigned + (Unassigned("zz", UnassignedReason.NO_SKILL, "x"),),
    )
    assert {"unknown_technician", "unknown_visit"} <= kinds(world, broken)


def test_two_routes_for_one_technician_are_caught(world, plan):
    """A technician drives one route."""
    empty = Route("t2", (), 0, 0, 0, 0)
    assert "duplicate_route" in kinds(world, replace(plan, routes=plan.routes + (empty,)))


@pytest.mark.parametrize(
    "breaks",
    [(), (ScheduledBreak(30, 40),), (ScheduledBreak(20, 30),), (ScheduledBreak(60, 65),)],
    ids=["missing", "during-service", "outside-window", "too-short"],
)
def test_bad_breaks_are_caught(world, plan, breaks):
    """The break is taken once, for its full duration, in its window, never during service."""
    assert "break" in kinds(world, with_route(plan, replace(plan.route_of("t1"), breaks=breaks)))


def test_break_cannot_double_as_travel(world, plan):
    """A break between a and b leaves too little time to drive to b."""
    t1 = plan.route_of("t1")
    squeezed = replace(
        t1, stops=(Stop("a", 10, 10, 15), Stop("b", 25, 30, 35)), breaks=(ScheduledBreak(15, 25),)
    )
    late_window = replace(
        world,
        technicians=(
            replace(world.technicians[0], breaks=(Break(TimeWindow(10, 100), 10),)),
            world.technicians[1],
        ),
    )
    assert "travel" in kinds(late_window, with_route(plan, squeezed))


def test_wrong_travel_totals_are_caught(world, plan):
    """Reported travel and distance must match the matrix."""
    assert "accounting" in kinds(world, with_route(plan, replace(plan.route_of("t1"), travel_time=1)))


def test_ensure_valid_raises_with_the_violations(world, plan):
    """A broken plan is an error, not a plan."""
    with pytest.raises(InvalidPlanError, match="missing_visit") as caught:
        ensure_valid(world, replace(plan, unassigned=()))
    assert caught.value.violations[0].kind == "missing_visit"
