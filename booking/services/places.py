"""Where things are: geocoding addresses and finding service centers near a point."""

from __future__ import annotations

import threading
from collections import OrderedDict

from flask import current_app
from sqlalchemy.orm import selectinload

from booking.errors import Unprocessable
from booking.extensions import db
from booking.geocoding import GeocodingError, GeoPoint, build_geocoder, geocode_location
from booking.models import Closure, OpeningHours, Region, ServiceCenter
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

    Answers are kept too, in a small LRU per version: searches come from a few
    thousand ZIP centroids, and each answer costs a dozen exact geodesic distances.
    """

    ANSWERS = 2048

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: tuple | None = None
        self._indexes: dict[str | None, PlaceIndex] = {}
        self._answers: OrderedDict[tuple, list[NearbyPlace]] = OrderedDict()

    def nearest(
        self, network: str | None, latitude: float, longitude: float, radius_km: float | None, limit: int
    ) -> list[NearbyPlace]:
        """``PlaceIndex.nearest`` over the current index, answered from the LRU when asked before."""
        key = (network.lower() if network else None, latitude, longitude, radius_km, limit)
        version = self._read_version()
        with self._lock:
            self._refresh(version)
            found = self._answers.get(key)
            if found is not None:
                self._answers.move_to_end(key)
                return list(found)
            index = self._index(network)
        found = index.nearest(latitude, longitude, radius_km=radius_km, limit=limit)
        with self._lock:
            if self._version == version:
                self._answers[key] = found
                while len(self._answers) > self.ANSWERS:
                    self._answers.popitem(last=False)
        return list(found)

    def _read_version(self) -> tuple:
        return tuple(
            db.session.execute(
                db.select(
                    db.func.count(ServiceCenter.id),
                    db.func.max(ServiceCenter.id),
                    db.func.sum(ServiceCenter.latitude + ServiceCenter.longitude),
                ).where(ServiceCenter.active.is_(True))
            ).one()
        )

    def _refresh(self, version: tuple) -> None:
        """Rebuild the indexes (and forget the answers) when the active centers changed; under the lock."""
        if version != self._version:
            self._rebuild()
            self._answers.clear()
            self._version = version

    def _index(self, network: str | None) -> PlaceIndex:
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
    found = nearest_places(near, radius_km=radius_km, limit=limit, network=network)
    centers = {
        c.id: c
        for c in db.session.scalars(
            db.select(ServiceCenter)
            .where(ServiceCenter.id.in_([p.id for p in found]))
            .options(selectinload(ServiceCenter.hours), selectinload(ServiceCenter.closures))
        )
    }
    return [(centers[p.id], p.distance_km) for p in found if p.id in centers]


def nearest_places(
    near: GeoPoint, *, radius_km: float | None, limit: int, network: str | None = None
) -> list[NearbyPlace]:
    """Ids and geodesic km of the active centers nearest ``near`` (of one network if given)."""
    cache = current_app.extensions.setdefault("labvisit.center_index", _CenterIndexCache())
    return cache.nearest(network, near.latitude, near.longitude, radius_km, limit)


def center_listings(found: list[NearbyPlace]) -> list[dict]:
    """The centers of a search, in its order, as ``ServiceCenterSchema`` JSON values.

    Two queries whatever the number of centers: each center with its opening hours
    (one join), then the closures of them all. Built as plain values because this is
    the second most asked-for answer, and loading ORM objects with two relationships
    and dumping them field by field cost more than the search.
    """
    ids = [p.id for p in found]
    rows = db.session.execute(
        db.select(
            ServiceCenter.id,
            ServiceCenter.network,
            ServiceCenter.name,
            ServiceCenter.address,
            ServiceCenter.phone,
            ServiceCenter.latitude,
            ServiceCenter.longitude,
            ServiceCenter.time_zone,
            ServiceCenter.slot_minutes,
            ServiceCenter.capacity_per_slot,
            ServiceCenter.active,
            OpeningHours.weekday,
            OpeningHours.opens,
            OpeningHours.closes,
        )
        .outerjoin(OpeningHours, OpeningHours.service_center_id == ServiceCenter.id)
        .where(ServiceCenter.id.in_(ids))
        .order_by(ServiceCenter.id, OpeningHours.weekday, OpeningHours.opens)
    ).all()
    closures: dict[int, list[dict]] = {}
    for c in db.session.execute(
        db.select(Closure.service_center_id, Closure.id, Closure.start_date, Closure.end_date, Closure.reason)
        .where(Closure.service_center_id.in_(ids))
        .order_by(Closure.service_center_id, Closure.start_date, Closure.id)
    ):
        closures.setdefault(c.service_center_id, []).append(
            {
                "id": c.id,
                "start_date": c.start_date.isoformat(),
                "end_date": c.end_date.isoformat(),
                "reason": c.reason,
            }
        )
    centers: dict[int, dict] = {}
    for r in rows:
        center = centers.get(r.id)
        if center is None:
            center = centers[r.id] = {
                "id": r.id,
                "network": r.network,
                "name": r.name,
                "address": r.address,
                "phone": r.phone,
                "latitude": float(r.latitude),
                "longitude": float(r.longitude),
                "time_zone": r.time_zone,
                "slot_minutes": r.slot_minutes,
                "capacity_per_slot": r.capacity_per_slot,
                "active": r.active,
                "hours": [],
                "closures": closures.get(r.id, []),
                "distance_km": None,
            }
        if r.weekday is not None:
            center["hours"].append(
                {"weekday": r.weekday, "opens": r.opens.isoformat(), "closes": r.closes.isoformat()}
            )
    listed = []
    for place in found:
        center = centers.get(place.id)
        if center is not None:
            listed.append({**center, "distance_km": float(round(place.distance_km, 3))})
    return listed


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
