"""CSRGraph: parallel arcs keep their minimum, ids map to positions, files round-trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spatialint.errors import DataError
from spatialint.network.graph import CSRGraph


def small_graph() -> CSRGraph:
    return CSRGraph.from_arcs(
        np.array([101, 205, 307]),
        np.array([112.90, 112.91, 112.92]),
        np.array([28.20, 28.20, 28.20]),
        source=np.array([0, 0, 1, 1, 2]),
        target=np.array([1, 1, 2, 1, 0]),
        weight_s=np.array([50.0, 30.0, 70.0, 5.0, 0.0]),
    )


def test_parallel_arcs_keep_the_minimum_and_self_loops_go() -> None:
    graph = small_graph()
    dense = graph.matrix.toarray()
    assert dense[0, 1] == 30.0  # min of 50 and 30, not their sum
    assert dense[1, 1] == 0.0  # self-loop dropped
    assert dense[2, 0] == pytest.approx(1e-6)  # a zero-time arc is kept as a tiny weight
    assert graph.n_arcs == 3


def test_ids_map_to_positions_and_unknown_edges_are_a_data_error() -> None:
    graph = small_graph()
    assert graph.index_of(np.array([307, 101])).tolist() == [2, 0]
    u, v = graph.edge_positions(np.array([101, 205]), np.array([205, 307]))
    assert u.tolist() == [0, 1] and v.tolist() == [1, 2]
    with pytest.raises(DataError, match="different network runs"):
        graph.edge_positions(np.array([101]), np.array([999]))


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    graph = small_graph()
    path = tmp_path / "graph.npz"
    graph.save(path)
    loaded = CSRGraph.load(path)
    assert np.array_equal(loaded.node_ids, graph.node_ids)
    assert np.array_equal(loaded.matrix.toarray(), graph.matrix.toarray())
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
