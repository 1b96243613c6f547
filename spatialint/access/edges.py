"""Road edges ready for isochrones and surfaces, and what a time band reaches along them.

:func:`prepare_edges` maps the road edges onto the road graph's node positions, in a metric
CRS, each LineString oriented from its ``u`` to its ``v``. Given the arrival times at the nodes,
:func:`reached_lines` gives the roads reached within a band (the partly reached ones cut at the
fraction of their travel time) and :func:`road_point_times` the arrival times at points sampled
along every road (for the hexagon surface).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from spatialint.errors import DataError
from spatialint.geo import WGS84, to_metric, utm_crs_for
from spatialint.network.graph import CSRGraph

MIN_EDGE_TIME_S = 1e-6
"""Shortest travel time of an edge, seconds (a zero-time edge would divide by zero)."""


@dataclass(frozen=True)
class EdgeSet:
    """Directed road edges ready for isochrones, in a metric CRS.

    Attributes
    ----------
    u, v
        Positions (columns of the times matrix) of each edge's end nodes.
    time_s
        Travel time of each edge in seconds.
    lines
        LineStrings in ``crs``, oriented from ``u`` to ``v``.
    pair
        Group id shared by the two directions of one two-way road (same ends, same length), so a
        road reached in full both ways is drawn once.
    reverse
        Index of the opposite-direction edge of the same road, -1 for oneway edges.
    node_x, node_y
        Metric coordinates of the nodes (by position).
    crs
        The metric CRS.
    """

    u: np.ndarray
    v: np.ndarray
    time_s: np.ndarray
    lines: np.ndarray
    pair: np.ndarray
    reverse: np.ndarray
    node_x: np.ndarray
    node_y: np.ndarray
    crs: pyproj.CRS

    @property
    def n_edges(self) -> int:
        return int(self.u.shape[0])


def prepare_edges(
    edges: gpd.GeoDataFrame | Iterable[gpd.GeoDataFrame],
    graph: CSRGraph,
    *,
    crs: pyproj.CRS | None = None,
) -> EdgeSet:
    """Map road edges (``u``, ``v``, ``travel_time_s``, LineString) onto ``graph``'s nodes.

    ``edges`` are the road graph's edges (:data:`spatialint.contracts.ROAD_EDGES`), whole or
    in consecutive parts (:func:`spatialint.contracts.io.read_table_parts`: each part is
    projected as it comes, so the edges are never held both in degrees and in metres). Their
    geometries are projected to ``crs`` (default: the UTM zone of the graph) and reversed where
    they run from ``v`` to ``u``, so that fractions along a line count from ``u``.

    Raises
    ------
    DataError
        If the edges have no CRS, or an edge's travel time is missing or negative.
    """
    crs = crs if crs is not None else utm_crs_for(graph.x, graph.y)
    parts = [edges] if isinstance(edges, gpd.GeoDataFrame) else edges
    pieces = [_metric_part(part, graph, crs) for part in parts]  # each part freed in turn
    u, v, time_s, lines = (np.concatenate(c) for c in zip(*pieces, strict=True))
    nx_, ny_ = to_metric(graph.x, graph.y, crs)
    backwards = _starts_nearer(lines, nx_[v], ny_[v], nx_[u], ny_[u])
    if backwards.any():
        lines[backwards] = shapely.reverse(lines[backwards])
    pair = _road_pairs(u, v, np.round(shapely.length(lines), 0), n_nodes=graph.n_nodes)
    return EdgeSet(
        u=u, v=v, time_s=np.maximum(time_s, MIN_EDGE_TIME_S), lines=lines, pair=pair,
        reverse=_reverse_edges(u, v, pair), node_x=np.asarray(nx_), node_y=np.asarray(ny_),
        crs=crs,
    )  # fmt: skip


def _metric_part(
    edges: gpd.GeoDataFrame, graph: CSRGraph, crs: pyproj.CRS
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``u``, ``v`` (graph positions), travel time and metric LineStrings of some edges."""
    if edges.crs is None:
        raise DataError("road edges have no CRS; they must be in EPSG:4326.")
    if not edges.crs.equals(WGS84):
        edges = edges.to_crs(WGS84)
    u, v = graph.edge_positions(edges["u"].to_numpy(), edges["v"].to_numpy())
    time_s = edges["travel_time_s"].to_numpy(np.float64)
    if not np.all(np.isfinite(time_s)) or (time_s < 0).any():
        raise DataError("road edges have missing or negative travel_time_s.")
    return u, v, time_s, _metric_lines(edges, graph, u, v, crs)


def _metric_lines(
    edges: gpd.GeoDataFrame, graph: CSRGraph, u: np.ndarray, v: np.ndarray, crs: pyproj.CRS
) -> np.ndarray:
    """The edges' LineStrings in ``crs``; an edge without geometry is the straight line between
    its nodes."""
    lines = np.asarray(edges.geometry.array, dtype=object).copy()
    empty = shapely.is_empty(lines) | shapely.is_missing(lines)
    if empty.any():
        idx = np.flatnonzero(empty)
        lines[idx] = shapely.linestrings(
            np.stack(
                [np.column_stack([graph.x[u[idx]], graph.y[u[idx]]]),
                 np.column_stack([graph.x[v[idx]], graph.y[v[idx]]])],
                axis=1,
            )
        )  # fmt: skip
    # project the coordinates in one call (what GeoSeries.to_crs does, minus its overhead)
    coords = shapely.get_coordinates(lines)
    mx, my = to_metric(coords[:, 0], coords[:, 1], crs)
    return shapely.set_coordinates(lines, np.column_stack([mx, my]))


def _starts_nearer(
    lines: np.ndarray, ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray
) -> np.ndarray:
    """Whether each line's first vertex is nearer to point a than to point b."""
    coords, ix = shapely.get_coordinates(lines, return_index=True)
    first = coords[np.searchsorted(ix, np.arange(lines.size))]
    fx, fy = first[:, 0], first[:, 1]
    return np.hypot(fx - ax, fy - ay) < np.hypot(fx - bx, fy - by)


def _road_pairs(u: np.ndarray, v: np.ndarray, length: np.ndarray, *, n_nodes: int) -> np.ndarray:
    """A group id per edge shared by the edges with the same two ends and the same length."""
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    ends = lo * np.int64(n_nodes) + hi
    order = np.lexsort((length, ends))
    new_group = np.ones(order.size, dtype=bool)
    new_group[1:] = (np.diff(ends[order]) != 0) | (np.diff(length[order]) != 0)
    pair = np.empty(order.size, dtype=np.int64)
    pair[order] = np.cumsum(new_group) - 1
    return pair


def _reverse_edges(u: np.ndarray, v: np.ndarray, pair: np.ndarray) -> np.ndarray:
    """For each edge, an edge of the same pair running the other way (-1 if none)."""
    n = u.shape[0]
    reverse = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return reverse
    # Sort by (pair, u); within a pair the two directions have different u.
    order = np.lexsort((u, pair))
    p, uu = pair[order], u[order]
    same_next = np.zeros(n, dtype=bool)
    same_next[:-1] = (p[1:] == p[:-1]) & (uu[1:] != uu[:-1])
    a = order[:-1][same_next[:-1]]
    b = order[1:][same_next[:-1]]
    reverse[a] = b
    reverse[b] = a
    return reverse


def cut_lines(lines: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    """The first ``fraction`` (by length) of each LineString, vectorised.

    Vertices before the cut are kept and the cut point is interpolated with
    :func:`shapely.line_interpolate_point`; ``fraction`` is clipped to [0, 1].
    """
    lines = np.asarray(lines, dtype=object)
    fractions = np.clip(np.asarray(fractions, dtype=np.float64), 0.0, 1.0)
    if lines.size == 0:
        return np.empty(0, dtype=object)
    coords, ix = shapely.get_coordinates(lines, return_index=True)
    seg = np.hypot(np.diff(coords[:, 0]), np.diff(coords[:, 1]))
    seg[ix[1:] != ix[:-1]] = 0.0
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    starts = np.searchsorted(ix, np.arange(lines.size))
    cum = cum - cum[starts][ix]
    target = fractions * shapely.length(lines)
    is_first = np.zeros(ix.size, dtype=bool)
    is_first[starts] = True
    keep = is_first | (cum < target[ix])
    end = shapely.get_coordinates(shapely.line_interpolate_point(lines, fractions, normalized=True))
    all_coords = np.concatenate([coords[keep], end])
    all_ix = np.concatenate([ix[keep], np.arange(lines.size)])
    order = np.argsort(all_ix, kind="stable")
    return shapely.linestrings(all_coords[order], indices=all_ix[order])


def reached_lines(edges: EdgeSet, node_times: np.ndarray, band_s: float) -> np.ndarray:
    """The reached parts of the edges within ``band_s`` (metric LineStrings, one per edge part).

    Two-way roads reached in full in both directions are returned once; the origin itself (a
    node at time 0) is returned as a Point so that even a tiny band has an area.
    """
    tu = node_times[edges.u]
    ok = tu <= band_s  # NaN (not reached) compares False
    full = ok & (tu + edges.time_s <= band_s)
    part = ok & ~full
    full_idx = np.flatnonzero(full)
    _, first = np.unique(edges.pair[full_idx], return_index=True)
    full_idx = full_idx[first]
    # A partly reached edge whose road is reached in full the other way adds nothing.
    part_idx = np.flatnonzero(part & ~np.isin(edges.pair, edges.pair[full_idx]))
    frac = (band_s - tu[part_idx]) / edges.time_s[part_idx]
    part_idx, frac = part_idx[frac > 0], frac[frac > 0]
    pieces = [edges.lines[full_idx], cut_lines(edges.lines[part_idx], frac)]
    origins = np.flatnonzero(node_times == 0)
    if origins.size:
        pieces.append(shapely.points(edges.node_x[origins], edges.node_y[origins]))
    return np.concatenate(pieces)


def sample_points(edges: EdgeSet, spacing_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points inside the edges, at most ``spacing_m`` apart: (x, y) array, edge, fraction.

    The two directions of a two-way road share one set of points (on the pair's first edge).
    """
    _, rep = np.unique(edges.pair, return_index=True)
    length = shapely.length(edges.lines[rep])
    n_inner = np.maximum(np.ceil(length / spacing_m).astype(np.int64) - 1, 0)
    edge = np.repeat(rep, n_inner)
    if edge.size == 0:
        return np.empty((0, 2)), edge, np.empty(0)
    starts = np.cumsum(n_inner) - n_inner
    k = np.arange(edge.size) - np.repeat(starts, n_inner) + 1
    frac = k / np.repeat(n_inner + 1, n_inner)
    pts = shapely.line_interpolate_point(edges.lines[edge], frac, normalized=True)
    return shapely.get_coordinates(pts), edge, frac


def road_point_times(
    edges: EdgeSet, node_times: np.ndarray, *, spacing_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Points along the road network with their arrival times, for surfaces such as hexagons.

    Returns ``(xy, times)``: metric coordinates of every node followed by points sampled inside
    the edges at most ``spacing_m`` apart, and seconds (origins × points) — at a sample, the
    earlier of arriving along the edge from its ``u`` or, on a two-way road, from the other end.
    """
    node_times = np.atleast_2d(np.asarray(node_times, dtype=np.float32))
    xy, edge, frac = sample_points(edges, spacing_m)
    frac32 = frac.astype(np.float32)
    fwd = node_times[:, edges.u[edge]] + frac32 * edges.time_s[edge].astype(np.float32)
    rev = edges.reverse[edge]
    has = rev >= 0
    back = np.full_like(fwd, np.nan)
    back[:, has] = node_times[:, edges.u[rev[has]]] + (1 - frac32[has]) * edges.time_s[
        rev[has]
    ].astype(np.float32)
    times = np.concatenate([node_times, np.fmin(fwd, back)], axis=1)
    points = np.concatenate([np.column_stack([edges.node_x, edges.node_y]), xy])
    return points, times
