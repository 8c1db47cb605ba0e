"""A patient's notification preferences: channels, consent, quiet hours, language, opt-outs.

A patient with no stored row gets the defaults: their own page only, in
English, with the configured quiet hours. E-mail and SMS are used only with
a recorded consent and an address to send to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from booking.db_types import utcnow
from booking.errors import Unprocessable
from booking.extensions import db
from booking.models import Patient, User
from booking.program.models import Channel, MessageType, NotificationAudit, NotificationPreference


@dataclass(frozen=True)
class Effective:
    """The preferences that apply, stored or default."""

    language: str = "en"
    email: bool = False
    sms: bool = False
    quiet_start: time | None = None
    quiet_end: time | None = None
    opted_out: frozenset[str] = field(default_factory=frozenset)


def _default_quiet_hours() -> tuple[time | None, time | None]:
    """``QUIET_HOURS`` as "21:00-08:00" (local time of the patient), or empty for none."""
    spec = current_app.config.get("QUIET_HOURS", "")
    if not spec:
        return None, None
    start, end = spec.split("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def effective(patient: Patient) -> Effective:
    return _from_row(db.session.get(NotificationPreference, patient.id))


def effective_many(patient_ids: list[int], chunk: int = 1000) -> dict[int, Effective]:
    """Everyone's preferences in a few queries (stored rows, defaults for the rest)."""
    stored: dict[int, NotificationPreference] = {}
    ids = sorted(set(patient_ids))
    for i in range(0, len(ids), chunk):
        query = db.select(NotificationPreference).where(
            NotificationPreference.patient_id.in_(ids[i : i + chunk])
        )
        stored.update((row.patient_id, row) for row in db.session.scalars(query))
    default = _from_row(None)
    return {pid: _from_row(stored[pid]) if pid in stored else default for pid in ids}


def _from_row(row: NotificationPreference | None) -> Effective:
    default_start, default_end = _default_quiet_hours()
    if row is None:
        return Effective(quiet_start=default_start, quiet_end=default_end)
    consented = row.consent_at is not None
    return Effective(
        language=row.language,
        email=row.email_enabled and consented,
        sms=row.sms_enabled and consented,
        quiet_start=row.quiet_start if row.quiet_start is not None else default_start,
        quiet_end=row.quiet_end if row.quiet_end is not None else default_end,
        opted_out=frozenset(row.opted_out_types or ()),
    )


def channels_for(patient: Patient, pref: Effective, type_: MessageType) -> list[Channel]:
    """The page always; e-mail and SMS when consented, enabled, addressable and not opted out."""
    channels = [Channel.PAGE]
    if str(type_) in pref.opted_out:
        return channels
    if pref.email and patient.email:
        channels.append(Channel.EMAIL)
    if pref.sms and patient.phone:
        channels.append(Channel.SMS)
    return channels


def outside_quiet_hours(due: datetime, patient: Patient, pref: Effective) -> datetime:
    """``due``, or the end of the patient's quiet hours if ``due`` falls inside them (their zone)."""
    if pref.quiet_start is None or pref.quiet_end is None or pref.quiet_start == pref.quiet_end:
        return due
    zone = ZoneInfo(patient.time_zone)
    local = due.astimezone(zone)
    start, end = pref.quiet_start, pref.quiet_end
    clock = local.time()
    if start < end:
        inside = start <= clock < end
        end_day = local.date()
    else:  # spans midnight, e.g. 21:00-08:00
        inside = clock >= start or clock < end
        end_day = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not inside:
        return due
    # Wall-clock end in the patient's zone; fold=0 picks the first of a repeated hour.
    return datetime.combine(end_day, end, tzinfo=zone).astimezone(due.tzinfo)


# --- changing them -----------------------------------------------------------------------

# The wording a patient (or staff on their behalf) agrees to before e-mail or SMS is used.
# A new wording gets a new version; the version agreed to is stored with the consent.
CONSENT_TEXT_VERSION = "2026-12"
CONSENT_TEXTS = {
    "2026-12": (
        "I agree that labvisit may send me reminders about my monitoring lab visits by e-mail "
        "and/or text message (SMS), to the e-mail address and phone number on my record. The "
        "messages say as little as possible about my health. Text message rates may apply. "
        "I can change this or stop at any time on my notification settings."
    ),
}


def stored_or_default(patient: Patient) -> NotificationPreference:
    """The patient's stored row, or a new one with the defaults (added to the session, not flushed)."""
    row = db.session.get(NotificationPreference, patient.id)
    if row is None:
        row = NotificationPreference(
            patient_id=patient.id, language="en", email_enabled=False, sms_enabled=False, opted_out_types=[]
        )
    return row


def update(patient: Patient, data: dict, actor: User) -> NotificationPreference:
    """Apply a change of preferences by ``actor`` (the patient, or staff on their behalf); flushes.

    ``consent`` True records consent to the current wording, by ``actor``, now;
    False withdraws it (e-mail and SMS stop, pending ones are skipped at send time).
    E-mail or SMS can be switched on only with a consent on record.

    :raise Unprocessable: (422) a channel switched on without consent; half a quiet-hours range.
    """
    row = stored_or_default(patient)
    consent = data.get("consent")
    # Withdrawing consent switches both channels off unless the same request asks for one.
    keep = consent is not False
    wants_email = data.get("email_enabled", row.email_enabled and keep)
    wants_sms = data.get("sms_enabled", row.sms_enabled and keep)
    has_consent = consent is True or (consent is None and row.consent_at is not None)
    if (wants_email or wants_sms) and not has_consent:
        raise Unprocessable(
            "E-mail and SMS reminders need the patient's consent.",
            errors={"consent": ["Record consent (true) to switch on e-mail or SMS."]},
        )
    quiet = (data.get("quiet_start", row.quiet_start), data.get("quiet_end", row.quiet_end))
    if (quiet[0] is None) != (quiet[1] is None):
        raise Unprocessable(
            "Quiet hours need both a start and an end.",
            errors={"quiet_end" if quiet[1] is None else "quiet_start": ["Give both, or neither."]},
        )
    for name in ("language", "email_enabled", "sms_enabled", "quiet_start", "quiet_end"):
        if name in data:
            setattr(row, name, data[name])
    if "opted_out_types" in data:
        row.opted_out_types = sorted(set(data["opted_out_types"]))
    if consent is True:
        row.consent_at, row.consent_by_id, row.consent_text_version = utcnow(), actor.id, CONSENT_TEXT_VERSION
        _audit(actor, patient, "consent_given", f"text version {CONSENT_TEXT_VERSION}")
    elif consent is False and row.consent_at is not None:
        row.consent_at, row.consent_by_id, row.consent_text_version = None, None, None
        row.email_enabled = row.sms_enabled = False
        _audit(actor, patient, "consent_withdrawn", None)
    db.session.add(row)
    db.session.flush()
    return row


def _audit(actor: User, patient: Patient, action: str, detail: str | None) -> None:
    db.session.add(NotificationAudit(actor_id=actor.id, patient_id=patient.id, action=action, detail=detail))


def view(patient: Patient) -> dict:
    """The preferences as the API and the pages show them."""
    row = stored_or_default(patient)
    recorder = db.session.get(User, row.consent_by_id) if row.consent_by_id else None
    consent = None
    if row.consent_at is not None:
        consent = {
            "given_at": row.consent_at,
            "text_version": row.consent_text_version,
            "recorded_by_user_id": row.consent_by_id,
            "recorded_by_role": recorder.role if recorder else None,
        }
    return {
        "patient_id": patient.id,
        "language": row.language,
        "email_enabled": row.email_enabled,
        "sms_enabled": row.sms_enabled,
        "quiet_start": row.quiet_start,
        "quiet_end": row.quiet_end,
        "default_quiet_hours": current_app.config.get("QUIET_HOURS", ""),
        "time_zone": patient.time_zone,
        "opted_out_types": list(row.opted_out_types or []),
        "email_on_file": bool(patient.email),
        "phone_on_file": bool(patient.phone),
        "consent": consent,
        "consent_text_version": CONSENT_TEXT_VERSION,
        "consent_text": CONSENT_TEXTS[CONSENT_TEXT_VERSION],
    }
