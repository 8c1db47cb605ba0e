"""Patients: who may see which record, and creating or changing one."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from booking.auth import hash_password, is_staff
from booking.errors import Conflict, NotFound
from booking.extensions import db
from booking.models import Patient, Role, TreatmentCourse, User
from booking.services.places import resolve_address


def visible_patient(user: User, patient_id: int | None) -> Patient:
    """The patient record ``user`` may act on.

    Staff may act on anyone; a patient only on their own record, and anyone
    else's id answers 404 exactly like an unknown one, so ids leak nothing.
    A patient who gives no id means themselves.

    :raise NotFound: (404) unknown, or not the caller's own.
    """
    if patient_id is None:
        if user.role == Role.PATIENT and user.patient_id is not None:
            patient_id = user.patient_id
        else:
            raise NotFound("patient_id is required.")
    if not is_staff(user) and user.patient_id != patient_id:
        raise NotFound(f"Patient {patient_id} not found.")
    patient = db.session.get(Patient, patient_id)
    if patient is None:
        raise NotFound(f"Patient {patient_id} not found.")
    return patient


def _apply_address(patient: Patient, prefix: str, address: dict | None) -> None:
    if address is None:
        for suffix in ("address", "latitude", "longitude", "geo_precision"):
            setattr(patient, f"{prefix}_{suffix}", None)
        return
    point = resolve_address(address, field=f"{prefix}_address")
    setattr(patient, f"{prefix}_address", address["line"])
    setattr(patient, f"{prefix}_latitude", point.latitude)
    setattr(patient, f"{prefix}_longitude", point.longitude)
    setattr(patient, f"{prefix}_geo_precision", point.precision)


def _apply_fields(patient: Patient, data: dict) -> None:
    for name in ("first_name", "last_name", "date_of_birth", "email", "phone", "time_zone", "access_notes"):
        if name in data:
            setattr(patient, name, data[name])
    if "home_address" in data:
        _apply_address(patient, "home", data["home_address"])
    if "office_address" in data:
        _apply_address(patient, "office", data["office_address"])
    if "provider" in data:
        provider = data["provider"] or {}
        patient.provider_name = provider.get("name")
        patient.provider_address = provider.get("address")
        patient.provider_phone = provider.get("phone")
        low, high = provider.get("copay_min_cents"), provider.get("copay_max_cents")
        patient.provider_copay_min_cents = low
        patient.provider_copay_max_cents = high if high is not None else low


def create_patient(data: dict) -> Patient:
    """Create a patient, their courses and optionally their login, all or nothing.

    :raise Unprocessable: (422) an address cannot be geocoded.
    :raise Conflict: (409) the login e-mail is taken.
    """
    patient = Patient()
    _apply_fields(patient, data)
    patient.courses = [TreatmentCourse(**course) for course in data.get("courses", [])]
    db.session.add(patient)
    login = data.get("login")
    if login:
        email = login["email"].strip().lower()
        if db.session.scalar(db.select(User.id).where(User.email == email)):
            raise Conflict("A user with this login e-mail already exists.")
        db.session.add(
            User(
                email=email,
                password_hash=hash_password(login["password"]),
                role=Role.PATIENT.value,
                first_name=patient.first_name,
                last_name=patient.last_name,
                patient=patient,
            )
        )
    try:
        db.session.flush()
    except IntegrityError as exc:
        if not login:
            raise
        # Two requests for one new login both passed the check above; the unique e-mail index
        # decided. (A 500 here used to log the row, password hash included.)
        db.session.rollback()
        raise Conflict("A user with this login e-mail already exists.") from exc
    return patient


def update_patient(patient: Patient, data: dict) -> Patient:
    _apply_fields(patient, data)
    db.session.flush()
    return patient


def add_course(patient: Patient, data: dict) -> TreatmentCourse:
    """Record a new treatment course; the schedule extends from it at once."""
    course = TreatmentCourse(patient=patient, **data)
    db.session.add(course)
    db.session.flush()
    return course


def patient_view(patient: Patient) -> dict:
    """The API shape of a patient record."""

    def address(prefix: str) -> dict | None:
        line = getattr(patient, f"{prefix}_address")
        if line is None:
            return None
        return {
            "line": line,
            "latitude": getattr(patient, f"{prefix}_latitude"),
            "longitude": getattr(patient, f"{prefix}_longitude"),
            "precision": getattr(patient, f"{prefix}_geo_precision"),
        }

    provider = None
    if patient.provider_name:
        provider = {
            "name": patient.provider_name,
            "address": patient.provider_address,
            "phone": patient.provider_phone,
            "copay_min_cents": patient.provider_copay_min_cents,
            "copay_max_cents": patient.provider_copay_max_cents,
        }
    return {
        "id": patient.id,
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "date_of_birth": patient.date_of_birth,
        "email": patient.email,
        "phone": patient.phone,
        "time_zone": patient.time_zone,
        "home_address": address("home"),
        "office_address": address("office"),
        "access_notes": patient.access_notes,
        "provider": provider,
        "courses": patient.courses,
        "has_login": patient.user is not None,
    }
