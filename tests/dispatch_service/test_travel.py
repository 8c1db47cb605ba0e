"""Travel matrices: the geodesic estimate against geopy, and the OSRM table client against a local stub."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from geopy.distance import geodesic

from dispatch.travel import GeodesicTravel, OsrmTravel, TravelError, build_matrix

POINTS = [(40.7484, -73.9857), (40.6782, -73.9442), (40.8448, -73.8648), (40.7128, -74.0060)]


def test_geodesic_matrix_is_within_half_a_percent_of_geopy():
    """Straight-line metres (circuity 1) match geopy's ellipsoidal geodesic within 0.5 %."""
    matrix = GeodesicTravel(circuity=1.0, speed_kmh=36.0).matrix(POINTS)
    for i, a in enumerate(POINTS):
        for j, b in enumerate(POINTS):
            expected = geodesic(a, b).meters
            assert matrix.distance(i, j) == pytest.approx(expected, rel=0.005, abs=1)
            assert matrix.duration(i, j) == pytest.approx(expected / 10, rel=0.005, abs=1)  # 36 km/h = 10 m/s


def test_circuity_and_speed_scale_the_estimate():
    """Doubling circuity doubles distance; halving speed doubles time."""
    base = GeodesicTravel(1.0, 30.0).matrix(POINTS)
    longer = GeodesicTravel(2.0, 15.0).matrix(POINTS)
    assert longer.distance(0, 1) == pytest.approx(2 * base.distance(0, 1), abs=2)
    assert longer.duration(0, 1) == pytest.approx(4 * base.duration(0, 1), abs=4)


class _Osrm(BaseHTTPRequestHandler):
    answer: dict = {}
    paths: list[str] = []

    def do_GET(self):  # noqa: N802 - the http.server API
        type(self).paths.append(self.path)
        body = json.dumps(type(self).answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def osrm():
    server = HTTPServer(("127.0.0.1", 0), _Osrm)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Osrm.paths = []
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_osrm_table_is_read_in_lon_lat_order(osrm):
    """The client asks for lon,lat pairs with both annotations and rounds the table to ints."""
    _Osrm.answer = {"code": "Ok", "durations": [[0, 61.4], [59.6, 0]], "distances": [[0, 812.2], [790.0, 0]]}
    matrix = OsrmTravel(osrm).matrix(POINTS[:2])
    assert matrix.durations == ((0, 61), (60, 0)) and matrix.distances == ((0, 812), (790, 0))
    assert _Osrm.paths[0].startswith("/table/v1/driving/-73.985700,40.748400;-73.944200,40.678200?")
    assert "annotations=duration,distance" in _Osrm.paths[0]


@pytest.mark.parametrize(
    "answer",
    [{"code": "NoRoute"}, {"code": "Ok", "durations": [[0, None], [1, 0]], "distances": [[0, 1], [1, 0]]}],
)
def test_osrm_errors_fall_back_to_geodesic(osrm, answer):
    """A refusal or an unreachable pair is a TravelError; the planner then uses the geodesic estimate."""
    _Osrm.answer = answer
    with pytest.raises(TravelError):
        OsrmTravel(osrm).matrix(POINTS[:2])
    matrix, source = build_matrix({"OSRM_URL": osrm}, POINTS[:2])
    assert source == "geodesic-fallback" and matrix.duration(0, 1) > 0


def test_unreachable_osrm_is_a_travel_error_without_coordinates():
    """A dead service gives a TravelError whose message carries no coordinates."""
    with pytest.raises(TravelError) as caught:
        OsrmTravel("http://127.0.0.1:9", timeout=0.5).matrix(POINTS[:2])
    assert "40.7" not in str(caught.value) and caught.value.__cause__ is None


def test_configured_osrm_is_used_for_plans(osrm):
    """With OSRM_URL set and the service answering, the matrix comes from it."""
    _Osrm.answer = {"code": "Ok", "durations": [[0, 5], [5, 0]], "distances": [[0, 50], [50, 0]]}
    matrix, source = build_matrix({"OSRM_URL": osrm}, POINTS[:2])
    assert source == "osrm" and matrix.duration(0, 1) == 5
