"""Hexagon accessibility surface: H3 cells over the road network with travel-time measures.

Each H3 cell (at ``access.hex_resolution``) that the road network covers gets, per mode,

- ``minutes_<mode>``: minutes to the nearest origin — the earliest arrival from any origin at a
  point of the road network inside the cell (its nodes, and points sampled along its edges at
  most half a cell edge apart), or, for a cell without such points, at the nearest one within
  ``reach_m`` of its centre (the isochrones' access buffer);
- ``nearest_origin_<mode>``: the ``origin_id`` of that origin (missing where none arrives);
- ``origins_<band>min_<mode>``: how many origins reach the cell within each band;

and ``population``, the people in the cell (NaN here; the isochrones stage counts them when the
study has a source of people).

Cells with no road point inside and none within ``reach_m`` of their centre are not part of the
surface. Points are assigned to the cell with the nearest centre in the study's UTM CRS, which is
the H3 cell itself except for metre-scale projection differences at cell edges; no per-node
Python loop is needed (only per cell, for the H3 index and boundary).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.spatial import cKDTree

from spatialint.errors import ConfigError, DataError
from spatialint.geo import WGS84, to_metric

logger = logging.getLogger(__name__)

H3_RESOLUTIONS = range(16)
MINUTES_DECIMALS = 2
"""Decimals of ``minutes_<mode>``."""


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


@dataclass(frozen=True)
class CellPoints:
    """Which road points stand for each cell of the surface.

    Attributes
    ----------
    cells
        H3 ids of the surface's cells: first those with road points inside, then those with
        only a point within reach of their centre.
    point_order, group_starts
        The points sorted by cell, and where each cell with points inside starts in that order.
    outside_points
        For each cell without points inside, the point nearest its centre.
    n_points
        Number of road points.
    """

    cells: np.ndarray
    point_order: np.ndarray
    group_starts: np.ndarray
    outside_points: np.ndarray
    n_points: int

    def seconds(self, seconds: np.ndarray) -> np.ndarray:
        """Earliest arrival per origin (rows) and cell (columns) from origins × points times."""
        if seconds.shape[0] == 0:
            return np.full((0, self.cells.size), np.nan, dtype=np.float32)
        inside = np.fmin.reduceat(seconds[:, self.point_order], self.group_starts, axis=1)
        outside = seconds[:, self.outside_points]
        return np.concatenate([inside, outside], axis=1)


def cell_points(
    x_m: np.ndarray, y_m: np.ndarray, *, resolution: int, reach_m: float, crs: pyproj.CRS
) -> CellPoints:
    """The cells the road points (metric, in ``crs``) cover, and the points of each."""
    points = np.column_stack([x_m, y_m])
    cells = covering_cells(x_m, y_m, resolution=resolution, margin_m=reach_m, crs=crs)
    centres = np.array([h3.cell_to_latlng(c) for c in cells], dtype=float).reshape(-1, 2)
    centres_m = np.column_stack(to_metric(centres[:, 1], centres[:, 0], crs))
    # Each point belongs to the cell with the nearest centre.
    _, cell_of_point = cKDTree(centres_m).query(points)
    order = np.argsort(cell_of_point, kind="stable")
    occupied, starts = np.unique(cell_of_point[order], return_index=True)
    # Cells without points use the nearest point within reach of their centre.
    dist, nearest = cKDTree(points).query(centres_m, distance_upper_bound=reach_m)
    empty_cells = np.setdiff1d(np.flatnonzero(np.isfinite(dist)), occupied)
    return CellPoints(
        cells=cells[np.concatenate([occupied, empty_cells])],
        point_order=order,
        group_starts=starts,
        outside_points=nearest[empty_cells],
        n_points=len(points),
    )


def mode_columns(
    per_cell: np.ndarray, *, mode: str, origin_ids: np.ndarray, bands_min: Sequence[float]
) -> dict[str, object]:
    """The columns of one mode from the earliest arrival per origin and cell (seconds)."""
    n_cells = per_cell.shape[1]
    filled = np.where(np.isnan(per_cell), np.inf, per_cell)
    if per_cell.shape[0]:
        best_row = np.argmin(filled, axis=0)
        best = filled[best_row, np.arange(n_cells)]
    else:
        best_row = np.zeros(n_cells, dtype=np.int64)
        best = np.full(n_cells, np.inf)
    reached = np.isfinite(best)
    nearest = pd.array(
        np.where(reached, origin_ids[best_row] if origin_ids.size else 0, 0), dtype="Int64"
    )
    nearest[~reached] = pd.NA
    columns: dict[str, object] = {
        f"minutes_{mode}": np.where(reached, np.round(best / 60.0, MINUTES_DECIMALS), np.nan),
        f"nearest_origin_{mode}": nearest,
    }
    for band in bands_min:
        columns[f"origins_{band_label(band)}min_{mode}"] = (filled <= band * 60.0).sum(axis=0)
    return columns


def hexagons(cells: np.ndarray) -> gpd.GeoSeries:
    """The cells' hexagons (EPSG:4326 Polygons)."""
    boundaries = [h3.cell_to_boundary(c) for c in cells]
    return gpd.GeoSeries(
        [shapely.Polygon([(lng, lat) for lat, lng in b]) for b in boundaries], crs=WGS84
    )


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
    """The hexagon accessibility surface (the ``HEX_ACCESS`` table, EPSG:4326 polygons).

    Parameters
    ----------
    x_m, y_m
        Metric coordinates (in ``crs``) of points on the road network: its nodes and points
        sampled along its edges (see :func:`spatialint.access.edges.road_point_times`), so
        that a cell crossed by a long road without a junction in it is still covered.
    times
        Per mode: seconds, origins × points, NaN where not reached.
    crs
        The metric CRS of the points.
    origin_ids
        ``origin_id`` of each row of the time matrices.
    bands_min
        Bands in minutes (as :class:`~spatialint.settings.IsochroneSettings` checks them).
    resolution
        H3 resolution (the schema allows 4..10).
    reach_m
        Largest distance from a cell centre to a road point for a cell without points inside.
    """
    if int(resolution) not in H3_RESOLUTIONS:
        raise ConfigError(
            f"access.hex_resolution must be an H3 resolution 0..15, got {resolution}."
        )
    x_m, y_m = np.asarray(x_m, dtype=float), np.asarray(y_m, dtype=float)
    if x_m.size == 0:
        raise DataError("No road nodes: the hexagon surface needs a road network.")
    origin_ids = np.asarray(origin_ids)
    layout = cell_points(x_m, y_m, resolution=resolution, reach_m=reach_m, crs=crs)
    # people per cell: counted by the stage when the study has a source of people
    data: dict[str, object] = {"h3": layout.cells, "population": np.full(layout.cells.size, np.nan)}
    for mode, seconds in times.items():
        seconds = np.asarray(seconds, dtype=np.float32)
        if seconds.shape != (origin_ids.size, layout.n_points):
            raise DataError(
                f"{mode} times have shape {seconds.shape}, expected "
                f"({origin_ids.size}, {layout.n_points}) origins × road points."
            )
        data.update(mode_columns(layout.seconds(seconds), mode=mode, origin_ids=origin_ids,
                                 bands_min=bands_min))  # fmt: skip
    frame = gpd.GeoDataFrame(data, geometry=hexagons(layout.cells), crs=WGS84)
    frame = frame.sort_values("h3", ignore_index=True)
    logger.info("hexagon surface: %d H3 cells at resolution %d", len(frame), resolution)
    return frame
