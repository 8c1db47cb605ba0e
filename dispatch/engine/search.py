"""How the OR-Tools search is run within a wall-clock budget.

The default, measured on the Solomon / Gehring-Homberger benchmark (see
``docs/dispatch.md``): parallel cheapest insertion for the first plan (path
cheapest arc finds none on tight windows), then OR-Tools' iterated local
search — SISR ruin of about 20 visits, cheapest-insertion recreate, a greedy
descent after each perturbation, simulated-annealing acceptance — for the rest
of the time, with the heavy large-neighbourhood operators left out of the
descent so that many more iterations fit. At equal time it beat guided local
search by a wide margin. A warm start cannot enter OR-Tools' ILS from Python,
so it is improved by guided local search instead. Every phase gets an
explicit limit taken from one :class:`Clock` (GLS never stops by itself).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util.optional_boolean_pb2 import BOOL_FALSE

from dispatch.engine.routing import RoutingModel
from dispatch.engine.timing import fits

FirstSolution = routing_enums_pb2.FirstSolutionStrategy
Metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic
SearchStatus = routing_enums_pb2.RoutingSearchStatus


class Clock:
    """Wall time since the solve started, against its limit."""

    def __init__(self, limit: float, started: float | None = None):
        self.limit = limit
        self.started = time.monotonic() if started is None else started

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def remaining(self) -> float:
        return self.limit - self.elapsed()


@dataclass(frozen=True)
class SearchStrategy:
    """Knobs of the search; the defaults are what the benchmark supports.

    ``first_solution``, ``metaheuristic`` and ``recreate`` are OR-Tools enum
    names. With ``iterated_local_search`` the metaheuristic is the descent
    after each ruin (``GREEDY_DESCENT``); ``ruin_visits`` and
    ``ruin_sequence`` size the SISR ruin. ``neighbors`` > 0 restricts the
    first-solution insertion and local-search moves to that many nearest
    nodes (fast on large days, harmful inside the ILS). ``light_operators``
    drops the heavy large-neighbourhood operators from the descent.
    ``first_plan_only`` stops at the first plan. ``from_first_plan`` (when
    the caller gives no warm start) skips OR-Tools' own first plan and
    improves the engine's construction (:mod:`dispatch.engine.construction`)
    by guided local search instead. ``initial_temperature`` and
    ``final_temperature`` (cost units, seconds of drive) apply when
    ``automatic_temperatures`` is off; ``improve_perturbed`` runs the descent
    after each ruin and recreate (without it, about ten times more
    iterations fit, and realistic days came out 2-4 % worse).
    """

    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: str = "GREEDY_DESCENT"
    gls_lambda: float = 0.1
    iterated_local_search: bool = True
    ruin_visits: int = 20
    ruin_sequence: int = 10
    recreate: str = "LOCAL_CHEAPEST_INSERTION"
    automatic_temperatures: bool = True
    initial_temperature: float = 100.0
    final_temperature: float = 0.01
    improve_perturbed: bool = True
    neighbors: int = 0
    light_operators: bool = True
    first_plan_only: bool = False
    from_first_plan: bool = False

    def __post_init__(self) -> None:
        if self.first_solution not in FirstSolution.Value.keys():
            raise ValueError(f"first_solution {self.first_solution!r} not understood.")
        if self.metaheuristic not in Metaheuristic.Value.keys():
            raise ValueError(f"metaheuristic {self.metaheuristic!r} not understood.")


def starting_strategy(problem, **changes) -> SearchStrategy:
    """The default search for ``problem``, with ``changes``: how the first plan is
    built depends on where the technicians start.

    When every technician starts from one place (a depot, as in the DIMACS
    sets), parallel cheapest insertion grows all routes from it at once and
    gave the best ILS runs there. When technicians start from their own homes
    (the product's days), it was far worse than local cheapest insertion,
    which places each visit where it costs least on the routes as they are:
    on generated metro days (``benchmarks/days.py``, 300 visits, 10 s, one
    process, four cities) 1.080 x PyVRP's drive against 1.045, and on 120
    visits at 2 s, 1.48 x (the search found nothing better than the
    construction) against 1.05 x. On Solomon instances the order was the
    reverse (2.10 % against 2.69 % mean gap on six hard ones at 10 s).
    """
    shared_start = len({t.start_location for t in problem.technicians}) <= 1
    first = "PARALLEL_CHEAPEST_INSERTION" if shared_start else "LOCAL_CHEAPEST_INSERTION"
    return replace(SearchStrategy(first_solution=first), **changes)


# Below this limit a search on 300 visits improves the construction's plan
# rather than building its own: OR-Tools' first descent from its own first
# plan takes about 3.5 s there, so a shorter search ends inside it. The
# descent weighs moves between pairs of visits, so the limit grows with the
# square of the day's size (measured crossovers: below 1 s at 120 visits,
# 2-4 s at 200, 5-10 s at 300).
SHORT_SEARCH_SECONDS = 6.0
SHORT_SEARCH_VISITS = 300


def is_short(problem, time_limit: float) -> bool:
    """Is ``time_limit`` too short for the iterated local search on ``problem``?"""
    scale = (len(problem.visits) / SHORT_SEARCH_VISITS) ** 2
    return time_limit < SHORT_SEARCH_SECONDS * scale


def single_search(problem, time_limit: float) -> SearchStrategy:
    """The one search to run in ``time_limit`` seconds (one worker).

    Guided local search from the construction's plan reaches a good plan
    sooner; the iterated local search from OR-Tools' own first plan gets
    further given time. Mean ratio of drive to PyVRP's at the same limit on
    generated metro days (four cities, one process), iterated local search
    against guided local search from the construction: 300 visits at
    1 / 3 / 5 / 10 s 1.225 / 1.063 / 1.059 / 1.042 against
    1.153 / 1.041 / 1.054 / 1.069; 200 visits at 2 / 4 s 1.089 / 1.047
    against 1.074 / 1.086; 120 visits at 1 / 3 s 1.053 / 1.027 against
    1.094 / 1.081. On Solomon's 100 customers at 3 s the guided search was
    worse too (3.03 % mean gap on eight hard ones against 2.34 %).
    """
    return starting_strategy(problem, from_first_plan=is_short(problem, time_limit))


def quick_part(problem) -> SearchStrategy:
    """A part of a large day when time is nearly out: its first plan only."""
    return starting_strategy(problem, iterated_local_search=False, first_plan_only=True)


@dataclass
class SearchOutcome:
    assignment: object | None
    status: str
    first_solution_time: float | None = None
    first_complete_time: float | None = None
    phases: list[str] = field(default_factory=list)


def _reserve(model: RoutingModel) -> float:
    """Time kept back for reading and validating the plan."""
    return 0.1 + 0.0005 * len(model.visits)


def _parameters(strategy: SearchStrategy, seconds: float):
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = FirstSolution.Value.Value(strategy.first_solution)
    params.local_search_metaheuristic = Metaheuristic.Value.Value(strategy.metaheuristic)
    params.guided_local_search_lambda_coefficient = strategy.gls_lambda
    params.time_limit.FromMilliseconds(max(1, int(seconds * 1000)))
    if strategy.neighbors:
        # Local search moves only towards the nearest visits: on large days
        # the full neighbourhood makes every iteration too slow.
        params.ls_operator_neighbors_ratio = 1e-9
        params.ls_operator_min_neighbors = strategy.neighbors
        insertion = params.global_cheapest_insertion_first_solution_parameters
        insertion.neighbors_ratio = 1e-9
        insertion.min_neighbors = strategy.neighbors
    if strategy.light_operators:
        _drop_heavy_operators(params)
    if strategy.iterated_local_search:
        _ruin_and_recreate(params, strategy)
    if strategy.first_plan_only:
        params.solution_limit = 1
    return params


HEAVY_OPERATORS = (
    "use_global_cheapest_insertion_path_lns",
    "use_local_cheapest_insertion_path_lns",
    "use_relocate_path_global_cheapest_insertion_insert_unperformed",
    "use_global_cheapest_insertion_visit_types_lns",
    "use_local_cheapest_insertion_visit_types_lns",
    "use_lin_kernighan",
    "use_shortest_path_swap_active",
    "use_shortest_path_two_opt",
    "use_swap_active_chain",
)


def _drop_heavy_operators(params) -> None:
    """Leave out the large-neighbourhood operators: each descent after a ruin
    gets much cheaper, so the ILS runs many more iterations."""
    for name in HEAVY_OPERATORS:
        setattr(params.local_search_operators, name, BOOL_FALSE)


def _ruin_and_recreate(params, strategy: SearchStrategy) -> None:
    """OR-Tools' iterated local search: SISR ruin (remove a few nearby strings
    of visits), cheapest-insertion recreate, simulated-annealing acceptance."""
    params.use_iterated_local_search = True
    ils = params.iterated_local_search_parameters
    recreate = ils.ruin_recreate_parameters
    del recreate.ruin_strategies[:]
    sisr = recreate.ruin_strategies.add().sisr
    sisr.max_removed_sequence_size = strategy.ruin_sequence
    sisr.avg_num_removed_visits = strategy.ruin_visits
    sisr.bypass_factor = 0.01
    recreate.recreate_strategy.heuristic = FirstSolution.Value.Value(strategy.recreate)
    ils.improve_perturbed_solution = strategy.improve_perturbed
    annealing = ils.reference_solution_acceptance_strategy.simulated_annealing
    annealing.automatic_temperatures = strategy.automatic_temperatures
    if not strategy.automatic_temperatures:
        annealing.initial_temperature = strategy.initial_temperature
        annealing.final_temperature = strategy.final_temperature


def run_search(
    model: RoutingModel,
    clock: Clock,
    seed: int,
    warm: dict[str, list[str]],
    strategy: SearchStrategy,
    warm_label: str = "warm start",
) -> SearchOutcome:
    routing = model.routing
    first: list[float] = []
    complete: list[float] = []

    def on_solution() -> None:
        if not first:
            first.append(clock.elapsed())
        if not complete and routing.CostVar().Value() < model.complete_below:
            complete.append(clock.elapsed())

    routing.AddAtSolutionCallback(on_solution)
    routing.solver().ReSeed(seed)
    budget = clock.remaining() - _reserve(model)
    params = _parameters(strategy, budget)
    routing.CloseModelWithParameters(params)
    initial = _warm_start(model, warm)
    phases = [
        warm_label if initial is not None else strategy.first_solution,
        "ITERATED_LOCAL_SEARCH" if strategy.iterated_local_search else strategy.metaheuristic,
    ]
    if budget <= 0:
        assignment = None
    elif initial is not None:
        # OR-Tools' ILS cannot start from an assignment (no such entry point in
        # Python), so a warm start is improved by guided local search.
        params.local_search_metaheuristic = Metaheuristic.GUIDED_LOCAL_SEARCH
        phases[-1] = "GUIDED_LOCAL_SEARCH"
        assignment = routing.SolveFromAssignmentWithParameters(initial, params)
    elif strategy.iterated_local_search:
        assignment = routing.SolveWithIteratedLocalSearch(params)
    else:
        assignment = routing.SolveWithParameters(params)
    status = SearchStatus.Value.Name(routing.status())
    if status == "ROUTING_NOT_SOLVED" and assignment is not None:
        # The iterated-local-search entry point does not set the status.
        status = "ROUTING_SUCCESS"
    if assignment is None:
        assignment = initial
        phases.append("no solution found; falling back to the warm start" if initial else "no solution found")
    return SearchOutcome(
        assignment, status, first[0] if first else None, complete[0] if complete else None, phases
    )


def _warm_start(model: RoutingModel, warm: dict[str, list[str]]):
    """An assignment from the caller's routes, or ``None``.

    Stops a technician may not serve are left out first; if the routes are
    still infeasible, each is cut down to the stops that fit in order.
    """
    if not warm:
        return None
    routes = _allowed_stops(model, warm)
    assignment = model.routing.ReadAssignmentFromRoutes(model.index_routes(routes), True)
    if assignment is None:
        routes = {tech_id: _stops_that_fit(model, tech_id, ids) for tech_id, ids in routes.items()}
        assignment = model.routing.ReadAssignmentFromRoutes(model.index_routes(routes), True)
    return assignment


def _allowed_stops(model: RoutingModel, warm: dict[str, list[str]]) -> dict[str, list[str]]:
    seen: set[str] = set()
    routes: dict[str, list[str]] = {}
    for tech_id, visit_ids in warm.items():
        numbers = model.vehicles_of.get(tech_id)
        if not numbers:
            continue
        kept = []
        for visit_id in visit_ids:
            if visit_id in seen or numbers[0] not in model.allowed.get(visit_id, ()):
                continue
            seen.add(visit_id)
            kept.append(visit_id)
        routes[tech_id] = kept
    return routes


def _stops_that_fit(model: RoutingModel, tech_id: str, visit_ids: list[str]) -> list[str]:
    """The stops, in order, that keep windows, limits, lab cutoff and shift
    (breaks aside: the search places them)."""
    problem = model.problem
    tech = problem.technician(tech_id)
    kept: list[str] = []
    for visit_id in visit_ids:
        if fits(problem, tech, [*kept, visit_id]):
            kept.append(visit_id)
    return kept
