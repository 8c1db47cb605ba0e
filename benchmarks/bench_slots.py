"""Micro-benchmark: one service center's slot grid and free slots over 31 days.

Run from the repository root: python benchmarks/bench_slots.py
Prints figures only. The month spans the US fall-back change.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import date
from datetime import time as wall_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from booking.slots import Closure, OpeningHours, free_slots, slot_grid  # noqa: E402

SEED = 20261101
CALLS = 200
TZ = "America/New_York"
FIRST_DAY, LAST_DAY = date(2026, 10, 15), date(2026, 11, 14)
SLOT_MINUTES = 15
CAPACITY = 3

# Weekdays 07:00-12:00 and 13:00-17:00, Saturday mornings, closed Sunday.
HOURS = [
    *(OpeningHours(day, wall_time(7), wall_time(12)) for day in range(5)),
    *(OpeningHours(day, wall_time(13), wall_time(17)) for day in range(5)),
    OpeningHours(5, wall_time(8), wall_time(12)),
]
CLOSURES = [Closure(date(2026, 11, 11), date(2026, 11, 11), "Veterans Day")]


def grid_and_free(booked_counts):
    grid = slot_grid(HOURS, CLOSURES, TZ, SLOT_MINUTES, FIRST_DAY, LAST_DAY)
    return grid, free_slots(grid, booked_counts, CAPACITY)


def main() -> None:
    rng = random.Random(SEED)
    grid, _ = grid_and_free({})
    booked_counts = {slot.start: rng.randint(0, CAPACITY) for slot in rng.sample(grid, len(grid) // 2)}
    grid_and_free(booked_counts)  # warm up
    timings_ms = []
    for _ in range(CALLS):
        started = time.perf_counter()
        grid, free = grid_and_free(booked_counts)
        timings_ms.append((time.perf_counter() - started) * 1000)
    print(f"{len(grid)} slots over 31 days, {len(free)} with places left, {CALLS} calls")
    print(
        f"slot_grid + free_slots  median {statistics.median(timings_ms):.3f} ms  max {max(timings_ms):.3f} ms"
    )


if __name__ == "__main__":
    main()
