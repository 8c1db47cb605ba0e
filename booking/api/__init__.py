"""The JSON API under /api/v1, built with flask-smorest so the OpenAPI document follows the code."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from booking.extensions import api
from booking.schemas import MAX_ID


class IdConverter(IntegerConverter):
    """``<int:…>`` ids in paths: 1 to 2**31-1, so an absurd id is a 404, not a database overflow."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def register_api(app: Flask) -> None:
    from booking.api import accounts, availability, bookings, monitoring, patients, places, users

    app.url_map.converters["int"] = IdConverter
    api.init_app(app)
    api.register_converter(IdConverter, lambda c: {"type": "integer", "minimum": 1, "maximum": MAX_ID})
    for module in (accounts, users, patients, monitoring, places, availability, bookings):
        api.register_blueprint(module.blp)

    from dispatch.api import init_app as init_dispatch_api  # dispatch: field data, plans, routes

    init_dispatch_api(app)
