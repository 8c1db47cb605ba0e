"""Availability through the API: center slots across DST, closures, home windows, provider."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from booking.services.capacity import _slot_start, center_slot_key
from tests.conftest import future_day


def get(client, headers, **params):
    return client.get("/api/v1/availability", query_string=params, headers=headers)


@pytest.mark.parametrize(
    "day,offset",
    [("2027-03-14", "-04:00"), ("2027-11-07", "-05:00"), ("2027-03-13", "-05:00"), ("2027-11-06", "-04:00")],
)
def test_center_slots_keep_local_hours_across_dst(world, client, day, offset):
    """On both US DST change days the grid still runs 07:00–15:00 local with the right offset."""
    pid, headers = world.patient_login(last_infusion=date(2026, 12, 1))
    cid = world.center(slot_minutes=30)
    body = get(client, headers, kind="service_center", service_center_id=cid, **{"from": day, "to": day}).json
    local = [o["local_start"] for o in body["openings"]]
    assert local[0] == f"{day}T07:00:00{offset}" and local[-1] == f"{day}T14:30:00{offset}"
    assert len(local) == 16 and body["time_zone"] == "America/New_York"
    utc_hour = 11 if offset == "-04:00" else 12
    assert body["openings"][0]["starts_at"] == f"{day}T{utc_hour}:00:00+00:00"
    assert body["openings"][0]["places_left"] == 2


def test_closures_and_closed_weekdays_have_no_slots(world, client, app):
    """A closure day and a weekday without hours offer nothing; the days around them do."""
    _, headers = world.patient_login()
    cid = world.center(weekdays=range(5))  # Monday to Friday
    start = future_day(14)
    monday = start + timedelta(days=(7 - start.weekday()) % 7)
    admin = world.login("admin")
    closed = client.post(
        f"/api/v1/service-centers/{cid}/closures",
        headers=admin,
        json={"start_date": monday.isoformat(), "end_date": monday.isoformat(), "reason": "Holiday"},
    )
    assert closed.status_code == 201
    body = get(
        client,
        headers,
        kind="service_center",
        service_center_id=cid,
        **{"from": (monday - timedelta(days=2)).isoformat(), "to": (monday + timedelta(days=1)).isoformat()},
    ).json
    days = {o["local_start"][:10] for o in body["openings"]}
    assert days == {(monday + timedelta(days=1)).isoformat()}


def test_home_windows_in_region_and_refused_outside(world, client):
    """Inside a region: 2-hour windows in its hours; outside every region: 422 saying so."""
    world.region(radius_km=10)
    _, inside = world.patient_login()
    day = future_day().isoformat()
    windows = get(client, inside, kind="home", **{"from": day, "to": day}).json["openings"]
    assert [w["local_start"][11:16] for w in windows] == ["08:00", "10:00", "12:00", "14:00"]
    _, outside = world.patient_login(home=(42.3601, -71.0589))  # Boston
    response = get(client, outside, kind="home", **{"from": day, "to": day})
    assert response.status_code == 422 and "outside every home-visit" in response.json["detail"]


def test_office_visit_uses_the_office_address(world, client):
    """An office inside the region gets windows even when home is outside it."""
    world.region(radius_km=10)
    _, headers = world.patient_login(home=(42.3601, -71.0589), office=(40.7527, -73.9772))
    day = future_day().isoformat()
    assert get(client, headers, kind="office", **{"from": day, "to": day}).json["openings"]


def test_provider_availability_gives_the_notice(world, client):
    """For a provider visit: no slots, the co-pay notice, and the provider's details."""
    _, headers = world.patient_login()
    day = future_day().isoformat()
    body = get(client, headers, kind="provider", **{"from": day, "to": day}).json
    assert body["openings"] == [] and body["copay_may_apply"] and body["time_agreed_with_provider"]
    assert "co-pay" in body["notice"] and body["provider"]["name"] == "Dr. Rivera"


@pytest.mark.parametrize(
    "params,status",
    [
        ({"from": "2020-01-01", "to": "2020-01-03"}, 422),  # past
        ({"from": "2030-01-10", "to": "2030-01-01"}, 422),  # reversed
        ({"from": "2030-01-01", "to": "2030-06-01"}, 422),  # too long
        ({"from": "2030-02-30", "to": "2030-03-01"}, 422),  # not a date
        ({"to": "2030-03-01"}, 422),  # missing from
    ],
)
def test_bad_ranges_are_422(world, client, params, status):
    """Past, reversed, too long, malformed and missing date ranges are refused."""
    _, headers = world.patient_login()
    cid = world.center()
    response = get(client, headers, kind="service_center", service_center_id=cid, **params)
    assert response.status_code == status
    assert response.content_type == "application/problem+json"


def test_unknown_center_is_404(world, client):
    """Asking for a center that does not exist is 404."""
    _, headers = world.patient_login()
    day = future_day().isoformat()
    response = get(
        client, headers, kind="service_center", service_center_id=424242, **{"from": day, "to": day}
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "start", [datetime(2026, 12, 3, 9, 15, tzinfo=UTC), datetime(2027, 1, 1, 0, 0, tzinfo=UTC)]
)
def test_a_slot_key_reads_back_as_its_start(start):
    """The time in a center's slot key is read back as the slot's UTC start."""
    key = center_slot_key(7, start)
    assert (
        _slot_start(key[len("center:7:") :])
        == start
        == datetime.strptime(key[9:], "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
    )
