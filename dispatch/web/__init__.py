"""Dispatch's pages: the coordinators' board and the technician's day.

Their blueprints are children of the site blueprint (booking/web/site.py), so
they share its session, CSRF check and error pages; templates stay with the
site's in booking/templates.
"""
