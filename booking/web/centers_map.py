"""The nearest service centers on a small map beside their list, numbered as the list is.

Drawn inline as SVG (``booking.web.drawing``), so it needs no map service and
reveals the searched address to nobody: the patient's point is a star, each
center a numbered circle, with a scale bar in miles and a legend.
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup

from booking.geocoding import GeoPoint
from booking.models import ServiceCenter
from booking.web.drawing import Frame, projector

FRAME = Frame(width=600, height=380, margin=28, top=0, bottom=40)
KM_PER_MILE = 1.609344


def _scale_bar(px_per_km: float) -> tuple[float, str]:
    """A round distance (in miles) about a fifth of the drawing wide, and its length in pixels."""
    target = FRAME.width / 5 / px_per_km / KM_PER_MILE
    miles = next((m for m in (0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 50, 100) if m >= target), 100)
    return miles * KM_PER_MILE * px_per_km, f"{miles:g} mi"


def centers_map(origin: GeoPoint, centers: list[tuple[ServiceCenter, float]], selected: int | None) -> Markup:
    """The inline SVG of ``centers`` around ``origin``; ``selected`` (a center id) is drawn filled."""
    points = [(origin.latitude, origin.longitude)] + [(c.latitude, c.longitude) for c, _ in centers]
    project, px_per_km = projector(points, FRAME)
    w, h = FRAME.width, FRAME.height
    label = (
        f"Map of the {len(centers)} nearest service centers, numbered as in the list, "
        "around the place searched (the star)."
    )
    parts = [
        f'<svg class="centers-map" viewBox="0 0 {w} {h}" role="img" aria-label="{escape(label)}" '
        'font-family="sans-serif" font-size="15">',
        f'<rect width="{w}" height="{h}" fill="#f6f7f4"/>',
    ]
    for n, (center, km) in enumerate(centers, start=1):
        x, y = project(center.latitude, center.longitude)
        chosen = center.id == selected
        parts.append(
            f"<g><title>{n}. {escape(center.name)}, {km / KM_PER_MILE:.1f} mi</title>"
            f'<circle cx="{x}" cy="{y}" r="13" fill="{"#0b5cad" if chosen else "white"}" '
            f'stroke="#0b5cad" stroke-width="3"/>'
            f'<text x="{x}" y="{y + 5}" text-anchor="middle" font-weight="bold" '
            f'fill="{"white" if chosen else "#0b5cad"}">{n}</text></g>'
        )
    x, y = project(origin.latitude, origin.longitude)
    star = " ".join(
        f"{x + r * dx:.1f},{y + r * dy:.1f}"
        for r, (dx, dy) in zip(
            [14, 6] * 5,
            [
                (0.0, -1.0),
                (0.59, -0.81),
                (0.95, -0.31),
                (0.95, 0.31),
                (0.59, 0.81),
                (0.0, 1.0),
                (-0.59, 0.81),
                (-0.95, 0.31),
                (-0.95, -0.31),
                (-0.59, -0.81),
            ],
            strict=True,
        )
    )
    parts.append(
        f'<polygon points="{star}" fill="#c0392b" stroke="white" stroke-width="1.5"><title>Searched from here</title></polygon>'
    )
    bar, bar_label = _scale_bar(px_per_km)
    base = h - 16
    parts.append(
        f'<path d="M{FRAME.margin},{base - 6} V{base} H{FRAME.margin + bar:.1f} V{base - 6}" '
        f'fill="none" stroke="#222" stroke-width="2"/>'
        f'<text x="{FRAME.margin + bar + 8:.1f}" y="{base}" fill="#222">{bar_label}</text>'
        f'<text x="{w - FRAME.margin}" y="{base}" text-anchor="end" fill="#222">'
        "★ where you searched · ① centers as in the list</text></svg>"
    )
    return Markup("".join(parts))
