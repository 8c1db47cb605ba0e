"""Turning what a patient types into a point on the map.

A "lat,lon" pair is taken as is. Otherwise the configured geocoder answers:
offline by default (the centroid of the address's US ZIP code, from the
``zipcodes`` package's bundled data), or any geopy service (e.g. Nominatim)
chosen by configuration.

Addresses are protected health information here: nothing in this module
logs a query, geopy's own debug and info records (which carry the request
URL and the service's error body) are dropped, and query strings are cut
from urllib3's records of the requests it sends.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

import zipcodes
from geopy.exc import GeopyError
from geopy.geocoders import get_geocoder_for_service

logger = logging.getLogger(__name__)

PRECISIONS = ("client", "zip_centroid", "address")
OFFLINE = "offline"

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_LAT_LON = re.compile(rf"^\s*({_NUMBER})\s*,\s*({_NUMBER})\s*$")
_ZIP = re.compile(r"(?<![\d-])(\d{5})(?:-\d{4})?(?![\d-])")


class GeocodingError(Exception):
    """A location could not be turned into coordinates.

    The message says what could not be geocoded and why, without repeating
    a street address (messages end up in logs); ``query`` keeps the input
    for a caller that wants to echo it back to its own user.
    """

    def __init__(self, message: str, query: str = "") -> None:
        super().__init__(message)
        self.query = query


@dataclass(frozen=True)
class GeoPoint:
    """A WGS-84 point and how precise it is: ``client``, ``zip_centroid`` or ``address``.

    :raise ValueError: if a coordinate is out of range or the precision unknown.
    """

    latitude: float
    longitude: float
    precision: str
    label: str = ""

    def __post_init__(self) -> None:
        check_coordinates(self.latitude, self.longitude)
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")


class Geocoder(Protocol):
    def geocode(self, query: str) -> GeoPoint: ...


def check_coordinates(latitude: float, longitude: float) -> None:
    """Check a latitude in [-90, 90] and a longitude in [-180, 180].

    :raise ValueError: if either is out of range or not finite.
    """
    if not (math.isfinite(latitude) and -90.0 <= latitude <= 90.0):
        raise ValueError(f"latitude must be within [-90, 90], got {latitude}")
    if not (math.isfinite(longitude) and -180.0 <= longitude <= 180.0):
        raise ValueError(f"longitude must be within [-180, 180], got {longitude}")


def parse_lat_lon(text: str) -> GeoPoint | None:
    """Parse ``"40.71,-74.00"`` (spaces allowed) into a point of precision ``client``.

    Returns None when the text is not a pair of decimal numbers, so that it
    can be handed to a geocoder instead.

    :raise GeocodingError: if it is a pair but out of range (e.g. "91,0").
    """
    match = _LAT_LON.match(text)
    if match is None:
        return None
    latitude, longitude = float(match[1]), float(match[2])
    try:
        return GeoPoint(latitude, longitude, "client")
    except ValueError as error:
        raise GeocodingError(f"could not use the coordinates: {error}", text) from error


@dataclass(frozen=True)
class _ZipEntry:
    latitude: float
    longitude: float
    label: str


@cache
def _zip_table() -> dict[str, _ZipEntry]:
    """Index the ``zipcodes`` data by ZIP once; its own lookup scans the list."""
    return {
        entry["zip_code"]: _ZipEntry(
            float(entry["lat"]),
            float(entry["long"]),
            f"{entry['city']}, {entry['state']} {entry['zip_code']}",
        )
        for entry in zipcodes.list_all()
    }


def prepare(config: Mapping[str, Any]) -> None:
    """Build the offline geocoder's ZIP table now, at start-up.

    Built lazily it cost the first nearest-center search in each worker 0.7 s
    (the ``zipcodes`` data is read and parsed); a served process calls this
    before it takes requests (``wsgi.py``).
    """
    if (config.get("GEOCODER") or OFFLINE) == OFFLINE:
        _zip_table()


def find_zip_code(address: str) -> str | None:
    """Return the 5-digit US ZIP code in ``address`` (ZIP+4 allowed), or None.

    The last 5-digit group wins, because the ZIP code ends a US address. A
    leading group followed by more text is a house number ("12345 Main St"),
    not a ZIP code.
    """
    matches = list(_ZIP.finditer(address))
    text_start = len(address) - len(address.lstrip())
    if matches and matches[0].start() == text_start and address[matches[0].end() :].strip():
        matches = matches[1:]
    return matches[-1][1] if matches else None


class ZipCentroidGeocoder:
    """Offline geocoder: the centroid of the US ZIP code found in the address."""

    def geocode(self, query: str) -> GeoPoint:
        """Return the ZIP code's centroid, precision ``zip_centroid``.

        :raise GeocodingError: if the address has no ZIP code or an unknown one.
        """
        zip_code = find_zip_code(query)
        if zip_code is None:
            raise GeocodingError("could not geocode the address: it has no US ZIP code", query)
        entry = _zip_table().get(zip_code)
        if entry is None:
            raise GeocodingError(f"could not geocode the address: unknown ZIP code {zip_code}", query)
        return GeoPoint(entry.latitude, entry.longitude, "zip_centroid", entry.label)


class _DropQueryRecords(logging.Filter):
    """Drop geopy's records below WARNING: they carry request URLs and bodies."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


class _RedactQueryStrings(logging.Filter):
    """Cut query strings out of urllib3's records: a geocoding URL carries the address."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_query_string(arg) for arg in record.args)
        return True


def _redact_query_string(value: object) -> object:
    if isinstance(value, str) and "?" in value:
        return value.split("?", 1)[0] + "?<redacted>"
    return value


_LOG_FILTERS = {"geopy": _DropQueryRecords(), "urllib3.connectionpool": _RedactQueryStrings()}


def _keep_queries_out_of_logs() -> None:
    for name, log_filter in _LOG_FILTERS.items():
        library_logger = logging.getLogger(name)
        if log_filter not in library_logger.filters:
            library_logger.addFilter(log_filter)


class GeopyGeocoder:
    """Any geopy geocoder, chosen by service name, e.g. ``"nominatim"``.

    ``options`` are passed to the geopy class, e.g. Nominatim's ``domain``,
    ``scheme``, ``user_agent`` and ``timeout``.

    :raise ValueError: if the service is unknown or rejects the options.
    """

    def __init__(self, service: str, **options: Any) -> None:
        try:
            geocoder_class = get_geocoder_for_service(service)
        except GeopyError as error:
            raise ValueError(f"unknown geocoding service {service!r}") from error
        try:
            self._geocoder = geocoder_class(**options)
        except (TypeError, GeopyError) as error:
            raise ValueError(f"invalid options for geocoding service {service!r}: {error}") from error
        self.service = service
        _keep_queries_out_of_logs()

    def geocode(self, query: str) -> GeoPoint:
        """Return the service's best match, precision ``address``.

        :raise GeocodingError: if the service fails, times out or finds nothing.
        """
        try:
            location = self._geocoder.geocode(query)
        except GeopyError as error:
            logger.warning("geocoding service %s failed: %s", self.service, type(error).__name__)
            # "from None": geopy's connection errors quote the request URL,
            # which carries the address, and tracebacks end up in logs.
            raise GeocodingError(
                f"could not geocode the address: {self.service} failed ({type(error).__name__})",
                query,
            ) from None
        if location is None:
            raise GeocodingError(f"could not geocode the address: {self.service} found no match", query)
        return GeoPoint(location.latitude, location.longitude, "address", location.address or "")


def build_geocoder(config: Mapping[str, Any]) -> Geocoder:
    """Build the geocoder named by ``config["GEOCODER"]`` (default ``"offline"``).

    Any other name is a geopy service, built with ``config["GEOCODER_OPTIONS"]``.

    :raise ValueError: if the service is unknown or the options are not a mapping
        the service accepts.
    """
    service = config.get("GEOCODER") or OFFLINE
    options = config.get("GEOCODER_OPTIONS") or {}
    if not isinstance(options, Mapping):
        raise ValueError("GEOCODER_OPTIONS must be a mapping")
    if service == OFFLINE:
        return ZipCentroidGeocoder()
    return GeopyGeocoder(service, **options)


def geocode_location(text: str, geocoder: Geocoder) -> GeoPoint:
    """Geocode what a user typed: a "lat,lon" pair as is, anything else via ``geocoder``.

    :raise GeocodingError: if the text is empty, out-of-range coordinates, or
        the geocoder cannot place it.
    """
    if not text or not text.strip():
        raise GeocodingError("could not geocode an empty location", text)
    point = parse_lat_lon(text)
    if point is not None:
        return point
    return geocoder.geocode(text.strip())
