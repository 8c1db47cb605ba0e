"""Travel times and distances between points, as the dispatch engine's :class:`TravelMatrix`.

By default a great-circle distance on the WGS-84 mean radius (within 0.5 % of
the ellipsoidal geodesic, far below the uncertainty of the road-circuity
factor) times a circuity factor, driven at an average speed. Computed with
numpy so a 350-point day takes milliseconds. When ``OSRM_URL`` is configured,
an OSRM-style ``/table/v1/driving/`` service gives real road times; if it
fails, the plan falls back to the geodesic estimate and says so.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from config import setting
from dispatch.engine.problem import TravelMatrix

log = logging.getLogger(__name__)

EARTH_RADIUS_M = 6_371_008.8
Point = tuple[float, float]  # (latitude, longitude)


class TravelError(RuntimeError):
    """The routing service did not give a usable matrix."""


@dataclass(frozen=True)
class GeodesicTravel:
    """Straight-line distance stretched by ``circuity`` and driven at ``speed_kmh``."""

    circuity: float = 1.35
    speed_kmh: float = 28.0
    name: str = "geodesic"

    def metres(self, origins: Sequence[Point], destinations: Sequence[Point]) -> np.ndarray:
        a = np.radians(np.asarray(origins, dtype=float).reshape(-1, 2))
        b = np.radians(np.asarray(destinations, dtype=float).reshape(-1, 2))
        dlat = b[None, :, 0] - a[:, None, 0]
        dlon = b[None, :, 1] - a[:, None, 1]
        h = np.sin(dlat / 2) ** 2 + np.cos(a[:, None, 0]) * np.cos(b[None, :, 0]) * np.sin(dlon / 2) ** 2
        return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))) * self.circuity

    def tables(
        self, origins: Sequence[Point], destinations: Sequence[Point]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Durations in seconds and distances in metres, as integer arrays."""
        metres = self.metres(origins, destinations)
        seconds = metres / (self.speed_kmh * 1000 / 3600)
        return np.rint(seconds).astype(np.int64), np.rint(metres).astype(np.int64)

    def matrix(self, points: Sequence[Point]) -> TravelMatrix:
        durations, distances = self.tables(points, points)
        return TravelMatrix(durations.tolist(), distances.tolist())


@dataclass(frozen=True)
class OsrmTravel:
    """An OSRM-style table service: ``{base}/table/v1/driving/{lon,lat;...}``."""

    base_url: str
    timeout: float = 10.0
    name: str = "osrm"

    def matrix(self, points: Sequence[Point]) -> TravelMatrix:
        """:raise TravelError: the service is down, refuses, or answers nonsense."""
        durations, distances = self._table(points, "")
        return TravelMatrix(durations, distances)

    def durations(self, origins: Sequence[Point], destinations: Sequence[Point]) -> list[list[int]]:
        """Seconds from each origin to each destination (one request, ``sources``/``destinations``).

        :raise TravelError: as :meth:`matrix`.
        """
        points = list(origins) + list(destinations)
        sources = ";".join(str(i) for i in range(len(origins)))
        targets = ";".join(str(len(origins) + i) for i in range(len(destinations)))
        durations, _ = self._table(points, f"&sources={sources}&destinations={targets}")
        return durations

    def _table(self, points: Sequence[Point], selection: str) -> tuple[list[list[int]], list[list[int]]]:
        coordinates = ";".join(f"{lon:.6f},{lat:.6f}" for lat, lon in points)
        url = (
            f"{self.base_url.rstrip('/')}/table/v1/driving/{coordinates}"
            f"?annotations=duration,distance{selection}"
        )
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                body = json.load(response)
        except (urllib.error.URLError, TimeoutError, ValueError, OSError) as exc:
            # The URL holds coordinates of patients' homes: never log it.
            raise TravelError(f"routing service unavailable ({type(exc).__name__})") from None
        if body.get("code") != "Ok":
            raise TravelError(f"routing service answered {body.get('code')!r}")
        try:
            durations = [[_whole(v) for v in row] for row in body["durations"]]
            distances = [[_whole(v) for v in row] for row in body["distances"]]
            return durations, distances
        except (KeyError, TypeError, ValueError) as exc:
            raise TravelError(f"routing service gave an unusable table ({exc})") from None


def _whole(value) -> int:
    if value is None:
        raise ValueError("unreachable pair (null) in the table")
    return int(round(float(value)))


def geodesic_for(config) -> GeodesicTravel:
    return GeodesicTravel(
        float(setting(config, "DISPATCH_CIRCUITY")), float(setting(config, "DISPATCH_SPEED_KMH"))
    )


def travel_for(config) -> GeodesicTravel | OsrmTravel:
    """The configured travel source: OSRM when ``OSRM_URL`` is set, else geodesic."""
    if setting(config, "OSRM_URL"):
        return OsrmTravel(setting(config, "OSRM_URL"), float(setting(config, "OSRM_TIMEOUT")))
    return geodesic_for(config)


def build_matrix(config, points: Sequence[Point]) -> tuple[TravelMatrix, str]:
    """The matrix for ``points`` and where it came from (``osrm``, ``geodesic``, ``geodesic-fallback``)."""
    source = travel_for(config)
    if isinstance(source, OsrmTravel):
        try:
            return source.matrix(points), source.name
        except TravelError as exc:
            log.warning("travel matrix: %s; using the geodesic estimate", exc)
            return geodesic_for(config).matrix(points), "geodesic-fallback"
    return source.matrix(points), source.name


def durations_between(config, origins: Sequence[Point], destinations: Sequence[Point]) -> list[list[int]]:
    """Seconds between two sets of points from the same source as :func:`build_matrix`, falling back
    the same way: the booking-time check uses it to place one more address in a day built with
    :func:`build_matrix`, so both see the same travel times."""
    source = travel_for(config)
    if isinstance(source, OsrmTravel):
        try:
            return source.durations(origins, destinations)
        except TravelError as exc:
            log.warning("travel times: %s; using the geodesic estimate", exc)
            source = geodesic_for(config)
    return source.tables(origins, destinations)[0].tolist()
