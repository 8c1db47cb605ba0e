"""Tests for nearest-place search (booking.nearest)."""

import math

import pytest
from geopy.distance import geodesic
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from booking.nearest import NearbyPlace, PlaceIndex

# One degree of longitude along the WGS-84 equator, in km.
EQUATOR_DEGREE_KM = 111.31949079327357


def brute_force(places, latitude, longitude, radius_km=None, limit=10):
    """The answer by definition: every geodesic distance, sorted, cut."""
    found = [
        NearbyPlace(place_id, geodesic((latitude, longitude), (lat, lon)).km) for place_id, lat, lon in places
    ]
    found = [p for p in found if radius_km is None or p.distance_km <= radius_km]
    found.sort(key=lambda p: (p.distance_km, p.id))
    return found[:limit]


EQUATOR = [(1, 0.0, 1.0), (2, 0.0, 2.0), (3, 0.0, 3.0), (4, 0.0, -4.0)]


def test_empty_index_finds_nothing():
    """An index without places answers with an empty list."""
    assert PlaceIndex([]).nearest(40.0, -74.0) == []
    assert len(PlaceIndex([])) == 0


def test_nearest_first_with_geodesic_km():
    """Places come nearest first with WGS-84 geodesic distances in km."""
    result = PlaceIndex(EQUATOR).nearest(0.0, 0.0)
    assert [p.id for p in result] == [1, 2, 3, 4]
    assert [round(p.distance_km, 3) for p in result] == [
        round(n * EQUATOR_DEGREE_KM, 3) for n in (1, 2, 3, 4)
    ]


def test_limit_cuts_the_list():
    """At most limit places are returned, the nearest ones."""
    assert [p.id for p in PlaceIndex(EQUATOR).nearest(0.0, 0.0, limit=2)] == [1, 2]


def test_limit_larger_than_index_returns_all():
    """A limit above the number of places returns every place."""
    assert len(PlaceIndex(EQUATOR).nearest(0.0, 0.0, limit=100)) == 4


def test_radius_is_inclusive_and_in_geodesic_km():
    """A place exactly at the radius is kept; beyond it is left out."""
    index = PlaceIndex(EQUATOR)
    exact = index.nearest(0.0, 0.0)[1].distance_km
    assert [p.id for p in index.nearest(0.0, 0.0, radius_km=exact)] == [1, 2]
    assert [p.id for p in index.nearest(0.0, 0.0, radius_km=exact - 0.001)] == [1]
    assert index.nearest(0.0, 0.0, radius_km=50) == []


def test_ties_are_broken_by_id():
    """Places at the same distance come in id order, whatever the input order."""
    index = PlaceIndex([(9, 10.0, 20.0), (3, 10.0, 20.0), (5, 10.0, 20.0)])
    assert [p.id for p in index.nearest(10.0, 20.0, limit=2)] == [3, 5]
    assert all(p.distance_km == 0.0 for p in index.nearest(10.0, 20.0))


def test_search_crosses_the_antimeridian():
    """A place just across longitude 180 is found as near as it really is."""
    index = PlaceIndex([(1, 0.0, -179.9), (2, 0.0, 178.0)])
    nearest = index.nearest(0.0, 179.9, limit=1)[0]
    assert nearest.id == 1
    assert math.isclose(nearest.distance_km, 0.2 * EQUATOR_DEGREE_KM, rel_tol=1e-9)


def test_search_near_a_pole():
    """Near the pole, longitude differences matter little and distances stay geodesic."""
    places = [(1, 89.9, 0.0), (2, 89.9, 180.0), (3, 89.0, 0.0)]
    result = PlaceIndex(places).nearest(90.0, 0.0)
    assert [p.id for p in result[:2]] == [1, 2] and result[2].id == 3
    assert result == brute_force(places, 90.0, 0.0)


@pytest.mark.parametrize(
    ("latitude", "longitude"), [(90.1, 0), (-91, 0), (0, 180.5), (0, -181), (math.nan, 0), (0, math.inf)]
)
def test_invalid_query_point_is_rejected(latitude, longitude):
    """A query point out of range or not finite is a ValueError."""
    with pytest.raises(ValueError, match="itude"):
        PlaceIndex(EQUATOR).nearest(latitude, longitude)


def test_invalid_place_is_rejected():
    """A place out of range is a ValueError when the index is built."""
    with pytest.raises(ValueError, match="latitude"):
        PlaceIndex([(1, 95.0, 0.0)])


def test_duplicate_ids_are_rejected():
    """Two places with one id are a ValueError."""
    with pytest.raises(ValueError, match="unique"):
        PlaceIndex([(1, 0.0, 0.0), (1, 1.0, 1.0)])


@pytest.mark.parametrize("limit", [0, -1])
def test_limit_below_one_is_rejected(limit):
    """limit < 1 is a ValueError."""
    with pytest.raises(ValueError, match="limit"):
        PlaceIndex(EQUATOR).nearest(0.0, 0.0, limit=limit)


@pytest.mark.parametrize("radius_km", [0, -5, math.nan])
def test_non_positive_radius_is_rejected(radius_km):
    """radius_km <= 0 (or NaN) is a ValueError."""
    with pytest.raises(ValueError, match="radius_km"):
        PlaceIndex(EQUATOR).nearest(0.0, 0.0, radius_km=radius_km)


def test_index_accepts_any_iterable_once():
    """Places may come from a generator; the index keeps its own copy."""
    index = PlaceIndex((i, 0.0, float(i)) for i in range(1, 4))
    assert [p.id for p in index.nearest(0.0, 0.0)] == [1, 2, 3]


latitudes = st.floats(-90, 90, allow_nan=False)
longitudes = st.floats(-180, 180, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    points=st.lists(st.tuples(latitudes, longitudes), max_size=60),
    query=st.tuples(latitudes, longitudes),
    limit=st.integers(1, 12),
    radius_km=st.none() | st.floats(0.5, 20000),
)
def test_matches_brute_force_worldwide(points, query, limit, radius_km):
    """Anywhere on Earth, the index answers exactly what brute force does."""
    places = [(i, lat, lon) for i, (lat, lon) in enumerate(points)]
    index = PlaceIndex(places)
    assert index.nearest(*query, radius_km=radius_km, limit=limit) == brute_force(
        places, *query, radius_km=radius_km, limit=limit
    )


@settings(max_examples=200, deadline=None)
@given(
    center=st.tuples(st.floats(-80, 80), st.floats(-179, 179)),
    offsets=st.lists(st.tuples(st.floats(-0.5, 0.5), st.floats(-0.5, 0.5)), min_size=1, max_size=80),
    query_offset=st.tuples(st.floats(-0.5, 0.5), st.floats(-0.5, 0.5)),
    limit=st.integers(1, 12),
    radius_km=st.none() | st.floats(0.1, 80),
)
def test_matches_brute_force_in_a_dense_metro(center, offsets, query_offset, limit, radius_km):
    """Among many close places, where haversine and geodesic rankings could swap, the answer is exact."""
    lat0, lon0 = center
    places = [(i, lat0 + dlat, lon0 + dlon) for i, (dlat, dlon) in enumerate(offsets)]
    query = (lat0 + query_offset[0], lon0 + query_offset[1])
    assume(all(-180 <= lon <= 180 for _, _, lon in places))
    index = PlaceIndex(places)
    assert index.nearest(*query, radius_km=radius_km, limit=limit) == brute_force(
        places, *query, radius_km=radius_km, limit=limit
    )


def test_ring_of_nearly_equal_distances_is_ranked_exactly():
    """Places on a ring at nearly one haversine distance are ranked by geodesic distance."""
    # At the equator haversine overstates north-south distances and
    # understates east-west ones, so the two rankings disagree on a ring.
    places = []
    for i in range(360):
        bearing = math.radians(i)
        places.append((i, 0.5 * math.cos(bearing), 0.5 * math.sin(bearing)))
    index = PlaceIndex(places)
    for limit in (1, 5, 40, 200):
        assert index.nearest(0.0, 0.0, limit=limit) == brute_force(places, 0.0, 0.0, limit=limit)
