"""PyVRP and VROOM on the same instances, for comparison only.

Both get the same integer-tenths matrix our engine uses, so all three solve
exactly the DIMACS problem. Imports are lazy: these packages are benchmark
dependencies (requirements-dev.txt), never needed by the engine.
"""

from __future__ import annotations

import time

from dispatch.bench.runs import Run
from dispatch.engine.solomon import Instance, distance_matrix


def run_pyvrp(instance: Instance, time_limit: float, seed: int = 0) -> Run:
    import numpy as np
    import pyvrp
    from pyvrp.stop import MaxRuntime

    started = time.monotonic()
    depot, *customers = instance.customers
    matrix = np.array(distance_matrix(instance), dtype=np.int64)
    data = pyvrp.ProblemData(
        locations=[pyvrp.Location(c.x, c.y) for c in instance.customers],
        clients=[
            pyvrp.Client(
                location=i,
                delivery=[c.demand],
                service_duration=10 * c.service,
                tw_early=10 * c.ready,
                tw_late=10 * c.due,
            )
            for i, c in enumerate(customers, start=1)
        ],
        depots=[pyvrp.Depot(location=0, tw_early=10 * depot.ready, tw_late=10 * depot.due)],
        vehicle_types=[
            pyvrp.VehicleType(
                num_available=instance.vehicles,
                capacity=[instance.capacity],
                tw_early=10 * depot.ready,
                tw_late=10 * depot.due,
            )
        ],
        distance_matrices=[matrix],
        duration_matrices=[matrix],
    )
    result = pyvrp.solve(data, stop=MaxRuntime(time_limit), seed=seed, display=False)
    wall = time.monotonic() - started
    routes = [
        [customers[activity.idx].number for activity in route if activity.is_client()]
        for route in result.best.routes()
    ]
    return Run("pyvrp", routes, wall)


def run_vroom(instance: Instance, time_limit: float | None = None, seed: int = 0) -> Run:
    """VROOM with its command-line defaults (exploration level 5) on 2 threads;
    ``time_limit`` caps it only when given."""
    from datetime import timedelta

    import numpy as np
    import vroom

    started = time.monotonic()
    depot, *customers = instance.customers
    problem = vroom.Input()
    problem.set_durations_matrix(
        profile="car", matrix_input=np.array(distance_matrix(instance), dtype=np.uint32)
    )
    window = vroom.TimeWindow(10 * depot.ready, 10 * depot.due)
    for k in range(instance.vehicles):
        problem.add_vehicle(
            vroom.Vehicle(k + 1, start=0, end=0, capacity=[instance.capacity], time_window=window)
        )
    for i, c in enumerate(customers, start=1):
        problem.add_job(
            vroom.Job(
                c.number,
                location=i,
                default_service=10 * c.service,
                delivery=[c.demand],
                time_windows=[vroom.TimeWindow(10 * c.ready, 10 * c.due)],
            )
        )
    timeout = timedelta(seconds=time_limit) if time_limit else None
    solution = problem.solve(exploration_level=5, nb_threads=2, timeout=timeout)
    wall = time.monotonic() - started
    routes: dict[int, list[int]] = {}
    for row in solution.routes.itertuples():
        if row.type == "job":
            routes.setdefault(row.vehicle_id, []).append(int(row.id))
    return Run("vroom", list(routes.values()), wall)
