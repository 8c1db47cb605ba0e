"""The dispatch API, by concern: field data (technicians, shifts, labs), plans, jobs, and technicians' routes.

Every view declares who may call it (``roles_allowed``, outermost). A
technician reaches only their own route: another technician's id is a 404.
Plan edits need the plan's ETag in If-Match (428 without, 412 when stale).
"""

from flask import Blueprint as FlaskBlueprint
from flask import Flask

from booking.extensions import api
from dispatch import (
    cli,
    models,  # noqa: F401  (tables known to the metadata and to Alembic)
)
from dispatch.api import field_data, jobs, plans, routes  # noqa: F401  (their views attach to the blueprints)
from dispatch.api.blueprints import blp, lab_blp, tech_blp
from dispatch.engine import sisr


def init_app(app: Flask) -> None:
    """Register the dispatch blueprints, templates and the ``flask dispatch`` commands."""
    for blueprint in (tech_blp, lab_blp, blp):
        api.register_blueprint(blueprint)
    cli.init_app(app)
    # Templates only (the route sheet); a plain blueprint adds dispatch/templates to the search path.
    app.register_blueprint(FlaskBlueprint("dispatch_templates", "dispatch", template_folder="templates"))
    # Plans are solved in this process (or its workers): load the search kernels now, not in
    # the first plan's time limit.
    sisr.load_in_background()
