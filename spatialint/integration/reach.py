"""Reach: which parts of a unit lie inside another unit's travel-time circle, counted on a
regular grid of equal cells tied to the nearest road."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from spatialint.integration.border import assign_units

logger = logging.getLogger(__name__)

TIE_M = 1.0
"""Edges within this distance of a point's nearest edge count as equally near (metres)."""


def _nearest(
    tree: shapely.STRtree, points: np.ndarray, max_distance_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(point index, tree index, distance) of each point's nearest geometry within reach."""
    (pi, ti), dist = tree.query_nearest(points, max_distance=max_distance_m, return_distance=True)
    return np.asarray(pi), np.asarray(ti), np.asarray(dist, dtype=float)


@dataclass(frozen=True)
class RoadSnap:
    """Points tied to their nearest road edge(s) within an access distance.

    A point's travel time from an origin is ``min over its nearest edges e = u → v of
    t(u) + f_e · T_e``, where ``f_e`` is the point's projected position along ``e`` (0 at
    ``u``, 1 at ``v``) and ``T_e`` the edge's travel time: the time to drive to the point on the
    road nearest to it. Both directions of a two-way road are equally near, so both count.
    Points farther than the access distance from every road are never reached.

    Attributes
    ----------
    point, node, offset_s
        One entry per (point, nearest edge): the point's index, the edge's start node
        position, and ``f_e · T_e`` in seconds.
    n_points
        Number of points.
    """

    point: np.ndarray
    node: np.ndarray
    offset_s: np.ndarray
    n_points: int

    @classmethod
    def build(
        cls,
        points: np.ndarray,
        edge_geoms: np.ndarray,
        edge_u: np.ndarray,
        edge_time_s: np.ndarray,
        *,
        max_distance_m: float,
    ) -> RoadSnap:
        """Snap shapely ``points`` to ``edge_geoms`` (same metric CRS).

        ``edge_u`` are the graph positions of the edges' start nodes and ``edge_time_s`` their
        travel times.
        """
        points = np.asarray(points, dtype=object)
        if len(points) == 0 or len(edge_geoms) == 0:
            empty = np.empty(0, dtype=np.int64)
            return cls(empty, empty, np.empty(0), len(points))
        tree = shapely.STRtree(edge_geoms)
        near_pi, _, near_m = _nearest(tree, points, max_distance_m)
        nearest_m = np.full(len(points), np.nan)
        nearest_m[near_pi] = near_m
        has = np.flatnonzero(np.isfinite(nearest_m))
        # every edge as near as the nearest (within TIE_M): both directions of a two-way road
        # and all edges meeting at a node the point sits on, whatever the rounding
        pi, ei = tree.query(points[has], predicate="dwithin", distance=nearest_m[has] + TIE_M)
        pi = has[pi]
        frac = shapely.line_locate_point(edge_geoms[ei], points[pi], normalized=True)
        frac = np.nan_to_num(np.asarray(frac, dtype=float), nan=0.0)
        return cls(
            point=np.asarray(pi, dtype=np.int64),
            node=np.asarray(edge_u, dtype=np.int64)[ei],
            offset_s=frac * np.asarray(edge_time_s, dtype=float)[ei],
            n_points=len(points),
        )

    def times(self, node_times_s: np.ndarray) -> np.ndarray:
        """Travel time (s) to every point from a row of node times (NaN: not reached)."""
        out = np.full(self.n_points, np.inf)
        t = node_times_s[self.node].astype(float) + self.offset_s
        np.fmin.at(out, self.point, np.where(np.isfinite(t), t, np.inf))
        out[~np.isfinite(out)] = np.nan
        return out

    @property
    def served(self) -> np.ndarray:
        """Boolean per point: within the access distance of a road."""
        out = np.zeros(self.n_points, dtype=bool)
        out[self.point] = True
        return out


@dataclass(frozen=True)
class ReachGrid:
    """Square cells covering the units, each tied to the nearest road (:class:`RoadSnap`).

    A cell is inside a travel-time circle when the road nearest to it, no farther than the
    access buffer, is reached within the band: the rule of the isochrones (reached roads
    buffered by ``access.access_buffer_m``), evaluated on cells so that shares and overlaps are
    counts of equal-area cells.
    """

    cell_xy: np.ndarray
    snap: RoadSnap
    cell_km2: float

    @classmethod
    def build(
        cls,
        units_m: gpd.GeoDataFrame,
        edges_m: gpd.GeoDataFrame,
        edge_u: np.ndarray,
        *,
        cell_m: float,
        snap_m: float,
    ) -> ReachGrid:
        """Cells of side ``cell_m`` whose centre lies in one of ``units_m`` (metric CRS).

        ``edges_m`` are the road edges in the same CRS (with ``travel_time_s``) and ``edge_u``
        the graph positions of their start nodes.
        """
        west, south, east, north = units_m.total_bounds
        xs = np.arange(west + cell_m / 2, east, cell_m)
        ys = np.arange(south + cell_m / 2, north, cell_m)
        gx, gy = np.meshgrid(xs, ys)
        points = gpd.GeoSeries(shapely.points(gx.ravel(), gy.ravel()), crs=units_m.crs)
        inside = assign_units(points, units_m.reset_index(drop=True)) >= 0
        xy = np.column_stack([gx.ravel()[inside], gy.ravel()[inside]])
        snap = RoadSnap.build(
            shapely.points(xy) if len(xy) else np.empty(0, dtype=object),
            edges_m.geometry.values,
            edge_u,
            edges_m["travel_time_s"].to_numpy(float),
            max_distance_m=snap_m,
        )
        logger.info(
            "reach grid: %d cells of %.0f m inside the units, %d within %.0f m of a road",
            len(xy),
            cell_m,
            int(snap.served.sum()),
            snap_m,
        )
        return cls(cell_xy=xy, snap=snap, cell_km2=(cell_m / 1000.0) ** 2)

    def cells(self, crs: object) -> gpd.GeoSeries:
        """Cell centres as points (in the metric CRS the grid was built in)."""
        return gpd.GeoSeries(shapely.points(self.cell_xy), crs=crs)

    def reached(self, node_times_s: np.ndarray, band_s: float) -> np.ndarray:
        """Boolean per cell: inside the circle of a row of road-node travel times."""
        t = self.snap.times(node_times_s)
        return np.isfinite(t) & (t <= band_s)

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

    ``place_times_s`` is the travel time to each place (NaN when not reached or farther than
    the access buffer from any road). NaN when no place in the unit carries a population (the
    measure is then not provided).
    """
    mine = (place_unit == unit) & np.isfinite(place_pop) & (place_pop > 0)
    if not mine.any():
        return float("nan")
    t = place_times_s[mine]
    hit = np.isfinite(t) & (t <= band_s)
    return float(place_pop[mine][hit].sum() / place_pop[mine].sum())


@dataclass(frozen=True)
class PopulatedPlaces:
    """The places with a population (``network/places.parquet``), tied to their nearest road
    like the reach cells: the population reach shares are counted on them.

    Attributes
    ----------
    snap
        Each place's nearest road edge(s) within the access buffer.
    population
        Residents of each place.
    points
        The places in the metric CRS.
    """

    snap: RoadSnap
    population: np.ndarray
    points: gpd.GeoSeries

    @classmethod
    def build(
        cls,
        places: gpd.GeoDataFrame | None,
        edges_m: gpd.GeoDataFrame,
        edge_u: np.ndarray,
        *,
        access_buffer_m: float,
    ) -> PopulatedPlaces:
        """Places of ``places`` (the ``places`` contract) with a positive population, in the
        CRS of ``edges_m``."""
        crs = edges_m.crs
        population = np.empty(0, float)
        xy = np.empty((0, 2), float)
        if places is not None and len(places):
            population = places["population"].to_numpy(float)
            keep = np.isfinite(population) & (population > 0)
            points = places[keep].to_crs(crs).geometry
            xy = np.column_stack([points.x.to_numpy(), points.y.to_numpy()])
            population = population[keep]
        snap = RoadSnap.build(
            shapely.points(xy) if len(xy) else np.empty(0, dtype=object),
            edges_m.geometry.values,
            edge_u,
            edges_m["travel_time_s"].to_numpy(float),
            max_distance_m=access_buffer_m,
        )
        return cls(
            snap=snap, population=population, points=gpd.GeoSeries(shapely.points(xy), crs=crs)
        )
