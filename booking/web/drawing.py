"""Maps drawn as SVG on the server: no tiles, no scripts, nothing fetched from elsewhere.

Points are projected equirectangularly around their own centre, which is
accurate enough at the scale of a metro area. The route maps (dispatch) and the
service-center map (the booking pages) share this projection.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

KM_PER_DEGREE = 111.32


@dataclass(frozen=True)
class Frame:
    """The drawing area: ``top`` and ``bottom`` pixels are kept free for a title and a legend."""

    width: int
    height: int
    margin: int
    top: int = 0
    bottom: int = 0


def projector(points: list[tuple[float, float]], frame: Frame) -> tuple[Callable, float]:
    """A function (lat, lon) → (x, y) fitting every point in ``frame``, and its scale in pixels per km."""
    lats = [p[0] for p in points] or [0.0]
    lons = [p[1] for p in points] or [0.0]
    scale_lon = math.cos(math.radians(sum(lats) / len(lats)))
    span_x = max((max(lons) - min(lons)) * scale_lon, 1e-6)
    span_y = max(max(lats) - min(lats), 1e-6)
    inner_w = frame.width - 2 * frame.margin
    inner_h = frame.height - 2 * frame.margin - frame.top - frame.bottom
    scale = min(inner_w / span_x, inner_h / span_y)
    # Centre the drawing in whichever direction it does not fill.
    pad_x = (inner_w - span_x * scale) / 2
    pad_y = (inner_h - span_y * scale) / 2

    def project(lat: float, lon: float) -> tuple[float, float]:
        return (
            round(frame.margin + pad_x + (lon - min(lons)) * scale_lon * scale, 1),
            round(frame.height - frame.margin - frame.bottom - pad_y - (lat - min(lats)) * scale, 1),
        )

    return project, scale / KM_PER_DEGREE
