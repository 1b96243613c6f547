"""The synthetic demo region: a real PBF whose planted cases hold when read back independently.

Everything here reads the written PBF with pyosmium and rebuilds what it needs (a road graph with
the schema's default speeds, admin areas) without using the generator's internals, so the tests
check the file, not the generator's intentions. The stage function and the rule's script are
tested with the study's typed ``source`` settings; the seed-42 output is pinned by its digest.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import osmium
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely
import shapely.ops
from scipy.sparse.csgraph import connected_components, dijkstra

from spatialint.config import load_schema, load_study
from spatialint.demo.generator import DemoTruth, run_generate_demo_stage, write_demo
from spatialint.errors import ConfigError, DataError
from spatialint.settings import SourceSettings

#: sha256 of the files ``write_demo(seed=42, scale=1)`` writes. The PBF bytes also depend on
#: libosmium's PBF encoder (block layout, zlib); if a pyosmium upgrade alone changes the PBF
#: digest, check the content is the same (``osmium diff``) before updating it here.
SEED42_SCALE1_PBF_SHA256 = "8d69f7399fe4730fe67449a0958a62960d33632593a8f4bc0942d5202ffd6454"
SEED42_SCALE1_TRUTH_SHA256 = "b8f58cabadf5fe1e47725c1fb63ebc5930613b41ce527c33d147f504cab28f5e"

SCHEMA = load_schema()["$defs"]["study"]["properties"]["network"]["properties"]
DRIVABLE = set(SCHEMA["highway_classes"]["default"])
SPEEDS_KPH = SCHEMA["speeds_kph"]["default"]
HSR_KPH = SCHEMA["rail_speeds_kph"]["properties"]["highspeed"]["default"]
HSR_BOARDING_MIN = SCHEMA["boarding_penalty_min"]["properties"]["highspeed"]["default"]
ACCESS_MIN = SCHEMA["station_access_min"]["default"]
EARTH_M = 6_371_008.8


def haversine_m(lon1, lat1, lon2, lat2):
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_M * np.arcsin(np.sqrt(a))


class OsmData:
    """The PBF's nodes, ways and relations as plain Python objects."""

    def __init__(self, path: Path):
        self.nodes: dict[int, tuple[float, float]] = {}
        self.node_tags: dict[int, dict[str, str]] = {}
        self.ways: dict[int, tuple[list[int], dict[str, str]]] = {}
        self.relations: dict[int, tuple[list[tuple[str, int, str]], dict[str, str]]] = {}
        self.order: list[tuple[str, int]] = []
        for obj in osmium.FileProcessor(str(path)):
            tags = dict(obj.tags)
            if obj.is_node():
                self.nodes[obj.id] = (obj.location.lon, obj.location.lat)
                if tags:
                    self.node_tags[obj.id] = tags
                self.order.append(("n", obj.id))
            elif obj.is_way():
                self.ways[obj.id] = ([n.ref for n in obj.nodes], tags)
                self.order.append(("w", obj.id))
            else:
                members = [(m.type, m.ref, m.role) for m in obj.members]
                self.relations[obj.id] = (members, tags)
                self.order.append(("r", obj.id))

    def line(self, way_id: int) -> shapely.LineString:
        return shapely.LineString([self.nodes[n] for n in self.ways[way_id][0]])


class RoadGraph:
    """Directed road graph straight from the PBF ways, weights = seconds at default speeds."""

    def __init__(self, osm: OsmData):
        src, dst, sec, length, undirected = [], [], [], [], []
        for nodes, tags in osm.ways.values():
            hw = tags.get("highway")
            if hw not in DRIVABLE:
                continue
            speed = float(tags["maxspeed"]) if "maxspeed" in tags else SPEEDS_KPH[hw]
            oneway = tags.get("oneway") == "yes"
            for a, b in zip(nodes[:-1], nodes[1:], strict=True):
                (x1, y1), (x2, y2) = osm.nodes[a], osm.nodes[b]
                d = float(haversine_m(x1, y1, x2, y2))
                src.append(a), dst.append(b), sec.append(d / (speed / 3.6))
                if not oneway:
                    src.append(b), dst.append(a), sec.append(d / (speed / 3.6))
                undirected.append((a, b))
                length.append(d)
        ids = np.unique(np.array(src + dst))
        self.ids = ids
        self.pos = {int(n): k for k, n in enumerate(ids)}
        s_pos = np.searchsorted(ids, src)
        d_pos = np.searchsorted(ids, dst)
        n = len(ids)
        m = sp.coo_matrix((sec, (s_pos, d_pos)), shape=(n, n)).tocsr()
        m.sum_duplicates()
        self.matrix = m
        ua = np.searchsorted(ids, [a for a, _ in undirected])
        ub = np.searchsorted(ids, [b for _, b in undirected])
        lm = sp.coo_matrix((length, (ua, ub)), shape=(n, n)).tocsr()
        self.length = lm.maximum(lm.T)
        neigh: dict[int, set[int]] = defaultdict(set)
        for a, b in undirected:
            neigh[a].add(b)
            neigh[b].add(a)
        self.neighbours = neigh
        self.lon = np.array([osm.nodes[int(i)][0] for i in ids])
        self.lat = np.array([osm.nodes[int(i)][1] for i in ids])

    def degree(self, node: int) -> int:
        return len(self.neighbours.get(node, ()))

    def nearest(self, lon: float, lat: float) -> int:
        return int(self.ids[np.argmin(haversine_m(self.lon, self.lat, lon, lat))])

    def seconds(self, a: int, b: int) -> float:
        """Fastest drive a -> b respecting one-way streets."""
        return float(dijkstra(self.matrix, indices=self.pos[a])[self.pos[b]])

    def metres(self, a: int, b: int) -> float:
        """Shortest path length a <-> b in metres, ignoring one-way restrictions."""
        return float(dijkstra(self.length, indices=self.pos[a])[self.pos[b]])


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    truth = write_demo(out / "demo.osm.pbf", out / "truth.json", seed=42, scale=1.0)
    return out, truth


@pytest.fixture(scope="module")
def osm(demo):
    return OsmData(demo[0] / "demo.osm.pbf")


@pytest.fixture(scope="module")
def roads(osm):
    return RoadGraph(osm)


@pytest.fixture(scope="module")
def units(osm, demo):
    """Unit polygons assembled from the relations' outer rings (shapely polygonize)."""
    polys = {}
    for rid, (members, _tags) in osm.relations.items():
        lines = [osm.line(ref) for typ, ref, role in members if typ == "w" and role == "outer"]
        merged = shapely.line_merge(shapely.union_all(lines))
        polys[rid] = shapely.union_all(shapely.polygonize(shapely.get_parts(merged)).geoms)
    return polys


# ---------------------------------------------------------------------------------------------


def test_truth_file_matches_returned_truth_and_keys(demo):
    out, truth = demo
    data = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    assert data == truth.to_dict()
    assert DemoTruth.load(out / "truth.json") == truth
    assert data["synthetic"] is True
    assert set(data) == {
        "synthetic",
        "seed",
        "scale",
        "n_road_nodes",
        "bbox",
        "units",
        "places",
        "stations",
        "border_dead_ends",
        "class_drops",
        "decoys",
        "longest_detour_case",
        "corridors",
        "expected",
    }
    keys = {
        "case_id",
        "node_id",
        "way_id",
        "lon",
        "lat",
        "unit_relation_id",
        "other_unit_relation_id",
        "other_node_id",
        "other_way_id",
        "gap_m",
        "planned_way_id",
        "border_level",
    }
    assert all(set(d) == keys for d in data["border_dead_ends"])
    decoy_keys = {"case_id", "kind", "node_id", "lon", "lat", "expected"}
    assert all(set(d) == decoy_keys for d in data["decoys"])
    assert data["expected"] == {"hsr_origin_station": "东城站", "far_place": "西城"}
    assert 15_000 <= data["n_road_nodes"] <= 40_000


def test_pbf_is_sorted_and_tagged_like_osm(osm, demo):
    _, truth = demo
    kinds = [k for k, _ in osm.order]
    assert kinds == sorted(kinds, key="nwr".index)
    for kind in "nwr":
        ids = [i for k, i in osm.order if k == kind]
        assert ids == sorted(ids)
    highways = defaultdict(int)
    for nodes, tags in osm.ways.values():
        if "highway" in tags:
            highways[tags["highway"]] += 1
            assert len(nodes) >= 2
    for cls in (
        "motorway",
        "motorway_link",
        "primary",
        "secondary",
        "tertiary",
        "unclassified",
        "residential",
        "construction",
    ):
        assert highways[cls] > 0, cls
    motorways = [t for _, t in osm.ways.values() if t.get("highway") == "motorway"]
    assert len(motorways) == 2 and all(
        t["oneway"] == "yes" and t["ref"].startswith("G") for t in motorways
    )
    assert any("maxspeed" in t for _, t in osm.ways.values() if "highway" in t)
    hsr = [t for _, t in osm.ways.values() if t.get("highspeed") == "yes"]
    assert hsr and all(
        t["railway"] == "rail" and t["maxspeed"] == "350" and t["usage"] == "main" for t in hsr
    )
    assert any(t.get("usage") == "branch" for _, t in osm.ways.values())
    assert any(t.get("railway") == "subway" for _, t in osm.ways.values())
    rivers = [i for i, (_, t) in osm.ways.items() if t.get("waterway") == "river"]
    assert len(rivers) == 1
    names = {t.get("name"): t for t in osm.node_tags.values()}
    for station in ("东城站", "西城站"):
        assert names[station]["railway"] == "station"
        assert names[station]["public_transport"] == "station"
    assert names["东城"]["place"] == "city" and names["西城"]["place"] == "city"
    assert names["东城"]["name:en"] == "East City"
    assert all("population" in t for t in osm.node_tags.values() if "place" in t)


def test_truth_places_and_stations_are_the_pbf_nodes(osm, demo):
    """The truth's places and stations are exactly the tagged nodes of the PBF, in id order."""
    _, truth = demo

    def from_pbf(key: str, columns: dict[str, str]) -> pd.DataFrame:
        rows = [
            {"node_id": nid, **{col: tags[tag] for col, tag in columns.items()}}
            for nid, tags in sorted(osm.node_tags.items())
            if key in tags
        ]
        return pd.DataFrame(rows)

    places = from_pbf("place", {"name": "name", "name_en": "name:en", "place": "place"})
    places["lon"] = [osm.nodes[n][0] for n in places["node_id"]]
    places["lat"] = [osm.nodes[n][1] for n in places["node_id"]]
    pd.testing.assert_frame_equal(pd.DataFrame(truth.places), places, check_exact=True)
    stations = from_pbf("railway", {"name": "name", "name_en": "name:en"})
    pd.testing.assert_frame_equal(pd.DataFrame(truth.stations).drop(columns="service"), stations)
    assert set(pd.DataFrame(truth.stations)["service"]) == {"highspeed", "intercity", "metro"}


def test_admin_units_tile_the_region(osm, units, demo):
    _, truth = demo
    rels = {rid: tags for rid, (_, tags) in osm.relations.items()}
    assert {t["name"] for t in rels.values()} == {
        "东城市",
        "西城市",
        "东城区",
        "河东区",
        "东山县",
        "西城区",
        "西湖县",
    }
    for rid, tags in rels.items():
        assert tags["type"] == "boundary" and tags["boundary"] == "administrative"
        assert tags["note"] == "synthetic spatialint demo"
        assert "name:en" in tags
        members = osm.relations[rid][0]
        centres = [ref for typ, ref, role in members if role == "admin_centre"]
        assert len(centres) == 1 and "place" in osm.node_tags[centres[0]]
        poly = units[rid]
        assert poly.is_valid and isinstance(poly, shapely.Polygon)
        assert poly.contains(shapely.Point(osm.nodes[centres[0]]))
    region = shapely.box(*truth.bbox)
    for level in ("5", "6"):
        polys = [units[r] for r, t in rels.items() if t["admin_level"] == level]
        total = sum(p.area for p in polys)
        assert total == pytest.approx(region.area, rel=1e-9)
        assert shapely.union_all(polys).area == pytest.approx(region.area, rel=1e-9)
    for unit in truth.units:  # each county lies inside its prefecture
        if unit["parent_relation_id"]:
            child, parent = units[unit["relation_id"]], units[unit["parent_relation_id"]]
            assert child.difference(parent).area < 1e-9
    # neighbours share their border ways, as in OSM
    way_users = defaultdict(set)
    for rid, (members, tags) in osm.relations.items():
        if tags["admin_level"] == "6":
            for typ, ref, _ in members:
                if typ == "w":
                    way_users[ref].add(rid)
    assert sum(len(u) == 2 for u in way_users.values()) >= 5


def test_admin_areas_assemble_with_osmium(demo):
    out, _ = demo
    areas = {}
    for obj in osmium.FileProcessor(str(out / "demo.osm.pbf")).with_areas():
        if obj.is_area() and obj.tags.get("boundary") == "administrative":
            areas[obj.tags["name"]] = obj.num_rings()
    assert len(areas) == 7
    assert all(rings == (1, 0) for rings in areas.values())


def dist_m(osm, node, geom):
    """Metres from a node to the nearest point of a geometry (in degrees)."""
    lon, lat = osm.nodes[node]
    p = shapely.ops.nearest_points(shapely.Point(lon, lat), geom)[1]
    return float(haversine_m(lon, lat, p.x, p.y))


def _way_distance_m(osm, way_id, node):
    """Metres from a node to a way, measured in a local equirectangular frame."""
    lon0, lat0 = osm.nodes[node]
    k = math.cos(math.radians(lat0))
    line = shapely.LineString(
        [((x - lon0) * k * 111_195.0, (y - lat0) * 111_195.0) for x, y in
         (osm.nodes[n] for n in osm.ways[way_id][0])]
    )  # fmt: skip
    return float(line.distance(shapely.Point(0, 0)))


def _unit_of(units, osm, lon, lat, level="6"):
    pt = shapely.Point(lon, lat)
    hits = [
        r for r, p in units.items() if osm.relations[r][1]["admin_level"] == level and p.covers(pt)
    ]
    assert len(hits) == 1
    return hits[0]


def _border_lines(units, osm):
    return shapely.union_all(
        [p.boundary for r, p in units.items() if osm.relations[r][1]["admin_level"] == "6"]
    )


def test_planted_dead_ends_are_real(osm, roads, units, demo):
    _, truth = demo
    edge = shapely.box(*truth.bbox).boundary
    inner_borders = _border_lines(units, osm).difference(edge.buffer(1e-6))
    assert len(truth.border_dead_ends) >= 5
    planned = [d for d in truth.border_dead_ends if d["planned_way_id"] is not None]
    assert len(planned) == 1
    for case in truth.border_dead_ends:
        a, b = case["node_id"], case["other_node_id"]
        assert roads.degree(a) == 1, case["case_id"]
        assert a in osm.ways[case["way_id"]][0] and b in osm.ways[case["other_way_id"]][0]
        pa, pb = shapely.Point(osm.nodes[a]), shapely.Point(osm.nodes[b])
        d_border = dist_m(osm, a, inner_borders)
        assert 100 <= d_border <= 400, (case["case_id"], d_border)
        gap = float(haversine_m(*osm.nodes[a], *osm.nodes[b]))
        assert gap == pytest.approx(case["gap_m"], rel=5e-3)
        assert 150 <= gap <= 800
        assert _unit_of(units, osm, *osm.nodes[a]) == case["unit_relation_id"]
        assert _unit_of(units, osm, *osm.nodes[b]) == case["other_unit_relation_id"]
        assert pa.distance(pb) > 0 and b not in roads.neighbours[a]
        # b is the nearest road node of the other unit's road
        assert osm.ways[case["other_way_id"]][1].get("highway") in DRIVABLE
        # not connected across: the network path is far longer than the gap
        assert roads.metres(a, b) > 10 * gap, case["case_id"]
        # b is unambiguous: the other unit's nearest road node, on its nearest road way
        other = case["other_unit_relation_id"]
        near = haversine_m(roads.lon, roads.lat, *osm.nodes[a]) < 1500
        cand = [
            int(n) for n in roads.ids[near] if _unit_of(units, osm, *osm.nodes[int(n)]) == other
        ]
        d = sorted((float(haversine_m(*osm.nodes[n], *osm.nodes[a])), n) for n in cand)
        assert d[0][1] == b and d[1][0] - d[0][0] > 50, (case["case_id"], d[:2])
        way_d = sorted(
            (_way_distance_m(osm, w, a), w)
            for w, (nodes, t) in osm.ways.items()
            if t.get("highway") in DRIVABLE and set(nodes) & set(cand)
        )
        assert way_d[0][1] == case["other_way_id"], case["case_id"]
        assert way_d[1][0] - way_d[0][0] > 50, (case["case_id"], way_d[:2])
        # a junction stays within 500 m of b for routing on a simplified graph
        assert any(roads.degree(n) >= 3 and dist < gap + 500 for dist, n in d), case["case_id"]
    (case,) = planned
    nodes, tags = osm.ways[case["planned_way_id"]]
    assert tags["highway"] == "construction" and tags["construction"] in DRIVABLE
    assert nodes[0] == case["node_id"] and nodes[-1] == case["other_node_id"]


def test_only_planted_and_edge_dead_ends(osm, roads, demo):
    """Every degree-1 road node is a planted case, a decoy, or a through road's end at the edge."""
    _, truth = demo
    known = {c["node_id"] for c in truth.border_dead_ends} | {d["node_id"] for d in truth.decoys}
    edge = shapely.box(*truth.bbox).boundary
    for node in (int(n) for n in roads.ids if roads.degree(int(n)) == 1):
        if node not in known:
            assert dist_m(osm, node, edge) < 400, osm.nodes[node]


def test_detours_differ_and_longest_is_by_far(roads, demo):
    _, truth = demo
    detour = {
        c["case_id"]: roads.metres(c["node_id"], c["other_node_id"]) for c in truth.border_dead_ends
    }
    ranked = sorted(detour.values(), reverse=True)
    assert max(detour, key=detour.get) == truth.longest_detour_case
    assert ranked[0] > 1.5 * ranked[1]
    assert all(x > 1.1 * y for x, y in zip(ranked[:-1], ranked[1:], strict=False)), detour


def test_class_drops_at_borders(osm, units, demo):
    _, truth = demo
    rank = ["motorway", "trunk", "primary", "secondary", "tertiary", "unclassified"]
    borders = _border_lines(units, osm)
    assert len(truth.class_drops) >= 2
    for drop in truth.class_drops:
        node = drop["border_node_id"]
        before, after = (osm.ways[w] for w in drop["way_ids"])
        assert node in before[0] and node in after[0]
        assert before[1]["highway"] == drop["class_before"]
        assert after[1]["highway"] == drop["class_after"]
        assert rank.index(drop["class_after"]) - rank.index(drop["class_before"]) >= 2
        lon, lat = osm.nodes[node]
        near = shapely.ops.nearest_points(shapely.Point(lon, lat), borders)[1]
        assert haversine_m(lon, lat, near.x, near.y) < 300


def test_decoys(osm, roads, units, demo):
    _, truth = demo
    kinds = {d["kind"]: d for d in truth.decoys}
    assert set(kinds) == {
        "far_from_border", "interior_cul_de_sac", "study_edge", "river_bank",
        "estate_cul_de_sac", "turning_circle", "noexit",
    }  # fmt: skip
    assert {d["expected"] for d in truth.decoys if d["case_id"] <= "D4"} == {"not_flagged"}
    edge = shapely.box(*truth.bbox).boundary
    inner = _border_lines(units, osm).difference(edge.buffer(1e-6))
    river = next(osm.line(w) for w, (_, t) in osm.ways.items() if t.get("waterway") == "river")

    for d in truth.decoys:
        assert roads.degree(d["node_id"]) == 1, d
        assert (d["lon"], d["lat"]) == osm.nodes[d["node_id"]]
    assert dist_m(osm, kinds["far_from_border"]["node_id"], inner) > 3000
    assert dist_m(osm, kinds["interior_cul_de_sac"]["node_id"], inner) > 3000
    assert dist_m(osm, kinds["study_edge"]["node_id"], edge) < 400
    assert dist_m(osm, kinds["study_edge"]["node_id"], inner) > 3000
    bank = kinds["river_bank"]["node_id"]
    assert dist_m(osm, bank, river) < 300
    # no road node on the far bank within 1 km
    lon, lat = osm.nodes[bank]
    near = haversine_m(roads.lon, roads.lat, lon, lat) < 1000
    side = np.sign(roads.lon - shapely.ops.nearest_points(shapely.Point(lon, lat), river)[1].x)
    assert np.all(
        side[near] == np.sign(lon - shapely.ops.nearest_points(shapely.Point(lon, lat), river)[1].x)
    )


def test_roads_cross_the_river_only_on_bridges(osm):
    river = next(osm.line(w) for w, (_, t) in osm.ways.items() if t.get("waterway") == "river")
    crossing = [
        w for w, (_, t) in osm.ways.items() if "highway" in t and osm.line(w).intersects(river)
    ]
    assert len(crossing) >= 3
    assert all(osm.ways[w][1].get("bridge") == "yes" for w in crossing)


def test_network_is_one_component(roads):
    n, labels = connected_components(roads.matrix, directed=False)
    sizes = np.bincount(labels)
    assert sizes.max() == len(roads.ids), f"{n} components, sizes {sorted(sizes)[-5:]}"


def test_corridor_pairs_differ_in_border_crossings(osm, units, demo):
    _, truth = demo
    by_name = {osm.relations[r][1]["name"]: p for r, p in units.items()}

    def crossings(a, b):
        shared = by_name[a].boundary.intersection(by_name[b].boundary)
        return sum(
            1
            for w, (_, t) in osm.ways.items()
            if t.get("highway") in DRIVABLE and osm.line(w).intersects(shared)
        )

    good = crossings(*truth.corridors["better_connected"])
    bad = crossings(*truth.corridors["worse_connected"])
    assert good >= 6 and bad <= 3 and good >= 3 * bad


def road_and_hsr_hours(osm, roads, truth):
    """Hours from the HSR origin station to the far place: by road, and by road + HSR.

    Road: fastest drive on the PBF's roads at the schema's default speeds (maxspeed where
    tagged).  Road + HSR: access + boarding, the HSR line's length at the schema's average HSR
    speed, access again, then the drive from 西城站 to the far place.
    """
    by_name = {t["name"]: n for n, t in osm.node_tags.items() if "name" in t}
    origin = by_name[truth.expected["hsr_origin_station"]]
    far_road = roads.nearest(*osm.nodes[by_name[truth.expected["far_place"]]])
    road_h = roads.seconds(roads.nearest(*osm.nodes[origin]), far_road) / 3600
    west = by_name["西城站"]
    chain = []
    for nodes, tags in osm.ways.values():
        if tags.get("highspeed") == "yes" and origin in nodes and west in nodes:
            chain = nodes[nodes.index(west) : nodes.index(origin) + 1]
    assert chain, "the HSR way must run between 西城站 and 东城站"
    pts = np.array([osm.nodes[n] for n in chain])
    hsr_m = float(haversine_m(pts[:-1, 0], pts[:-1, 1], pts[1:, 0], pts[1:, 1]).sum())
    multi_s = (
        (ACCESS_MIN + HSR_BOARDING_MIN) * 60
        + hsr_m / (HSR_KPH / 3.6)
        + ACCESS_MIN * 60
        + roads.seconds(roads.nearest(*osm.nodes[west]), far_road)
    )
    return road_h, multi_s / 3600


def test_hsr_brings_the_far_city_within_three_hours(osm, roads, demo):
    road_h, multi_h = road_and_hsr_hours(osm, roads, demo[1])
    assert road_h >= 3.5, road_h
    assert multi_h <= 2.5, multi_h
    assert road_h - multi_h > 1.5


def test_same_seed_gives_identical_bytes(tmp_path, demo):
    out, _ = demo
    write_demo(tmp_path / "a.osm.pbf", tmp_path / "a.json", seed=42, scale=1.0)
    digest = hashlib.sha256((tmp_path / "a.osm.pbf").read_bytes()).hexdigest()
    assert digest == hashlib.sha256((out / "demo.osm.pbf").read_bytes()).hexdigest()
    other = write_demo(tmp_path / "b.osm.pbf", tmp_path / "b.json", seed=7, scale=1.0)
    assert (tmp_path / "b.osm.pbf").read_bytes() != (tmp_path / "a.osm.pbf").read_bytes()
    assert other.seed == 7 and other.longest_detour_case == "G1"


def test_seed_42_scale_1_is_byte_identical_to_the_committed_digest(demo):
    """The demo every study and golden run is built on does not change by accident."""
    out, _ = demo
    assert hashlib.sha256((out / "demo.osm.pbf").read_bytes()).hexdigest() == (
        SEED42_SCALE1_PBF_SHA256
    )
    assert hashlib.sha256((out / "truth.json").read_bytes()).hexdigest() == (
        SEED42_SCALE1_TRUTH_SHA256
    )


def test_stage_writes_the_region_of_the_source_settings(tmp_path, demo):
    """``run_generate_demo_stage`` as a notebook calls it: the demo study's typed settings."""
    out, truth = demo
    source = SourceSettings.from_study(load_study("demo"))
    outputs = {"pbf": str(tmp_path / "d.osm.pbf"), "truth": str(tmp_path / "t.json")}
    assert run_generate_demo_stage({}, outputs, source=source) == truth
    assert (tmp_path / "d.osm.pbf").read_bytes() == (out / "demo.osm.pbf").read_bytes()
    smaller = dataclasses.replace(source, seed=7, scale=0.5)
    other = run_generate_demo_stage({}, outputs, source=smaller)
    assert (other.seed, other.scale) == (7, 0.5)
    assert other.n_road_nodes < truth.n_road_nodes


def test_scale_grows_node_count(tmp_path, demo):
    _, base = demo
    small = write_demo(tmp_path / "s.osm.pbf", tmp_path / "s.json", scale=0.5)
    big = write_demo(tmp_path / "b.osm.pbf", tmp_path / "b.json", scale=3.0)
    assert small.n_road_nodes < base.n_road_nodes < big.n_road_nodes
    ratio = big.n_road_nodes / base.n_road_nodes
    assert 1.8 < ratio < 4.5, ratio
    assert len(big.border_dead_ends) == len(base.border_dead_ends)


@pytest.mark.parametrize("scale", [0, -1, float("nan"), "big", 1e9])
def test_bad_scale_is_a_config_error(tmp_path, scale):
    with pytest.raises(ConfigError, match="scale"):
        write_demo(tmp_path / "x.osm.pbf", tmp_path / "x.json", scale=scale)
    assert not (tmp_path / "x.osm.pbf").exists()


def test_bad_seed_and_name_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="seed"):
        write_demo(tmp_path / "x.osm.pbf", tmp_path / "x.json", seed=1.5)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="non-negative"):
        write_demo(tmp_path / "x.osm.pbf", tmp_path / "x.json", seed=-1)
    with pytest.raises(ConfigError, match=r"\.osm\.pbf"):
        write_demo(tmp_path / "x.osm", tmp_path / "x.json")


def test_unwritable_output_is_a_data_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DataError, match="writable"):
        write_demo(blocker / "demo.osm.pbf", blocker / "truth.json")
    # an unwritable truth file leaves no PBF behind either
    with pytest.raises(DataError, match="writable"):
        write_demo(tmp_path / "demo.osm.pbf", blocker / "truth.json")
    assert not (tmp_path / "demo.osm.pbf").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_planted_cases_hold_at_a_larger_scale(tmp_path):
    truth = write_demo(tmp_path / "s.osm.pbf", tmp_path / "s.json", scale=2.5)
    osm = OsmData(tmp_path / "s.osm.pbf")
    roads = RoadGraph(osm)
    known = {c["node_id"] for c in truth.border_dead_ends} | {d["node_id"] for d in truth.decoys}
    ends = {int(n) for n in roads.ids if roads.degree(int(n)) == 1}
    assert known <= ends and len(ends - known) == 6  # expressway + trunk ends at the study edge
    detour = {c["case_id"]: roads.metres(c["node_id"], c["other_node_id"])
              for c in truth.border_dead_ends}  # fmt: skip
    assert max(detour, key=detour.get) == truth.longest_detour_case
    assert connected_components(roads.matrix, directed=False)[0] == 1
    road_h, multi_h = road_and_hsr_hours(osm, roads, truth)
    assert road_h >= 3.5 and multi_h <= 2.5, (road_h, multi_h)


def test_script_reports_bad_scale_in_one_line(tmp_path):
    """The rule's script, run as Snakemake runs it (``snakemake`` object given, ``params:
    source=`` the plain values of the source settings), with a bad ``source.scale``: one error
    line, no traceback, no output."""
    script = Path(__file__).resolve().parent.parent / "workflow" / "scripts" / "generate_demo.py"
    source = {**SourceSettings.select(load_study("demo")), "scale": 0}
    smk = (
        "from types import SimpleNamespace\n"
        "class NS(SimpleNamespace):\n"
        "    def items(self):\n"
        "        return vars(self).items()\n"
        f"snakemake = NS(input=NS(), output=NS(pbf={str(tmp_path / 'd.osm.pbf')!r}, "
        f"truth={str(tmp_path / 't.json')!r}), params=NS(source={source!r}), "
        f"log=[{str(tmp_path / 'generate_demo.log')!r}])\n"
        f"import runpy; runpy.run_path({str(script)!r}, init_globals={{'snakemake': snakemake}}, "
        "run_name='__main__')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", smk], capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": f"{script.parents[2]}{os.pathsep}{script.parent}"},
    )  # fmt: skip
    assert run.returncode == 1
    errors = [line for line in run.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1 and "scale must be > 0" in errors[0]
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "d.osm.pbf").exists() and not (tmp_path / "t.json").exists()


def test_stations_are_next_to_a_road_junction(osm, roads, demo):
    """Networks snap stations to junctions of a simplified graph: one must be close by."""
    _, truth = demo
    junction = np.array([roads.degree(int(n)) >= 3 for n in roads.ids])
    for station in truth.stations:
        lon, lat = osm.nodes[station["node_id"]]
        d = haversine_m(roads.lon[junction], roads.lat[junction], lon, lat).min()
        assert d < 150, (station["name"], d)
        tags = osm.node_tags[station["node_id"]]
        assert tags["railway"] == "station" and tags["name"] == station["name"]
        on_line = [t for nodes, t in osm.ways.values() if station["node_id"] in nodes]
        assert on_line and all("railway" in t for t in on_line)


def _other_unit_road_m(osm, units, node: int) -> tuple[float, str]:
    """Metres (local equirectangular frame) from a node to the nearest drivable way's part in
    another level-6 unit, and that way's class."""
    lon0, lat0 = osm.nodes[node]
    k = math.cos(math.radians(lat0))

    def local(geom):
        return shapely.transform(geom, lambda xy: (xy - [lon0, lat0]) * [k * 111_195.0, 111_195.0])

    own = _unit_of(units, osm, lon0, lat0)
    others = local(shapely.union_all(
        [p for r, p in units.items() if osm.relations[r][1]["admin_level"] == "6" and r != own]
    ))  # fmt: skip
    best = (math.inf, "")
    for w, (_, tags) in osm.ways.items():
        if tags.get("highway") not in DRIVABLE:
            continue
        line = local(osm.line(w))
        if line.distance(shapely.Point(0, 0)) < 1500:
            part = line.intersection(others)
            if not part.is_empty:
                best = min(best, (part.distance(shapely.Point(0, 0)), tags["highway"]))
    return best


def test_border_decoys_look_like_gaps_but_for_one_thing(osm, roads, units, demo):
    """D5–D7 end near a border facing a road of the other unit, far round by road, like the
    planted gaps; what gives each away is its class (an estate street 800 m from the main
    road), a turning circle or noexit=yes."""
    _, truth = demo
    edge = shapely.box(*truth.bbox).boundary
    inner = _border_lines(units, osm).difference(edge.buffer(1e-6))
    border = {d["kind"]: d for d in truth.decoys if d["expected"] == "low"}
    assert set(border) == {"estate_cul_de_sac", "turning_circle", "noexit"}
    node_tags = dict(osm.node_tags)
    for d in border.values():
        node = d["node_id"]
        assert roads.degree(node) == 1, d
        assert dist_m(osm, node, inner) <= 450, d
        gap, cls = _other_unit_road_m(osm, units, node)
        assert 550 <= gap <= 850, (d, gap)
        assert cls in {"secondary", "tertiary"}, (d, cls)
    assert node_tags.get(border["turning_circle"]["node_id"]) == {"highway": "turning_circle"}
    assert node_tags.get(border["noexit"]["node_id"]) == {"noexit": "yes"}
    assert border["estate_cul_de_sac"]["node_id"] not in node_tags
