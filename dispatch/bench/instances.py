"""Finding instance files and their best-known solutions (``bks.csv``)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data" / "vrptw"

DEFAULT_COMPARE = ("C101", "C201", "R101", "R201", "RC101", "RC201", "R1_2_1", "RC1_2_1")
DEFAULT_SCALING = ("R101", "R1_2_1", "R1_4_1", "R1_10_1")


@dataclass(frozen=True)
class BestKnown:
    vehicles: int
    distance: float


def resolve(name_or_path: str) -> Path:
    """A path as given, or an instance name (``R101``) in the shared data set.

    :raise FileNotFoundError: if neither exists.
    """
    path = Path(name_or_path)
    if path.is_file():
        return path
    candidate = SHARED / f"{name_or_path.upper()}.txt"
    if candidate.is_file():
        return candidate
    raise FileNotFoundError(f"No instance file {name_or_path!r} (nor {candidate}).")


def best_known(path: Path) -> BestKnown | None:
    """The BKS of ``path`` from a ``bks.csv`` next to it or in the shared set."""
    name = path.stem.upper()
    for table in (path.parent / "bks.csv", SHARED / "bks.csv"):
        if not table.is_file():
            continue
        with table.open(newline="") as handle:
            for row in csv.DictReader(handle):
                if row["instance"].upper() == name:
                    return BestKnown(int(row["vehicles"]), float(row["distance"]))
    return None


def gap_percent(distance: float, bks: BestKnown | None) -> float | None:
    if bks is None:
        return None
    return 100.0 * (distance - bks.distance) / bks.distance
