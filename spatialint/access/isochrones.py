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
    with contourpy (:func:`spatialint.access.polygons.distance_field_polygon`). Its boundary lies
    within a few metres of the vector result, within one grid cell in the notches between two
    buffers, which the grid rounds (measured in the tests); its cost grows with the area, not
    with the number of edges.

``auto`` uses ``vector`` up to :data:`VECTOR_MAX_LINES` reached lines and ``grid`` beyond.

The road edges and what a band reaches along them are in :mod:`spatialint.access.edges`, the
polygon geometry in :mod:`spatialint.access.polygons`, the study's people in
:mod:`spatialint.access.population` (``population``: people inside the circle;
``population_gained``: on a road + rail row, the people it reaches beyond the road circle of
the same origin and band).
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from spatialint.access.edges import EdgeSet, reached_lines, sample_points
from spatialint.access.polygons import as_multi, clean_polygon, distance_field_polygon
from spatialint.access.population import PopulationLayer
from spatialint.errors import ConfigError, DataError
from spatialint.geo import WGS84

logger = logging.getLogger(__name__)

VECTOR_MAX_LINES = 20_000
"""Above this many reached lines, ``method="auto"`` switches from GEOS buffers to the grid."""
BUFFER_QUAD_SEGS = 4
"""Segments per quarter circle of GEOS buffers (8 = GEOS default; 4 is within 2 % of a circle)."""
METHODS = ("auto", "vector", "grid")
M2_PER_KM2 = 1e6
ISOCHRONE_AREA_DECIMALS = 3
"""Decimals of ``area_km2`` (1000 m²)."""


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
        The road edges (see :func:`spatialint.access.edges.prepare_edges`).
    buffer_m
        Access buffer around reached roads, metres (``access.access_buffer_m``).
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
        min_hole_km2: float,
        method: str,
        grid_cell_m: float,
    ):
        if method not in METHODS:
            raise ConfigError(f"access.isochrone_method must be one of {METHODS}, got {method!r}.")
        if not buffer_m > 0:
            raise ConfigError(f"access.access_buffer_m must be positive, got {buffer_m}.")
        if not grid_cell_m > 0:
            raise ConfigError(f"access.grid_cell_m must be positive, got {grid_cell_m}.")
        self.edges = edges
        self.buffer_m = float(buffer_m)
        self.min_hole_m2 = float(min_hole_km2) * M2_PER_KM2
        self.method = method
        self.grid_cell_m = float(grid_cell_m)
        self._samples: _GridSamples | None = None

    # -- public -----------------------------------------------------------------------------
    def polygons(self, node_times: np.ndarray, bands_s: Sequence[float]) -> list[shapely.Geometry]:
        """One cleaned (Multi)Polygon per band (metric CRS), empty where nothing is reached."""
        node_times = np.asarray(node_times, dtype=np.float64)
        out = []
        for band in bands_s:
            if self._method_for(node_times, band) == "vector":
                raw = self._vector(node_times, band)
            else:
                raw = self._grid(node_times, band)
            out.append(clean_polygon(raw, min_hole_m2=self.min_hole_m2))
        return out

    def _method_for(self, node_times: np.ndarray, band_s: float) -> str:
        if self.method != "auto":
            return self.method
        n_lines = int(np.count_nonzero(node_times[self.edges.u] <= band_s))
        return "vector" if n_lines <= VECTOR_MAX_LINES else "grid"

    # -- vector -----------------------------------------------------------------------------
    def _vector(self, node_times: np.ndarray, band_s: float) -> shapely.Geometry:
        lines = reached_lines(self.edges, node_times, band_s)
        if lines.size == 0:
            return shapely.Polygon()
        buffers = shapely.buffer(lines, self.buffer_m, quad_segs=BUFFER_QUAD_SEGS)
        return shapely.union_all(buffers)

    # -- grid -------------------------------------------------------------------------------
    def grid_samples(self) -> _GridSamples:
        """Points along the edges, ``grid_cell_m`` apart (computed once, then kept)."""
        if self._samples is None:
            xy, edge, frac = sample_points(self.edges, self.grid_cell_m)
            self._samples = _GridSamples(xy=xy, edge=edge, frac=frac)
        return self._samples

    def _reached_points(self, node_times: np.ndarray, band_s: float) -> np.ndarray:
        e = self.edges
        s = self.grid_samples()
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


# ---------------------------------------------------------------------------- the table


def isochrone_table(
    builder: IsochroneBuilder,
    origins: pd.DataFrame,
    node_times: Mapping[str, np.ndarray],
    *,
    bands_min: Sequence[float],
    population: PopulationLayer | None = None,
    workers: int = 1,
) -> gpd.GeoDataFrame:
    """Isochrones of every origin × mode × band (the ``ISOCHRONES`` table, EPSG:4326).

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
        Bands in minutes, strictly increasing (as :class:`~spatialint.settings.IsochroneSettings`
        checks them).
    population
        The study's people (:func:`spatialint.access.population.open_population`), summed per
        isochrone; without them ``population`` and ``population_gained`` are NaN.
    workers
        Processes building polygons (origins are shared out; the edge set is inherited by
        forking, not copied).
    """
    _check_times_match(builder, origins, node_times)
    jobs = [(mode, i) for mode in node_times for i in range(len(origins))]
    results = _run_polygons(builder, node_times, [b * 60.0 for b in bands_min], jobs,
                            workers=workers)  # fmt: skip
    frame, geoms = _isochrone_rows(origins, jobs, results, bands_min)
    frame["population"] = (
        np.nan
        if population is None
        else population.sums(gpd.GeoSeries(geoms, crs=builder.edges.crs))
    )
    frame["population_gained"] = people_gained(frame)
    out = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=builder.edges.crs))
    out = out.to_crs(WGS84)
    out["geometry"] = [as_multi(g) for g in out.geometry]
    return out


def people_gained(frame: pd.DataFrame) -> np.ndarray:
    """Per row, the people a road + rail circle reaches beyond the road circle of the same
    origin and band (NaN on road rows, and without population)."""
    road = frame[frame["mode"] == "road"].set_index(["origin_id", "band_min"])["population"]
    keys = pd.MultiIndex.from_frame(frame[["origin_id", "band_min"]])
    gained = frame["population"].to_numpy(float) - road.reindex(keys).to_numpy(float)
    return np.where(frame["mode"].to_numpy() == "road", np.nan, gained)


def _check_times_match(
    builder: IsochroneBuilder, origins: pd.DataFrame, node_times: Mapping[str, np.ndarray]
) -> None:
    """Refuse travel times of another origins table or another road network."""
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


def _isochrone_rows(
    origins: pd.DataFrame,
    jobs: Sequence[tuple[str, int]],
    results: Sequence[Sequence[shapely.Geometry]],
    bands_min: Sequence[float],
) -> tuple[pd.DataFrame, list[shapely.Geometry]]:
    """One row (and polygon) per origin × mode × band, in the order of ``jobs`` and bands."""
    records, geoms = [], []
    names = origins["name"].astype(str).tolist()
    ids = origins["origin_id"].astype(int).tolist()
    for (mode, i), polys in zip(jobs, results, strict=True):
        for band, poly in zip(bands_min, polys, strict=True):
            area_km2 = round(poly.area / M2_PER_KM2, ISOCHRONE_AREA_DECIMALS)
            records.append((ids[i], names[i], mode, float(band), area_km2))
            geoms.append(poly)
        logger.info(
            "%s isochrones of origin %r: %s km²",
            mode, names[i], ", ".join(f"{p.area / M2_PER_KM2:.0f}" for p in polys),
        )  # fmt: skip
    columns = ["origin_id", "origin_name", "mode", "band_min", "area_km2"]
    return pd.DataFrame(records, columns=columns), geoms


# ---------------------------------------------------------------------------- in parallel

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
    """The polygons of each (mode, origin row) job, in forked worker processes if ``workers``."""
    global _WORKER_STATE
    workers = max(1, min(int(workers), len(jobs)))
    if workers == 1:
        return [builder.polygons(node_times[m][i], bands_s) for m, i in jobs]
    if builder.method != "vector" and builder.edges.n_edges > VECTOR_MAX_LINES:
        builder.grid_samples()  # once, before forking
    _WORKER_STATE = (builder, node_times, bands_s)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            return list(pool.map(_worker_polygons, jobs, chunksize=1))
    finally:
        _WORKER_STATE = None
