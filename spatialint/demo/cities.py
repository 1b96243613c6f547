"""The two cities: their street grids, their approach roads and East City's south side.

Each city is a 100 m street grid (half-size :attr:`ScalePattern.city_half_km`): a primary
avenue every 1 km, a secondary road every 500 m, residential streets between, some of them
one-way. West City has four approaches; East City has more roads to its south (站前大道 past
东城站, the south ring, 东山路), so 东城区 and 东山县 are the better connected corridor.
"""

from __future__ import annotations

from spatialint.demo.frame import LATTICE_STEP_KM
from spatialint.demo.layout import CENTRE_E, CENTRE_W
from spatialint.demo.region import Region
from spatialint.demo.scale import ScalePattern
from spatialint.demo.styles import RoadStyles

#: Where West City's western approach ends: 200 m before the study edge (decoy D3).
WEST_APPROACH_END_X_KM = -109.8
#: x (km) of the links from East City's south ring down to the 东城区|东山县 border.
RING_LINKS_X_KM = (48.0, 55.0, 62.0, 68.0, 85.0, 92.0)


def grid_style(k: int, styles: RoadStyles) -> int:
    """Style of the ``k``-th grid line from the centre (k = 0 is the central avenue)."""
    if k % 10 == 0:
        return styles.approach
    if k % 5 == 0:
        return styles.link
    if k % 4 == 2:
        return styles.residential_oneway if (k // 4) % 2 == 0 else styles.residential_oneway_reverse
    return styles.residential


def paint_city_grids(region: Region, pattern: ScalePattern, styles: RoadStyles) -> None:
    """Both cities' street grids."""
    hc = pattern.city_half_km
    for cx, cy in (CENTRE_W, CENTRE_E):
        n = round(hc / LATTICE_STEP_KM)
        for k in range(-n, n + 1):
            code = grid_style(k, styles)
            off = k * LATTICE_STEP_KM
            region.paint_h(cy + off, cx - hc, cx + hc, code)
            region.paint_v(cx + off, cy - hc, cy + hc, code)


def paint_west_city_roads(region: Region, pattern: ScalePattern, styles: RoadStyles) -> None:
    """West City's approaches: west (to near the study edge), east (S312), north and south."""
    hc, (wx, wy) = pattern.city_half_km, CENTRE_W
    region.paint_h(wy, WEST_APPROACH_END_X_KM, wx - hc, styles.approach)
    region.paint_h(wy, wx + hc, -68.0, styles.approach)  # east gate: S312 starts here
    region.paint_v(wx, wy + hc, 17.0, styles.approach)  # north to Z1
    region.paint_v(wx, wy - hc, -7.0, styles.approach)  # south to Z2


def paint_east_city_roads(region: Region, pattern: ScalePattern, styles: RoadStyles) -> None:
    """East City's approaches and its south side (better connected to 东山县)."""
    hc, (ex, ey) = pattern.city_half_km, CENTRE_E
    region.paint_h(ey, 63.0, ex - hc, styles.approach)  # west gate: S312
    region.paint_h(ey, ex + hc, 102.0, styles.east_road)  # east across the expressway
    region.paint_v(ex, ey + hc, 25.0, styles.approach)  # north to Z9
    region.paint_v(ex, ey - hc, -26.0, styles.zhanqian)  # 站前大道 south past 东城站 to 东山镇
    region.paint_h(-5.0, 48.0, 92.0, styles.ring)
    for x in RING_LINKS_X_KM:
        region.paint_v(x, -15.0, -5.0, styles.link)
    region.paint_h(-11.6, 68.0, 85.0, styles.tertiary)  # G6 side B, 400 m north of the border
    region.paint_h(-26.0, 48.0, 102.0, styles.dongshan)
    region.paint_h(30.0, 92.0, 102.0, styles.link)  # to the north-eastern village


def paint_station_forecourts(region: Region, styles: RoadStyles) -> None:
    """Small street blocks beside the access roads of 东城站 and 西城站, so each station has a
    road junction within ~100 m (networks snap stations to junctions of a simplified graph)."""
    ex, wx = CENTRE_E[0], CENTRE_W[0]
    region.paint_box(ex - 0.4, ex, -3.2, -2.8, styles.residential)
    region.paint_box(wx, wx + 0.4, -5.7, -5.3, styles.residential)
