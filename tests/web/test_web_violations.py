"""Violations read in names and clock times on the board."""

from __future__ import annotations

from datetime import datetime

from booking.slots import zone_for
from booking.web.violations import Explainer

ORIGIN = datetime(2026, 11, 25, tzinfo=zone_for("America/New_York"))


def _explainer():
    return Explainer(ORIGIN, "America/New_York", {2: "Ben V."}, {7: "Tess"})


def test_a_missed_window_names_the_patient_and_the_times():
    """Seconds from midnight become wall-clock times; the visit key becomes the patient."""
    text = _explainer().explain(
        {"kind": "time_window", "message": "b2: service starts at 55108, outside [(39600, 46800)]."}
    )
    assert text == {
        "kind": "time window",
        "message": "Ben V.: the technician would start at 3:18 PM, outside the window 11:00 AM–1:00 PM.",
    }


def test_a_late_lab_drop_and_a_long_day_name_the_technician():
    """Lab cutoffs and shift ends are told with the technician's first name."""
    explain = _explainer().explain
    assert explain({"kind": "lab", "message": "t7: reaches lab l1 at 64800, after its cutoff 63000."})[
        "message"
    ] == ("Tess: would reach the lab at 6:00 PM, after its cutoff at 5:30 PM.")
    assert (
        "Tess: would have 13 visits"
        in explain({"kind": "max_visits", "message": "t7 has 13 visits, maximum 12."})["message"]
    )


def test_unknown_messages_keep_their_text_with_names():
    """A message without a known shape keeps its words; only the keys are replaced."""
    text = _explainer().explain({"kind": "pin", "message": "Visit b2 is pinned to t7, routed to t9."})
    assert text["message"] == "Visit Ben V. is pinned to Tess, routed to technician 9."
