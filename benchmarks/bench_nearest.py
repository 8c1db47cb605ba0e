"""Micro-benchmark: nearest service centers among 5,000 around one US metro.

Run from the repository root: python benchmarks/bench_nearest.py
Prints figures only; the target is well under 5 ms per query.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from booking.nearest import PlaceIndex  # noqa: E402

SEED = 20260308
CENTERS = 5_000
QUERIES = 1_000
# Around Chicago, roughly the size of its metro area (about 220 x 170 km).
METRO_LAT, METRO_LON, SPREAD_DEG = 41.88, -87.63, 1.0


def random_point(rng: random.Random) -> tuple[float, float]:
    return (
        METRO_LAT + rng.uniform(-SPREAD_DEG, SPREAD_DEG),
        METRO_LON + rng.uniform(-SPREAD_DEG, SPREAD_DEG),
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def time_queries(index: PlaceIndex, queries: list[tuple[float, float]], **options) -> list[float]:
    timings = []
    for latitude, longitude in queries:
        started = time.perf_counter()
        index.nearest(latitude, longitude, **options)
        timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    rng = random.Random(SEED)
    centers = [(i, *random_point(rng)) for i in range(CENTERS)]
    started = time.perf_counter()
    index = PlaceIndex(centers)
    build_ms = (time.perf_counter() - started) * 1000
    queries = [random_point(rng) for _ in range(QUERIES)]
    print(f"{CENTERS} centers, {QUERIES} queries, index built in {build_ms:.1f} ms")
    for label, options in [
        ("limit=10", {"limit": 10}),
        ("limit=10, radius 25 km", {"limit": 10, "radius_km": 25.0}),
        ("limit=50", {"limit": 50}),
    ]:
        time_queries(index, queries[:50], **options)  # warm up
        timings_ms = [t * 1000 for t in time_queries(index, queries, **options)]
        print(
            f"{label:24} median {statistics.median(timings_ms):.3f} ms"
            f"  p95 {percentile(timings_ms, 0.95):.3f} ms"
            f"  max {max(timings_ms):.3f} ms"
        )


if __name__ == "__main__":
    main()
