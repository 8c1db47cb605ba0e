"""The dispatch validator's violations in a coordinator's words: names and clock times, not keys and seconds.

The validator speaks of visits ``b<booking id>``, technicians ``t<id>``, labs
``l<id>`` and seconds from the start of the region's day. Known messages are
rewritten whole; anything else keeps its text with the keys replaced by names.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from booking.web.formatting import clock

_KEY = re.compile(r"\b([btl])(\d+)\b")
_PATTERNS = {
    "time_window": (
        re.compile(r"^b(\d+): service starts at (\d+), outside \[\((\d+), (\d+)\)"),
        "{visit}: the technician would start at {1}, outside the window {2}–{3}.",
    ),
    "lab": (
        re.compile(r"^t(\d+): reaches lab l\d+ at (\d+), after its cutoff (\d+)"),
        "{tech}: would reach the lab at {1}, after its cutoff at {2}.",
    ),
    "shift": (
        re.compile(r"^t(\d+) is back at (\d+), after the shift ends at (\d+)"),
        "{tech}: would finish at {1}, after the shift ends at {2}.",
    ),
    "max_visits": (
        re.compile(r"^t(\d+) has (\d+) visits, maximum (\d+)"),
        "{tech}: would have {n} visits, more than the maximum of {m}.",
    ),
}


class Explainer:
    """Rewrites violations for one day: ``origin`` is the day's local midnight, names map ids to people."""

    def __init__(self, origin: datetime, tz: str, visits: dict[int, str], technicians: dict[int, str]):
        self.origin, self.tz, self.visits, self.technicians = origin, tz, visits, technicians

    def at(self, seconds: str) -> str:
        return clock(self.origin + timedelta(seconds=int(seconds)), self.tz)

    def name(self, match: re.Match) -> str:
        kind, ident = match.group(1), int(match.group(2))
        if kind == "b":
            return self.visits.get(ident, f"visit {ident}")
        if kind == "t":
            return self.technicians.get(ident, f"technician {ident}")
        return "the lab"

    def explain(self, violation: dict) -> dict:
        kind, message = violation.get("kind", ""), violation.get("message", "")
        pattern = _PATTERNS.get(kind)
        match = pattern[0].match(message) if pattern else None
        if match is None:
            text = _KEY.sub(self.name, message)
        elif kind == "max_visits":
            text = pattern[1].format(
                tech=self.technicians.get(int(match.group(1)), "A technician"),
                n=match.group(2),
                m=match.group(3),
            )
        else:
            subject = int(match.group(1))
            times = [self.at(g) for g in match.groups()[1:]]
            text = pattern[1].format(
                None,
                *times,
                visit=self.visits.get(subject, f"Visit {subject}"),
                tech=self.technicians.get(subject, f"Technician {subject}"),
            )
        return {"kind": kind.replace("_", " "), "message": text}
