"""The admin units: two prefecture-level cities (level 5) and their five counties (level 6).

As in OpenStreetMap, every unit is a ``type=boundary`` relation of ``outer`` ways that
neighbours share, plus its seat's place node as ``admin_centre``; every relation says it is
synthetic (``note=synthetic spatialint demo``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from spatialint.demo.frame import REGION_KM, polyline
from spatialint.demo.layout import X_B1, X_B2, X_B3, Y_B5
from spatialint.demo.region import Region

NOTE = "synthetic spatialint demo"
BOUNDARY_STEP_KM = 5.0

UNITS = (
    # key, name, name:en, level, parent key, seat place name
    ("W", "西城市", "West City", 5, None, "西城"),
    ("E", "东城市", "East City", 5, None, "东城"),
    ("WC", "西城区", "Xicheng District", 6, "W", "西城"),
    ("WH", "西湖县", "Xihu County", 6, "W", "西湖镇"),
    ("HD", "河东区", "Hedong District", 6, "E", "河东镇"),
    ("EC", "东城区", "Dongcheng District", 6, "E", "东城"),
    ("DS", "东山县", "Dongshan County", 6, "E", "东山镇"),
)

_W, _S, _E, _N = REGION_KM
#: The boundary ways: key -> (from, to, admin_level), in the order they are written.
BOUNDARY_WAYS = {
    "west": ((_W, _S), (_W, _N), 5),
    "n1": ((_W, _N), (X_B1, _N), 5),
    "n2": ((X_B1, _N), (X_B2, _N), 5),
    "n3": ((X_B2, _N), (X_B3, _N), 5),
    "n4": ((X_B3, _N), (_E, _N), 5),
    "east_n": ((_E, _N), (_E, Y_B5), 5),
    "east_s": ((_E, Y_B5), (_E, _S), 5),
    "s4": ((_E, _S), (X_B3, _S), 5),
    "s3": ((X_B3, _S), (X_B2, _S), 5),
    "s2": ((X_B2, _S), (X_B1, _S), 5),
    "s1": ((X_B1, _S), (_W, _S), 5),
    "b1": ((X_B1, _S), (X_B1, _N), 6),
    "b2": ((X_B2, _S), (X_B2, _N), 5),
    "b3": ((X_B3, _S), (X_B3, Y_B5), 6),
    "b4": ((X_B3, Y_B5), (X_B3, _N), 6),
    "b5": ((X_B3, Y_B5), (_E, Y_B5), 6),
}
#: Each unit's outer ring, as boundary way keys.
RINGS = {
    "W": ["west", "n1", "n2", "b2", "s2", "s1"],
    "E": ["b2", "n3", "n4", "east_n", "east_s", "s4", "s3"],
    "WC": ["west", "n1", "b1", "s1"],
    "WH": ["b1", "n2", "b2", "s2"],
    "HD": ["b2", "n3", "b4", "b3", "s3"],
    "EC": ["b4", "n4", "east_n", "b5"],
    "DS": ["b3", "b5", "east_s", "s4"],
}


@dataclass
class AdminUnits:
    """The units as added to a region: relation id by unit key, and their truth rows
    (``relation_id``, ``name``, ``name_en``, ``admin_level``, ``parent_relation_id``)."""

    relation_id: dict[str, int] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)


def add_admin_units(region: Region, place_ids: dict[str, int]) -> AdminUnits:
    """Boundary ways and unit relations; ``place_ids`` gives each seat's place node by name."""
    ways = _add_boundary_ways(region)
    units = AdminUnits()
    rel = units.relation_id
    for key, name, name_en, level, parent, seat in UNITS:
        members = [("w", ways[k], "outer") for k in RINGS[key]]
        members.append(("n", place_ids[seat], "admin_centre"))
        rel[key] = region.add_relation(
            members,
            {
                "type": "boundary",
                "boundary": "administrative",
                "admin_level": str(level),
                "name": name,
                "name:en": name_en,
                "name:zh": name,
                "note": NOTE,
            },
        )
        units.rows.append(
            {
                "relation_id": rel[key],
                "name": name,
                "name_en": name_en,
                "admin_level": level,
                "parent_relation_id": rel[parent] if parent else None,
            }
        )
    return units


def _add_boundary_ways(region: Region) -> dict[str, int]:
    """A node at every corner where borders meet, then the boundary ways; key -> way id."""
    corner_xy = [(x, y) for x in (_W, X_B1, X_B2, X_B3, _E) for y in (_S, Y_B5, _N)]
    corner = {xy: region.add_node(*xy) for xy in corner_xy}
    ways = {}
    for key, (a, b, level) in BOUNDARY_WAYS.items():
        x, y = polyline([a, b], step_km=BOUNDARY_STEP_KM)
        mid = region.add_nodes(x[1:-1], y[1:-1])
        ways[key] = region.add_way(
            [corner[a], *mid, corner[b]],
            {"boundary": "administrative", "admin_level": str(level)},
        )
    return ways
