"""Tests for geocoding (booking.geocoding); nothing here calls an outside service."""

import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from booking.geocoding import (
    GeocodingError,
    GeoPoint,
    GeopyGeocoder,
    ZipCentroidGeocoder,
    build_geocoder,
    find_zip_code,
    geocode_location,
    parse_lat_lon,
)

ADDRESS = "350 Fifth Avenue, New York, NY 10118"


# --- a local stand-in for Nominatim's /search ------------------------------


class FakeNominatim:
    """What the stub server answers, and what it was asked."""

    def __init__(self) -> None:
        self.status = 200
        self.body: object = []
        self.delay = 0.0
        self.requests: list[tuple[str, dict[str, list[str]], str]] = []


def make_handler(fake: FakeNominatim) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            url = urlsplit(self.path)
            fake.requests.append((url.path, parse_qs(url.query), self.headers.get("User-Agent", "")))
            time.sleep(fake.delay)
            payload = json.dumps(fake.body).encode()
            self.send_response(fake.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass  # keep test output quiet

    return Handler


@pytest.fixture
def nominatim():
    """A Nominatim-like server on 127.0.0.1, yielding (fake, port)."""
    fake = FakeNominatim()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake, server.server_address[1]
    server.shutdown()
    server.server_close()


def local_geocoder(port: int, **options: object) -> GeopyGeocoder:
    options.setdefault("timeout", 5)
    return GeopyGeocoder(
        "nominatim", domain=f"127.0.0.1:{port}", scheme="http", user_agent="labvisit-test", **options
    )


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- GeoPoint and lat,lon ---------------------------------------------------


def test_geopoint_validates_ranges_and_precision():
    """A point out of range or of unknown precision is a ValueError."""
    with pytest.raises(ValueError, match="latitude"):
        GeoPoint(90.5, 0.0, "client")
    with pytest.raises(ValueError, match="longitude"):
        GeoPoint(0.0, -180.5, "client")
    with pytest.raises(ValueError, match="precision"):
        GeoPoint(0.0, 0.0, "rooftop")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("40.71,-74.00", (40.71, -74.0)),
        (" 40.71 , -74.00 ", (40.71, -74.0)),
        ("+40.71,-74", (40.71, -74.0)),
        ("-90,180", (-90.0, 180.0)),
        ("0,0", (0.0, 0.0)),
        (".5,-.25", (0.5, -0.25)),
    ],
)
def test_parse_lat_lon_reads_client_coordinates(text, expected):
    """A lat,lon pair (spaces allowed) becomes a point of precision client."""
    point = parse_lat_lon(text)
    assert point is not None
    assert (point.latitude, point.longitude, point.precision) == (*expected, "client")


@pytest.mark.parametrize(
    "text", ["", "40.71", "40.71,-74.00,3", "New York, NY 10118", "12,34 Main St", "nan,nan", "1e3,2"]
)
def test_parse_lat_lon_returns_none_for_other_text(text):
    """Text that is not exactly a pair of decimal numbers is left to the geocoder."""
    assert parse_lat_lon(text) is None


@pytest.mark.parametrize("text", ["91,0", "-90.01,0", "0,180.5", "45,-200"])
def test_parse_lat_lon_rejects_out_of_range(text):
    """A pair out of range is a GeocodingError, not silently passed on."""
    with pytest.raises(GeocodingError, match="itude must be within"):
        parse_lat_lon(text)


# --- offline ZIP centroids -------------------------------------------------


@pytest.mark.parametrize(
    ("address", "zip_code"),
    [
        (ADDRESS, "10118"),
        ("10001", "10001"),
        ("10001-1234", "10001"),
        ("1 Main St, Beverly Hills, CA 90210-1234, USA", "90210"),
        ("12345 Main St, Cambridge, MA 02139", "02139"),
        ("12345 Main St, Cambridge, MA", None),
        ("Call 555-12345", None),
        ("123456", None),
        ("no digits", None),
    ],
)
def test_find_zip_code(address, zip_code):
    """The last 5-digit group is the ZIP code; a leading house number is not."""
    assert find_zip_code(address) == zip_code


def test_zip_centroid_geocoder_returns_the_centroid():
    """A known ZIP code gives its centroid from the zipcodes data, precision zip_centroid."""
    point = ZipCentroidGeocoder().geocode("1 Main St, Beverly Hills, CA 90210")
    assert point == GeoPoint(34.0901, -118.4065, "zip_centroid", "Beverly Hills, CA 90210")


def test_zip_centroid_geocoder_keeps_leading_zeros():
    """ZIP codes are strings: 02139 is Cambridge, MA, not 2139."""
    point = ZipCentroidGeocoder().geocode("MIT, Cambridge MA 02139-4307")
    assert point.label == "Cambridge, MA 02139"
    assert 42.3 < point.latitude < 42.4 and -71.2 < point.longitude < -71.0


def test_zip_centroid_geocoder_without_zip_is_an_error():
    """An address without a ZIP code is a GeocodingError saying so."""
    with pytest.raises(GeocodingError, match="no US ZIP code") as caught:
        ZipCentroidGeocoder().geocode("12 Elm Street, Springfield")
    assert caught.value.query == "12 Elm Street, Springfield"


def test_zip_centroid_geocoder_unknown_zip_is_an_error():
    """An unknown ZIP code is a GeocodingError naming the ZIP but not the street."""
    with pytest.raises(GeocodingError, match="unknown ZIP code 00000") as caught:
        ZipCentroidGeocoder().geocode("12 Elm Street, Nowhere 00000")
    assert "Elm" not in str(caught.value)


# --- geopy against the local Nominatim -------------------------------------


def test_geopy_geocoder_reads_nominatim_search(nominatim):
    """The Nominatim answer becomes a point of precision address, from one /search request."""
    fake, port = nominatim
    fake.body = [
        {"place_id": 1, "lat": "40.7484", "lon": "-73.9857", "display_name": "Empire State Building"}
    ]
    point = local_geocoder(port).geocode(ADDRESS)
    assert point == GeoPoint(40.7484, -73.9857, "address", "Empire State Building")
    [(path, params, user_agent)] = fake.requests
    assert path == "/search"
    assert params["q"] == [ADDRESS]
    assert params["format"] == ["json"]
    assert user_agent == "labvisit-test"


def test_geopy_geocoder_no_result_is_an_error(nominatim):
    """An empty result list is a GeocodingError that says nothing was found."""
    fake, port = nominatim
    fake.body = []
    with pytest.raises(GeocodingError, match="nominatim found no match"):
        local_geocoder(port).geocode(ADDRESS)


def test_geopy_geocoder_server_error_is_wrapped(nominatim):
    """A 500 from the service is a GeocodingError, not a geopy exception."""
    fake, port = nominatim
    fake.status, fake.body = 500, {"error": "internal"}
    with pytest.raises(GeocodingError, match="nominatim failed") as caught:
        local_geocoder(port).geocode(ADDRESS)
    assert caught.value.query == ADDRESS


def test_geopy_geocoder_timeout_is_wrapped(nominatim):
    """A service slower than the configured timeout is a GeocodingError, not a hang."""
    fake, port = nominatim
    fake.delay = 1.0
    # urllib3 retries the read twice before geopy reports the service unavailable
    with pytest.raises(GeocodingError, match="nominatim failed"):
        local_geocoder(port, timeout=0.2).geocode(ADDRESS)


def test_unreachable_service_error_does_not_carry_the_address():
    """A connection failure is a GeocodingError whose message and cause chain omit the address."""
    geocoder = local_geocoder(unused_port(), timeout=1)
    with pytest.raises(GeocodingError) as caught:
        geocoder.geocode(ADDRESS)
    assert "Fifth" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_geocoding_never_logs_the_address(nominatim, caplog):
    """Even at DEBUG, no log record mentions the address, on success or failure."""
    fake, port = nominatim
    geocoder = local_geocoder(port)
    with caplog.at_level(logging.DEBUG):
        fake.body = [{"lat": "40.7484", "lon": "-73.9857", "display_name": "x"}]
        geocoder.geocode(ADDRESS)
        fake.status, fake.body = 500, {"error": f"cannot parse {ADDRESS}"}
        with pytest.raises(GeocodingError):
            geocoder.geocode(ADDRESS)
    assert caplog.records, "expected some log records at DEBUG"
    assert not any("Fifth" in record.getMessage() for record in caplog.records)


def test_unknown_service_is_a_value_error():
    """An unknown geopy service name is a ValueError naming it."""
    with pytest.raises(ValueError, match="unknown geocoding service 'nowhere'"):
        GeopyGeocoder("nowhere")


def test_rejected_options_are_a_value_error():
    """Options the geopy class refuses are a ValueError (Nominatim needs a user agent)."""
    with pytest.raises(ValueError, match="invalid options"):
        GeopyGeocoder("nominatim")
    with pytest.raises(ValueError, match="invalid options"):
        GeopyGeocoder("nominatim", user_agent="labvisit-test", colour="blue")


# --- configuration and the entry point -------------------------------------


def test_build_geocoder_is_offline_by_default():
    """Without GEOCODER the offline ZIP centroid geocoder is used."""
    assert isinstance(build_geocoder({}), ZipCentroidGeocoder)
    assert isinstance(build_geocoder({"GEOCODER": "offline"}), ZipCentroidGeocoder)


def test_build_geocoder_builds_a_geopy_service(nominatim):
    """GEOCODER names a geopy service built with GEOCODER_OPTIONS."""
    fake, port = nominatim
    fake.body = [{"lat": "1.5", "lon": "2.5", "display_name": "somewhere"}]
    geocoder = build_geocoder(
        {
            "GEOCODER": "nominatim",
            "GEOCODER_OPTIONS": {
                "domain": f"127.0.0.1:{port}",
                "scheme": "http",
                "user_agent": "labvisit-test",
                "timeout": 5,
            },
        }
    )
    assert geocoder.geocode("somewhere") == GeoPoint(1.5, 2.5, "address", "somewhere")


def test_build_geocoder_rejects_options_that_are_not_a_mapping():
    """GEOCODER_OPTIONS must be a mapping."""
    with pytest.raises(ValueError, match="GEOCODER_OPTIONS"):
        build_geocoder({"GEOCODER": "nominatim", "GEOCODER_OPTIONS": ["user_agent"]})


class ExplodingGeocoder:
    def geocode(self, query: str) -> GeoPoint:
        raise AssertionError("the geocoder must not be called")


def test_geocode_location_takes_coordinates_without_the_geocoder():
    """A lat,lon pair is used as is; the geocoder is not asked."""
    point = geocode_location("40.7484, -73.9857", ExplodingGeocoder())
    assert point == GeoPoint(40.7484, -73.9857, "client")


def test_geocode_location_asks_the_geocoder_for_addresses():
    """Anything else goes to the geocoder, trimmed."""
    point = geocode_location("  New York, NY 10118 ", ZipCentroidGeocoder())
    assert point.precision == "zip_centroid" and point.label == "New York, NY 10118"


@pytest.mark.parametrize("text", ["", "   "])
def test_geocode_location_rejects_empty_text(text):
    """An empty location is a GeocodingError."""
    with pytest.raises(GeocodingError, match="empty"):
        geocode_location(text, ExplodingGeocoder())
