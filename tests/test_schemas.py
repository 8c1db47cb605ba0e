"""Response schemas: the plain builders of the hot answers write what marshmallow would."""

from __future__ import annotations

from datetime import date

from booking.schemas import Rendered, ScheduleEntrySchema, ScheduleSchema, ServiceCenterSchema

ENTRIES = [
    {
        "month": "2026-01",
        "index": 0,
        "tests": ["cbc_with_differential", "thyroid_function"],
        "skin_check_due": True,
        "skin_check_done_on": date(2026, 1, 20),
        "status": "completed",
        "booking_id": 17,
    },
    {
        "month": "2026-02",
        "index": 1,
        "tests": ["cbc_with_differential"],
        "skin_check_due": False,
        "skin_check_done_on": None,
        "status": "upcoming",
        "booking_id": None,
    },
]


def test_schedule_months_are_what_the_entry_schema_dumps():
    """The schedule's months, written by the plain builder, equal ScheduleEntrySchema's dump."""
    schedule = {
        "patient_id": 3,
        "first_month": "2026-01",
        "last_month": "2026-02",
        "current_month": "2026-02",
        "months": ENTRIES,
    }
    assert ScheduleSchema().dump(schedule)["months"] == ScheduleEntrySchema(many=True).dump(ENTRIES)


def test_rendered_items_are_sent_as_they_are_and_others_are_dumped():
    """A Rendered list passes through a rendered-aware schema; a plain list is dumped field by field."""
    rendered = Rendered([{"id": 1, "name": "Midtown"}])
    assert ServiceCenterSchema(many=True).dump(rendered) == [{"id": 1, "name": "Midtown"}]
    assert ServiceCenterSchema(many=True).dump([{"id": "2", "name": "Uptown", "extra": 1}]) == [
        {"id": 2, "name": "Uptown"}
    ]
