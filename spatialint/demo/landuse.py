"""Built-up areas of the two cities: ``landuse`` polygons over their street grids.

Each city gets ``landuse=residential`` over its whole street grid and ``landuse=commercial``
over the 2 km × 2 km around its centre, so the speed profile
(:mod:`spatialint.network.speed_profile`) finds urban roads in the demo. The polygons are
added after every other object, so no other node or way id changes.
"""

from __future__ import annotations

from spatialint.demo.layout import CENTRE_E, CENTRE_W
from spatialint.demo.region import Region
from spatialint.demo.scale import ScalePattern

#: Half-size (km) of each city's commercial centre.
CENTRE_HALF_KM = 1.0
CITY_NAMES = {CENTRE_W: "西城", CENTRE_E: "东城"}


def _add_square(region: Region, cx: float, cy: float, half: float, tags: dict[str, str]) -> int:
    """A closed way around the square of ``half`` km about (cx, cy); returns its id."""
    xs = [cx - half, cx + half, cx + half, cx - half]
    ys = [cy - half, cy - half, cy + half, cy + half]
    ids = [region.add_node(x, y) for x, y in zip(xs, ys, strict=True)]
    return region.add_way([*ids, ids[0]], tags)


def add_urban_landuse(region: Region, pattern: ScalePattern) -> list[int]:
    """The landuse polygons of both cities; returns their way ids."""
    ways = []
    for centre, name in CITY_NAMES.items():
        cx, cy = centre
        grid_half = pattern.city_half_km
        ways.append(
            _add_square(
                region, cx, cy, grid_half, {"landuse": "residential", "name": f"{name}城区"}
            )
        )
        centre_half = min(CENTRE_HALF_KM, grid_half / 2)
        ways.append(
            _add_square(
                region, cx, cy, centre_half, {"landuse": "commercial", "name": f"{name}中心商业区"}
            )
        )
    return ways
