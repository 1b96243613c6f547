"""The study's optional source of people: read it, and count the people inside polygons.

There is one source per study, the user's own data, not an output of ours:

- ``access.population_file``: any vector format GDAL reads, with a CRS, points or areas (an
  area counts at a point inside it), and a head-count column (``access.population_column``);
- ``access.population_raster``: a GeoTIFF of people per cell
  (:mod:`spatialint.access.population_raster`).

:func:`open_population` is the one way in: the isochrones (circles and hexagons), the gap
benefit's person-minutes and the corridors' population reach all read the study's people
through it, as a :class:`PopulationLayer` (zonal sums over polygons, and weighted points).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from spatialint.errors import DataError
from spatialint.geo import WGS84
from spatialint.settings import PopulationSettings

POPULATION = "population"
"""The head-count column of :meth:`PopulationLayer.points`."""
HULL_PAD_DEG = 0.001
"""Padding (degrees, ~100 m) of a study hull that is a point or a line."""


class PopulationLayer(Protocol):
    """The study's people, whichever the source: sums over polygons, and weighted points."""

    path: str

    def sums(self, polygons: gpd.GeoSeries) -> np.ndarray:
        """People inside each of ``polygons`` (any CRS; 0 for an empty polygon)."""

    def points(self) -> gpd.GeoDataFrame:
        """The people as WGS-84 points with a :data:`POPULATION` column (each > 0)."""


def open_population(
    inputs: Mapping[str, str | PathLike[str]],
    population: PopulationSettings,
    *,
    area: shapely.Geometry,
) -> PopulationLayer | None:
    """The study's source of people (the input ``population``), or ``None`` without one.

    ``area`` is the study area in WGS-84 (e.g. the hull of the road network): a raster that
    does not overlap it is refused, one that covers part of it is logged with the share it
    covers.

    Raises
    ------
    DataError
        A file that cannot be read, has no CRS, does not overlap the study or holds
        negative counts: one message naming the file and what to do.
    """
    if population.population_raster:
        from spatialint.access.population_raster import RasterPopulation  # rasterio: lazily

        return RasterPopulation.open(str(inputs["population"]), area=area)
    if population.population_file:
        column = population.population_column
        frame = load_population(inputs["population"], column=column)
        return VectorPopulation(str(inputs["population"]), frame, column)
    return None


def study_hull(lon: np.ndarray, lat: np.ndarray) -> shapely.Geometry:
    """The convex hull of WGS-84 points (a road network's nodes): the area a source must cover."""
    hull = shapely.convex_hull(shapely.multipoints(np.column_stack([lon, lat])))
    return hull if hull.area > 0 else hull.buffer(HULL_PAD_DEG)  # a point or a line: padded


@dataclass(frozen=True)
class VectorPopulation:
    """People as points or areas with a head count (``access.population_file``)."""

    path: str
    frame: gpd.GeoDataFrame
    column: str

    def sums(self, polygons: gpd.GeoSeries) -> np.ndarray:
        """Head counts of the points (areas at a point inside them) in each polygon."""
        people = self.frame.to_crs(polygons.crs)
        return population_within(np.asarray(polygons.array, dtype=object), people,
                                 column=self.column)  # fmt: skip

    def points(self) -> gpd.GeoDataFrame:
        """The features with people, at a point inside each, in WGS-84."""
        frame = self.frame[self.frame[self.column] > 0].to_crs(WGS84)
        return gpd.GeoDataFrame(
            {POPULATION: frame[self.column].to_numpy(float)},
            geometry=frame.geometry.representative_point().to_numpy(),
            crs=WGS84,
        )


def load_population(path: str | PathLike[str], *, column: str) -> gpd.GeoDataFrame:
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
    return frame.assign(**{column: head_counts(frame[column], path=path)})


def head_counts(values: pd.Series, *, path: str | PathLike[str]) -> pd.Series:
    """The head-count column as float; an empty cell counts 0 people, text that is not a number
    (``约3000``, ``1,200``) or a negative count is refused, naming the row."""
    text = values.map(lambda v: "" if pd.isna(v) else str(v).strip()).astype(object)
    counts = pd.to_numeric(text.where(text != "", np.nan), errors="coerce").astype(float)
    bad = (counts.isna() & (text != "")) | (counts < 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"Population file {path}, feature {row + 1}: head count {values.iloc[row]!r} is not "
            "a number of people >= 0; fix the value (plain digits, no thousands separators)."
        )
    return counts.fillna(0.0).astype(float)


def population_within(
    polygons: Sequence[shapely.Geometry], population: gpd.GeoDataFrame | None, *, column: str
) -> np.ndarray:
    """Sum of ``population[column]`` over the points inside each polygon (NaN without data).

    Polygons and points must share a CRS (the caller projects both); ``population`` is as
    :func:`load_population` read it.
    """
    n = len(polygons)
    if population is None:
        return np.full(n, np.nan)
    if column not in population.columns:
        raise DataError(
            f"population file has no column {column!r} (columns: {list(population.columns)}); "
            "set access.population_column."
        )
    values = population[column].to_numpy(float)
    pts = np.asarray(population.geometry.array, dtype=object)
    if not np.all(shapely.get_type_id(pts) == 0):  # areas count at a point inside them
        pts = shapely.point_on_surface(pts)
    tree = shapely.STRtree(pts)
    poly_idx, pt_idx = tree.query(np.asarray(polygons, dtype=object), predicate="intersects")
    return np.bincount(poly_idx, weights=values[pt_idx], minlength=n).astype(float)
