"""Fastest paths of many trips, broken down by road group: what speed calibration fits on.

:func:`trip_group_seconds` routes every distinct origin once with scipy's Dijkstra (keeping the
predecessor arrays), then walks all trips back from their destinations *together*: one numpy
step per hop of the longest path, each step vectorised over the trips, so no Python loop runs
over the graph's nodes. Along each path it adds up the free-flow seconds spent in each road
group (and the metres driven), so a trip's modelled time under any factors is one dot product:
``sum_g seconds_g / factor_g``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

PREDECESSOR_CELLS = 20_000_000
"""Origins routed per scipy call are limited to this many (origin × node) cells (~240 MB of
distances and predecessors)."""


@dataclass(frozen=True)
class GroupedEdges:
    """The edges of a road graph as calibration sees them.

    Attributes
    ----------
    n_nodes
        Number of nodes (positions 0..n-1).
    u, v
        Node positions of each directed edge's ends.
    time_s
        Free-flow seconds of each edge.
    group
        Group index of each edge (into ``groups``).
    groups
        Group keys (``urban_local``, ...).
    length_m
        Metres of each edge, or ``None`` (then path lengths are not known).
    """

    n_nodes: int
    u: np.ndarray
    v: np.ndarray
    time_s: np.ndarray
    group: np.ndarray
    groups: tuple[str, ...]
    length_m: np.ndarray | None = None


@dataclass(frozen=True)
class TripPaths:
    """Per trip: free-flow seconds by group along its fastest path, metres, reached or not."""

    seconds: np.ndarray  # (trips, groups)
    length_m: np.ndarray  # (trips,), NaN when the edges have no lengths
    reached: np.ndarray  # (trips,) bool

    def modelled_s(self, factors: np.ndarray) -> np.ndarray:
        """Travel time of each trip along its path under per-group ``factors`` (NaN: no route)."""
        out = self.seconds @ (1.0 / np.asarray(factors, dtype=float))
        return np.where(self.reached, out, np.nan)


def _best_arcs(edges: GroupedEdges, weight: np.ndarray) -> tuple[sp.csr_array, np.ndarray]:
    """The CSR matrix of the fastest arc per (u, v) under ``weight``, and for each stored arc
    (in CSR order: sorted by u, then v) the edge it comes from."""
    keep = np.flatnonzero(edges.u != edges.v)
    order = keep[np.lexsort((weight[keep], edges.v[keep], edges.u[keep]))]
    u, v = edges.u[order], edges.v[order]
    first = np.ones(order.size, dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    arc_edge = order[first]
    n = edges.n_nodes
    matrix = sp.csr_array(
        (np.maximum(weight[arc_edge], 1e-6), (edges.u[arc_edge], edges.v[arc_edge])), shape=(n, n)
    )
    matrix.sort_indices()
    return matrix, arc_edge


def trip_group_seconds(
    edges: GroupedEdges, factors: np.ndarray, origin: np.ndarray, destination: np.ndarray
) -> TripPaths:
    """Route each trip (node positions ``origin`` → ``destination``) on the fastest path under
    per-group speed ``factors`` and sum its free-flow seconds by group.

    Parameters
    ----------
    edges
        The graph's edges with their groups.
    factors
        One speed factor per group (edge time = free-flow time / factor).
    origin, destination
        Node positions of the trips' ends.
    """
    origin = np.asarray(origin, dtype=np.int64)
    destination = np.asarray(destination, dtype=np.int64)
    weight = edges.time_s / np.asarray(factors, dtype=float)[edges.group]
    matrix, arc_edge = _best_arcs(edges, weight)
    n = edges.n_nodes
    arc_key = edges.u[arc_edge] * np.int64(n) + edges.v[arc_edge]  # sorted (CSR order)
    seconds = np.zeros((origin.size, len(edges.groups)))
    length = np.zeros(origin.size)
    reached = np.zeros(origin.size, dtype=bool)
    sources, source_of_trip = np.unique(origin, return_inverse=True)
    chunk = max(1, PREDECESSOR_CELLS // max(n, 1))
    for start in range(0, sources.size, chunk):
        part = sources[start : start + chunk]
        _, pred = dijkstra(matrix, indices=part, return_predecessors=True)
        trips = np.flatnonzero((source_of_trip >= start) & (source_of_trip < start + part.size))
        row = source_of_trip[trips] - start
        cur = destination[trips].copy()
        ok = (pred[row, cur] >= 0) | (cur == origin[trips])
        reached[trips] = ok
        active = ok & (cur != origin[trips])
        while active.any():
            idx = np.flatnonzero(active)
            prev = pred[row[idx], cur[idx]].astype(np.int64)
            arc = arc_edge[np.searchsorted(arc_key, prev * np.int64(n) + cur[idx])]
            seconds[trips[idx], edges.group[arc]] += edges.time_s[arc]
            if edges.length_m is not None:
                length[trips[idx]] += edges.length_m[arc]
            cur[idx] = prev
            active[idx] = prev != origin[trips[idx]]
    if edges.length_m is None:
        length[:] = np.nan
    seconds[~reached] = 0.0
    return TripPaths(seconds=seconds, length_m=np.where(reached, length, np.nan), reached=reached)
