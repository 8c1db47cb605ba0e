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

from booking.extensions import db
from booking.models import Patient
from booking.program.models import Channel, MessageType, NotificationPreference


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
