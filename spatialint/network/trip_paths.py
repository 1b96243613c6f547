"""Fastest paths of many trips, broken down by road group: what speed calibration fits on.

:func:`trip_group_seconds` routes every distinct origin once with scipy's Dijkstra (keeping the
predecessor arrays), then walks all trips back from their destinations *together*: one numpy
step per hop of the longest path, each step vectorised over the trips, so no Python loop runs
over the graph's nodes. Along each path it adds up the free-flow seconds spent in each road
group (and the metres driven), so a trip's modelled time under any factors is one dot product:
``sum_g seconds_g / factor_g``.

Given a likely time per trip (``limit_s``: calibration knows one from the previous round's path,
or from the observed minutes), each search stops there instead of settling the whole graph:
most trips are short, so this saves most of the work (demo ×22: 484k nodes, 400 trips, a
search settles ~11 % of the graph on average). A trip not reached within its limit is routed
again in full, so the paths do not depend on the limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

PREDECESSOR_CELLS = 20_000_000
"""Shortest-path trees walked back together are limited to this many (origin × node) cells
(~80 MB of int32 predecessors)."""
LIMIT_MARGIN = 1e-6
"""A search limited by a trip's expected time goes this share (and 1 s) further, so that
rounding never cuts off a path of exactly that time."""


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

    @cached_property
    def arc_runs(self) -> tuple[np.ndarray, np.ndarray]:
        """The edges without self-loops sorted by (u, v), then edge index, and where each run
        of one (u, v) starts: the same for every factor, so sorted once."""
        keep = np.flatnonzero(self.u != self.v)
        order = keep[np.lexsort((self.v[keep], self.u[keep]))]
        u, v = self.u[order], self.v[order]
        starts = np.flatnonzero(np.r_[True, (u[1:] != u[:-1]) | (v[1:] != v[:-1])])
        return order, starts


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


def _best_arcs(edges: GroupedEdges, weight: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """The CSR matrix of the fastest arc per (u, v) under ``weight`` (of equal ones the first
    edge), and for each stored arc (in CSR order: sorted by u, then v) the edge it comes from.
    The matrix has int32 indices, as scipy's Dijkstra needs them (else it converts the whole
    graph on every call)."""
    order, starts = edges.arc_runs
    w = weight[order]
    run = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, order.size]))
    fastest = w == np.minimum.reduceat(w, starts)[run] if order.size else w == w
    first = np.flatnonzero(fastest)
    first = first[np.r_[True, run[first][1:] != run[first][:-1]]] if first.size else first
    arc_edge = order[first]
    n = edges.n_nodes
    index = np.int32 if max(n, arc_edge.size) < np.iinfo(np.int32).max else np.int64
    indptr = np.searchsorted(edges.u[arc_edge], np.arange(n + 1)).astype(index)
    matrix = sp.csr_matrix(
        (np.maximum(weight[arc_edge], 1e-6), edges.v[arc_edge].astype(index), indptr),
        shape=(n, n),
    )
    return matrix, arc_edge


def _source_limits(
    source_of_trip: np.ndarray, n_sources: int, limit_s: np.ndarray | None
) -> np.ndarray:
    """Per source, how far (seconds) to route: the largest limit of its trips, with
    :data:`LIMIT_MARGIN` for rounding; infinite without limits or where one is missing."""
    reach = np.full(n_sources, np.inf)
    if limit_s is None:
        return reach
    limit = np.asarray(limit_s, dtype=float)
    limit = np.where(np.isfinite(limit), np.maximum(limit, 0) * (1 + LIMIT_MARGIN) + 1.0, np.inf)
    reach[:] = -np.inf
    np.maximum.at(reach, source_of_trip, limit)
    return reach


def _predecessors(
    matrix: sp.csr_matrix, source: int, reach_s: float, targets: np.ndarray
) -> np.ndarray:
    """The shortest-path tree (predecessor per node) from ``source``, routed only as far as
    ``reach_s`` seconds; routed again without limit when a target is not reached within it."""
    _, pred = dijkstra(matrix, indices=source, return_predecessors=True, limit=reach_s)
    if np.isfinite(reach_s) and ((pred[targets] < 0) & (targets != source)).any():
        _, pred = dijkstra(matrix, indices=source, return_predecessors=True)
    return pred


def trip_group_seconds(
    edges: GroupedEdges,
    factors: np.ndarray,
    origin: np.ndarray,
    destination: np.ndarray,
    *,
    limit_s: np.ndarray | None = None,
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
    limit_s
        Per trip, the seconds its fastest path likely stays within (NaN: unknown), e.g. an
        earlier path's time under ``factors``, which bounds it. Each origin is routed only as
        far as its trips' largest limit, and again in full when a trip is not reached, so the
        paths are those of a full search whatever the limits: they only save time.
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
    reach_s = _source_limits(source_of_trip, sources.size, limit_s)
    chunk = max(1, PREDECESSOR_CELLS // max(n, 1))
    for start in range(0, sources.size, chunk):
        part = sources[start : start + chunk]
        trips = np.flatnonzero((source_of_trip >= start) & (source_of_trip < start + part.size))
        row = source_of_trip[trips] - start
        pred = np.empty((part.size, n), dtype=np.int32)
        for i, source in enumerate(part):
            targets = destination[trips[row == i]]
            pred[i] = _predecessors(matrix, source, reach_s[start + i], targets)
        _walk_back(edges, arc_edge, arc_key, pred, row, origin[trips], destination[trips],
                   trips, seconds, length, reached)  # fmt: skip
    if edges.length_m is None:
        length[:] = np.nan
    seconds[~reached] = 0.0
    return TripPaths(seconds=seconds, length_m=np.where(reached, length, np.nan), reached=reached)


def _walk_back(
    edges: GroupedEdges, arc_edge: np.ndarray, arc_key: np.ndarray, pred: np.ndarray,
    row: np.ndarray, origin: np.ndarray, destination: np.ndarray, trips: np.ndarray,
    seconds: np.ndarray, length: np.ndarray, reached: np.ndarray,
) -> None:  # fmt: skip
    """Walk the ``trips`` back from their destinations along the predecessor rows ``pred``
    (row ``row[i]`` for trip ``i``) together, one numpy step per hop, adding each arc's
    free-flow seconds to its group (and its metres) in ``seconds`` and ``length``."""
    n = np.int64(edges.n_nodes)
    cur = destination.copy()
    ok = (pred[row, cur] >= 0) | (cur == origin)
    reached[trips] = ok
    active = ok & (cur != origin)
    while active.any():
        idx = np.flatnonzero(active)
        prev = pred[row[idx], cur[idx]].astype(np.int64)
        arc = arc_edge[np.searchsorted(arc_key, prev * n + cur[idx])]
        seconds[trips[idx], edges.group[arc]] += edges.time_s[arc]
        if edges.length_m is not None:
            length[trips[idx]] += edges.length_m[arc]
        cur[idx] = prev
        active[idx] = prev != origin[idx]
