"""How far apart, over today's roads, the two ends of a gap are: network distance and time.

A dead end faces a point ``p`` on an edge ``u``–``v`` of another road. The way round today runs
from the dead end over ``u`` or ``v`` and then along the edge to ``p``; :func:`network_distance_m`
measures it in metres on the undirected drivable graph (:func:`length_graph`), and
:func:`detour_time_s` in seconds on the routing graph. Searches run for a few dead ends at a
time (:data:`DETOUR_CHUNK`), so memory stays bounded on large networks.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from spatialint.gaps.network import BorderNetwork
from spatialint.network.graph import CSRGraph
from spatialint.network.routing import travel_times

#: Sources per Dijkstra call when computing detours (bounds memory to CHUNK × n_nodes floats).
DETOUR_CHUNK = 32
#: Shortest edge length in the length graph, metres (a zero weight would mean "no arc").
MIN_EDGE_LENGTH_M = 1e-3
#: Speed bounding any road route, metres per second (144 km/h): no route found within a time
#: cutoff is longer than cutoff × this, so distance searches can stop there.
MAX_ROAD_SPEED_MPS = 40.0


def length_graph(net: BorderNetwork, n_nodes: int) -> sp.csr_array:
    """Undirected graph of drivable edge lengths (metres) for detour distances."""
    e = net.edges
    src = np.concatenate([e["pu"].to_numpy(), e["pv"].to_numpy()])
    dst = np.concatenate([e["pv"].to_numpy(), e["pu"].to_numpy()])
    w = np.maximum(np.concatenate([e["length_m"].to_numpy()] * 2), MIN_EDGE_LENGTH_M)
    g = CSRGraph.from_arcs(np.arange(n_nodes), np.zeros(n_nodes), np.zeros(n_nodes), src, dst, w)
    return g.matrix


def _chunked_pairs(
    search: Callable[[np.ndarray], np.ndarray], sources: np.ndarray, targets: np.ndarray
) -> np.ndarray:
    """``search(block)`` rows for sources[i], picked at targets[i, j], in chunks of sources.

    ``targets`` is (m,) or (m, k); the result has its shape, inf where ``search`` found none.
    """
    targets = np.asarray(targets)
    out = np.full(targets.shape, np.inf)
    uniq, inverse = np.unique(sources, return_inverse=True)
    for start in range(0, len(uniq), DETOUR_CHUNK):  # chunks of sources, not nodes
        block = uniq[start : start + DETOUR_CHUNK]
        found = search(block)
        rows = np.flatnonzero((inverse >= start) & (inverse < start + len(block)))
        local = inverse[rows] - start
        picked = found[local[:, None], targets[rows].reshape(len(rows), -1)]
        out[rows] = picked.reshape(out[rows].shape)
    return out


def dijkstra_pairs(
    matrix: sp.csr_array, sources: np.ndarray, targets: np.ndarray, *, limit: float
) -> np.ndarray:
    """Shortest distance sources[i] → targets[i, j] (inf beyond ``limit``)."""
    return _chunked_pairs(
        lambda block: np.atleast_2d(dijkstra(matrix, directed=True, indices=block, limit=limit)),
        sources,
        targets,
    )


def times_pairs(
    graph: CSRGraph, sources: np.ndarray, targets: np.ndarray, *, cutoff_s: float
) -> np.ndarray:
    """Fastest time sources[i] → targets[i, j] in seconds (inf beyond ``cutoff_s``)."""
    return _chunked_pairs(
        lambda block: np.nan_to_num(travel_times(graph, block, cutoff_s=cutoff_s), nan=np.inf),
        sources,
        targets,
    )


def network_distance_m(
    lengths: sp.csr_array,
    sources: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    along_m: np.ndarray,
    edge_m: np.ndarray,
    *,
    limit_m: float,
) -> np.ndarray:
    """Metres from each source node to the point ``along_m`` of the way along edge u–v.

    ``edge_m`` is the edge's length; inf where the point is farther than ``limit_m``.
    """
    to_u, to_v = dijkstra_pairs(lengths, sources, np.column_stack([u, v]), limit=limit_m).T
    return np.minimum(to_u + along_m, to_v + (edge_m - along_m))


def detour_time_s(
    graph: CSRGraph,
    sources: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    fraction: np.ndarray,
    *,
    cutoff_s: float,
) -> np.ndarray:
    """Seconds from each source node to the point ``fraction`` of the way along edge u–v.

    The last stretch takes its share of the edge's time in the direction driven (u → p over
    arc u → v, v → p over arc v → u); NaN beyond ``cutoff_s``.
    """
    t_uv, t_vu = _arc_seconds(graph, u, v), _arc_seconds(graph, v, u)
    to_u, to_v = times_pairs(graph, sources, np.column_stack([u, v]), cutoff_s=cutoff_s).T
    # p at an edge end costs nothing on the edge, even where the edge is one-way (0 × inf is
    # never computed: it would be NaN, with a RuntimeWarning)
    part_u = np.multiply(fraction, t_uv, out=np.zeros(len(u)), where=fraction > 0)
    part_v = np.multiply(1 - fraction, t_vu, out=np.zeros(len(u)), where=fraction < 1)
    seconds = np.minimum(to_u + part_u, to_v + part_v)
    return np.where(seconds <= cutoff_s, seconds, np.nan)


def _arc_seconds(graph: CSRGraph, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Time of the arcs u[i] → v[i], inf where there is none (a one-way edge)."""
    if len(u) == 0:
        return np.zeros(0)
    seconds = np.asarray(graph.matrix[u, v]).ravel()
    return np.where(seconds > 0, seconds, np.inf)
