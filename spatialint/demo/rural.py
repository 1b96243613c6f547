"""The rural zones: closed meshes of ``unclassified`` roads, the sites of their villages and the
乡道 connectors that tie the zones beside the intercity road S312 to it."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from spatialint.demo.frame import snap_km
from spatialint.demo.region import Region
from spatialint.demo.styles import RoadStyles

# Rural zones: (id, county, x0, x1, y0, y1) in km; each holds a closed road mesh and villages.
ZONES = (
    ("Z1", "西城区", -107.0, -58.0, 17.0, 37.0),
    ("Z2", "西城区", -107.0, -58.0, -37.0, -7.0),
    ("Z3", "西湖县", -52.0, -34.0, 8.0, 37.0),
    ("Z4", "西湖县", -52.0, -34.0, -37.0, -2.0),
    ("Z5", "西湖县", -26.0, -3.0, 8.0, 37.0),
    ("Z6", "西湖县", -26.0, -3.0, -37.0, -2.0),
    ("Z7", "河东区", 3.0, 42.0, 12.0, 37.0),
    ("Z8", "河东区", 3.0, 42.0, -37.0, -1.0),
    ("Z9", "东城区", 48.0, 92.0, 25.0, 37.0),
    ("Z11", "东山县", 48.0, 92.0, -37.0, -15.0),
)
#: x (km) of the 乡道 from the zones of 西湖县 (y -2..8) and of 河东区 (y -1..12) to S312.
WEST_CONNECTORS_X_KM = (-38.0, -20.0, -5.0)
EAST_CONNECTORS_X_KM = (6.0, 30.0)

#: Mesh lines of each zone: zone id -> (x of its north-south lines, y of its east-west lines).
ZoneLines = dict[str, tuple[list[float], list[float]]]


class Village(NamedTuple):
    """A village site: an inner crossing of a zone's mesh, and the zone's box (x0, x1, y0, y1)."""

    x: float
    y: float
    zone: tuple[float, float, float, float]


def mesh_lines(a: float, b: float, spacing: float) -> list[float]:
    """Lattice coordinates from ``a`` to ``b`` (both included), about ``spacing`` apart."""
    n = max(1, round((b - a) / spacing))
    return sorted({snap_km(a + (b - a) * k / n) for k in range(n + 1)})


def zone_mesh_lines(spacing_km: float) -> ZoneLines:
    """The mesh lines of every rural zone at this spacing."""
    return {
        zid: (mesh_lines(x0, x1, spacing_km), mesh_lines(y0, y1, spacing_km))
        for zid, _county, x0, x1, y0, y1 in ZONES
    }


def choose_villages(rng: np.random.Generator, lines: ZoneLines, count: int) -> list[Village]:
    """``count`` villages on random inner mesh crossings (all if fewer), south to north.

    Draws one permutation from ``rng``.
    """
    sites = [
        Village(x, y, (x0, x1, y0, y1))
        for zid, _county, x0, x1, y0, y1 in ZONES
        for x in lines[zid][0][1:-1]
        for y in lines[zid][1][1:-1]
    ]
    order = rng.permutation(len(sites))
    villages = [sites[k] for k in order[: min(count, len(sites))]]
    villages.sort(key=lambda v: (v.y, v.x))
    return villages


def paint_zone_meshes(region: Region, lines: ZoneLines, styles: RoadStyles) -> None:
    """Every zone's mesh of ``unclassified`` roads, its outline included."""
    for zid, _county, x0, x1, y0, y1 in ZONES:
        xs, ys = lines[zid]
        for x in xs:
            region.paint_v(x, y0, y1, styles.unclassified)
        for y in ys:
            region.paint_h(y, x0, x1, styles.unclassified)


def paint_zone_connectors(region: Region, styles: RoadStyles) -> None:
    """The 乡道 from the zones beside S312 (y = 3) to it."""
    for x in WEST_CONNECTORS_X_KM:
        region.paint_v(x, -2.0, 8.0, styles.connector)
    for x in EAST_CONNECTORS_X_KM:
        region.paint_v(x, -1.0, 12.0, styles.connector)
