"""Service centers: nearest-first search with geodesic distances, and admin management."""

from __future__ import annotations

import pytest


@pytest.fixture
def centers(world):
    return {
        "midtown": world.center(name="Midtown", lat=40.7505, lon=-73.9934),
        "brooklyn": world.center(name="Brooklyn", network="Quest-like", lat=40.6928, lon=-73.9903),
        "newark": world.center(name="Newark", lat=40.7357, lon=-74.1724),
    }


def test_nearest_first_with_distance(world, client, centers):
    """Centers come nearest first, with the geodesic distance in km."""
    headers = world.login("patient", patient_id=world.patient())
    body = client.get(
        "/api/v1/service-centers", query_string={"near": "40.7484,-73.9857"}, headers=headers
    ).json
    assert [c["name"] for c in body] == ["Midtown", "Brooklyn", "Newark"]
    from geopy.distance import geodesic

    assert body[0]["distance_km"] == pytest.approx(
        geodesic((40.7484, -73.9857), (40.7505, -73.9934)).km, abs=1e-3
    )
    assert body[2]["distance_km"] == pytest.approx(
        geodesic((40.7484, -73.9857), (40.7357, -74.1724)).km, abs=1e-3
    )


def test_radius_limit_and_network_filter(world, client, centers):
    """radius_km cuts far centers, limit cuts the list, network keeps one network."""
    headers = world.login("coordinator")
    near = {"near": "40.7484,-73.9857"}
    within = client.get(
        "/api/v1/service-centers", query_string={**near, "radius_km": 10}, headers=headers
    ).json
    assert [c["name"] for c in within] == ["Midtown", "Brooklyn"]
    one = client.get("/api/v1/service-centers", query_string={**near, "limit": 1}, headers=headers).json
    assert [c["name"] for c in one] == ["Midtown"]
    quest = client.get(
        "/api/v1/service-centers", query_string={**near, "network": "quest-like"}, headers=headers
    ).json
    assert [c["name"] for c in quest] == ["Brooklyn"]


def test_near_a_zip_code(world, client, centers):
    """A ZIP code is geocoded offline to its centroid."""
    body = client.get(
        "/api/v1/service-centers",
        query_string={"near": "Brooklyn, NY 11201"},
        headers=world.login("coordinator"),
    ).json
    assert body[0]["name"] == "Brooklyn"


@pytest.mark.parametrize("near", ["nowhere at all", "91.0,10.0", "00000"])
def test_place_that_cannot_be_geocoded_is_422(world, client, near):
    """An address without a known ZIP or an impossible coordinate is 422 naming 'near'."""
    response = client.get(
        "/api/v1/service-centers", query_string={"near": near}, headers=world.login("coordinator")
    )
    assert response.status_code == 422
    assert "near" in response.json["errors"]


def test_search_sees_new_and_deactivated_centers(world, client, centers):
    """The cached index follows admin changes at once."""
    admin = world.login("admin")
    near = {"near": "40.7484,-73.9857", "limit": 1}
    assert (
        client.get("/api/v1/service-centers", query_string=near, headers=admin).json[0]["name"] == "Midtown"
    )
    client.patch(f"/api/v1/service-centers/{centers['midtown']}", json={"active": False}, headers=admin)
    assert (
        client.get("/api/v1/service-centers", query_string=near, headers=admin).json[0]["name"] == "Brooklyn"
    )
    created = client.post(
        "/api/v1/service-centers",
        headers=admin,
        json={
            "network": "Acme Labs",
            "name": "Empire",
            "time_zone": "America/New_York",
            "address": {
                "line": "350 5th Ave, New York, NY 10118",
                "latitude": 40.7484,
                "longitude": -73.9857,
            },
            "hours": [{"weekday": 0, "opens": "08:00:00", "closes": "12:00:00"}],
        },
    )
    assert created.status_code == 201, created.json
    assert client.get("/api/v1/service-centers", query_string=near, headers=admin).json[0]["name"] == "Empire"


def test_admin_input_is_validated(world, client):
    """Hours that close before they open and unknown fields are 422."""
    admin = world.login("admin")
    body = {
        "network": "A",
        "name": "B",
        "time_zone": "America/New_York",
        "address": {"line": "Somewhere 10001"},
        "hours": [{"weekday": 0, "opens": "12:00:00", "closes": "08:00:00"}],
    }
    assert client.post("/api/v1/service-centers", json=body, headers=admin).status_code == 422
    body["hours"][0] = {"weekday": 7, "opens": "08:00:00", "closes": "12:00:00"}
    assert client.post("/api/v1/service-centers", json=body, headers=admin).status_code == 422
    assert client.patch("/api/v1/service-centers/1", json={"latitude": 1}, headers=admin).status_code == 422


def test_nearest_listing_is_what_the_center_schema_dumps(world, client, centers, app):
    """The nearest search's plain-built listing equals ServiceCenterSchema's dump of the same centers."""
    admin = world.login("admin")
    closure = {"start_date": "2026-12-24", "end_date": "2026-12-26", "reason": "holidays"}
    client.post(f"/api/v1/service-centers/{centers['midtown']}/closures", json=closure, headers=admin)
    client.patch(
        f"/api/v1/service-centers/{centers['brooklyn']}",
        json={"hours": [{"weekday": 5, "opens": "09:00:00", "closes": "12:30:00"}]},
        headers=admin,
    )
    listed = client.get(
        "/api/v1/service-centers", query_string={"near": "40.7484,-73.9857"}, headers=admin
    ).json
    one_by_one = [client.get(f"/api/v1/service-centers/{c['id']}", headers=admin).json for c in listed]
    assert [{**c, "distance_km": None} for c in listed] == one_by_one
    assert listed[0]["closures"][0]["reason"] == "holidays"
