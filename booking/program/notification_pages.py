"""Pages of the notifications: a patient's messages and settings, the demo mailbox, the admin's dead letters.

Patients reach only their own (``visible_patient`` answers 404 for anyone
else's); coordinators and admins open any patient's, on their behalf.
"""

from __future__ import annotations

from datetime import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from booking.errors import Unprocessable
from booking.extensions import db
from booking.models import Patient, Role
from booking.program import dead_letters, inbox, preferences
from booking.program.message_texts import LANGUAGES
from booking.program.models import Channel, MessageStatus, MessageType, OutboxMessage, Transport
from booking.services.patients import visible_patient
from booking.web.access import login_required, web_user

bp = Blueprint("notifications", __name__)

PEOPLE = (Role.PATIENT, Role.COORDINATOR, Role.ADMIN)
STAFF = (Role.COORDINATOR, Role.ADMIN)
PAGE_SIZE = 50

TYPE_LABELS = {
    MessageType.MONTH_DUE: "Your monthly visit is due",
    MessageType.BOOKING_CONFIRMED: "Visit booked",
    MessageType.BOOKING_MOVED: "Visit moved",
    MessageType.BOOKING_CANCELLED: "Visit cancelled",
    MessageType.DAY_BEFORE: "The day before a visit",
    MessageType.ON_THE_WAY: "Technician on the way",
    MessageType.MISSED_VISIT: "A missed visit",
    MessageType.PROVIDER_CONFIRM: "Confirm with your provider's office",
    MessageType.CHECKIN_INVITE: "Monthly symptom check-in",
    MessageType.SKIN_CHECK_DUE: "Yearly skin check due",
}
LANGUAGE_LABELS = {"en": "English", "es": "Español"}
CHANNEL_LABELS = {Channel.PAGE: "Your page", Channel.EMAIL: "E-mail", Channel.SMS: "Text message (SMS)"}


@bp.get("/patients/<int:patient_id>/messages")
@login_required(*PEOPLE)
def messages(patient_id: int):
    """The patient's inbox (page messages, unread first marked) and the e-mail and SMS copies."""
    patient = visible_patient(web_user(), patient_id)
    sent = db.session.scalars(inbox.messages_query(patient).limit(PAGE_SIZE * 2)).all()
    return render_template(
        "program/messages.html",
        patient=patient,
        inbox=[m for m in sent if m.channel == Channel.PAGE][:PAGE_SIZE],
        copies=[m for m in sent if m.channel != Channel.PAGE][:PAGE_SIZE],
        unread=inbox.unread_count(patient),
        labels=CHANNEL_LABELS,
        local_mailbox=Transport.LOCAL_MAILBOX,
    )


@bp.post("/patients/<int:patient_id>/messages/read")
@login_required(Role.PATIENT)
def mark_read(patient_id: int):
    patient = visible_patient(web_user(), patient_id)
    marked = inbox.mark_read(patient)
    db.session.commit()
    flash(f"{marked} message{'s' if marked != 1 else ''} marked as read.", "success")
    return redirect(url_for("web.notifications.messages", patient_id=patient.id))


@bp.route("/patients/<int:patient_id>/notifications", methods=["GET", "POST"])
@login_required(*PEOPLE)
def settings(patient_id: int):
    """Channels, consent, language, quiet hours and per-type opt-outs."""
    patient = visible_patient(web_user(), patient_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            data = _form_data(request.form)
            preferences.update(patient, data, web_user())
            db.session.commit()
            flash("Your notification settings are saved.", "success")
            return redirect(url_for("web.notifications.settings", patient_id=patient.id))
        except Unprocessable as exc:
            db.session.rollback()
            errors = {"form": exc.detail}
            errors.update({k: " ".join(v) for k, v in (exc.errors or {}).items()})
    status = 422 if errors else 200
    return render_template(
        "program/settings.html",
        patient=patient,
        prefs=preferences.view(patient),
        errors=errors,
        type_labels=TYPE_LABELS,
        language_labels=LANGUAGE_LABELS,
    ), status


def _time_field(form, name: str) -> time | None:
    value = form.get(name, "").strip()
    if not value:
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise Unprocessable(
            "Quiet hours must be times like 21:00.", errors={name: ["Enter a time like 21:00."]}
        ) from None


def _form_data(form) -> dict:
    """The settings form as the API's update data. :raise Unprocessable: a value the form cannot offer."""
    language = form.get("language", "en")
    if language not in LANGUAGES:
        raise Unprocessable("Choose a language from the list.", errors={"language": ["Choose a language."]})
    opted_out = form.getlist("opted_out")
    if any(t not in TYPE_LABELS for t in opted_out):
        raise Unprocessable("Unknown message type.", errors={"opted_out": ["Choose from the list."]})
    data = {
        "language": language,
        "email_enabled": form.get("email_enabled") == "on",
        "sms_enabled": form.get("sms_enabled") == "on",
        "quiet_start": _time_field(form, "quiet_start"),
        "quiet_end": _time_field(form, "quiet_end"),
        "opted_out_types": opted_out,
    }
    consent = form.get("consent")
    if consent == "give":
        data["consent"] = True
    elif consent == "withdraw":
        data["consent"] = False
    return data


@bp.get("/program/mailbox")
@login_required(*STAFF)
def mailbox():
    """The demo mailbox: e-mail and SMS that were kept here because no mail server or SMS provider is set."""
    kept = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.transport == Transport.LOCAL_MAILBOX)
        .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc())
        .limit(100)
    ).all()
    patients = {
        p.id: p
        for p in db.session.scalars(select(Patient).where(Patient.id.in_({m.patient_id for m in kept})))
    }
    return render_template(
        "program/mailbox.html",
        kept=kept,
        patients=patients,
        labels=CHANNEL_LABELS,
        mail_configured=bool(current_app.config.get("MAIL_URL")),
        sms_configured=bool(current_app.config.get("SMS_PROVIDER_URL")),
    )


@bp.get("/program/outbox")
@login_required(Role.ADMIN)
def outbox():
    """Dead letters with a Retry button each, and who retried what."""
    status = request.args.get("status", MessageStatus.DEAD)
    if status not in {s.value for s in MessageStatus}:
        abort(404)
    shown = db.session.scalars(dead_letters.messages_query(status).limit(200)).all()
    return render_template(
        "program/outbox.html",
        status=status,
        statuses=[s.value for s in MessageStatus],
        shown=shown,
        audit=dead_letters.recent_audit(),
        type_labels=TYPE_LABELS,
    )


@bp.post("/program/outbox/<int:message_id>/retry")
@login_required(Role.ADMIN)
def retry(message_id: int):
    dead_letters.retry(message_id, web_user())
    db.session.commit()
    flash(f"Message {message_id} is queued again.", "success")
    return redirect(url_for("web.notifications.outbox"))
