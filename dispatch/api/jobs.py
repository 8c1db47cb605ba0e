"""Planning jobs: poll a plan request or re-optimisation."""

from __future__ import annotations

from flask.views import MethodView

from booking.auth import STAFF, roles_allowed
from booking.errors import NotFound
from booking.extensions import db
from dispatch import jobs
from dispatch.api.blueprints import (
    blp,
    documented_errors,
)
from dispatch.models import DispatchJob
from dispatch.schemas import (
    JobSchema,
)


@blp.route("/jobs/<string:job_id>")
class JobById(MethodView):
    @roles_allowed(*STAFF)
    @blp.response(200, JobSchema)
    @documented_errors(blp, 401, 403, 404)
    def get(self, job_id):
        """A planning job: queued, running, succeeded (with the version) or failed (with why) (staff)."""
        job = db.session.get(DispatchJob, job_id)
        if job is None:
            raise NotFound(f"Job {job_id} not found.")
        return jobs.current(job)
