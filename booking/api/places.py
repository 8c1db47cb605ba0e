"""Service centers (search near an address) and home-visit regions."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.orm import selectinload

from booking.api.common import documented_errors, paginate_query
from booking.auth import EVERYONE, STAFF, roles_allowed
from booking.errors import Conflict, NotFound
from booking.extensions import db
from booking.models import Closure, OpeningHours, Region, Role, ServiceCenter
from booking.schemas import (
    CenterSearchArgsSchema,
    ClosureSchema,
    RegionCreateSchema,
    RegionSchema,
    Rendered,
    ServiceCenterCreateSchema,
    ServiceCenterSchema,
    ServiceCenterUpdateSchema,
)
from booking.services.places import center_listings, locate, nearest_places, resolve_address

blp = Blueprint("places", __name__, url_prefix="/api/v1", description="Service centers and regions.")


def _center_or_404(center_id: int) -> ServiceCenter:
    center = db.session.get(ServiceCenter, center_id)
    if center is None:
        raise NotFound(f"Service center {center_id} not found.")
    return center


def _center_view(center: ServiceCenter, distance_km: float | None = None) -> dict:
    return {
        "id": center.id,
        "network": center.network,
        "name": center.name,
        "address": center.address,
        "phone": center.phone,
        "latitude": center.latitude,
        "longitude": center.longitude,
        "time_zone": center.time_zone,
        "slot_minutes": center.slot_minutes,
        "capacity_per_slot": center.capacity_per_slot,
        "active": center.active,
        "hours": center.hours,
        "closures": center.closures,
        "distance_km": round(distance_km, 3) if distance_km is not None else None,
    }


@blp.route("/service-centers")
class ServiceCenters(MethodView):
    @roles_allowed(*EVERYONE)
    @blp.arguments(CenterSearchArgsSchema, location="query")
    @blp.response(200, ServiceCenterSchema(many=True))
    @documented_errors(blp, 401, 422)
    def get(self, args):
        """Service centers, nearest first when ``near`` is given (geodesic distance in km).

        Without ``near``: active centers by name, at most ``limit``.
        :raise 422: ``near`` cannot be geocoded.
        """
        if args.get("near"):
            point = locate(args["near"], field="near")
            found = nearest_places(
                point, radius_km=args.get("radius_km"), limit=args["limit"], network=args.get("network")
            )
            return Rendered(center_listings(found))
        query = db.select(ServiceCenter).where(ServiceCenter.active.is_(True))
        if args.get("network"):
            query = query.where(db.func.lower(ServiceCenter.network) == args["network"].lower())
        centers = db.session.scalars(
            query.order_by(ServiceCenter.name)
            .limit(args["limit"])
            .options(selectinload(ServiceCenter.hours), selectinload(ServiceCenter.closures))
        )
        return [_center_view(c) for c in centers]

    @roles_allowed(Role.ADMIN)
    @blp.arguments(ServiceCenterCreateSchema)
    @blp.response(201, ServiceCenterSchema)
    @documented_errors(blp, 401, 403)
    def post(self, data):
        """Add a service center (admin)."""
        point = resolve_address(data["address"], field="address")
        center = ServiceCenter(
            network=data["network"],
            name=data["name"],
            address=data["address"]["line"],
            phone=data.get("phone"),
            latitude=point.latitude,
            longitude=point.longitude,
            time_zone=data["time_zone"],
            slot_minutes=data["slot_minutes"],
            capacity_per_slot=data["capacity_per_slot"],
            hours=[OpeningHours(**h) for h in data["hours"]],
        )
        db.session.add(center)
        db.session.commit()
        return _center_view(center)


@blp.route("/service-centers/<int:center_id>")
class ServiceCenterById(MethodView):
    @roles_allowed(*EVERYONE)
    @blp.response(200, ServiceCenterSchema)
    @documented_errors(blp, 401, 404)
    def get(self, center_id):
        """One service center with its hours and closures."""
        return _center_view(_center_or_404(center_id))

    @roles_allowed(Role.ADMIN)
    @blp.arguments(ServiceCenterUpdateSchema)
    @blp.response(200, ServiceCenterSchema)
    @documented_errors(blp, 401, 403, 404)
    def patch(self, data, center_id):
        """Change a center's hours, slot length, capacity or status (admin)."""
        center = _center_or_404(center_id)
        hours = data.pop("hours", None)
        for name, value in data.items():
            setattr(center, name, value)
        if hours is not None:
            center.hours = [OpeningHours(**h) for h in hours]
        db.session.commit()
        return _center_view(center)


@blp.route("/service-centers/<int:center_id>/closures")
class Closures(MethodView):
    @roles_allowed(Role.ADMIN)
    @blp.arguments(ClosureSchema)
    @blp.response(201, ClosureSchema)
    @documented_errors(blp, 401, 403, 404)
    def post(self, data, center_id):
        """Close a center for a range of days (holiday, training). Existing bookings stay; staff move them."""
        closure = Closure(service_center_id=_center_or_404(center_id).id, **data)
        db.session.add(closure)
        db.session.commit()
        return closure


@blp.route("/regions")
class Regions(MethodView):
    @roles_allowed(*STAFF)
    @blp.response(200, RegionSchema(many=True))
    @blp.paginate()
    @documented_errors(blp, 401, 403)
    def get(self, pagination_parameters):
        """Home-visit service regions."""
        return paginate_query(db, db.select(Region).order_by(Region.name), pagination_parameters)

    @roles_allowed(Role.ADMIN)
    @blp.arguments(RegionCreateSchema)
    @blp.response(201, RegionSchema)
    @documented_errors(blp, 401, 403, 409)
    def post(self, data):
        """Add a home-visit service region (admin)."""
        if db.session.scalar(db.select(Region.id).where(Region.name == data["name"])):
            raise Conflict(f"A region named {data['name']!r} exists already.")
        region = Region(**data)
        db.session.add(region)
        db.session.commit()
        return region
