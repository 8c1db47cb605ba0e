"""Dispatch: plan technicians' days around booked home and office visits.

``dispatch.engine`` is the pure routing core (no Flask, SQLAlchemy or
``booking``); the modules beside it feed it from the database, store and
publish its plans, and serve the coordinators' and technicians' API and pages.
See docs/architecture.md.
"""
