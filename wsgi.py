"""WSGI entry point: ``gunicorn wsgi:app``."""

from booking import create_app
from booking.geocoding import prepare

app = create_app()
# Each worker builds the offline ZIP table before its first request, not during it.
prepare(app.config)
