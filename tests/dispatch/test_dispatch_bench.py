"""The benchmark harness: Solomon reader, DIMACS checker and command line.

TINY5 (in ``data/``) has a hand-checked optimum of 134.0: routes 1-2-5 and
3-4 (or 1-2 and 3-4-5), each of the 3-customer routes 10 + 10 + 31.6 + 42.4.
"""

import json
from pathlib import Path

import pytest

from dispatch.bench.__main__ import main
from dispatch.bench.checker import check_solution
from dispatch.bench.instances import SHARED, best_known, resolve
from dispatch.engine.solomon import dimacs_distance, read_instance, to_problem

TINY = Path(__file__).parent / "data" / "TINY5.txt"


@pytest.fixture
def tiny():
    return read_instance(TINY)


def test_reader_parses_fleet_and_customers(tiny):
    """Fleet size, capacity and every customer row are read."""
    assert (tiny.vehicles, tiny.capacity, tiny.size) == (3, 30, 5)
    assert tiny.customers[5].ready == 50


def test_reader_rejects_other_formats(tmp_path):
    """A file that is not in the Solomon format fails loudly."""
    bad = tmp_path / "bad.txt"
    bad.write_text("hello\nworld\n")
    with pytest.raises(ValueError, match="not a Solomon-format instance"):
        read_instance(bad)


def test_dimacs_distance_is_truncated_to_tenths(tiny):
    """sqrt(1800) = 42.43 becomes 424 tenths; sqrt(200) = 14.14 becomes 141."""
    depot, c1, _, c3, _, c5 = tiny.customers
    assert dimacs_distance(depot, c5) == 424
    assert dimacs_distance(c1, c3) == 141


def test_problem_uses_tenths_for_time_and_distance(tiny):
    """Windows and service times are scaled by ten like the distances."""
    problem = to_problem(tiny)
    assert problem.visit("5").time_windows[0].start == 500
    assert problem.visit("5").service_duration == 50
    assert problem.technicians[0].capacity == 30
    assert problem.cost == "distance"


def test_checker_accepts_the_optimum(tiny):
    """The hand-checked optimum is feasible at 134.0."""
    result = check_solution(tiny, [[1, 2, 5], [3, 4]])
    assert result.feasible and result.distance == 134.0 and result.vehicles == 2


@pytest.mark.parametrize(
    "routes, problem",
    [
        ([[1, 2, 5]], "customer 3 not served"),
        ([[1, 2, 5], [3, 4, 1]], "customer 1 served 2 times"),
        ([[5, 2, 1], [3, 4]], "customer 1 reached at 101.6, due 100"),
        ([[1, 2, 3, 4], [5]], "load 40 > capacity 30"),
        ([[1], [2], [3], [4, 5]], "4 routes for 3 vehicles"),
    ],
)
def test_checker_catches_broken_solutions(tiny, routes, problem):
    """Missing, duplicate, late, overloaded and too many routes are all reported."""
    result = check_solution(tiny, routes)
    assert not result.feasible
    assert any(problem in p for p in result.problems)


def test_our_engine_finds_the_tiny_optimum(tmp_path, capsys):
    """solve writes the routes file and reports a zero gap to the BKS next to the instance."""
    out = tmp_path / "tiny.json"
    assert main(["solve", str(TINY), "--time-limit", "1", "--out", str(out)]) == 0
    routes = json.loads(out.read_text())["routes"]
    assert check_solution(read_instance(TINY), routes).distance == 134.0
    assert "distance 134.0" in capsys.readouterr().out
    assert best_known(TINY).distance == 134.0


def test_compare_runs_all_three_solvers(capsys):
    """One table with ours, PyVRP and VROOM, each checked feasible."""
    assert main(["compare", str(TINY), "--time-limit", "1"]) == 0
    table = capsys.readouterr().out
    row = next(line for line in table.splitlines() if line.startswith("| TINY5"))
    assert row.count("yes") == 3
    assert row.count("134.0") == 4  # the BKS and all three solvers


def test_scaling_reports_time_to_first_feasible_plan(capsys):
    """scaling prints the first-feasible time and the gap per size."""
    assert main(["scaling", str(TINY), "--time-limit", "1"]) == 0
    out = capsys.readouterr().out
    assert "ours 1st feasible s" in out
    assert "n=5: mean gap 0.00%" in out


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared VRPTW data not present")
def test_instance_names_resolve_to_the_shared_set():
    """R101 means ../shared/data/vrptw/R101.txt, with its BKS."""
    assert resolve("R101").name == "R101.txt"
    assert best_known(resolve("r101")).distance == 1637.7


def test_unknown_instance_name_is_an_error():
    """A name that is neither a file nor a shared instance says so."""
    with pytest.raises(FileNotFoundError):
        resolve("NOPE999")
