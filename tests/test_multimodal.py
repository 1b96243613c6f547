"""Multimodal graph: road nodes first, rail nodes after, dwell/boarding/transfer/access arcs."""

from __future__ import annotations

import runpy
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pytest

from spatialint.config import load_study
from spatialint.contracts import ADMIN_UNITS, PLACES, RAIL_EDGES, RAIL_STATIONS, ROAD_NODES
from spatialint.contracts.io import write_table
from spatialint.errors import DataError
from spatialint.network.graph import CSRGraph
from spatialint.network.multimodal import build_multimodal_graph, run_multimodal_stage
from spatialint.network.rail import empty_rail_edges
from spatialint.network.routing import travel_times
from spatialint.network.stations import empty_stations
from spatialint.settings import PARAMS, study_settings
from tests.test_rail import BOARDING, build_real

ACCESS_MIN = 5.0
DWELL_MIN = 2.0
TRANSFER_MIN = 10.0
WALK_KPH = 4.5
SETTINGS = {
    "station_walk_kph": WALK_KPH,
    "boarding_penalty_min": BOARDING,
    "dwell_min": DWELL_MIN,
    "transfer_penalty_min": TRANSFER_MIN,
    "station_access_min": ACCESS_MIN,
}
pytest_plugins = ["tests.test_rail"]


@pytest.fixture(scope="module")
def multimodal(corridor_road, corridor_rail) -> CSRGraph:
    return build_multimodal_graph(
        corridor_road.graph, corridor_rail.edges, corridor_rail.stations, **SETTINGS
    )


def time_between(graph: CSRGraph, a: int, b: int) -> float:
    src, dst = graph.index_of(np.array([a, b]))
    return float(travel_times(graph, np.array([src]))[0, dst])


def access_s(rail, station: int) -> float:
    """Platform walk plus walking the gap to the station's road node."""
    snap = rail.stations.set_index("node_id").loc[station, "road_snap_m"]
    return ACCESS_MIN * 60 + snap / (WALK_KPH / 3.6)


def link_time(rail, service: str, u: int, v: int) -> float:
    edges = rail.edges
    row = edges[(edges["service"] == service) & (edges["u"] == u) & (edges["v"] == v)]
    assert len(row) == 1
    return float(row["travel_time_s"].iloc[0])


def test_road_nodes_first_and_unchanged(multimodal, corridor_road):
    road = corridor_road.graph
    n = road.n_nodes
    np.testing.assert_array_equal(multimodal.node_ids[:n], road.node_ids)
    np.testing.assert_array_equal(multimodal.node_ids[:n], corridor_road.nodes["node_id"])
    assert (multimodal.node_ids[n:] < 0).all()
    # 8 track nodes (HSR A, B', C; conventional C, E, D; metro end, M') + 7 station × service
    # stops
    assert multimodal.n_nodes - n == 15
    road_block = multimodal.matrix[:n, :n]
    assert (road_block != road.matrix).nnz == 0


def test_rail_trip_with_dwell(multimodal, corridor_rail):
    # A (road node 11) to C (road node 15): board HSR at A, ride through B (dwell), alight at C
    ride = (
        link_time(corridor_rail, "highspeed", 1001, 1003)
        + DWELL_MIN * 60
        + link_time(corridor_rail, "highspeed", 1003, 1005)
    )
    board = BOARDING["highspeed"] * 60
    a, c = access_s(corridor_rail, 1001), access_s(corridor_rail, 1005)
    assert time_between(multimodal, 11, 15) == pytest.approx(a + board + ride + c)
    # the same in reverse
    assert time_between(multimodal, 15, 11) == pytest.approx(c + board + ride + a)


def test_rail_trip_with_transfer(multimodal, corridor_rail, corridor_road):
    # A to D: HSR A→C, transfer at C, conventional C→D
    expected = (
        access_s(corridor_rail, 1001)
        + BOARDING["highspeed"] * 60
        + link_time(corridor_rail, "highspeed", 1001, 1003)
        + DWELL_MIN * 60
        + link_time(corridor_rail, "highspeed", 1003, 1005)
        + TRANSFER_MIN * 60
        + link_time(corridor_rail, "conventional", 1005, 1020)
        + DWELL_MIN * 60  # at E
        + link_time(corridor_rail, "conventional", 1020, 1021)
        + access_s(corridor_rail, 1021)
    )
    assert time_between(multimodal, 11, 16) == pytest.approx(expected)
    road_only = time_between(corridor_road.graph, 11, 16)
    assert road_only > expected  # the slow road loses to the train


def test_boarding_penalty_only_on_boarding_arcs(multimodal, corridor_road, corridor_rail):
    n = corridor_road.graph.n_nodes
    coo = multimodal.matrix.tocoo()
    board = (coo.row < n) & (coo.col >= n)
    alight = (coo.row >= n) & (coo.col < n)
    # one boarding and one alighting arc per station × service
    stops = [
        (station, service)
        for station, services in zip(
            corridor_rail.stations["node_id"], corridor_rail.stations["services"], strict=True
        )
        for service in services.split(";")
    ]
    expected_board = sorted(access_s(corridor_rail, s) + BOARDING[v] * 60 for s, v in stops)
    expected_alight = sorted(access_s(corridor_rail, s) for s, _ in stops)
    np.testing.assert_allclose(np.sort(coo.data[board]), expected_board)
    np.testing.assert_allclose(np.sort(coo.data[alight]), expected_alight)
    assert (coo.data > 0).all()


def test_short_trip_stays_on_road(multimodal, corridor_road):
    # neighbouring road nodes: the multimodal graph gives the road time
    assert time_between(multimodal, 2, 3) == pytest.approx(time_between(corridor_road.graph, 2, 3))


def test_no_rail_gives_road_graph(corridor_road):
    graph = build_multimodal_graph(
        corridor_road.graph, empty_rail_edges(), empty_stations(), **SETTINGS
    )
    np.testing.assert_array_equal(graph.node_ids, corridor_road.graph.node_ids)
    assert (graph.matrix != corridor_road.graph.matrix).nnz == 0


def test_saved_graph_roundtrip(multimodal, tmp_path: Path):
    multimodal.save(tmp_path / "g.npz")
    loaded = CSRGraph.load(tmp_path / "g.npz")
    np.testing.assert_array_equal(loaded.node_ids, multimodal.node_ids)
    assert (loaded.matrix != multimodal.matrix).nnz == 0


@pytest.mark.realdata
def test_monaco_multimodal(monaco_pbf: Path):
    road, rail = build_real(monaco_pbf)
    graph = build_multimodal_graph(road.graph, rail.edges, rail.stations, **SETTINGS)
    n = road.graph.n_nodes
    # 3 track nodes (the station and both ends of the line) + 1 departure node
    assert graph.n_nodes == n + 4
    station_road = int(rail.stations["road_node_id"].iloc[0])
    times = travel_times(graph, graph.index_of(np.array([station_road])))[0]
    # both ends of the line in the tunnels are reached by train from the station
    reached_rail = np.isfinite(times[n:])
    assert reached_rail.all()
    board = access_s(rail, int(rail.stations["node_id"].iloc[0])) + BOARDING["conventional"] * 60
    assert np.nanmin(times[n:]) == pytest.approx(board)
    np.testing.assert_allclose(
        times[:n], travel_times(road.graph, graph.index_of(np.array([station_road])))[0]
    )


def _run_script(name: str, smk: SimpleNamespace) -> None:
    """Run a rule's script as Snakemake does: as ``__main__`` with a ``snakemake`` object."""
    path = Path(__file__).resolve().parent.parent / "workflow" / "scripts" / f"{name}.py"
    runpy.run_path(str(path), init_globals={"snakemake": smk}, run_name="__main__")


class _Named(SimpleNamespace):
    """Stand-in for Snakemake's named lists: attributes plus ``items()``."""

    def items(self):
        return vars(self).items()


def test_scripts_write_the_network_files(corridor_pbf: Path, tmp_path: Path):
    """The three rule scripts, run as Snakemake would call them, write readable outputs."""
    from tests.test_rail import corridor_units
    from tests.test_roads import admin_units_table, places_table

    study = load_study("demo")
    study["speeds"]["profile"] = "free_flow"  # the demo's observed trips are not in this folder

    def params(*names: str) -> _Named:
        """The rule's params: the plain values each settings class reads, by PARAMS name."""
        return _Named(**{name: PARAMS[name].select(study) for name in names})

    net = tmp_path / "network"
    write_table(admin_units_table(corridor_units()), ADMIN_UNITS, net / "admin_units.gpkg")
    write_table(places_table([(9, "B镇", 113.2, 27.996)]), PLACES, net / "places.parquet")
    ns = _Named
    road = ns(
        params=params("roads", "admin", "speeds"),
        input=ns(pbf=corridor_pbf, units=net / "admin_units.gpkg", places=net / "places.parquet"),
        output=ns(
            nodes=net / "road_nodes.parquet",
            edges=net / "road_edges.parquet",
            planned=net / "planned_ways.parquet",
            graph=net / "road_graph.npz",
            speed_fit=net / "speed_fit.csv",
            speed_samples=net / "speed_samples.csv",
        ),
        log=[str(tmp_path / "road_network.log")],
    )
    _run_script("road_network", road)
    rail = ns(
        params=params("rail", "admin"),
        input=ns(pbf=corridor_pbf, units=road.input.units, road_nodes=road.output.nodes),
        output=ns(edges=net / "rail_edges.parquet", stations=net / "rail_stations.parquet"),
        log=[str(tmp_path / "rail_network.log")],
    )
    _run_script("rail_network", rail)
    multi = ns(
        params=params("multimodal"),
        input=ns(
            road_nodes=road.output.nodes,
            road_graph=road.output.graph,
            rail_edges=rail.output.edges,
            stations=rail.output.stations,
        ),
        output=ns(graph=net / "multimodal_graph.npz"),
        log=[str(tmp_path / "multimodal_network.log")],
    )
    _run_script("multimodal_network", multi)
    nodes = gpd.read_parquet(road.output.nodes)
    stations = gpd.read_parquet(rail.output.stations)
    graph = CSRGraph.load(multi.output.graph)
    np.testing.assert_array_equal(graph.node_ids[: len(nodes)], nodes["node_id"])
    assert (graph.node_ids[len(nodes) :] < 0).all()
    assert set(stations["road_node_id"]) <= set(nodes["node_id"])
    # the anchored place keeps a road node right beside it on the corridor road (node 3 area)
    assert ((nodes["x"] - 113.2).abs() < 1e-9).any()


def multimodal_files(tmp_path: Path, corridor_road, corridor_rail) -> dict:
    """The multimodal stage's inputs, written from the corridor's networks by contract."""
    corridor_road.graph.save(tmp_path / "road_graph.npz")
    write_table(corridor_road.nodes, ROAD_NODES, tmp_path / "road_nodes.parquet")
    write_table(corridor_rail.edges, RAIL_EDGES, tmp_path / "rail_edges.parquet")
    write_table(corridor_rail.stations, RAIL_STATIONS, tmp_path / "rail_stations.parquet")
    names = {"road_graph": "road_graph.npz", "road_nodes": "road_nodes.parquet",
             "rail_edges": "rail_edges.parquet", "stations": "rail_stations.parquet"}  # fmt: skip
    return {name: tmp_path / file for name, file in names.items()}


def test_multimodal_stage_with_the_demo_settings(corridor_road, corridor_rail, tmp_path: Path):
    inputs = multimodal_files(tmp_path, corridor_road, corridor_rail)
    multimodal = study_settings(load_study("demo")).multimodal
    graph = run_multimodal_stage(inputs, {"graph": tmp_path / "m.npz"}, multimodal=multimodal)
    saved = CSRGraph.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(saved.node_ids, graph.node_ids)
    assert (saved.matrix != graph.matrix).nnz == 0
    assert graph.n_nodes == corridor_road.graph.n_nodes + 15


def test_multimodal_stage_refuses_rail_links_without_travel_times(
    corridor_road, corridor_rail, tmp_path: Path
):
    """A rail_edges file that breaks its contract is refused, naming the step to re-run."""
    inputs = multimodal_files(tmp_path, corridor_road, corridor_rail)
    edges = gpd.read_parquet(inputs["rail_edges"]).drop(columns="travel_time_s")
    edges.to_parquet(inputs["rail_edges"])
    multimodal = study_settings(load_study("demo")).multimodal
    with pytest.raises(
        DataError,
        match=r"rail_edges.*missing column\(s\) \['travel_time_s'\].*re-run the rail_network step",
    ):
        run_multimodal_stage(inputs, {"graph": tmp_path / "m.npz"}, multimodal=multimodal)
    assert not (tmp_path / "m.npz").exists()


def test_demo_hsr_beats_the_road(demo_rail):
    """From 东城站 (the planted HSR origin) the far city's station is reached sooner by rail."""
    truth, road, rail = demo_rail
    graph = build_multimodal_graph(road.graph, rail.edges, rail.stations, **SETTINGS)
    stations = rail.stations.set_index("name")
    origin = int(stations.loc[truth.expected["hsr_origin_station"], "road_node_id"])
    target = int(stations.loc["西城站", "road_node_id"])
    by_road = time_between(road.graph, origin, target)
    by_rail = time_between(graph, origin, target)
    assert by_rail < by_road
    ride = rail.edges.loc[rail.edges["u_station"].notna() & rail.edges["v_station"].notna()]
    ride_s = ride.loc[ride["service"] == "highspeed", "travel_time_s"].iloc[0]
    east = int(stations.loc[truth.expected["hsr_origin_station"], "node_id"])
    west = int(stations.loc["西城站", "node_id"])
    expected = access_s(rail, east) + BOARDING["highspeed"] * 60 + ride_s + access_s(rail, west)
    assert by_rail == pytest.approx(expected)


def test_stations_from_another_road_network(corridor_road, corridor_rail):
    stale = corridor_rail.stations.assign(road_node_id=999_999)
    with pytest.raises(DataError, match="re-run the rail_network step"):
        build_multimodal_graph(corridor_road.graph, corridor_rail.edges, stale, **SETTINGS)
