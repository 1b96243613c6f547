"""Road network: PBF → simplified, directed, timed road graph (spatialint.network.roads)."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmnx as ox
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from spatialint.config import load_schema, load_study
from spatialint.contracts import (
    ADMIN_UNITS,
    PLACES,
    PLANNED_WAYS,
    RAIL_EDGES,
    RAIL_STATIONS,
    ROAD_EDGES,
    ROAD_NODES,
)
from spatialint.contracts.io import read_table, write_table
from spatialint.errors import DataError
from spatialint.network.graph import CSRGraph
from spatialint.network.maxspeed import parse_maxspeed
from spatialint.network.road_arcs import SIMPLIFY_DIFFER, road_arcs, unsimplified_gdfs
from spatialint.network.road_tags import read_road_ways, way_directions
from spatialint.network.roads import (
    anchor_nodes,
    apply_speed_profile,
    build_road_network,
    run_road_stage,
    simplify_road_arcs,
    to_multidigraph,
    write_road_network,
)
from spatialint.network.stations import station_points
from spatialint.network.unit_lookup import read_border_units
from spatialint.osm.ways import write_osm
from spatialint.settings import study_settings

NETWORK_SCHEMA = load_schema()["$defs"]["study"]["properties"]["network"]["properties"]
CLASSES = NETWORK_SCHEMA["highway_classes"]["default"]
SPEEDS = NETWORK_SCHEMA["speeds_kph"]["default"]
ZONES = NETWORK_SCHEMA["maxspeed_zones_kph"]["default"]
SPLIT_LON = 113.0135


def settings() -> dict:
    return {"highway_classes": CLASSES, "speeds_kph": SPEEDS, "maxspeed_zones_kph": ZONES}


def halves(west: float, south: float, east: float, north: float, split: float) -> gpd.GeoDataFrame:
    """Two admin units: the west and east part of a box."""
    return gpd.GeoDataFrame(
        {"unit_id": ["r1", "r2"], "name": ["West", "East"], "admin_level": [6, 6]},
        geometry=[
            shapely.MultiPolygon([shapely.box(west, south, split, north)]),
            shapely.MultiPolygon([shapely.box(split, south, east, north)]),
        ],
        crs="EPSG:4326",
    )


def admin_units_table(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``units`` with the other columns of the admin_units contract (centres at the units'
    representative points)."""
    centre = units.geometry.representative_point()
    return units.assign(
        name_en=None,
        parent_id=None,
        centre_lon=centre.x,
        centre_lat=centre.y,
        centre_source="representative_point",
    )


def pbf_units(pbf: Path) -> gpd.GeoDataFrame:
    """Two units splitting the extract's road bbox in half (west / east)."""
    ways = read_road_ways(pbf)
    lon, lat = ways.lon[np.isfinite(ways.lon)], ways.lat[np.isfinite(ways.lat)]
    return halves(
        lon.min() - 0.01,
        lat.min() - 0.01,
        lon.max() + 0.01,
        lat.max() + 0.01,
        (lon.min() + lon.max()) / 2,
    )


# A small town near 113°E 28°N (spacing 0.005° ≈ 500 m), built to exercise every rule.
NODES = {
    1: (113.000, 28.000),
    2: (113.005, 28.000),
    3: (113.010, 28.000),
    4: (113.015, 28.000),
    5: (113.020, 28.000),
    6: (113.025, 28.000),
    7: (113.010, 28.005),
    8: (113.005, 28.005),
    10: (113.025, 28.005),
    11: (113.020, 28.005),
    12: (112.995, 28.000),
    20: (113.100, 28.100),
    21: (113.105, 28.100),
    22: (113.110, 28.100),
    30: (113.030, 28.000),
    31: (113.033, 28.002),
    32: (113.033, 27.998),
    40: (113.015, 27.990),
    41: (113.000, 27.995),
    42: (113.005, 27.995),
}
WAYS = [
    (101, [1, 2, 3, 4], {"highway": "primary", "name": "Main", "maxspeed": "60"}),
    (102, [4, 5, 6], {"highway": "residential"}),
    (103, [3, 7, 8, 2], {"highway": "secondary", "oneway": "yes", "maxspeed": "30 mph"}),
    (105, [6, 10, 11], {"highway": "tertiary", "oneway": "-1", "maxspeed": "60;80"}),
    (106, [11, 5], {"highway": "residential", "maxspeed": "signals"}),
    (107, [1, 12], {"highway": "motorway"}),
    (108, [20, 21, 22], {"highway": "residential"}),
    (
        109,
        [30, 31, 32, 30],
        {"highway": "primary", "junction": "roundabout", "maxspeed": "CN:urban"},
    ),
    (110, [6, 30], {"highway": "unclassified"}),
    (111, [4, 40], {"highway": "construction", "construction": "primary", "name": "New"}),
    (112, [1, 41], {"highway": "footway"}),
    (113, [2, 42], {"highway": "residential", "access": "private"}),
]


@pytest.fixture(scope="module")
def town_pbf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("town") / "town.osm.pbf"
    return write_osm(
        path,
        nodes=[(i, lon, lat, {}) for i, (lon, lat) in NODES.items()],
        ways=WAYS,
    )


@pytest.fixture(scope="module")
def town(town_pbf: Path):
    return build_road_network(town_pbf, halves(112.9, 27.9, 113.2, 28.2, SPLIT_LON), **settings())


@pytest.fixture(scope="module")
def andorra(andorra_pbf: Path):
    return build_road_network(andorra_pbf, pbf_units(andorra_pbf), **settings())


@pytest.fixture(scope="module")
def monaco(monaco_pbf: Path):
    return build_road_network(monaco_pbf, pbf_units(monaco_pbf), **settings())


def assert_graph_matches_edges(graph: CSRGraph, nodes: pd.DataFrame, edges: pd.DataFrame) -> None:
    """The CSR graph has nodes in table order and, per (u, v), the minimum travel time."""
    np.testing.assert_array_equal(graph.node_ids, nodes["node_id"].to_numpy())
    expected = edges[edges["u"] != edges["v"]].groupby(["u", "v"])["travel_time_s"].min()
    coo = graph.matrix.tocoo()
    got = pd.Series(
        coo.data,
        index=pd.MultiIndex.from_arrays([graph.node_ids[coo.row], graph.node_ids[coo.col]]),
    ).sort_index()
    assert len(got) == len(expected)
    np.testing.assert_allclose(got.to_numpy(), expected.sort_index().to_numpy(), rtol=1e-12)
    np.testing.assert_array_equal(got.index.to_numpy(), expected.sort_index().index.to_numpy())


# ---------------------------------------------------------------------------------- maxspeed


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("50", 50.0),
        ("50 km/h", 50.0),
        ("30 mph", 30 * 1.609344),
        ("30mph", 30 * 1.609344),
        ("60;80", 70.0),
        ("90;30;90;30;90;30", 60.0),
        ("CN:urban", 50.0),
        ("FR:rural", 80.0),
        ("DE:zone30", 30.0),
        ("DE:zone:30", 30.0),
        ("walk", 5.0),
        ("none", math.nan),
        ("signals", math.nan),
        ("XX:urban", math.nan),
        ("0", math.nan),
        (None, math.nan),
    ],
)
def test_parse_maxspeed(value, expected):
    got = parse_maxspeed(value, zones_kph=ZONES)
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(expected)


# ------------------------------------------------------------------------------ small town


def test_town_oneway_rules(town):
    edges = town.edges
    by_way = {w: g for w, g in edges.groupby("osmid")}
    # way 103 oneway=yes 3→7→8→2: one edge in way direction only
    w103 = by_way[103]
    assert list(zip(w103["u"], w103["v"], strict=True)) == [(3, 2)]
    assert w103["oneway"].all()
    # way 105 oneway=-1 drawn 6→10→11: traffic only 11→6
    w105 = by_way[105]
    assert list(zip(w105["u"], w105["v"], strict=True)) == [(11, 6)]
    # roundabout is oneway in drawing order (30→31→32→30), a self-loop edge at 30
    w109 = by_way[109]
    assert list(zip(w109["u"], w109["v"], strict=True)) == [(30, 30)]
    assert w109["oneway"].all()
    # two-way streets have both directions
    assert set(zip(by_way[101]["u"], by_way[101]["v"], strict=True)) >= {
        (1, 2),
        (2, 1),
        (3, 4),
        (4, 3),
    }
    assert not by_way[101]["oneway"].any()


def test_town_excludes_non_drivable_and_closed_ways(town):
    assert not {107, 112, 113}.intersection(town.edges["osmid"])
    assert not {12, 41, 42}.intersection(town.nodes["node_id"])


def test_town_speeds_and_travel_times(town):
    speed = town.edges.groupby("osmid")["speed_kph"].first()
    assert speed[101] == 60
    assert speed[102] == SPEEDS["residential"]
    assert speed[103] == pytest.approx(30 * 1.609344)
    assert speed[105] == 70  # "60;80": mean, as osmnx
    assert speed[106] == SPEEDS["residential"]  # "signals": class default
    assert speed[109] == ZONES["CN:urban"]
    assert speed[110] == SPEEDS["unclassified"]
    edges = town.edges
    assert (edges["travel_time_s"] > 0).all()
    np.testing.assert_allclose(
        edges["travel_time_s"], edges["length_m"] / edges["speed_kph"] * 3.6, rtol=1e-12
    )
    # residential 4→5→6 (5 is a junction with way 106): 0.005° of longitude at 28°N
    street = edges[(edges["u"] == 4) & (edges["v"] == 5)].iloc[0]
    expected_m = 0.005 * math.pi / 180 * 6_371_009 * math.cos(math.radians(28))
    assert street["length_m"] == pytest.approx(expected_m, rel=1e-4)
    # the oneway 3→7→8→2 keeps its shape through the merged nodes 7 and 8
    oneway = edges[edges["osmid"] == 103].iloc[0]
    assert list(oneway.geometry.coords) == [NODES[3], NODES[7], NODES[8], NODES[2]]


def test_town_scc_report(town):
    report = town.report
    # dropped: motorway stub 12 (no way back) and the island 20-21-22
    assert report["nodes_dropped"] == 4
    assert report["arcs_dropped"] == 1 + 4
    assert report["dropped_per_unit"] == {"r1": 1, "r2": 3}
    # the motorway arc 1→12 counts where 12 lies; the island's 4 arcs in r2
    assert report["arcs_dropped_per_unit"] == {"r2": 4, "r1": 1}
    assert report["components"] == 3  # the town, the motorway stub 12, the two-way island
    assert report["nodes"] == len(town.nodes)


def test_town_units_and_street_count(town):
    nodes = town.nodes.set_index("node_id")
    assert (nodes.loc[nodes["x"] < SPLIT_LON, "unit_id"] == "r1").all()
    assert (nodes.loc[nodes["x"] > SPLIT_LON, "unit_id"] == "r2").all()
    mid_x = shapely.get_x(
        shapely.line_interpolate_point(town.edges.geometry.array, 0.5, normalized=True)
    )
    assert ((mid_x < SPLIT_LON) == (town.edges["unit_id"] == "r1")).all()
    graph = to_multidigraph(town.nodes, town.edges)
    counts = ox.stats.count_streets_per_node(graph)
    assert {n: counts[n] for n in nodes.index} == nodes["street_count"].to_dict()


def test_town_planned_ways(town):
    planned = town.planned
    assert list(planned.columns) == ["osmid", "highway", "planned_class", "name", "ref", "geometry"]
    assert planned.iloc[0][["osmid", "highway", "planned_class", "name"]].tolist() == [
        111,
        "construction",
        "primary",
        "New",
    ]
    assert planned.crs == "EPSG:4326"


def test_town_graph_equals_edges(town):
    assert_graph_matches_edges(town.graph, town.nodes, town.edges)


def test_outputs_roundtrip(town, town_pbf: Path, tmp_path: Path):
    # free flow: adds speed_group, free_flow_kph (the demo itself runs calibrated)
    speeds = replace(study_settings(load_study("demo")).speeds, profile="free_flow")
    units = halves(112.9, 27.9, 113.2, 28.2, SPLIT_LON)
    town, calibration = apply_speed_profile(town, speeds=speeds, units=units, pbf=town_pbf)
    assert calibration is None
    paths = {
        k: tmp_path / f"{k}.{ext}"
        for k, ext in [
            ("nodes", "parquet"),
            ("edges", "parquet"),
            ("planned", "parquet"),
            ("graph", "npz"),
        ]
    }
    write_road_network(town, **paths)
    nodes = read_table(paths["nodes"], ROAD_NODES)
    edges = read_table(paths["edges"], ROAD_EDGES)
    assert_geodataframe_equal(nodes, town.nodes)
    assert_geodataframe_equal(edges, town.edges)
    assert_geodataframe_equal(read_table(paths["planned"], PLANNED_WAYS), town.planned)
    assert list(edges.columns) == [*ROAD_EDGES.names, "geometry"]
    assert nodes.crs == edges.crs == "EPSG:4326"
    assert edges["u"].dtype == np.int64 and edges["oneway"].dtype == bool
    graph = CSRGraph.load(paths["graph"])
    assert_graph_matches_edges(graph, nodes, edges)


# ------------------------------------------------------------------------------ bad input


def test_no_drivable_roads(tmp_path: Path):
    pbf = write_osm(
        tmp_path / "paths.osm.pbf",
        nodes=[(1, 113.0, 28.0, {}), (2, 113.01, 28.0, {})],
        ways=[(1, [1, 2], {"highway": "footway"})],
    )
    with pytest.raises(DataError, match="no drivable road"):
        build_road_network(pbf, halves(112.9, 27.9, 113.2, 28.2, SPLIT_LON), **settings())


def test_corrupt_pbf(tmp_path: Path, town_pbf: Path):
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(town_pbf.read_bytes()[:40] + b"\x00garbage" * 50)
    with pytest.raises(DataError, match="not a readable OSM file"):
        build_road_network(bad, halves(112.9, 27.9, 113.2, 28.2, SPLIT_LON), **settings())


def test_missing_pbf(tmp_path: Path):
    with pytest.raises(DataError, match="does not exist"):
        read_road_ways(tmp_path / "none.osm.pbf")


def test_units_without_border_level(tmp_path: Path):
    path = tmp_path / "units.gpkg"
    units = halves(112.9, 27.9, 113.2, 28.2, SPLIT_LON).assign(admin_level=5)
    write_table(admin_units_table(units), ADMIN_UNITS, path)
    with pytest.raises(DataError, match="no admin units at admin_level 6.*levels present: \\[5\\]"):
        read_border_units(path, level=6)
    assert len(read_border_units(path, level=5)) == 2


# ------------------------------------------------------------------------------ real extracts


@pytest.mark.realdata
def test_andorra_counts_and_graph(andorra):
    nodes, edges = andorra.nodes, andorra.edges
    # 1,041 drivable ways, 15,917 way nodes; simplified to ~1,250 junction/dead-end nodes
    assert 1_000 < len(nodes) < 1_600
    assert 2_000 < len(edges) < 3_200
    assert 600 < edges["length_m"].sum() / 1000 < 900  # km, both directions counted
    assert (edges["travel_time_s"] > 0).all()
    assert edges["unit_id"].notna().all() and nodes["unit_id"].notna().all()
    assert set(nodes["unit_id"]) == {"r1", "r2"}
    assert edges["oneway"].sum() > 0 and not edges["oneway"].all()
    # tagged maxspeeds are used (Andorra has 50/60/70/80/90 tags)
    assert {50, 60, 70, 80, 90} <= set(edges["speed_kph"].round())
    assert_graph_matches_edges(andorra.graph, nodes, edges)
    report = andorra.report
    assert report["nodes_dropped"] > 0 and report["components"] > 1
    assert sum(report["dropped_per_unit"].values()) == report["nodes_dropped"]
    assert sum(report["arcs_dropped_per_unit"].values()) == report["arcs_dropped"]
    assert report["nodes_before"] - report["nodes_dropped"] > len(nodes)


@pytest.mark.realdata
def test_monaco_counts(monaco):
    nodes, edges = monaco.nodes, monaco.edges
    assert 250 < len(nodes) < 450
    assert 500 < len(edges) < 900
    assert (edges["travel_time_s"] > 0).all()
    assert_graph_matches_edges(monaco.graph, nodes, edges)


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["andorra", "monaco"])
def test_simplification_equals_osmnx(name, request):
    """Our vectorised simplification gives exactly osmnx.simplify_graph's graph."""
    pbf = request.getfixturevalue(f"{name}_pbf")
    units = pbf_units(pbf)
    arcs = road_arcs(read_road_ways(pbf), units, **settings())
    nodes, edges = simplify_road_arcs(arcs, units)
    gdf_nodes, gdf_edges = unsimplified_gdfs(arcs)
    full = ox.convert.graph_from_gdfs(gdf_nodes, gdf_edges)
    simple = ox.simplify_graph(full, edge_attrs_differ=list(SIMPLIFY_DIFFER))
    assert set(simple.nodes) == set(nodes["node_id"])
    theirs = sorted((u, v, round(d["length"], 6)) for u, v, d in simple.edges(data=True))
    ours = sorted(zip(edges["u"], edges["v"], edges["length_m"].round(6), strict=True))
    assert theirs == ours
    counts = ox.stats.count_streets_per_node(simple)
    assert [counts[n] for n in nodes["node_id"]] == nodes["street_count"].tolist()


def test_anchor_keeps_nearest_node(town_pbf: Path):
    """A station beside node 7 (inside the oneway chain 3→7→8→2) keeps node 7 in the graph."""
    net = build_road_network(
        town_pbf,
        halves(112.9, 27.9, 113.2, 28.2, SPLIT_LON),
        **settings(),
        anchor_lon=np.array([113.0101]),
        anchor_lat=np.array([28.0052]),
    )
    assert 7 in set(net.nodes["node_id"])
    w103 = net.edges[net.edges["osmid"] == 103]
    assert list(zip(w103["u"], w103["v"], strict=True)) == [(3, 7), (7, 2)]
    assert_graph_matches_edges(net.graph, net.nodes, net.edges)


@pytest.mark.realdata
def test_anchored_simplification_equals_osmnx(monaco_pbf: Path):
    """Anchors behave as osmnx's node_attrs_include."""
    units = pbf_units(monaco_pbf)
    arcs = road_arcs(read_road_ways(monaco_pbf), units, **settings())
    rng = np.random.default_rng(1)
    lon = rng.uniform(arcs.lon.min(), arcs.lon.max(), 40)
    lat = rng.uniform(arcs.lat.min(), arcs.lat.max(), 40)
    nodes, edges = simplify_road_arcs(arcs, units, anchor_lon=lon, anchor_lat=lat)
    gdf_nodes, gdf_edges = unsimplified_gdfs(arcs)
    flags = anchor_nodes(arcs, lon, lat)
    anchored = set(arcs.node_ids[flags])
    gdf_nodes["anchor"] = np.where(gdf_nodes.index.isin(list(anchored)), 1.0, np.nan)
    full = ox.convert.graph_from_gdfs(gdf_nodes, gdf_edges)
    simple = ox.simplify_graph(
        full, node_attrs_include=["anchor"], edge_attrs_differ=list(SIMPLIFY_DIFFER)
    )
    assert anchored <= set(nodes["node_id"])
    assert set(simple.nodes) == set(nodes["node_id"])
    theirs = sorted((u, v, round(d["length"], 6)) for u, v, d in simple.edges(data=True))
    ours = sorted(zip(edges["u"], edges["v"], edges["length_m"].round(6), strict=True))
    assert theirs == ours


# ------------------------------------------------------------------------------ the demo


@pytest.fixture(scope="module")
def demo_region(tmp_path_factory: pytest.TempPathFactory):
    """The synthetic demo (scale 1) through the same PBF path, with its own admin units."""
    from spatialint.demo.generator import write_demo
    from spatialint.osm.admin import units_from_osm

    folder = tmp_path_factory.mktemp("demo")
    truth = write_demo(folder / "demo.osm.pbf", folder / "truth.json", seed=42, scale=1)
    pbf = folder / "demo.osm.pbf"
    admin = units_from_osm(pbf, levels=[5, 6])
    units = admin.units[admin.units["admin_level"] == 6].reset_index(drop=True)
    lon, lat = station_points(pbf)
    net = build_road_network(
        pbf,
        units,
        **settings(),
        anchor_lon=np.concatenate([lon, admin.places.geometry.x]),
        anchor_lat=np.concatenate([lat, admin.places.geometry.y]),
    )
    return pbf, truth, units, admin.places, net


def test_demo_road_network(demo_region):
    _, truth, units, _, net = demo_region
    nodes, edges = net.nodes, net.edges
    # every highway node of the demo is on a drivable way; a few tiny islands are dropped
    assert net.report["nodes_before"] == truth.n_road_nodes
    assert net.report["nodes_dropped"] < 0.01 * truth.n_road_nodes
    assert 0.3 * truth.n_road_nodes < len(nodes) < 0.6 * truth.n_road_nodes
    assert (edges["travel_time_s"] > 0).all()
    assert nodes["unit_id"].notna().all() and edges["unit_id"].notna().all()
    assert set(nodes["unit_id"]) == set(units["unit_id"])
    assert edges["oneway"].any()  # the motorway
    assert_graph_matches_edges(net.graph, nodes, edges)


def test_demo_planted_cases_survive(demo_region):
    """The planted border dead ends are dead-end nodes; class drops keep their border node."""
    _, truth, _, _, net = demo_region
    street_count = net.nodes.set_index("node_id")["street_count"]
    for case in truth.border_dead_ends:
        assert street_count[case["node_id"]] == 1, case["case_id"]
    for case in truth.class_drops:
        node = case["border_node_id"]
        assert node in street_count.index, case["case_id"]
        classes = set(net.edges.loc[net.edges["u"] == node, "highway"])
        assert {case["class_before"], case["class_after"]} <= classes
    planned = net.planned.set_index("osmid")
    for case in truth.border_dead_ends:
        if case["planned_way_id"] is not None:
            assert planned.loc[case["planned_way_id"], "planned_class"]


def test_unreadable_units(tmp_path: Path):
    with pytest.raises(DataError, match="missing.gpkg does not exist; run the admin_units step"):
        read_border_units(tmp_path / "missing.gpkg", level=6)
    path = tmp_path / "units.gpkg"
    units = admin_units_table(halves(112.9, 27.9, 113.2, 28.2, SPLIT_LON))
    units.drop(columns="unit_id").to_file(path, layer="admin_units")
    with pytest.raises(
        DataError, match=r"missing column\(s\) \['unit_id'\].*re-run the admin_units step"
    ):
        read_border_units(path, level=6)


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"highway": "primary", "oneway": "yes"}, 1),
        ({"highway": "primary", "oneway": "true"}, 1),
        ({"highway": "primary", "oneway": "1"}, 1),
        ({"highway": "primary", "oneway": "-1"}, -1),
        ({"highway": "primary", "oneway": "reverse"}, -1),
        ({"highway": "primary", "oneway": "no"}, 0),
        ({"highway": "primary", "oneway": "reversible"}, 0),
        ({"highway": "primary", "oneway": "alternating"}, 0),
        ({"highway": "primary"}, 0),
        ({"highway": "motorway"}, 1),
        ({"highway": "motorway", "oneway": "no"}, 0),
        ({"highway": "motorway", "oneway": "-1"}, -1),
        ({"highway": "tertiary", "junction": "roundabout"}, 1),
        ({"highway": "tertiary", "junction": "circular"}, 1),
        ({"highway": "tertiary", "junction": "roundabout", "oneway": "no"}, 0),
    ],
)
def test_way_directions(tags, expected):
    frame = pd.DataFrame([tags], columns=["highway", "oneway", "junction"]).astype(object)
    frame = frame.where(frame.notna(), None)
    assert way_directions(frame).tolist() == [expected]


def test_way_cut_by_the_extract_boundary(tmp_path: Path):
    """A way whose nodes are partly missing from the file keeps only its located segments."""
    nodes = {1: (113.0, 28.0), 2: (113.01, 28.0), 3: (113.02, 28.0), 5: (113.04, 28.0)}
    pbf = write_osm(
        tmp_path / "cut.osm.pbf",
        nodes=[(i, lon, lat, {}) for i, (lon, lat) in nodes.items()],
        ways=[(1, [1, 2, 3, 4, 5], {"highway": "primary"})],  # node 4 is not in the file
    )
    net = build_road_network(pbf, halves(112.9, 27.9, 113.2, 28.2, 113.1), **settings())
    assert set(net.nodes["node_id"]) == {1, 3}
    assert set(zip(net.edges["u"], net.edges["v"], strict=True)) == {(1, 3), (3, 1)}


# ------------------------------------------------------------------------------ the stage


def places_table(rows: list[tuple[int, str, float, float]]) -> gpd.GeoDataFrame:
    """A places table (node id, name, lon, lat) as the admin stage writes it."""
    return gpd.GeoDataFrame(
        {
            "node_id": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "name_en": None,
            "place": "village",
            "population": np.nan,
        },
        geometry=[shapely.Point(r[2], r[3]) for r in rows],
        crs="EPSG:4326",
    )


@pytest.fixture
def town_stage(town_pbf: Path, tmp_path: Path) -> tuple[dict, dict]:
    """Inputs (the town, its two units, a village beside node 7) and outputs of the stage."""
    units = admin_units_table(halves(112.9, 27.9, 113.2, 28.2, SPLIT_LON))
    write_table(units, ADMIN_UNITS, tmp_path / "admin_units.gpkg")
    write_table(places_table([(9, "Seven", 113.0101, 28.0052)]), PLACES, tmp_path / "p.parquet")
    inputs = {
        "pbf": town_pbf,
        "units": tmp_path / "admin_units.gpkg",
        "places": tmp_path / "p.parquet",
    }
    names = [("nodes", "parquet"), ("edges", "parquet"), ("planned", "parquet"), ("graph", "npz"),
             ("speed_fit", "csv"), ("speed_samples", "csv")]  # fmt: skip
    outputs = {k: tmp_path / "network" / f"{k}.{ext}" for k, ext in names}
    return inputs, outputs


def test_road_stage_with_the_demo_settings(town_stage):
    """The stage as a notebook calls it: typed settings, paths in, contract tables out; the
    place keeps its nearest road node (7, inside a one-way chain)."""
    inputs, outputs = town_stage
    settings = study_settings(load_study("demo"))
    speeds = replace(settings.speeds, profile="free_flow")  # the demo's trips are not here
    result = run_road_stage(
        inputs, outputs, roads=settings.roads, admin=settings.admin, speeds=speeds
    )
    edges = read_table(outputs["edges"], ROAD_EDGES)
    assert_geodataframe_equal(edges, result.edges)
    assert 7 in set(read_table(outputs["nodes"], ROAD_NODES)["node_id"])
    assert_graph_matches_edges(CSRGraph.load(outputs["graph"]), result.nodes, edges)


def test_road_stage_refuses_places_that_break_their_contract(town_stage):
    inputs, outputs = town_stage
    gpd.read_parquet(inputs["places"]).drop(columns="place").to_parquet(inputs["places"])
    settings = study_settings(load_study("demo"))
    with pytest.raises(
        DataError, match=r"places.*missing column\(s\) \['place'\].*re-run the admin_units step"
    ):
        run_road_stage(
            inputs, outputs, roads=settings.roads, admin=settings.admin, speeds=settings.speeds
        )
    assert not outputs["edges"].exists()


NETWORK_TABLES = {
    "admin_units.gpkg": ADMIN_UNITS,
    "places.parquet": PLACES,
    "road_nodes.parquet": ROAD_NODES,
    "road_edges.parquet": ROAD_EDGES,
    "planned_ways.parquet": PLANNED_WAYS,
    "rail_edges.parquet": RAIL_EDGES,
    "rail_stations.parquet": RAIL_STATIONS,
}


@pytest.mark.pipeline
def test_demo_run_network_tables_keep_their_contracts(demo_run: Path):
    folder = demo_run / "data" / "demo" / "network"
    for name, table in NETWORK_TABLES.items():
        assert len(read_table(folder / name, table)) > 0, name


@pytest.mark.pipeline
def test_road_edges_without_travel_times_are_refused(demo_run: Path, tmp_path: Path):
    """A road_edges file that breaks its contract (an older version's, or an edited one) is
    refused where it is read, naming the step that rewrites it."""
    edges = gpd.read_parquet(demo_run / "data" / "demo" / "network" / "road_edges.parquet")
    broken = tmp_path / "road_edges.parquet"
    edges.drop(columns="travel_time_s").to_parquet(broken)
    with pytest.raises(
        DataError,
        match=r"missing column\(s\) \['travel_time_s'\].*re-run the road_network step",
    ):
        read_table(broken, ROAD_EDGES)
