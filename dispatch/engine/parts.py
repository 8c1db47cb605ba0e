"""Parts of a large day as small problems, solved side by side.

A part keeps only the rows of the travel matrix it needs (its visits, its
technicians' start and end locations, the labs), so it is cheap to build and
to send to another process; its routes name visits and technicians by id, so
they fit straight back into the whole day's plan.

Parts are solved in worker processes when more than one core is available
(``forkserver``: a clean process that imported the engine once, so forking
it is safe even from a threaded web or job server), else in this process.
Every part is given an absolute deadline on the system-wide monotonic clock,
so a part that waited in the queue never runs past the whole solve's limit.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import replace

import numpy as np

from dispatch.engine.problem import DispatchProblem, TravelMatrix
from dispatch.engine.search import SearchStrategy

# A part needs at least this long to build its model and find a first plan.
MIN_PART_LIMIT = 0.25


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def part_problem(
    problem: DispatchProblem, visit_ids, technician_ids, durations: np.ndarray, distances: np.ndarray | None
) -> DispatchProblem:
    """The sub-problem of ``visit_ids`` served by ``technician_ids``, on a
    travel matrix reduced to the locations it uses."""
    visits = [v for v in problem.visits if v.id in visit_ids]
    technicians = [t for t in problem.technicians if t.id in technician_ids]
    used = sorted(
        {v.location for v in visits}
        | {t.start_location for t in technicians}
        | {t.end_location for t in technicians if t.end_location is not None}
        | {lab.location for lab in problem.labs}
    )
    local = {location: number for number, location in enumerate(used)}
    rows = np.asarray(used)
    matrix = TravelMatrix(
        durations=durations[np.ix_(rows, rows)].tolist(),
        distances=None if distances is None else distances[np.ix_(rows, rows)].tolist(),
    )
    return DispatchProblem(
        visits=tuple(replace(v, location=local[v.location]) for v in visits),
        technicians=tuple(
            replace(
                t,
                start_location=local[t.start_location],
                end_location=None if t.end_location is None else local[t.end_location],
            )
            for t in technicians
        ),
        matrix=matrix,
        labs=tuple(replace(lab, location=local[lab.location]) for lab in problem.labs),
        cost=problem.cost,
        balance_coefficient=0,
    )


def solve_part(
    problem: DispatchProblem,
    deadline: float,
    budget: float,
    seed: int,
    strategy: SearchStrategy,
    initial_routes: dict[str, list[str]] | None = None,
):
    """Solve one part within ``budget`` seconds and before ``deadline``
    (``time.monotonic()``); ``None`` when no time is left for it."""
    from dispatch.engine.solver import solve  # the solver imports this module

    limit = min(budget, deadline - time.monotonic())
    if limit < MIN_PART_LIMIT:
        return None
    return solve(
        problem, time_limit=limit, seed=seed, initial_routes=initial_routes, strategy=strategy, workers=1
    )


class InlineExecutor(Executor):
    """Runs each job in this process when it is submitted."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # handed to the caller through the future
            future.set_exception(error)
        return future


def part_executor(workers: int) -> Executor:
    """Worker processes for ``workers`` > 1, else this process."""
    return InlineExecutor() if workers <= 1 else process_pool(workers)


def process_pool(workers: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["dispatch.engine.solver", "dispatch.engine.preload"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)
