"""Long-route instances of 400-1,000 customers, for the DIMACS comparison.

The shared Gehring–Homberger set has no 1,000-customer instance of the
long-route families (R2, RC2: a long horizon, so routes of 30-100 stops),
which are where a search spends the most per insertion. This writes
instances shaped like them, in Solomon's format, from the shared
200-customer ones:

- **coordinates** on the larger grid of the Gehring–Homberger instances of
  that size (500 × 500 for 1,000 customers, the depot in the middle):
  uniform for R2; for RC2 each customer is drawn near a template customer
  scaled to the grid, so the clusters stay clusters;
- **demand, service time, window width and the window's place in the day**
  from a template customer drawn at random, the horizon and the windows
  scaled as the R1 horizons scale in the shared set (R1_2_1 to R1_10_1);
  every window is one a vehicle can reach from the depot and come back from;
- **vehicles** five per template's vehicle per 1,000 customers, capacity as
  the template's.

No best-known solution exists for them: compare solvers side by side.

    python benchmarks/long_routes.py /tmp/long        # 24 instances
    python -m dispatch.bench compare /tmp/long/R2_1_1000_s1.txt --time-limit 120
"""

from __future__ import annotations

import argparse
import math
import random
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "vrptw"
TEMPLATES = ("R2_2_1", "R2_2_4", "R2_2_7", "RC2_2_1", "RC2_2_4", "RC2_2_7")
# Grid side and horizon factor per size, as in the Gehring–Homberger sets
# (R1_2_1: grid 140, horizon 634; R1_4_1: 200, 804; R1_10_1: 500, 1925).
GRID = {400: 200, 1000: 500}
HORIZON = {400: 804 / 634, 1000: 1925 / 634}


def read(path: Path) -> tuple[int, int, list[list[int]]]:
    """(vehicles, capacity, rows of number, x, y, demand, ready, due, service)."""
    lines = path.read_text().splitlines()
    vehicles, capacity = map(int, lines[4].split())
    rows = [list(map(int, line.split())) for line in lines[9:] if line.strip()]
    return vehicles, capacity, rows


def generate(template: str, customers: int, seed: int) -> str:
    """The instance's text, in Solomon's format."""
    rng = random.Random(f"{template}:{customers}:{seed}")
    vehicles, capacity, rows = read(SHARED / f"{template}.txt")
    depot, pool = rows[0], rows[1:]
    grid, stretch = GRID[customers], HORIZON[customers]
    scale = grid / (2 * depot[1])
    horizon = round(depot[5] * stretch)
    centre = grid // 2
    uniform = not template.startswith("RC")
    out = [[0, centre, centre, 0, 0, horizon, 0]]
    for number in range(1, customers + 1):
        _, tx, ty, demand, ready, due, service = rng.choice(pool)
        if uniform:
            x, y = rng.randint(0, grid), rng.randint(0, grid)
        else:
            x = min(grid, max(0, round(tx * scale + rng.uniform(-6, 6))))
            y = min(grid, max(0, round(ty * scale + rng.uniform(-6, 6))))
        reach = math.ceil(math.hypot(x - centre, y - centre))
        earliest, latest = reach, horizon - reach - service
        width = (due - ready) * stretch
        if width >= latest - earliest:
            start, end = earliest, latest
        else:
            start = min(max((ready + due) / 2 * stretch - width / 2, earliest), latest - width)
            end = start + width
        out.append([number, x, y, demand, round(start), math.floor(end), service])
    name = f"{template.replace('_2_', '_')}_{customers}_s{seed}"
    head = [
        name,
        "",
        "VEHICLE",
        "NUMBER     CAPACITY",
        f"  {vehicles * customers // 200}         {capacity}",
        "",
        "CUSTOMER",
        "CUST NO.  XCOORD.    YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE TIME",
        " ",
    ]
    return "\n".join(head + ["  ".join(f"{v:5d}" for v in row) for row in out]) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--sizes", default="400,1000", help="comma-separated: 400, 1000")
    parser.add_argument("--seeds", default="1,2", help="comma-separated")
    args = parser.parse_args(argv)
    args.directory.mkdir(parents=True, exist_ok=True)
    for template in TEMPLATES:
        for customers in map(int, args.sizes.split(",")):
            for seed in map(int, args.seeds.split(",")):
                text = generate(template, customers, seed)
                (args.directory / f"{text.split(chr(10), 1)[0]}.txt").write_text(text)


if __name__ == "__main__":
    main()
