"""The expressway G9901 东环高速: north-south past East City only, with three interchanges.

Two ``oneway=yes`` ``motorway`` carriageways 40 m apart at x ≈ 95 km run the whole height of the
region; at each interchange a diamond of four ``motorway_link`` ramps joins them to an east-west
lattice road (东岸路 at y = 10, the link at y = 30, 东山路 at y = -26).
"""

from __future__ import annotations

import numpy as np

from spatialint.demo.region import Region

CARRIAGEWAY_X_KM = {"northbound": 95.02, "southbound": 94.98}
SOUTH_END_KM, NORTH_END_KM = -39.8, 39.8
NODE_STEP_KM = 0.5
#: Interchanges: y (km) of the crossing road -> x (km) of its lattice nodes west and east of
#: the expressway, where the ramps join it.
INTERCHANGES_KM = {10.0: (94.6, 95.4), 30.0: (94.6, 95.4), -26.0: (94.6, 95.4)}
#: The ramps leave and join the carriageways this far (km) south and north of the crossing.
RAMP_REACH_KM = 0.8

MOTORWAY_TAGS = {
    "highway": "motorway",
    "ref": "G9901",
    "name": "东环高速",
    "name:en": "Donghuan Expressway",
    "oneway": "yes",
    "maxspeed": "120",
    "lanes": "2",
}
LINK_TAGS = {"highway": "motorway_link", "oneway": "yes"}


def keep_interchange_nodes(region: Region) -> None:
    """Keep the lattice nodes the ramps join (before the lattice is finished)."""
    for y, (xa, xb) in INTERCHANGES_KM.items():
        region.keep(xa, y)
        region.keep(xb, y)


def add_expressway(region: Region) -> None:
    """Both carriageways and the ramps of every interchange."""
    ys = np.round(np.arange(SOUTH_END_KM, NORTH_END_KM + 0.01, NODE_STEP_KM), 3)  # to 39.7
    ramp_ends = [y + d for y in INTERCHANGES_KM for d in (-RAMP_REACH_KM, RAMP_REACH_KM)]
    ys = np.unique(np.concatenate([ys, ramp_ends]))
    nb = region.add_nodes(np.full(len(ys), CARRIAGEWAY_X_KM["northbound"]), ys)
    sb = region.add_nodes(np.full(len(ys), CARRIAGEWAY_X_KM["southbound"]), ys)
    region.add_way(nb, MOTORWAY_TAGS)
    region.add_way(sb[::-1], MOTORWAY_TAGS)
    pos = {round(float(y), 3): k for k, y in enumerate(ys)}
    for y, (xa, xb) in INTERCHANGES_KM.items():
        south, north = pos[round(y - RAMP_REACH_KM, 3)], pos[round(y + RAMP_REACH_KM, 3)]
        _add_diamond(
            region,
            y,
            (region.lattice_node(xa, y), region.lattice_node(xb, y)),
            northbound=(nb[south], nb[north]),
            southbound=(sb[south], sb[north]),
        )


def _add_diamond(
    region: Region,
    y: float,
    road: tuple[int, int],
    *,
    northbound: tuple[int, int],
    southbound: tuple[int, int],
) -> None:
    """The four ramps of one diamond interchange at northing ``y``: between the crossing
    road's lattice nodes ``road`` (west, east) and the carriageways' nodes (south, north)."""
    west, east = road
    mid = region.add_nodes(
        np.array([95.3, 95.3, 94.7, 94.7]), np.array([y - 0.4, y + 0.4, y + 0.4, y - 0.4])
    )
    region.add_way([northbound[0], mid[0], east], LINK_TAGS)  # northbound off
    region.add_way([east, mid[1], northbound[1]], LINK_TAGS)  # northbound on
    region.add_way([southbound[1], mid[2], west], LINK_TAGS)  # southbound off
    region.add_way([west, mid[3], southbound[0]], LINK_TAGS)  # southbound on
