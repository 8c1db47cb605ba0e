"""A coordinator plans and publishes a region's day, moves a visit by dragging it, and sees a bad move refused."""

from __future__ import annotations

import base64
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from playwright.sync_api import expect


def test_coordinator_plans_publishes_and_moves_a_visit(app, world, field_day, visit):
    coordinator = world.user("coordinator", first_name="Nora", email="nora@example.org")
    _, tess = field_day.technician("Tess")
    visits = [
        field_day.visit(hour, place=i, first_name=name)
        for i, (hour, name) in enumerate([(9, "Ann"), (11, "Ben"), (13, "Cleo"), (15, "Dev")])
    ]

    app.config["DISPATCH_TIME_LIMIT"] = 1  # the product's setting, kept short for the test
    me = visit(viewport={"width": 1280, "height": 1600})  # the whole board at once: drags need no scrolling
    page = me.sign_in(coordinator.email)
    expect(page.get_by_role("heading", name="Patients due and overdue")).to_be_visible()
    me.shot("patients-due")
    page.get_by_label("Day", exact=True).fill(field_day.day.isoformat())
    page.get_by_role("button", name="Open the day board").click()
    expect(page.get_by_text("No plan for this day yet.")).to_be_visible()

    page.get_by_role("button", name="Plan the day").click()
    expect(page.get_by_text(re.compile(r"Showing version 1"))).to_be_visible(timeout=60_000)
    tess_stops = page.get_by_role("list", name="Stops of Tess")
    expect(tess_stops.locator("li.board-stop")).to_have_count(4)
    expect(page.locator(".route-map img")).to_be_visible()
    me.shot("board-planned")

    page.get_by_role("link", name="Review and publish version 1").click()
    expect(
        page.get_by_role("heading", name=re.compile("get a technician and an arrival window"))
    ).to_contain_text("4")
    expect(page.get_by_text(re.compile(r"4 stops, first arrival"))).to_be_visible()
    page.get_by_role("button", name="Publish version 1").click()
    expect(page.get_by_role("status")).to_contain_text("Version 1 is published")
    assert {field_day.status(b) for b in visits} == {"assigned"}

    # A second technician comes on shift; drag Ann's visit onto Omar's empty route.
    field_day.technician("Omar")
    page.reload()
    omar_stops = page.get_by_role("list", name="Stops of Omar")
    page.locator(f"#booking-{visits[0]}").drag_to(omar_stops, source_position={"x": 12, "y": 10})
    expect(page.get_by_role("status")).to_contain_text("Ann V.'s visit moved to Omar.")
    expect(page.get_by_role("list", name="Stops of Omar")).to_contain_text("Ann V.")
    me.shot("board-moved")

    # Moving the 3 pm visit to the front of Tess's route would miss the morning windows: shown, not applied.
    page.locator(f"#booking-{visits[3]} summary").click()  # the stop's controls open on demand
    page.get_by_label("Move Dev V. to").select_option(label="Tess")
    page.get_by_label("at stop").nth(2).fill("1")
    page.locator(f"#booking-{visits[3]}").get_by_role("button", name="Move").click()
    preview = page.get_by_role("alert").filter(has_text="This change would break")
    expect(preview).to_be_visible()
    expect(preview).to_contain_text("Nothing has been changed yet.")
    me.shot("board-violation-preview")
    page.get_by_role("link", name="Keep the plan as it is").click()
    expect(page.get_by_role("list", name="Stops of Tess").locator("li.board-stop").last).to_contain_text(
        "Dev V."
    )

    page.get_by_role("link", name=re.compile(r"Review and publish version \d")).click()
    page.get_by_role("button", name=re.compile(r"Publish version \d")).click()
    expect(page.get_by_role("status")).to_contain_text("is published")
    assert field_day.status(visits[0]) == "assigned"
    me.shot("board-published")


_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


class _Tiles(BaseHTTPRequestHandler):
    """A street-map tile service on localhost: any tile is a 1-pixel PNG; it counts what it serves."""

    served: list[str] = []

    def do_GET(self):  # noqa: N802 - the http.server hook
        type(self).served.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(_PNG)))
        self.end_headers()
        self.wfile.write(_PNG)

    def log_message(self, *args):
        pass


def test_route_map_over_a_street_map_when_a_tile_source_is_configured(app, world, field_day, visit):
    """With MAP_TILE_URL set, the board draws the routes over the tiles, in the cards' colours, with a legend."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Tiles)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    tiles = f"http://127.0.0.1:{server.server_port}/{{z}}/{{x}}/{{y}}.png"
    app.config.update(MAP_TILE_URL=tiles, MAP_TILE_ATTRIBUTION="Test tiles")
    try:
        coordinator = world.user("coordinator", first_name="Nora", email="nora@example.org")
        field_day.technician("Tess")
        field_day.technician("Omar")
        for i, name in enumerate(["Ann", "Ben", "Cleo", "Dev"]):
            field_day.visit(9 + 2 * i, place=i, first_name=name)
        field_day.plan()
        me = visit(viewport={"width": 1280, "height": 1000})
        page = me.sign_in(coordinator.email)
        problems = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        response = page.goto(
            me.base_url + f"/coordinator/regions/{field_day.region_id}/days/{field_day.day.isoformat()}"
        )
        assert (
            f"img-src 'self' data: http://127.0.0.1:{server.server_port}"
            in response.headers["content-security-policy"]
        )
        expect(page.locator("figure.route-map.live")).to_be_visible()
        expect(page.locator(".map-fallback")).to_be_hidden()
        routes = page.locator("#live-map path.leaflet-interactive[stroke-width='4']")
        expect(routes).to_have_count(2)
        expect(page.locator(".map-legend")).to_contain_text("Omar")
        expect(page.locator(".map-legend")).to_contain_text("Tess")
        expect(page.locator(".map-stop")).to_have_count(4)
        expect(page.locator(".leaflet-control-attribution")).to_contain_text("Test tiles")
        page.wait_for_function(
            "() => document.querySelectorAll('#live-map img.leaflet-tile-loaded').length > 0"
        )
        assert _Tiles.served, "no tile was fetched"
        me.shot("board-street-map")
        assert problems == []
    finally:
        server.shutdown()
        server.server_close()
