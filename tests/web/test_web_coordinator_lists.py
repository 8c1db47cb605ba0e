"""The coordinator's home page lists due and overdue patients a page at a time."""

from __future__ import annotations

from datetime import date


def test_the_overdue_table_shows_25_with_the_total_and_pages_on(world, signed_in):
    """27 overdue patients: 25 rows, the total in the heading, and a next page with the other 2."""
    for _ in range(27):
        world.patient(first_infusion=date(2024, 1, 10), last_infusion=date(2026, 6, 1))
    _, client = signed_in("coordinator")
    home = client.get("/coordinator").get_data(as_text=True)
    overdue = home.split('id="overdue-heading"')[1]
    assert "Overdue (27)" in overdue
    assert overdue.count("Book for Pat") == 25
    assert "Showing 1–25 of 27." in overdue and "overdue_from=25" in overdue
    rest = client.get("/coordinator?overdue_from=25").get_data(as_text=True).split('id="overdue-heading"')[1]
    assert rest.count("Book for Pat") == 2 and "Previous 25" in rest
