"""The roads between the cities: S312, the northern and southern rural roads, and G9907.

- S312 东西公路 (``secondary``) runs from West City's east gate to East City's west gate: a
  straight middle section along y = 3 km and winding hill sections at both ends (``tertiary``,
  ``maxspeed=40``), so the drive between the cities is slow (≈4 h from 东城站 to 西城).
- The northern roads along y = 37 km change class at two borders (class drops C1, C2); the
  southern road X035 runs along y = -37 km.
- All three cross the river 清水河 on a bridge (``bridge=yes``, ``layer=1``).
- The national road G9907 (``trunk``) runs north-south through 河东区 from edge to edge, so it
  never helps an east-west trip.
"""

from __future__ import annotations

from spatialint.demo.frame import winding_line
from spatialint.demo.layout import CENTRE_E, CENTRE_W
from spatialint.demo.planted import CLASS_DROPS
from spatialint.demo.region import Region
from spatialint.demo.river import river_gap
from spatialint.demo.styles import RoadStyles

S312_Y_KM = 3.0
NORTH_ROAD_Y_KM = 37.0
SOUTH_ROAD_Y_KM = -37.0
TRUNK_X_KM = 30.0
#: The winding hill sections of S312: West City's east gate to the straight middle section, and
#: its end to East City's west gate.
S312_HILLS_KM = (
    ((-68.0, CENTRE_W[1]), (-40.0, S312_Y_KM)),
    ((42.0, S312_Y_KM), (63.0, CENTRE_E[1])),
)
HILLS_AMPLITUDE_KM = 1.2
HILLS_STEP_KM = 0.15


def _bridged_roads(styles: RoadStyles) -> tuple[tuple[float, int], ...]:
    """(y, style) of the roads that cross the river."""
    return (
        (S312_Y_KM, styles.s312),
        (NORTH_ROAD_Y_KM, styles.north_east),
        (SOUTH_ROAD_Y_KM, styles.south),
    )


def paint_intercity_roads(region: Region, styles: RoadStyles) -> None:
    """S312's straight middle section and the northern and southern roads, up to the bridges."""
    bw, be = river_gap(S312_Y_KM)
    region.paint_h(S312_Y_KM, -40.0, bw, styles.s312)
    region.paint_h(S312_Y_KM, be, 42.0, styles.s312)
    c1, c2 = (drop.x for drop in CLASS_DROPS)
    y = NORTH_ROAD_Y_KM
    nw, ne = river_gap(y)
    region.paint_h(y, -107.0, c1, styles.north_west)  # class drop C1
    region.paint_h(y, c1, nw, styles.north_east)
    region.paint_h(y, ne, -3.0, styles.north_east)
    region.paint_h(y, 3.0, c2, styles.ridge_west)  # class drop C2
    region.paint_h(y, c2, 92.0, styles.ridge_east)
    sw, se = river_gap(SOUTH_ROAD_Y_KM)
    region.paint_h(SOUTH_ROAD_Y_KM, -107.0, sw, styles.south)
    region.paint_h(SOUTH_ROAD_Y_KM, se, 92.0, styles.south)
    for ends in S312_HILLS_KM:
        for xy in ends:
            region.keep(*xy)
    for y, _style in _bridged_roads(styles):
        for x in river_gap(y):
            region.keep(x, y)


def paint_trunk(region: Region, styles: RoadStyles) -> None:
    """The national road G9907 through 河东区, 200 m short of both study edges."""
    region.paint_v(TRUNK_X_KM, -39.8, 39.8, styles.trunk)


def add_s312_hill_sections(region: Region, styles: RoadStyles) -> None:
    """S312's winding sections between the city gates and its straight middle section."""
    for a, b in S312_HILLS_KM:
        x, y = winding_line(a, b, amplitude_km=HILLS_AMPLITUDE_KM, step_km=HILLS_STEP_KM)
        mid = region.add_nodes(x[1:-1], y[1:-1])
        region.add_way(
            [region.lattice_node(*a), *mid, region.lattice_node(*b)],
            region.styles[styles.s312_hills],
        )


def add_road_bridges(region: Region, styles: RoadStyles) -> None:
    """One bridge way over the river for each of S312, the northern and the southern road."""
    for y, code in _bridged_roads(styles):
        xa, xb = river_gap(y)
        region.add_way(
            [region.lattice_node(xa, y), region.lattice_node(xb, y)],
            {**region.styles[code], "bridge": "yes", "layer": "1"},
        )
