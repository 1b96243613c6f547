"""The study in metres, and what each admin level of it contributes to the corridor measures:
which unit every road node, reach cell and populated place lies in, the units' shared borders
and the roads crossing them."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.spatial import cKDTree

from spatialint.errors import DataError
from spatialint.geo import to_metric, utm_crs_for
from spatialint.integration.border import assign_units, border_crossings, shared_borders
from spatialint.integration.reach import ReachGrid
from spatialint.network.graph import CSRGraph

logger = logging.getLogger(__name__)


def check_graphs(road_graph: CSRGraph, multimodal_graph: CSRGraph) -> None:
    """Refuse graphs the measures cannot use: an empty road graph, or a road+rail graph that
    does not start with the road graph's nodes in the same order."""
    n_road = road_graph.n_nodes
    if multimodal_graph.n_nodes < n_road or not np.array_equal(
        multimodal_graph.node_ids[:n_road], road_graph.node_ids
    ):
        raise DataError(
            "multimodal_graph does not start with the road graph's nodes in the same order; "
            "rebuild the network stage."
        )
    if n_road == 0:
        raise DataError("the road graph has no nodes; check the network stage's log.")


@dataclass(frozen=True)
class MetricStudy:
    """Units, road nodes and road edges in the metric (UTM) CRS of the road network.

    Attributes
    ----------
    crs
        The metric CRS (:func:`spatialint.geo.utm_crs_for` of the road nodes).
    units
        The admin units (valid geometries, integer ``admin_level``, default RangeIndex).
    node_xy, node_points
        Road node positions (graph order) as an (n, 2) array and as points.
    edges
        The road edges; ``edge_u``/``edge_v`` their end nodes' graph positions.
    """

    crs: pyproj.CRS
    units: gpd.GeoDataFrame
    node_xy: np.ndarray
    node_points: gpd.GeoSeries
    edges: gpd.GeoDataFrame
    edge_u: np.ndarray
    edge_v: np.ndarray

    @classmethod
    def build(
        cls, units: gpd.GeoDataFrame, edges: gpd.GeoDataFrame, road_graph: CSRGraph
    ) -> MetricStudy:
        """Project ``units`` and ``edges`` (WGS-84) to the road network's UTM zone (edges
        already in it are kept as they are, not copied)."""
        crs = utm_crs_for(road_graph.x, road_graph.y)
        units_m = units.reset_index(drop=True).to_crs(crs)
        units_m["admin_level"] = units_m["admin_level"].astype(int)
        units_m["geometry"] = shapely.make_valid(units_m.geometry.values)
        nx_m, ny_m = to_metric(road_graph.x, road_graph.y, crs)
        node_xy = np.column_stack([nx_m, ny_m])
        edges_m = edges.reset_index(drop=True).to_crs(crs)
        edge_u, edge_v = road_graph.edge_positions(edges_m["u"].to_numpy(), edges_m["v"].to_numpy())
        return cls(
            crs=crs,
            units=units_m,
            node_xy=node_xy,
            node_points=gpd.GeoSeries(shapely.points(node_xy), crs=crs),
            edges=edges_m,
            edge_u=edge_u,
            edge_v=edge_v,
        )

    def level_positions(self, level: int) -> np.ndarray:
        """Row positions of the units of ``level``."""
        return np.flatnonzero(self.units["admin_level"].to_numpy() == level)

    def snap_centres(self, snap_max_m: float) -> tuple[np.ndarray, np.ndarray]:
        """Road node nearest each unit's centre, and whether it lies within ``snap_max_m``
        (False also for a unit without a centre)."""
        units = self.units
        cx, cy = to_metric(units["centre_lon"].to_numpy(), units["centre_lat"].to_numpy(), self.crs)
        has_centre = np.isfinite(cx) & np.isfinite(cy)
        snap_m = np.full(len(cx), np.inf)
        centre_pos = np.zeros(len(cx), dtype=np.int64)
        if has_centre.any():
            snap_m[has_centre], centre_pos[has_centre] = cKDTree(self.node_xy).query(
                np.column_stack([cx[has_centre], cy[has_centre]])
            )
        return centre_pos, has_centre & (snap_m <= snap_max_m)


@dataclass(frozen=True)
class LevelData:
    """The units of one admin level, as positions into the study's units (-1: in none).

    Attributes
    ----------
    node_unit, cell_unit, place_unit
        Unit of every road node, reach cell and populated place.
    borders
        Shared borders (:func:`spatialint.integration.border.shared_borders`), ``a``/``b``
        as positions into the study's units.
    crossings
        Roads crossing them (:func:`spatialint.integration.border.border_crossings`).
    """

    node_unit: np.ndarray
    borders: pd.DataFrame
    crossings: pd.DataFrame
    cell_unit: np.ndarray
    place_unit: np.ndarray

    @classmethod
    def build(
        cls,
        study: MetricStudy,
        level: int,
        grid: ReachGrid,
        place_points: gpd.GeoSeries,
        *,
        tolerance_m: float,
    ) -> LevelData:
        """Borders, crossings and the unit of every node, cell and place at ``level``."""
        idx = study.level_positions(level)
        units = study.units.iloc[idx].reset_index(drop=True)

        def unit_of(points: gpd.GeoSeries) -> np.ndarray:
            found = assign_units(points, units)
            return np.where(found >= 0, idx[np.maximum(found, 0)], -1)

        node_unit = unit_of(study.node_points)
        borders = shared_borders(units, tolerance_m=tolerance_m)
        borders["a"], borders["b"] = idx[borders["a"].astype(int)], idx[borders["b"].astype(int)]
        crossings = border_crossings(
            borders, study.edges, (node_unit[study.edge_u], node_unit[study.edge_v])
        )
        logger.info(
            "admin_level %d: %d units, %d neighbouring pairs, %d border crossings",
            level,
            len(idx),
            len(borders),
            len(crossings),
        )
        return cls(
            node_unit=node_unit,
            borders=borders,
            crossings=crossings,
            cell_unit=unit_of(grid.cells(study.crs)),
            place_unit=unit_of(place_points),
        )
