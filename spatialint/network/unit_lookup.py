"""Which admin unit a point lies in: the border-level units, and a fast point-in-unit lookup.

The road and rail networks give every node, edge and station the unit (``admin.border_level``)
it lies in; outside every unit the id is null.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from spatialint.contracts import ADMIN_UNITS
from spatialint.contracts.io import read_table
from spatialint.errors import DataError
from spatialint.geo import WGS84

OUTSIDE_UNITS = "(outside units)"


def read_border_units(path: str | Path, *, level: int) -> gpd.GeoDataFrame:
    """The admin units of ``level`` from ``admin_units.gpkg`` (read by its contract).

    Raises
    ------
    DataError
        The file is missing or does not match the contract (naming the ``admin_units`` step
        to re-run), or it has no unit at ``level``.
    """
    units = read_table(path, ADMIN_UNITS).to_crs(WGS84)
    chosen = units[units["admin_level"] == int(level)].reset_index(drop=True)
    if chosen.empty:
        present = sorted(units["admin_level"].unique().tolist())
        raise DataError(
            f"{path} has no admin units at admin_level {level} (admin.border_level); levels "
            f"present: {present}. Set admin.border_level to one of them in the study config."
        )
    return chosen


def unit_index(lon: np.ndarray, lat: np.ndarray, units: gpd.GeoDataFrame) -> np.ndarray:
    """Row of ``units`` containing each point (first unit on shared borders), else -1.

    Points are sorted by longitude once; each unit tests only the points in its x-range and bbox
    with ``shapely.intersects_xy`` on the prepared polygon — no point objects are created.
    """
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    out = np.full(len(lon), -1, dtype=np.int64)
    if len(lon) == 0 or units.empty:
        return out
    order = np.argsort(lon, kind="stable")
    sorted_lon = lon[order]
    found = np.zeros(len(lon), dtype=bool)
    geoms = units.geometry.to_numpy()
    for row, (geom, (west, south, east, north)) in enumerate(
        zip(geoms, shapely.bounds(geoms), strict=True)
    ):
        if geom is None or shapely.is_empty(geom):
            continue
        lo = np.searchsorted(sorted_lon, west, side="left")
        hi = np.searchsorted(sorted_lon, east, side="right")
        candidates = order[lo:hi]
        candidates = candidates[
            ~found[candidates] & (lat[candidates] >= south) & (lat[candidates] <= north)
        ]
        if len(candidates) == 0:
            continue
        shapely.prepare(geom)
        inside = candidates[shapely.intersects_xy(geom, lon[candidates], lat[candidates])]
        out[inside] = row
        found[inside] = True
    return out


def assign_units(lon: np.ndarray, lat: np.ndarray, units: gpd.GeoDataFrame) -> np.ndarray:
    """``unit_id`` of the unit containing each point (first unit on shared borders), else None."""
    rows = unit_index(lon, lat, units)
    out = np.full(len(rows), None, dtype=object)
    inside = rows >= 0
    out[inside] = units["unit_id"].to_numpy()[rows[inside]]
    return out


def count_per_unit(unit_ids: np.ndarray) -> dict[str, int]:
    """How many of ``unit_ids`` fall in each unit (null: :data:`OUTSIDE_UNITS`)."""
    counts = pd.Series(unit_ids, dtype=object).fillna(OUTSIDE_UNITS).value_counts()
    return {str(k): int(v) for k, v in counts.items()}


def per_unit_text(unit_ids: np.ndarray, units: gpd.GeoDataFrame, limit: int = 10) -> str:
    """``count_per_unit`` in words for a log line: ``r1 West: 3; r2 East: 1``."""
    names = dict(zip(units["unit_id"], units["name"], strict=True))
    counts = pd.Series(unit_ids, dtype=object).fillna(OUTSIDE_UNITS).value_counts()
    parts = [f"{k} {names.get(k, '')}".strip() + f": {v}" for k, v in counts.head(limit).items()]
    if len(counts) > limit:
        parts.append(f"... {len(counts) - limit} more")
    return "; ".join(parts) if parts else "none"
