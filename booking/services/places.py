"""Where things are: geocoding addresses and finding service centers near a point."""

from __future__ import annotations

import threading

from flask import current_app
from sqlalchemy.orm import selectinload

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
    """PlaceIndexes of active centers (all, and one per network), rebuilt when centers change.

    The version is read in one cheap aggregate query, so a search does not reload
    5,000 rows each time; a per-network index keeps a filtered search as fast as
    an unfiltered one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: tuple | None = None
        self._indexes: dict[str | None, PlaceIndex] = {}

    def get(self, network: str | None) -> PlaceIndex:
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
            if version != self._version:
                self._rebuild()
                self._version = version
            return self._indexes.get(network.lower() if network else None) or PlaceIndex([])

    def _rebuild(self) -> None:
        rows = db.session.execute(
            db.select(
                ServiceCenter.id, ServiceCenter.network, ServiceCenter.latitude, ServiceCenter.longitude
            ).where(ServiceCenter.active.is_(True))
        ).all()
        by_network: dict[str | None, list[tuple[int, float, float]]] = {None: []}
        for row in rows:
            place = (row.id, row.latitude, row.longitude)
            by_network[None].append(place)
            by_network.setdefault(row.network.lower(), []).append(place)
        self._indexes = {key: PlaceIndex(places) for key, places in by_network.items()}


def nearest_service_centers(
    near: GeoPoint, *, radius_km: float | None, limit: int, network: str | None = None
) -> list[tuple[ServiceCenter, float]]:
    """Active centers nearest ``near`` first (of one network if given), with geodesic km."""
    cache = current_app.extensions.setdefault("labvisit.center_index", _CenterIndexCache())
    found: list[NearbyPlace] = cache.get(network).nearest(
        near.latitude, near.longitude, radius_km=radius_km, limit=limit
    )
    centers = {
        c.id: c
        for c in db.session.scalars(
            db.select(ServiceCenter)
            .where(ServiceCenter.id.in_([p.id for p in found]))
            .options(selectinload(ServiceCenter.hours), selectinload(ServiceCenter.closures))
        )
    }
    return [(centers[p.id], p.distance_km) for p in found if p.id in centers]


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
