"""Fixtures for the dispatch tests; the worlds themselves are in dispatch_worlds."""

import pytest
from dispatch_worlds import problem, technician, visit


@pytest.fixture
def line_problem():
    """One technician from 0 to 4 and visits at 1, 2, 3: the unique optimum
    is 0-1-2-3-4 with 40 units of travel."""
    return problem([visit("a", 1), visit("b", 2), visit("c", 3)], [technician(end_location=4)])


@pytest.fixture
def ortools_search(monkeypatch):
    """solve() searches with OR-Tools alone, as it does for days with breaks
    or a balance term (which ruin and recreate does not model)."""
    from dispatch.engine import sisr

    monkeypatch.setattr(sisr, "supports", lambda problem: False)
