"""OSM tags of built-up areas: what the extract keeps and the speed profile reads as urban.

The speed profile (:mod:`spatialint.network.speed_profile`) counts an edge as urban when its
midpoint lies in a polygon tagged ``landuse=`` one of ``speeds.urban_landuse`` or ``place=`` one
of :data:`PLACE_AREA_VALUES`. The extract keeps the polygons of :data:`URBAN_LANDUSE` (a fixed
superset, so editing ``speeds.urban_landuse`` never re-clips the source), and
:class:`spatialint.settings.SpeedSettings` refuses a value outside it.
"""

from __future__ import annotations

from typing import Any

#: landuse=* values the extract keeps as possible built-up areas (OSM wiki, Key:landuse: the
#: values of developed land).
URBAN_LANDUSE = frozenset(
    {
        "residential",
        "commercial",
        "retail",
        "industrial",
        "construction",
        "education",
        "institutional",
        "religious",
        "railway",
        "garages",
    }
)
#: place=* values that, drawn as an area, mark a built-up place (OSM wiki, Key:place).
PLACE_AREA_VALUES = frozenset({"city", "town", "suburb", "quarter", "neighbourhood", "village"})


def is_built_up_area(tags: Any) -> bool:
    """True for a way or multipolygon tagged as a possible built-up area."""
    return tags.get("landuse") in URBAN_LANDUSE or tags.get("place") in PLACE_AREA_VALUES
