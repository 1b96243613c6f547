"""Speed calibration against observed trips (spatialint.network.calibration): reading trip
files, screening, and recovering known factors on a hand-made grid, the demo and Andorra."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from spatialint.config import load_study
from spatialint.contracts.io import read_table
from spatialint.contracts.network import SPEED_FIT, SPEED_SAMPLES
from spatialint.demo import DemoTruth, run_generate_demo_stage
from spatialint.demo.trips import TRUE_FACTORS, demo_network, edge_groups, urban_polygons
from spatialint.errors import DataError
from spatialint.network.calibration import (
    calibrate_road_edges,
    calibrate_speed_factors,
    read_observed_trips,
    trip_hours,
    write_calibration,
)
from spatialint.network.graph import CSRGraph
from spatialint.network.trip_paths import GroupedEdges, trip_group_seconds
from spatialint.publish.gcj02 import wgs84_to_gcj02
from spatialint.settings import SourceSettings

GROUPS = tuple(TRUE_FACTORS)
START = dict.fromkeys(GROUPS, 0.6)
FIT = {"bounds": (0.2, 1.2), "min_trips_per_group": 10, "snap_max_m": 300.0}
GRID_N = 30
GRID_STEP_DEG = 0.002  # ≈ 200 m
GRID_KPH = {"expressway": 100.0, "arterial": 60.0, "local": 30.0}


def grid_network() -> dict[str, np.ndarray]:
    """A 30 × 30 street grid near 113°E 28°N, two-way: every 10th line an expressway, every
    5th an arterial, the rest local; the central square urban. Plus a two-node island no
    trip can reach (nodes 900, 901)."""
    n = GRID_N
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    pos = i * n + j
    u, v, kind = [], [], []
    for a, b, line in ((pos[:, :-1], pos[:, 1:], i[:, :-1]), (pos[:-1], pos[1:], j[:-1])):
        cls = np.where(line % 10 == 0, "expressway", np.where(line % 5 == 0, "arterial", "local"))
        for x, y in ((a, b), (b, a)):
            u.append(x.ravel())
            v.append(y.ravel())
            kind.append(cls.ravel())
    u, v, kind = (np.concatenate(p) for p in (u, v, kind))
    mid_i, mid_j = (u // n + v // n) / 2, (u % n + v % n) / 2
    urban = (np.abs(mid_i - n / 2) < n / 4) & (np.abs(mid_j - n / 2) < n / 4)
    group = np.where(urban, "urban_", "rural_").astype(object) + kind.astype(object)
    lon = np.concatenate([113 + j.ravel() * GRID_STEP_DEG, [113.3, 113.302]])
    lat = np.concatenate([28 + i.ravel() * GRID_STEP_DEG, [28.0, 28.0]])
    u, v = np.concatenate([u, [n * n, n * n + 1]]), np.concatenate([v, [n * n + 1, n * n]])
    group = np.concatenate([group, ["rural_local"] * 2]).astype(str)
    length = np.full(u.size, GRID_STEP_DEG * 111_320 * np.cos(np.radians(28)))
    speed = pd.Series(group).str.split("_").str[1].map(GRID_KPH).to_numpy(dtype=float)
    return {"lon": lon, "lat": lat, "u": u, "v": v, "time_s": length / speed * 3.6,
            "group": group, "length_m": length}  # fmt: skip


def routed_minutes(net: dict, factors: dict[str, float], o: np.ndarray, d: np.ndarray):
    """Minutes of the fastest path of each trip when each group runs at ``factors``."""
    codes = pd.Series(net["group"]).map({g: k for k, g in enumerate(GROUPS)}).to_numpy()
    edges = GroupedEdges(len(net["lon"]), net["u"], net["v"], net["time_s"], codes, GROUPS)
    vector = np.array([factors[g] for g in GROUPS])
    return trip_group_seconds(edges, vector, o, d).modelled_s(vector) / 60


def grid_trips(net: dict, *, count: int, noise: float, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    o, d = rng.integers(0, GRID_N**2, count), rng.integers(0, GRID_N**2, count)
    o, d = o[o != d], d[o != d]
    minutes = routed_minutes(net, TRUE_FACTORS, o, d) * rng.uniform(1 - noise, 1 + noise, o.size)
    return trips_frame(net["lon"][o] + 0.0003, net["lat"][o], net["lon"][d], net["lat"][d], minutes)


def trips_frame(o_lon, o_lat, d_lon, d_lat, minutes) -> pd.DataFrame:  # noqa: ANN001
    return pd.DataFrame({"trip": np.arange(1, len(minutes) + 1), "o_lon": o_lon, "o_lat": o_lat,
                         "d_lon": d_lon, "d_lat": d_lat, "minutes": minutes,
                         "time_of_day": pd.NA})  # fmt: skip


def calibrate(net: dict, trips: pd.DataFrame, **options: object):
    return calibrate_speed_factors(
        net["lon"], net["lat"], net["u"], net["v"], net["time_s"], net["group"], trips,
        **{"start_factors": START, **FIT, "edge_length_m": net["length_m"], **options},
    )  # fmt: skip


def assert_recovered(factors: dict[str, float], groups, tolerance: float) -> None:  # noqa: ANN001
    for group in groups:
        assert factors[group] == pytest.approx(TRUE_FACTORS[group], rel=tolerance), group


@pytest.fixture(scope="module")
def grid() -> dict[str, np.ndarray]:
    return grid_network()


def test_parallel_edges_route_on_the_fastest_under_the_factors():
    """Of parallel edges u → v, a path takes the fastest under the factors (the first of
    equally fast ones), whatever order the edges come in."""
    groups = ("urban_local", "rural_local")
    u, v = np.array([0, 1, 0, 1, 1]), np.array([1, 2, 1, 2, 1])  # 0→1 twice; a self-loop
    time_s, group = np.array([60.0, 30.0, 90.0, 30.0, 5.0]), np.array([0, 1, 1, 0, 0])
    edges = GroupedEdges(3, u, v, time_s, group, groups)
    for factors, seconds in (((1.0, 1.0), [[60.0, 30.0]]), ((0.5, 1.0), [[0.0, 120.0]]),
                             ((1.0, 0.5), [[90.0, 0.0]])):  # fmt: skip
        paths = trip_group_seconds(edges, np.array(factors), np.array([0]), np.array([2]))
        np.testing.assert_array_equal(paths.seconds, seconds)


def test_limited_searches_find_the_same_paths(grid):
    """Searches stopped at each trip's limit give the paths of full searches, whether the
    limits bound the trips' times, fall short of them (searched again in full), are missing
    or negative, or the trip has no route (to the island); the grid's many equal-time paths
    included."""
    codes = pd.Series(grid["group"]).map({g: k for k, g in enumerate(GROUPS)}).to_numpy()
    edges = GroupedEdges(len(grid["lon"]), grid["u"], grid["v"], grid["time_s"], codes, GROUPS,
                         grid["length_m"])  # fmt: skip
    rng = np.random.default_rng(3)
    o, d = rng.integers(0, GRID_N**2, 200), rng.integers(0, GRID_N**2, 200)
    o, d = np.append(o, [0, 5]), np.append(d, [GRID_N**2, 5])  # no route; same node
    factors = np.array([TRUE_FACTORS[g] for g in GROUPS])
    full = trip_group_seconds(edges, factors, o, d)
    exact = full.modelled_s(factors)
    short = exact * rng.choice([0.5, 1.0, 3.0], exact.size)
    short[rng.random(exact.size) < 0.2] = np.nan
    for limit in (exact, short, np.full(exact.size, -60.0)):
        paths = trip_group_seconds(edges, factors, o, d, limit_s=limit)
        np.testing.assert_array_equal(paths.seconds, full.seconds)
        np.testing.assert_array_equal(paths.length_m, full.length_m)
        np.testing.assert_array_equal(paths.reached, full.reached)
    assert not full.reached[-2] and full.reached[-1]


def test_grid_exact_trips_recover_the_factors(grid):
    result = calibrate(grid, grid_trips(grid, count=250, noise=0.0))
    assert_recovered(result.factors, GROUPS, 0.005)
    assert result.converged and result.rounds <= 5
    fit = result.fit.set_index("group")
    assert (fit.loc[list(GROUPS), "status"] == "fitted").all()
    assert fit.loc["all", "trips"] == 250
    total = fit.loc["all"]
    assert total["median_error_after_min"] < 0.01 < total["median_error_before_min"]


def test_grid_noisy_trips_and_every_exclusion(grid, tmp_path: Path):
    good = grid_trips(grid, count=300, noise=0.03)
    lon, lat = grid["lon"], grid["lat"]
    bad = trips_frame(
        [np.nan, good.o_lon[0], 113.0, 113.0, 113.0, 113.0, 113.0],
        [28.0, good.o_lat[0], 27.0, 28.0, 28.0, 28.0, 28.0],
        [113.02, good.d_lon[0], 113.02, 113.0001, lon[900], lon[29], 113.002],
        [28.0, good.d_lat[0], 28.0, 28.0, lat[900], lat[29], 28.0],
        [5.0, good.minutes[0], 5.0, 3.0, 5.0, 0.5, 90.0],
    )  # fmt: skip
    trips = pd.concat([good, bad], ignore_index=True).assign(trip=lambda f: np.arange(len(f)) + 1)
    result = calibrate(grid, trips)
    reasons = result.samples["reason"].iloc[len(good) :].tolist()
    assert reasons == ["invalid", "duplicate", "not_snappable", "same_node", "no_route",
                       "too_fast", "too_slow"]  # fmt: skip
    assert result.samples["used"].sum() == len(good)
    assert_recovered(result.factors, GROUPS, 0.05)
    write_calibration(result, tmp_path / "fit.csv", tmp_path / "samples.csv")
    fit = read_table(tmp_path / "fit.csv", SPEED_FIT)
    samples = read_table(tmp_path / "samples.csv", SPEED_SAMPLES)
    assert list(fit["group"]) == [*GROUPS, "all"]
    assert samples["reason"].value_counts().to_dict() == {r: 1 for r in reasons}


def test_group_with_too_few_trips_keeps_its_start_factor(grid):
    result = calibrate(grid, grid_trips(grid, count=120, noise=0.0), min_trips_per_group=60)
    fit = result.fit.set_index("group")
    kept = fit.index[fit["status"].isin(["too_few_trips", "no_trips"])]
    assert len(kept) and "all" not in kept
    for group in kept:
        assert result.factors[group] == START[group] == fit.loc[group, "factor"]
        assert fit.loc[group, "trips"] < 60
    assert (fit.loc[fit["status"] == "fitted", "trips"] >= 60).all()


def test_every_trip_unsnappable_is_one_message(grid):
    trips = trips_frame([100.0], [20.0], [100.1], [20.0], [10.0])
    with pytest.raises(DataError, match=r"none of the 1 observed trips lies within 300 m"):
        calibrate(grid, trips)


def test_no_usable_trip_is_one_message(grid):
    trips = trips_frame([113.0], [28.0], [113.058], [28.0], [0.1])  # 5.7 km in 6 s
    with pytest.raises(DataError, match=r"no observed trip is usable.*'too_fast': 1"):
        calibrate(grid, trips)


def test_trips_csv_with_chinese_headers_in_gcj02(tmp_path: Path):
    lon, lat = np.array([113.01, 113.02]), np.array([28.01, 28.02])
    glon, glat = wgs84_to_gcj02(lon, lat)
    frame = pd.DataFrame({"起点经度": glon, "起点纬度": glat, "终点经度": glon[::-1],
                          "终点纬度": glat[::-1], "时长（分钟）": [12.5, "x"],
                          "时段": ["早高峰", "早高峰"]})  # fmt: skip
    path = tmp_path / "trips.csv"
    frame.to_csv(path, index=False, encoding="gb18030")
    trips = read_observed_trips(path, "gcj02")
    np.testing.assert_allclose(trips["o_lon"].iloc[0], lon[0], atol=1e-7)
    np.testing.assert_allclose(trips["d_lat"].iloc[0], lat[1], atol=1e-7)
    assert trips["minutes"].iloc[0] == 12.5 and np.isnan(trips["minutes"].iloc[1])
    assert trips["time_of_day"].iloc[0] == "早高峰"


def test_trips_geopackage_of_lines(tmp_path: Path):
    lines = gpd.GeoDataFrame(
        {"minutes": [7.0]}, geometry=[shapely.LineString([(113.0, 28.0), (113.1, 28.05)])],
        crs="EPSG:4326",
    ).to_crs(32649)  # fmt: skip
    lines.to_file(tmp_path / "trips.gpkg", driver="GPKG")
    trips = read_observed_trips(tmp_path / "trips.gpkg")
    np.testing.assert_allclose(trips.loc[0, ["o_lon", "o_lat", "d_lon", "d_lat"]].to_numpy(float),
                               [113.0, 28.0, 113.1, 28.05], atol=1e-7)  # fmt: skip
    assert trips.loc[0, "minutes"] == 7.0


@pytest.mark.parametrize(
    ("text", "crs", "message"),
    [
        ("minutes\n5\n", "wgs84", r"no trip coordinates \(missing o_lon, o_lat, d_lon, d_lat"),
        ("o_lon,o_lat,d_lon,d_lat\n113,28,113.1,28\n", "wgs84", "no minutes column"),
        ("o_lon,o_lat,d_lon,d_lat,minutes\n113,28,113.1,28,5\n", "bd09", "unknown coordinate "
         "system 'bd09'"),
        ("o_lon,o_lat,d_lon,d_lat,minutes,crs\n113,28,113.1,28,5,utm\n", "wgs84",
         "column crs: unknown coordinate system 'utm'"),
        ("o_lon,o_lat,d_lon,d_lat,minutes\n113,28,113.1,28,0\n", "wgs84", "no row has usable"),
        ("", "wgs84", "is empty"),
    ],
)  # fmt: skip
def test_bad_trip_files_are_one_message_each(tmp_path: Path, text, crs, message):
    path = tmp_path / "trips.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        read_observed_trips(path, crs)


def test_missing_trips_file(tmp_path: Path):
    with pytest.raises(DataError, match="does not exist"):
        read_observed_trips(tmp_path / "nowhere.csv")


def network_inputs(network) -> dict[str, np.ndarray]:  # noqa: ANN001
    graph: CSRGraph = network.graph
    u, v = graph.edge_positions(network.edges["u"].to_numpy(), network.edges["v"].to_numpy())
    return {"lon": graph.x, "lat": graph.y, "u": u, "v": v,
            "time_s": network.edges["travel_time_s"].to_numpy(float),
            "length_m": network.edges["length_m"].to_numpy(float)}  # fmt: skip


def test_demo_trips_recover_the_true_factors(tmp_path: Path):
    pbf, trips_path = tmp_path / "demo.osm.pbf", tmp_path / "observed_trips.csv"
    source = SourceSettings.from_study(load_study("demo"))
    outputs = {"pbf": str(pbf), "truth": str(tmp_path / "truth.json"), "trips": str(trips_path)}
    truth = run_generate_demo_stage({}, outputs, source=source)
    assert DemoTruth.load(tmp_path / "truth.json").true_speed_factors == TRUE_FACTORS
    assert truth.true_speed_factors == TRUE_FACTORS
    assert trips_path.read_text(encoding="utf-8").startswith("# SYNTHETIC")
    network = demo_network(pbf, truth.bbox)
    edges = network.edges.assign(
        speed_group=edge_groups(network.edges, urban_polygons(pbf)),
        free_flow_kph=network.edges["speed_kph"],
    )
    trips = read_observed_trips(trips_path)
    result = calibrate_road_edges(edges, network.graph, trips, start_factors=START,
                                  **{**FIT, "snap_max_m": 500.0})  # fmt: skip
    assert result.samples["o_node"].dropna().isin(network.graph.node_ids).all()
    fit = result.fit.set_index("group")
    fitted = [g for g in GROUPS if fit.loc[g, "status"] == "fitted"]
    assert set(GROUPS) - set(fitted) == {"urban_expressway"}  # no expressway in the cities
    assert_recovered(result.factors, fitted, 0.05)
    excluded = result.samples.loc[~result.samples["used"], "reason"].tolist()
    assert excluded == ["not_snappable", "duplicate", "too_fast", "too_slow"]


ANDORRA_URBAN_BOX = (1.505, 42.500, 1.545, 42.518)
"""Andorra la Vella and Escaldes-Engordany (the built-up valley floor), as one box."""
ANDORRA_FACTORS = {"urban_arterial": 0.6, "urban_local": 0.5, "rural_arterial": 0.85,
                   "rural_local": 0.75}  # fmt: skip
"""The documented speed assumption the Andorra trips are made from: in town half the local
free-flow speed and 0.6 of the main roads'; outside, mountain roads at 0.85 (main) and 0.75
(local) of theirs. (The extract has no motorway or trunk.)"""


def test_andorra_trips_recover_a_documented_speed_assumption(andorra_pbf: Path):
    from tests.test_roads import build_road_network, pbf_units, settings

    network = build_road_network(andorra_pbf, pbf_units(andorra_pbf), **settings())
    urban = edge_groups(network.edges, np.array([shapely.box(*ANDORRA_URBAN_BOX)]))
    net = {**network_inputs(network), "group": urban}
    truth = {**TRUE_FACTORS, **ANDORRA_FACTORS}
    rng = np.random.default_rng(7)
    lon, lat = net["lon"], net["lat"]
    in_town = np.flatnonzero(shapely.contains_xy(shapely.box(*ANDORRA_URBAN_BOX), lon, lat))
    o = np.concatenate([rng.choice(in_town, 150), rng.integers(0, lon.size, 150)])
    d = np.concatenate([rng.choice(in_town, 150), rng.integers(0, lon.size, 150)])
    codes = pd.Series(urban).map({g: k for k, g in enumerate(GROUPS)}).to_numpy()
    edges = GroupedEdges(lon.size, net["u"], net["v"], net["time_s"], codes, GROUPS)
    vector = np.array([truth[g] for g in GROUPS])
    paths = trip_group_seconds(edges, vector, o, d)
    minutes = paths.modelled_s(vector) / 60 * rng.uniform(0.97, 1.03, o.size)
    keep = paths.reached & (o != d)
    trips = trips_frame(lon[o][keep], lat[o][keep], lon[d][keep], lat[d][keep], minutes[keep])
    result = calibrate(net, trips)
    for group, factor in ANDORRA_FACTORS.items():
        assert result.factors[group] == pytest.approx(factor, rel=0.05), group
    assert set(result.fit.loc[result.fit["status"] == "no_trips", "group"]) == {
        "urban_expressway", "rural_expressway"}  # fmt: skip


@pytest.mark.parametrize("language", ["zh", "en"])
def test_report_section_states_the_fit_and_shows_the_scatter(grid, language):
    from spatialint.publish.report.calibration import calibration_section

    good = grid_trips(grid, count=80, noise=0.03)
    trips = pd.concat([good, good.iloc[[0]]], ignore_index=True).assign(trip=lambda f: f.index + 1)
    result = calibrate(grid, trips)
    page = "\n".join(calibration_section(result.fit, result.samples, language=language))
    words = {"zh": ("速度校准", "80条用于拟合", "城区主次干路", "重复样本", "校准后", "1:1 线"),
             "en": ("Speed calibration", "80 of 81 observed trips", "urban arterial",
                    "duplicate", "after calibration", "1:1 line")}[language]  # fmt: skip
    for word in words:
        assert word in page, word
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert "<text" in svg and "<path" in svg  # text stays text; points and line drawn


@pytest.mark.pipeline
def test_the_demo_run_calibrates_to_its_true_speeds(demo_run: Path):
    """The pipeline itself (road_network with the demo's ``speeds.profile: calibrated``):
    every group its trips inform is within 5 % of the truth, the road edges carry the fitted
    speeds, and the later stages see them (the graph's times are the edges')."""
    base = demo_run / "data" / "demo"
    truth = DemoTruth.load(base / "demo" / "truth.json").true_speed_factors
    fit = read_table(base / "network" / "speed_fit.csv", SPEED_FIT).set_index("group")
    fitted = fit.index[fit["status"] == "fitted"]
    assert set(truth) - set(fitted) == {"urban_expressway"}  # no expressway in the cities
    for group in fitted:
        assert fit.loc[group, "factor"] == pytest.approx(truth[group], rel=0.05), group
    assert fit.loc["all", "median_error_after_min"] < fit.loc["all", "median_error_before_min"]
    edges = pd.read_parquet(base / "network" / "road_edges.parquet")
    ratio = (edges["speed_kph"] / edges["free_flow_kph"]).groupby(edges["speed_group"]).mean()
    for group in fitted:
        assert ratio[group] == pytest.approx(fit.loc[group, "factor"], rel=1e-6), group


def test_without_a_calibration_the_tables_are_empty_and_read_back(tmp_path: Path):
    """Profiles free_flow and peak write both tables empty; the map and report read them."""
    fit, samples = tmp_path / "speed_fit.csv", tmp_path / "speed_samples.csv"
    write_calibration(None, fit, samples)
    assert read_table(fit, SPEED_FIT).empty and read_table(samples, SPEED_SAMPLES).empty
    assert list(read_table(fit, SPEED_FIT).columns) == list(SPEED_FIT.names)


def test_trip_hours_read_and_window():
    times = pd.Series(["07:30", "7", "2024-05-08 08:15:00", "8.5", "", None, "later", "23:10"])
    hours = trip_hours(times)
    np.testing.assert_allclose(hours[:4], [7.5, 7.0, 8.25, 8.5])
    assert np.isnan(hours[4:7]).all() and hours[7] == pytest.approx(23 + 10 / 60)


def test_only_trips_in_the_hours_window_are_fitted(grid):
    """speeds.trip_hours: trips outside the window, or without a time, are left out with
    their reason; the ones inside still recover the factors."""
    trips = grid_trips(grid, count=500, noise=0.0)
    times = np.resize(np.array(["07:40", "08:20", "12:00", ""], dtype=object), len(trips))
    trips = trips.assign(time_of_day=pd.array(np.where(times == "", None, times), dtype="string"))
    result = calibrate(grid, trips, hours=(7.0, 9.0))
    reasons = result.samples["reason"].to_numpy()
    assert (reasons[times == "12:00"] == "outside_hours").all()
    assert (reasons[times == ""] == "no_time").all()
    assert result.samples["used"].sum() == np.isin(times, ["07:40", "08:20"]).sum()
    assert_recovered(result.factors, GROUPS, 0.01)
