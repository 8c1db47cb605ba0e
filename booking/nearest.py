"""Nearest service centers to a point, by geodesic distance, fast.

An exact geodesic (WGS-84) distance costs tens of microseconds in Python, too
slow to compute for every center on every search. The index therefore
prefilters with a vectorised great-circle (haversine) distance over numpy
arrays built once, keeps a candidate set that is certain to contain the
answer, and computes exact geodesic distances only for those candidates.

Plain functions over plain data: no Flask, no database.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from geopy.distance import geodesic

# Mean Earth radius (IUGG). On this sphere the haversine/geodesic ratio lies
# within [0.9955, 1.0057] for any pair of points, so haversine can rank two
# places wrongly only when their distances differ by less than a factor
# 1.0102. Candidates within 1.02 x the limit-th haversine distance (and
# 1.02 x the radius) are therefore a safe superset of the exact answer.
EARTH_RADIUS_KM = 6371.0088
CANDIDATE_MARGIN = 1.02
# Keeps points a few metres apart, where float rounding dominates, in the set.
CANDIDATE_SLACK_KM = 0.01

# One reusable geodesic: geopy builds its geographiclib solver on the first
# measure() of an instance, so calling geodesic(a, b) afresh for every pair
# costs more than twice as much. Same ellipsoid, same numbers.
_WGS84 = geodesic()
_WGS84.measure((0.0, 0.0), (0.0, 1.0))


@dataclass(frozen=True)
class NearbyPlace:
    """A place's id and its geodesic distance in kilometres from the query point."""

    id: int
    distance_km: float


def _check_point(latitude: float, longitude: float) -> None:
    if not (math.isfinite(latitude) and -90.0 <= latitude <= 90.0):
        raise ValueError(f"latitude must be within [-90, 90], got {latitude}")
    if not (math.isfinite(longitude) and -180.0 <= longitude <= 180.0):
        raise ValueError(f"longitude must be within [-180, 180], got {longitude}")


class PlaceIndex:
    """An immutable index of places, ``(id, latitude, longitude)``, for nearest queries.

    :raise ValueError: if a place has invalid coordinates or an id repeats.
    """

    def __init__(self, places: Iterable[tuple[int, float, float]]) -> None:
        rows = list(places)
        for _, latitude, longitude in rows:
            _check_point(latitude, longitude)
        ids = [int(place_id) for place_id, _, _ in rows]
        if len(set(ids)) != len(ids):
            raise ValueError("place ids must be unique")
        self._ids = np.array(ids, dtype=np.int64)
        self._points = [(float(lat), float(lon)) for _, lat, lon in rows]
        self._lat = np.radians(np.array([lat for lat, _ in self._points], dtype=np.float64))
        self._lon = np.radians(np.array([lon for _, lon in self._points], dtype=np.float64))
        self._cos_lat = np.cos(self._lat)

    def __len__(self) -> int:
        return len(self._points)

    def haversine_km(self, latitude: float, longitude: float) -> np.ndarray:
        """Return the great-circle distance in km from the point to every place."""
        lat0, lon0 = math.radians(latitude), math.radians(longitude)
        half_dlat = np.sin((self._lat - lat0) / 2.0)
        half_dlon = np.sin((self._lon - lon0) / 2.0)
        a = half_dlat * half_dlat + math.cos(lat0) * self._cos_lat * half_dlon * half_dlon
        return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))

    def nearest(
        self,
        latitude: float,
        longitude: float,
        *,
        radius_km: float | None = None,
        limit: int = 10,
    ) -> list[NearbyPlace]:
        """Return up to ``limit`` places nearest the point, nearest first.

        Distances are WGS-84 geodesic kilometres; places farther than
        ``radius_km`` (when given) are left out; equal distances are ordered
        by id.

        :raise ValueError: if the point is invalid, ``limit`` < 1 or
            ``radius_km`` <= 0.
        """
        _check_point(latitude, longitude)
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        if radius_km is not None and not radius_km > 0:
            raise ValueError(f"radius_km must be positive, got {radius_km}")
        if not self._points:
            return []
        candidates = self._candidates(latitude, longitude, radius_km, limit)
        origin = (latitude, longitude)
        found = []
        for index in candidates.tolist():
            distance = _WGS84.measure(origin, self._points[index])
            if radius_km is None or distance <= radius_km:
                found.append(NearbyPlace(int(self._ids[index]), distance))
        found.sort(key=lambda place: (place.distance_km, place.id))
        return found[:limit]

    def _candidates(
        self, latitude: float, longitude: float, radius_km: float | None, limit: int
    ) -> np.ndarray:
        """Return indices of a superset of the answer, by haversine distance."""
        distances = self.haversine_km(latitude, longitude)
        if limit < len(distances):
            kth = float(np.partition(distances, limit - 1)[limit - 1])
        else:
            kth = float(distances.max())
        bound = kth * CANDIDATE_MARGIN + CANDIDATE_SLACK_KM
        if radius_km is not None:
            bound = min(bound, radius_km * CANDIDATE_MARGIN + CANDIDATE_SLACK_KM)
        return np.flatnonzero(distances <= bound)
