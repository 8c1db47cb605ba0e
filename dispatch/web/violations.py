"""The dispatch validator's violations in a coordinator's words: names and clock times.

A violation arrives as fields (``kind``, ``booking_id``, ``technician_id``,
``lab_id``, the local date-times ``time`` and ``limit``, ``windows``,
``amount`` and ``maximum``; see ``dispatch.shapes.violation_view``). Each kind
has a sentence built from those fields; the engine's own message is shown
only for a kind without one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from booking.web.formatting import clock


class Explainer:
    """Tells violations for one day: ``visits`` and ``technicians`` map ids to names."""

    def __init__(self, tz: str, visits: dict[int, str], technicians: dict[int, str]):
        self.tz, self.visits, self.technicians = tz, visits, technicians

    def explain(self, violation: dict) -> dict:
        kind = violation.get("kind", "")
        sentence = _SENTENCES.get(kind)
        text = sentence(self, violation) if sentence else None
        return {"kind": kind.replace("_", " "), "message": text or violation.get("message", "")}

    def at(self, value: str | None) -> str:
        return clock(value, self.tz) if value else "an unknown time"

    def visit(self, violation: dict) -> str:
        booking_id = violation.get("booking_id")
        return self.visits.get(booking_id, f"Visit {booking_id}")

    def tech(self, violation: dict) -> str:
        technician_id = violation.get("technician_id")
        return self.technicians.get(technician_id, f"Technician {technician_id}")


def _time_window(ex: Explainer, v: dict) -> str | None:
    if v.get("booking_id") is None or not v.get("time"):
        return None
    windows = " or ".join(
        f"{ex.at(w['local_start'])}–{ex.at(w['local_end'])}" for w in v.get("windows") or []
    )
    return f"{ex.visit(v)}: the technician would start at {ex.at(v['time'])}, outside the window {windows}."


def _lab(ex: Explainer, v: dict) -> str | None:
    if not (v.get("time") and v.get("limit")):
        return None
    return (
        f"{ex.tech(v)}: would reach the lab at {ex.at(v['time'])}, after its cutoff at {ex.at(v['limit'])}."
    )


def _shift(ex: Explainer, v: dict) -> str | None:
    if not (v.get("time") and v.get("limit")):
        return None
    if datetime.fromisoformat(v["time"]) < datetime.fromisoformat(v["limit"]):
        return f"{ex.tech(v)}: would leave at {ex.at(v['time'])}, before the shift starts at {ex.at(v['limit'])}."
    return f"{ex.tech(v)}: would finish at {ex.at(v['time'])}, after the shift ends at {ex.at(v['limit'])}."


def _max_visits(ex: Explainer, v: dict) -> str | None:
    if v.get("amount") is None:
        return None
    return f"{ex.tech(v)}: would have {v['amount']} visits, more than the maximum of {v['maximum']}."


def _capacity(ex: Explainer, v: dict) -> str | None:
    if v.get("amount") is None:
        return None
    return f"{ex.tech(v)}: would carry {v['amount']}, more than the capacity of {v['maximum']}."


def _travel(ex: Explainer, v: dict) -> str | None:
    if not (v.get("time") and v.get("limit")):
        return None
    if v.get("amount") is None:
        return f"{ex.visit(v)}: the arrival at {ex.at(v['time'])} does not fit before {ex.at(v['limit'])}."
    where = ex.visit(v) if v.get("booking_id") is not None else "the lab" if v.get("lab_id") else "home"
    return (
        f"{ex.tech(v)}: cannot reach {where} in time: {round(v['amount'] / 60)} min of driving, "
        f"{max(0, round(v['maximum'] / 60))} min between {ex.at(v['time'])} and {ex.at(v['limit'])}."
    )


def _skill(ex: Explainer, v: dict) -> str:
    return f"{ex.visit(v)} needs a skill {ex.tech(v)} lacks."


def _pin(ex: Explainer, v: dict) -> str:
    return f"{ex.visit(v)} is pinned to another technician than {ex.tech(v)}."


def _no_room(ex: Explainer, v: dict) -> str | None:
    if v.get("booking_id") is None:
        return None
    return f"No technician's route can take {ex.visit(v)} without breaking a rule."


_SENTENCES: dict[str, Callable[[Explainer, dict], str | None]] = {
    "time_window": _time_window,
    "lab": _lab,
    "shift": _shift,
    "max_visits": _max_visits,
    "capacity": _capacity,
    "travel": _travel,
    "skill": _skill,
    "pin": _pin,
    "no_room": _no_room,
}
