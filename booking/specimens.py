"""What a technician draws and how the specimens are labelled: tubes per test, and the order number.

A phlebotomist thinks in tubes, not tests: the month's tests (``booking.schedule``)
decide which containers to bring and fill. Tests that share a container share
one tube (creatinine and thyroid function are both serum, drawn in one gold-top
tube). Plain functions over plain data: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass

from booking import schedule


@dataclass(frozen=True)
class Container:
    """One tube or cup to fill, with the tests it serves."""

    name: str
    tests: tuple[str, ...]


# The container of each test, in the order of draw (EDTA after the serum tube; urine is not drawn).
CONTAINER_OF_TEST = {
    "serum_creatinine": "Gold-top SST (serum separator) tube",
    schedule.THYROID_TEST: "Gold-top SST (serum separator) tube",
    "cbc_with_differential": "Lavender-top EDTA tube",
    "urinalysis_with_cell_counts": "Urine specimen cup (clean-catch midstream)",
}
ORDER_OF_DRAW = (
    "Gold-top SST (serum separator) tube",
    "Lavender-top EDTA tube",
    "Urine specimen cup (clean-catch midstream)",
)


def containers_for(tests: tuple[str, ...] | list[str]) -> list[Container]:
    """The containers to fill for ``tests``, one per kind, in the order of draw.

    :raise KeyError: a test with no known container (a new test needs its container here).
    """
    by_name: dict[str, list[str]] = {}
    for test in tests:
        by_name.setdefault(CONTAINER_OF_TEST[test], []).append(test)
    return [Container(name, tuple(by_name[name])) for name in ORDER_OF_DRAW if name in by_name]


def order_number(booking_id: int) -> str:
    """The visit's lab order (requisition) number for the specimen labels: stable and unique per visit."""
    return f"LV-{booking_id:07d}"


def preparation(tests: tuple[str, ...] | list[str], kind: str) -> list[str]:
    """How to prepare for a visit with ``tests``, in plain words (none of these tests needs fasting)."""
    steps = [
        "No fasting is needed: eat and drink water as usual.",
        "Wear a top with sleeves that roll up easily.",
    ]
    if "urinalysis_with_cell_counts" in tests:
        steps.append(
            "You will also give a urine sample: if you can, do not use the toilet in the hour before."
        )
    if kind == "service_center":
        steps.append("Bring a photo ID; the visit takes about 15 minutes.")
    elif kind in ("home", "office"):
        steps.append("Have a photo ID at hand and a table near a chair for the technician.")
    else:
        steps.append("Bring a photo ID, and ask your provider's office whether a co-pay applies.")
    return steps
