"""Route-level corridor measures on CSR graphs: arc lengths, distance graphs, alternative routes.

Everything here works on :class:`~spatialint.network.graph.CSRGraph` arrays and
:func:`scipy.sparse.csgraph.dijkstra`; the only Python loop walks the arcs of one path back
from the predecessor array (a path has hundreds to a few thousand arcs, never the whole graph).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from spatialint.errors import DataError
from spatialint.network.graph import CSRGraph

logger = logging.getLogger(__name__)

NO_PREDECESSOR = -9999  # scipy's marker for "no predecessor"


def _arc_keys(matrix: sp.csr_array) -> np.ndarray:
    """``row * n + column`` of every stored arc, in the matrix's (sorted) data order."""
    n = matrix.shape[0]
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(matrix.indptr))
    return rows * n + matrix.indices.astype(np.int64)


def arc_lengths(graph: CSRGraph, edges: pd.DataFrame) -> np.ndarray:
    """Length in metres of every arc of ``graph``, aligned with ``graph.matrix.data``.

    Where parallel edges join the same two nodes the graph keeps the fastest one; its length is
    the length of that fastest edge (ties: the shorter one).

    Parameters
    ----------
    graph
        The road graph (``network/road_graph.npz``).
    edges
        ``network/road_edges.parquet`` columns ``u``, ``v``, ``length_m``, ``travel_time_s``.

    Raises
    ------
    DataError
        When an edge names a node that is not in the graph, or an arc of the graph has no edge
        (road_edges and road_graph come from different runs).
    """
    for column in ("u", "v", "length_m", "travel_time_s"):
        if column not in edges.columns:
            raise DataError(f"road edges lack the column {column!r}; rebuild the network stage.")
    iu, iv = graph.edge_positions(edges["u"].to_numpy(), edges["v"].to_numpy())
    keep = iu != iv
    iu, iv = iu[keep], iv[keep]
    time_s = edges["travel_time_s"].to_numpy(float)[keep]
    length_m = edges["length_m"].to_numpy(float)[keep]
    order = np.lexsort((length_m, time_s, iv, iu))
    keys = iu[order] * graph.n_nodes + iv[order]
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    keys, length_m = keys[first], length_m[order][first]
    arc_keys = _arc_keys(graph.matrix)
    pos = np.searchsorted(keys, arc_keys)
    pos = np.clip(pos, 0, max(len(keys) - 1, 0))
    if len(keys) == 0 or (keys[pos] != arc_keys).any():
        missing = int((len(keys) == 0) or (keys[pos] != arc_keys).sum())
        raise DataError(
            f"{missing} arcs of the road graph have no matching road edge; road_edges and "
            "road_graph come from different runs: rebuild the network stage."
        )
    return length_m[pos]


def with_weights(graph: CSRGraph, weights: np.ndarray) -> CSRGraph:
    """The same graph (same arcs) with other arc weights, aligned with ``graph.matrix.data``."""
    m = graph.matrix
    matrix = sp.csr_array(
        (np.maximum(np.asarray(weights, dtype=np.float64), 1e-6), m.indices, m.indptr),
        shape=m.shape,
    )
    return CSRGraph(node_ids=graph.node_ids, x=graph.x, y=graph.y, matrix=matrix)


def shortest_path_arcs(
    matrix: sp.csr_array, source: int, target: int, *, limit: float = np.inf
) -> np.ndarray | None:
    """Data positions (into ``matrix.data``) of the arcs of the cheapest path source → target.

    Returns ``None`` when ``target`` is not reached within ``limit``.
    """
    dist, pred = dijkstra(
        matrix, directed=True, indices=int(source), return_predecessors=True, limit=limit
    )
    if not np.isfinite(dist[target]):
        return None
    nodes = [int(target)]
    while nodes[-1] != source:
        previous = int(pred[nodes[-1]])
        if previous == NO_PREDECESSOR:  # pragma: no cover - dijkstra guarantees a chain
            return None
        nodes.append(previous)
    path = np.asarray(nodes[::-1], dtype=np.int64)
    if len(path) < 2:
        return np.empty(0, dtype=np.int64)
    return arc_positions(matrix, path[:-1], path[1:])


def arc_positions(matrix: sp.csr_array, source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Data positions of the arcs ``source[k] → target[k]`` (which must exist)."""
    keys = _arc_keys(matrix)
    wanted = np.asarray(source, np.int64) * matrix.shape[0] + np.asarray(target, np.int64)
    pos = np.searchsorted(keys, wanted)
    if (pos >= len(keys)).any() or (keys[np.minimum(pos, len(keys) - 1)] != wanted).any():
        raise ValueError("an arc of the path is not in the graph")
    return pos


@dataclass(frozen=True)
class RedundancyResult:
    """Materially different routes between two nodes.

    Attributes
    ----------
    routes
        Number of routes kept (0 when the target is unreachable).
    fastest_s
        Time of the fastest route in seconds (NaN when unreachable).
    route_times_s
        True travel time of each kept route, fastest first.
    route_arcs
        Data positions of the arcs of each kept route.
    """

    routes: int
    fastest_s: float
    route_times_s: tuple[float, ...]
    route_arcs: tuple[np.ndarray, ...]


def redundant_routes(
    graph: CSRGraph,
    lengths_m: np.ndarray,
    source: int,
    target: int,
    *,
    max_time_ratio: float = 1.2,
    max_overlap: float = 0.5,
    penalty_factor: float = 2.0,
    max_iterations: int = 10,
) -> RedundancyResult:
    """Count materially different routes source → target with the iterative penalty method.

    Route 1 is the fastest path. Each iteration multiplies the weight of every arc used by the
    previous candidate by ``penalty_factor`` and routes again; a candidate is kept when its true
    time is at most ``max_time_ratio`` × the fastest and it shares less than ``max_overlap`` of
    its length with every kept route (shared length / length of the shorter of the two).
    The search stops early when no path within ``max_time_ratio`` can remain: after ``k``
    penalty rounds every arc is multiplied at most ``penalty_factor**k`` times, so a penalised
    search limited to ``max_time_ratio × fastest × penalty_factor**k`` that reaches nothing
    proves that no acceptable route is left.

    Parameters
    ----------
    graph
        Graph of true travel times (seconds).
    lengths_m
        Arc lengths aligned with ``graph.matrix.data`` (see :func:`arc_lengths`).
    source, target
        Node positions.
    max_time_ratio, max_overlap, penalty_factor, max_iterations
        Thresholds (config ``integration.redundancy``).
    """
    true_s = graph.matrix.data.astype(np.float64)
    lengths_m = np.asarray(lengths_m, dtype=np.float64)
    if source == target:
        return RedundancyResult(1, 0.0, (0.0,), (np.empty(0, dtype=np.int64),))
    first = shortest_path_arcs(graph.matrix, source, target)
    if first is None:
        return RedundancyResult(0, float("nan"), (), ())
    fastest = float(true_s[first].sum())
    kept: list[np.ndarray] = [first]
    times: list[float] = [fastest]
    weights = true_s.copy()
    candidate = first
    for k in range(1, max_iterations + 1):
        weights[candidate] *= penalty_factor
        matrix = sp.csr_array(
            (weights, graph.matrix.indices, graph.matrix.indptr), graph.matrix.shape
        )
        limit = max_time_ratio * fastest * penalty_factor**k * (1 + 1e-9)
        candidate = shortest_path_arcs(matrix, source, target, limit=limit)
        if candidate is None:
            break
        time_s = float(true_s[candidate].sum())
        if time_s > max_time_ratio * fastest * (1 + 1e-9):
            continue
        length = float(lengths_m[candidate].sum())
        distinct = True
        for route in kept:
            shared = float(lengths_m[np.intersect1d(candidate, route)].sum())
            shorter = min(length, float(lengths_m[route].sum()))
            if shorter <= 0 or shared / shorter >= max_overlap:
                distinct = False
                break
        if distinct:
            kept.append(candidate)
            times.append(time_s)
    order = np.argsort(times, kind="stable")
    return RedundancyResult(
        routes=len(kept),
        fastest_s=fastest,
        route_times_s=tuple(float(times[i]) for i in order),
        route_arcs=tuple(kept[i] for i in order),
    )
