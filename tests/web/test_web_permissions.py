"""Who may open which page: every guarded page, every role, and other people's records."""

from __future__ import annotations

import pytest

from tests.conftest import future_day

PATIENT_PAGES = ["/patients/{pid}", "/patients/{pid}/book", "/patients/{pid}/book/service_center"]
STAFF_PAGES = ["/coordinator"]
TECHNICIAN_PAGES = ["/technician"]


@pytest.mark.parametrize("path", PATIENT_PAGES + STAFF_PAGES + TECHNICIAN_PAGES + ["/bookings/1"])
def test_every_page_asks_a_stranger_to_sign_in(world, pages, path):
    """Nobody signed in is sent to sign-in, with the page to come back to."""
    response = pages.get(path.format(pid=1))
    assert response.status_code == 302 and "/sign-in?next=" in response.location


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        ("technician", "/patients/{pid}", 403),
        ("technician", "/coordinator", 403),
        ("patient", "/coordinator", 403),
        ("patient", "/technician", 403),
        ("coordinator", "/technician", 403),
        ("coordinator", "/patients/{pid}", 200),
        ("admin", "/patients/{pid}/book", 200),
        ("coordinator", "/coordinator", 200),
    ],
)
def test_roles_open_only_their_pages(world, signed_in, role, path, status):
    """Each role reaches its own pages and gets a 403 page elsewhere."""
    pid = world.patient()
    kwargs = {"patient_id": world.patient()} if role == "patient" else {}
    _, client = signed_in(role, **kwargs)
    response = client.get(path.format(pid=pid))
    assert response.status_code == status
    if status == 403:
        assert "text/html" in response.content_type and "may not open this page" in response.get_data(
            as_text=True
        )


@pytest.mark.parametrize("path", PATIENT_PAGES)
def test_a_patient_cannot_open_another_patients_pages(world, patient_pages, path):
    """Another patient's pages answer 404, exactly like a record that does not exist."""
    other = world.patient()
    _, _, client = patient_pages
    assert client.get(path.format(pid=other)).status_code == 404
    assert client.get(path.format(pid=999999)).status_code == 404


def test_a_patient_cannot_open_or_change_another_patients_booking(app, world, signed_in, patient_pages):
    """Someone else's booking is 404 to read, move or cancel, and stays as it was."""
    from booking.extensions import db
    from booking.models import Booking
    from tests.web.test_web_patient import _first_slot

    other_id = world.patient()
    _, other = signed_in("patient", patient_id=other_id)
    cid = world.center()
    day = future_day(3).isoformat()
    picker = other.get(f"/patients/{other_id}/book/service_center?center={cid}&day={day}").get_data(
        as_text=True
    )
    done = other.post(
        f"/patients/{other_id}/bookings",
        {"kind": "service_center", "center": cid, "starts_at": _first_slot(picker)},
    )
    other_booking = int(done.location.rsplit("/", 1)[1])
    _, _, pages = patient_pages
    assert pages.get(f"/bookings/{other_booking}").status_code == 404
    assert pages.get(f"/bookings/{other_booking}/reschedule").status_code == 404
    assert pages.post(f"/bookings/{other_booking}/cancel", {"reason": "x"}).status_code == 404
    with app.app_context():
        assert db.session.get(Booking, other_booking).status == "confirmed"
