"""Travel times on CSR graphs: equal to networkx Dijkstra, NaN beyond the cutoff, parallel."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from spatialint.network import routing
from spatialint.network.graph import CSRGraph
from spatialint.network.routing import nearest_origin, travel_times, travel_times_from


def random_multigraph(seed: int, n: int = 60, m: int = 240) -> tuple[CSRGraph, nx.MultiDiGraph]:
    """A random directed multigraph: oneway arcs, two-way roads and parallel arcs."""
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n, m)
    dst = rng.integers(0, n, m)
    w = rng.uniform(1.0, 100.0, m)
    two_way = rng.random(m) < 0.5
    # parallel arcs: repeat some arcs with another weight (the minimum must win, not the sum)
    rep = rng.choice(m, m // 5, replace=False)
    src = np.concatenate([src, dst[two_way], src[rep]])
    dst_all = np.concatenate([dst, src[:m][two_way], dst[rep]])
    w = np.concatenate(
        [w, w[two_way] * rng.uniform(0.8, 1.2, two_way.sum()), rng.uniform(1, 100, rep.size)]
    )
    node_ids = np.arange(n, dtype=np.int64) * 10 + 5
    graph = CSRGraph.from_arcs(node_ids, np.zeros(n), np.zeros(n), src, dst_all, w)
    g = nx.MultiDiGraph()
    g.add_nodes_from(range(n))
    for a, b, t in zip(src, dst_all, w, strict=True):
        if a != b:
            g.add_edge(int(a), int(b), weight=float(t))
    return graph, g


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("cutoff", [None, 120.0])
def test_equal_to_networkx(seed: int, cutoff: float | None) -> None:
    graph, g = random_multigraph(seed)
    sources = np.array([0, 7, 33])
    times = travel_times(graph, sources, cutoff_s=cutoff)
    assert times.dtype == np.float32 and times.shape == (3, graph.n_nodes)
    for row, s in enumerate(sources):
        expected = nx.single_source_dijkstra_path_length(g, int(s), cutoff=cutoff, weight="weight")
        want = np.full(graph.n_nodes, np.nan)
        for node, t in expected.items():
            want[node] = t
        got = times[row].astype(np.float64)
        assert np.array_equal(np.isnan(got), np.isnan(want))
        ok = ~np.isnan(want)
        # float32 storage: 1e-6 s relative to times of up to a few hundred seconds
        np.testing.assert_allclose(got[ok], want[ok], rtol=1e-6, atol=1e-6)


def test_parallel_arcs_take_minimum_and_oneway_respected() -> None:
    ids = np.array([1, 2, 3])
    graph = CSRGraph.from_arcs(
        ids, np.zeros(3), np.zeros(3),
        np.array([0, 0, 1, 2]), np.array([1, 1, 2, 0]), np.array([50.0, 20.0, 10.0, 5.0]),
    )  # fmt: skip
    t = travel_times(graph, np.array([0, 1]))
    np.testing.assert_allclose(t[0], [0, 20, 30])
    np.testing.assert_allclose(t[1], [15, 0, 10])  # 1 -> 0 only via the oneway 2 -> 0
    back = travel_times(graph, np.array([0]), reverse=True)
    np.testing.assert_allclose(back[0], [0, 15, 5])


def test_cutoff_gives_nan_and_empty_sources() -> None:
    graph, _ = random_multigraph(1)
    t = travel_times(graph, np.array([3]), cutoff_s=30.0)
    assert np.nanmax(t) <= 30.0
    assert np.isnan(t).any()
    assert travel_times(graph, np.array([], dtype=np.int64)).shape == (0, graph.n_nodes)
    with pytest.raises(IndexError):
        travel_times(graph, np.array([graph.n_nodes]))


def test_process_pool_matches_serial(monkeypatch: pytest.MonkeyPatch) -> None:
    graph, _ = random_multigraph(2, n=300, m=1500)
    sources = np.arange(0, 300, 13)
    serial = travel_times(graph, sources, cutoff_s=200.0)
    monkeypatch.setattr(routing, "PARALLEL_MIN_CELLS", 0)
    monkeypatch.setattr(routing, "CHUNK_ORIGINS", 5)
    parallel = travel_times(graph, sources, cutoff_s=200.0, workers=2)
    np.testing.assert_array_equal(serial, parallel)


def test_nearest_origin() -> None:
    times = np.array([[0, 5, np.nan, 9], [4, 1, np.nan, np.nan]], dtype=np.float32)
    best, row = nearest_origin(times)
    np.testing.assert_array_equal(row, [0, 1, -1, 0])
    np.testing.assert_allclose(best, [0, 1, np.nan, 9])


def test_starts_inside_edges_equal_min_over_delayed_starts() -> None:
    graph, _ = random_multigraph(3)
    starts = [(np.array([4, 9]), np.array([12.5, 0.0])), (np.array([20]), np.array([3.0]))]
    got = travel_times_from(graph, starts, cutoff_s=150.0)
    assert got.shape == (2, graph.n_nodes)
    full = travel_times(graph, np.array([4, 9, 20])).astype(np.float64)
    want = np.vstack([np.fmin(full[0] + 12.5, full[1]), full[2] + 3.0])
    want[want > 150.0] = np.nan
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-5)
    assert travel_times_from(graph, []).shape == (0, graph.n_nodes)
    with pytest.raises(ValueError, match="negative"):
        travel_times_from(graph, [(np.array([1]), np.array([-1.0]))])
