"""Reach: which parts of a unit lie inside another unit's travel-time circle, counted on a
regular grid of equal cells tied to their nearest road node."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from scipy.spatial import cKDTree

from spatialint.corridor_border import assign_units

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReachGrid:
    """Square cells covering the units, each tied to its nearest road node (if near enough).

    A cell is inside a travel-time circle when its nearest road node, no farther than the
    access buffer, is reached within the band: the same rule the isochrones use (reached roads
    buffered by ``access.access_buffer_m``), evaluated on cells so shares and overlaps are
    counts of equal-area cells.
    """

    cell_xy: np.ndarray
    cell_node: np.ndarray
    cell_km2: float

    @classmethod
    def build(
        cls,
        units_m: gpd.GeoDataFrame,
        node_xy_m: np.ndarray,
        *,
        cell_m: float,
        snap_m: float,
    ) -> ReachGrid:
        """Cells of side ``cell_m`` whose centre lies in one of ``units_m`` (metric CRS), each
        tied to the nearest of ``node_xy_m`` within ``snap_m`` (-1 when none is)."""
        west, south, east, north = units_m.total_bounds
        xs = np.arange(west + cell_m / 2, east, cell_m)
        ys = np.arange(south + cell_m / 2, north, cell_m)
        gx, gy = np.meshgrid(xs, ys)
        points = gpd.GeoSeries(shapely.points(gx.ravel(), gy.ravel()), crs=units_m.crs)
        inside = assign_units(points, units_m.reset_index(drop=True)) >= 0
        xy = np.column_stack([gx.ravel()[inside], gy.ravel()[inside]])
        if len(node_xy_m) and len(xy):
            dist, node = cKDTree(node_xy_m).query(xy, distance_upper_bound=snap_m)
            node = np.where(np.isfinite(dist), node, -1).astype(np.int64)
        else:
            node = np.full(len(xy), -1, dtype=np.int64)
        logger.info(
            "reach grid: %d cells of %.0f m inside the units, %d near a road",
            len(xy),
            cell_m,
            int((node >= 0).sum()),
        )
        return cls(cell_xy=xy, cell_node=node, cell_km2=(cell_m / 1000.0) ** 2)

    def cells(self, crs: object) -> gpd.GeoSeries:
        """Cell centres as points (in the metric CRS the grid was built in)."""
        return gpd.GeoSeries(shapely.points(self.cell_xy), crs=crs)

    def reached(self, times_s: np.ndarray, band_s: float) -> np.ndarray:
        """Boolean per cell: inside the circle of a travel-time row (road nodes first)."""
        out = np.zeros(len(self.cell_node), dtype=bool)
        has = self.cell_node >= 0
        t = times_s[self.cell_node[has]]
        out[has] = np.isfinite(t) & (t <= band_s)
        return out

    @staticmethod
    def share(reached: np.ndarray, in_unit: np.ndarray) -> float:
        """Share of a unit's cells (boolean mask ``in_unit``) that are reached; NaN when the
        unit has no cell."""
        return float(reached[in_unit].mean()) if in_unit.any() else float("nan")


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """|A ∩ B| / |A ∪ B| of two boolean masks (NaN when both are empty)."""
    union = int((a | b).sum())
    return float((a & b).sum() / union) if union else float("nan")


def population_share(
    place_times_s: np.ndarray,
    band_s: float,
    place_unit: np.ndarray,
    place_pop: np.ndarray,
    unit: int,
) -> float:
    """Share of the population of ``unit``'s populated places reached within ``band_s``.

    ``place_times_s`` is the travel time to each place's road node (NaN when the place is
    farther than the access buffer from any road). NaN when no place in the unit carries a
    population (the measure is then not provided).
    """
    mine = (place_unit == unit) & np.isfinite(place_pop) & (place_pop > 0)
    if not mine.any():
        return float("nan")
    t = place_times_s[mine]
    hit = np.isfinite(t) & (t <= band_s)
    return float(place_pop[mine][hit].sum() / place_pop[mine].sum())
