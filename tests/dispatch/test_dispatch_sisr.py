"""Ruin and recreate (:mod:`dispatch.engine.sisr`): the search of days
without breaks or a balance term.

Its compiled timing must be the engine's one timing rule, every plan it
returns must pass the validator with every rule in play (pins, skills,
capacity, maximum visits, several windows, several labs, end locations),
it must never give up a visit of a higher priority, and through ``solve``
it must beat the construction's plan within the limit.
"""

import random
import time

import numpy as np
import pytest
from dispatch_worlds import metro_day, problem, technician, visit

from dispatch.engine import (
    Break,
    DispatchProblem,
    Lab,
    Technician,
    TimeWindow,
    TravelMatrix,
    Visit,
    sisr,
    solve,
    validate,
)
from dispatch.engine.construction import construct
from dispatch.engine.screening import screen
from dispatch.engine.timing import fits, timed_plan


def mixed_day(seed: int, visits: int = 60, technicians: int = 6) -> DispatchProblem:
    """Every rule the search models at once, drawn at random."""
    rng = random.Random(seed)
    points = [(rng.randint(0, 100), rng.randint(0, 100)) for _ in range(visits + technicians + 2)]
    matrix = TravelMatrix(
        [[int(((ax - bx) ** 2 + (ay - by) ** 2) ** 0.5 * 10) for bx, by in points] for ax, ay in points]
    )
    day = []
    for i in range(visits):
        start = rng.randint(0, 6000)
        windows = [TimeWindow(start, start + rng.randint(300, 1500))]
        if rng.random() < 0.3:
            later = windows[0].end + rng.randint(200, 2000)
            windows.append(TimeWindow(later, later + rng.randint(300, 1500)))
        day.append(
            Visit(
                f"v{i}",
                i,
                tuple(windows),
                rng.randint(50, 150),
                required_skills={"x"} if rng.random() < 0.15 else frozenset(),
                priority=2 if rng.random() < 0.2 else 1,
                pinned_technician=f"t{rng.randrange(technicians)}" if rng.random() < 0.1 else None,
                demand=rng.randint(0, 4),
            )
        )
    crew = [
        Technician(
            f"t{k}",
            visits + k,
            TimeWindow(rng.randint(0, 500), rng.randint(7000, 9000)),
            end_location=visits + k if k % 2 else None,
            skills={"x"} if k % 3 == 0 else frozenset(),
            max_visits=rng.randint(6, 12),
            capacity=rng.randint(15, 30),
        )
        for k in range(technicians)
    ]
    labs = (Lab("north", visits + technicians, 8500), Lab("south", visits + technicians + 1, 9000))
    return DispatchProblem(tuple(day), tuple(crew), matrix, labs)


def one_route(day: DispatchProblem, k: int, order: list[int]) -> tuple:
    """The kernels' arrays with ``order`` (visit numbers) as technician ``k``'s route."""
    state = sisr._new_state(len(day.visits), len(day.technicians), 31)
    state[0][k, : len(order)] = order
    state[1][k] = len(order)
    return state


def test_the_compiled_timing_is_the_engines_timing_rule():
    """Random orders on the mixed days: the kernel's feasibility is
    :func:`fits` and, where feasible, its cost is the timed route's."""
    assert sisr.ready()
    checked = 0
    for seed in range(4):
        day = mixed_day(seed, visits=30, technicians=3)
        allowed = {v.id: [t.id for t in day.technicians] for v in day.visits}
        arrays = sisr._Arrays(day, allowed)
        rng = random.Random(seed)
        for _ in range(200):
            k = rng.randrange(len(day.technicians))
            tech = day.technicians[k]
            order = rng.sample(range(len(day.visits)), rng.randint(1, 7))
            state = one_route(day, k, order)
            ids = [day.visits[i].id for i in order]
            feasible = fits(day, tech, ids)
            assert sisr._evaluate(arrays.data, state, k) == feasible
            if feasible:
                checked += 1
                assert state[3][k] == timed_plan(day, {tech.id: ids}, []).total_travel_time
    assert checked > 50


def test_the_quick_insertion_check_is_the_timing_rule():
    """Whether a visit fits before a stop is first answered from each stop's
    latest start (Savelsbergh's push-forward slack); on the mixed days, with
    several windows, two labs and end locations, the answer must be exactly
    :func:`fits` of the route with the visit in that place (room for it
    aside, which the search checks on its own)."""
    assert sisr.ready()
    checked = {True: 0, False: 0}
    for seed in range(4):
        day = mixed_day(seed, visits=30, technicians=3)
        allowed = {v.id: [t.id for t in day.technicians] for v in day.visits}
        arrays = sisr._Arrays(day, allowed)
        rng = random.Random(100 + seed)
        for _ in range(400):
            k = rng.randrange(len(day.technicians))
            tech = day.technicians[k]
            order = rng.sample(range(len(day.visits)), rng.randint(1, 6))
            *order, extra = order
            state = one_route(day, k, order)
            ids = [day.visits[i].id for i in order]
            if not sisr._evaluate(arrays.data, state, k):
                continue
            place = rng.randint(0, len(order))
            longer = [*ids[:place], day.visits[extra].id, *ids[place:]]
            if sum(day.visit(v).demand for v in longer) > tech.capacity or len(longer) > tech.max_visits:
                continue
            answer = sisr._can_insert(arrays.data, state, k, place, extra)
            assert answer == fits(day, tech, longer), (seed, ids, place, day.visits[extra].id)
            checked[answer] += 1
    assert min(checked.values()) > 50


@pytest.mark.parametrize("seed, searches", [(1, 1), (2, 2), (3, 1), (4, 2)])
def test_every_rule_holds_on_a_mixed_day(seed, searches):
    """One chain, or two in threads trading their best plans."""
    day = mixed_day(seed)
    screening = screen(day)
    first = construct(day, screening.allowed)
    before = timed_plan(day, first.routes, []).total_travel_time
    routes, figures = sisr.improve(
        day, screening.allowed, first.routes, time.monotonic() + 1.0, seed=seed, searches=searches
    )
    assert figures["searches"] == searches
    served = {v for ids in routes.values() for v in ids}
    left = [v for v in screening.allowed if v not in served]
    plan = timed_plan(day, routes, [])
    from dispatch.engine.solver import _not_placed

    plan = plan.__class__(
        plan.routes, (*screening.unassigned, *map(_not_placed, left)), plan.objective, plan.status
    )
    assert validate(day, plan) == []
    assert figures["iterations"] > 100
    high = {v.id for v in day.visits if v.priority == 2 and v.id in screening.allowed}
    was_served = {v for ids in first.routes.values() for v in ids}
    assert high & was_served <= served
    assert len(served) >= len(was_served)
    if len(served) == len(was_served):
        assert plan.total_travel_time <= before


def chain_of(day: DispatchProblem, allowed, routes) -> tuple[tuple, "sisr._Chain"]:
    """The kernels' data for ``day`` and a chain at ``routes``."""
    arrays = sisr._Arrays(day, allowed)
    index = {v.id: i for i, v in enumerate(day.visits)}
    start = sisr._new_state(len(day.visits), len(day.technicians), arrays.capacity + 1)
    for k, tech in enumerate(day.technicians):
        ids = routes.get(tech.id, [])
        start[0][k, : len(ids)] = [index[v] for v in ids]
        start[1][k] = len(ids)
    return arrays.data, sisr._Chain(arrays.data, start[0], start[1])


def routes_of(day: DispatchProblem, chain) -> dict[str, list[str]]:
    R, rlen = chain.s[0], chain.s[1]
    return {
        t.id: [day.visits[i].id for i in R[k, : rlen[k]]] for k, t in enumerate(day.technicians) if rlen[k]
    }


def test_tail_exchanges_swap_whole_days_between_technicians():
    """Each technician was given the cluster by the other's home; exchanging
    whole days (2-opt* at the first stop) is the move that fixes it."""
    day = problem(
        [visit("a1", 1), visit("a2", 2), visit("b1", 18), visit("b2", 19)],
        [technician("A", 0, end_location=10), technician("B", 20, end_location=10)],
        size=21,
    )
    allowed = {v.id: ["A", "B"] for v in day.visits}
    d, chain = chain_of(day, allowed, {"A": ["b1", "b2"], "B": ["a1", "a2"]})
    assert chain.state[0] == 560
    assert sisr._exchange_tails(d, chain.s, chain.best_routes, chain.best_len, chain.state, 3) >= 1
    assert routes_of(day, chain) == {"A": ["a1", "a2"], "B": ["b1", "b2"]}
    assert (
        chain.state[0]
        == chain.state[2]
        == 220
        == timed_plan(day, routes_of(day, chain), []).total_travel_time
    )


def test_tail_exchanges_keep_every_rule_and_every_visit():
    """From the construction's plan of the mixed days (pins, skills,
    capacity, maximum visits, several windows, two labs): fewer or equal
    costs, the same visits, a plan the validator accepts."""
    for seed in range(1, 5):
        day = mixed_day(seed)
        screening = screen(day)
        first = construct(day, screening.allowed)
        d, chain = chain_of(day, screening.allowed, first.routes)
        before = int(chain.state[0])
        sisr._exchange_tails(d, chain.s, chain.best_routes, chain.best_len, chain.state, 5)
        routes = routes_of(day, chain)
        assert sorted(v for ids in routes.values() for v in ids) == sorted(
            v for ids in first.routes.values() for v in ids
        )
        assert chain.state[0] <= before
        assert chain.state[0] == sum(int(chain.s[3][k]) for k in range(len(day.technicians)))
        unplaced = [v for v in screening.allowed if v not in {x for ids in routes.values() for x in ids}]
        from dispatch.engine.solver import _not_placed

        plan = timed_plan(day, routes, [*screening.unassigned, *map(_not_placed, unplaced)])
        assert validate(day, plan) == []


def test_a_chain_behind_carries_on_from_the_best_plan_and_the_leader_posts_its_own():
    day = mixed_day(5)
    screening = screen(day)
    first = construct(day, screening.allowed)
    d, leader = chain_of(day, screening.allowed, first.routes)
    _, behind = chain_of(day, screening.allowed, first.routes)
    assert leader.valid and behind.valid
    board = sisr._Board(leader)
    sisr._seed(5)
    sisr._iterate(d, leader.s, leader.b, leader.best_routes, leader.best_len, leader.state, 2000, 1.0, 1.0)
    assert leader.key() < behind.key()

    board.trade(d, leader)  # the leader posts its best and carries on
    assert board.key == leader.key() and board.shared == 0
    board.trade(d, behind)  # the chain behind carries on from it
    assert behind.key() == leader.key() and board.shared == 1
    assert (behind.s[1] == leader.best_len).all()
    for k in range(len(day.technicians)):
        count = leader.best_len[k]
        assert (behind.s[0][k, :count] == leader.best_routes[k, :count]).all()
        assert sisr._evaluate(d, behind.s, k)
    assert behind.state[0] == leader.state[2]


def _added_cost(d, state, r, p, c) -> int:
    """The insertion's estimate of what visit ``c`` before position ``p``
    of route ``r`` adds (the last leg through the cheapest lab)."""
    cst, vloc, tloc, fcost = d[1], d[2], d[10], d[19]
    R, rlen = state[0], state[1]
    cl = vloc[c]
    a = tloc[r] if p == 0 else vloc[R[r, p - 1]]
    if p < rlen[r]:
        nxt = vloc[R[r, p]]
        return int(cst[a, cl] + cst[cl, nxt] - cst[a, nxt])
    return int(cst[a, cl] + fcost[r, cl] - (fcost[r, a] if rlen[r] else 0))


def _recreate_one(d, chain, c, reach: int):
    """Put visit ``c`` back with nothing blinked, on the routes serving one
    of its ``reach`` nearest visits; return its route and place."""
    d = list(d)
    d[23] = d[23].copy()
    d[23][2], d[23][4] = 0.0, reach
    m = chain.s[1].shape[0]
    touched, order = np.zeros(m, dtype=np.bool_), np.empty(m, dtype=np.int64)
    sisr._recreate(tuple(d), chain.s, chain.b, touched, order, 0, np.array([c]), 1)
    return int(chain.s[5][c]), int(chain.s[6][c])


def test_insertion_takes_the_cheapest_place_that_fits():
    """Insertion reaching every route must take the place of least added
    cost among every place the timing rule (:func:`fits`), the
    technician's skills, room and load allow (blinks aside)."""
    compared = 0
    for seed in range(1, 4):
        day = mixed_day(seed, visits=40, technicians=5)
        screening = screen(day)
        first = construct(day, screening.allowed)
        served = [v for ids in first.routes.values() for v in ids]
        rng = random.Random(seed)
        for visit_id in rng.sample(served, 8):
            routes = {t: [v for v in ids if v != visit_id] for t, ids in first.routes.items()}
            d, chain = chain_of(day, screening.allowed, routes)
            c = next(i for i, v in enumerate(day.visits) if v.id == visit_id)
            costs = []
            for k, tech in enumerate(day.technicians):
                ids = routes.get(tech.id, [])
                load = sum(day.visit(v).demand for v in ids) + day.visits[c].demand
                if tech.id not in screening.allowed[visit_id] or len(ids) >= tech.max_visits:
                    continue
                if load > tech.capacity:
                    continue
                for p in range(len(ids) + 1):
                    if fits(day, tech, [*ids[:p], visit_id, *ids[p:]]):
                        costs.append(_added_cost(d, chain.s, k, p, c))
            r, p = _recreate_one(d, chain, c, len(day.visits))
            if not costs:
                assert r == -1
                continue
            assert r >= 0
            # Where it went, the route is as before with the visit at ``p``.
            assert int(chain.s[0][r, p]) == c
            before = routes.get(day.technicians[r].id, [])
            assert len(before) + 1 == chain.s[1][r]
            _, fresh = chain_of(day, screening.allowed, routes)
            assert _added_cost(d, fresh.s, r, p, c) == min(costs)
            compared += 1
    assert compared >= 20


def test_a_visit_of_a_higher_priority_is_never_given_up():
    """The technician has room for two visits: the start serves the two
    cheap low-priority ones; the search must take the far urgent one
    instead, whatever it costs."""
    day = problem(
        [visit("near1", 1), visit("near2", 2), visit("urgent", 9, priority=2)],
        [technician(max_visits=2, end=1000)],
    )
    allowed = {v.id: ["t1"] for v in day.visits}
    routes, _ = sisr.improve(day, allowed, {"t1": ["near1", "near2"]}, time.monotonic() + 0.2)
    assert "urgent" in routes["t1"] and len(routes["t1"]) == 2


@pytest.mark.parametrize("workers, limit", [(1, 1.5), (2, 3.0)])
def test_solve_beats_the_construction_within_the_limit(workers, limit):
    day = metro_day(200, 30, seed=2)
    first = construct(day, screen(day).allowed)
    constructed = timed_plan(day, first.routes, []).total_travel_time
    started = time.monotonic()
    plan = solve(day, limit, workers=workers)
    assert time.monotonic() - started <= limit + 1.0
    assert validate(day, plan) == []
    assert not plan.unassigned
    assert plan.status == "SISR_SUCCESS"
    assert any(phase.startswith("SISR") for phase in plan.stats.phases)
    assert plan.total_travel_time < 0.95 * constructed
    if workers == 2:
        assert any("2 chains sharing their best plan" in phase for phase in plan.stats.phases)


def test_breaks_or_a_balance_term_leave_the_search_to_or_tools(line_problem):
    with_break = problem(
        [visit("a", 1), visit("b", 2)],
        [technician(end=1000, breaks=(Break(TimeWindow(100, 300), 30),))],
    )
    balanced = problem([visit("a", 1), visit("b", 2)], [technician()], balance_coefficient=1)
    assert sisr.supports(line_problem)
    for day in (with_break, balanced):
        assert not sisr.supports(day)
        plan = solve(day, 0.5)
        assert validate(day, plan) == []
        assert plan.status != "SISR_SUCCESS"
        assert not any(phase.startswith("SISR") for phase in plan.stats.phases)
