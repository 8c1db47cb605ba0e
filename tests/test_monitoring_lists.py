"""The database's due and overdue lists against the Python rule, on random populations."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import selectinload

from booking import schedule
from booking.extensions import db
from booking.models import Booking, Patient, TreatmentCourse
from booking.services.monitoring import month_label, schedule_entries, today_for
from booking.services.monitoring_lists import ListFilters, _zones_by_current_month, due_page, overdue_page
from booking.states import ALL_STATUSES, OPEN_STATUSES

# Zones from UTC-11 to UTC+14, so that near a month's turn patients are in different months.
ZONES = ("America/New_York", "America/Los_Angeles", "Pacific/Pago_Pago", "Pacific/Kiritimati", "UTC")
PROVIDERS = ("Dr. Rivera", "Dr. Chen", None)


# --- the oracle: every schedule built in Python, as the lists were computed before ---------


def _schedules(now: datetime):
    patients = db.session.scalars(
        db.select(Patient).options(selectinload(Patient.courses)).order_by(Patient.last_name, Patient.id)
    ).all()
    by_patient = defaultdict(list)
    for booking in db.session.scalars(db.select(Booking)):
        by_patient[booking.patient_id].append(booking)
    for patient in patients:
        yield patient, schedule_entries(patient, by_patient[patient.id], today_for(patient, now))


def _row(patient, month, status, entries):
    return {
        "patient_id": patient.id,
        "name": f"{patient.first_name} {patient.last_name}",
        "phone": patient.phone,
        "month": month,
        "status": status,
        "overdue_months": [e["month"] for e in entries if e["status"] == "overdue"],
    }


def oracle_due(month: date, now: datetime, provider=None) -> list[dict]:
    label = month_label(month)
    out = []
    for patient, entries in _schedules(now):
        if provider and patient.provider_name != provider:
            continue
        entry = next((e for e in entries if e["month"] == label), None)
        if entry and entry["booking_id"] is None and entry["status"] in ("upcoming", "overdue"):
            out.append(_row(patient, label, entry["status"], entries))
    return out


def oracle_overdue(now: datetime) -> list[dict]:
    out = []
    for patient, entries in _schedules(now):
        overdue = [e["month"] for e in entries if e["status"] == "overdue"]
        chased_from = month_label(schedule.add_months(schedule.month_of(today_for(patient, now)), -1))
        if overdue and entries[-1]["month"] >= chased_from:
            out.append(_row(patient, overdue[-1], "overdue", entries))
    return out


# --- a random population -------------------------------------------------------------------


def _random_population(rng: random.Random, count: int, around: date) -> None:
    for n in range(count):
        first = around - timedelta(days=rng.randint(-90, 365 * 6))
        courses = [(first, first + timedelta(days=rng.randint(0, 400)))]
        if rng.random() < 0.3:
            second = courses[0][1] + timedelta(days=rng.randint(30, 900))
            courses.append((second, second + timedelta(days=rng.randint(0, 60))))
        patient = Patient(
            first_name=f"P{n}",
            last_name=rng.choice(("Ames", "Baker", "Cruz", "Diaz")),  # namesakes: ordered by id then
            time_zone=rng.choice(ZONES),
            phone=rng.choice(("555-0100", None)),
            home_address="1 Main St",
            home_latitude=40.7,
            home_longitude=-74.0,
            home_geo_precision="client",
            provider_name=rng.choice(PROVIDERS),
            courses=[TreatmentCourse(first_infusion=a, last_infusion=b) for a, b in courses],
        )
        db.session.add(patient)
        db.session.flush()
        start = schedule.month_of(first)
        taken: set[date] = set()
        for _ in range(rng.randint(0, 14)):
            month = schedule.add_months(start, rng.randint(-2, 70))
            status = rng.choice(ALL_STATUSES + ("collected", "collected", "delivered"))
            if status not in ("cancelled", "no_show"):
                if month in taken:
                    continue
                taken.add(month)
            starts = datetime(month.year, month.month, rng.randint(1, 28), 15, tzinfo=UTC)
            db.session.add(
                Booking(
                    patient_id=patient.id,
                    kind="service_center",
                    status=status,
                    monitoring_month=month,
                    starts_at=starts,
                    time_zone=patient.time_zone,
                )
            )
    db.session.commit()


def _instants(today: date) -> list[datetime]:
    """Mid-month, and the hours around a month's turn where the zones disagree on the month."""
    turn = datetime(today.year, today.month, 1, tzinfo=UTC)
    return [
        datetime(today.year, today.month, 15, 12, tzinfo=UTC),
        turn - timedelta(hours=11, minutes=30),
        turn + timedelta(hours=5),
        turn + timedelta(hours=11, minutes=30),
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_database_lists_match_the_python_rule_on_a_random_population(app, seed):
    """Due (for months past, present and future) and overdue are the Python rule's lists, row for row."""
    rng = random.Random(seed)
    today = date(2026, 3, 10)
    with app.app_context():
        _random_population(rng, 70, today)
        for now in _instants(today):
            assert overdue_page(now=now).rows == oracle_overdue(now)
            current = schedule.month_of(now.date())
            for shift in (-14, -2, -1, 0, 1, 3):
                month = schedule.add_months(current, shift)
                assert due_page(month, now=now).rows == oracle_due(month, now), (now, month)


def test_pages_add_up_to_the_whole_list_with_its_total(app):
    """Consecutive pages are the whole list in order, and each page carries the full count."""
    rng = random.Random(7)
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    with app.app_context():
        _random_population(rng, 60, now.date())
        whole = oracle_overdue(now)
        pages = [overdue_page(limit=7, offset=offset, now=now) for offset in range(0, len(whole) + 7, 7)]
        assert [row for page in pages for row in page.rows] == whole
        assert {page.total for page in pages} == {len(whole)}


def test_a_provider_filter_keeps_that_providers_patients_only(app):
    """Filtering by provider gives the rule's list restricted to that provider's patients."""
    rng = random.Random(11)
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    month = date(2026, 3, 1)
    with app.app_context():
        _random_population(rng, 60, now.date())
        page = due_page(month, ListFilters(provider="Dr. Chen"), now=now)
        assert page.rows == oracle_due(month, now, provider="Dr. Chen")
        assert page.total == len(page.rows) > 0


def test_an_open_booking_of_a_past_month_leaves_it_overdue(app, world):
    """A visit booked for last month and never completed does not take the patient off the overdue list."""
    pid = world.patient(first_infusion=date(2025, 1, 10), last_infusion=date(2026, 6, 1))
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    with app.app_context():
        db.session.add(
            Booking(
                patient_id=pid,
                kind="service_center",
                status=OPEN_STATUSES[1],
                monitoring_month=date(2026, 2, 1),
                starts_at=datetime(2026, 2, 20, 15, tzinfo=UTC),
                time_zone="America/New_York",
            )
        )
        db.session.commit()
        rows = overdue_page(now=now).rows
        assert [(r["patient_id"], r["month"], r["overdue_months"][0]) for r in rows] == [
            (pid, "2026-02", "2025-01")
        ]


def test_the_api_pages_and_filters_the_overdue_list(app, world, client):
    """GET /monitoring/overdue pages with X-Pagination's total and narrows by provider."""
    import json

    staff = world.login("coordinator")
    ids = [world.patient(first_infusion=date(2024, 1, 10), last_infusion=date(2026, 6, 1)) for _ in range(3)]
    world.patient(first_infusion=date(2024, 1, 10), last_infusion=date(2026, 6, 1), provider=False)
    first = client.get("/api/v1/monitoring/overdue?page_size=2", headers=staff)
    second = client.get("/api/v1/monitoring/overdue?page_size=2&page=2", headers=staff)
    assert json.loads(first.headers["X-Pagination"])["total"] == 4
    assert len(first.json) == 2 and len(second.json) == 2
    mine = client.get("/api/v1/monitoring/overdue", query_string={"provider": "Dr. Rivera"}, headers=staff)
    assert sorted(row["patient_id"] for row in mine.json) == sorted(ids)
    bad = client.get("/api/v1/monitoring/due", query_string={"region_id": "x"}, headers=staff)
    assert bad.status_code == 422 and bad.content_type == "application/problem+json"


def test_the_zones_are_read_only_within_a_day_of_a_months_turn(app, world):
    """Mid-month it is the same month in every zone (no zone is read); near the turn the zones are grouped."""
    world.patient()
    with app.app_context():
        assert _zones_by_current_month(datetime(2026, 3, 15, 12, tzinfo=UTC)) == {date(2026, 3, 1): None}
        turn = _zones_by_current_month(datetime(2026, 4, 1, 3, tzinfo=UTC))
        assert dict(turn) == {date(2026, 3, 1): ["America/New_York"]}
