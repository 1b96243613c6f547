"""Origins: places, unit seats, stations and points resolved and snapped; bad ones reported."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from spatialint.access.origins import read_origins, resolve_origins, write_origins
from spatialint.access.snapping import origin_starts
from spatialint.contracts import ADMIN_UNITS, ORIGINS, PLACES, RAIL_STATIONS
from spatialint.errors import ConfigError, DataError
from spatialint.network.graph import CSRGraph
from spatialint.settings import OriginSettings, OriginSpec
from tests.access_net import grid_network, lonlat, node_at


def origins(*specs: dict, snap_max_m: float = 500) -> OriginSettings:
    """Typed origin settings from config-like specs (as the study YAML gives them)."""
    return OriginSettings.from_config(
        {"origins": list(specs), "snap_max_m": snap_max_m}, where="access"
    )


@pytest.fixture(scope="module")
def net():
    nodes, edges, graph = grid_network(6, 5)  # 2.5 km × 2 km, 500 m blocks
    # an island node far east, connected to nothing: never snapped to
    island = CSRGraph.from_arcs(
        np.append(graph.node_ids, 99),
        np.append(graph.x, lonlat(np.array([2600.0]), np.array([0.0]))[0]),
        np.append(graph.y, graph.y[0]),
        *_arcs(graph),
    )
    return nodes, island, edges


def _arcs(graph: CSRGraph):
    coo = graph.matrix.tocoo()
    return coo.row, coo.col, coo.data


def point(x_m: float, y_m: float) -> shapely.Point:
    lon, lat = lonlat(np.array([x_m]), np.array([y_m]))
    return shapely.Point(lon[0], lat[0])


@pytest.fixture(scope="module")
def layers():
    """Places, admin units and stations as the network stage writes them (their contracts)."""
    places = gpd.GeoDataFrame(
        {
            "node_id": [1, 2, 3],
            "name": ["东城", "西城", "东城"],
            "name_en": ["Dongcheng", "Xicheng", "Dongcheng"],
            "place": ["city", "town", "village"],
            "population": [500000.0, 80000.0, 900.0],
        },
        geometry=[point(2000, 1000), point(100, 100), point(50000, 0)],
        crs="EPSG:4326",
    )
    lon, lat = lonlat(np.array([1000.0, 900.0]), np.array([1500.0, 40000.0]))
    units = gpd.GeoDataFrame(
        {
            "unit_id": ["r1", "r2"],
            "name": ["东区", "海区"],
            "name_en": [None, None],
            "admin_level": [6, 6],
            "parent_id": [None, None],
            "centre_lon": lon,
            "centre_lat": lat,
            "centre_source": ["admin_centre", "admin_centre"],
        },
        geometry=[shapely.box(0, 0, 1, 1)] * 2,
        crs="EPSG:4326",
    )
    stations = gpd.GeoDataFrame(
        {
            "node_id": [5],
            "osm_type": ["node"],
            "name": ["东城站"],
            "name_en": [None],
            "services": ["highspeed"],
            "road_node_id": [1000 + 29 * 7],
            "road_snap_m": [100.0],
            "unit_id": ["r1"],
        },
        geometry=[point(2400, 1900)],
        crs="EPSG:4326",
    )
    return PLACES.conform(places), ADMIN_UNITS.conform(units), RAIL_STATIONS.conform(stations)


def test_each_kind_resolves(net, layers, tmp_path) -> None:
    nodes, graph, edges = net
    places, units, stations = layers
    specs = origins(
        {"name": "East", "place": "Dongcheng"},
        {"name": "Unit", "unit": "东区"},
        {"name": "HSR", "station": "东城站"},
        {"name": "Here", "lon": float(nodes.x.iloc[0]) + 0.001, "lat": float(nodes.y.iloc[0])},
    )
    out = resolve_origins(
        specs, graph=graph, edges=edges, places=places, units=units, stations=stations
    )
    assert out["origin_id"].tolist() == [1, 2, 3, 4]
    assert out["kind"].tolist() == ["place", "unit", "station", "point"]
    assert out.crs == "EPSG:4326"
    # the city (not the village of the same name) at (2000, 1000) m is node (4, 2)
    assert out["node_id"].iloc[0] == graph.node_ids[node_at(nodes, 4, 2)]
    assert out["snap_m"].iloc[0] < 5
    assert out["node_id"].iloc[1] == graph.node_ids[node_at(nodes, 2, 3)]
    assert out["station_node_id"].iloc[2] == 5
    assert out["station_road_node_id"].iloc[2] == graph.node_ids[node_at(nodes, 5, 4)]
    assert out["station_road_node_id"].isna().sum() == 3
    assert 100 < out["snap_m"].iloc[2] < 120  # to the nearest road, not to a node (141 m)
    # the point lies on the road (0,0)-(1,0), a fifth of the way along: snapped ~10 m
    assert out["snap_m"].iloc[3] < 15
    assert out["node_id"].iloc[3] == graph.node_ids[node_at(nodes, 0, 0)]
    assert out["edge_fraction"].iloc[3] == pytest.approx(
        0.2 if out["edge_u"].iloc[3] == out["node_id"].iloc[3] else 0.8, abs=0.02
    )
    road = origin_starts(out, graph, mode="road")
    multi = origin_starts(out, graph, mode="multimodal")
    pos, secs = road[3]
    assert sorted(graph.node_ids[pos]) == sorted([out.edge_u[3], out.edge_v[3]])
    edge_s = 500 / 10  # 500 m at 36 km/h
    assert sorted(secs) == pytest.approx([0.2 * edge_s, 0.8 * edge_s], rel=0.05)
    assert len(multi[2][0]) == len(road[2][0]) + 1  # the station's access node, at 0 s
    assert multi[2][1][-1] == 0 and graph.node_ids[multi[2][0][-1]] == out.station_road_node_id[2]
    path = tmp_path / "origins.gpkg"
    write_origins(out, path)
    back = read_origins(path)
    assert back["station_node_id"].iloc[2] == 5
    assert_geodataframe_equal(back, ORIGINS.conform(out), check_less_precise=True)


def test_origins_file_that_breaks_the_contract_names_the_step(net, layers, tmp_path) -> None:
    _, graph, edges = net
    out = resolve_origins(
        origins({"name": "East", "place": "Dongcheng"}), graph=graph, edges=edges,
        places=layers[0],
    )  # fmt: skip
    path = tmp_path / "origins.gpkg"
    out.drop(columns="edge_fraction").to_file(path, layer="origins")  # an older version's file
    with pytest.raises(DataError, match=r"missing column\(s\) \['edge_fraction'\].*origins step"):
        read_origins(path)
    out.assign(node_id="n1").to_file(path, layer="origins")
    with pytest.raises(DataError, match=r"'node_id' is .*not integer.*re-run the origins step"):
        read_origins(path)


def test_origin_in_the_sea_is_reported_not_moved(net, layers) -> None:
    _, graph, edges = net
    places, units, stations = layers
    with pytest.raises(DataError, match=r"'Sea'.*is 4\d,\d{3} m from the nearest road.*snap_max_m"):
        sea = point(1000, 45000)
        resolve_origins(
            origins({"name": "Sea", "lon": sea.x, "lat": sea.y}, snap_max_m=2000),
            graph=graph,
            edges=edges,
        )
    with pytest.raises(DataError, match="'Harbour'.*m from the nearest road"):
        resolve_origins(
            origins({"name": "Harbour", "unit": "海区"}, snap_max_m=2000), graph=graph,
            edges=edges, units=units,
        )  # fmt: skip


def test_island_node_is_not_a_snap_target(net) -> None:
    _, graph, edges = net
    p = point(2600, 0)  # exactly on the disconnected node 99
    out = resolve_origins(origins({"name": "p", "lon": p.x, "lat": p.y}), graph=graph, edges=edges)
    assert out["node_id"].iloc[0] != 99
    assert out["snap_m"].iloc[0] == pytest.approx(100, abs=2)


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ({"name": "x", "place": "Nowhere"}, "no place named 'Nowhere'"),
        ({"name": "x", "station": "北站"}, "no station named '北站'"),
        ({"name": "x", "unit": "西区"}, "no admin unit named '西区'"),
    ],
)
def test_unresolvable_origins(net, layers, spec, match) -> None:
    _, graph, edges = net
    places, units, stations = layers
    with pytest.raises(DataError, match=match):
        resolve_origins(
            origins(spec), graph=graph, edges=edges, places=places, units=units,
            stations=stations,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ({"name": "x", "place": "西城", "lon": 1.0, "lat": 2.0}, "exactly one"),
        ({"name": "x", "lon": 1.0}, "only lon"),
        ({"name": "x"}, "exactly one"),
    ],
)
def test_origin_specs_name_one_way_to_find_them(spec, match) -> None:
    with pytest.raises(ConfigError, match=match):
        OriginSpec.from_config(spec)


def test_duplicate_names_and_ties(net, layers) -> None:
    _, graph, edges = net
    places, _, _ = layers
    with pytest.raises(ConfigError, match="used twice"):
        origins({"name": "a", "place": "西城"}, {"name": "a", "place": "西城"})
    twins = places.assign(place="town", population=0.0)
    with pytest.raises(DataError, match="equally important.*give lon/lat"):
        resolve_origins(origins({"name": "a", "place": "东城"}), graph=graph, edges=edges,
                        places=twins)  # fmt: skip
