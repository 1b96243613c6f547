"""GTFS transit: exact travel times on a hand-made feed, odd and broken feeds, services."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from spatialint.config import load_study
from spatialint.demo.frame import km_to_lonlat
from spatialint.demo.truth import DemoTruth
from spatialint.errors import ConfigError, DataError
from spatialint.network.graph import CSRGraph
from spatialint.network.gtfs_cover import covered_rail_edges
from spatialint.network.gtfs_feed import read_feed
from spatialint.network.gtfs_graph import TransitArcs, join_transit
from spatialint.network.gtfs_services import service_of
from spatialint.network.routing import travel_times
from spatialint.network.transit import build_transit, lines_table, stops_table, transit_arcs
from spatialint.settings import TransitSettings
from tests.gtfs_fixture import road, stop_rows, stop_time_rows, write_feed

WALK_M_PER_S = 4.8 / 3.6
PLATFORM_S = 150.0  # 2.5 min each way
TRANSFER_S = 300.0
NO_COVER = pd.DataFrame({"u": [], "v": [], "service": []})


def settings(**changes) -> TransitSettings:
    study = load_study("demo")
    values = {**TransitSettings.select(study), "max_walk_m": 1500.0, **changes}
    return TransitSettings.from_config(values, where="transit")


def times_from_r0(feed: Path, transit: TransitSettings) -> np.ndarray:
    """Seconds from road node R0 to R0 … R10 over road + the feed's transit."""
    table = read_feed(feed, name="tiny", date=transit.date, weekday=transit.weekday)
    graph, edges = road()
    network, walks = build_transit([table], graph, edges, transit=transit)
    arcs = transit_arcs(network, walks, graph, NO_COVER, platform_min=transit.platform_min)
    return travel_times(join_transit(graph, arcs), np.array([0]))[0, :11]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return write_feed(tmp_path_factory.mktemp("gtfs") / "tiny")


def test_tiny_feed_exact_travel_times(tiny):
    """walk + platform + wait (half the headway) + in-vehicle (+ dwell) (+ transfer + wait) +
    platform + walk, to the second."""
    t = times_from_r0(tiny, settings())
    metro_wait, bus_wait = 600 / 2, 1200 / 2  # headways 10 and 20 min in the 2-hour window
    to_m = PLATFORM_S + metro_wait + 180 + PLATFORM_S  # A -3 min-> M
    to_b = PLATFORM_S + metro_wait + 180 + 60 + 120 + PLATFORM_S  # dwell 1 min at M
    to_c = to_b - PLATFORM_S + TRANSFER_S + bus_wait + 900 + PLATFORM_S  # change at SB
    walk_1km = 1000 / WALK_M_PER_S
    assert t[2] == pytest.approx(to_m)
    assert t[4] == pytest.approx(to_b)
    assert t[3] == pytest.approx(to_m + walk_1km)  # walk on from M beats driving (1,000 s)
    assert t[8] == pytest.approx(to_c)
    assert t[1] == pytest.approx(1000.0)  # by road: transit is slower here


def test_tiny_feed_lines_and_stops_tables(tiny):
    transit = settings()
    table = read_feed(tiny, name="tiny", date=None, weekday="monday")
    graph, edges = road()
    network, walks = build_transit([table], graph, edges, transit=transit)
    lines = lines_table(network, [table]).set_index(["from_stop", "to_stop"])
    assert lines.loc[("A", "M"), ["in_vehicle_min", "headway_min", "wait_min", "trips"]].tolist() \
        == [3.0, 10.0, 5.0, 12]  # fmt: skip
    assert lines.loc[("B2", "C"), "headway_min"] == 20.0
    assert set(lines["service"]) == {"metro", "bus"}
    stops = stops_table(network, walks, graph, transit.max_walk_m).set_index("station_id")
    assert stops.loc["SB", "services"] == "bus,metro"  # two platforms, one station
    assert stops["road_snap_m"].max() < 0.1


def test_times_past_midnight(tmp_path):
    """Trips at 24:00-26:00 (valid GTFS) give the same network as the morning's."""
    late = write_feed(tmp_path / "late", offset_min=17 * 60)  # 07:00 -> 24:00
    morning = times_from_r0(write_feed(tmp_path / "early"), settings())
    assert times_from_r0(late, settings(window=["24:00", "26:00"])) == pytest.approx(morning)


def test_untimed_stops_are_interpolated(tmp_path):
    rows = pd.DataFrame(stop_time_rows())
    rows.loc[rows["stop_id"] == "M", ["arrival_time", "departure_time"]] = ""
    feed = write_feed(tmp_path / "f", stop_times=rows)
    table = read_feed(feed, name="f", date=None, weekday="monday")
    m = table.stop_times[
        (table.stop_times["trip_id"] == "m0") & (table.stop_times["stop_id"] == "M")
    ]
    assert m[["arr_s", "dep_s"]].iloc[0].tolist() == [7 * 3600 + 180, 7 * 3600 + 180]


def test_platform_without_coordinates_takes_its_station(tmp_path):
    stops = pd.DataFrame(stop_rows())
    stops.loc[stops["stop_id"] == "B1", ["stop_lat", "stop_lon"]] = ""
    table = read_feed(
        write_feed(tmp_path / "f", stops=stops), name="f", date=None, weekday="monday"
    )
    s = table.stops.set_index("stop_id")
    assert s.loc["B1", ["lon", "lat"]].tolist() == s.loc["SB", ["lon", "lat"]].tolist()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"stop_times": None}, r"tiny: stop_times\.txt missing or empty"),
        ({"stops": None}, r"tiny: stops\.txt missing or empty"),
        ({"calendar": None}, r"calendar\.txt or calendar_dates\.txt missing"),
    ],
)
def test_missing_files(tmp_path, files, message):
    with pytest.raises(DataError, match=message):
        read_feed(write_feed(tmp_path / "f", **files), name="tiny", date=None, weekday="monday")


def test_duplicate_ids(tmp_path):
    stops = pd.DataFrame(stop_rows())
    stops = pd.concat([stops, stops.iloc[[0]]], ignore_index=True)
    with pytest.raises(DataError, match=r"stops\.txt repeats stop_id A \(lines 2, 8\)"):
        read_feed(write_feed(tmp_path / "s", stops=stops), name="f", date=None, weekday="monday")
    rows = pd.DataFrame(stop_time_rows())
    rows.loc[1, "stop_sequence"] = 0
    with pytest.raises(DataError, match=r"repeats a stop_sequence within trips m0 \(lines 2, 3\)"):
        read_feed(write_feed(tmp_path / "t", stop_times=rows), name="f", date=None,
                  weekday="monday")  # fmt: skip


def test_stop_without_coordinates(tmp_path):
    stops = pd.DataFrame(stop_rows())
    stops.loc[stops["stop_id"] == "C", "stop_lat"] = ""
    with pytest.raises(DataError, match=r"no usable stop_lat/stop_lon .* stops C \(lines 7\)"):
        read_feed(write_feed(tmp_path / "f", stops=stops), name="f", date=None, weekday="monday")


def test_bad_time(tmp_path):
    rows = pd.DataFrame(stop_time_rows())
    rows.loc[4, "arrival_time"] = "7h30"
    with pytest.raises(DataError, match=r"arrival_time 7h30 \(lines 6\) is not a time"):
        read_feed(write_feed(tmp_path / "f", stop_times=rows), name="f", date=None,
                  weekday="monday")  # fmt: skip


def test_no_service_on_the_day(tiny):
    saturday = (
        r"no service runs on 2025-06-07 \(a saturday\); "
        r"calendar\.txt: services WK from 20250101 to 20251231 on monday, "
    )
    with pytest.raises(DataError, match=saturday):
        read_feed(tiny, name="f", date="2025-06-07", weekday="monday")
    with pytest.raises(DataError, match="no service runs on any sunday"):
        read_feed(tiny, name="f", date=None, weekday="sunday")


def test_no_trip_in_the_window(tiny):
    table = read_feed(tiny, name="tiny", date=None, weekday="monday")
    graph, edges = road()
    with pytest.raises(DataError, match=r"tiny: no trip departs within the window 10:00–12:00 on "
                       r"2025-01-06; its 18 trips of that day run 07:00–09:00"):  # fmt: skip
        build_transit([table], graph, edges, transit=settings(window=["10:00", "12:00"]))


def test_station_far_from_roads(tmp_path, caplog):
    stops = pd.DataFrame(stop_rows())
    stops.loc[stops["stop_id"] == "C", "stop_lat"] = "28.0"  # ~11 km north of the road
    table = read_feed(write_feed(tmp_path / "f", stops=stops), name="f", date=None,
                      weekday="monday")  # fmt: skip
    graph, edges = road()
    with caplog.at_level(logging.WARNING, logger="spatialint"):
        network, walks = build_transit([table], graph, edges, transit=settings())
    assert "farther than transit.max_walk_m (1500 m) from any road" in caplog.text
    assert "Stop C (f, 11" in caplog.text
    stops_out = stops_table(network, walks, graph, 1500.0).set_index("station_id")
    assert not stops_out.loc["C", "walk_reachable"] and stops_out.loc["A", "walk_reachable"]


def test_two_feeds_side_by_side(tmp_path):
    transit = settings()
    graph, edges = road()
    tables = [read_feed(write_feed(tmp_path / n), name=n, date=None, weekday="monday")
              for n in ("a", "b")]  # fmt: skip
    network, _ = build_transit(tables, graph, edges, transit=transit)
    assert sorted(network.stations["feed"].unique()) == ["a", "b"]
    assert len(network.stations) == 8


@pytest.mark.parametrize(
    ("route_type", "short", "service"),
    [(101, "", "highspeed"), (2, "G71", "highspeed"), (2, "D3", "highspeed"),
     (2, "C7101", "intercity"), (2, "K9", "conventional"), (2, "Cargo", "conventional"),
     (102, "", "conventional"), (106, "", "intercity"), (1, "", "metro"), (0, "", "metro"),
     (401, "", "metro"), (900, "", "metro"), (3, "", "bus"), (700, "", "bus"),
     (200, "", "bus"), (4, "", "other"), (1300, "", "other")],
)  # fmt: skip
def test_route_types(route_type, short, service):
    assert service_of(route_type, short) == service


def test_settings_checks():
    with pytest.raises(ConfigError, match="transit.window .* must end after it starts"):
        settings(window=["09:00", "07:00"])
    with pytest.raises(ConfigError, match="more than twice transit.platform_min"):
        settings(transfer_penalty_min=10, platform_min=2)
    with pytest.raises(ConfigError, match="transit.date is '2025-02-30', not a date"):
        settings(date="2025-02-30")
    assert settings(window=["23:00", "25:30"]).window_s == (23 * 3600, 25 * 3600 + 1800)


def test_transit_arcs_file_round_trip(tiny, tmp_path):
    transit = settings()
    table = read_feed(tiny, name="tiny", date=None, weekday="monday")
    graph, edges = road()
    network, walks = build_transit([table], graph, edges, transit=transit)
    arcs = transit_arcs(network, walks, graph, NO_COVER, platform_min=2.5)
    arcs.save(tmp_path / "t.npz")
    back = TransitArcs.load(tmp_path / "t.npz")
    np.testing.assert_array_equal(back.walk_s, arcs.walk_s)
    stale = replace(back, walk_road=back.walk_road + 1000)
    with pytest.raises(DataError, match="re-run the transit_network step"):
        join_transit(graph, stale)


# ------------------------------------------------------------------------------------------
# the demo: its SYNTHETIC feed, recorded in truth.json, drives the multimodal circles


@pytest.mark.pipeline
def test_demo_feed_timetable_as_recorded(demo_run):
    """Each demo line's headway and in-vehicle minutes are those truth.json records."""
    truth = DemoTruth.load(demo_run / "data/demo/demo/truth.json")
    lines = pd.read_parquet(demo_run / "data/demo/network/transit_lines.parquet")
    for line in truth.transit["lines"]:
        rows = lines[lines["line_id"] == f"{line['route_id']}|0"]
        order = dict(zip(rows["from_name"], rows.index, strict=True))
        got = rows.loc[[order[s] for s in line["stops"][:-1]]]
        assert got["in_vehicle_min"].tolist() == line["ride_min"], line["route_id"]
        assert (got["headway_min"] == line["headway_min"]).all(), line["route_id"]
        assert set(got["service"]) == {line["service"]}


@pytest.mark.pipeline
def test_demo_hsr_journey_exact(demo_run):
    """东城高铁站 → 西城站 on the multimodal graph: walk + platform + security (boarding_min)
    + half the 30-min headway + 40 min + platform + walk, exactly."""
    truth = DemoTruth.load(demo_run / "data/demo/demo/truth.json")
    transit = TransitSettings.from_study(load_study("demo"))
    stops = pd.read_parquet(demo_run / "data/demo/network/transit_stops.parquet").set_index("name")
    hsr = next(ln for ln in truth.transit["lines"] if ln["service"] == "highspeed")
    walk = (stops.loc["东城站", "road_snap_m"] + stops.loc["西城站", "road_snap_m"]) / (
        transit.walk_kph / 3.6
    )
    expected = walk + 60 * (
        2 * transit.platform_min + transit.boarding_min["highspeed"]
        + hsr["headway_min"] / 2 + hsr["ride_min"][0]
    )  # fmt: skip
    times = np.load(demo_run / "data/demo/access/travel_times_multimodal.npz")
    origins = gpd.read_file(demo_run / "data/demo/access/origins.gpkg")
    row = int(np.flatnonzero(origins["matched"] == truth.expected["hsr_origin_station"])[0])
    graph = CSRGraph.load(demo_run / "data/demo/network/multimodal_graph.npz")
    assert int(origins.loc[row, "node_id"]) == stops.loc["东城站", "road_node_id"]
    target = graph.index_of(np.array([stops.loc["西城站", "road_node_id"]]))[0]
    assert float(times["seconds"][row, target]) == pytest.approx(expected, abs=0.01)


@pytest.mark.pipeline
def test_demo_feed_replaces_osm_rail(demo_run):
    """The feed covers the HSR, intercity and metro lines: no OSM-rail node is left."""
    graph = CSRGraph.load(demo_run / "data/demo/network/multimodal_graph.npz")
    road_graph = CSRGraph.load(demo_run / "data/demo/network/road_graph.npz")
    transit = TransitArcs.load(demo_run / "data/demo/network/transit_graph.npz")
    assert graph.n_nodes == road_graph.n_nodes + transit.n_nodes
    assert sorted(set(transit.drop_service)) == ["highspeed", "intercity", "metro"]


@pytest.mark.pipeline
def test_demo_map_shows_transit_lines_with_headways(demo_run):
    page = (demo_run / "maps/demo/index.html").read_text(encoding="utf-8")
    for text in ("高速铁路（发车间隔 30 分钟）", "城际铁路（发车间隔 60 分钟）",
                 "地铁/轻轨（发车间隔 6 分钟）", "公交（发车间隔 10 分钟）"):  # fmt: skip
        assert f"时刻表线路：{text}" in page


def test_cover_needs_two_stations_of_the_same_service(caplog):
    """A line is replaced when two of its stations have a feed stop of its service nearby;
    its third station, without one, is named in the log."""
    lon, lat = km_to_lonlat(np.array([0.0, 10.0, 20.0, 0.0, 1.0]), np.zeros(5))
    stations = gpd.GeoDataFrame(
        {"node_id": [1, 2, 3, 4, 5], "name": ["W", "M", "E", "m1", "m2"]},
        geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326",
    )  # fmt: skip
    edges = pd.DataFrame({
        "u": [1, 2, 4], "v": [2, 3, 5], "service": ["highspeed", "highspeed", "metro"],
        "name": ["HSR", "HSR", "Metro"],
        "u_station": pd.array([1, 2, 4], dtype="Int64"),
        "v_station": pd.array([2, 3, 5], dtype="Int64"),
    })  # fmt: skip
    near = km_to_lonlat(np.array([0.2, 10.3, 1.0]), np.array([0.0, 0.0, 0.0]))
    feed = pd.DataFrame({"lon": near[0], "lat": near[1],
                         "services": ["highspeed", "bus,highspeed", "bus"]})  # fmt: skip
    with caplog.at_level(logging.INFO, logger="spatialint"):
        mask = covered_rail_edges(edges, stations, feed, cover_m=500)
    assert mask.tolist() == [True, True, False]  # the metro has no metro stop in the feed
    assert "E (highspeed)" in caplog.text and "HSR" in caplog.text
    assert not covered_rail_edges(edges, stations, feed, cover_m=100).any()


def test_feed_path_missing_or_not_a_zip(tmp_path):
    with pytest.raises(DataError, match=r"GTFS feed x: .*nope\.zip does not exist; set transit"):
        read_feed(tmp_path / "nope.zip", name="x", date=None, weekday="monday")
    (tmp_path / "bad.zip").write_text("not a zip")
    with pytest.raises(DataError, match=r"GTFS feed y: cannot be read"):
        read_feed(tmp_path / "bad.zip", name="y", date=None, weekday="monday")
