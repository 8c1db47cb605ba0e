"""A plan's routes drawn as one self-contained SVG: no map tiles, no scripts, nothing fetched.

Points are projected by ``booking.web.drawing``. Each route is a coloured polyline home → stops → lab;
stops are numbered; unassigned visits are grey crosses.
"""

from __future__ import annotations

from html import escape

from booking.web.drawing import Frame, projector
from dispatch.models import DispatchPlan, PlanVersion

PALETTE = [
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#393b79",
    "#ad494a",
    "#637939",
    "#7b4173",
    "#3182bd",
]
WIDTH, HEIGHT, MARGIN = (
    600,
    520,
    30,
)  # drawn at about this size in the board's side column: text stays legible


def _stops_by_technician(v: PlanVersion) -> dict[int, list]:
    """Each technician's stops in ``v``, in route order."""
    stops_by_tech: dict[int, list] = {}
    for stop in sorted(v.stops, key=lambda s: (s.technician_id, s.position)):
        stops_by_tech.setdefault(stop.technician_id, []).append(stop)
    return stops_by_tech


def route_colours(v: PlanVersion) -> dict[int, int]:
    """Each technician's palette index in version ``v``: the map and the board's cards share it."""
    return {
        tech_id: i % len(PALETTE) for i, tech_id in enumerate(sorted({r.technician_id for r in v.routes}))
    }


def plan_svg(plan: DispatchPlan, v: PlanVersion) -> str:
    """The SVG document of version ``v`` of ``plan``."""
    stops_by_tech = _stops_by_technician(v)
    points = [(s.booking.latitude, s.booking.longitude) for s in v.stops]
    points += [(r.technician.home_latitude, r.technician.home_longitude) for r in v.routes]
    points += [(r.lab.latitude, r.lab.longitude) for r in v.routes if r.lab]
    points += [(u.booking.latitude, u.booking.longitude) for u in v.unassigned]
    legend_rows = (len(v.routes) - 1) // 5 if v.routes else 0
    project, _ = projector(points, Frame(WIDTH, HEIGHT, MARGIN, top=40, bottom=60 + 20 * legend_rows))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="15">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fbfbf8"/>',
        f'<text x="{MARGIN}" y="26" font-size="16">Version {v.number}: '
        f"{len(v.stops)} visits on {len(v.routes)} routes, {len(v.unassigned)} unassigned</text>",
    ]
    colours = route_colours(v)
    routes = sorted(v.routes, key=lambda r: colours[r.technician_id])
    for route in routes:
        colour = PALETTE[colours[route.technician_id]]
        tech = route.technician
        path = [project(tech.home_latitude, tech.home_longitude)]
        path += [
            project(s.booking.latitude, s.booking.longitude)
            for s in stops_by_tech.get(route.technician_id, [])
        ]
        if route.lab:
            path.append(project(route.lab.latitude, route.lab.longitude))
        coords = " ".join(f"{x},{y}" for x, y in path)
        parts.append(
            f'<g class="route" data-technician="{route.technician_id}">'
            f"<title>{escape(tech.user.first_name)}: {len(stops_by_tech.get(route.technician_id, []))} "
            f"stops, {route.drive_seconds // 60} min driving</title>"
            f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2" opacity="0.85"/>'
        )
        hx, hy = path[0]
        parts.append(f'<path d="M{hx},{hy - 7} L{hx - 6},{hy + 5} L{hx + 6},{hy + 5} Z" fill="{colour}"/>')
        for n, (x, y) in enumerate(path[1 : 1 + len(stops_by_tech.get(route.technician_id, []))], start=1):
            parts.append(
                f'<circle cx="{x}" cy="{y}" r="10" fill="white" stroke="{colour}" stroke-width="2.5"/>'
                f'<text x="{x}" y="{y + 5}" text-anchor="middle" font-size="13">{n}</text>'
            )
        parts.append("</g>")
    for lab in {r.lab.id: r.lab for r in v.routes if r.lab}.values():
        x, y = project(lab.latitude, lab.longitude)
        parts.append(
            f'<rect class="lab" x="{x - 7}" y="{y - 7}" width="14" height="14" fill="black">'
            f"<title>{escape(lab.name)} (cutoff {lab.cutoff.strftime('%H:%M')})</title></rect>"
        )
    for item in v.unassigned:
        x, y = project(item.booking.latitude, item.booking.longitude)
        parts.append(
            f'<g class="unassigned"><title>booking {item.booking_id}: {escape(item.reason)}</title>'
            f'<path d="M{x - 6},{y - 6} L{x + 6},{y + 6} M{x - 6},{y + 6} L{x + 6},{y - 6}" '
            f'stroke="#888" stroke-width="2"/></g>'
        )
    # The legend: which colour is whom, and what the marks mean.
    for n, route in enumerate(routes):
        x, y = MARGIN + (n % 5) * 110, HEIGHT - 48 + (n // 5) * 20 - 20 * ((len(routes) - 1) // 5)
        parts.append(
            f'<rect x="{x}" y="{y - 11}" width="22" height="12" fill="{PALETTE[colours[route.technician_id]]}"/>'
            f'<text x="{x + 28}" y="{y}" font-size="15">{escape(route.technician.user.first_name)}</text>'
        )
    parts.append(
        f'<text x="{MARGIN}" y="{HEIGHT - 12}" fill="#333" font-size="15">▲ home base · ● stop (in order) · '
        f"■ lab · ✕ unassigned</text></svg>"
    )
    return "\n".join(parts)


def plan_layers(v: PlanVersion, names: dict[int, str]) -> dict:
    """Version ``v`` as plain data for an interactive map over a base layer (the board's map script):
    each route in its technician's colour, home → stops → lab, and the unassigned visits.

    ``names`` maps booking ids to how the board names the visit.
    """
    stops_by_tech = _stops_by_technician(v)
    colours = route_colours(v)
    routes = []
    for route in sorted(v.routes, key=lambda r: colours[r.technician_id]):
        tech = route.technician
        stops = stops_by_tech.get(route.technician_id, [])
        routes.append(
            {
                "technician": tech.user.first_name,
                "colour": PALETTE[colours[route.technician_id]],
                "home": [tech.home_latitude, tech.home_longitude],
                "stops": [
                    {
                        "number": n,
                        "at": [s.booking.latitude, s.booking.longitude],
                        "name": names.get(s.booking_id, "Visit"),
                    }
                    for n, s in enumerate(stops, start=1)
                ],
                "lab": {"name": route.lab.name, "at": [route.lab.latitude, route.lab.longitude]}
                if route.lab
                else None,
            }
        )
    unassigned = [
        {"at": [u.booking.latitude, u.booking.longitude], "name": names.get(u.booking_id, "Visit")}
        for u in v.unassigned
    ]
    return {"routes": routes, "unassigned": unassigned}
