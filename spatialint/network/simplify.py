"""Graph simplification on arrays: chains of arcs through non-endpoint nodes become one edge.

:func:`simplify_arcs` applies exactly osmnx's endpoint rules (``simplify_graph``: self-loop,
dead end or source/sink, not exactly two neighbours with 2 or 4 incident arcs) plus osmnx's
``edge_attrs_differ`` rule through an attribute class per arc, and ``force_endpoint`` for
osmnx's ``node_attrs_include``.  It is our own vectorised implementation because osmnx's walks a
networkx graph node by node (``benchmarks/road_network.py`` measures both); the road tests check
it gives osmnx's graph on the real extracts.  :func:`chain_edges` then collapses each chain
into one edge with its length, shape and midpoint.

Both the road network (:mod:`spatialint.network.roads`) and the rail network
(:mod:`spatialint.network.rail`) build on this module.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import shapely

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Chains:
    """Result of :func:`simplify_arcs`: which simplified edge each arc belongs to.

    ``chain`` is the simplified-edge number of each arc (-1 for arcs in isolated rings),
    ``rank`` its position along that edge (0 = first arc); ``endpoint`` flags the nodes kept.
    """

    chain: np.ndarray
    rank: np.ndarray
    endpoint: np.ndarray


@dataclass(frozen=True)
class ChainEdges:
    """One simplified edge per chain: its first and last arc, length, shape and midpoint."""

    first_arc: np.ndarray
    last_arc: np.ndarray
    length_m: np.ndarray
    geometry: np.ndarray
    mid_lon: np.ndarray
    mid_lat: np.ndarray


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values, by sorting (numpy 2.4's hash-based ``np.unique`` is ~100× slower
    on millions of int64 keys)."""
    ordered = np.sort(values)
    keep = np.ones(len(ordered), dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


def factorize_sorted(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(distinct sorted values, index of each one's first occurrence, code of every value)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    new = np.ones(len(ordered), dtype=bool)
    new[1:] = ordered[1:] != ordered[:-1]
    codes_sorted = np.cumsum(new) - 1
    codes = np.empty(len(values), dtype=np.int64)
    codes[order] = codes_sorted
    return ordered[new], order[new], codes


def endpoints(u: np.ndarray, v: np.ndarray, attr_class: np.ndarray, n_nodes: int) -> np.ndarray:
    """The nodes a simplified graph keeps (osmnx's rules; see :func:`simplify_arcs`)."""
    n = np.int64(max(n_nodes, 1))
    in_deg = np.bincount(v, minlength=n_nodes)
    out_deg = np.bincount(u, minlength=n_nodes)
    degree = in_deg + out_deg
    # distinct directed pairs → distinct in-/out-neighbours; distinct undirected → neighbours
    pairs = sorted_unique(u * n + v)
    pu, pv = pairs // n, pairs % n
    in_nbrs = np.bincount(pv, minlength=n_nodes)
    out_nbrs = np.bincount(pu, minlength=n_nodes)
    und = sorted_unique(np.minimum(pu, pv) * n + np.maximum(pu, pv))
    lo, hi = und // n, und % n
    neighbours = np.bincount(lo, minlength=n_nodes) + np.bincount(hi[hi != lo], minlength=n_nodes)
    self_loop = np.zeros(n_nodes, dtype=bool)
    self_loop[u[u == v]] = True
    return (
        self_loop
        | (in_deg == 0)
        | (out_deg == 0)
        | ~((neighbours == 2) & ((degree == 2) | (degree == 4)))
        | _classes_differ(u, v, attr_class, n_nodes)
        | (in_nbrs != in_deg)
        | (out_nbrs != out_deg)
    )


def _classes_differ(
    u: np.ndarray, v: np.ndarray, attr_class: np.ndarray, n_nodes: int
) -> np.ndarray:
    """Nodes with arcs of more than one attribute class (osmnx's ``edge_attrs_differ``)."""
    cls_min = np.full(n_nodes, np.iinfo(np.int64).max, dtype=np.int64)
    cls_max = np.full(n_nodes, -1, dtype=np.int64)
    for ends in (u, v):
        np.minimum.at(cls_min, ends, attr_class)
        np.maximum.at(cls_max, ends, attr_class)
    return (cls_max >= 0) & (cls_min != cls_max)


def _previous_arcs(u: np.ndarray, v: np.ndarray, is_start: np.ndarray, n_nodes: int) -> np.ndarray:
    """``prev[s]``: for an arc s = a→b leaving a non-endpoint a, the arc into a whose tail is
    not b (itself for arcs leaving an endpoint)."""
    m = len(u)
    in_deg = np.bincount(v, minlength=n_nodes)
    by_head = np.argsort(v, kind="stable")
    head_start = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(in_deg, out=head_start[1:])
    prev = np.arange(m, dtype=np.int64)
    inner = np.flatnonzero(~is_start)
    a = u[inner]
    first_in = by_head[head_start[a]]
    second_in = by_head[np.minimum(head_start[a] + 1, m - 1)]
    use_second = (in_deg[a] == 2) & (u[first_in] == v[inner])
    prev[inner] = np.where(use_second, second_in, first_in)
    return prev


def _rank_chains(prev: np.ndarray, is_start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """List ranking by pointer jumping: each arc's chain head (-1 in a ring) and position."""
    rank = np.where(is_start, 0, 1).astype(np.int64)
    jump = prev
    max_iter = max(1, int(math.ceil(math.log2(max(len(prev), 2)))) + 1)
    for _ in range(max_iter):
        if is_start[jump].all():
            break
        rank = rank + rank[jump]
        jump = jump[jump]
    in_ring = ~is_start[jump]
    if in_ring.any():
        logger.info(
            "simplification drops %d arcs in isolated rings without endpoints", int(in_ring.sum())
        )
    return np.where(in_ring, -1, jump), rank


def simplify_arcs(
    u: np.ndarray,
    v: np.ndarray,
    attr_class: np.ndarray,
    *,
    n_nodes: int,
    force_endpoint: np.ndarray | None = None,
) -> Chains:
    """Group directed arcs into simplified edges, exactly as ``osmnx.simplify_graph`` does.

    A node is an endpoint when it has a self-loop, no in-arcs or no out-arcs, not exactly two
    distinct neighbours with 2 or 4 incident arcs, arcs of more than one ``attr_class``
    (osmnx's ``edge_attrs_differ``), or ``force_endpoint`` is set.  Every other node lies
    inside a chain; chains start at an arc leaving an endpoint.  Nodes with 4 arcs to two
    neighbours that are not one in- and one out-arc per neighbour (two one-way ways in the same
    direction side by side) are also endpoints, which osmnx leaves ambiguous.

    Works by list ranking (pointer jumping) over arrays: O(arcs · log(longest chain)).
    """
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    endpoint = endpoints(u, v, np.asarray(attr_class, dtype=np.int64), n_nodes)
    if force_endpoint is not None:
        endpoint |= np.asarray(force_endpoint, dtype=bool)
    is_start = endpoint[u]
    head, rank = _rank_chains(_previous_arcs(u, v, is_start, n_nodes), is_start)
    # number the chains 0..k-1 by their start arc
    starts = np.flatnonzero(is_start)
    chain_of_start = np.full(len(u), -1, dtype=np.int64)
    chain_of_start[starts] = np.arange(len(starts))
    chain = np.where(head >= 0, chain_of_start[np.maximum(head, 0)], -1)
    return Chains(chain=chain, rank=np.where(head >= 0, rank, -1), endpoint=endpoint)


def chain_edges(
    chains: Chains, u: np.ndarray, v: np.ndarray, length_m: np.ndarray, xy: np.ndarray
) -> ChainEdges:
    """Collapse each chain of arcs into one edge (all vectorised).

    The shape is the arcs' tail points in rank order plus the last head point; the midpoint is
    the point at half the chain's great-circle length (interpolated linearly within its arc).
    """
    idx = np.flatnonzero(chains.chain >= 0)
    order = idx[np.lexsort((chains.rank[idx], chains.chain[idx]))]
    ch = chains.chain[order]
    n_chains = int(ch[-1]) + 1 if len(ch) else 0
    counts = np.bincount(ch, minlength=n_chains)
    ends = np.cumsum(counts)  # one past each chain's last arc, in `order`
    starts = ends - counts
    first_arc, last_arc = order[starts], order[ends - 1]
    seg_len = length_m[order]
    cum = np.cumsum(seg_len)
    before = np.concatenate([[0.0], cum])[starts]
    total = cum[ends - 1] - before if n_chains else np.zeros(0)
    mid = _midpoints(order, seg_len, cum, before + total / 2, ends, u, v, xy)
    geometry = _chain_shapes(order, ch, ends, last_arc, u, v, xy)
    return ChainEdges(
        first_arc=first_arc,
        last_arc=last_arc,
        length_m=total,
        geometry=geometry,
        mid_lon=mid[:, 0],
        mid_lat=mid[:, 1],
    )


def _midpoints(
    order: np.ndarray,
    seg_len: np.ndarray,
    cum: np.ndarray,
    target: np.ndarray,
    ends: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    xy: np.ndarray,
) -> np.ndarray:
    """The point at length ``target`` along each chain: in the first arc whose cumulative
    length reaches it, interpolated linearly."""
    at = np.minimum(np.searchsorted(cum, target, side="left"), ends - 1)
    arc = order[at]
    frac = np.where(
        seg_len[at] > 0,
        (target - (cum[at] - seg_len[at])) / np.where(seg_len[at] > 0, seg_len[at], 1),
        0.0,
    )
    frac = np.clip(frac, 0.0, 1.0)
    tail, head = xy[u[arc]], xy[v[arc]]
    return tail + (head - tail) * frac[:, None]


def _chain_shapes(
    order: np.ndarray,
    ch: np.ndarray,
    ends: np.ndarray,
    last_arc: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    xy: np.ndarray,
) -> np.ndarray:
    """One LineString per chain: its arcs' tail points in rank order plus the last head."""
    n_chains = len(ends)
    # chain c's points go to positions starts[c] + c ... ends[c] + c
    coords = np.empty((len(order) + n_chains, 2), dtype=np.float64)
    coords[np.arange(len(order)) + ch] = xy[u[order]]
    coords[ends - 1 + np.arange(n_chains) + 1] = xy[v[last_arc]]
    offsets = np.concatenate([[0], ends + np.arange(1, n_chains + 1)])
    return shapely.from_ragged_array(
        shapely.GeometryType.LINESTRING, coords, (offsets.astype(np.int64),)
    )
