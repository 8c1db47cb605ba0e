"""Long-route instances (``benchmarks/long_routes.py``) for the DIMACS
comparison: Solomon's format, the size asked for, every customer servable
on its own, the clusters of RC2 kept."""

import math

import pytest

from dispatch.bench.checker import _check_route
from dispatch.bench.days import generator
from dispatch.engine import solomon

generator()  # puts the repository on the path
from benchmarks import long_routes  # noqa: E402


@pytest.mark.parametrize("template, customers", [("R2_2_1", 1000), ("RC2_2_4", 400)])
def test_an_instance_reads_back_and_every_customer_is_servable_alone(tmp_path, template, customers):
    path = tmp_path / "x.txt"
    path.write_text(long_routes.generate(template, customers, seed=3))
    instance = solomon.read_instance(path)
    depot, rest = instance.customers[0], instance.customers[1:]
    assert len(rest) == customers
    assert (depot.x, depot.y) == (long_routes.GRID[customers] // 2,) * 2
    assert instance.vehicles == customers // 4 and instance.capacity == 1000
    for customer in rest:
        assert _check_route(instance, depot, [customer])[1] == [], customer
    assert min(c.due - c.ready for c in rest) > 0


def test_rc2_keeps_its_clusters_and_r2_is_uniform():
    """The mean distance to the nearest other customer: clustered
    customers sit closer together than uniform ones on the same grid."""

    def nearest_mean(template: str) -> float:
        text = long_routes.generate(template, 400, seed=1)
        rows = [list(map(int, line.split())) for line in text.splitlines()[10:]]
        points = [(x, y) for _, x, y, *_ in rows]
        return sum(min(math.dist(p, q) for q in points if q is not p) for p in points) / len(points)

    assert nearest_mean("RC2_2_1") < 0.8 * nearest_mean("R2_2_1")
