"""Realistic days (``benchmarks/days.py``) and ``python -m dispatch.bench days``.

The generator must give the product's days (home starts, lab ends, two
shifts, 2-hour windows, at most 16 visits, every visit servable alone), and
the harness must judge every solver's plan with the engine's validator.
"""

import pytest

from dispatch.bench import days as runs
from dispatch.bench.__main__ import main
from dispatch.engine import validate
from dispatch.engine.screening import screen
from dispatch.engine.timing import timed_plan

generator = runs.generator()


@pytest.mark.parametrize("city", sorted(generator.CITIES))
def test_every_generated_visit_is_servable_alone(city):
    """Each window can be kept by someone who still reaches the lab in time."""
    day = generator.generate(city, 120, 10, seed=3)
    assert screen(day.problem).unassigned == []


def test_a_day_has_the_products_shape():
    """Home starts, lab ends, two shifts, 2-hour windows, the 16-visit limit."""
    day = generator.generate("houston", 200, 16, seed=2)
    problem = day.problem
    (lab,) = problem.labs
    assert {t.shift.start for t in problem.technicians} == {7 * 3600, 8 * 3600}
    assert all(t.end_location is None and t.max_visits == 16 for t in problem.technicians)
    assert len({t.start_location for t in problem.technicians}) == 16
    assert all(len(v.time_windows) == 1 for v in problem.visits)
    assert {v.time_windows[0].end - v.time_windows[0].start for v in problem.visits} == {2 * 3600}
    assert {v.service_duration for v in problem.visits} <= {600, 900, 1200}
    assert lab.cutoff == 16 * 3600 and day.points[lab.location] == generator.CITIES["houston"].lab


def test_same_seed_same_day_other_seed_other_day():
    """A day is reproducible from its seed; another seed draws another day."""
    one = generator.generate("nyc", 50, 5, seed=1)
    assert one.points == generator.generate("nyc", 50, 5, seed=1).points
    assert one.points != generator.generate("nyc", 50, 5, seed=2).points


def test_peer_routes_are_judged_by_our_validator():
    """A peer's broken plan is reported, not trusted: a visit out of its window fails."""
    day = generator.generate("chicago", 30, 3, seed=1)
    problem = day.problem
    late_first = sorted(problem.visits, key=lambda v: -v.time_windows[0].start)
    routes = {problem.technicians[0].id: [v.id for v in late_first[:8]]}
    plan = timed_plan(problem, routes, [])
    assert validate(problem, plan)


def test_days_command_runs_every_solver_and_validates(capsys):
    """One row per day: ours, ours on one worker, PyVRP, VROOM and the naive floor, all valid."""
    assert main(["days", "phoenix:40:4@1", "--solvers", "ours,ours/1,pyvrp,vroom,naive"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("| phoenix-40x4-s1"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "1"
    assert cells.count("40/40") == 5  # every solver served every visit
    assert "violations" not in row
    ratio_ours, ratio_one = (float(c) for c in cells[-2:])
    assert 0.5 < ratio_ours < 2 and 0.5 < ratio_one < 2


def test_days_command_refuses_bad_cases():
    """A malformed case or an unknown city stops with a message."""
    with pytest.raises(SystemExit, match="CITY:VISITS:TECHNICIANS@LIMIT"):
        main(["days", "nyc-300@10"])
    with pytest.raises(SystemExit, match="unknown city"):
        main(["days", "paris:30:3@1"])
