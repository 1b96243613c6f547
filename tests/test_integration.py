"""Corridor integration measures, each checked on a tiny hand-made network.

The main fixture is a 20 × 10 km world in UTM zone 50N (near 长沙, so ``utm_crs_for`` picks the
same zone): unit A is x 0–10 km, unit B x 10–20 km. Road nodes sit on a 1 km grid at the cell
centres (x = 0.5 … 19.5 km, y = 0.5 … 9.5 km); every arc is 1 km long and takes 120 s
(30 km/h). Row 4 is a primary road, the rest residential. Which rows cross the border is a
parameter. The road+rail graph adds a rail link from A's centre to B's centre taking 900 s in
all (3 × 300 s).
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from pandas.testing import assert_frame_equal

from spatialint.config import load_schema, study_schema, validate
from spatialint.contracts import CORRIDORS, DEAD_ENDS
from spatialint.contracts.io import read_table
from spatialint.errors import ConfigError, DataError
from spatialint.integration.backlog import gap_backlog
from spatialint.integration.border import (
    assign_units,
    border_crossings,
    longest_uncrossed_m,
    road_class,
    shared_borders,
)
from spatialint.integration.index import integration_index
from spatialint.integration.penalty import border_penalty
from spatialint.integration.reach import ReachGrid, RoadSnap, jaccard
from spatialint.integration.routes import arc_lengths, redundant_routes
from spatialint.integration.stage import run_integration_stage, write_corridors
from spatialint.integration.summary import corridor_summary
from spatialint.integration.table import corridor_table
from spatialint.network.graph import CSRGraph
from spatialint.settings import CorridorSpec, IndexSettings, IntegrationSettings

UTM = "EPSG:32650"
X0, Y0 = 500_000.0, 3_100_000.0  # UTM 50N central meridian (117°E), ~28°N
KM = 1000.0
ARC_S = 120.0
COLS, ROWS = 20, 10


def to_wgs(x_km, y_km):
    t = pyproj.Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
    return t.transform(X0 + np.asarray(x_km) * KM, Y0 + np.asarray(y_km) * KM)


def square(x0, y0, x1, y1):
    return shapely.box(X0 + x0 * KM, Y0 + y0 * KM, X0 + x1 * KM, Y0 + y1 * KM)


def node_id(col, row):
    return 1000 + row * COLS + col


def make_world(crossing_rows=tuple(range(ROWS))):
    """Units, edges, road and road+rail graphs, places and origins of the grid world."""
    lon, lat = to_wgs([4.5, 14.5, 10.0], [4.5, 4.5, 5.0])
    units = gpd.GeoDataFrame(
        {
            "unit_id": ["r1", "r2", "r9"],
            "name": ["甲区", "乙区", "合市"],
            "name_en": ["A", "B", "City"],
            "admin_level": [6, 6, 5],
            "parent_id": ["r9", "r9", ""],
            "centre_lon": lon,
            "centre_lat": lat,
        },
        geometry=[square(0, 0, 10, 10), square(10, 0, 20, 10), square(0, 0, 20, 10)],
        crs=UTM,
    ).to_crs("EPSG:4326")
    cols, rows = np.meshgrid(np.arange(COLS), np.arange(ROWS))
    cols, rows = cols.ravel(), rows.ravel()
    ids = node_id(cols, rows)
    nlon, nlat = to_wgs(cols + 0.5, rows + 0.5)
    recs = []
    for r in range(ROWS):
        for c in range(COLS - 1):
            if c == 9 and r not in crossing_rows:
                continue
            hw = "primary" if r == 4 else "residential"
            recs.append((node_id(c, r), node_id(c + 1, r), 100 + r, hw, (c, r), (c + 1, r)))
    for c in range(COLS):
        for r in range(ROWS - 1):
            recs.append(
                (node_id(c, r), node_id(c, r + 1), 200 + c, "residential", (c, r), (c, r + 1))
            )
    rows_out = []
    for u, v, osmid, hw, pu, pv in recs:
        for a, b, pa, pb in ((u, v, pu, pv), (v, u, pv, pu)):
            line = shapely.LineString(
                [
                    (X0 + (pa[0] + 0.5) * KM, Y0 + (pa[1] + 0.5) * KM),
                    (X0 + (pb[0] + 0.5) * KM, Y0 + (pb[1] + 0.5) * KM),
                ]
            )
            rows_out.append(
                {
                    "u": a,
                    "v": b,
                    "key": 0,
                    "osmid": osmid,
                    "highway": hw,
                    "length_m": 1000.0,
                    "travel_time_s": ARC_S,
                    "unit_id": "",
                    "geometry": line,
                }
            )
    edges = gpd.GeoDataFrame(rows_out, geometry="geometry", crs=UTM).to_crs("EPSG:4326")
    pos = {int(i): k for k, i in enumerate(ids)}
    iu = np.array([pos[u] for u in edges["u"]])
    iv = np.array([pos[v] for v in edges["v"]])
    road = CSRGraph.from_arcs(ids, nlon, nlat, iu, iv, edges["travel_time_s"].to_numpy())
    # road + rail: rail nodes -1 (at A's centre) and -2 (at B's centre)
    n = len(ids)
    a_c, b_c = pos[node_id(4, 4)], pos[node_id(14, 4)]
    rail_src = np.array([a_c, n, n, n + 1, n + 1, b_c])
    rail_dst = np.array([n, a_c, n + 1, n, b_c, n + 1])
    mm = CSRGraph.from_arcs(
        np.concatenate([ids, [-1, -2]]),
        np.concatenate([nlon, [nlon[a_c], nlon[b_c]]]),
        np.concatenate([nlat, [nlat[a_c], nlat[b_c]]]),
        np.concatenate([iu, rail_src]),
        np.concatenate([iv, rail_dst]),
        np.concatenate([edges["travel_time_s"].to_numpy(), np.full(6, 300.0)]),
    )
    plon, plat = to_wgs([10.5, 18.5, 2.5], [4.5, 8.5, 2.5])
    places = gpd.GeoDataFrame(
        {"name": ["近镇", "远镇", "甲镇"], "population": [1000, 3000, np.nan]},
        geometry=gpd.points_from_xy(plon, plat),
        crs="EPSG:4326",
    )
    olon, olat = to_wgs([4.5, 13.5], [4.5, 7.5])
    origins = gpd.GeoDataFrame(
        {
            "origin_id": ["o1", "o2"],
            "name": ["甲中心", "乙北"],
            "kind": ["place", "place"],
            "node_id": [node_id(4, 4), node_id(13, 7)],
        },
        geometry=gpd.points_from_xy(olon, olat),
        crs="EPSG:4326",
    )
    return units, edges, road, mm, places, origins


def default_settings() -> IntegrationSettings:
    """The schema's defaults (a study that sets nothing)."""
    study = validate({"source": {"kind": "demo"}}, study_schema(load_schema()), source="test")
    return IntegrationSettings.from_study(study)


DEFAULTS = default_settings()
SETTINGS = replace(
    DEFAULTS,
    border_levels=(6,),
    reach_band_min=20.0,
    reach_cell_m=1000.0,
    access_buffer_m=600.0,
    border_penalty=replace(
        DEFAULTS.border_penalty,
        sources_per_side=100,
        targets_per_side=100,
        bands_km=(0.5, 1, 2, 4, 8, 16, 32),
        min_pairs_per_band=5,
    ),
    language="en",
)
A_TO_B_NORTH = CorridorSpec(from_="甲中心", to="乙北", name="甲–乙北")


def corridors(*specs):
    """SETTINGS with the named corridors ``specs`` as (from, to) or (from, to, name)."""
    return replace(
        SETTINGS,
        corridors=tuple(CorridorSpec(s[0], s[1], s[2] if len(s) > 2 else None) for s in specs),
    )


def run(crossing_rows=tuple(range(ROWS)), settings=None, **kwargs):
    units, edges, road, mm, places, origins = make_world(crossing_rows)
    settings = settings or SETTINGS
    return corridor_table(
        units, edges, road, mm, settings=settings, origins=origins, places=places, **kwargs
    )


def dead_ends(**columns):
    """A hand-made ``dead_ends`` table: the columns the backlog reads, every gap open
    (status 待核实, confidence medium) and without population unless given."""
    n = len(columns["unit_id"])
    base = {"status": ["待核实"] * n, "confidence": ["medium"] * n,
            "person_minutes_saved": [np.nan] * n}  # fmt: skip
    return pd.DataFrame({**base, **columns})


@pytest.fixture(scope="module")
def full():
    return run()


@pytest.fixture(scope="module")
def gappy():
    return run(crossing_rows=(4, 8))


def pair(table):
    return table[table["kind"] == "neighbours"].iloc[0]


# ---------------------------------------------------------------------------------------
# 1. border permeability


def test_neighbours_only_at_border_level_and_one_pair(full):
    rows = full[full["kind"] == "neighbours"]
    assert len(rows) == 1  # the level-5 unit is ignored
    assert {rows.iloc[0]["unit_a"], rows.iloc[0]["unit_b"]} == {"甲区", "乙区"}


def test_crossings_by_class_per_10km_and_longest_stretch(full, gappy):
    p = pair(full)
    assert p["border_km"] == pytest.approx(10.0, rel=1e-6)
    # 10 rows cross x = 10 km: row 4 primary (weight 2), 9 residential (weight 0.5)
    assert p["crossings"] == 10
    assert p["crossings_primary"] == 1 and p["crossings_minor"] == 9
    assert p["weighted_crossings"] == pytest.approx(2 + 9 * 0.5)
    assert p["crossings_per_10km"] == pytest.approx(10.0, rel=1e-6)
    assert p["weighted_crossings_per_10km"] == pytest.approx(6.5, rel=1e-6)
    # crossings at y = 0.5, 1.5, ... 9.5: longest stretch 1 km between two of them
    assert p["longest_uncrossed_km"] == pytest.approx(1.0, rel=1e-6)
    g = pair(gappy)
    assert g["crossings"] == 2 and g["crossings_primary"] == 1
    assert g["weighted_crossings_per_10km"] == pytest.approx(2.5, rel=1e-6)
    # crossings at y = 4.5 and 8.5 km: stretches 4.5, 4.0, 1.5 km
    assert g["longest_uncrossed_km"] == pytest.approx(4.5, rel=1e-6)


def test_corner_touch_is_not_a_border_and_snapping_closes_slivers():
    units = gpd.GeoDataFrame(
        geometry=[
            square(0, 0, 1, 1),
            square(1.00002, 0, 2, 1),  # 2 cm sliver to the first
            square(1, 1, 2, 2),  # touches the first only at a corner
        ],
        crs=UTM,
    )
    borders = shared_borders(units, tolerance_m=50)
    assert sorted(zip(borders["a"], borders["b"], strict=True)) == [(0, 1), (1, 2)]
    km = dict(zip(zip(borders["a"], borders["b"], strict=True), borders["border_km"], strict=True))
    assert km[(0, 1)] == pytest.approx(1.0, abs=1e-3)


def test_touching_and_parallel_roads_do_not_count_twoway_counts_once():
    units = gpd.GeoDataFrame(geometry=[square(0, 0, 1, 1), square(1, 0, 2, 1)], crs=UTM)
    borders = shared_borders(units, tolerance_m=50)

    def line(*pts):
        return shapely.LineString([(X0 + x * KM, Y0 + y * KM) for x, y in pts])

    edges = gpd.GeoDataFrame(
        {
            "u": [1, 2, 3, 5],
            "v": [2, 1, 4, 6],
            "osmid": [10, 10, 11, 12],
            "highway": ["trunk_link", "trunk_link", "residential", "residential"],
        },
        geometry=[
            line((0.5, 0.5), (1.5, 0.5)),  # crosses, stored both ways
            line((1.5, 0.5), (0.5, 0.5)),
            line((0.5, 0.8), (1.0, 0.8)),  # dead end ending on the border
            line((0.9, 0.1), (0.95, 0.9)),  # wholly in A
        ],
        crs=UTM,
    )
    node_pts = gpd.GeoSeries(
        shapely.points(
            [
                (X0 + x * KM, Y0 + y * KM)
                for x, y in [
                    (0.5, 0.5),
                    (1.5, 0.5),
                    (0.5, 0.8),
                    (1.0, 0.8),
                    (0.9, 0.1),
                    (0.95, 0.9),
                ]
            ]
        ),
        crs=UTM,
    )
    node_unit = assign_units(node_pts, units)  # the border node goes to the first unit
    unit_of = dict(zip([1, 2, 3, 4, 5, 6], node_unit, strict=True))
    eu = np.array([unit_of[u] for u in edges["u"]])
    ev = np.array([unit_of[v] for v in edges["v"]])
    found = border_crossings(borders, edges, (eu, ev))
    assert len(found) == 1
    assert found["road_class"].iloc[0] == "trunk"


def test_road_class_groups():
    got = road_class(pd.Series(["motorway_link", "trunk", "service", "tertiary_link", "x"]))
    assert got.tolist() == ["motorway", "trunk", "minor", "tertiary", "minor"]


def test_longest_uncrossed_on_a_closed_ring_wraps_around():
    ring = shapely.LineString([(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)])  # 40 m around
    pts = np.array([shapely.Point(5, 0), shapely.Point(10, 5)])  # at 5 m and 15 m
    assert longest_uncrossed_m(ring, pts) == pytest.approx(30.0)  # 15 → 40 → 5
    assert longest_uncrossed_m(ring, np.array([], dtype=object)) == pytest.approx(40.0)
    line = shapely.LineString([(0, 0), (10, 0)])
    assert longest_uncrossed_m(line, np.array([shapely.Point(3, 0)])) == pytest.approx(7.0)


# ---------------------------------------------------------------------------------------
# 2. centre-to-centre travel


def test_centre_to_centre_times_speeds_and_detour(full):
    p = pair(full)
    # centres at grid nodes (4, 4) and (14, 4): 10 arcs of 120 s by road; rail 3 × 300 s
    assert p["straight_km"] == pytest.approx(10.0, rel=1e-3)
    assert p["road_min"] == pytest.approx(20.0)
    assert p["multimodal_min"] == pytest.approx(15.0)
    assert p["road_kph"] == pytest.approx(30.0, rel=1e-3)
    assert p["multimodal_kph"] == pytest.approx(40.0, rel=1e-3)
    assert p["road_km"] == pytest.approx(10.0)
    assert p["detour_index"] == pytest.approx(1.0, rel=1e-3)
    named = run(settings=replace(SETTINGS, corridors=(A_TO_B_NORTH,)))
    assert named["kind"].tolist() == ["corridor"]  # the pair once, under the planners' name
    c = named.iloc[0]
    assert c["name"] == "甲–乙北" and {c["unit_a"], c["unit_b"]} == {"甲区", "乙区"}
    assert c["crossings"] == p["crossings"] and c["border_km"] == p["border_km"]
    # origins at nodes (4, 4) and (13, 7): 9 + 3 km of road over a √90 km straight line
    assert c["road_km"] == pytest.approx(12.0)
    assert c["detour_index"] == pytest.approx(12.0 / math.sqrt(90.0), rel=1e-3)
    assert c["road_min"] == pytest.approx(24.0)


def test_arc_lengths_follow_the_fastest_parallel_edge():
    graph = CSRGraph.from_arcs(
        np.array([7, 8, 9]),
        np.zeros(3),
        np.zeros(3),
        np.array([0, 0, 1]),
        np.array([1, 1, 2]),
        np.array([50.0, 30.0, 10.0]),
    )
    edges = pd.DataFrame(
        {
            "u": [7, 7, 8],
            "v": [8, 8, 9],
            "length_m": [400.0, 900.0, 100.0],
            "travel_time_s": [50.0, 30.0, 10.0],
        }
    )
    assert arc_lengths(graph, edges).tolist() == [900.0, 100.0]
    with pytest.raises(DataError, match="no matching road edge"):
        arc_lengths(graph, edges.iloc[:2])


# ---------------------------------------------------------------------------------------
# 3. reach


def manhattan_reached(centre, band_arcs):
    return {
        (c, r)
        for c in range(COLS)
        for r in range(ROWS)
        if abs(c - centre[0]) + abs(r - centre[1]) <= band_arcs
    }


def test_reach_shares_population_and_overlap(full):
    p = pair(full)
    # 20-min band = 10 arcs: B's cells within Manhattan distance 10 of (4, 4):
    # columns 10..14 hold 9 + 7 + 5 + 3 + 1 = 25 of B's 100 cells
    assert p["reach_road_ab"] == pytest.approx(0.25)
    # back from (14, 4): columns 9..4 of A hold 10 + 9 + 7 + 5 + 3 + 1 = 35 (row 9 is 5 away)
    assert p["reach_road_ba"] == pytest.approx(0.35)
    # road+rail: also cells within 2 arcs of B's centre after the 15-min rail ride (+8 cells)
    assert p["reach_mm_ab"] == pytest.approx(0.33)
    # population: 近镇 (1000, reached) and 远镇 (3000, not) lie in B; A has no population
    assert p["pop_reach_road_ab"] == pytest.approx(0.25)
    assert math.isnan(p["pop_reach_road_ba"])
    a = manhattan_reached((4, 4), 10)
    b = manhattan_reached((14, 4), 10)
    assert p["overlap_road"] == pytest.approx(len(a & b) / len(a | b))


def test_reach_grid_and_road_snap_by_hand():
    units = gpd.GeoDataFrame(geometry=[square(0, 0, 2, 1), square(2, 0, 3, 1)], crs=UTM)
    edges = gpd.GeoDataFrame(  # one one-way road from (0.5, 0.5) to (1.5, 0.5) km, 100 s
        {"travel_time_s": [100.0]},
        geometry=[shapely.LineString([(X0 + 500, Y0 + 500), (X0 + 1500, Y0 + 500)])],
        crs=UTM,
    )
    grid = ReachGrid.build(units, edges, np.array([0]), cell_m=1000, snap_m=400)
    cell_unit = assign_units(grid.cells(UTM), units)
    assert cell_unit.tolist() == [0, 0, 1]
    # cell 0 sits at the road's start, cell 1 at its end (start + 100 s), cell 2 is 1 km away
    assert grid.snap.times(np.array([10.0])).tolist()[:2] == [10.0, 110.0]
    assert math.isnan(grid.snap.times(np.array([10.0]))[2])
    reached = grid.reached(np.array([10.0], dtype=np.float32), 60.0)
    assert reached.tolist() == [True, False, False]
    assert grid.share(reached, cell_unit == 0) == 0.5
    assert grid.share(reached, cell_unit == 1) == 0.0
    assert math.isnan(grid.share(reached, cell_unit == 2))
    # a point 100 m beside the middle of the road: start + half the road's time
    mid = RoadSnap.build(
        np.array([shapely.Point(X0 + 1000, Y0 + 600)]),
        edges.geometry.values,
        np.array([0]),
        np.array([100.0]),
        max_distance_m=400,
    )
    assert mid.times(np.array([10.0])).tolist() == [60.0]
    assert jaccard(np.array([1, 1, 0], bool), np.array([0, 1, 1], bool)) == pytest.approx(1 / 3)


# ---------------------------------------------------------------------------------------
# 4. border penalty


def test_border_penalty_by_hand():
    cross_s = [10, 12, 14, 60, 30, np.nan, 99]
    cross_km = [2, 2, 2, 15, 15, 5, 50]  # the NaN pair and the pair beyond 20 km drop
    inside_s = [8, 10, 6, 10, 20, 30, 30]
    inside_km = [2, 2, 2, 15, 15, 15, 15]
    penalty, n_cross, n_inside = border_penalty(
        cross_s, cross_km, inside_s, inside_km, bands_km=[0, 10, 20], min_pairs=2
    )
    # pace (s per km) medians — band 0: 6 / 4 = 1.5 (weight 3); band 1: 3 / 1.667 = 1.8
    # (weight 2)
    assert penalty == pytest.approx(math.exp((3 * math.log(1.5) + 2 * math.log(1.8)) / 5))
    assert (n_cross, n_inside) == (5, 7)
    assert math.isnan(
        border_penalty(cross_s, cross_km, inside_s, inside_km, bands_km=[0, 10, 20], min_pairs=4)[0]
    )


def test_border_penalty_grows_when_crossings_are_closed(full, gappy):
    open_border = pair(full)["border_penalty"]
    # a uniform grid: the border costs nothing (cross pairs run a little more along the grid
    # axes than pairs inside a square unit, hence slightly below 1)
    assert 0.9 < open_border < 1.05
    # 2 of 10 crossings left: trips across detour to rows 4 or 8
    assert pair(gappy)["border_penalty"] > open_border + 0.05
    assert pair(gappy)["penalty_pairs_cross"] > 1000
    # a single crossing at the bottom corner: a heavy penalty
    corner = pair(run(crossing_rows=(0,), settings=SETTINGS))["border_penalty"]
    assert corner > 1.4


def test_border_penalty_sampling_is_deterministic():
    a = run(crossing_rows=(4, 8), settings=SETTINGS)
    b = run(crossing_rows=(4, 8), settings=SETTINGS)
    assert_frame_equal(a[["border_penalty"]], b[["border_penalty"]])


# ---------------------------------------------------------------------------------------
# 5. redundancy


def ladder():
    """s=0, t=1. Disjoint two-arc routes of 100, 110, 118 and 130 s, and a variant of the
    fastest that shares 80 % of its length (s→a→c→b→t, 105 s)."""
    arcs = [  # (u, v, seconds, metres)
        (0, 2, 40, 400),
        (2, 3, 20, 200),
        (3, 1, 40, 400),  # fastest, 100 s via a=2, b=3
        (2, 4, 10, 50),
        (4, 3, 15, 50),  # variant a → c → b
        (0, 5, 55, 500),
        (5, 1, 55, 500),  # 110 s
        (0, 6, 59, 500),
        (6, 1, 59, 500),  # 118 s
        (0, 7, 65, 500),
        (7, 1, 65, 500),  # 130 s (> 1.2 × 100)
    ]
    u, v, s, m = (np.array(c) for c in zip(*arcs, strict=True))
    graph = CSRGraph.from_arcs(np.arange(8), np.zeros(8), np.zeros(8), u, v, s.astype(float))
    edges = pd.DataFrame({"u": u, "v": v, "travel_time_s": s, "length_m": m})
    return graph, arc_lengths(graph, edges)


def test_redundancy_counts_materially_different_routes_by_hand():
    graph, lengths = ladder()
    result = redundant_routes(graph, lengths, 0, 1)
    assert result.routes == 3
    assert result.fastest_s == pytest.approx(100)
    assert result.route_times_s == pytest.approx((100, 110, 118))
    # a looser overlap threshold also admits the 80 %-shared variant
    loose = redundant_routes(graph, lengths, 0, 1, max_overlap=0.9)
    assert loose.routes == 4 and 105 in loose.route_times_s
    # a tighter time limit keeps only the fastest two
    assert redundant_routes(graph, lengths, 0, 1, max_time_ratio=1.15).routes == 2
    assert redundant_routes(graph, lengths, 1, 0).routes == 0  # one-way: unreachable


def test_redundancy_on_the_grid(full, gappy):
    assert pair(full)["routes"] >= 3
    assert pair(gappy)["routes"] < pair(full)["routes"]


# ---------------------------------------------------------------------------------------
# 6. index, gap backlog, not-connected rows, outputs


def test_integration_index_by_hand():
    table = pd.DataFrame(
        {
            "weighted_crossings_per_10km": [5.0, np.nan],
            "road_kph": [30.0, 30.0],
            "multimodal_kph": [45.0, np.nan],
            "reach_road_ab": [0.2, 0.2],
            "reach_road_ba": [0.4, 0.4],
            "reach_mm_ab": [0.2, np.nan],
            "reach_mm_ba": [0.4, np.nan],
            "border_penalty": [2.0, np.nan],
            "routes": [3, 1],
        }
    )
    weights = {"permeability": 1, "speed": 1, "reach": 1, "border_penalty": 1, "redundancy": 1}
    settings = IndexSettings(
        weights=weights,
        target_weighted_crossings_per_10km=10,
        target_speed_kph=60,
        target_routes=3,
    )
    index, basis = integration_index(table, settings)
    # row 0: 0.5, 0.75, 0.3, 0.5, 1.0 → mean 0.61; row 1: speed 0.5, reach 0.3, routes 1/3
    assert index.tolist() == pytest.approx([61.0, round(100 * (0.5 + 0.3 + 1 / 3) / 3, 1)])
    assert basis.tolist() == [
        "permeability,speed,reach,border_penalty,redundancy",
        "speed,reach,redundancy",
    ]
    with pytest.raises(ConfigError, match=r"unknown component\(s\) \['beauty'\]"):
        integration_index(table, replace(settings, weights={**weights, "beauty": 1}))
    with pytest.raises(ConfigError, match=r"missing \['redundancy'\]"):
        no_redundancy = {c: w for c, w in weights.items() if c != "redundancy"}
        integration_index(table, replace(settings, weights=no_redundancy))


def test_gap_backlog_counts_open_gaps_both_ways():
    dead = dead_ends(
        unit_id=["r1", "r2", "r1", "r1", "r1"],
        other_unit_id=["r2", "r1", "r2", "r2", "r3"],
        minutes_saved_per_trip=[5.0, 7.5, 100.0, 50.0, 9.0],
        status=["待核实", "", "误报", "已打通", "确认"],
    )
    found = gap_backlog(dead, [("r1", "r2"), ("r2", "r3"), ("r3", "r1")])
    assert found.open_gaps.tolist() == [2, 0, 1]
    assert found.benefit_min.tolist() == [12.5, 0.0, 9.0]
    # no population in the study: the gaps are ranked by minutes per trip, no person-minutes
    assert np.isnan(found.person_minutes).all()


def test_unreviewed_low_confidence_gaps_are_no_backlog():
    """A low-confidence finding (an estate cul-de-sac) counts only once a reviewer confirms
    it; high and medium count until reviewed away."""
    dead = dead_ends(
        unit_id=["r1"] * 5,
        other_unit_id=["r2"] * 5,
        minutes_saved_per_trip=[1.0, 2.0, 4.0, 8.0, 16.0],
        confidence=["high", "low", "low", "low", "medium"],
        status=["待核实", "待核实", "确认", "在建", "误报"],
    )
    found = gap_backlog(dead, [("r1", "r2")])
    assert found.open_gaps.tolist() == [3] and found.benefit_min.tolist() == [1.0 + 4.0 + 8.0]


def test_gap_backlog_sums_the_ranking_key_not_the_mean_per_improved_trip():
    """Two open gaps between r1 and r2, one closed, one elsewhere. The benefit sums
    minutes_saved_per_trip (the mean over *all* sampled trips: one sampled trip around each
    gap), never minutes_saved_mean (a mean over each gap's own improved trips)."""
    dead = dead_ends(
        unit_id=["r1", "r2", "r1", "r3"],
        other_unit_id=["r2", "r1", "r2", "r1"],
        minutes_saved_mean=[30.0, 20.0, 50.0, 8.0],  # not summed
        minutes_saved_per_trip=[3.0, 1.5, 10.0, 0.25],
        person_minutes_saved=[1200.0, np.nan, 999.0, 40.0],
        status=["待核实", "确认", "已打通", "待核实"],
    )
    found = gap_backlog(dead, [("r2", "r1"), ("r1", "r3"), ("r2", "r3")])
    assert found.open_gaps.tolist() == [2, 1, 0]
    assert found.benefit_min.tolist() == [3.0 + 1.5, 0.25, 0.0]
    # with population: person-minutes summed too; a gap with a side without residents adds 0
    assert found.person_minutes.tolist() == [1200.0, 40.0, 0.0]
    # without population (every person_minutes_saved NaN): the sum is unknown, not 0
    without = gap_backlog(dead.assign(person_minutes_saved=np.nan), [("r1", "r2")])
    assert without.benefit_min.tolist() == [4.5] and np.isnan(without.person_minutes).all()


def test_gaps_join_the_table_and_the_summary():
    dead = dead_ends(
        unit_id=["r2", "r1"],
        other_unit_id=["r1", "r2"],
        minutes_saved_mean=[12.0, 30.0],
        minutes_saved_per_trip=[2.5, 4.0],
    )
    p = pair(run(crossing_rows=(4, 8), settings=SETTINGS, dead_ends=dead))
    assert p["open_gaps"] == 2 and p["open_gap_benefit_min"] == 6.5
    assert math.isnan(p["open_gap_person_minutes"])
    assert p["summary"].startswith(f"{p['name']}: 2.0 crossings per 10 km;")
    assert "2 open 断头路 would save 6.5 min on one sampled trip around each" in p["summary"]
    zh = corridor_summary(p.to_dict(), language="zh")
    assert "每10公里边界2.0条跨界道路" in zh and "边界阻抗系数" in zh
    assert "2处未打通断头路，打通后各处周边一次抽样出行共节省6.5分钟" in zh
    # with population the summary cites the person-minutes
    people = dead.assign(person_minutes_saved=[1500.0, 250.0])
    q = pair(run(crossing_rows=(4, 8), settings=SETTINGS, dead_ends=people))
    assert q["open_gap_person_minutes"] == 1750.0 and q["open_gap_benefit_min"] == 6.5
    assert (
        "2 open 断头路 would save 1750 person-minutes (one cross-border trip per resident)"
        in (q["summary"])
    )
    assert "节省共1750人·分钟" in corridor_summary(q.to_dict(), language="zh")


def test_unconnected_and_unbordered_rows_get_nan_and_a_reason(tmp_path):
    table = run(crossing_rows=(), settings=corridors(("甲中心", "甲中心")))
    p = pair(table)
    assert p["crossings"] == 0 and p["longest_uncrossed_km"] == pytest.approx(10.0)
    assert math.isnan(p["road_min"]) and math.isnan(p["road_kph"])
    assert "not connected by road" in p["reason"]
    assert p["multimodal_min"] == pytest.approx(15.0)  # the railway still links them
    assert pd.isna(p["routes"])  # no route: missing, not a count of 0
    c = table[table["kind"] == "corridor"].iloc[0]
    assert "same unit" in c["reason"]
    assert math.isnan(c["index"]) and c["index_basis"] == ""  # nothing to compare across
    assert math.isnan(c["border_km"]) and math.isnan(c["border_penalty"])
    assert pd.isna(c["crossings"]) and pd.isna(c["crossings_primary"])  # missing, not 0
    # nullable counts keep their contract through the files
    write_corridors(
        table, gpkg=tmp_path / "c.gpkg", csv=tmp_path / "c.csv", xlsx=tmp_path / "c.xlsx"
    )
    back = read_table(tmp_path / "c.gpkg", CORRIDORS)
    assert back["crossings"].isna().tolist() == table["crossings"].isna().tolist()


def test_bad_input_is_named():
    units, edges, road, mm, places, origins = make_world()
    with pytest.raises(
        DataError, match="no unit at admin.border_level 7. Levels present: \\[5, 6\\]"
    ):
        corridor_table(units, edges, road, mm, settings=replace(SETTINGS, border_levels=(7,)))
    with pytest.raises(ConfigError, match="'丙中心'.*known origins: 乙北, 甲中心"):
        corridor_table(
            units, edges, road, mm, settings=corridors(("甲中心", "丙中心")), origins=origins
        )
    with pytest.raises(DataError, match="access/origins.gpkg has none"):
        corridor_table(units, edges, road, mm, settings=corridors(("甲中心", "乙北")))
    with pytest.raises(DataError, match="multimodal_graph"):
        corridor_table(
            units,
            edges,
            road,
            road.__class__(node_ids=road.node_ids[::-1], x=road.x, y=road.y, matrix=road.matrix),
            settings=SETTINGS,
        )


def test_outputs_sorted_bilingual_and_excel_friendly(tmp_path, full, gappy):
    both = pd.concat([gappy, full], ignore_index=True)
    both = gpd.GeoDataFrame(both, geometry="geometry", crs="EPSG:4326")
    assert full["index"].is_monotonic_decreasing
    assert pair(full)["index"] > pair(gappy)["index"]
    assert list(full.columns) == [*CORRIDORS.names, "geometry"]
    written = write_corridors(
        full, gpkg=tmp_path / "c.gpkg", csv=tmp_path / "c.csv", xlsx=tmp_path / "c.xlsx"
    )
    assert (tmp_path / "c.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    back = read_table(tmp_path / "c.gpkg", CORRIDORS)
    assert back.crs.to_epsg() == 4326
    assert_geodataframe_equal(back, written, check_dtype=False, check_less_precise=True)
    csv = pd.read_csv(tmp_path / "c.csv", encoding="utf-8-sig")
    assert list(csv.columns) == [*CORRIDORS.names, "geometry_wkt"]  # for QGIS's CSV layer
    lines = gpd.GeoSeries.from_wkt(csv["geometry_wkt"], crs="EPSG:4326")
    assert lines.geom_equals_exact(written.geometry.reset_index(drop=True), tolerance=1e-6).all()
    numbers = [c.name for c in CORRIDORS.columns if c.dtype != "str"]
    assert_frame_equal(csv[numbers], pd.DataFrame(written[numbers]), check_dtype=False)
    xl = pd.read_excel(tmp_path / "c.xlsx")
    assert list(xl.columns) == [CORRIDORS.bilingual(c) for c in CORRIDORS.names]
    assert "一体化指数(0-100) / integration index (0-100)" in xl.columns


def split_units():
    """Cities W (x 0–10 km) and E (10–20 km) at level 5, each split into two districts at
    level 6 (ids r0 … r5 in the order W, E, W1, W2, E1, E2)."""
    boxes = {
        "W": (0, 0, 10, 10),
        "E": (10, 0, 20, 10),
        "W1": (0, 0, 5, 10),
        "W2": (5, 0, 10, 10),
        "E1": (10, 0, 15, 10),
        "E2": (15, 0, 20, 10),
    }
    centres = [((x0 + x1) / 2, (y0 + y1) / 2) for x0, y0, x1, y1 in boxes.values()]
    lon, lat = to_wgs([c[0] for c in centres], [c[1] for c in centres])
    units = gpd.GeoDataFrame(
        {
            "unit_id": [f"r{k}" for k in range(6)],
            "name": list(boxes),
            "admin_level": [5, 5, 6, 6, 6, 6],
            "centre_lon": lon,
            "centre_lat": lat,
        },
        geometry=[square(*b) for b in boxes.values()],
        crs=UTM,
    ).to_crs("EPSG:4326")
    return units


def test_named_corridor_is_measured_at_the_coarsest_level_separating_its_ends():
    """The corridor 甲中心 (in W1) – 乙北 (in E1) runs between the cities W and E."""
    _, edges, road, mm, places, origins = make_world()
    units = split_units()
    dead = dead_ends(  # level-6 ids: W2 | E1 lies on the city border, W1 | W2 does not
        unit_id=["r3", "r2"],
        other_unit_id=["r4", "r3"],
        minutes_saved_per_trip=[4.0, 6.0],
        person_minutes_saved=[100.0, 300.0],
    )
    table = corridor_table(
        units,
        edges,
        road,
        mm,
        settings=corridors(("甲中心", "乙北")),
        origins=origins,
        places=places,
        dead_ends=dead,
    )
    pairs = table[table["kind"] == "neighbours"]
    assert sorted(pairs["name"]) == ["E1–E2", "W1–W2", "W2–E1"]
    assert (pairs["admin_level"] == 6).all()
    c = table[table["kind"] == "corridor"].iloc[0]
    assert c["name"] == "甲中心–乙北" and c["admin_level"] == 5
    assert (c["unit_a"], c["unit_b"]) == ("W", "E")
    assert c["crossings"] == 10 and c["border_km"] == pytest.approx(10.0, rel=1e-6)
    assert c["open_gaps"] == 1 and c["open_gap_benefit_min"] == 4.0
    assert c["open_gap_person_minutes"] == 100.0
    w2e1 = pairs[pairs["name"] == "W2–E1"].iloc[0]
    assert w2e1["open_gaps"] == 1 and w2e1["crossings"] == 10
    w = pairs[pairs["name"] == "W1–W2"].iloc[0]
    assert w["open_gaps"] == 1 and w["open_gap_benefit_min"] == 6.0
    assert w["open_gap_person_minutes"] == 300.0


# ---------------------------------------------------------------------------------------
# the demo region, through the pipeline


@pytest.fixture(scope="module")
def demo_corridors(demo_run: Path):
    """The corridor table of the shared demo run, read by its contract, and the demo's truth."""
    table = read_table(demo_run / "data/demo/integration/corridors.gpkg", CORRIDORS)
    truth = json.loads((demo_run / "data/demo/demo/truth.json").read_text(encoding="utf-8"))
    return demo_run, table, truth


def _pair_row(table, names):
    rows = table[
        (table["kind"] == "neighbours")
        & table.apply(lambda r: {r["unit_a"], r["unit_b"]} == set(names), axis=1)
    ]
    assert len(rows) == 1, f"no single neighbour row for {names}: {table['name'].tolist()}"
    return rows.iloc[0]


@pytest.mark.pipeline
def test_demo_index_orders_the_better_pair_above_the_worse(demo_corridors):
    _, table, truth = demo_corridors
    better = _pair_row(table, truth["corridors"]["better_connected"])
    worse = _pair_row(table, truth["corridors"]["worse_connected"])
    assert better["index"] > worse["index"]
    assert better["rank"] < worse["rank"]
    assert better["weighted_crossings_per_10km"] > worse["weighted_crossings_per_10km"]


@pytest.mark.pipeline
def test_demo_border_penalty_of_the_gappy_pair_is_above_one(demo_corridors):
    _, table, truth = demo_corridors
    worse = _pair_row(table, truth["corridors"]["worse_connected"])
    better = _pair_row(table, truth["corridors"]["better_connected"])
    assert worse["border_penalty"] > 1.1
    assert worse["border_penalty"] > better["border_penalty"]
    assert worse["open_gaps"] >= 1


@pytest.mark.pipeline
def test_demo_outputs_for_excel_and_the_named_corridor(demo_corridors):
    workdir, table, _ = demo_corridors
    base = workdir / "data/demo/integration"
    assert (base / "corridors.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    xl = pd.read_excel(base / "corridors.xlsx")
    assert len(xl) == len(table) and "摘要 / summary" in xl.columns
    named = table[table["kind"] == "corridor"]
    assert named["name"].tolist() == ["东城–西城"]
    assert np.isfinite(named["road_min"].iloc[0])
    assert table["index"].dropna().is_monotonic_decreasing


def test_border_penalty_samples_the_border_zone():
    """Within 1 km of the border (grid columns 9 and 10) the two remaining crossings of the
    gappy world force long detours; over whole 10 km units the detour is diluted."""
    units, edges, road, mm, places, origins = make_world(crossing_rows=(4, 8))
    zone = replace(SETTINGS.border_penalty, zone_km=1.0)
    narrow = corridor_table(units, edges, road, mm, settings=replace(SETTINGS, border_penalty=zone))
    wide = corridor_table(units, edges, road, mm, settings=SETTINGS)
    assert pair(narrow)["border_penalty"] > pair(wide)["border_penalty"] + 0.3
    # 10 zone nodes per side, all sampled: 2 × 10 × 10 cross pairs, and 2 × (10 × 10 − 10)
    # inside pairs (a node is never paired with itself)
    assert pair(narrow)["penalty_pairs_cross"] == 200
    assert pair(narrow)["penalty_pairs_inside"] == 180


# ---------------------------------------------------------------------------------------
# a real extract: Andorra's parishes


@pytest.mark.realdata
def test_andorra_parishes_from_the_real_extract(andorra_pbf, tmp_path):
    """The real road network of Andorra (OSM ~2013): Andorra la Vella and Escaldes-Engordany
    form one continuous town, so their border is the most permeable and the pair ranks first;
    every neighbouring pair is connected by road."""
    from spatialint.config import load_study
    from spatialint.geo import NearestNodes
    from spatialint.network.roads import build_road_network
    from spatialint.osm.admin import units_from_osm
    from spatialint.osm.extract import clip_extract
    from spatialint.settings import AreaSettings

    study = load_study("andorra")
    extract = tmp_path / "extract.osm.pbf"
    clip_extract(andorra_pbf, extract, area=AreaSettings.from_config({"buffer_km": 5}), levels=[7])
    admin = units_from_osm(extract, levels=[7])
    network = study["network"]
    roads = build_road_network(
        extract,
        admin.units,
        highway_classes=network["highway_classes"],
        speeds_kph=network["speeds_kph"],
        maxspeed_zones_kph=network["maxspeed_zones_kph"],
    )
    graph = roads.graph
    wanted = [o["name"] for o in study["access"]["origins"]]
    places = admin.places[admin.places["name"].isin(wanted)].drop_duplicates("name")
    pos, _ = NearestNodes(graph.x, graph.y).query(places.geometry.x, places.geometry.y)
    origins = gpd.GeoDataFrame(
        {"origin_id": places["name"], "name": places["name"], "node_id": graph.node_ids[pos]},
        geometry=places.geometry.values,
        crs="EPSG:4326",
    )
    table = corridor_table(
        admin.units,
        roads.edges,
        graph,
        graph,
        settings=IntegrationSettings.from_study(study),
        origins=origins,
        places=admin.places,
    )
    pairs = table[table["kind"] == "neighbours"]
    assert len(pairs) >= 5
    top = pairs.iloc[0]
    assert {top["unit_a"], top["unit_b"]} == {"Andorra la Vella", "Escaldes-Engordany"}
    assert top["crossings_per_10km"] == pairs["crossings_per_10km"].max()
    assert pairs["road_min"].notna().all() and (pairs["detour_index"] >= 1).all()
    named = table[table["kind"] == "corridor"]
    assert len(named) == 3 and named["road_min"].between(1, 60).all()
    write_corridors(
        table, gpkg=tmp_path / "c.gpkg", csv=tmp_path / "c.csv", xlsx=tmp_path / "c.xlsx"
    )


def test_a_single_unit_gives_an_empty_table_that_still_writes(tmp_path):
    units, edges, road, mm, _, _ = make_world()
    one = units[units["unit_id"] == "r9"].assign(admin_level=6)
    table = corridor_table(one, edges, road, mm, settings=SETTINGS)
    assert len(table) == 0 and list(table.columns) == [*CORRIDORS.names, "geometry"]
    write_corridors(
        table, gpkg=tmp_path / "c.gpkg", csv=tmp_path / "c.csv", xlsx=tmp_path / "c.xlsx"
    )
    assert len(read_table(tmp_path / "c.gpkg", CORRIDORS)) == 0


def stage_inputs(run: Path, **replaced: Path) -> dict[str, Path]:
    """The integration rule's inputs in a pipeline run folder, some replaced."""
    base = run / "data" / "demo"
    inputs = {
        "units": base / "network/admin_units.gpkg",
        "places": base / "network/places.parquet",
        "origins": base / "access/origins.gpkg",
        "road_edges": base / "network/road_edges.parquet",
        "road_graph": base / "network/road_graph.npz",
        "multimodal_graph": base / "network/multimodal_graph.npz",
        "gaps": base / "gaps/gaps.gpkg",
    }
    return {**inputs, **replaced}


def stage_outputs(folder: Path) -> dict[str, Path]:
    return {"gpkg": folder / "c.gpkg", "csv": folder / "c.csv", "xlsx": folder / "c.xlsx"}


@pytest.mark.pipeline
def test_stage_names_a_missing_gaps_layer(demo_run, tmp_path):
    """The stage reads gaps.gpkg by its contract: no file, or no dead_ends layer, is one clear
    DataError that names the step to run, and nothing is written."""
    units, *_ = make_world()
    gpkg = tmp_path / "gaps.gpkg"
    units.to_file(gpkg, layer="class_drops")
    integration = default_settings()
    with pytest.raises(DataError, match=r"no layer 'dead_ends'.*re-run the\s+gaps step"):
        run_integration_stage(
            stage_inputs(demo_run, gaps=gpkg), stage_outputs(tmp_path), integration=integration
        )
    with pytest.raises(DataError, match="does not exist; run the gaps step first"):
        run_integration_stage(
            stage_inputs(demo_run, gaps=tmp_path / "none.gpkg"),
            stage_outputs(tmp_path),
            integration=integration,
        )
    assert not (tmp_path / "c.gpkg").exists()


@pytest.mark.pipeline
def test_stage_refuses_dead_ends_that_break_their_contract(demo_run, tmp_path):
    """A dead_ends layer from another version (the benefit column the backlog sums renamed)
    is refused with a DataError naming the gaps step, not summed as NaN."""
    dead = read_table(demo_run / "data/demo/gaps/gaps.gpkg", DEAD_ENDS)
    old = dead.rename(columns={"minutes_saved_per_trip": "minutes_per_trip"})
    gpkg = tmp_path / "gaps.gpkg"
    old.to_file(gpkg, layer="dead_ends", driver="GPKG")
    with pytest.raises(
        DataError, match=r"missing column\(s\) \['minutes_saved_per_trip'\].*re-run the gaps step"
    ):
        run_integration_stage(
            stage_inputs(demo_run, gaps=gpkg),
            stage_outputs(tmp_path),
            integration=default_settings(),
        )
    assert not (tmp_path / "c.gpkg").exists()


def test_a_corridor_below_the_border_level_has_no_gap_backlog():
    """With border_level 5 a corridor inside city W (甲中心 in W1 – 甲东 in W2) is measured
    between the districts; the gaps stage does not look at district borders then."""
    _, edges, road, mm, places, origins = make_world()
    lon, lat = to_wgs([7.5], [4.5])
    extra = gpd.GeoDataFrame(
        {"origin_id": ["o3"], "name": ["甲东"], "kind": ["place"], "node_id": [node_id(7, 4)]},
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )
    origins = pd.concat([origins, extra], ignore_index=True)
    dead = dead_ends(unit_id=["r0"], other_unit_id=["r1"], minutes_saved_per_trip=[3.0])
    table = corridor_table(
        split_units(),
        edges,
        road,
        mm,
        settings=replace(corridors(("甲中心", "甲东")), border_levels=(5,)),
        origins=origins,
        dead_ends=dead,
    )
    pairs = table[table["kind"] == "neighbours"]
    assert pairs["name"].tolist() == ["W–E"] and pairs["open_gaps"].iloc[0] == 1
    c = table[table["kind"] == "corridor"].iloc[0]
    assert c["admin_level"] == 6 and (c["unit_a"], c["unit_b"]) == ("W1", "W2")
    assert c["crossings"] == 10  # every row crosses x = 5 km
    assert pd.isna(c["open_gaps"]) and "only found on admin_level 5" in c["reason"]
    assert math.isnan(c["open_gap_benefit_min"]) and math.isnan(c["open_gap_person_minutes"])


def test_a_unit_without_centre_is_named_not_a_crash(tmp_path):
    units, edges, road, mm, _, _ = make_world()
    units.loc[units["unit_id"] == "r1", "centre_lon"] = np.nan
    table = corridor_table(units, edges, road, mm, settings=SETTINGS)
    p = pair(table)
    assert p["crossings"] == 10 and math.isnan(p["road_min"]) and math.isnan(p["reach_road_ab"])
    assert p["reach_road_ba"] == pytest.approx(0.35)  # B's centre still reaches into A
    assert p["reason"] == "甲区 has no centre in admin_units"
    assert "speed" not in p["index_basis"] and np.isfinite(p["index"])
    assert p["geometry"] is None
    write_corridors(
        table, gpkg=tmp_path / "c.gpkg", csv=tmp_path / "c.csv", xlsx=tmp_path / "c.xlsx"
    )
