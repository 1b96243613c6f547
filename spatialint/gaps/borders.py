"""Borders between admin units and the points where roads cross them.

The gaps stage looks at the borders between the units at the study's ``admin.border_level``:
:func:`border_units` picks those units, :func:`unit_borders` finds the shared border of every
pair of neighbours and :func:`border_crossings` the points where a drivable road crosses one.
Everything here works in a metric CRS (see :mod:`spatialint.gaps.network`).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from spatialint.errors import DataError

#: Crossing points closer than this along one border count as one crossing (dual carriageways).
CROSSING_MERGE_M = 1.0
#: Two separately drawn unit boundaries within this distance are one shared border.
BORDER_TOLERANCE_M = 1.0


def border_units(units: gpd.GeoDataFrame, *, border_level: int) -> gpd.GeoDataFrame:
    """The admin units at ``border_level`` (the level whose borders count).

    Parameters
    ----------
    units
        The ``admin_units`` table (:data:`spatialint.contracts.ADMIN_UNITS`).
    border_level
        ``admin.border_level`` of the study.

    Raises
    ------
    DataError
        When no unit has that level (a misconfigured ``admin.border_level``).
    """
    chosen = units[units["admin_level"] == border_level]
    if chosen.empty:
        found = sorted({int(v) for v in units["admin_level"]})
        raise DataError(
            f"admin_units has no unit at admin.border_level {border_level}. Levels present: "
            f"{found}. Set admin.border_level in the study config to one of them (and list it "
            "in admin.levels)."
        )
    return chosen.reset_index(drop=True)


def unit_borders(
    units_m: gpd.GeoDataFrame, *, tolerance_m: float = BORDER_TOLERANCE_M
) -> gpd.GeoDataFrame:
    """Shared borders between pairs of units (metric CRS in, metric out).

    The border of A and B is the part of A's boundary within ``tolerance_m`` of B, so small
    mismatches between separately drawn boundaries do not break it. Columns ``unit_a``,
    ``unit_b``, ``unit_a_name``, ``unit_b_name`` and the border's (Multi)LineString; no rows
    when fewer than two units touch.
    """
    if len(units_m) < 2:
        return no_borders(units_m.crs)
    geoms = units_m.geometry.values
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=tolerance_m)
    keep = left < right
    left, right = left[keep], right[keep]
    lines = shapely.intersection(
        shapely.boundary(geoms[left]), shapely.buffer(geoms[right], tolerance_m)
    )
    ok = shapely.length(lines) > tolerance_m * 2
    out = gpd.GeoDataFrame(
        {
            "unit_a": units_m["unit_id"].values[left[ok]],
            "unit_b": units_m["unit_id"].values[right[ok]],
            "unit_a_name": units_m["name"].values[left[ok]],
            "unit_b_name": units_m["name"].values[right[ok]],
        },
        geometry=shapely.line_merge(_lines_only(lines[ok])),
        crs=units_m.crs,
    )
    return out.reset_index(drop=True)


def no_borders(crs: object) -> gpd.GeoDataFrame:
    """The borders table without rows (a study with fewer than two units at its level)."""
    return gpd.GeoDataFrame(
        {"unit_a": [], "unit_b": [], "unit_a_name": [], "unit_b_name": []},
        geometry=gpd.GeoSeries([], crs=crs),
        crs=crs,
    )


def _lines_only(geoms: np.ndarray) -> np.ndarray:
    """Drop point parts from intersection results, keeping (Multi)LineStrings."""
    parts, index = shapely.get_parts(geoms, return_index=True)
    is_line = shapely.get_type_id(parts) == 1  # LineString
    out = np.empty(len(geoms), dtype=object)
    for i in range(len(geoms)):  # one per unit pair, not per node
        pieces = parts[is_line & (index == i)]
        out[i] = shapely.multilinestrings(pieces) if len(pieces) else shapely.LineString()
    return out


def border_crossings(edge_geoms: np.ndarray, borders: gpd.GeoDataFrame) -> pd.DataFrame:
    """Points where a drivable edge crosses (or touches) a border.

    Parameters
    ----------
    edge_geoms
        Metric LineStrings of the drivable edges.
    borders
        :func:`unit_borders` (same CRS).

    Returns
    -------
    pandas.DataFrame
        ``edge`` (row of ``edge_geoms``), ``border`` (row of ``borders``) and the crossing
        point's ``x``, ``y`` in metres. A road running along the border counts once, at the
        first point it shares with it.
    """
    btree = shapely.STRtree(borders.geometry.values)
    ei, bi = btree.query(edge_geoms, predicate="intersects")
    if len(ei) == 0:
        return pd.DataFrame({"edge": [], "border": [], "x": [], "y": []})
    inter = shapely.intersection(edge_geoms[ei], borders.geometry.values[bi])
    parts, idx = shapely.get_parts(inter, return_index=True)
    pts = shapely.get_point(shapely.boundary(parts), 0)
    is_point = shapely.get_type_id(parts) == 0
    pts = np.where(is_point, parts, pts)
    ok = ~shapely.is_missing(pts) & ~shapely.is_empty(pts)
    return pd.DataFrame(
        {
            "edge": ei[idx[ok]],
            "border": bi[idx[ok]],
            "x": shapely.get_x(pts[ok]),
            "y": shapely.get_y(pts[ok]),
        }
    )
