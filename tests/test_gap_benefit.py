"""Benefit of closing gaps: the four-tree shortcut equals a full recomputation; ranking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.sparse.csgraph import dijkstra

from spatialint.errors import DataError
from spatialint.gaps.benefit import (
    BENEFIT_DTYPES,
    catchment_population,
    gap_savings,
    link_times,
    person_minutes,
    rank_gaps,
    ranking_column,
    split_edge,
)
from spatialint.network.graph import CSRGraph
from tests.gaps_region import gap_settings

LON0, LAT0, STEP = 112.9, 28.2, 0.005  # ~490 m × 555 m cells near Changsha
N = 12  # 12 × 12 grid; columns 0-5 West, 6-11 East


def grid(*, crossings: tuple[int, ...] = (0,), seed: int = 3) -> tuple[CSRGraph, np.ndarray]:
    """A grid whose two halves connect only on the given rows; random speeds, some one-way."""
    rng = np.random.default_rng(seed)
    ij = np.array([(i, j) for i in range(N) for j in range(N)])  # i row, j column
    pos = {tuple(p): k for k, p in enumerate(ij)}
    src, dst, w = [], [], []
    for (i, j), k in pos.items():
        for di, dj in ((0, 1), (1, 0)):
            other = (i + di, j + dj)
            if other not in pos:
                continue
            if dj and j == N // 2 - 1 and i not in crossings:
                continue  # the border between column 5 and 6
            seconds = rng.uniform(30, 90)
            src.append(k)
            dst.append(pos[other])
            w.append(seconds)
            if rng.random() > 0.1:  # 10 % one-way
                src.append(pos[other])
                dst.append(k)
                w.append(seconds * rng.uniform(0.9, 1.1))
    graph = CSRGraph.from_arcs(
        np.arange(len(ij)) + 1,
        LON0 + ij[:, 1] * STEP,
        LAT0 + ij[:, 0] * STEP,
        np.array(src),
        np.array(dst),
        np.array(w),
    )
    unit = np.where(ij[:, 1] < N // 2, "r1", "r2")
    return graph, unit


def test_four_trees_equal_full_recomputation():
    graph, _ = grid()
    a, b = 11 * N + 5, 11 * N + 6  # far from the only crossing (row 0)
    link_s = 40.0
    rng = np.random.default_rng(0)
    o = np.sort(rng.choice(np.arange(N * N).reshape(N, N)[:, :6].ravel(), 15, replace=False))
    d = np.sort(rng.choice(np.arange(N * N).reshape(N, N)[:, 6:].ravel(), 15, replace=False))
    cutoff_s = 1e7
    saved = gap_savings(graph, a, b, link_s, o, d, cutoff_s=cutoff_s)
    # brute force: add the link both ways and route again from scratch
    m = graph.matrix.tolil()
    m[a, b] = link_s
    m[b, a] = link_s
    after = m.tocsr()
    old = dijkstra(graph.matrix, indices=np.concatenate([o, d]))
    new = dijkstra(after, indices=np.concatenate([o, d]))
    expected = np.concatenate(
        [
            (old[: len(o)][:, d] - new[: len(o)][:, d]).ravel(),
            (old[len(o) :][:, o] - new[len(o) :][:, o]).ravel(),
        ]
    )
    assert saved.shape == expected.shape == (2 * 15 * 15,)
    np.testing.assert_allclose(saved, expected, atol=0.01)  # float32 trees
    assert (saved > 60).mean() > 0.2  # many trips gain minutes


def test_cutoff_caps_old_times_conservatively():
    graph, _ = grid()
    a, b = 11 * N + 5, 11 * N + 6
    o, d = np.array([11 * N + 4]), np.array([11 * N + 7])
    full = gap_savings(graph, a, b, 40.0, o, d, cutoff_s=1e7)
    capped = gap_savings(graph, a, b, 40.0, o, d, cutoff_s=600.0)
    assert (capped <= full + 1e-6).all()
    assert (capped > 0).all()


def _dead_ends(graph: CSRGraph, pairs: list[tuple[int, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "gap_id": [f"G{a:05x}{b:05x}" for a, b in pairs],
            "a_pos": [a for a, _ in pairs],
            "b_pos": [b for _, b in pairs],
            "unit_id": "r1",
            "other_unit_id": "r2",
            "highway": "residential",
            "planned_class": "",
            "gap_m": 490.0,
            # the link joins the facing road at its node b
            "u_pos": [b for _, b in pairs],
            "v_pos": [b for _, b in pairs],
            "along_fraction": 0.0,
        }
    )


def benefit_settings(radius_m: float = 3000):
    return gap_settings(
        benefit_radius_m=radius_m,
        benefit_samples_per_side=12,
        benefit_cutoff_min=120,
        benefit_seed=0,
    )


SETTINGS = benefit_settings()


def test_rank_puts_the_longest_detour_first():
    graph, unit = grid()
    near_crossing = (1 * N + 5, 1 * N + 6)  # one row from the crossing: little to gain
    far = (11 * N + 5, 11 * N + 6)  # eleven rows away: a long detour
    ranked = rank_gaps(
        _dead_ends(graph, [near_crossing, far]),
        graph,
        unit,
        speeds_kph={"residential": 25},
        settings=SETTINGS,
    )
    assert list(ranked["rank"]) == [1, 2]
    assert ranked.iloc[0]["a_pos"] == far[0]
    best, other = ranked.iloc[0], ranked.iloc[1]
    assert best["minutes_saved_per_trip"] > other["minutes_saved_per_trip"] > 0
    assert best["pairs_sampled"] == 2 * 12 * 12
    assert 0 < best["pairs_improving"] <= best["pairs_sampled"]
    assert best["minutes_saved_mean"] >= best["minutes_saved_per_trip"]
    assert best["link_time_min"] == pytest.approx(490 / (25 / 3.6) / 60, abs=0.01)
    again = rank_gaps(
        _dead_ends(graph, [far, near_crossing]),
        graph,
        unit,
        speeds_kph={"residential": 25},
        settings=SETTINGS,
    )
    pd.testing.assert_frame_equal(again, ranked)  # the input order does not matter
    assert ranking_column(ranked) == "minutes_saved_per_trip"  # no population


def test_rank_on_nothing_returns_empty_columns():
    graph, unit = grid()
    ranked = rank_gaps(
        _dead_ends(graph, []), graph, unit, speeds_kph={"residential": 25}, settings=SETTINGS
    )
    assert ranked.empty
    assert {c: str(ranked[c].dtype) for c in BENEFIT_DTYPES} == BENEFIT_DTYPES


def test_link_uses_planned_class_and_needs_a_speed():
    graph, _ = grid()
    frame = _dead_ends(graph, [(0, 1), (2, 3)])
    frame.loc[1, "planned_class"] = "secondary"
    links = link_times(frame, speeds_kph={"residential": 25, "secondary": 50})
    assert list(links["link_class"]) == ["residential", "secondary"]
    assert links["link_time_s"].iloc[1] == pytest.approx(490 / (50 / 3.6))
    with pytest.raises(DataError, match="secondary.*network.speeds_kph"):
        link_times(frame, speeds_kph={"residential": 25})


def test_link_to_the_middle_of_a_road_splits_its_edge():
    graph, _ = grid()
    a = 11 * N + 5  # west end; the facing road is the east column-6 edge between rows 10 and 11
    u, v, fraction = 10 * N + 6, 11 * N + 6, 0.3
    split, p = split_edge(graph, u, v, fraction)
    assert split.n_nodes == graph.n_nodes + 1 and p == graph.n_nodes
    # splitting changes no existing time
    before = dijkstra(graph.matrix, indices=[0, a])
    after = dijkstra(split.matrix, indices=[0, a])[:, : graph.n_nodes]
    np.testing.assert_allclose(before, after)
    o = np.array([11 * N + 4, 9 * N + 3, 11 * N + 0])
    d = np.array([11 * N + 7, 10 * N + 9, 6 * N + 6])
    saved = gap_savings(split, a, p, 30.0, o, d, cutoff_s=1e7)
    m = split.matrix.tolil()
    m[a, p] = 30.0
    m[p, a] = 30.0
    new = dijkstra(m.tocsr(), indices=np.concatenate([o, d]))
    old = dijkstra(split.matrix, indices=np.concatenate([o, d]))
    expected = np.concatenate(
        [(old[:3][:, d] - new[:3][:, d]).ravel(), (old[3:][:, o] - new[3:][:, o]).ravel()]
    )
    np.testing.assert_allclose(saved, expected, atol=0.01)
    assert saved.max() > 0


def test_trip_whose_old_route_passes_the_gap_end_is_not_cut_off():
    """The search bound equals the old time of trips routed through a or b (here: trips from a
    itself); float32 rounding of the trees must not push such a trip out of the search, where
    it would count as cut off and "gain" the whole cutoff."""
    east = np.arange(N * N).reshape(N, N)[:, 6:].ravel()
    for seed in range(10):
        graph, _ = grid(seed=seed)
        a, b = 11 * N + 5, 11 * N + 6
        saved = gap_savings(graph, a, b, 40.0, np.array([a]), east, cutoff_s=3 * 3600.0)
        old = dijkstra(graph.matrix, indices=[a])[0]
        m = graph.matrix.tolil()
        m[a, b] = 40.0
        m[b, a] = 40.0
        new = dijkstra(m.tocsr(), indices=[a])[0]
        np.testing.assert_allclose(saved[: len(east)], (old - new)[east], atol=0.01)


def test_person_minutes_by_hand():
    """Two origins (10 and 30 residents), one destination (5): savings in seconds by trip."""
    saving_s = np.array([60.0, 120.0, 180.0, 240.0])  # o1→d, o2→d, d→o1, d→o2
    pm = person_minutes(saving_s, np.array([10.0, 30.0]), np.array([5.0]))
    # forward: 10·1 + 30·2 = 70; backward: 5·(3·10/40 + 4·30/40) = 5·3.75 = 18.75
    assert pm == pytest.approx(88.75)
    assert np.isnan(person_minutes(saving_s, np.array([0.0, 0.0]), np.array([5.0])))


def test_catchment_population_goes_to_the_nearest_sampled_node():
    xy = np.array([[0.0, 0.0], [10.0, 0.0], [100.0, 0.0], [110.0, 0.0]])
    population = np.array([1.0, 2.0, 4.0, 8.0])
    gathered = catchment_population(xy, np.array([0, 3]), np.arange(4), population)
    assert gathered.tolist() == [3.0, 12.0]


def test_population_ranks_by_person_minutes():
    """With people only around the short-detour gap, it outranks the long-detour one."""
    graph, unit = grid()
    near_crossing = (1 * N + 5, 1 * N + 6)
    far = (11 * N + 5, 11 * N + 6)
    rows = np.arange(graph.n_nodes) // N
    people = np.where(rows <= 3, 1000.0, 0.0)  # everyone lives by the first crossing
    ranked = rank_gaps(
        _dead_ends(graph, [near_crossing, far]),
        graph,
        unit,
        speeds_kph={"residential": 25},
        settings=benefit_settings(radius_m=1200),
        node_population=people,
    )
    assert ranked.iloc[0]["a_pos"] == near_crossing[0]
    assert ranking_column(ranked) == "person_minutes_saved"
    assert ranked.iloc[0]["person_minutes_saved"] > 0
    assert ranked.iloc[1]["person_minutes_saved"] == pytest.approx(0.0, abs=1e-6) or np.isnan(
        ranked.iloc[1]["person_minutes_saved"]
    )
    without = rank_gaps(
        _dead_ends(graph, [near_crossing, far]),
        graph,
        unit,
        speeds_kph={"residential": 25},
        settings=benefit_settings(radius_m=1200),
    )
    assert without["person_minutes_saved"].isna().all()


def test_population_points_are_counted_at_their_nearest_node(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    from spatialint.access.population import VectorPopulation, load_population
    from spatialint.gaps.stage import node_population

    graph, _ = grid()
    points = gpd.GeoDataFrame(
        {"pop": [100, 250, None]},
        geometry=[
            Point(LON0 + 0.0001, LAT0),
            Point(LON0 + 11 * STEP, LAT0 + 11 * STEP - 0.0001),
            Point(LON0, LAT0),
        ],
        crs="EPSG:4326",
    ).to_crs("EPSG:32649")
    path = tmp_path / "population.gpkg"
    points.to_file(path)
    people = node_population(
        graph, VectorPopulation(str(path), load_population(path, column="pop"), "pop")
    )
    assert people[0] == 100 and people[N * N - 1] == 250 and people.sum() == 350
