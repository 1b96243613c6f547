"""The ground truth of a generated region (``truth.json``): what a correct analysis must find.

Format (other stages' tests code against exactly these keys)::

    {"synthetic": true, "seed": int, "scale": float,
     "n_road_nodes": int,          # distinct nodes of ways tagged highway=* (any value)
     "bbox": [w, s, e, n],         # degrees, the extract boundary (study edge)
     "units": [{"relation_id", "name", "name_en", "admin_level", "parent_relation_id"}],
     "places": [{"node_id", "name", "name_en", "place", "lon", "lat"}],
     "stations": [{"node_id", "name", "name_en", "service"}],  # highspeed|intercity|metro
     "border_dead_ends": [{"case_id", "node_id", "way_id", "lon", "lat", "unit_relation_id",
         "other_unit_relation_id", "other_node_id", "other_way_id", "gap_m",
         "planned_way_id", "border_level"}],  # planned_way_id: the highway=construction way,
                                  # or null; border_level: 5 (市界) between the two cities,
                                  # 6 (县界) within one
     "class_drops": [{"case_id", "way_ids", "border_node_id", "lon", "lat", "class_before",
         "class_after"}],
     "decoys": [{"case_id", "kind", "node_id", "lon", "lat", "expected"}],
         # kind: far_from_border | interior_cul_de_sac | study_edge | river_bank (expected
         # "not_flagged": no finding) | estate_cul_de_sac | turning_circle | noexit (border
         # decoys, expected "low": found, with low confidence, ranked below every planted gap)
     "longest_detour_case": "<case_id>",
     "corridors": {"better_connected": [name, name], "worse_connected": [name, name]},
     "expected": {"hsr_origin_station": "东城站", "far_place": "西城"},
     "true_speed_factors": {"urban_local": float, ...},  # only when trips were written
     "population": {"file", "crs", "cell_m", "total", "synthetic"},  # only with the raster
     "transit": {"feed", "calendar", "lines": [{"route_id", "route_name", "service",
         "route_type", "stops", "ride_min", "dwell_min", "headway_min"}]}}  # with the GTFS

``true_speed_factors`` is the congested speed field the demo's synthetic observed trips were
made from (:data:`spatialint.demo.trips.TRUE_FACTORS`), present when the generator wrote them;
``population`` describes the SYNTHETIC population raster (:mod:`spatialint.demo.population`):
its CRS, cell size (m) and total people, when the generator wrote it; ``transit`` the timetable
of the demo's SYNTHETIC GTFS feed (:mod:`spatialint.demo.gtfs`), present when it wrote the feed.

``node_id`` of a dead end is the road's end node (degree 1 among drivable roads);
``other_node_id`` is the nearest node of the other unit's roads across the border (the foot
of the perpendicular on a frontage road running along the border; no other node of that side
lies within 450 m of it, and a junction 500 m along the frontage road keeps a routable node
close by after graph simplification), ``other_way_id`` that frontage road (the nearest way,
by ≥ 50 m over any other), ``gap_m`` the geodesic distance between the two nodes.
``parent_relation_id`` is null for the two prefecture-level units.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any

import pyproj

from spatialint.demo.admin import AdminUnits
from spatialint.demo.frame import km_to_lonlat, region_bbox_deg
from spatialint.demo.planted import (
    BORDER_DECOYS,
    BORDER_GAPS,
    CLASS_DROPS,
    LONGEST_DETOUR_CASE,
    BorderGap,
    decoy_nodes,
)
from spatialint.demo.region import Region

CORRIDORS = {"better_connected": ["东城区", "东山县"], "worse_connected": ["西湖县", "河东区"]}


@dataclass(frozen=True)
class DemoTruth:
    """The planted ground truth of one generated demo region (see the module docstring)."""

    seed: int
    scale: float
    n_road_nodes: int
    bbox: list[float]
    units: list[dict[str, Any]]
    places: list[dict[str, Any]]
    stations: list[dict[str, Any]]
    border_dead_ends: list[dict[str, Any]]
    class_drops: list[dict[str, Any]]
    decoys: list[dict[str, Any]]
    longest_detour_case: str
    corridors: dict[str, list[str]]
    expected: dict[str, str] = field(
        default_factory=lambda: {"hsr_origin_station": "东城站", "far_place": "西城"}
    )
    synthetic: bool = True
    true_speed_factors: dict[str, float] | None = None
    population: dict[str, Any] | None = None
    transit: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The truth as the JSON object written to ``truth.json`` (``synthetic`` first;
        ``true_speed_factors`` only when the demo's observed trips were written)."""
        data = asdict(self)
        for optional in ("true_speed_factors", "population", "transit"):
            if data[optional] is None:
                del data[optional]
        return {"synthetic": data.pop("synthetic"), **data}

    def to_json(self) -> str:
        """The text of ``truth.json``."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n"

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> DemoTruth:
        """Read a ``truth.json`` written by :func:`spatialint.demo.generator.write_demo`."""
        with open(path, encoding="utf-8") as handle:
            return cls(**json.load(handle))


class RegionIndex:
    """Positions of the finished region's nodes (degrees) and the road ways at the planted
    nodes; built before a planned link joins them (:func:`.planted.add_planned_links`)."""

    def __init__(self, region: Region) -> None:
        self.region = region
        x, y = region.coords()
        self.lon, self.lat = km_to_lonlat(x, y)
        self.geod = pyproj.Geod(ellps="WGS84")
        wanted = [xy for case in BORDER_GAPS for xy in (case.end_xy(), case.foot_xy())]
        wanted += [(drop.x, drop.y) for drop in CLASS_DROPS]
        self.ways_at = region.ways_with_nodes({region.lattice_node(*xy) for xy in wanted})

    def lonlat(self, nid: int) -> tuple[float, float]:
        """Longitude and latitude of node ``nid``."""
        return float(self.lon[nid - 1]), float(self.lat[nid - 1])

    def gap_m(self, a: int, b: int) -> float:
        """Geodesic distance (m, to 0.1 m) between two nodes."""
        return round(float(self.geod.inv(*self.lonlat(a), *self.lonlat(b))[2]), 1)

    def road_way(self, nid: int, *, through: bool = False, **want: str) -> int:
        """The road way at node ``nid`` with tags ``want`` (``through``: passing through it)."""
        for wid in self.ways_at[nid]:
            nodes, tags = self.region.ways[wid - 1][1], self.region.ways[wid - 1][2]
            if through and nid in (nodes[0], nodes[-1]):
                continue
            if all(tags.get(k) == v for k, v in want.items()) and "highway" in tags:
                return wid
        raise AssertionError(f"no way with {want} at node {nid}")


def _border_level(units: AdminUnits, a: int, b: int) -> int:
    """The level of the border between units (relation ids) ``a`` and ``b``: their parents'
    (a city's, 5: 市界) when these differ, else their own (6: 县界)."""
    parent = {r["relation_id"]: r["parent_relation_id"] for r in units.rows}
    level = {r["relation_id"]: r["admin_level"] for r in units.rows}
    return level[parent[a]] if parent[a] != parent[b] else level[a]


def _dead_end(
    index: RegionIndex, case: BorderGap, units: AdminUnits, planned: int | None
) -> dict[str, Any]:
    lattice_node = index.region.lattice_node
    a, b = lattice_node(*case.end_xy()), lattice_node(*case.foot_xy())
    lon, lat = index.lonlat(a)
    relation_id = units.relation_id
    return {
        "case_id": case.case_id,
        "node_id": a,
        "way_id": index.road_way(a),
        "lon": lon,
        "lat": lat,
        "unit_relation_id": relation_id[case.a_unit],
        "other_unit_relation_id": relation_id[case.b_unit],
        "other_node_id": b,
        # the frontage road along the border, not the lane that ends at the node
        "other_way_id": index.road_way(b, through=True),
        "gap_m": index.gap_m(a, b),
        "planned_way_id": planned,
        "border_level": _border_level(units, relation_id[case.a_unit], relation_id[case.b_unit]),
    }


def _class_drops(index: RegionIndex) -> list[dict[str, Any]]:
    drops = []
    for drop in CLASS_DROPS:
        nid = index.region.lattice_node(drop.x, drop.y)
        lon, lat = index.lonlat(nid)
        drops.append(
            {
                "case_id": drop.case_id,
                "way_ids": [
                    index.road_way(nid, highway=drop.class_before),
                    index.road_way(nid, highway=drop.class_after),
                ],
                "border_node_id": nid,
                "lon": lon,
                "lat": lat,
                "class_before": drop.class_before,
                "class_after": drop.class_after,
            }
        )
    return drops


#: ``expected`` of a decoy: no finding at all, or a finding of low confidence.
NOT_FLAGGED, LOW = "not_flagged", "low"


def _decoys(
    index: RegionIndex, cul_de_sac_end: int, border_decoys: dict[str, int]
) -> list[dict[str, Any]]:
    rows = []
    kinds = {d.case_id: d.kind for d in BORDER_DECOYS}
    cases = [(*c, NOT_FLAGGED) for c in decoy_nodes(index.region, cul_de_sac_end)]
    cases += [(cid, kinds[cid], nid, LOW) for cid, nid in border_decoys.items()]
    x, y = index.region.coords()  # the border decoys came after the index
    lon, lat = km_to_lonlat(x, y)
    for cid, kind, nid, expected in cases:
        rows.append(
            {"case_id": cid, "kind": kind, "node_id": nid, "lon": float(lon[nid - 1]),
             "lat": float(lat[nid - 1]), "expected": expected}
        )  # fmt: skip
    return rows


def _located(index: RegionIndex, place: dict[str, Any]) -> dict[str, Any]:
    lon, lat = index.lonlat(place["node_id"])
    return {**place, "lon": lon, "lat": lat}


def build_truth(
    index: RegionIndex,
    *,
    seed: int,
    scale: float,
    units: AdminUnits,
    places: list[dict[str, Any]],
    stations: list[dict[str, Any]],
    planned: dict[str, int],
    cul_de_sac_end: int,
    border_decoys: dict[str, int],
) -> DemoTruth:
    """The truth of the finished region: planted cases and decoys resolved to ids and places."""
    return DemoTruth(
        seed=seed,
        scale=scale,
        n_road_nodes=index.region.road_node_count(),
        bbox=region_bbox_deg(),
        units=units.rows,
        places=[_located(index, place) for place in places],
        stations=stations,
        border_dead_ends=[
            _dead_end(index, case, units, planned.get(case.case_id)) for case in BORDER_GAPS
        ],
        class_drops=_class_drops(index),
        decoys=_decoys(index, cul_de_sac_end, border_decoys),
        longest_detour_case=LONGEST_DETOUR_CASE,
        corridors={key: list(names) for key, names in CORRIDORS.items()},
    )
