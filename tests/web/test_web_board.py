"""The coordinator's day board: plan, publish, move with a violations preview, pin, unassign, unavailable."""

from __future__ import annotations

import re
from html import unescape

import pytest

from dispatch import jobs


def _wait_for_jobs():
    for thread in list(jobs.threads):
        thread.join(timeout=60)


def _board(field_day):
    return f"/coordinator/regions/{field_day.region_id}/days/{field_day.day.isoformat()}"


def _planned(field_day, pages, visits=((9, 0), (13, 1))):
    tess_id, _ = field_day.technician("Tess")
    bookings = [
        field_day.visit(hour, place=place, first_name=f"P{i}") for i, (hour, place) in enumerate(visits)
    ]
    response = pages.post(_board(field_day) + "/plan", {}, token_from=_board(field_day))
    assert response.status_code == 302
    _wait_for_jobs()
    return tess_id, bookings


def _etag(html: str) -> str:
    return re.search(r'name="etag" value="([^"]+)"', html).group(1).replace("&#34;", '"')


@pytest.fixture
def coordinator_pages(signed_in, app):
    app.config["DISPATCH_TIME_LIMIT"] = 1  # the product's setting, kept short for the tests
    return signed_in("coordinator")[1]


def _post(pages, path, board, data):
    html = pages.get(board).get_data(as_text=True)
    return pages.post(path, {"etag": _etag(html), **data}, token_from=board)


def test_plan_and_publish_from_the_board(field_day, coordinator_pages):
    """Plan the day, see the routes and the map, publish: the visits become assigned."""
    pages = coordinator_pages
    board = _board(field_day)
    assert "Plan the day" in pages.get(board).get_data(as_text=True)
    _, bookings = _planned(field_day, pages)
    html = pages.get(board).get_data(as_text=True)
    assert "Showing version <strong>1</strong>" in html and "P0 V." in html and "P1 V." in html
    assert "Review and publish version 1" in html and 'alt="Route map of version 1' in html
    assert "Solve time" not in html  # the engine's time is the product's setting, not the coordinator's
    plan_id = int(re.search(r"/coordinator/plans/(\d+)/map.svg", html).group(1))
    svg = pages.get(f"/coordinator/plans/{plan_id}/map.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    review = unescape(pages.get(f"/coordinator/plans/{plan_id}/publish").get_data(as_text=True))
    assert "Publish version 1 of" in review and "2 stops, first arrival" in review
    assert "2 get a technician and an arrival window" in review and "P0 V." in review and "P1 V." in review
    assert [field_day.status(b) for b in bookings] == ["confirmed", "confirmed"]  # reviewing changes nothing
    done = _post(pages, f"/coordinator/plans/{plan_id}/publish", board, {})
    assert done.status_code == 302
    assert [field_day.status(b) for b in bookings] == ["assigned", "assigned"]
    after = pages.get(board).get_data(as_text=True)
    assert (
        "Version 1 is published: 1 technician sees their route;" in after
        and "2 patients see a new technician" in after
    )
    again = pages.get(f"/coordinator/plans/{plan_id}/publish", follow_redirects=True).get_data(as_text=True)
    assert "There is no new version to publish." in again


def test_a_move_that_breaks_a_window_is_previewed_not_applied(field_day, coordinator_pages):
    """Moving the afternoon visit first would break the morning window: the board lists the violation."""
    pages = coordinator_pages
    board = _board(field_day)
    tess_id, (morning, afternoon) = _planned(field_day, pages)
    html = pages.get(board).get_data(as_text=True)
    plan_id = int(re.search(r"/coordinator/plans/(\d+)/changes", html).group(1))
    change = {"action": "move", "booking_id": str(afternoon), "technician_id": str(tess_id), "position": "1"}
    response = _post(pages, f"/coordinator/plans/{plan_id}/changes", board, change)
    preview = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "This change would break" in preview and "Nothing has been changed yet." in preview
    assert "outside the window" in preview and "P0 V." in preview
    assert 'name="override" value="1"' in preview
    after = pages.get(board).get_data(as_text=True)
    assert after.index("P0 V.") < after.index("P1 V.")  # unchanged
    applied = pages.post(
        f"/coordinator/plans/{plan_id}/changes",
        {"etag": _etag(preview), **change, "override": "1"},
        token_from=board,
    )
    assert applied.status_code == 302
    after = pages.get(board).get_data(as_text=True)
    assert after.index("P1 V.") < after.index("P0 V.") and "overriding rules" in after


def test_pin_unassign_and_assign_back(field_day, coordinator_pages):
    """Pin shows as 'Pinned'; unassign lists the visit with its reason; assigning puts it back."""
    pages = coordinator_pages
    board = _board(field_day)
    _, (morning, _) = _planned(field_day, pages)
    html = pages.get(board).get_data(as_text=True)
    changes = re.search(r"/coordinator/plans/\d+/changes", html).group(0)
    _post(pages, changes, board, {"action": "pin", "booking_id": str(morning)})
    html = unescape(pages.get(board).get_data(as_text=True))
    assert "badge-pinned" in html
    assert "P0 V.'s visit pinned." in html and f"Visit {morning}" not in html  # names, never ids
    _post(pages, changes, board, {"action": "unassign", "booking_id": str(morning)})
    html = pages.get(board).get_data(as_text=True)
    assert "Unassigned visits (1)" in html and "Taken off the routes by a coordinator." in html
    _post(
        pages, changes, board, {"action": "add_booking", "booking_id": str(morning), "technician_id": "best"}
    )
    assert "Unassigned visits (0)" in pages.get(board).get_data(as_text=True)


def test_marking_a_technician_unavailable_unassigns_their_visits(field_day, coordinator_pages):
    """The technician's visits become unassigned with the reason, and they are listed as unavailable."""
    pages = coordinator_pages
    board = _board(field_day)
    tess_id, _ = _planned(field_day, pages)
    html = pages.get(board).get_data(as_text=True)
    changes = re.search(r"/coordinator/plans/\d+/changes", html).group(0)
    done = _post(
        pages,
        changes,
        board,
        {"action": "technician_unavailable", "technician_id": str(tess_id), "reason": "Car broke down"},
    )
    assert done.status_code == 302
    html = pages.get(board).get_data(as_text=True)
    assert "Unassigned visits (2)" in html and "Unavailable on this day" in html and "Car broke down" in html
    assert "Tess is marked unavailable" in html


def test_a_stale_board_cannot_overwrite_a_newer_plan(field_day, coordinator_pages):
    """A form carrying an old ETag is refused with a message, and nothing changes."""
    pages = coordinator_pages
    board = _board(field_day)
    _, (morning, _) = _planned(field_day, pages)
    html = pages.get(board).get_data(as_text=True)
    changes = re.search(r"/coordinator/plans/\d+/changes", html).group(0)
    old = _etag(html)
    _post(pages, changes, board, {"action": "pin", "booking_id": str(morning)})
    stale = pages.post(
        changes,
        {"etag": old, "action": "unassign", "booking_id": str(morning)},
        token_from=board,
        follow_redirects=True,
    )
    assert "changed" in stale.get_data(as_text=True) and "Unassigned visits (0)" in stale.get_data(
        as_text=True
    )


def test_position_must_be_a_number_and_says_so_by_the_field(field_day, coordinator_pages):
    """A malformed position is reported next to that visit's move control."""
    pages = coordinator_pages
    board = _board(field_day)
    tess_id, (morning, _) = _planned(field_day, pages)
    html = pages.get(board).get_data(as_text=True)
    changes = re.search(r"/coordinator/plans/\d+/changes", html).group(0)
    response = _post(
        pages,
        changes,
        board,
        {"action": "move", "booking_id": str(morning), "technician_id": str(tess_id), "position": "first"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and f'id="move-pos-{morning}-error"' in html


@pytest.mark.parametrize("role", ["patient", "technician"])
def test_only_staff_open_the_board(field_day, world, signed_in, role):
    """Patients and technicians get 403 on the board and its map."""
    kwargs = {"patient_id": world.patient()} if role == "patient" else {}
    _, pages = signed_in(role, **kwargs)
    assert pages.get(_board(field_day)).status_code == 403
    assert pages.get("/coordinator/plans/1/map.svg").status_code == 403


def test_due_list_links_to_the_board_picker(field_day, coordinator_pages):
    """The coordinator's start page offers the region's day board."""
    html = coordinator_pages.get("/coordinator").get_data(as_text=True)
    assert "Open the day board" in html and f'value="{field_day.region_id}"' in html
    response = coordinator_pages.get(f"/coordinator/board?region={field_day.region_id}&day={field_day.day}")
    assert response.location.endswith(_board(field_day))


def test_board_changes_need_the_csrf_token(field_day, coordinator_pages):
    """A cross-site post cannot plan or change a day."""
    response = coordinator_pages.client.post(_board(field_day) + "/plan", data={})
    assert response.status_code == 400
    assert "Plan the day" in coordinator_pages.get(_board(field_day)).get_data(as_text=True)


def test_an_unplanned_day_shows_its_booked_visits_as_waiting_to_be_planned(field_day, coordinator_pages):
    """Before any plan, the board lists the day's booked visits as waiting to be planned, not as none."""
    field_day.technician("Tess")
    for i, (hour, place) in enumerate(((9, 0), (11, 1), (13, 2))):
        field_day.visit(hour, place=place, first_name=f"W{i}")
    html = coordinator_pages.get(_board(field_day)).get_data(as_text=True)
    assert "Waiting to be planned (3)" in html
    assert "W0 V." in html and "W2 V." in html


def test_planning_progress_is_polled_as_json_without_page_reloads(field_day, coordinator_pages):
    """While a job runs the board has no meta refresh for scripts; its status endpoint says how far it is."""
    pages = coordinator_pages
    board = _board(field_day)
    status = pages.get(board + "/planning")
    assert status.status_code == 200 and status.json == {"status": "none"}
    _planned(field_day, pages)
    done = pages.get(board + "/planning").json
    assert done["status"] == "succeeded" and done["version"] == 1 and done["time_limit"] == 1
    assert done["elapsed_seconds"] is not None and done["elapsed_seconds"] >= 0
    html = pages.get(board).get_data(as_text=True)
    assert 'http-equiv="refresh"' not in html.replace("<noscript>", "")


def test_each_route_has_a_timeline_and_a_colour_shared_with_the_map(field_day, coordinator_pages):
    """Drive, wait, visit and lab drop as bars on one axis; the card's colour is the map's for that technician."""
    pages = coordinator_pages
    board = _board(field_day)
    tess_id, _ = _planned(field_day, pages, visits=((9, 0), (13, 1)))
    html = unescape(pages.get(board).get_data(as_text=True))
    label = re.search(
        r"aria-label=\"Tess's day: (\d+) min driving, (\d+) min waiting, (\d+) min at 2 visits", html
    )
    assert label, "no timeline for Tess"
    assert int(label.group(1)) > 0 and int(label.group(3)) > 0
    assert re.search(r"<title>At P0 V\. \(\d+ min\)</title>", html) and "Specimens dropped at" in html
    colour = int(re.search(r'class="route-card tech-colour-(\d+)"', html).group(1))
    plan_id = int(re.search(r"/coordinator/plans/(\d+)/map.svg", html).group(1))
    svg = pages.get(f"/coordinator/plans/{plan_id}/map.svg").get_data(as_text=True)
    from dispatch.routemap import PALETTE

    assert f'fill="{PALETTE[colour]}"/><text' in svg and ">Tess</text>" in svg  # the map's legend


def test_timeline_segments_follow_the_route_times():
    """Pure: drive to the stop, wait for its window, the visit, drive to the lab, the drop."""
    from dispatch.web.timeline import day_axis, route_timeline

    route = {
        "local_start": "2026-12-03T08:40:00-05:00",
        "local_end": "2026-12-03T10:35:00-05:00",
        "stops": [
            {
                "booking_id": 7,
                "planned_arrival": "2026-12-03T08:55:00-05:00",
                "service_start": "2026-12-03T09:00:00-05:00",
                "departure": "2026-12-03T09:20:00-05:00",
            }
        ],
        "lab_drop": {"name": "Central Lab", "planned_arrival": "2026-12-03T10:30:00-05:00"},
    }
    axis = day_axis([route])
    assert axis.start.hour == 8 and axis.minutes == 180 and [h.hour for h in axis.hours] == [8, 9, 10, 11]
    segments = route_timeline(route, axis, {7: "Ann V."}).segments
    assert [(s.kind, s.start, s.minutes) for s in segments] == [
        ("drive", 40, 15),
        ("wait", 55, 5),
        ("service", 60, 20),
        ("drive", 80, 70),
        ("lab", 150, 5),
    ]
    assert segments[2].label == "At Ann V."


def test_a_running_plan_shows_the_plan_so_far(field_day, coordinator_pages, app):
    """As soon as the engine has its first plan, the job row carries its figures for the board to show."""
    from booking.extensions import db
    from booking.models import Region
    from dispatch.service import plan_day

    field_day.technician("Tess")
    for i, hour in enumerate((9, 13)):
        field_day.visit(hour, place=i, first_name=f"P{i}")
    heard = []
    with app.app_context():
        plan_day(
            db.session.get(Region, field_day.region_id), field_day.day, time_limit=1, progress=heard.append
        )
    assert heard and heard[0]["phase"] == "first plan"
    assert heard[0]["served"] + heard[0]["unassigned"] == 2 and heard[0]["seconds"] >= 0


def test_the_board_reads_the_plan_so_far_from_a_running_job(field_day, coordinator_pages, app):
    """A running job with a first plan recorded: the status endpoint gives it, with the time left."""
    from booking.db_types import utcnow
    from booking.extensions import db
    from dispatch import jobs
    from dispatch.models import DispatchJob

    board = _board(field_day)
    with app.app_context():
        job = DispatchJob(
            id="5d0c3c63-0000-4000-8000-000000000001",
            kind="solve",
            region_id=field_day.region_id,
            day=field_day.day,
            status="running",
            backend="thread",
            time_limit=10,
            started_at=utcnow(),
            summary={"seed": 0},
        )
        db.session.add(job)
        db.session.commit()
        jobs._record_progress(
            job.id, 0, {"phase": "first plan", "served": 7, "unassigned": 1, "seconds": 0.2}
        )
    status = coordinator_pages.get(board + "/planning").json
    assert status["status"] == "running" and status["so_far"]["served"] == 7
    assert 0 < status["remaining_seconds"] <= 10
    with app.app_context():
        db.session.execute(db.update(DispatchJob).values(status="failed", error="test over"))
        db.session.commit()
