"""Shared borders between admin units and the roads that cross them (border permeability).

All geometry here is in a metric CRS (the caller projects with :func:`spatialint.geo.utm_crs_for`)
and vectorised with shapely 2: one spatial-index query finds every neighbouring pair, one finds
every edge near every border.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from spatialint.contracts.integration import CROSSING_CLASSES

logger = logging.getLogger(__name__)

MINOR_CLASS = "minor"
"""The crossing class of every drivable road below ``tertiary`` (unclassified, residential...)."""


def road_class(highway: pd.Series) -> pd.Series:
    """Map OSM ``highway`` values to the crossing classes of
    :data:`~spatialint.contracts.integration.CROSSING_CLASSES` (``primary_link`` → ``primary``,
    anything below ``tertiary`` → ``minor``)."""
    base = highway.astype(str).str.replace(r"_link$", "", regex=True)
    named = [c for c in CROSSING_CLASSES if c != MINOR_CLASS]
    return base.where(base.isin(named), MINOR_CLASS)


def assign_units(points: gpd.GeoSeries, units: gpd.GeoDataFrame) -> np.ndarray:
    """Row position in ``units`` of the unit containing each point; -1 outside every unit.

    A point on a shared border (or in an overlap sliver) goes to the unit listed first.
    """
    out = np.full(len(points), -1, dtype=np.int64)
    if len(points) == 0 or len(units) == 0:
        return out
    point_idx, unit_idx = units.sindex.query(points.values, predicate="intersects")
    order = np.lexsort((unit_idx, point_idx))
    point_idx, unit_idx = point_idx[order], unit_idx[order]
    first = np.ones(len(point_idx), dtype=bool)
    first[1:] = point_idx[1:] != point_idx[:-1]
    out[point_idx[first]] = unit_idx[first]
    return out


def shared_borders(units: gpd.GeoDataFrame, *, tolerance_m: float) -> pd.DataFrame:
    """Every pair of units sharing a border line, with that line.

    The boundary of A is first snapped onto the boundary of B (vertices within
    ``tolerance_m`` move onto B's), then the two boundaries are intersected: boundaries that
    share their vertices (as OSM admin boundaries built from the same ways do) give exactly the
    shared line, and small digitising gaps or overlaps are closed. Pairs that only touch at a
    corner (a point, or a line no longer than ``tolerance_m``) are left out.

    Parameters
    ----------
    units
        Units in a metric CRS, with a default RangeIndex.
    tolerance_m
        Snapping tolerance in metres.

    Returns
    -------
    pandas.DataFrame
        ``a``, ``b`` (row positions, ``a < b``), ``border`` (merged (Multi)LineString, metres),
        ``border_km``.
    """
    geoms = units.geometry.values
    if len(geoms) < 2:
        return pd.DataFrame({"a": [], "b": [], "border": [], "border_km": []})
    left, right = units.sindex.query(shapely.buffer(geoms, tolerance_m), predicate="intersects")
    keep = left < right
    a, b = left[keep], right[keep]
    bound_a = shapely.boundary(geoms[a])
    bound_b = shapely.boundary(geoms[b])
    lines = shapely.intersection(shapely.snap(bound_a, bound_b, tolerance_m), bound_b)
    lines = np.array([_linear_part(g) for g in lines], dtype=object)
    length = shapely.length(lines)
    keep = length > tolerance_m
    return pd.DataFrame(
        {
            "a": a[keep],
            "b": b[keep],
            "border": lines[keep],
            "border_km": length[keep] / 1000.0,
        }
    )


def _linear_part(geom: shapely.Geometry) -> shapely.Geometry:
    """The lines of a geometry collection, merged into as few lines as possible."""
    parts = shapely.get_parts(geom)
    parts = parts[shapely.get_type_id(parts) == 1]  # LineString
    if len(parts) == 0:
        return shapely.LineString()
    return shapely.line_merge(shapely.MultiLineString(list(parts)))


def border_crossings(
    borders: pd.DataFrame,
    edges: gpd.GeoDataFrame,
    edge_units: tuple[np.ndarray, np.ndarray],
) -> pd.DataFrame:
    """The road edges crossing each shared border.

    An edge crosses the border of A and B when it intersects their shared border line and its
    end nodes lie one in A, one in B: a road that only touches the border (a dead end ending on
    it) or runs along it does not count. Two-way roads are stored as two directed edges; they
    count once (one per ``osmid`` and unordered node pair).

    Parameters
    ----------
    borders
        Output of :func:`shared_borders`.
    edges
        Road edges in the same metric CRS, with ``u``, ``v``, ``osmid``, ``highway``.
    edge_units
        Unit row position of each edge's ``u`` and ``v`` node (:func:`assign_units`).

    Returns
    -------
    pandas.DataFrame
        ``border`` (row of ``borders``), ``edge`` (row of ``edges``), ``road_class``, ``point``
        (a crossing point on the border line).
    """
    unit_u, unit_v = edge_units
    if len(borders) == 0 or len(edges) == 0:
        return pd.DataFrame({"border": [], "edge": [], "road_class": [], "point": []})
    border_lines = borders["border"].to_numpy()
    bi, ei = edges.sindex.query(border_lines, predicate="intersects")
    a = borders["a"].to_numpy()[bi]
    b = borders["b"].to_numpy()[bi]
    uu, vv = unit_u[ei], unit_v[ei]
    ok = ((uu == a) & (vv == b)) | ((uu == b) & (vv == a))
    bi, ei = bi[ok], ei[ok]
    u = edges["u"].to_numpy()[ei]
    v = edges["v"].to_numpy()[ei]
    found = pd.DataFrame(
        {
            "border": bi,
            "edge": ei,
            "lo": np.minimum(u, v),
            "hi": np.maximum(u, v),
            "osmid": edges["osmid"].astype(str).to_numpy()[ei],
        }
    ).drop_duplicates(["border", "lo", "hi", "osmid"])
    ei = found["edge"].to_numpy()
    bi = found["border"].to_numpy()
    touch = shapely.intersection(edges.geometry.values[ei], border_lines[bi])
    points = shapely.point_on_surface(touch)
    return pd.DataFrame(
        {
            "border": bi,
            "edge": ei,
            "road_class": road_class(edges["highway"].iloc[ei]).to_numpy(),
            "point": points,
        }
    ).reset_index(drop=True)


def longest_uncrossed_m(border: shapely.Geometry, points: np.ndarray) -> float:
    """Longest stretch of ``border`` (metres) between two crossings or a crossing and an end.

    Each piece of a multi-part border is measured on its own; a closed piece (a unit enclosed
    by another) wraps around, so its longest stretch runs from the last crossing to the first.
    A piece without crossings counts its whole length.
    """
    pieces = shapely.get_parts(border)
    pieces = pieces[~shapely.is_empty(pieces)]
    if len(pieces) == 0:
        return float("nan")
    points = np.asarray(points, dtype=object)
    if len(points):
        distance = shapely.distance(points[:, None], pieces[None, :])
        piece_of = np.argmin(distance, axis=1)
    else:
        piece_of = np.empty(0, dtype=np.int64)
    longest = 0.0
    for k, piece in enumerate(pieces):
        length = float(shapely.length(piece))
        on_piece = points[piece_of == k]
        if len(on_piece) == 0:
            longest = max(longest, length)
            continue
        at = np.sort(shapely.line_locate_point(piece, on_piece))
        inner = float(np.diff(at).max()) if len(at) > 1 else 0.0
        if bool(shapely.is_closed(piece)):
            ends = length - at[-1] + at[0]
        else:
            ends = max(at[0], length - at[-1])
        longest = max(longest, inner, ends)
    return longest
