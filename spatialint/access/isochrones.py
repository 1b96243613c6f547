"""Isochrones: the area within ``access_buffer_m`` of the roads reached within a time band.

For one origin, one mode and one band of ``b`` seconds, the isochrone is the union of the
``access_buffer_m`` buffers (in a metric CRS) of

- every road edge ``u → v`` reached in full (``t(u) + t_edge <= b``), and
- the reachable part of every partly reached edge (``t(u) <= b < t(u) + t_edge``): the edge's
  LineString cut at the fraction ``(b - t(u)) / t_edge`` of its travel time, from ``u``,

where ``t`` are the arrival times at the road nodes (for the multimodal mode: the multimodal
arrival times at the road nodes; rail links themselves are never drawn, the train interior is not
accessible). A oneway edge is only drawn from its ``u`` end. The result is cleaned: made valid,
snapped to a 1 m grid, holes smaller than ``min_hole_km2`` filled (artefacts between buffers),
holes larger than that kept (a lake, a river without a bridge: land the network does not reach).
It is never a convex hull.

Two equivalent ways compute the union of buffers:

``vector``
    GEOS buffers of the reached (cut) LineStrings, unioned. Exact, but union cost grows fast
    (~30 µs per line and super-linearly), so it suits small reached sets.
``grid``
    A distance field on a grid of ``grid_cell_m``: the distance from each grid point to the
    reached part of the network (points sampled along every edge at most ``grid_cell_m`` apart,
    plus the exact cut point of each partly reached edge; an exact k-d tree distance near the
    buffer edge, a Euclidean distance transform elsewhere), contoured at ``access_buffer_m``
    with contourpy. Its boundary lies within a few metres of the vector result, within one grid
    cell in the notches between two buffers, which the grid rounds (measured in the tests); its
    cost grows with the area, not with the number of edges.

``auto`` uses ``vector`` up to :data:`VECTOR_MAX_LINES` reached lines and ``grid`` beyond.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import contourpy
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy import ndimage
from scipy.spatial import cKDTree

from spatialint.errors import ConfigError, DataError
from spatialint.geo import WGS84, to_metric, utm_crs_for
from spatialint.network.graph import CSRGraph

logger = logging.getLogger(__name__)

#: Above this many reached lines, ``method="auto"`` switches from GEOS buffers to the grid.
VECTOR_MAX_LINES = 20_000
#: Segments per quarter circle of GEOS buffers (8 = GEOS default; 4 is within 2 % of a circle).
BUFFER_QUAD_SEGS = 4
#: Cap on the cells of one distance-field grid; the cell grows (and says so) beyond it.
GRID_MAX_CELLS = 6_000_000
#: Output coordinates are snapped to this grid (metres) to remove slivers between parts.
PRECISION_M = 1.0
METHODS = ("auto", "vector", "grid")


def check_bands(bands_min: Sequence[float]) -> list[float]:
    """Validate travel-time bands (minutes): non-empty, positive, strictly increasing."""
    bands = list(bands_min) if bands_min is not None else []
    if not bands:
        raise ConfigError(
            "access.bands_min is empty; give at least one travel-time band in minutes, "
            "e.g. [60, 120, 180]."
        )
    try:
        values = [float(b) for b in bands]
    except (TypeError, ValueError) as err:
        raise ConfigError(f"access.bands_min must be numbers of minutes, got {bands!r}.") from err
    if any(not np.isfinite(v) or v <= 0 for v in values):
        raise ConfigError(f"access.bands_min must be positive minutes, got {bands!r}.")
    if any(b <= a for a, b in zip(values, values[1:], strict=False)):
        raise ConfigError(
            f"access.bands_min must be strictly increasing, got {bands!r}; list each band once, "
            "smallest first, e.g. [60, 120, 180]."
        )
    return values


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
    edges: gpd.GeoDataFrame,
    graph: CSRGraph,
    *,
    crs: pyproj.CRS | None = None,
) -> EdgeSet:
    """Map road edges (``u``, ``v``, ``travel_time_s``, LineString) onto ``graph``'s nodes.

    Edge geometries are projected to ``crs`` (default: the UTM zone of the graph) and reversed
    where they run from ``v`` to ``u``, so that fractions along a line count from ``u``.
    """
    missing = [c for c in ("u", "v", "travel_time_s") if c not in edges.columns]
    if missing:
        raise DataError(f"road edges lack column(s) {missing}; expected u, v, travel_time_s.")
    if edges.crs is None:
        raise DataError("road edges have no CRS; they must be in EPSG:4326.")
    if not edges.crs.equals(WGS84):
        edges = edges.to_crs(WGS84)
    crs = crs if crs is not None else utm_crs_for(graph.x, graph.y)
    u, v = graph.edge_positions(edges["u"].to_numpy(), edges["v"].to_numpy())
    time_s = edges["travel_time_s"].to_numpy(np.float64)
    if not np.all(np.isfinite(time_s)) or (time_s < 0).any():
        raise DataError("road edges have missing or negative travel_time_s.")
    time_s = np.maximum(time_s, 1e-6)
    lines = np.asarray(edges.geometry.array, dtype=object).copy()
    nx_, ny_ = to_metric(graph.x, graph.y, crs)
    empty = shapely.is_empty(lines) | shapely.is_missing(lines)
    if empty.any():  # an edge without geometry is the straight line between its nodes
        idx = np.flatnonzero(empty)
        lines[idx] = shapely.linestrings(
            np.stack(
                [np.column_stack([graph.x[u[idx]], graph.y[u[idx]]]),
                 np.column_stack([graph.x[v[idx]], graph.y[v[idx]]])],
                axis=1,
            )
        )  # fmt: skip
    # project the coordinates in one call (what GeoSeries.to_crs does, minus its overhead)
    coords, ix = shapely.get_coordinates(lines, return_index=True)
    mx, my = to_metric(coords[:, 0], coords[:, 1], crs)
    coords = np.column_stack([mx, my])
    lines = shapely.set_coordinates(lines, coords)
    first = coords[np.searchsorted(ix, np.arange(lines.size))]
    fx, fy = first[:, 0], first[:, 1]
    backwards = np.hypot(fx - nx_[v], fy - ny_[v]) < np.hypot(fx - nx_[u], fy - ny_[u])
    if backwards.any():
        lines[backwards] = shapely.reverse(lines[backwards])
    length = np.round(shapely.length(lines), 0)
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    ends = lo * np.int64(graph.n_nodes) + hi
    order = np.lexsort((length, ends))
    new_group = np.ones(order.size, dtype=bool)
    new_group[1:] = (np.diff(ends[order]) != 0) | (np.diff(length[order]) != 0)
    pair = np.empty(order.size, dtype=np.int64)
    pair[order] = np.cumsum(new_group) - 1
    reverse = _reverse_edges(u, v, pair)
    return EdgeSet(
        u=u, v=v, time_s=time_s, lines=lines, pair=pair, reverse=reverse,
        node_x=np.asarray(nx_), node_y=np.asarray(ny_), crs=crs,
    )  # fmt: skip


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
    total = shapely.length(lines)
    target = fractions * total
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


def _sample_points(edges: EdgeSet, spacing_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    xy, edge, frac = _sample_points(edges, spacing_m)
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


@dataclass(frozen=True)
class _GridSamples:
    xy: np.ndarray
    edge: np.ndarray
    frac: np.ndarray


class IsochroneBuilder:
    """Builds isochrone polygons for many origins and bands on one edge set.

    Parameters
    ----------
    edges
        The road edges (see :func:`prepare_edges`).
    buffer_m
        Access buffer around reached roads, metres.
    min_hole_km2
        Holes smaller than this are filled (slivers between buffers); larger ones are kept.
    method
        ``auto``, ``vector`` or ``grid`` (see the module docstring).
    grid_cell_m
        Cell size of the grid method, metres (also the spacing of points sampled along edges).
    """

    def __init__(
        self,
        edges: EdgeSet,
        *,
        buffer_m: float,
        min_hole_km2: float = 0.1,
        method: str = "auto",
        grid_cell_m: float = 100.0,
    ):
        if method not in METHODS:
            raise ConfigError(f"access.isochrone_method must be one of {METHODS}, got {method!r}.")
        if not buffer_m > 0:
            raise ConfigError(f"access.access_buffer_m must be positive, got {buffer_m}.")
        if not grid_cell_m > 0:
            raise ConfigError(f"access.grid_cell_m must be positive, got {grid_cell_m}.")
        self.edges = edges
        self.buffer_m = float(buffer_m)
        self.min_hole_m2 = float(min_hole_km2) * 1e6
        self.method = method
        self.grid_cell_m = float(grid_cell_m)
        self._samples: _GridSamples | None = None

    # -- public -----------------------------------------------------------------------------
    def polygons(self, node_times: np.ndarray, bands_s: Sequence[float]) -> list[shapely.Geometry]:
        """One cleaned (Multi)Polygon per band (metric CRS), empty where nothing is reached."""
        node_times = np.asarray(node_times, dtype=np.float64)
        out = []
        for band in bands_s:
            method = self.method
            if method == "auto":
                tu = node_times[self.edges.u]
                n_lines = int(np.count_nonzero(tu <= band))
                method = "vector" if n_lines <= VECTOR_MAX_LINES else "grid"
            if method == "vector":
                raw = self._vector(node_times, band)
            else:
                raw = self._grid(node_times, band)
            out.append(clean_polygon(raw, min_hole_m2=self.min_hole_m2))
        return out

    # -- vector -----------------------------------------------------------------------------
    def _vector(self, node_times: np.ndarray, band_s: float) -> shapely.Geometry:
        lines = reached_lines(self.edges, node_times, band_s)
        if lines.size == 0:
            return shapely.Polygon()
        buffers = shapely.buffer(lines, self.buffer_m, quad_segs=BUFFER_QUAD_SEGS)
        return shapely.union_all(buffers)

    # -- grid -------------------------------------------------------------------------------
    def _grid_samples(self) -> _GridSamples:
        if self._samples is None:
            xy, edge, frac = _sample_points(self.edges, self.grid_cell_m)
            self._samples = _GridSamples(xy=xy, edge=edge, frac=frac)
        return self._samples

    def _reached_points(self, node_times: np.ndarray, band_s: float) -> np.ndarray:
        e = self.edges
        s = self._grid_samples()
        nodes = np.flatnonzero(node_times <= band_s)
        # Interior samples (on one edge of each two-way pair): reached from u along the edge, or
        # from the other end along the opposite edge; a oneway edge only from its u.
        t_sample = node_times[e.u[s.edge]] + s.frac * e.time_s[s.edge]
        rev = e.reverse[s.edge]
        has_rev = rev >= 0
        t_back = np.full(t_sample.shape, np.inf)
        t_back[has_rev] = (
            node_times[e.u[rev[has_rev]]] + (1.0 - s.frac[has_rev]) * e.time_s[rev[has_rev]]
        )
        inner = s.xy[np.fmin(t_sample, t_back) <= band_s]
        # Exact cut points of partly reached edges.
        tu = node_times[e.u]
        part = np.flatnonzero((tu <= band_s) & (tu + e.time_s > band_s))
        frac = (band_s - tu[part]) / e.time_s[part]
        cuts = shapely.get_coordinates(
            shapely.line_interpolate_point(e.lines[part], frac, normalized=True)
        )
        return np.concatenate([np.column_stack([e.node_x[nodes], e.node_y[nodes]]), inner, cuts])

    def _grid(self, node_times: np.ndarray, band_s: float) -> shapely.Geometry:
        pts = self._reached_points(node_times, band_s)
        if pts.shape[0] == 0:
            return shapely.Polygon()
        return distance_field_polygon(pts, self.buffer_m, cell_m=self.grid_cell_m)


def distance_field_polygon(
    points: np.ndarray, radius_m: float, *, cell_m: float
) -> shapely.Geometry:
    """Union of the discs of ``radius_m`` around metric ``points``, by contouring a distance field.

    A Euclidean distance transform on a raster of the points gives distances everywhere; near the
    contour level the exact distance to the nearest point (k-d tree) replaces it, so the boundary
    is as accurate as a linear interpolation between grid points of exact distances.
    """
    r = float(radius_m)
    xmin, ymin = points.min(axis=0) - r - 2 * cell_m
    xmax, ymax = points.max(axis=0) + r + 2 * cell_m
    cell = float(cell_m)
    cells = ((xmax - xmin) / cell + 1) * ((ymax - ymin) / cell + 1)
    if cells > GRID_MAX_CELLS:
        cell = cell * float(np.sqrt(cells / GRID_MAX_CELLS))
        logger.info("isochrone grid coarsened to %.0f m cells (extent too large)", cell)
    xs = np.arange(xmin, xmax + cell, cell)
    ys = np.arange(ymin, ymax + cell, cell)
    col = np.clip(np.rint((points[:, 0] - xmin) / cell).astype(np.int64), 0, xs.size - 1)
    row = np.clip(np.rint((points[:, 1] - ymin) / cell).astype(np.int64), 0, ys.size - 1)
    empty = np.ones((ys.size, xs.size), dtype=bool)
    empty[row, col] = False
    field = ndimage.distance_transform_edt(empty) * cell
    # A grid point's nearest sample lies within cell/sqrt(2) of the occupied cell's centre, so
    # the transform is off by up to 0.71 cell. Exact distances replace it at every grid point
    # that can take part in interpolating the contour: true distance within one cell of the
    # level, hence transformed distance within 1.71 cells (2.5 for safety).
    margin = cell * 2.5
    near = np.abs(field - r) <= margin
    ri, ci = np.nonzero(near)
    if ri.size:
        # Only points within reach of a refined grid point can be its nearest point.
        reach = r + 2 * margin
        dist_to_near = ndimage.distance_transform_edt(~near) * cell
        relevant = dist_to_near[row, col] <= reach + cell
        tree = cKDTree(points[relevant])
        dist, _ = tree.query(np.column_stack([xs[ci], ys[ri]]), distance_upper_bound=reach)
        field[ri, ci] = np.minimum(dist, reach)
    gen = contourpy.contour_generator(
        xs, ys, field, fill_type=contourpy.FillType.ChunkCombinedOffsetOffset
    )
    pts_list, offsets_list, outer_list = gen.filled(-1.0, r)
    polys = []
    for pts, offsets, outer in zip(pts_list, offsets_list, outer_list, strict=True):
        if pts is None or len(offsets) < 2:
            continue
        ring_of_point = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
        rings = shapely.linearrings(pts, indices=ring_of_point)
        poly_of_ring = np.repeat(np.arange(len(outer) - 1), np.diff(outer))
        polys.append(shapely.polygons(rings, indices=poly_of_ring))
    if not polys:
        return shapely.Polygon()
    return shapely.union_all(np.concatenate(polys))


def clean_polygon(geom: shapely.Geometry, *, min_hole_m2: float) -> shapely.MultiPolygon:
    """Valid MultiPolygon on a 1 m grid, holes smaller than ``min_hole_m2`` filled."""
    if geom is None or geom.is_empty:
        return shapely.MultiPolygon()
    geom = shapely.make_valid(geom)
    geom = shapely.set_precision(geom, PRECISION_M)
    parts = shapely.get_parts(_polygonal(geom))
    out = []
    for part in parts:
        if part.is_empty or part.area <= 0:
            continue
        holes = [ring for ring in part.interiors if shapely.Polygon(ring).area >= min_hole_m2]
        out.append(shapely.Polygon(part.exterior, holes))
    if not out:
        return shapely.MultiPolygon()
    merged = shapely.union_all(out) if len(out) > 1 else out[0]
    return _as_multi(merged)


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    if isinstance(geom, shapely.Polygon | shapely.MultiPolygon):
        return geom
    parts = [
        p for p in shapely.get_parts(geom) if isinstance(p, shapely.Polygon | shapely.MultiPolygon)
    ]
    return shapely.union_all(parts) if parts else shapely.MultiPolygon()


def _as_multi(geom: shapely.Geometry) -> shapely.MultiPolygon:
    if isinstance(geom, shapely.MultiPolygon):
        return geom
    if isinstance(geom, shapely.Polygon):
        return shapely.MultiPolygon([geom]) if not geom.is_empty else shapely.MultiPolygon()
    return _as_multi(_polygonal(geom))


def population_within(
    polygons: Sequence[shapely.Geometry], population: gpd.GeoDataFrame | None, *, column: str
) -> np.ndarray:
    """Sum of ``population[column]`` over the points inside each polygon (NaN without data).

    Polygons and points must share a CRS (the caller projects both).
    """
    n = len(polygons)
    if population is None:
        return np.full(n, np.nan)
    if column not in population.columns:
        raise DataError(
            f"population file has no column {column!r} (columns: {list(population.columns)}); "
            "set access.population_column."
        )
    values = pd.to_numeric(population[column], errors="coerce").fillna(0).to_numpy(float)
    pts = np.asarray(population.geometry.array, dtype=object)
    if not np.all(shapely.get_type_id(pts) == 0):  # areas count at a point inside them
        pts = shapely.point_on_surface(pts)
    tree = shapely.STRtree(pts)
    poly_idx, pt_idx = tree.query(np.asarray(polygons, dtype=object), predicate="intersects")
    return np.bincount(poly_idx, weights=values[pt_idx], minlength=n).astype(float)


def load_population(path: str, *, column: str) -> gpd.GeoDataFrame:
    """Read population points (any vector format GDAL reads) and check the column."""
    try:
        frame = (
            gpd.read_file(path) if not str(path).endswith(".parquet") else gpd.read_parquet(path)
        )
    except Exception as err:  # noqa: BLE001 - GDAL raises many types; one message for the user
        raise DataError(f"Cannot read population file {path}: {err}") from err
    if frame.crs is None:
        raise DataError(f"Population file {path} has no CRS; save it with one (e.g. EPSG:4326).")
    if column not in frame.columns:
        raise DataError(
            f"Population file {path} has no column {column!r} (columns: "
            f"{[c for c in frame.columns if c != 'geometry']}); set access.population_column."
        )
    return frame


def isochrone_table(
    builder: IsochroneBuilder,
    origins: pd.DataFrame,
    node_times: Mapping[str, np.ndarray],
    *,
    bands_min: Sequence[float],
    population: gpd.GeoDataFrame | None = None,
    population_column: str = "population",
    workers: int = 1,
) -> gpd.GeoDataFrame:
    """Isochrones of every origin × mode × band as a GeoDataFrame in EPSG:4326.

    Parameters
    ----------
    builder
        The polygon builder for the study's road edges.
    origins
        ``origin_id`` and ``name`` per origin, in the row order of the time matrices.
    node_times
        Per mode (``road``, ``multimodal``): seconds, origins × road nodes (columns in the
        edges' node positions), NaN where not reached.
    bands_min
        Bands in minutes (checked: non-empty, strictly increasing).
    population
        Optional population points; summed per isochrone, else the column is NaN.
    workers
        Processes building polygons (origins are shared out; the edge set is inherited by
        forking, not copied).
    """
    bands = check_bands(bands_min)
    bands_s = [b * 60.0 for b in bands]
    for mode, times in node_times.items():
        if times.shape[0] != len(origins):
            raise DataError(
                f"{mode} travel times have {times.shape[0]} origins but origins.gpkg has "
                f"{len(origins)}; rerun the travel_times step."
            )
        if times.shape[1] != builder.edges.node_x.size:
            raise DataError(
                f"{mode} travel times cover {times.shape[1]} road nodes but the road edges use "
                f"{builder.edges.node_x.size}; rerun the access steps."
            )
    jobs = [(mode, i) for mode in node_times for i in range(len(origins))]
    results = _run_polygons(builder, node_times, bands_s, jobs, workers=workers)
    records = []
    geoms = []
    names = origins["name"].astype(str).tolist()
    ids = origins["origin_id"].astype(int).tolist()
    for (mode, i), polys in zip(jobs, results, strict=True):
        for band, poly in zip(bands, polys, strict=True):
            records.append(
                {
                    "origin_id": ids[i],
                    "origin_name": names[i],
                    "mode": mode,
                    "band_min": float(band),
                    "area_km2": round(poly.area / 1e6, 3),
                }
            )
            geoms.append(poly)
        logger.info(
            "%s isochrones of origin %r: %s km²",
            mode, names[i], ", ".join(f"{p.area / 1e6:.0f}" for p in polys),
        )  # fmt: skip
    frame = pd.DataFrame(
        records, columns=["origin_id", "origin_name", "mode", "band_min", "area_km2"]
    )
    pop = None
    if population is not None:
        pop = population.to_crs(builder.edges.crs)
    frame["population"] = population_within(geoms, pop, column=population_column)
    out = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=builder.edges.crs))
    out = out.to_crs(WGS84)
    out["geometry"] = [_as_multi(g) for g in out.geometry]
    return out


_WORKER_STATE: tuple[IsochroneBuilder, Mapping[str, np.ndarray], list[float]] | None = None


def _worker_polygons(job: tuple[str, int]) -> list[shapely.Geometry]:
    assert _WORKER_STATE is not None
    builder, node_times, bands_s = _WORKER_STATE
    mode, i = job
    return builder.polygons(node_times[mode][i], bands_s)


def _run_polygons(
    builder: IsochroneBuilder,
    node_times: Mapping[str, np.ndarray],
    bands_s: list[float],
    jobs: list[tuple[str, int]],
    *,
    workers: int,
) -> list[list[shapely.Geometry]]:
    global _WORKER_STATE
    workers = max(1, min(int(workers), len(jobs)))
    if workers == 1:
        return [builder.polygons(node_times[m][i], bands_s) for m, i in jobs]
    if builder.method != "vector" and builder.edges.n_edges > VECTOR_MAX_LINES:
        builder._grid_samples()  # once, before forking
    _WORKER_STATE = (builder, node_times, bands_s)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            return list(pool.map(_worker_polygons, jobs, chunksize=1))
    finally:
        _WORKER_STATE = None
