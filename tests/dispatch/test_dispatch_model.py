"""The model rejects invalid data loudly, naming what is wrong."""

import pytest
from dispatch_worlds import line_matrix, problem, technician, visit

from dispatch.engine import Break, DispatchProblem, Lab, Technician, TimeWindow, TravelMatrix, Visit


def test_time_window_end_before_start_is_rejected():
    """A window that ends before it starts is an error."""
    with pytest.raises(ValueError, match="before its start"):
        TimeWindow(10, 5)


def test_time_window_needs_integers():
    """Times are integers in one unit; floats are refused rather than rounded."""
    with pytest.raises(ValueError, match="must be an int"):
        TimeWindow(0, 1.5)


def test_visit_needs_a_window():
    """A visit without any time window cannot be scheduled."""
    with pytest.raises(ValueError, match="at least one time window"):
        Visit("a", 1, (), 5)


def test_visit_windows_may_not_overlap_and_are_sorted():
    """Overlapping windows are rejected; disjoint ones are kept in time order."""
    with pytest.raises(ValueError, match="overlap"):
        Visit("a", 1, (TimeWindow(0, 10), TimeWindow(5, 20)), 5)
    v = Visit("a", 1, (TimeWindow(50, 60), TimeWindow(0, 10)), 5)
    assert v.time_windows == (TimeWindow(0, 10), TimeWindow(50, 60))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"service_duration": -1}, "service_duration < 0"),
        ({"priority": 0}, "priority must be >= 1"),
        ({"demand": -2}, "demand < 0"),
        ({"location": -1}, "location < 0"),
    ],
)
def test_visit_rejects_negative_numbers(kwargs, message):
    """Negative durations, demands and locations, and priorities below 1, are errors."""
    fields = {"id": "a", "location": 1, "time_windows": (TimeWindow(0, 10),), "service_duration": 5}
    with pytest.raises(ValueError, match=message):
        Visit(**{**fields, **kwargs})


def test_break_must_fit_in_its_window():
    """A break longer than its window cannot be taken."""
    with pytest.raises(ValueError, match="does not fit"):
        Break(TimeWindow(0, 10), 20)


def test_technician_break_must_be_inside_the_shift():
    """A break window outside the shift is an error."""
    with pytest.raises(ValueError, match="outside the shift"):
        Technician("t", 0, TimeWindow(0, 100), breaks=(Break(TimeWindow(90, 150), 10),))


def test_travel_matrix_must_be_square_and_non_negative():
    """Ragged or negative matrices are rejected."""
    with pytest.raises(ValueError, match="square"):
        TravelMatrix([[0, 1], [1]])
    with pytest.raises(ValueError, match="ints >= 0"):
        TravelMatrix([[0, -1], [1, 0]])
    with pytest.raises(ValueError, match="same size"):
        TravelMatrix([[0, 1], [1, 0]], distances=[[0]])


def test_distances_default_to_durations():
    """Without a distance table, durations double as distances."""
    matrix = TravelMatrix([[0, 7], [7, 0]])
    assert matrix.distance(0, 1) == 7


def test_problem_rejects_duplicate_ids():
    """Two visits (or technicians) with one id are ambiguous."""
    with pytest.raises(ValueError, match="Duplicate visit id 'a'"):
        problem([visit("a", 1), visit("a", 2)], [technician()])
    with pytest.raises(ValueError, match="Duplicate technician id"):
        problem([], [technician("t"), technician("t")])


def test_problem_rejects_unknown_pin_and_locations():
    """Pins must name a technician, and locations must be in the matrix."""
    with pytest.raises(ValueError, match="pinned to unknown technician"):
        problem([visit("a", 1, pinned_technician="ghost")], [technician()])
    with pytest.raises(ValueError, match="not in the matrix"):
        problem([visit("a", 42)], [technician()])
    with pytest.raises(ValueError, match="not in the matrix"):
        problem([], [technician(location=99)])
    with pytest.raises(ValueError, match="not in the matrix"):
        DispatchProblem((), (), line_matrix(3), labs=(Lab("L", 5, 100),))


def test_problem_rejects_unknown_cost():
    """The objective sums travel duration or distance, nothing else."""
    with pytest.raises(ValueError, match="cost 'money' not understood"):
        problem([], [], cost="money")
