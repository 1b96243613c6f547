"""Polygons of isochrones: a union of discs by a distance field, and the cleaning of a result.

:func:`distance_field_polygon` is the ``grid`` method of
:class:`spatialint.access.isochrones.IsochroneBuilder`: the union of the discs around many
points, contoured from a distance field instead of unioning GEOS buffers. :func:`clean_polygon`
turns either method's raw union into the MultiPolygon written: valid, on a 1 m grid, small holes
(slivers between buffers) filled and large ones (a lake, an unbridged river) kept.
"""

from __future__ import annotations

import logging

import contourpy
import numpy as np
import shapely
from scipy import ndimage
from scipy.spatial import cKDTree

logger = logging.getLogger(__name__)

GRID_MAX_CELLS = 6_000_000
"""Cap on the cells of one distance-field grid; the cell grows (and says so) beyond it."""
PRECISION_M = 1.0
"""Output coordinates are snapped to this grid (metres) to remove slivers between parts."""
REFINE_MARGIN_CELLS = 2.5
"""Grid points within this many cells of the contour level get exact distances (see below)."""


def distance_field_polygon(
    points: np.ndarray, radius_m: float, *, cell_m: float
) -> shapely.Geometry:
    """Union of the discs of ``radius_m`` around metric ``points``, by contouring a distance field.

    A Euclidean distance transform on a raster of the points gives distances everywhere; near the
    contour level the exact distance to the nearest point (k-d tree) replaces it, so the boundary
    is as accurate as a linear interpolation between grid points of exact distances.
    """
    r = float(radius_m)
    xs, ys, cell = _grid_axes(points, r, float(cell_m))
    col = np.clip(np.rint((points[:, 0] - xs[0]) / cell).astype(np.int64), 0, xs.size - 1)
    row = np.clip(np.rint((points[:, 1] - ys[0]) / cell).astype(np.int64), 0, ys.size - 1)
    empty = np.ones((ys.size, xs.size), dtype=bool)
    empty[row, col] = False
    field = ndimage.distance_transform_edt(empty) * cell
    _refine_near_level(field, points, row, col, xs, ys, radius_m=r, cell_m=cell)
    return _contour_polygons(xs, ys, field, r)


def _grid_axes(points: np.ndarray, r: float, cell: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Grid coordinates covering the discs (and the cell, coarsened past GRID_MAX_CELLS)."""
    xmin, ymin = points.min(axis=0) - r - 2 * cell
    xmax, ymax = points.max(axis=0) + r + 2 * cell
    cells = ((xmax - xmin) / cell + 1) * ((ymax - ymin) / cell + 1)
    if cells > GRID_MAX_CELLS:
        cell = cell * float(np.sqrt(cells / GRID_MAX_CELLS))
        logger.info("isochrone grid coarsened to %.0f m cells (extent too large)", cell)
    return np.arange(xmin, xmax + cell, cell), np.arange(ymin, ymax + cell, cell), cell


def _refine_near_level(
    field: np.ndarray,
    points: np.ndarray,
    row: np.ndarray,
    col: np.ndarray,
    xs: np.ndarray,
    ys: np.ndarray,
    *,
    radius_m: float,
    cell_m: float,
) -> None:
    """Exact distances (in place) at the grid points that can shape the contour at ``radius_m``.

    A grid point's nearest sample lies within cell/sqrt(2) of the occupied cell's centre, so
    the transform is off by up to 0.71 cell. Exact distances replace it at every grid point
    that can take part in interpolating the contour: true distance within one cell of the
    level, hence transformed distance within 1.71 cells (2.5 for safety).
    """
    margin = cell_m * REFINE_MARGIN_CELLS
    near = np.abs(field - radius_m) <= margin
    ri, ci = np.nonzero(near)
    if not ri.size:
        return
    # Only points within reach of a refined grid point can be its nearest point.
    reach = radius_m + 2 * margin
    dist_to_near = ndimage.distance_transform_edt(~near) * cell_m
    relevant = dist_to_near[row, col] <= reach + cell_m
    tree = cKDTree(points[relevant])
    dist, _ = tree.query(np.column_stack([xs[ci], ys[ri]]), distance_upper_bound=reach)
    field[ri, ci] = np.minimum(dist, reach)


def _contour_polygons(
    xs: np.ndarray, ys: np.ndarray, field: np.ndarray, level: float
) -> shapely.Geometry:
    """The union of the filled contours of ``field`` below ``level``."""
    gen = contourpy.contour_generator(
        xs, ys, field, fill_type=contourpy.FillType.ChunkCombinedOffsetOffset
    )
    pts_list, offsets_list, outer_list = gen.filled(-1.0, level)
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
    parts = shapely.get_parts(polygonal(geom))
    out = []
    for part in parts:
        if part.is_empty or part.area <= 0:
            continue
        holes = [ring for ring in part.interiors if shapely.Polygon(ring).area >= min_hole_m2]
        out.append(shapely.Polygon(part.exterior, holes))
    if not out:
        return shapely.MultiPolygon()
    merged = shapely.union_all(out) if len(out) > 1 else out[0]
    return as_multi(merged)


def polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygonal parts of ``geom`` (a collection's points and lines dropped)."""
    if isinstance(geom, shapely.Polygon | shapely.MultiPolygon):
        return geom
    parts = [
        p for p in shapely.get_parts(geom) if isinstance(p, shapely.Polygon | shapely.MultiPolygon)
    ]
    return shapely.union_all(parts) if parts else shapely.MultiPolygon()


def as_multi(geom: shapely.Geometry) -> shapely.MultiPolygon:
    """``geom``'s polygonal parts as one MultiPolygon (empty when there are none)."""
    if isinstance(geom, shapely.MultiPolygon):
        return geom
    if isinstance(geom, shapely.Polygon):
        return shapely.MultiPolygon([geom]) if not geom.is_empty else shapely.MultiPolygon()
    return as_multi(polygonal(geom))
