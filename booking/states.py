"""The booking state machine: which status may follow which, for which visit kind.

    requested → confirmed → assigned → en_route → arrived → collected → delivered
    any open status → cancelled;  confirmed/assigned/en_route → no_show

Service-center and provider visits skip the technician steps (assigned, en_route).
A provider visit starts as ``requested`` because its time is agreed with the
provider's office, not reserved here.
"""

from __future__ import annotations

from booking.errors import Conflict

OPEN_STATUSES = ("requested", "confirmed", "assigned", "en_route", "arrived")
DONE_STATUSES = ("collected", "delivered")
ALL_STATUSES = OPEN_STATUSES + DONE_STATUSES + ("cancelled", "no_show")
# Not started yet: the visit may still be moved, and its reminders are still ahead.
NOT_STARTED_STATUSES = ("requested", "confirmed", "assigned")
# On a day's routes: a field visit the plan serves (from booked until the technician has arrived).
PLANNED_STATUSES = ("confirmed", "assigned", "en_route", "arrived")
# Ended without a visit: the booking no longer holds a place, and its month is open again.
INACTIVE_STATUSES = ("cancelled", "no_show")
# Nothing more will happen at the stop.
FINISHED_STATUSES = DONE_STATUSES + INACTIVE_STATUSES
# The technician is on the way or there: the plan keeps the visit with them.
UNDER_WAY_STATUSES = ("en_route", "arrived")
# What a technician reports from a stop, and the steps each report takes from where the booking is
# (a forgotten "on my way" or "arrived" tap is filled in).
REPORTED_STATUSES = ("en_route", "arrived", "collected", "no_show")
REPORT_STEPS = {
    "arrived": {"assigned": ["en_route", "arrived"], "en_route": ["arrived"]},
    "collected": {
        "assigned": ["en_route", "arrived", "collected"],
        "en_route": ["arrived", "collected"],
        "arrived": ["collected"],
    },
}


def report_steps(current: str, reported: str) -> list[str]:
    """The statuses a technician's report of ``reported`` passes through from ``current``."""
    return REPORT_STEPS.get(reported, {}).get(current, [reported])


# The kinds a technician serves (at the patient's home or office); every other kind is a site visit.
FIELD_KINDS = ("home", "office")

_FIELD_FLOW = {
    "requested": {"confirmed", "cancelled"},
    "confirmed": {"assigned", "cancelled", "no_show"},
    "assigned": {"confirmed", "en_route", "cancelled", "no_show"},
    "en_route": {"arrived", "no_show", "cancelled"},
    "arrived": {"collected", "no_show"},
    "collected": {"delivered"},
}
_SITE_FLOW = {
    "requested": {"confirmed", "cancelled"},
    "confirmed": {"arrived", "collected", "cancelled", "no_show"},
    "arrived": {"collected", "no_show"},
    "collected": {"delivered"},
}
_FLOWS = {**dict.fromkeys(FIELD_KINDS, _FIELD_FLOW), "service_center": _SITE_FLOW, "provider": _SITE_FLOW}


# A technician's report undone within minutes (dispatch.progress): the statuses a report may be
# taken back to, from the status it left the booking in.
_UNDO = {
    "en_route": {"assigned"},
    "arrived": {"assigned", "en_route"},
    "collected": {"assigned", "en_route", "arrived"},
    "no_show": {"confirmed", "assigned", "en_route", "arrived"},
}


def check_undo(kind: str, current: str, previous: str) -> None:
    """:raise Conflict: (409) a report that left the booking ``current`` cannot be taken back to ``previous``."""
    if kind not in FIELD_KINDS or previous not in _UNDO.get(current, set()):
        raise Conflict(
            f"A {kind} booking cannot be taken back from '{current}' to '{previous}'.", current_status=current
        )


def initial_status(kind: str) -> str:
    return "requested" if kind == "provider" else "confirmed"


def allowed_next(kind: str, status: str) -> set[str]:
    return set(_FLOWS[kind].get(status, set()))


def check_transition(kind: str, current: str, new: str) -> None:
    """:raise Conflict: (409) when ``new`` may not follow ``current`` for this kind."""
    if new not in ALL_STATUSES:
        raise Conflict(f"'{new}' is not a booking status.")
    if new not in allowed_next(kind, current):
        allowed = ", ".join(sorted(allowed_next(kind, current))) or "none (final status)"
        raise Conflict(
            f"A {kind} booking cannot go from '{current}' to '{new}'. Allowed next: {allowed}.",
            current_status=current,
        )


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES


def is_completed(status: str) -> bool:
    return status in DONE_STATUSES
