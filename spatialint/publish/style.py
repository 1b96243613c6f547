"""The one palette of spatialint's outputs: the map, the report's figures and the QGIS styles
stored in ``spatialint.gpkg`` all take their colours from here, so they read alike.

Each kind of layer has its own family of colours (:data:`PALETTES`), far enough from every
other kind's that no two kinds can be taken for each other (:data:`MIN_COLOUR_DIFFERENCE`,
tested):

=================  ==============================================================
kind               colours
=================  ==============================================================
roads              greys, darker and wider for higher classes (the context)
rail               blues; conventional rail black, dashed
travel time        one green ramp: the 1/2/3-hour circles and the hexagons share it
                   (a band has the colour of its minutes), unreached cells lilac
review status      magenta (to verify), deep purple, teal, white, tan, brown
corridor index     dark red (0, poorly integrated) → yellow (100); no index: pink
admin units        purple, dashed
origins            yellow
class drops        cyan, dashed
missing crossings  magenta, dashed
=================  ==============================================================

Point symbols share one neutral edge (:data:`OUTLINE_COLOUR`), which belongs to no kind.
"""

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
    "roads_major": ("#404040", 3.0),
    "roads_primary": ("#666666", 2.2),
    "roads_secondary": ("#8a8a8a", 1.6),
    "roads_tertiary": ("#a8a8a8", 1.1),
    "roads_minor": ("#c4c4c4", 0.7),
}
"""(colour, line width in pixels) of each road group: greys, so the findings stand out."""
RAIL_STYLE: dict[str, tuple[str, float, str | None]] = {
    "highspeed": ("#08306b", 3.5, None),
    "intercity": ("#2171b5", 3.0, None),
    "conventional": ("#000000", 2.2, "6 3"),
    "metro": ("#6baed6", 2.2, None),
}
"""(colour, width in pixels, dash pattern) of each rail ``service``."""
RAIL_OTHER_STYLE: tuple[str, float, str | None] = ("#4a5d7e", 2.0, "2 4")
TRANSIT_STYLE: dict[str, tuple[str, float, str | None]] = {
    **{service: (colour, width + 1.0, "8 3") for service, (colour, width, _) in RAIL_STYLE.items()},
    "bus": ("#4292c6", 2.0, "3 3"),
    "other": RAIL_OTHER_STYLE,
}
"""(colour, width, dash) of each GTFS ``service``: the rail colours, wider and dashed, so a
timetabled line reads apart from the OSM track beneath it; buses mid-blue, dotted."""
STATION_COLOURS = ("#08306b", "#9ecae1")
"""Edge and fill of a rail station."""

HEX_STEP_MIN = 15.0
"""Class width (minutes) of the hexagon accessibility surface."""
TIME_RAMP = ("#004a2b", "#005b32", "#056c39", "#167a3f", "#278946", "#369d54", "#49af61",
             "#62bb6e", "#7ec97b", "#98d486", "#b2df90", "#c8e99b")  # fmt: skip
"""Travel time from short (dark green) to the largest band (light yellow-green): ColorBrewer's
YlGn, sampled in 12 steps. The hexagon classes spread over it, and each circle takes the colour
of its minutes (:func:`time_colour`)."""
HEX_UNREACHED_COLOUR = "#a6a6d2"
"""Hexagons no origin reaches within the largest band."""

STATUS_COLOURS: dict[str, str] = {
    "open": "#dd1c77",
    "confirmed": "#3f007d",
    "planned": "#01665e",
    "opened": "#ffffff",
    "rejected": "#d6c1a3",
    "other": "#8c510a",
}
"""Colour of each review status class of a 断头路: the ones to look at strong (to verify
magenta, confirmed deep purple), the settled ones pale (opened white, false positive tan)."""
STATUS_CLASSES: dict[str, str] = {
    "待核实": "open",
    "确认": "confirmed",
    "误报": "rejected",
    "在建": "planned",
    "已打通": "opened",
}
"""Colour class of each review status the gaps stage writes (the keys of
:data:`spatialint.gaps.review.STATUSES`)."""
GAP_LINE_COLOUR = "#3f007d"
"""The short dashed line from a 断头路 to the road it fails to meet."""

CORRIDOR_RAMP = ("#bd0026", "#f03b20", "#fd8d3c", "#feb24c", "#fed976")
"""Colour ramp of the integration index, 0 (dark red, poorly integrated) → 100 (yellow):
ColorBrewer's YlOrRd, reversed."""
NO_INDEX_COLOUR = "#c994c7"
UNIT_COLOUR = "#7b3294"
ORIGIN_COLOUR = "#ffff00"
CLASS_DROP_COLOUR = "#00bcd4"
MISSING_CROSSING_COLOUR = "#ff00ff"
OUTLINE_COLOUR = "#222222"
"""The edge of point symbols (origins, 断头路, class drops)."""

PALETTES: dict[str, tuple[str, ...]] = {
    "roads": tuple(colour for colour, _ in ROAD_STYLE.values()),
    "rail": (
        *(c for c, _, _ in RAIL_STYLE.values()),
        RAIL_OTHER_STYLE[0],
        *STATION_COLOURS,
        TRANSIT_STYLE["bus"][0],
    ),  # fmt: skip
    "travel_time": (*TIME_RAMP, HEX_UNREACHED_COLOUR),
    "review_status": (*STATUS_COLOURS.values(), GAP_LINE_COLOUR),
    "corridor_index": (*CORRIDOR_RAMP, NO_INDEX_COLOUR),
    "admin_units": (UNIT_COLOUR,),
    "origins": (ORIGIN_COLOUR,),
    "class_drops": (CLASS_DROP_COLOUR,),
    "missing_crossings": (MISSING_CROSSING_COLOUR,),
}
"""Every colour of each kind of layer."""
MIN_COLOUR_DIFFERENCE = 15.0
"""Smallest CIE76 colour difference (ΔE*ab) between colours of two kinds: 2.3 is just
noticeable, above 10 two colours read as different at a glance."""


def status_key(value: Any) -> str:
    """The colour class (open/confirmed/planned/rejected/opened) of a review status; ``other``
    for a value the gaps stage does not write."""
    return STATUS_CLASSES.get(value, "other") if isinstance(value, str) else "other"


def corridor_colour(index: float | None) -> str:
    """Colour of an integration index (0–100) on :data:`CORRIDOR_RAMP`; pink when missing."""
    if index is None or pd.isna(index) or not np.isfinite(index):
        return NO_INDEX_COLOUR
    position = min(max(float(index), 0.0), 100.0) / 100.0 * (len(CORRIDOR_RAMP) - 1)
    return CORRIDOR_RAMP[min(int(round(position)), len(CORRIDOR_RAMP) - 1)]


def time_colour(minutes: float, top: float) -> str:
    """Colour of a travel time on :data:`TIME_RAMP`, whose ends are the first class
    (:data:`HEX_STEP_MIN`) and ``top`` (the largest band)."""
    span = max(float(top) - HEX_STEP_MIN, 0.0)
    position = (float(minutes) - HEX_STEP_MIN) / span if span else 0.0
    index = int(round(min(max(position, 0.0), 1.0) * (len(TIME_RAMP) - 1)))
    return TIME_RAMP[index]


def band_colours(bands: Any) -> dict[float, str]:
    """Colour of each travel-time band (minutes): its minutes on the time ramp, the largest
    band at its light end."""
    values = sorted(float(b) for b in bands)
    return {b: time_colour(b, values[-1]) for b in values} if values else {}


def road_group(highway: pd.Series) -> pd.Series:
    """The display group (``roads_major`` ...) of each OSM ``highway`` value."""
    lookup = {cls: group for group, classes in ROAD_GROUPS.items() for cls in classes}
    return highway.astype(str).map(lookup).fillna("roads_minor")


SRGB_TO_XYZ = np.array(
    [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
)
D65_WHITE = np.array([0.95047, 1.0, 1.08883])


def colour_difference(first: str, second: str) -> float:
    """CIE76 colour difference ΔE*ab of two ``#rrggbb`` colours (sRGB, D65)."""
    return float(np.linalg.norm(_lab(first) - _lab(second)))


def _lab(colour: str) -> np.ndarray:
    rgb = np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = SRGB_TO_XYZ @ linear / D65_WHITE
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def rgba(colour: str, opacity: float = 1.0) -> str:
    """``#rrggbb`` as QGIS writes a colour: ``r,g,b,a`` (0–255)."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"{red},{green},{blue},{int(round(opacity * 255))}"
