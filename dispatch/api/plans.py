"""Plans and their changes: request a plan (a job), read, publish, change, re-optimise, audit, map.

Plan edits need the plan's ETag in If-Match (428 without, 412 when stale).
"""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView

from booking.auth import STAFF, current_user, roles_allowed
from booking.errors import NotFound
from booking.extensions import db
from dispatch import jobs
from dispatch.adjust import apply_change
from dispatch.api.blueprints import (
    IF_MATCH,
    blp,
    documented_errors,
    region_or_422,
)
from dispatch.models import DispatchJob, DispatchPlan, PlanAudit
from dispatch.plans import etag, expected_revision, plan_for, plan_or_404, publish, version
from dispatch.routemap import plan_svg
from dispatch.schemas import (
    AuditSchema,
    ChangeRefusedSchema,
    ChangeSchema,
    JobSchema,
    PlanArgsSchema,
    PlanListArgsSchema,
    PlanRequestSchema,
    PlanSchema,
    ReoptimizeSchema,
)
from dispatch.shapes import version_view

# --- plans and jobs -------------------------------------------------------------------


def _job_response(job: DispatchJob) -> tuple:
    return job, 202, {"Location": f"/api/v1/dispatch/jobs/{job.id}"}


@blp.route("/plans")
class Plans(MethodView):
    @roles_allowed(*STAFF)
    @blp.arguments(PlanRequestSchema)
    @blp.response(202, JobSchema)
    @documented_errors(blp, 401, 403, 422)
    def post(self, data):
        """Plan a region's day in the background; answers the job to poll (staff)."""
        region = region_or_422(data["region_id"])
        plan = plan_for(region, data["date"])
        job = jobs.submit(
            "solve",
            region,
            data["date"],
            data["time_limit"],
            current_user(),
            seed=data["seed"],
            base_revision=plan.revision if plan else None,
        )
        return _job_response(job)

    @roles_allowed(*STAFF)
    @blp.arguments(PlanListArgsSchema, location="query")
    @blp.response(200, PlanSchema(many=True))
    @documented_errors(blp, 401, 403, 422)
    def get(self, args):
        """Plans, by day and region (staff)."""

        query = db.select(DispatchPlan).order_by(DispatchPlan.day, DispatchPlan.region_id)
        if args.get("date"):
            query = query.where(DispatchPlan.day == args["date"])
        if args.get("region_id"):
            query = query.where(DispatchPlan.region_id == args["region_id"])
        return [version_view(p, None) for p in db.session.scalars(query.limit(200))]


def _chosen_version(plan, which: str):
    number = {"current": plan.current_number, "published": plan.published_number}.get(which)
    if number is None and which.isdigit():
        number = int(which)
    v = version(plan, number)
    if v is None and which != "current":
        raise NotFound(f"Plan {plan.id} has no {which} version.")
    return v


@blp.route("/plans/<int:plan_id>")
class PlanById(MethodView):
    @roles_allowed(*STAFF)
    @blp.arguments(PlanArgsSchema, location="query")
    @blp.response(200, PlanSchema)
    @documented_errors(blp, 401, 403, 404, 422)
    def get(self, args, plan_id):
        """A plan version with routes, stops and unassigned visits; its ETag guards edits (staff)."""
        plan = plan_or_404(plan_id)
        return version_view(plan, _chosen_version(plan, args["version"])), 200, {"ETag": etag(plan)}


@blp.route("/plans/<int:plan_id>/publish")
class Publish(MethodView):
    @roles_allowed(*STAFF)
    @blp.doc(parameters=IF_MATCH)
    @blp.response(200, PlanSchema)
    @documented_errors(blp, 401, 403, 404, 409, 412, 428)
    def post(self, plan_id):
        """Publish the current version: technicians and patients see it; bookings become assigned.

        :raise 412: the plan changed since the ETag was read. :raise 428: no If-Match.
        """
        plan = plan_or_404(plan_id)
        expected = expected_revision(plan, request.headers.get("If-Match"))
        v = publish(plan, current_user(), expected)
        db.session.commit()
        return version_view(plan, v), 200, {"ETag": etag(plan)}


@blp.route("/plans/<int:plan_id>/changes")
class Changes(MethodView):
    @roles_allowed(*STAFF)
    @blp.arguments(ChangeSchema)
    @blp.doc(parameters=IF_MATCH)
    @blp.response(200, PlanSchema)
    @blp.alt_response(
        409,
        schema=ChangeRefusedSchema,
        content_type="application/problem+json",
        description="The change would break rules (errors.violations), or the plan has no version.",
    )
    @documented_errors(blp, 401, 403, 404, 412, 422, 428)
    def post(self, data, plan_id):
        """Move, pin, unpin or unassign a visit, take a technician off the day, add a late booking.

        The change is checked against windows, shifts and cutoffs; if it would
        break any, the answer is 409 with the violations and nothing changes,
        unless ``override`` is true. :raise 412/428: stale or missing If-Match.
        """

        plan = plan_or_404(plan_id)
        expected = expected_revision(plan, request.headers.get("If-Match"))
        v = apply_change(plan, current_user(), data, expected)
        db.session.commit()
        return version_view(plan, v), 200, {"ETag": etag(plan)}


@blp.route("/plans/<int:plan_id>/reoptimize")
class Reoptimize(MethodView):
    @roles_allowed(*STAFF)
    @blp.arguments(ReoptimizeSchema)
    @blp.doc(parameters=IF_MATCH)
    @blp.response(202, JobSchema)
    @documented_errors(blp, 401, 403, 404, 412, 422, 428)
    def post(self, data, plan_id):
        """Re-solve keeping pins and as many published arrival windows as possible (background job).

        :raise 412/428: stale or missing If-Match.
        """
        plan = plan_or_404(plan_id)
        expected = expected_revision(plan, request.headers.get("If-Match"))
        job = jobs.submit(
            "reoptimize",
            plan.region,
            plan.day,
            data["time_limit"],
            current_user(),
            seed=data["seed"],
            base_revision=expected,
        )
        return _job_response(job)


@blp.route("/plans/<int:plan_id>/audit")
class Audit(MethodView):
    @roles_allowed(*STAFF)
    @blp.response(200, AuditSchema(many=True))
    @documented_errors(blp, 401, 403, 404)
    def get(self, plan_id):
        """Every change to the plan: who, what, when, before and after (staff)."""
        plan = plan_or_404(plan_id)
        rows = db.session.scalars(
            db.select(PlanAudit).where(PlanAudit.plan_id == plan.id).order_by(PlanAudit.id)
        )
        return [
            {
                "id": a.id,
                "at": a.at.isoformat(),
                "actor_id": a.actor_id,
                "action": a.action,
                "from_version": a.from_version,
                "to_version": a.to_version,
                "detail": a.detail,
            }
            for a in rows
        ]


@blp.route("/plans/<int:plan_id>/map.svg")
class Map(MethodView):
    @roles_allowed(*STAFF)
    @blp.arguments(PlanArgsSchema, location="query")
    @blp.response(200, content_type="image/svg+xml", description="The route map (SVG).")
    @documented_errors(blp, 401, 403, 404, 422)
    def get(self, args, plan_id):
        """The plan's routes drawn as a self-contained SVG (no tiles, no scripts) (staff)."""

        plan = plan_or_404(plan_id)
        v = _chosen_version(plan, args["version"])
        if v is None:
            raise NotFound(f"Plan {plan.id} has no version yet.")
        return Response(plan_svg(plan, v), mimetype="image/svg+xml")
