"""The OR-Tools routing model of a :class:`~dispatch.model.DispatchProblem`.

Node layout: one node per schedulable visit, then one lab node per
(technician, reachable lab), then one node per distinct start/end location
(shared between technicians, which OR-Tools allows). Transits are dense node
matrices registered in C++ (``RegisterTransitMatrix``), so the search never
calls back into Python.

Constraints and how they are expressed:

- windows: the time cumul of a visit is its start of service, restricted to
  the union of its windows; waiting is the dimension's slack;
- shifts: ranges on each vehicle's start and end cumuls;
- skills and pins: ``VehicleVar(i)`` domains, enforced by the CP model in every
  search, including one started from initial routes
  (``SetAllowedVehiclesForIndex`` is not usable from Python in OR-Tools 9.15:
  its binding rejects every list);
- maximum visits and capacity: unary dimensions with per-vehicle capacities;
- breaks: fixed-duration intervals that may not overlap service;
- labs: a technician's lab nodes sit in one disjunction whose penalty exceeds
  all visit penalties together, may only be followed by the route end, and are
  reached at zero cost straight from the start (an unused technician then
  costs nothing but the way home from the lab, a constant);
- optional visits: one disjunction each, with penalties ranked by priority.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp

from dispatch.model import DispatchProblem, Lab, Technician, Visit
from dispatch.screening import Screening

MAX_OBJECTIVE = 2**62


@dataclass(frozen=True)
class LabNode:
    node: int
    vehicle: int
    lab: Lab


class RoutingModel:
    """Builds the OR-Tools model and keeps the maps needed to read plans back."""

    def __init__(self, problem: DispatchProblem, screening: Screening):
        self.problem = problem
        self.visits: list[Visit] = [v for v in problem.visits if v.id in screening.allowed]
        self.technicians: list[Technician] = [
            t for t in problem.technicians if _usable(problem, t)
        ]
        self.vehicle_of = {t.id: v for v, t in enumerate(self.technicians)}
        self.node_of_visit = {visit.id: node for node, visit in enumerate(self.visits)}
        self.allowed = {
            visit.id: [self.vehicle_of[t] for t in screening.allowed[visit.id] if t in self.vehicle_of]
            for visit in self.visits
        }
        self._layout_nodes()
        self.manager = pywrapcp.RoutingIndexManager(
            len(self.node_location), len(self.technicians), self.start_nodes, self.end_nodes
        )
        self.routing = pywrapcp.RoutingModel(self.manager)
        self.break_vehicle: dict[str, int] = {}
        self._add_costs()
        self._add_time()
        self._add_counters()
        self._add_allowed_vehicles()
        self._add_penalties()
        self._add_labs()

    # -- layout -------------------------------------------------------------
    def _layout_nodes(self) -> None:
        self.node_location: list[int | None] = [v.location for v in self.visits]
        self.node_service = [v.service_duration for v in self.visits]
        self.lab_nodes: list[LabNode] = []
        for vehicle, tech in enumerate(self.technicians):
            for lab in self.problem.labs:
                if self._lab_reachable(tech, lab):
                    self.lab_nodes.append(LabNode(len(self.node_location), vehicle, lab))
                    self.node_location.append(lab.location)
                    self.node_service.append(0)
        depot_node: dict[object, int] = {}

        def depot(location: int | None) -> int:
            if location not in depot_node:
                depot_node[location] = len(self.node_location)
                self.node_location.append(location)
                self.node_service.append(0)
            return depot_node[location]

        self.start_nodes = [depot(t.start_location) for t in self.technicians]
        self.end_nodes = [depot(t.end_location) for t in self.technicians]
        self.lab_by_node = {ln.node: ln for ln in self.lab_nodes}

    def _lab_reachable(self, tech: Technician, lab: Lab) -> bool:
        at_lab = tech.shift.start + self.problem.matrix.duration(tech.start_location, lab.location)
        return at_lab <= lab.cutoff

    def _node_matrix(self, leg) -> list[list[int]]:
        """``leg(a, b)`` between node locations; legs into an open end cost 0,
        and so do start-to-lab legs (only an empty route takes them)."""
        locations = self.node_location
        rows = []
        for a in locations:
            if a is None:
                rows.append([0] * len(locations))
            else:
                rows.append([0 if b is None else leg(a, b) for b in locations])
        for lab_node in self.lab_nodes:
            rows[self.start_nodes[lab_node.vehicle]][lab_node.node] = 0
        return rows

    # -- model parts ----------------------------------------------------------
    def _add_costs(self) -> None:
        problem = self.problem
        table = problem.matrix.distances if (problem.cost == "distance" and problem.matrix.distances) else problem.matrix.durations
        cost = self._node_matrix(lambda a, b: table[a][b])
        self.max_arc_cost = max((max(row) for row in cost), default=0)
        self.cost_callback = self.routing.RegisterTransitMatrix(cost)
        self.routing.SetArcCostEvaluatorOfAllVehicles(self.cost_callback)

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
            for before, after in zip(visit.time_windows, visit.time_windows[1:]):
                cumul.RemoveInterval(before.end + 1, after.start - 1)
        for lab_node in self.lab_nodes:
            self.time.CumulVar(self.manager.NodeToIndex(lab_node.node)).SetRange(0, lab_node.lab.cutoff)
        for vehicle, tech in enumerate(self.technicians):
            for index in (self.routing.Start(vehicle), self.routing.End(vehicle)):
                self.time.CumulVar(index).SetRange(tech.shift.start, tech.shift.end)
        # Finish as early as possible, then leave as late as that allows: no
        # needless waiting at the first stop.
        for vehicle in range(len(self.technicians)):
            self.routing.AddVariableMinimizedByFinalizer(self.time.CumulVar(self.routing.End(vehicle)))
        for vehicle in range(len(self.technicians)):
            self.routing.AddVariableMaximizedByFinalizer(self.time.CumulVar(self.routing.Start(vehicle)))
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
        for vehicle, tech in enumerate(self.technicians):
            intervals = []
            for number, brk in enumerate(tech.breaks):
                name = f"break-{vehicle}-{number}"
                intervals.append(solver.FixedDurationIntervalVar(
                    brk.window.start, brk.window.end - brk.duration, brk.duration, False, name))
                self.break_vehicle[name] = vehicle
            if intervals:
                self.time.SetBreakIntervalsOfVehicle(intervals, vehicle, transits)

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
                callback, 0, [unlimited if c is None else c for c in caps], True, name)

    def _add_allowed_vehicles(self) -> None:
        everyone = len(self.technicians)
        for visit in self.visits:
            vehicles = self.allowed[visit.id]
            if len(vehicles) == everyone:
                continue
            index = self.manager.NodeToIndex(self.node_of_visit[visit.id])
            self.routing.VehicleVar(index).SetValues([-1] + vehicles)

    def _add_penalties(self) -> None:
        """Drop penalties that outweigh any possible travel, ranked by priority."""
        base = self.max_arc_cost * (len(self.visits) + 2 * len(self.technicians) + 1) + 1
        multiplier = _priority_multipliers([v.priority for v in self.visits])
        penalties = [base * multiplier[v.priority] for v in self.visits]
        if sum(penalties) * 2 >= MAX_OBJECTIVE:
            penalties = [min(base * v.priority, MAX_OBJECTIVE // (4 * max(1, len(self.visits)))) for v in self.visits]
        for node, penalty in enumerate(penalties):
            self.routing.AddDisjunction([self.manager.NodeToIndex(node)], penalty)
        self.total_penalty = sum(penalties)
        # Any plan cheaper than one drop penalty serves every routed visit.
        self.complete_below = min(penalties, default=0)

    def _add_labs(self) -> None:
        if not self.lab_nodes:
            return
        lab_penalty = self.total_penalty + self.max_arc_cost * (len(self.node_location) + 1) + 1
        for vehicle in range(len(self.technicians)):
            nodes = [ln for ln in self.lab_nodes if ln.vehicle == vehicle]
            if not nodes:
                continue
            indices = [self.manager.NodeToIndex(ln.node) for ln in nodes]
            for index in indices:
                self.routing.VehicleVar(index).SetValues([-1, vehicle])
                self.routing.NextVar(index).SetValues([index, self.routing.End(vehicle)])
            self.routing.AddDisjunction(indices, lab_penalty, 1)

    # -- warm starts ---------------------------------------------------------
    def index_routes(self, routes: dict[str, list[str]]) -> list[list[int]]:
        """Visit-id routes as OR-Tools index routes, one per vehicle, with the
        nearest lab that keeps the route's cutoff appended when there are labs."""
        result = []
        for tech in self.technicians:
            visit_ids = routes.get(tech.id, [])
            indices = [self.manager.NodeToIndex(self.node_of_visit[v]) for v in visit_ids]
            lab = self._closing_lab(self.vehicle_of[tech.id], visit_ids)
            if indices and lab is not None:
                indices.append(self.manager.NodeToIndex(lab.node))
            result.append(indices)
        return result

    def _closing_lab(self, vehicle: int, visit_ids: list[str]) -> LabNode | None:
        options = [ln for ln in self.lab_nodes if ln.vehicle == vehicle]
        if not options or not visit_ids:
            return None
        last = self.problem.visit(visit_ids[-1]).location
        return min(options, key=lambda ln: self.problem.matrix.duration(last, ln.lab.location))


def _usable(problem: DispatchProblem, tech: Technician) -> bool:
    """A technician who cannot even go from start to end within the shift would
    make the empty route, and so the whole model, infeasible."""
    if tech.end_location is None:
        return True
    trip = problem.matrix.duration(tech.start_location, tech.end_location)
    return tech.shift.start + trip <= tech.shift.end


def _priority_multipliers(priorities: list[int]) -> dict[int, int]:
    """Multipliers such that one visit of a priority outweighs all visits of
    the lower priorities together."""
    multipliers: dict[int, int] = {}
    below = 0
    for level in sorted(set(priorities)):
        multipliers[level] = below + 1
        below += priorities.count(level) * multipliers[level]
    return multipliers
