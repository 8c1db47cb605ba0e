"""Violations read in names and clock times on the board, from their fields."""

from __future__ import annotations

from dispatch.web.violations import Explainer

TZ = "America/New_York"


def _explainer():
    return Explainer(TZ, {2: "Ben V."}, {7: "Tess"})


def _violation(kind: str, **fields) -> dict:
    """A violation as the API sends it; the message is deliberately unhelpful,
    so a sentence that reads right can only come from the fields."""
    base = {
        "kind": kind,
        "message": "(engine text)",
        "booking_id": None,
        "technician_id": None,
        "lab_id": None,
        "time": None,
        "limit": None,
        "windows": [],
        "amount": None,
        "maximum": None,
    }
    return {**base, **fields}


def test_a_missed_window_names_the_patient_and_the_times():
    """The booking id becomes the patient, the local date-times clock times."""
    text = _explainer().explain(
        _violation(
            "time_window",
            booking_id=2,
            technician_id=7,
            time="2026-11-25T15:18:28-05:00",
            limit="2026-11-25T13:00:00-05:00",
            windows=[{"local_start": "2026-11-25T11:00:00-05:00", "local_end": "2026-11-25T13:00:00-05:00"}],
        )
    )
    assert text == {
        "kind": "time window",
        "message": "Ben V.: the technician would start at 3:18 PM, outside the window 11:00 AM–1:00 PM.",
    }


def test_a_late_lab_drop_and_a_long_day_name_the_technician():
    """Lab cutoffs, shift ends and visit limits are told with the technician's first name."""
    explain = _explainer().explain
    lab = _violation(
        "lab", technician_id=7, lab_id=1, time="2026-11-25T18:00:00-05:00", limit="2026-11-25T17:30:00-05:00"
    )
    assert explain(lab)["message"] == "Tess: would reach the lab at 6:00 PM, after its cutoff at 5:30 PM."
    shift = _violation(
        "shift", technician_id=7, time="2026-11-25T17:10:00-05:00", limit="2026-11-25T17:00:00-05:00"
    )
    assert explain(shift)["message"] == "Tess: would finish at 5:10 PM, after the shift ends at 5:00 PM."
    too_many = _violation("max_visits", technician_id=7, amount=13, maximum=12)
    assert explain(too_many)["message"] == "Tess: would have 13 visits, more than the maximum of 12."


def test_the_message_is_not_read_for_ids_or_times():
    """Ids and times written in the message are ignored: only the fields count."""
    text = _explainer().explain(
        _violation(
            "lab",
            message="t9: reaches lab l1 at 1, after its cutoff 0.",
            technician_id=7,
            time="2026-11-25T18:00:00-05:00",
            limit="2026-11-25T17:30:00-05:00",
        )
    )
    assert text["message"].startswith("Tess: would reach the lab at 6:00 PM")


def test_a_kind_without_a_sentence_keeps_the_engine_message():
    """An unknown kind is shown with the engine's own words."""
    text = _explainer().explain(_violation("accounting", message="t7: reports travel 1, the data give 2."))
    assert text == {"kind": "accounting", "message": "t7: reports travel 1, the data give 2."}
