"""Walks between the road network and the transit stations.

A station is tied to its nearest road node (the straight gap, ``snap_m``). From there a rider
walks over the road graph — every road, both ways, at ``walk_kph`` — to every road node within
``max_walk_m`` (network distance + ``snap_m``), as R5 and UrbanAccess link stops to the street
network. So there are two arcs per station and road node within reach:

- access ``road node → in(station)`` and egress ``out(station) → road node``, each
  ``(network distance + snap_m) / walk speed`` (the transit stage adds ``platform_min``:
  :func:`spatialint.network.transit.transit_arcs`).

A station whose nearest road lies beyond ``max_walk_m`` is reached by no walk (it still serves
riders changing lines there); the log names them. Distances come from scipy's Dijkstra on a
length-weighted CSR graph, limited to ``max_walk_m``, in chunks of stations so memory stays
bounded whatever the size of the road graph.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from spatialint.geo import NearestNodes
from spatialint.network.graph import CSRGraph

logger = logging.getLogger(__name__)

KPH_PER_M_PER_S = 3.6
DENSE_CELLS = 20_000_000
"""Cells of one chunk's distance matrix (stations × road nodes, float64: 160 MB)."""


@dataclass(frozen=True)
class Walks:
    """Walk arcs between road nodes (graph positions) and stations (positions in the
    stations table), and each station's nearest road node and gap."""

    road: np.ndarray
    station: np.ndarray
    walk_s: np.ndarray
    nearest_road: np.ndarray
    snap_m: np.ndarray


def length_graph(road_graph: CSRGraph, road_edges: pd.DataFrame) -> sp.csr_array:
    """Undirected road graph weighted by length (m), the shortest of parallel edges: a walker
    may go against one-way streets."""
    u, v = road_graph.edge_positions(road_edges["u"].to_numpy(), road_edges["v"].to_numpy())
    length = np.maximum(road_edges["length_m"].to_numpy(dtype=float), 1e-3)
    src, dst = np.concatenate([u, v]), np.concatenate([v, u])
    w = np.concatenate([length, length])
    order = np.lexsort((w, dst, src))
    src, dst, w = src[order], dst[order], w[order]
    first = np.ones(len(src), dtype=bool)
    first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
    n = road_graph.n_nodes
    return sp.csr_array((w[first], (src[first], dst[first])), shape=(n, n))


def station_walks(
    road_graph: CSRGraph,
    road_edges: pd.DataFrame,
    stations: pd.DataFrame,
    *,
    max_walk_m: float,
    walk_kph: float,
) -> Walks:
    """Access and egress walks of every station (module doc)."""
    nearest = NearestNodes(road_graph.x, road_graph.y)
    road_pos, snap_m = nearest.query(stations["lon"].to_numpy(), stations["lat"].to_numpy())
    far = snap_m > max_walk_m
    if far.any():
        names = stations.loc[far, "name"].astype(str).tolist()
        logger.warning(
            "%d transit station(s) lie farther than transit.max_walk_m (%g m) from any road and "
            "are reached on foot from nowhere (they still serve changes between lines): %s%s. "
            "Check their coordinates in stops.txt, or widen the study area or max_walk_m",
            int(far.sum()), max_walk_m,
            "; ".join(f"{n} ({feed}, {d:.0f} m)" for n, feed, d in zip(
                names[:5], stations.loc[far, "feed"][:5], snap_m[far][:5], strict=True)),
            " …" if far.sum() > 5 else "",
        )  # fmt: skip
    near = np.flatnonzero(~far)
    graph = length_graph(road_graph, road_edges)
    speed = walk_kph / KPH_PER_M_PER_S
    roads, stns, dists = [], [], []
    sources, inverse = np.unique(road_pos[near], return_inverse=True)
    # the stations of each source node, grouped (usually one each)
    by_source = near[np.argsort(inverse, kind="stable")]
    counts = np.bincount(inverse, minlength=len(sources))
    offsets = np.concatenate([[0], np.cumsum(counts)])
    chunk = max(1, DENSE_CELLS // max(road_graph.n_nodes, 1))
    for start in range(0, len(sources), chunk):
        block = sources[start : start + chunk]
        dist = np.atleast_2d(dijkstra(graph, directed=True, indices=block, limit=max_walk_m))
        r, c = np.nonzero(np.isfinite(dist))
        src = start + r
        rep = counts[src]
        pair = np.repeat(np.arange(len(r)), rep)
        within = np.arange(len(pair)) - np.repeat(np.cumsum(rep) - rep, rep)
        station = by_source[offsets[src][pair] + within]
        total = dist[r, c][pair] + snap_m[station]
        ok = total <= max_walk_m
        roads.append(c[pair][ok])
        stns.append(station[ok])
        dists.append(total[ok])
    road = np.concatenate(roads) if roads else np.zeros(0, np.int64)
    return Walks(
        road=road.astype(np.int64),
        station=(np.concatenate(stns) if stns else np.zeros(0, np.int64)).astype(np.int64),
        walk_s=(np.concatenate(dists) if dists else np.zeros(0)) / speed,
        nearest_road=road_pos,
        snap_m=snap_m,
    )
