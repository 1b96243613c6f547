"""Rail network: lines by service and stations joined to them (spatialint.network.rail)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from spatialint.config import load_schema, load_study
from spatialint.contracts import ADMIN_UNITS, RAIL_EDGES, RAIL_STATIONS, ROAD_NODES
from spatialint.contracts.io import read_table, write_table
from spatialint.errors import DataError
from spatialint.network.rail import (
    build_rail_network,
    classify_services,
    run_rail_stage,
    write_rail_network,
)
from spatialint.network.roads import build_road_network
from spatialint.osm.ways import write_osm
from spatialint.settings import study_settings
from tests.test_roads import CLASSES, SPEEDS, ZONES, admin_units_table, halves

pytest_plugins = ["tests.test_roads"]  # the demo_region fixture

NETWORK = load_schema()["$defs"]["study"]["properties"]["network"]["properties"]
RAIL_SPEEDS = {k: v["default"] for k, v in NETWORK["rail_speeds_kph"]["properties"].items()}
BOARDING = {k: v["default"] for k, v in NETWORK["boarding_penalty_min"]["properties"].items()}
RAIL_SETTINGS = {
    "rail_speeds_kph": RAIL_SPEEDS,
    "highspeed_min_kph": NETWORK["highspeed_min_kph"]["default"],
    "intercity_name_patterns": NETWORK["intercity_name_patterns"]["default"],
    "station_line_max_m": NETWORK["station_line_max_m"]["default"],
    "station_merge_m": NETWORK["station_merge_m"]["default"],
}
SPLIT_LON = 113.25

# A corridor along 28°N: a high-speed line A(113.0)–B(113.2)–C(113.4), station B mapped ~100 m
# north of the tracks; a conventional line C–D north from C; a metro line in the east with
# a metro station M near the high-speed line (it must not join it); a siding near B; a slow
# residential road along the corridor with short access roads to every station.
NODES: dict[int, tuple[float, float, dict[str, str]]] = {
    # high-speed track
    1001: (113.0, 28.0, {"railway": "station", "name": "A站", "name:en": "A", "train": "yes"}),
    1002: (113.1, 28.0, {}),
    1003: (113.2, 28.0, {}),
    1004: (113.3, 28.0, {}),
    1005: (113.4, 28.0, {"railway": "station", "name": "C站", "name:en": "C"}),
    # station B beside the tracks, and a duplicate node of A a few metres away
    1010: (113.2, 28.0009, {"railway": "station", "name": "B站", "name:en": "B"}),
    1011: (113.0003, 28.0002, {"railway": "station", "name": "A 站"}),
    # conventional line north from C
    1020: (113.4, 28.1, {}),
    1021: (113.4, 28.2, {"railway": "halt", "name": "D站", "name:en": "D"}),
    # siding near B (not passenger)
    1030: (113.19, 27.999, {}),
    1031: (113.21, 27.999, {}),
    # metro line in the east, and a metro station near the high-speed line at 113.1
    1040: (113.1, 28.05, {}),
    1041: (113.1, 28.0015, {}),
    1042: (113.1005, 28.0016, {"railway": "station", "station": "subway", "name": "M站"}),
    # a station far from any line
    1050: (113.3, 28.3, {"railway": "station", "name": "Nowhere"}),
    # a bus station tagged public_transport=station only: not rail
    1060: (113.3, 28.0005, {"public_transport": "station", "bus": "yes", "name": "Bus"}),
    # station E mapped only as an area around track node 1020
    1070: (113.399, 28.099, {}),
    1071: (113.401, 28.099, {}),
    1072: (113.401, 28.101, {}),
    1073: (113.399, 28.101, {}),
    # roads
    1: (113.0, 27.99, {}),
    2: (113.1, 27.99, {}),
    3: (113.2, 27.99, {}),
    4: (113.3, 27.99, {}),
    5: (113.4, 27.99, {}),
    11: (113.0, 27.999, {}),
    13: (113.2, 27.9995, {}),
    15: (113.4, 27.999, {}),
    16: (113.4, 28.199, {}),
    17: (113.1, 28.0012, {}),
}
WAYS = [
    (1, [1001, 1002, 1003, 1004, 1005], {"railway": "rail", "highspeed": "yes", "name": "高铁"}),
    (2, [1005, 1020, 1021], {"railway": "rail", "maxspeed": "120", "usage": "main"}),
    (3, [1030, 1031], {"railway": "rail", "service": "siding"}),
    (4, [1040, 1041], {"railway": "subway", "name": "地铁1号线"}),
    (5, [1070, 1071, 1072, 1073, 1070], {"railway": "station", "name": "E站", "building": "yes"}),
    (10, [1, 2, 3, 4, 5], {"highway": "residential"}),
    (11, [1, 11], {"highway": "residential"}),
    (12, [3, 13], {"highway": "residential"}),
    (13, [5, 15], {"highway": "residential"}),
    (14, [5, 16], {"highway": "residential"}),
    (15, [2, 17], {"highway": "residential"}),
]


def write_corridor(path: Path) -> Path:
    return write_osm(
        path,
        nodes=[(i, lon, lat, tags) for i, (lon, lat, tags) in NODES.items()],
        ways=WAYS,
    )


def corridor_units() -> gpd.GeoDataFrame:
    return halves(112.9, 27.9, 113.5, 28.4, SPLIT_LON)


@pytest.fixture(scope="module")
def corridor_pbf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corridor(tmp_path_factory.mktemp("corridor") / "corridor.osm.pbf")


@pytest.fixture(scope="module")
def corridor_road(corridor_pbf: Path):
    return build_road_network(
        corridor_pbf,
        corridor_units(),
        highway_classes=CLASSES,
        speeds_kph=SPEEDS,
        maxspeed_zones_kph=ZONES,
    )


@pytest.fixture(scope="module")
def corridor_rail(corridor_pbf: Path, corridor_road):
    return build_rail_network(
        corridor_pbf, road_nodes=corridor_road.nodes, units=corridor_units(), **RAIL_SETTINGS
    )


def build_real(pbf: Path):
    units = gpd.GeoDataFrame(
        {"unit_id": ["r1"], "name": ["all"], "admin_level": [6]},
        geometry=[shapely.box(-180, -90, 180, 90)],
        crs="EPSG:4326",
    )
    road = build_road_network(
        pbf, units, highway_classes=CLASSES, speeds_kph=SPEEDS, maxspeed_zones_kph=ZONES
    )
    return road, build_rail_network(pbf, road_nodes=road.nodes, units=units, **RAIL_SETTINGS)


def test_classify_services():
    tags = pd.DataFrame(
        [
            {"railway": "rail", "highspeed": "yes"},
            {"railway": "rail", "maxspeed": "250"},
            {"railway": "rail", "maxspeed": "200", "name": "长株潭城际铁路"},
            {"railway": "rail", "maxspeed": "160", "name": "长株潭城际铁路"},
            {"railway": "rail", "ref": "Intercity 5"},
            {"railway": "rail", "maxspeed": "120", "usage": "main"},
            {"railway": "narrow_gauge"},
            {"railway": "subway"},
            {"railway": "light_rail"},
            {"railway": "tram"},
            {"railway": "rail", "service": "yard"},
            {"railway": "rail", "usage": "industrial"},
        ],
        columns=["railway", "usage", "service", "highspeed", "maxspeed", "name", "ref"],
    ).astype(object)
    tags = tags.where(tags.notna(), None)
    got = classify_services(
        tags, highspeed_min_kph=200, intercity_name_patterns=["城际", "intercity"]
    )
    assert got.tolist() == [
        "highspeed",
        "highspeed",
        "highspeed",
        "intercity",
        "intercity",
        "conventional",
        "conventional",
        "metro",
        "metro",
        "metro",
        None,
        None,
    ]


def test_corridor_links(corridor_rail):
    edges = corridor_rail.edges
    # high-speed line cut at A, B's nearest vertex (1003) and C; conventional C–D; metro line
    # from its end to M's nearest vertex; the siding is not there
    links = set(zip(edges["service"], edges["u"], edges["v"], strict=True))
    assert links == {
        ("highspeed", 1001, 1003),
        ("highspeed", 1003, 1005),
        ("conventional", 1005, 1020),
        ("conventional", 1020, 1021),
        ("metro", 1040, 1041),
    }
    assert 3 not in set(edges["osmid"])
    hsr = edges[edges["service"] == "highspeed"]
    assert (hsr["speed_kph"] == RAIL_SPEEDS["highspeed"]).all()
    np.testing.assert_allclose(hsr["travel_time_s"], hsr["length_m"] / 250 * 3.6)
    # 0.2° of longitude at 28°N ≈ 19.6 km
    assert hsr["length_m"].to_numpy() == pytest.approx([19_650] * 2, rel=0.01)
    assert (edges["travel_time_s"] > 0).all()
    by_u = edges.set_index(["service", "u"])
    assert by_u.loc[("highspeed", 1001), "u_station"] == 1001
    assert by_u.loc[("highspeed", 1001), "v_station"] == 1010  # B, joined from beside the line
    assert pd.isna(by_u.loc[("metro", 1040), "u_station"])
    assert by_u.loc[("metro", 1040), "v_station"] == 1042
    assert set(edges["unit_id"]) == {"r1", "r2"}


def test_corridor_stations(corridor_rail):
    stations = corridor_rail.stations.set_index("node_id")
    # 1011 is a duplicate of A; Nowhere is too far from any line; the bus station is no station
    assert sorted(stations.index) == [5, 1001, 1005, 1010, 1021, 1042]
    assert stations.loc[5, "osm_type"] == "way"  # the area, at its centroid
    assert stations.loc[5, "services"] == "conventional"
    assert stations.loc[5].geometry.distance(shapely.Point(113.4, 28.1)) < 1e-6
    assert stations.loc[1001, "services"] == "highspeed"
    assert stations.loc[1005, "services"] == "highspeed;conventional"
    assert stations.loc[1021, "services"] == "conventional"
    assert stations.loc[1042, "services"] == "metro"  # metro-only station, not on the HSR
    assert stations.loc[1001, "name_en"] == "A"
    # nearest road nodes: the access roads' ends
    road_nodes = {k: v for k, v in stations["road_node_id"].items() if k != 5}
    assert road_nodes == {1001: 11, 1005: 15, 1010: 13, 1021: 16, 1042: 17}
    assert (stations["road_snap_m"].drop(5) < 200).all()
    assert stations.crs == "EPSG:4326"


def test_outputs_roundtrip(corridor_rail, tmp_path: Path):
    write_rail_network(corridor_rail, edges=tmp_path / "e.parquet", stations=tmp_path / "s.parquet")
    edges = read_table(tmp_path / "e.parquet", RAIL_EDGES)
    stations = read_table(tmp_path / "s.parquet", RAIL_STATIONS)
    assert_geodataframe_equal(edges, corridor_rail.edges)
    assert_geodataframe_equal(stations, corridor_rail.stations)
    assert list(edges.columns) == [*RAIL_EDGES.names, "geometry"]
    assert list(stations.columns) == [*RAIL_STATIONS.names, "geometry"]
    assert edges["u_station"].dtype == "Int64"


def rail_stage_files(tmp_path: Path, corridor_road) -> tuple[dict, dict]:
    """Inputs (the corridor's units and road nodes, written by contract) and outputs."""
    write_table(admin_units_table(corridor_units()), ADMIN_UNITS, tmp_path / "admin_units.gpkg")
    write_table(corridor_road.nodes, ROAD_NODES, tmp_path / "road_nodes.parquet")
    inputs = {"units": tmp_path / "admin_units.gpkg", "road_nodes": tmp_path / "road_nodes.parquet"}
    outputs = {"edges": tmp_path / "rail_edges.parquet", "stations": tmp_path / "stations.parquet"}
    return inputs, outputs


def test_rail_stage_with_the_demo_settings(corridor_pbf: Path, corridor_road, tmp_path: Path):
    inputs, outputs = rail_stage_files(tmp_path, corridor_road)
    settings = study_settings(load_study("demo"))
    result = run_rail_stage(
        {"pbf": corridor_pbf, **inputs}, outputs, rail=settings.rail, admin=settings.admin
    )
    assert_geodataframe_equal(read_table(outputs["edges"], RAIL_EDGES), result.edges)
    assert_geodataframe_equal(read_table(outputs["stations"], RAIL_STATIONS), result.stations)
    assert set(result.stations["road_node_id"]) <= set(corridor_road.nodes["node_id"])


def test_rail_stage_refuses_road_nodes_that_break_their_contract(
    corridor_pbf: Path, corridor_road, tmp_path: Path
):
    inputs, outputs = rail_stage_files(tmp_path, corridor_road)
    nodes = gpd.read_parquet(inputs["road_nodes"]).drop(columns="x")
    nodes.to_parquet(inputs["road_nodes"])
    settings = study_settings(load_study("demo"))
    with pytest.raises(
        DataError, match=r"road_nodes.*missing column\(s\) \['x'\].*re-run the road_network step"
    ):
        run_rail_stage(
            {"pbf": corridor_pbf, **inputs}, outputs, rail=settings.rail, admin=settings.admin
        )
    assert not outputs["edges"].exists()


def test_no_rail_gives_empty_typed_layers(tmp_path: Path):
    from tests.test_roads import NODES as TOWN_NODES
    from tests.test_roads import WAYS as TOWN_WAYS

    pbf = write_osm(
        tmp_path / "town.osm.pbf",
        nodes=[(i, lon, lat, {}) for i, (lon, lat) in TOWN_NODES.items()],
        ways=TOWN_WAYS,
    )
    units = halves(112.9, 27.9, 113.2, 28.2, 113.0135)
    road = build_road_network(
        pbf, units, highway_classes=CLASSES, speeds_kph=SPEEDS, maxspeed_zones_kph=ZONES
    )
    rail = build_rail_network(pbf, road_nodes=road.nodes, units=units, **RAIL_SETTINGS)
    assert rail.edges.empty and rail.stations.empty
    write_rail_network(rail, edges=tmp_path / "e.parquet", stations=tmp_path / "s.parquet")
    edges = gpd.read_parquet(tmp_path / "e.parquet")
    stations = gpd.read_parquet(tmp_path / "s.parquet")
    assert edges.empty and stations.empty
    assert edges.crs == stations.crs == "EPSG:4326"
    assert "service" in edges.columns and "road_node_id" in stations.columns
    assert edges["travel_time_s"].dtype == np.float64
    assert stations["node_id"].dtype == np.int64


def test_corrupt_pbf(tmp_path: Path):
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"\x00\x00\x00\x0e" + b"not a pbf" * 40)
    with pytest.raises(DataError, match="not a readable OSM file"):
        build_rail_network(bad, road_nodes=pd.DataFrame(), units=corridor_units(), **RAIL_SETTINGS)


@pytest.mark.realdata
def test_monaco_rail(monaco_pbf: Path):
    road, rail = build_real(monaco_pbf)
    # the Marseille–Ventimiglia line through Monaco, in tunnel, with Monaco-Monte-Carlo station
    assert set(rail.edges["service"]) == {"conventional"}
    assert len(rail.edges) == 2
    assert 5_000 < rail.edges["length_m"].sum() < 7_000
    stations = rail.stations
    assert len(stations) == 1  # two station nodes of one name, and the station area, merged
    station = stations.iloc[0]
    assert station["name"] == "Monaco - Monte Carlo"
    assert station["services"] == "conventional"
    assert station["road_node_id"] in set(road.nodes["node_id"])
    assert station["road_snap_m"] < 100
    assert set(rail.edges["v_station"]) == {station["node_id"]}


@pytest.mark.realdata
def test_andorra_has_no_passenger_rail(andorra_pbf: Path):
    _, rail = build_real(andorra_pbf)  # only railway=miniature in the extract
    assert rail.edges.empty and rail.stations.empty


@pytest.fixture(scope="module")
def demo_rail(demo_region):
    pbf, truth, units, _, road = demo_region
    return truth, road, build_rail_network(pbf, road_nodes=road.nodes, units=units, **RAIL_SETTINGS)


def test_demo_rail(demo_rail):
    truth, road, rail = demo_rail
    stations = rail.stations.set_index("node_id")
    # every planted station is found and serves (at least) its planted service
    for planted in truth.stations:
        assert planted["service"] in stations.loc[planted["node_id"], "services"].split(";")
        assert stations.loc[planted["node_id"], "name"] == planted["name"]
        assert stations.loc[planted["node_id"], "name_en"] == planted["name_en"]
    assert set(rail.edges["service"]) == {"highspeed", "intercity", "metro"}
    assert (rail.edges["travel_time_s"] > 0).all()
    assert set(stations["road_node_id"]) <= set(road.nodes["node_id"])
    assert (stations["road_snap_m"] < 1_000).all()
    # high-speed 东城站–西城站 is one link over 150 km at 250 km/h
    hsr = rail.edges[(rail.edges["service"] == "highspeed")]
    east_west = hsr[hsr["u_station"].notna() & hsr["v_station"].notna()]
    assert len(east_west) == 1
    assert 100_000 < east_west["length_m"].iloc[0] < 200_000
