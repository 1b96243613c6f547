"""Where an origin enters the road graph: snapped onto a road edge, and the trips' start times.

An origin is snapped to the nearest point on a road edge of the road graph's main (largest
strongly connected) component — not to the nearest node, which on a long rural road can be
kilometres away while the road passes by (:func:`snap_to_edges`). A trip starts at the snapped
point: it reaches the edge's two end nodes after the share of the edge's travel time between
them, only in the directions the edge may be driven (:func:`origin_starts`). A station origin on
the multimodal graph also starts at the station's access node, where the multimodal graph
attaches its boarding arcs, so trains can be boarded there without driving first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import connected_components

from spatialint.errors import ConfigError, DataError
from spatialint.geo import to_metric, utm_crs_for
from spatialint.network.graph import CSRGraph

logger = logging.getLogger(__name__)

MODES = ("road", "multimodal")
"""Travel modes an origin can start on."""


@dataclass(frozen=True)
class Snap:
    """Points snapped onto road edges, one entry per point.

    Attributes
    ----------
    node_id
        The end node of the snapped edge nearer along it.
    snap_m
        Distance from the point to the road, metres.
    edge_u, edge_v
        Node ids of the snapped edge ``u → v``.
    edge_fraction
        The snapped point's position on the edge, as a fraction of its length from ``u``.
    """

    node_id: np.ndarray
    snap_m: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_fraction: np.ndarray


def main_component(graph: CSRGraph) -> np.ndarray:
    """Boolean mask of the nodes in the graph's largest strongly connected component."""
    if graph.n_nodes == 0:
        return np.zeros(0, dtype=bool)
    _, labels = connected_components(graph.matrix, directed=True, connection="strong")
    counts = np.bincount(labels)
    return labels == int(np.argmax(counts))


def snap_to_edges(
    graph: CSRGraph, edges: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray
) -> Snap:
    """The nearest point on a road edge of the graph's main component for each (lon, lat).

    ``edges`` are the graph's road edges (``u``, ``v``, LineString in EPSG:4326); distances are
    measured in the UTM zone of the graph and the points.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    crs = utm_crs_for(np.append(graph.x, lon), np.append(graph.y, lat))
    u, v = graph.edge_positions(edges["u"].to_numpy(), edges["v"].to_numpy())
    main = main_component(graph)
    usable = np.flatnonzero(main[u] & main[v])
    if usable.size == 0:
        raise DataError("The road network has no usable edges; no origin can be placed on it.")
    lines = np.asarray(edges.geometry.iloc[usable].to_crs(crs).array, dtype=object)
    points = shapely.points(*to_metric(lon, lat, crs))
    (which, hit), dist = shapely.STRtree(lines).query_nearest(
        points, return_distance=True, all_matches=False
    )
    order = np.argsort(which, kind="stable")
    which, hit, dist = which[order], hit[order], dist[order]
    edge, line = usable[hit], lines[hit]
    along = shapely.line_locate_point(line, points[which], normalized=True)
    fraction = np.where(_runs_backwards(graph, line, u[edge], v[edge], crs), 1.0 - along, along)
    return Snap(
        node_id=graph.node_ids[np.where(fraction <= 0.5, u[edge], v[edge])],
        snap_m=dist,
        edge_u=graph.node_ids[u[edge]],
        edge_v=graph.node_ids[v[edge]],
        edge_fraction=fraction,
    )


def _runs_backwards(
    graph: CSRGraph, lines: np.ndarray, u: np.ndarray, v: np.ndarray, crs: object
) -> np.ndarray:
    """Whether each metric line's geometry runs from its edge's ``v`` to its ``u``."""
    first = shapely.get_coordinates(shapely.get_point(lines, 0))
    ux, uy = to_metric(graph.x[u], graph.y[u], crs)
    vx, vy = to_metric(graph.x[v], graph.y[v], crs)
    return np.hypot(first[:, 0] - vx, first[:, 1] - vy) < np.hypot(
        first[:, 0] - ux, first[:, 1] - uy
    )


def road_access_nodes(
    graph: CSRGraph, nodes: pd.Series, names: pd.Series
) -> pd.arrays.IntegerArray:
    """The stations' road access nodes that are in the road graph (missing for the others).

    ``nodes`` holds a station origin's access node and is missing for other origins; a node
    the road graph lacks is left out with a warning (the origin then starts from its road only).
    """
    out = pd.array([pd.NA] * len(nodes), dtype="Int64")
    for i, (node, name) in enumerate(zip(nodes, names, strict=True)):
        if node is None or pd.isna(node):
            continue
        try:
            graph.index_of(np.array([int(node)]))
        except KeyError:
            logger.warning(
                "origin %r: the station's road node %s is not in the road graph; the origin "
                "starts from its nearest road only",
                name, node,
            )  # fmt: skip
            continue
        out[i] = int(node)
    return out


def origin_starts(
    origins: pd.DataFrame, graph: CSRGraph, *, mode: str
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Where and when each origin's trips enter ``graph``: (node positions, seconds) per origin.

    From the snapped point on edge u → v at fraction f, node v is reached after
    ``(1 - f) × t(u → v)`` if the edge may be driven u → v, and node u after ``f × t(v → u)``
    if it may be driven v → u. On the multimodal graph a station origin also starts at its
    station's access node at 0 s (the traveller is at the station; boarding arcs from there
    carry the access and boarding penalties).
    """
    if mode not in MODES:
        raise ConfigError(f"Unknown mode {mode!r}; use road or multimodal.")
    try:
        u = graph.index_of(origins["edge_u"].to_numpy(np.int64))
        v = graph.index_of(origins["edge_v"].to_numpy(np.int64))
    except KeyError as err:
        raise DataError(
            f"Origins sit on road edges missing from the {mode} graph ({err}); origins.gpkg and "
            "the graph come from different runs: rerun the origins step."
        ) from err
    frac = origins["edge_fraction"].to_numpy(float)
    station = pd.array(origins["station_road_node_id"], dtype="Int64")
    starts = []
    for i in range(len(origins)):
        pos, secs = _edge_starts(graph, u[i], v[i], frac[i])
        if mode == "multimodal" and not pd.isna(station[i]):
            pos.append(int(graph.index_of(np.array([int(station[i])]))[0]))
            secs.append(0.0)
        starts.append((np.asarray(pos, dtype=np.int64), np.asarray(secs, dtype=np.float64)))
    return starts


def _edge_starts(graph: CSRGraph, u: int, v: int, frac: float) -> tuple[list[int], list[float]]:
    """The end nodes of edge u → v reached from the point at ``frac`` of it, and when."""
    pos, secs = [], []
    t_uv, t_vu = graph.matrix[u, v], graph.matrix[v, u]
    if t_uv > 0:
        pos.append(v)
        secs.append((1.0 - frac) * t_uv)
    if t_vu > 0:
        pos.append(u)
        secs.append(frac * t_vu)
    if not pos:  # the edge's arc is shadowed by a faster parallel one: start at the node
        pos.append(u if frac <= 0.5 else v)
        secs.append(0.0)
    return pos, secs
