"""Where things are: geocoding addresses and finding service centers near a point."""

from __future__ import annotations

import threading

from flask import current_app

from booking.errors import Unprocessable
from booking.extensions import db
from booking.geocoding import GeocodingError, GeoPoint, build_geocoder, geocode_location
from booking.models import Region, ServiceCenter
from booking.nearest import NearbyPlace, PlaceIndex


def _geocoder():
    geocoder = current_app.extensions.get("labvisit.geocoder")
    if geocoder is None:
        geocoder = build_geocoder(current_app.config)
        current_app.extensions["labvisit.geocoder"] = geocoder
    return geocoder


def locate(text: str, *, field: str = "near") -> GeoPoint:
    """Coordinates for 'lat,lon', a ZIP code or an address.

    :raise Unprocessable: (422) when it cannot be geocoded, naming ``field``.
    """
    try:
        return geocode_location(text, _geocoder())
    except (GeocodingError, ValueError) as exc:
        raise Unprocessable(f"{field}: {exc}", errors={field: [str(exc)]}) from exc


def resolve_address(address: dict, *, field: str) -> GeoPoint:
    """An address given as ``{line, latitude?, longitude?}``: client coordinates win."""
    if address.get("latitude") is not None:
        return GeoPoint(address["latitude"], address["longitude"], "client", address["line"])
    return locate(address["line"], field=field)


class _CenterIndexCache:
    """A PlaceIndex of active centers, rebuilt when the centers change.

    The version is (count, max id, a bump counter) read in one cheap query, so a
    search does not reload 5,000 rows each time.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: tuple | None = None
        self._index: PlaceIndex | None = None

    def get(self) -> PlaceIndex:
        version = tuple(
            db.session.execute(
                db.select(
                    db.func.count(ServiceCenter.id),
                    db.func.max(ServiceCenter.id),
                    db.func.sum(ServiceCenter.latitude + ServiceCenter.longitude),
                ).where(ServiceCenter.active.is_(True))
            ).one()
        )
        with self._lock:
            if self._index is None or version != self._version:
                rows = db.session.execute(
                    db.select(ServiceCenter.id, ServiceCenter.latitude, ServiceCenter.longitude)
                    .where(ServiceCenter.active.is_(True))
                ).all()
                self._index = PlaceIndex((r.id, r.latitude, r.longitude) for r in rows)
                self._version = version
            return self._index


def _center_index() -> PlaceIndex:
    cache = current_app.extensions.setdefault("labvisit.center_index", _CenterIndexCache())
    return cache.get()


def nearest_service_centers(
    near: GeoPoint, *, radius_km: float | None, limit: int, network: str | None = None
) -> list[tuple[ServiceCenter, float]]:
    """Active centers nearest ``near`` first, with their geodesic distance in km."""
    # Ask for more when filtering by network, then cut.
    ask = limit if network is None else max(limit * 4, 50)
    found: list[NearbyPlace] = _center_index().nearest(
        near.latitude, near.longitude, radius_km=radius_km, limit=ask
    )
    centers = {
        c.id: c
        for c in db.session.scalars(
            db.select(ServiceCenter).where(ServiceCenter.id.in_([p.id for p in found]))
        )
    }
    out = []
    for place in found:
        center = centers.get(place.id)
        if center is None or (network and center.network.lower() != network.lower()):
            continue
        out.append((center, place.distance_km))
        if len(out) == limit:
            break
    return out


def region_for(point_lat: float, point_lon: float) -> Region | None:
    """The home-visit region whose service area covers the point (the closest centre wins)."""
    regions = db.session.scalars(db.select(Region)).all()
    if not regions:
        return None
    index = PlaceIndex((r.id, r.latitude, r.longitude) for r in regions)
    by_id = {r.id: r for r in regions}
    for place in index.nearest(point_lat, point_lon, limit=len(regions)):
        region = by_id[place.id]
        if place.distance_km <= region.radius_km:
            return region
    return None
