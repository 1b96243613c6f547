"""The street grids of the villages and of the seat towns (full 100 m ``residential`` grids).

Villages are painted before the rural meshes and named roads, which paint over them.
"""

from __future__ import annotations

from spatialint.demo.frame import snap_km
from spatialint.demo.layout import EAST_VILLAGES, SEAT_TOWNS
from spatialint.demo.region import Region
from spatialint.demo.rural import Village
from spatialint.demo.scale import ScalePattern
from spatialint.demo.styles import RoadStyles

SEAT_TOWN_HALF_MAX_KM = 3.0


def paint_villages(
    region: Region, villages: list[Village], pattern: ScalePattern, styles: RoadStyles
) -> None:
    """Each village's street grid, clipped to its rural zone."""
    half = pattern.village_half_km
    for x, y, (x0, x1, y0, y1) in villages:
        box = (max(x - half, x0), min(x + half, x1), max(y - half, y0), min(y + half, y1))
        region.paint_box(*box, styles.residential)


def paint_towns(region: Region, pattern: ScalePattern, styles: RoadStyles) -> None:
    """The seat towns' street grids (1.6 × a village's) and the villages east of the expressway."""
    seat_half = snap_km(min(1.6 * pattern.village_half_km, SEAT_TOWN_HALF_MAX_KM))
    for tx, ty in SEAT_TOWNS.values():
        region.paint_box(
            tx - seat_half, tx + seat_half, ty - seat_half, ty + seat_half, styles.residential
        )
    half = pattern.village_half_km
    for tx, ty in EAST_VILLAGES:
        region.paint_box(tx - half, tx + half, ty - half, ty + half, styles.residential)
