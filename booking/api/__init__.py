"""The JSON API under /api/v1, built with flask-smorest so the OpenAPI document follows the code."""

from __future__ import annotations

from flask import Flask

from booking.extensions import api


def register_api(app: Flask) -> None:
    from booking.api import accounts, availability, bookings, monitoring, patients, places

    api.init_app(app)
    for module in (accounts, patients, monitoring, places, availability, bookings):
        api.register_blueprint(module.blp)
