"""The dispatch engine: a pure routing core over plain data.

Build a :class:`DispatchProblem`, call :func:`solve`, get a :class:`Plan`
that has already passed :func:`validate`. No Flask, no database.
"""

from dispatch.engine.problem import Break, DispatchProblem, Lab, Technician, TimeWindow, TravelMatrix, Visit
from dispatch.engine.result import (
    LabDrop,
    Plan,
    Route,
    ScheduledBreak,
    SolveStats,
    Stop,
    Unassigned,
    UnassignedReason,
)
from dispatch.engine.search import SearchStrategy
from dispatch.engine.solver import solve
from dispatch.engine.validation import InvalidPlanError, Violation, ensure_valid, validate

__all__ = [
    "Break",
    "DispatchProblem",
    "InvalidPlanError",
    "Lab",
    "LabDrop",
    "Plan",
    "Route",
    "ScheduledBreak",
    "SearchStrategy",
    "SolveStats",
    "Stop",
    "Technician",
    "TimeWindow",
    "TravelMatrix",
    "Unassigned",
    "UnassignedReason",
    "Violation",
    "Visit",
    "ensure_valid",
    "solve",
    "validate",
]
