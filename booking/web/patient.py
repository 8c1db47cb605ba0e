"""Patient pages: the monitoring schedule, booking a visit, rescheduling and cancelling it.

Coordinators use the same pages on a patient's behalf; a patient only ever
reaches their own record (``visible_patient`` / ``visible_booking`` answer 404
for anyone else's, exactly as the API does).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for

from booking.errors import DomainError, Unprocessable
from booking.extensions import db
from booking.models import Booking, Patient, Role
from booking.patient_calendar import feed_token, patient_of_token, visits_calendar
from booking.services import availability as av
from booking.services.bookings import change_status, create_booking, reschedule_booking, visible_booking
from booking.services.monitoring import patient_schedule
from booking.services.patients import visible_patient
from booking.services.repeat import MAX_MONTHS_AHEAD, book_same_time_ahead
from booking.slots import zone_for
from booking.specimens import preparation
from booking.states import FIELD_KINDS, is_open
from booking.web import offers, visit_day
from booking.web.access import login_required, web_user
from booking.web.centers_map import centers_map
from booking.web.formatting import copay

bp = Blueprint("patient", __name__)

PEOPLE = (Role.PATIENT, Role.COORDINATOR, Role.ADMIN)
MONTHS_AHEAD = 6
KINDS = ("service_center", "home", "office", "provider")


def _errors_of(exc: DomainError) -> dict[str, str]:
    """Field messages of a domain error, one string per field, plus the summary under 'form'."""
    errors = {"form": exc.detail}
    for field, messages in (exc.errors or {}).items():
        errors[field] = " ".join(messages) if isinstance(messages, list) else str(messages)
    return errors


def _policy() -> dict[str, int]:
    return {
        "reschedule_hours": current_app.config["RESCHEDULE_CUTOFF_HOURS"],
        "cancel_hours": current_app.config["CANCEL_CUTOFF_HOURS"],
    }


# --- the schedule --------------------------------------------------------------------


HISTORY_SHOWN = 6


def directions_url(address: str) -> str:
    """A Google Maps directions link to ``address`` (the maps app starts from where the phone is)."""
    return "https://www.google.com/maps/dir/?" + urlencode({"api": "1", "destination": address})


def cost_of(visit: Booking | None) -> str:
    """What the visit costs the patient, in words."""
    if visit is not None and visit.kind == "provider":
        patient = visit.patient
        ask = (
            f" Questions: {patient.provider_name}, {patient.provider_phone}."
            if patient.provider_phone
            else ""
        )
        return f"The lab work is free. {copay(patient)}{ask}"
    return "Nothing: the lab work and the visit are covered by the monitoring program."


def visit_card(visit: Booking, tests: list[str]) -> dict:
    """Everything the patient needs for one visit: where, directions, cost, how to prepare, calendar."""
    center = visit.service_center
    return {
        "booking": visit,
        "center": center,
        "directions_url": directions_url(visit.address) if visit.kind == "service_center" else None,
        "cost": cost_of(visit),
        "preparation": preparation(tests, visit.kind),
        "ics_url": url_for("web.patient.visit_ics", booking_id=visit.id),
    }


def feed_url(patient: Patient) -> str:
    token = feed_token(current_app.config["SECRET_KEY"], patient.id, patient.calendar_feed_version)
    return url_for("web.patient.calendar_feed", token=token, _external=True)


@bp.get("/patients/<int:patient_id>")
@login_required(*PEOPLE)
def overview(patient_id: int):
    """The monitoring schedule at a glance: this month in full, progress, the months to the end, all visits."""
    patient = visible_patient(web_user(), patient_id)
    schedule = patient_schedule(patient)
    months = schedule["months"]
    current = schedule["current_month"]
    this_month = next((m for m in months if m["month"] == current), None)
    ahead = [m for m in months if m["month"] > current]
    # This program year's skin check (done or still due), else the first one ahead.
    skin = next((m for m in reversed(months) if m["month"] <= current and m["skin_check_due"]), None) or next(
        (m for m in months if m["month"] >= current and m["skin_check_due"]), None
    )
    overdue = [m for m in months if m["status"] == "overdue"]
    bookings = db.session.scalars(
        db.select(Booking).where(Booking.patient_id == patient.id).order_by(Booking.starts_at.desc())
    ).all()
    by_id = {b.id: b for b in bookings}
    upcoming = sorted((b for b in bookings if is_open(b.status)), key=lambda b: b.starts_at)
    past = [b for b in bookings if not is_open(b.status)]
    today_visits = [visit_day.details(b, patient.time_zone) for b in upcoming]
    this_visit = by_id.get(this_month["booking_id"]) if this_month else None
    return render_template(
        "patient/overview.html",
        patient=patient,
        this_month=this_month,
        this_card=visit_card(this_visit, this_month["tests"])
        if this_visit and is_open(this_visit.status)
        else None,
        progress={"number": this_month["index"] + 1, "of": len(months)} if this_month else None,
        last_month=schedule["last_month"],
        ahead=ahead,
        ahead_shown=MONTHS_AHEAD,
        skin=skin,
        overdue=overdue,
        upcoming=upcoming,
        past=past,
        history_shown=HISTORY_SHOWN,
        bookings_by_id=by_id,
        visit_days=[v for v in today_visits if v is not None],
        has_schedule=bool(months),
        feed_url=feed_url(patient),
    )


@bp.get("/bookings/<int:booking_id>/visit.ics")
@login_required(*PEOPLE)
def visit_ics(booking_id: int):
    """One visit as an .ics file to add to a calendar."""
    visit = visible_booking(web_user(), booking_id)
    body = visits_calendar([(visit, _event_text(visit))], name="Lab visit")
    return Response(
        body,
        mimetype="text/calendar",
        headers={
            "Content-Disposition": f'attachment; filename="lab-visit-{visit.monitoring_month:%Y-%m}.ics"'
        },
    )


@bp.get("/calendar/<token>.ics")
def calendar_feed(token: str):
    """A patient's personal feed of open visits, for calendar apps (no sign-in: the token is the key).

    :raise 404: a forged or garbled token, or a patient no longer on file.
    """
    signed = patient_of_token(current_app.config["SECRET_KEY"], token)
    patient = db.session.get(Patient, signed[0]) if signed is not None else None
    if patient is None or patient.calendar_feed_version != signed[1]:
        abort(404)
    visits = db.session.scalars(
        db.select(Booking).where(Booking.patient_id == patient.id).order_by(Booking.starts_at)
    ).all()
    body = visits_calendar([(v, _event_text(v)) for v in visits if is_open(v.status)])
    return Response(body, mimetype="text/calendar", headers={"Cache-Control": "no-store"})


@bp.post("/patients/<int:patient_id>/calendar/new-link")
@login_required(*PEOPLE)
def new_calendar_link(patient_id: int):
    """Stop the current calendar feed address (shared by mistake, a lost phone) and make a new one."""
    patient = visible_patient(web_user(), patient_id)
    db.session.execute(
        db.update(Patient)
        .where(Patient.id == patient.id)
        .values(calendar_feed_version=Patient.calendar_feed_version + 1)
    )
    db.session.commit()
    flash("The old calendar address no longer works. Subscribe to the new one below.", "success")
    return redirect(url_for("web.patient.overview", patient_id=patient.id, _anchor="feed-heading"))


def _month_tests(visit: Booking) -> list[str]:
    """The tests due in the visit's monitoring month."""
    label = f"{visit.monitoring_month:%Y-%m}"
    entry = next((m for m in patient_schedule(visit.patient)["months"] if m["month"] == label), None)
    return entry["tests"] if entry else []


def _event_text(visit: Booking) -> str:
    """The calendar event's description: cost and preparation, nothing that names the patient."""
    steps = preparation(_month_tests(visit), visit.kind)
    return "\n".join([f"Cost: {cost_of(visit)}", "How to prepare:", *(f"- {s}" for s in steps)])


# --- booking a visit -----------------------------------------------------------------


MONTHS_OFFERED = 6


def bookable_months(patient: Patient) -> dict:
    """The months a new visit can be for: this month on, with the visit already holding each one.

    ``open``: months with nothing booked or done yet (the first few, for a month menu).
    """
    schedule = patient_schedule(patient)
    months = [m for m in schedule["months"] if m["month"] >= schedule["current_month"]]
    return {
        "all": months,
        "open": [m for m in months if m["status"] == "upcoming"][:MONTHS_OFFERED],
        "current": schedule["current_month"],
    }


def _target(patient: Patient, requested: str | None) -> dict:
    """Which month the booking flow is for, before any step: the asked-for month, else this month.

    When that month already has a visit, say so at once with the visit and the
    next free month instead of failing four steps later.
    """
    months = bookable_months(patient)
    wanted = next((m for m in months["all"] if m["month"] == requested), None)
    wanted = wanted or (months["all"][0] if months["all"] else None)
    taken = db.session.get(Booking, wanted["booking_id"]) if wanted and wanted["booking_id"] else None
    later = [m for m in months["open"] if wanted and m["month"] > wanted["month"]]
    return {
        "wanted": wanted,
        "taken": taken,
        "month": later[0] if taken and later else (None if taken else wanted),
        "open": months["open"],
    }


@bp.get("/patients/<int:patient_id>/book")
@login_required(*PEOPLE)
def choose_kind(patient_id: int):
    """Where the visit happens, for a month known up front (``?month=YYYY-MM``; default this month)."""
    patient = visible_patient(web_user(), patient_id)
    target = _target(patient, request.args.get("month"))
    return render_template("patient/choose_kind.html", patient=patient, notice=av.PROVIDER_NOTICE, **target)


def _picker(patient: Patient, kind: str, *, booking: Booking | None = None):
    """The page that offers centers and free times for ``kind`` (a new visit, or moving ``booking``)."""
    if kind not in KINDS:
        return redirect(url_for("web.patient.choose_kind", patient_id=patient.id))
    near = request.args.get("near", "").strip()
    wanted = offers.parse_day(request.args.get("day"))
    # A move stays in the visit's own monitoring month; a new visit is for the month asked for.
    month_text = request.args.get("month") if booking is None else f"{booking.monitoring_month:%Y-%m}"
    month = offers.parse_month(month_text)
    center_id = request.args.get("center", type=int)
    if booking is not None and kind == "service_center" and center_id is None and not near:
        center_id = booking.service_center_id
    if booking is None:
        base = {"endpoint": "web.patient.book_times", "patient_id": patient.id, "kind": kind}
        confirm_url = url_for("web.patient.confirm", patient_id=patient.id)
    else:
        base = {"endpoint": "web.patient.reschedule", "booking_id": booking.id}
        confirm_url = url_for("web.patient.reschedule_confirm", booking_id=booking.id)

    def picker_url(**changes):
        args = {"near": near or None, "center": center_id, "month": month_text if month else None, **changes}
        return url_for(**base, **{k: v for k, v in args.items() if v is not None})

    context = {
        "patient": patient,
        "kind": kind,
        "booking": booking,
        "near": near,
        "errors": {},
        "centers": [],
        "centers_map": None,
        "center": None,
        "offer": None,
        "site": None,
        "picker_url": picker_url,
        "confirm_url": confirm_url,
        "notice": av.PROVIDER_NOTICE,
        "policy": _policy(),
        "month": month,
        "months_open": bookable_months(patient)["open"] if booking is None else [],
        "by_part_of_day": offers.by_part_of_day,
        "week_of": offers.week_of,
        "opening_hours": offers.opening_hours,
        "next_free": lambda c: offers.next_free(c, month),
        "provider": None,
    }
    try:
        if kind == "service_center":
            origin, context["centers"] = offers.nearby_centers(patient, near)
            if context["centers"]:
                context["centers_map"] = centers_map(origin, context["centers"], center_id)
            if center_id is not None:
                center = av.active_center(center_id)
                context.update(center=center, offer=offers.center_offer(patient, center, wanted, month))
        elif kind in FIELD_KINDS:
            offer, site = offers.mobile_offer(patient, kind, wanted, month)
            context.update(offer=offer, site=site)
        else:
            context["provider"] = av.provider_of(patient)
    except Unprocessable as exc:
        db.session.rollback()
        context["errors"] = _errors_of(exc)
        return render_template("patient/book_times.html", **context), 422
    return render_template("patient/book_times.html", **context)


@bp.get("/patients/<int:patient_id>/book/<kind>")
@login_required(*PEOPLE)
def book_times(patient_id: int, kind: str):
    """Nearest centers with their free slots, or arrival windows, or the provider form."""
    return _picker(visible_patient(web_user(), patient_id), kind)


def _chosen(args) -> dict:
    """The time picked on the picker page, checked enough to show it back.

    :raise Unprocessable: (422) no time picked, or a malformed one.
    """
    starts_at = offers.parse_instant(args.get("starts_at"))
    if starts_at is None:
        raise Unprocessable("Choose one of the free times first.", errors={"starts_at": ["Choose a time."]})
    center = av.active_center(args.get("center", type=int)) if args.get("center") else None
    return {"starts_at": starts_at, "center": center}


def _summary(patient: Patient, kind: str, starts_at: datetime, center) -> dict:
    """Where and when the chosen visit happens, for the confirm page.

    :raise Unprocessable: (422) a center visit without a center.
    """
    if kind == "service_center" and center is None:
        raise Unprocessable(
            "Choose a service center first.", errors={"service_center_id": ["Choose a center."]}
        )
    if kind == "service_center":
        slot = next(
            (
                s
                for s in av.center_grid(
                    center,
                    av.local_day(starts_at, center.time_zone),
                    av.local_day(starts_at, center.time_zone),
                )
                if s.start == starts_at
            ),
            None,
        )
        ends_at = slot.end if slot else None
        return {"place": center.name, "address": center.address, "starts_at": starts_at, "ends_at": ends_at}
    site = av.visit_site(patient, kind)
    return {
        "place": site.region.name,
        "address": site.address,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=site.region.window_minutes),
    }


@bp.get("/patients/<int:patient_id>/book/confirm")
@login_required(*PEOPLE)
def confirm(patient_id: int):
    patient = visible_patient(web_user(), patient_id)
    kind = request.args.get("kind", "")
    if kind not in ("service_center", "home", "office"):
        return redirect(url_for("web.patient.choose_kind", patient_id=patient.id))
    try:
        chosen = _chosen(request.args)
        summary = _summary(patient, kind, chosen["starts_at"], chosen["center"])
    except Unprocessable as exc:
        flash(exc.detail, "error")
        return redirect(url_for("web.patient.book_times", patient_id=patient.id, kind=kind))
    return render_template(
        "patient/confirm.html",
        patient=patient,
        kind=kind,
        summary=summary,
        center=chosen["center"],
        booking=None,
        errors={},
        policy=_policy(),
        action=url_for("web.patient.create", patient_id=patient.id),
    )


def _provider_time(patient: Patient, form) -> datetime:
    """The agreed provider time, typed as a local date and time in the patient's zone.

    :raise Unprocessable: (422) a missing or malformed date or time (errors on 'day' / 'time').
    """
    errors = {}
    day = offers.parse_day(form.get("day"))
    if day is None:
        errors["day"] = ["Enter the date agreed with your provider."]
    try:
        wall = time.fromisoformat(form.get("time", ""))
    except ValueError:
        errors["time"] = ["Enter the time agreed with your provider, like 09:30."]
    if errors:
        raise Unprocessable("Some details are missing.", errors=errors)
    return datetime.combine(day, wall, zone_for(patient.time_zone))


def _provider_errors(errors: dict[str, str]) -> dict[str, str]:
    # The service speaks of starts_at; the form has a date and a time.
    if "starts_at" in errors:
        errors.setdefault("day", errors.pop("starts_at"))
    return errors


@bp.post("/patients/<int:patient_id>/bookings")
@login_required(*PEOPLE)
def create(patient_id: int):
    """Book the chosen time (or record the agreed provider visit)."""
    user = web_user()
    patient = visible_patient(user, patient_id)
    kind = request.form.get("kind", "")
    notes = request.form.get("notes", "").strip() or None
    try:
        if kind not in KINDS:
            raise Unprocessable("Choose where the visit happens.", errors={"kind": ["Choose a kind."]})
        if notes and len(notes) > 1000:
            raise Unprocessable("The note is too long.", errors={"notes": ["At most 1000 characters."]})
        if kind == "provider":
            data = {"kind": kind, "starts_at": _provider_time(patient, request.form), "notes": notes}
        else:
            chosen = _chosen(request.form)
            data = {
                "kind": kind,
                "starts_at": chosen["starts_at"],
                "notes": notes,
                "service_center_id": chosen["center"].id if chosen["center"] else None,
            }
        booking = create_booking(user, patient, data)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _create_failed(patient, kind, exc)
    flash(_created_message(user, booking), "success")
    return redirect(url_for("web.patient.booking", booking_id=booking.id))


def _created_message(user, visit: Booking) -> str:
    """'booked' for the visits we book; 'requested' for a provider visit, which the provider's office confirms."""
    who = "Your" if user.role == Role.PATIENT else "The"
    if visit.kind != "provider":
        return f"{who} visit is booked."
    patient = visit.patient
    phone = f" ({patient.provider_phone})" if patient.provider_phone else ""
    return f"{who} provider visit is requested: please confirm the time with {patient.provider_name}{phone}."


def _provider_form(patient: Patient, booking: Booking | None, exc: DomainError):
    """The provider form again, with the errors next to its date and time."""
    return render_template(
        "patient/book_times.html",
        patient=patient,
        kind="provider",
        booking=booking,
        errors=_provider_errors(_errors_of(exc)),
        provider=patient.provider_name and av.provider_of(patient),
        notice=av.PROVIDER_NOTICE,
        form=request.form,
        policy=_policy(),
        centers=[],
        center=None,
        offer=None,
        site=None,
        near="",
    ), exc.status


def _create_failed(patient: Patient, kind: str, exc: DomainError):
    if kind == "provider":
        return _provider_form(patient, None, exc)
    flash(exc.detail, "error")
    if kind not in KINDS:
        return redirect(url_for("web.patient.choose_kind", patient_id=patient.id))
    args = {"center": request.form.get("center")} if kind == "service_center" else {}
    return redirect(url_for("web.patient.book_times", patient_id=patient.id, kind=kind, **args))


# --- one visit: see, reschedule, cancel ----------------------------------------------


def _booking_page(visit: Booking, errors: dict | None = None, status: int = 200, reason: str = ""):
    return render_template(
        "patient/booking.html",
        booking=visit,
        patient=visit.patient,
        policy=_policy(),
        open=is_open(visit.status),
        errors=errors or {},
        day=visit_day.details(visit, visit.patient.time_zone),
        notice=av.PROVIDER_NOTICE,
        card=visit_card(visit, _month_tests(visit)),
        repeat_months=range(1, MAX_MONTHS_AHEAD + 1),
        reason=reason,
    ), status


@bp.get("/bookings/<int:booking_id>")
@login_required(*PEOPLE)
def booking(booking_id: int):
    """One visit: when and where, its status, and the move and cancel deadlines in words."""
    return _booking_page(visible_booking(web_user(), booking_id))


@bp.get("/bookings/<int:booking_id>/reschedule")
@login_required(*PEOPLE)
def reschedule(booking_id: int):
    visit = visible_booking(web_user(), booking_id)
    return _picker(visit.patient, visit.kind, booking=visit)


@bp.get("/bookings/<int:booking_id>/reschedule/confirm")
@login_required(*PEOPLE)
def reschedule_confirm(booking_id: int):
    visit = visible_booking(web_user(), booking_id)
    try:
        chosen = _chosen(request.args)
        summary = _summary(visit.patient, visit.kind, chosen["starts_at"], chosen["center"])
    except Unprocessable as exc:
        flash(exc.detail, "error")
        return redirect(url_for("web.patient.reschedule", booking_id=visit.id))
    return render_template(
        "patient/confirm.html",
        patient=visit.patient,
        kind=visit.kind,
        summary=summary,
        center=chosen["center"],
        booking=visit,
        errors={},
        policy=_policy(),
        action=url_for("web.patient.reschedule_save", booking_id=visit.id),
    )


@bp.post("/bookings/<int:booking_id>/reschedule")
@login_required(*PEOPLE)
def reschedule_save(booking_id: int):
    user = web_user()
    visit = visible_booking(user, booking_id)
    try:
        if visit.kind == "provider":
            data = {"starts_at": _provider_time(visit.patient, request.form)}
        else:
            chosen = _chosen(request.form)
            data = {"starts_at": chosen["starts_at"]}
            if chosen["center"] is not None:
                data["service_center_id"] = chosen["center"].id
        reschedule_booking(user, visit, data)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if visit.kind == "provider":
            return _provider_form(db.session.get(Booking, booking_id).patient, visit, exc)
        flash(exc.detail, "error")
        return redirect(url_for("web.patient.booking", booking_id=booking_id))
    flash("The visit is moved.", "success")
    return redirect(url_for("web.patient.booking", booking_id=visit.id))


@bp.post("/bookings/<int:booking_id>/repeat")
@login_required(*PEOPLE)
def repeat(booking_id: int):
    """Book the same weekday and time in the next months, each month checked by the booking rules."""
    user = web_user()
    visit = visible_booking(user, booking_id)
    months = request.form.get("months", type=int) or 0
    try:
        outcomes = book_same_time_ahead(user, visit, months)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.detail, "error")
        return redirect(url_for("web.patient.booking", booking_id=booking_id))
    booked = [o for o in outcomes if o.booking is not None]
    if booked:
        names = ", ".join(f"{o.month:%B %Y}" for o in booked)
        flash(f"Booked at the same time in {names}.", "success")
    for o in outcomes:
        if o.booking is None:
            flash(f"{o.month:%B %Y} is not booked: {o.reason}", "error")
    return redirect(url_for("web.patient.booking", booking_id=booking_id))


@bp.post("/bookings/<int:booking_id>/cancel")
@login_required(*PEOPLE)
def cancel(booking_id: int):
    """Cancel with an optional reason; the place is given back at once (patients: up to the cutoff)."""
    user = web_user()
    visit = visible_booking(user, booking_id)
    reason = request.form.get("reason", "").strip()
    if len(reason) > 300:
        errors = {"reason": "Keep the reason under 300 characters.", "form": "The visit is not cancelled."}
        return _booking_page(visit, errors, 422, reason)
    try:
        change_status(user, visit, "cancelled", reason)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _booking_page(db.session.get(Booking, booking_id), _errors_of(exc), exc.status, reason)
    flash("The visit is cancelled. The month is free to book again.", "success")
    return redirect(url_for("web.patient.overview", patient_id=visit.patient_id))
