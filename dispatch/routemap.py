"""A plan's routes drawn as one self-contained SVG: no map tiles, no scripts, nothing fetched.

Points are projected equirectangularly around the plan's centre (fine at the
scale of a metro area). Each route is a coloured polyline home → stops → lab;
stops are numbered; unassigned visits are grey crosses.
"""

from __future__ import annotations

import math
from html import escape

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
WIDTH, HEIGHT, MARGIN = 900, 700, 40


def _projector(points: list[tuple[float, float]]):
    lats = [p[0] for p in points] or [0.0]
    lons = [p[1] for p in points] or [0.0]
    scale_lon = math.cos(math.radians(sum(lats) / len(lats)))
    span_x = max((max(lons) - min(lons)) * scale_lon, 1e-6)
    span_y = max(max(lats) - min(lats), 1e-6)
    scale = min((WIDTH - 2 * MARGIN) / span_x, (HEIGHT - 2 * MARGIN - 60) / span_y)

    def project(lat: float, lon: float) -> tuple[float, float]:
        return (
            round(MARGIN + (lon - min(lons)) * scale_lon * scale, 1),
            round(HEIGHT - MARGIN - (lat - min(lats)) * scale, 1),
        )

    return project


def plan_svg(plan: DispatchPlan, v: PlanVersion) -> str:
    """The SVG document of version ``v`` of ``plan``."""
    stops_by_tech: dict[int, list] = {}
    for stop in sorted(v.stops, key=lambda s: (s.technician_id, s.position)):
        stops_by_tech.setdefault(stop.technician_id, []).append(stop)
    points = [(s.booking.latitude, s.booking.longitude) for s in v.stops]
    points += [(r.technician.home_latitude, r.technician.home_longitude) for r in v.routes]
    points += [(r.lab.latitude, r.lab.longitude) for r in v.routes if r.lab]
    points += [(u.booking.latitude, u.booking.longitude) for u in v.unassigned]
    project = _projector(points)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fbfbf8"/>',
        f'<text x="{MARGIN}" y="24" font-size="15">Plan {plan.id}, {plan.day.isoformat()}, version {v.number}: '
        f"{len(v.stops)} visits on {len(v.routes)} routes, {len(v.unassigned)} unassigned</text>",
    ]
    for i, route in enumerate(v.routes):
        colour = PALETTE[i % len(PALETTE)]
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
                f'<circle cx="{x}" cy="{y}" r="7" fill="white" stroke="{colour}" stroke-width="2"/>'
                f'<text x="{x}" y="{y + 4}" text-anchor="middle" font-size="9">{n}</text>'
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
    parts.append(
        f'<text x="{MARGIN}" y="{HEIGHT - 12}" fill="#555">▲ home base · ● stop (in order) · '
        f"■ lab · ✕ unassigned</text></svg>"
    )
    return "\n".join(parts)
