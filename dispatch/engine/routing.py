"""The OR-Tools routing model of a :class:`~dispatch.engine.problem.DispatchProblem`.

Vehicles: one per technician; when the problem has labs, one per
(technician, lab that technician can reach in time), whose route *ends at the
lab* — its end cumul is the drop time, bounded by the lab's cutoff and by the
shift end minus the way home — and at most one vehicle per technician is
used. With one lab (the usual case) that is exact and needs no extra
constraint; the way home from the lab is the vehicle's fixed cost.

Nodes: one per schedulable visit, then one per distinct start/end location
(shared between vehicles, which OR-Tools allows). Transits are dense node
matrices registered in C++ (``RegisterTransitMatrix``), so the search never
calls back into Python.

- windows: the time cumul of a visit is its start of service, restricted to
  the union of its windows; waiting is the dimension's slack;
- shifts: ranges on each vehicle's start and end cumuls;
- skills and pins: ``VehicleVar(i)`` domains, enforced by the CP model in every
  search, including one started from initial routes
  (``SetAllowedVehiclesForIndex`` is not usable from Python in OR-Tools 9.15:
  its binding rejects every list);
- maximum visits and capacity: unary dimensions with per-vehicle capacities;
- breaks: fixed-duration intervals that may not overlap service;
- optional visits: one disjunction each, with penalties larger than any
  plan's travel and ranked by priority.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp

from dispatch.engine.problem import DispatchProblem, Lab, Technician, Visit
from dispatch.engine.screening import Screening

MAX_OBJECTIVE = 2**62


@dataclass(frozen=True)
class Vehicle:
    technician: Technician
    lab: Lab | None
    home_leg: int  # travel from the lab to the end location, 0 without a lab


class RoutingModel:
    """Builds the OR-Tools model and keeps the maps needed to read plans back."""

    def __init__(self, problem: DispatchProblem, screening: Screening):
        self.problem = problem
        self.visits: list[Visit] = [v for v in problem.visits if v.id in screening.allowed]
        self.vehicles: list[Vehicle] = [
            vehicle for tech in problem.technicians for vehicle in _vehicles_of(problem, tech)
        ]
        self.technicians: list[Technician] = [v.technician for v in self.vehicles]
        self.vehicles_of: dict[str, list[int]] = {}
        for number, vehicle in enumerate(self.vehicles):
            self.vehicles_of.setdefault(vehicle.technician.id, []).append(number)
        self.node_of_visit = {visit.id: node for node, visit in enumerate(self.visits)}
        self.allowed = {
            visit.id: [v for t in screening.allowed[visit.id] for v in self.vehicles_of.get(t, [])]
            for visit in self.visits
        }
        self._layout_nodes()
        self.manager = pywrapcp.RoutingIndexManager(
            len(self.node_location), len(self.vehicles), self.start_nodes, self.end_nodes
        )
        self.routing = pywrapcp.RoutingModel(self.manager)
        self.break_vehicle: dict[str, int] = {}
        self._add_costs()
        self._add_time()
        self._add_counters()
        self._add_allowed_vehicles()
        self._add_penalties()
        self._add_one_vehicle_per_technician()

    # -- layout -------------------------------------------------------------
    def _layout_nodes(self) -> None:
        self.node_location: list[int | None] = [v.location for v in self.visits]
        self.node_service = [v.service_duration for v in self.visits]
        depot_node: dict[object, int] = {}

        def depot(location: int | None) -> int:
            if location not in depot_node:
                depot_node[location] = len(self.node_location)
                self.node_location.append(location)
                self.node_service.append(0)
            return depot_node[location]

        self.start_nodes = [depot(v.technician.start_location) for v in self.vehicles]
        self.end_nodes = [
            depot(v.lab.location if v.lab is not None else v.technician.end_location) for v in self.vehicles
        ]

    def _node_matrix(self, leg) -> list[list[int]]:
        """``leg(a, b)`` between node locations; legs into an open end cost 0."""
        locations = self.node_location
        rows = []
        for a in locations:
            if a is None:
                rows.append([0] * len(locations))
            else:
                rows.append([0 if b is None else leg(a, b) for b in locations])
        return rows

    # -- model parts ----------------------------------------------------------
    def _add_costs(self) -> None:
        problem = self.problem
        use_distance = problem.cost == "distance" and problem.matrix.distances is not None
        table = problem.matrix.distances if use_distance else problem.matrix.durations
        cost = self._node_matrix(lambda a, b: table[a][b])
        self.max_arc_cost = max((max(row) for row in cost), default=0)
        self.cost_callback = self.routing.RegisterTransitMatrix(cost)
        self.routing.SetArcCostEvaluatorOfAllVehicles(self.cost_callback)
        for number, vehicle in enumerate(self.vehicles):
            if vehicle.lab is not None and vehicle.technician.end_location is not None:
                home = problem.arc_cost(vehicle.lab.location, vehicle.technician.end_location)
                self.routing.SetFixedCostOfVehicle(home, number)

    def _add_time(self) -> None:
        durations = self.problem.matrix.durations
        travel = self._node_matrix(lambda a, b: durations[a][b])
        for node, service in enumerate(self.node_service):
            if service:
                travel[node] = [service + t for t in travel[node]]
        horizon = self._horizon()
        callback = self.routing.RegisterTransitMatrix(travel)
        self.routing.AddDimension(callback, horizon, horizon, False, "time")
        self.time = self.routing.GetDimensionOrDie("time")
        for node, visit in enumerate(self.visits):
            cumul = self.time.CumulVar(self.manager.NodeToIndex(node))
            cumul.SetRange(visit.time_windows[0].start, visit.time_windows[-1].end)
            for before, after in zip(visit.time_windows, visit.time_windows[1:], strict=False):
                cumul.RemoveInterval(before.end + 1, after.start - 1)
        for number, vehicle in enumerate(self.vehicles):
            shift = vehicle.technician.shift
            self.time.CumulVar(self.routing.Start(number)).SetRange(shift.start, shift.end)
            self.time.CumulVar(self.routing.End(number)).SetRange(shift.start, _latest_end(vehicle))
        # Finish as early as possible, then leave as late as that allows: no
        # needless waiting at the first stop.
        for number in range(len(self.vehicles)):
            self.routing.AddVariableMinimizedByFinalizer(self.time.CumulVar(self.routing.End(number)))
        for number in range(len(self.vehicles)):
            self.routing.AddVariableMaximizedByFinalizer(self.time.CumulVar(self.routing.Start(number)))
        if self.problem.balance_coefficient:
            self.time.SetGlobalSpanCostCoefficient(self.problem.balance_coefficient)
        self._add_breaks()

    def _horizon(self) -> int:
        ends = [t.shift.end for t in self.technicians] + [lab.cutoff for lab in self.problem.labs]
        ends += [v.time_windows[-1].end for v in self.visits]
        return max(ends, default=0) + 1

    def _add_breaks(self) -> None:
        if not any(t.breaks for t in self.technicians):
            return
        transits = [self.node_service[self.manager.IndexToNode(i)] for i in range(self.routing.Size())]
        solver = self.routing.solver()
        for number, tech in enumerate(self.technicians):
            intervals = []
            for k, brk in enumerate(tech.breaks):
                name = f"break-{number}-{k}"
                intervals.append(
                    solver.FixedDurationIntervalVar(
                        brk.window.start, brk.window.end - brk.duration, brk.duration, False, name
                    )
                )
                self.break_vehicle[name] = number
            if intervals:
                self.time.SetBreakIntervalsOfVehicle(intervals, number, transits)

    def _add_counters(self) -> None:
        """Maximum visits and capacity, only when some technician limits them."""
        n_nodes = len(self.node_location)
        visit_flags = [1 if node < len(self.visits) else 0 for node in range(n_nodes)]
        demands = [self.visits[node].demand if node < len(self.visits) else 0 for node in range(n_nodes)]
        limits = [
            ("visits", visit_flags, [t.max_visits for t in self.technicians]),
            ("load", demands, [t.capacity for t in self.technicians]),
        ]
        for name, values, caps in limits:
            if all(c is None for c in caps) or not any(values):
                continue
            unlimited = sum(values)
            callback = self.routing.RegisterUnaryTransitVector(values)
            self.routing.AddDimensionWithVehicleCapacity(
                callback, 0, [unlimited if c is None else c for c in caps], True, name
            )

    def _add_allowed_vehicles(self) -> None:
        everyone = len(self.vehicles)
        for visit in self.visits:
            vehicles = self.allowed[visit.id]
            if len(vehicles) == everyone:
                continue
            index = self.manager.NodeToIndex(self.node_of_visit[visit.id])
            self.routing.VehicleVar(index).SetValues([-1] + vehicles)

    def _add_penalties(self) -> None:
        """Drop penalties that outweigh any possible travel, ranked by priority."""
        base = self.max_arc_cost * (len(self.node_location) + 2 * len(self.vehicles) + 1) + 1
        base += sum(self.routing.GetFixedCostOfVehicle(v) for v in range(len(self.vehicles)))
        multiplier = _priority_multipliers([v.priority for v in self.visits])
        penalties = [base * multiplier[v.priority] for v in self.visits]
        if sum(penalties) * 2 >= MAX_OBJECTIVE:
            penalties = [
                min(base * v.priority, MAX_OBJECTIVE // (4 * max(1, len(self.visits)))) for v in self.visits
            ]
        for node, penalty in enumerate(penalties):
            self.routing.AddDisjunction([self.manager.NodeToIndex(node)], penalty)
        # Any plan cheaper than one penalty serves every routed visit.
        self.complete_below = min(penalties, default=0)

    def _add_one_vehicle_per_technician(self) -> None:
        solver = self.routing.solver()
        for numbers in self.vehicles_of.values():
            if len(numbers) > 1:
                solver.Add(solver.Sum([self.routing.ActiveVehicleVar(v) for v in numbers]) <= 1)

    # -- warm starts ---------------------------------------------------------
    def index_routes(self, routes: dict[str, list[str]]) -> list[list[int]]:
        """Visit-id routes as OR-Tools index routes, one per vehicle; with
        labs, a technician's route goes to the vehicle of the lab nearest its
        last stop."""
        result: list[list[int]] = [[] for _ in self.vehicles]
        for tech_id, visit_ids in routes.items():
            numbers = self.vehicles_of.get(tech_id)
            if not numbers or not visit_ids:
                continue
            last = self.problem.visit(visit_ids[-1]).location
            number = min(numbers, key=lambda v: self._lab_distance(v, last))
            result[number] = [self.manager.NodeToIndex(self.node_of_visit[v]) for v in visit_ids]
        return result

    def _lab_distance(self, number: int, location: int) -> int:
        lab = self.vehicles[number].lab
        return 0 if lab is None else self.problem.matrix.duration(location, lab.location)


def _vehicles_of(problem: DispatchProblem, tech: Technician) -> list[Vehicle]:
    """The technician's vehicles whose empty route is feasible (an infeasible
    empty route would make the whole model infeasible)."""
    labs = problem.labs or (None,)
    vehicles = []
    for lab in labs:
        home_leg = 0
        if lab is not None and tech.end_location is not None:
            home_leg = problem.matrix.duration(lab.location, tech.end_location)
        vehicle = Vehicle(tech, lab, home_leg)
        end = lab.location if lab is not None else tech.end_location
        direct = 0 if end is None else problem.matrix.duration(tech.start_location, end)
        if tech.shift.start + direct <= _latest_end(vehicle):
            vehicles.append(vehicle)
    return vehicles


def _latest_end(vehicle: Vehicle) -> int:
    """The latest end cumul: back by the shift end, or at the lab by its
    cutoff and still home by the shift end."""
    latest = vehicle.technician.shift.end - vehicle.home_leg
    if vehicle.lab is not None:
        latest = min(latest, vehicle.lab.cutoff)
    return latest


def _priority_multipliers(priorities: list[int]) -> dict[int, int]:
    """Multipliers such that one visit of a priority outweighs all visits of
    the lower priorities together."""
    multipliers: dict[int, int] = {}
    below = 0
    for level in sorted(set(priorities)):
        multipliers[level] = below + 1
        below += priorities.count(level) * multipliers[level]
    return multipliers
