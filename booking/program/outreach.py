"""The nurses' outreach worklist: who needs a contact, ranked by urgency, and what came of each call.

A patient is on the worklist while their ``OutreachItem`` has a reason: an
unacknowledged red-flag check-in (always at the top), overdue months (raised
by the escalation job once per patient and month), or nothing booked near the
end of a due month. Every change is one conditional statement in the
caller's transaction; services flush, the request or job boundary commits.

Ranking, most urgent first: a red flag; then anyone whose next-attempt date
has not come yet goes below everyone else; then more months overdue; then
nothing booked near the end of the month; then the longest since the last
contact (never contacted first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from flask import current_app
from sqlalchemy import bindparam, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from booking import schedule
from booking.auth import is_staff
from booking.db_types import utcnow
from booking.extensions import db
from booking.models import Booking, Patient, Region, User
from booking.nearest import CANDIDATE_MARGIN, CANDIDATE_SLACK_KM, PlaceIndex
from booking.program import once, roster
from booking.program.models import NotificationPreference
from booking.program.outreach_models import (
    SETTLES_THE_MONTH,
    SPOKEN_TO,
    ContactAttempt,
    Outcome,
    OutreachItem,
    ProgramEvent,
    Reason,
    SymptomCheckin,
)
from booking.program.scheduler import periodic

Item = OutreachItem


def patient_number(patient_id: int) -> str:
    """The number staff read out to tell namesakes apart, e.g. P-000123."""
    return f"P-{patient_id:06d}"


# --- keeping the items -----------------------------------------------------------------


def _ensure_items(values: list[dict]) -> None:
    """INSERT … ON CONFLICT (patient_id) DO NOTHING for each row, on either database (one executemany)."""
    if not values:
        return
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    db.session.execute(insert(Item.__table__).on_conflict_do_nothing(index_elements=["patient_id"]), values)


def _region_finder() -> Callable[[float, float], int | None]:
    """The home-visit region covering a point (closest centre wins), like ``places.region_for``.

    The regions are read once. The cheap great-circle distance decides the
    clear cases (far from every region, or well inside exactly one); only
    points near a boundary, or inside several regions, pay for the exact
    geodesic distance (see ``booking.nearest`` for the margins).
    """
    regions = db.session.scalars(select(Region)).all()
    if not regions:
        return lambda lat, lon: None
    index = PlaceIndex((r.id, r.latitude, r.longitude) for r in regions)
    ids = [r.id for r in regions]
    radii = np.array([r.radius_km for r in regions])
    reach = radii * CANDIDATE_MARGIN + CANDIDATE_SLACK_KM
    widest = float(radii.max())

    def find(lat: float, lon: float) -> int | None:
        distances = index.haversine_km(lat, lon)
        near = np.flatnonzero(distances <= reach)
        if len(near) == 0:
            return None
        if len(near) == 1 and distances[near[0]] * CANDIDATE_MARGIN + CANDIDATE_SLACK_KM <= radii[near[0]]:
            return ids[near[0]]
        for place in index.nearest(lat, lon, radius_km=widest, limit=len(ids)):
            if place.distance_km <= radii[ids.index(place.id)]:
                return place.id
        return None

    return find


def _last_kinds(patient_ids: list[int]) -> dict[int, str]:
    """The kind of each patient's latest booking that was not cancelled (in chunks of 500 patients).

    A correlated subquery per patient walks that patient's few bookings by
    their index; a join against a grouped subquery was 100 times slower on SQLite.
    """
    latest_kind = (
        select(Booking.kind)
        .where(Booking.patient_id == Patient.id, Booking.status != "cancelled")
        .order_by(Booking.starts_at.desc())
        .limit(1)
        .correlate(Patient)
        .scalar_subquery()
    )
    kinds: dict[int, str] = {}
    for start in range(0, len(patient_ids), 500):
        chunk = patient_ids[start : start + 500]
        rows = db.session.execute(select(Patient.id, latest_kind).where(Patient.id.in_(chunk)))
        kinds.update((pid, kind) for pid, kind in rows if kind is not None)
    return kinds


def _ensure_item(patient: Patient) -> None:
    region = _region_finder()(patient.home_latitude, patient.home_longitude)
    kind = _last_kinds([patient.id]).get(patient.id)
    _ensure_items([{"patient_id": patient.id, "region_id": region, "last_kind": kind, "overdue_months": 0}])


def raise_red_flag(patient: Patient, checkin: SymptomCheckin) -> None:
    """Put the patient at the top of the worklist for this check-in (kept if one is already open)."""
    _ensure_item(patient)
    db.session.execute(
        update(Item)
        .where(Item.patient_id == patient.id, Item.red_flag_checkin_id.is_(None))
        .values(red_flag_checkin_id=checkin.id, red_flag_at=checkin.submitted_at, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def on_booked(booking: Booking, actor: User) -> None:
    """A visit was booked: the patient's overdue and due-month reasons are settled.

    A red flag stays until a nurse has spoken to the patient: a lab visit does
    not answer a warning sign. When staff booked it for a patient who was on
    the worklist, the call is logged as a "booked" contact attempt.
    """
    now = utcnow()
    settled = db.session.execute(
        update(Item)
        .where(
            Item.patient_id == booking.patient_id, or_(Item.overdue_months > 0, Item.due_month.is_not(None))
        )
        .values(overdue_months=0, overdue_since=None, due_month=None, last_kind=booking.kind, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(
        update(Item)
        .where(Item.patient_id == booking.patient_id)
        .values(last_kind=booking.kind)
        .execution_options(synchronize_session=False)
    )
    if settled and is_staff(actor):
        db.session.add(
            ContactAttempt(
                patient_id=booking.patient_id,
                user_id=actor.id,
                at=now,
                outcome=Outcome.BOOKED,
                note="Booked a visit from the worklist.",
                booking_id=booking.id,
            )
        )
        _record_contact(booking.patient_id, now, Outcome.BOOKED, None)


def log_attempt(actor: User, patient: Patient, data: dict, request_key: str | None = None) -> ContactAttempt:
    """Record a contact attempt and apply what its outcome settles.

    Reached, declined or booked: an open red flag is acknowledged (the patient
    was spoken to). Declined or booked: the month needs no more chasing (the
    escalation job raises it again only in a later month). A repeat of the
    same ``request_key`` by the same user returns the first attempt.
    """
    now = utcnow()
    outcome = Outcome(data["outcome"])
    attempt = ContactAttempt(
        patient_id=patient.id,
        user_id=actor.id,
        at=now,
        outcome=outcome,
        note=data.get("note") or "",
        next_attempt_on=data.get("next_attempt_on"),
    )
    attempt, is_new = once.add_once(attempt, ContactAttempt.user_id, actor.id, request_key)
    if not is_new:
        return attempt
    _ensure_item(patient)
    _record_contact(patient.id, now, outcome, data.get("next_attempt_on"))
    if outcome in SPOKEN_TO:
        _acknowledge_red_flags(actor, patient.id, now)
    db.session.flush()
    return attempt


def _record_contact(patient_id: int, at: datetime, outcome: Outcome, next_on: date | None) -> None:
    values: dict = {"last_contact_at": at, "last_outcome": str(outcome), "next_attempt_on": next_on}
    if outcome in SPOKEN_TO:
        values.update(red_flag_checkin_id=None, red_flag_at=None)
    if outcome in SETTLES_THE_MONTH:
        values.update(overdue_months=0, overdue_since=None, due_month=None)
    db.session.execute(
        update(Item)
        .where(Item.patient_id == patient_id)
        .values(updated_at=at, **values)
        .execution_options(synchronize_session=False)
    )


def _acknowledge_red_flags(actor: User, patient_id: int, now: datetime) -> None:
    acknowledged = db.session.scalars(
        update(SymptomCheckin)
        .where(
            SymptomCheckin.patient_id == patient_id,
            SymptomCheckin.severity != "none",
            SymptomCheckin.acknowledged_at.is_(None),
        )
        .values(acknowledged_at=now, acknowledged_by_id=actor.id)
        .returning(SymptomCheckin.id)
        .execution_options(synchronize_session=False)
    ).all()
    if acknowledged:
        db.session.add(
            ProgramEvent(
                patient_id=patient_id,
                actor_id=actor.id,
                at=now,
                action="red_flag_acknowledged",
                detail={"checkin_ids": sorted(acknowledged)},
            )
        )


# --- the escalation job ------------------------------------------------------------


@periodic("overdue_escalation")
def escalate(at: datetime) -> int:
    """Put overdue patients (and those with nothing booked late in a due month) on the worklist.

    Idempotent per patient and month: a reason raised (or settled by a nurse)
    this month is not raised again until next month. Reasons that no longer
    hold (a visit was completed or booked meanwhile) are cleared.
    Returns how many reasons were raised.
    """
    soon = current_app.config["OUTREACH_DUE_SOON_DAYS"]
    overdue: dict[int, tuple[int, date, date]] = {}
    due: dict[int, date] = {}
    located: dict[int, tuple[float, float]] = {}
    for pos in roster.positions(at):
        if pos.has_booking_ahead() or not pos.still_chased():
            continue
        months, since = pos.overdue()
        if months:
            overdue[pos.patient_id] = (months, since, pos.current_month)
        days_left = schedule.add_months(pos.current_month, 1).toordinal() - pos.today.toordinal()
        if pos.due_unbooked() and days_left <= soon:
            due[pos.patient_id] = pos.current_month
        located[pos.patient_id] = (pos.home_latitude, pos.home_longitude)
    _clear_settled(set(overdue), set(due))
    flagged = set(overdue) | set(due)
    if not flagged:
        return 0
    existing = {
        pid: (over, due_at)
        for pid, over, due_at in db.session.execute(
            select(Item.patient_id, Item.overdue_escalated, Item.due_escalated)
        ).all()
    }
    new = sorted(flagged - set(existing))
    find_region = _region_finder()
    kinds = _last_kinds(new)
    _ensure_items(
        [
            {
                "patient_id": pid,
                "region_id": find_region(*located[pid]),
                "last_kind": kinds.get(pid),
                "overdue_months": 0,
            }
            for pid in new
        ]
    )
    overdue_rows = [
        {"pid": pid, "month": month, "months": months, "since": since}
        for pid, (months, since, month) in overdue.items()
        if _not_yet(existing.get(pid, (None, None))[0], month)
    ]
    due_rows = [
        {"pid": pid, "month": month}
        for pid, month in due.items()
        if _not_yet(existing.get(pid, (None, None))[1], month)
    ]
    table = Item.__table__
    now = utcnow()
    # One executemany each; the WHERE repeats the month check, so a racing run changes nothing twice.
    raised = 0
    if overdue_rows:
        raised += db.session.execute(
            table.update()
            .where(
                table.c.patient_id == bindparam("pid"),
                or_(table.c.overdue_escalated.is_(None), table.c.overdue_escalated < bindparam("month")),
            )
            .values(
                overdue_months=bindparam("months"),
                overdue_since=bindparam("since"),
                overdue_escalated=bindparam("month"),
                updated_at=now,
            ),
            overdue_rows,
        ).rowcount
    if due_rows:
        raised += db.session.execute(
            table.update()
            .where(
                table.c.patient_id == bindparam("pid"),
                or_(table.c.due_escalated.is_(None), table.c.due_escalated < bindparam("month")),
            )
            .values(due_month=bindparam("month"), due_escalated=bindparam("month"), updated_at=now),
            due_rows,
        ).rowcount
    return raised


def _not_yet(escalated: date | None, month: date) -> bool:
    return escalated is None or escalated < month


def _clear_settled(still_overdue: set[int], still_due: set[int]) -> None:
    """Take off reasons that no longer hold, e.g. a visit was completed or booked since."""
    stale_overdue = (
        set(db.session.scalars(select(Item.patient_id).where(Item.overdue_months > 0))) - still_overdue
    )
    stale_due = (
        set(db.session.scalars(select(Item.patient_id).where(Item.due_month.is_not(None)))) - still_due
    )
    for ids, values in (
        (stale_overdue, {"overdue_months": 0, "overdue_since": None}),
        (stale_due, {"due_month": None}),
    ):
        ordered = sorted(ids)
        for start in range(0, len(ordered), 500):
            db.session.execute(
                update(Item)
                .where(Item.patient_id.in_(ordered[start : start + 500]))
                .values(**values)
                .execution_options(synchronize_session=False)
            )


# --- reading the worklist ----------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    region_id: int | None = None
    kind: str | None = None
    language: str | None = None
    reason: str | None = None


_ON_THE_LIST = or_(
    Item.red_flag_checkin_id.is_not(None), Item.overdue_months > 0, Item.due_month.is_not(None)
)
_LANGUAGE = func.coalesce(NotificationPreference.language, "en")


def _where(filters: Filters) -> list:
    conditions = [_ON_THE_LIST]
    if filters.region_id is not None:
        conditions.append(Item.region_id == filters.region_id)
    if filters.kind:
        conditions.append(Item.last_kind == filters.kind)
    if filters.language:
        conditions.append(_LANGUAGE == filters.language)
    if filters.reason == Reason.RED_FLAG:
        conditions.append(Item.red_flag_checkin_id.is_not(None))
    elif filters.reason == Reason.OVERDUE:
        conditions.append(Item.overdue_months > 0)
    elif filters.reason == Reason.DUE_UNBOOKED:
        conditions.append(Item.due_month.is_not(None))
    return conditions


def _ranking(today: date) -> list:
    return [
        case((Item.red_flag_checkin_id.is_not(None), 0), else_=1),
        case((Item.next_attempt_on > today, 1), else_=0),
        Item.overdue_months.desc(),
        case((Item.due_month.is_not(None), 0), else_=1),
        case((Item.last_contact_at.is_(None), 0), else_=1),
        Item.last_contact_at,
        Item.patient_id,
    ]


def worklist(filters: Filters, today: date, page: int, page_size: int) -> tuple[list[dict], int]:
    """One page of the worklist, most urgent first, and how many patients are on it in all."""
    conditions = _where(filters)
    base = select(Item.patient_id).outerjoin(
        NotificationPreference, NotificationPreference.patient_id == Item.patient_id
    )
    total = db.session.scalar(select(func.count()).select_from(base.where(*conditions).subquery()))
    offset = (page - 1) * page_size
    if offset >= total:
        return [], total
    query = (
        select(
            Item,
            Patient.first_name,
            Patient.last_name,
            Patient.date_of_birth,
            Patient.phone,
            _LANGUAGE.label("language"),
            Region.name.label("region_name"),
        )
        .join(Patient, Patient.id == Item.patient_id)
        .outerjoin(NotificationPreference, NotificationPreference.patient_id == Item.patient_id)
        .outerjoin(Region, Region.id == Item.region_id)
        .where(*conditions)
        .order_by(*_ranking(today))
        .limit(page_size)
        .offset(offset)
    )
    return [_row(today, *row) for row in db.session.execute(query).all()], total


def _row(today: date, item: Item, first, last, dob, phone, language, region_name) -> dict:
    reasons = []
    if item.red_flag_checkin_id is not None:
        reasons.append(str(Reason.RED_FLAG))
    if item.overdue_months:
        reasons.append(str(Reason.OVERDUE))
    if item.due_month is not None:
        reasons.append(str(Reason.DUE_UNBOOKED))
    waiting = item.next_attempt_on is not None and item.next_attempt_on > today
    return {
        "patient_id": item.patient_id,
        "patient_number": patient_number(item.patient_id),
        "name": f"{first} {last}",
        "first_name": first,
        "date_of_birth": dob,
        "phone": phone,
        "language": language,
        "region_id": item.region_id,
        "region_name": region_name,
        "last_kind": item.last_kind,
        "reasons": reasons,
        "urgent": item.red_flag_checkin_id is not None,
        "red_flag_checkin_id": item.red_flag_checkin_id,
        "red_flag_at": item.red_flag_at,
        "overdue_months": item.overdue_months,
        "overdue_since": item.overdue_since.strftime("%Y-%m") if item.overdue_since else None,
        "due_month": item.due_month.strftime("%Y-%m") if item.due_month else None,
        "last_contact_at": item.last_contact_at,
        "last_outcome": item.last_outcome,
        "days_since_contact": (today - item.last_contact_at.date()).days if item.last_contact_at else None,
        "next_attempt_on": item.next_attempt_on,
        "waiting": waiting,
    }


def attempts_query(patient_id: int):
    return (
        select(ContactAttempt)
        .where(ContactAttempt.patient_id == patient_id)
        .order_by(ContactAttempt.at.desc(), ContactAttempt.id.desc())
    )


def item_of(patient_id: int) -> Item | None:
    return db.session.get(Item, patient_id)
