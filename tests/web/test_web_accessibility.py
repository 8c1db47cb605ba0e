"""Every page: one h1, a language, and a label for every form control."""

from __future__ import annotations

from html.parser import HTMLParser

from tests.conftest import future_day


class _Controls(HTMLParser):
    def __init__(self):
        super().__init__()
        self.controls: list[dict] = []
        self.labels: set[str] = set()
        self.h1 = 0
        self.lang = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "label" and attrs.get("for"):
            self.labels.add(attrs["for"])
        elif tag in ("input", "select", "textarea") and attrs.get("type") != "hidden":
            self.controls.append(attrs)


def unlabelled(html: str) -> list[dict]:
    parser = _Controls()
    parser.feed(html)
    assert parser.lang == "en" and parser.h1 == 1
    return [c for c in parser.controls if c.get("id") not in parser.labels and not c.get("aria-label")]


def test_patient_pages_label_every_control(world, patient_pages):
    """Sign-in, schedule, every booking step and the booking page."""
    from tests.web.test_web_patient import _first_slot

    pid, _, client = patient_pages
    cid = world.center()
    world.region()
    day = future_day(3).isoformat()
    paths = [
        f"/patients/{pid}",
        f"/patients/{pid}/book",
        f"/patients/{pid}/book/service_center?center={cid}",
        f"/patients/{pid}/book/home",
        f"/patients/{pid}/book/provider",
    ]
    for path in paths:
        assert unlabelled(client.get(path).get_data(as_text=True)) == [], path
    picker = client.get(f"/patients/{pid}/book/service_center?center={cid}&day={day}").get_data(as_text=True)
    done = client.post(
        f"/patients/{pid}/bookings",
        {"kind": "service_center", "center": cid, "starts_at": _first_slot(picker)},
    )
    assert unlabelled(client.get(done.location).get_data(as_text=True)) == []


def test_sign_in_coordinator_board_and_route_label_every_control(field_day, signed_in, pages):
    """The sign-in page, the coordinator's lists and board, and the technician's route."""
    assert unlabelled(pages.get("/sign-in").get_data(as_text=True)) == []
    _, tess = field_day.technician("Tess")
    field_day.visit(9)
    field_day.visit(11, place=1)
    field_day.plan()
    field_day.publish()
    _, coordinator = signed_in("coordinator")
    board = f"/coordinator/regions/{field_day.region_id}/days/{field_day.day.isoformat()}"
    for path in ("/coordinator", board):
        assert unlabelled(coordinator.get(path).get_data(as_text=True)) == [], path
    pages.sign_in(tess)
    assert unlabelled(pages.get(f"/technician?date={field_day.day}").get_data(as_text=True)) == []
