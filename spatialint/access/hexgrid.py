"""Hexagon accessibility surface: H3 cells over the road network with travel-time measures.

Each H3 cell (at ``access.hex_resolution``) that the road network covers gets, per mode,

- ``minutes_<mode>``: minutes to the nearest origin — the earliest arrival from any origin at a
  point of the road network inside the cell (its nodes, and points sampled along its edges at
  most half a cell edge apart), or, for a cell without such points, at the nearest one within
  ``reach_m`` of its centre (the isochrones' access buffer);
- ``nearest_origin_<mode>``: the ``origin_id`` of that origin;
- ``origins_<band>min_<mode>``: how many origins reach the cell within each band.

Cells with no road point inside and none within ``reach_m`` of their centre are not part of the
surface. Points are assigned to the cell with the nearest centre in the study's UTM CRS, which is
the H3 cell itself except for metre-scale projection differences at cell edges; no per-node
Python loop is needed (only per cell, for the H3 index and boundary).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.spatial import cKDTree

from spatialint.access.isochrones import check_bands
from spatialint.errors import ConfigError, DataError
from spatialint.geo import WGS84, to_metric

logger = logging.getLogger(__name__)


def band_label(band_min: float) -> str:
    """``60`` for 60.0, ``7.5`` for 7.5: band minutes as used in column names."""
    return f"{band_min:g}"


def covering_cells(
    x: np.ndarray, y: np.ndarray, *, resolution: int, margin_m: float, crs: pyproj.CRS
) -> np.ndarray:
    """H3 cells whose centres lie within the convex hull of the metric points grown by
    ``margin_m``."""
    hull = shapely.convex_hull(shapely.multipoints(np.column_stack([x, y])))
    edge_m = h3.average_hexagon_edge_length(resolution, unit="m")
    area = shapely.buffer(hull, margin_m + 2 * edge_m)
    to_wgs = pyproj.Transformer.from_crs(crs, WGS84, always_xy=True)
    area_wgs = shapely.transform(
        area, lambda c: np.column_stack(to_wgs.transform(c[:, 0], c[:, 1]))
    )
    cells = h3.geo_to_cells(area_wgs.__geo_interface__, resolution)
    return np.asarray(sorted(cells), dtype=object)


def hex_access(
    x_m: np.ndarray,
    y_m: np.ndarray,
    times: Mapping[str, np.ndarray],
    *,
    crs: pyproj.CRS,
    origin_ids: np.ndarray,
    bands_min: Sequence[float],
    resolution: int,
    reach_m: float,
) -> gpd.GeoDataFrame:
    """The hexagon accessibility surface (EPSG:4326 polygons).

    Parameters
    ----------
    x_m, y_m
        Metric coordinates (in ``crs``) of points on the road network: its nodes and points
        sampled along its edges (see :func:`spatialint.access.isochrones.road_point_times`), so
        that a cell crossed by a long road without a junction in it is still covered.
    times
        Per mode: seconds, origins × points, NaN where not reached.
    crs
        The metric CRS of the points.
    origin_ids
        ``origin_id`` of each row of the time matrices.
    bands_min
        Bands in minutes (checked).
    resolution
        H3 resolution (4..10).
    reach_m
        Largest distance from a cell centre to a road point for a cell without points inside.
    """
    bands = check_bands(bands_min)
    if not 0 <= int(resolution) <= 15:
        raise ConfigError(
            f"access.hex_resolution must be an H3 resolution 0..15, got {resolution}."
        )
    nx_ = np.asarray(x_m, dtype=float)
    ny_ = np.asarray(y_m, dtype=float)
    if nx_.size == 0:
        raise DataError("No road nodes: the hexagon surface needs a road network.")
    origin_ids = np.asarray(origin_ids)
    cells = covering_cells(nx_, ny_, resolution=resolution, margin_m=reach_m, crs=crs)
    centres = np.array([h3.cell_to_latlng(c) for c in cells], dtype=float).reshape(-1, 2)
    cx, cy = to_metric(centres[:, 1], centres[:, 0], crs)
    # Each point belongs to the cell with the nearest centre.
    _, cell_of_node = cKDTree(np.column_stack([cx, cy])).query(np.column_stack([nx_, ny_]))
    order = np.argsort(cell_of_node, kind="stable")
    occupied, starts = np.unique(cell_of_node[order], return_index=True)
    # Cells without points use the nearest point within reach of their centre.
    dist, nearest = cKDTree(np.column_stack([nx_, ny_])).query(
        np.column_stack([cx, cy]), distance_upper_bound=reach_m
    )
    empty_cells = np.setdiff1d(np.flatnonzero(np.isfinite(dist)), occupied)
    keep = np.concatenate([occupied, empty_cells])
    data: dict[str, object] = {"h3": cells[keep]}
    for mode, seconds in times.items():
        seconds = np.asarray(seconds, dtype=np.float32)
        if seconds.shape != (origin_ids.size, nx_.size):
            raise DataError(
                f"{mode} times have shape {seconds.shape}, expected "
                f"({origin_ids.size}, {nx_.size}) origins × road points."
            )
        if origin_ids.size == 0:
            per_cell = np.full((0, keep.size), np.nan, dtype=np.float32)
        else:
            inside = np.fmin.reduceat(seconds[:, order], starts, axis=1)
            outside = seconds[:, nearest[empty_cells]]
            per_cell = np.concatenate([inside, outside], axis=1)
        filled = np.where(np.isnan(per_cell), np.inf, per_cell)
        if per_cell.shape[0]:
            best_row = np.argmin(filled, axis=0)
            best = filled[best_row, np.arange(keep.size)]
        else:
            best_row = np.zeros(keep.size, dtype=np.int64)
            best = np.full(keep.size, np.inf)
        reached = np.isfinite(best)
        data[f"minutes_{mode}"] = np.where(reached, np.round(best / 60.0, 2), np.nan)
        nearest_id = pd.array(np.where(reached, origin_ids[best_row] if origin_ids.size else 0, 0))
        data[f"nearest_origin_{mode}"] = pd.array(nearest_id, dtype="Int64")
        data[f"nearest_origin_{mode}"][~reached] = pd.NA
        for band in bands:
            data[f"origins_{band_label(band)}min_{mode}"] = (filled <= band * 60.0).sum(axis=0)
    boundaries = [h3.cell_to_boundary(c) for c in cells[keep]]
    polys = [shapely.Polygon([(lng, lat) for lat, lng in b]) for b in boundaries]
    frame = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(polys, crs=WGS84), crs=WGS84)
    frame = frame.sort_values("h3", ignore_index=True)
    logger.info("hexagon surface: %d H3 cells at resolution %d", len(frame), resolution)
    return frame
