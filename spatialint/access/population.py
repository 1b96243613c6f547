"""The study's optional population layer: read it, and count the people inside polygons.

The population file (``access.population_file``) is the user's own data, not an output of
ours: any vector format GDAL reads, with a CRS, points or areas (an area counts at a point
inside it), and a head-count column (``access.population_column``).
"""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from spatialint.errors import DataError


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
