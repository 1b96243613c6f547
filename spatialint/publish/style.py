"""Colours and line styles the map and the report's figures share, so both read alike."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

ROAD_GROUPS: dict[str, tuple[str, ...]] = {
    "roads_major": ("motorway", "motorway_link", "trunk", "trunk_link"),
    "roads_primary": ("primary", "primary_link"),
    "roads_secondary": ("secondary", "secondary_link"),
    "roads_tertiary": ("tertiary", "tertiary_link"),
    "roads_minor": ("unclassified", "residential", "living_street", "service", "road"),
}
"""Display groups of OSM ``highway`` classes; any other class draws as ``roads_minor``."""
ROAD_STYLE: dict[str, tuple[str, float]] = {
    "roads_major": ("#c0392b", 3.0),
    "roads_primary": ("#e67e22", 2.2),
    "roads_secondary": ("#b7950b", 1.6),
    "roads_tertiary": ("#7f8c8d", 1.1),
    "roads_minor": ("#aab7b8", 0.7),
}
"""(colour, line width in pixels) of each road group."""
RAIL_STYLE: dict[str, tuple[str, float, str | None]] = {
    "highspeed": ("#6c3483", 3.5, None),
    "intercity": ("#2471a3", 3.0, None),
    "conventional": ("#17202a", 2.2, "6 3"),
    "metro": ("#148f77", 2.2, None),
}
"""(colour, width in pixels, dash pattern) of each rail ``service``."""
RAIL_OTHER_STYLE: tuple[str, float, str | None] = ("#555555", 2.0, "2 4")
BAND_COLOURS = ("#1a9850", "#f39c12", "#c0392b", "#8e44ad", "#2c3e50")
"""Fill of the 1st, 2nd, 3rd ... travel-time band (1 h green, 2 h orange, 3 h red)."""
HEX_STEP_MIN = 15.0
"""Class width (minutes) of the hexagon accessibility surface."""
HEX_COLOURS = ("#1a9850", "#66bd63", "#a6d96a", "#d9ef8b", "#fee08b", "#fdae61", "#f46d43",
               "#d73027", "#a50026", "#67001f", "#40004b", "#2d004b")  # fmt: skip
HEX_UNREACHED_COLOUR = "#bdbdbd"
STATUS_COLOURS: dict[str, str] = {
    "open": "#f39c12",
    "opened": "#1a9850",
    "confirmed": "#c0392b",
    "planned": "#2471a3",
    "rejected": "#7f8c8d",
    "other": "#8e44ad",
}
"""Colour of each review status class of a 断头路."""
STATUS_CLASSES: dict[str, str] = {
    "待核实": "open",
    "确认": "confirmed",
    "误报": "rejected",
    "在建": "planned",
    "已打通": "opened",
}
"""Colour class of each review status the gaps stage writes (the keys of
:data:`spatialint.gaps.review.STATUSES`)."""
CORRIDOR_RAMP = ("#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850")
"""Colour ramp of the integration index, 0 (red, poorly integrated) → 100 (green)."""
NO_INDEX_COLOUR = "#999999"
UNIT_COLOUR = "#34495e"
ORIGIN_COLOUR = "#f1c40f"
CLASS_DROP_COLOUR = "#8e44ad"
MISSING_CROSSING_COLOUR = "#d35400"
GAP_LINE_COLOUR = "#c0392b"


def status_key(value: Any) -> str:
    """The colour class (open/confirmed/planned/rejected/opened) of a review status; ``other``
    for a value the gaps stage does not write."""
    return STATUS_CLASSES.get(value, "other") if isinstance(value, str) else "other"


def corridor_colour(index: float | None) -> str:
    """Colour of an integration index (0–100) on :data:`CORRIDOR_RAMP`; grey when missing."""
    if index is None or pd.isna(index) or not np.isfinite(index):
        return NO_INDEX_COLOUR
    position = min(max(float(index), 0.0), 100.0) / 100.0 * (len(CORRIDOR_RAMP) - 1)
    return CORRIDOR_RAMP[min(int(round(position)), len(CORRIDOR_RAMP) - 1)]


def road_group(highway: pd.Series) -> pd.Series:
    """The display group (``roads_major`` ...) of each OSM ``highway`` value."""
    lookup = {cls: group for group, classes in ROAD_GROUPS.items() for cls in classes}
    return highway.astype(str).map(lookup).fillna("roads_minor")
