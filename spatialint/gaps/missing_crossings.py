"""Missing crossings: long stretches of shared border that no drivable road crosses.

Each shared border (:func:`spatialint.gaps.borders.unit_borders`) is clipped to the extent of
the network (the convex hull of its nodes: beyond it there is no data) and cut at every road
crossing; each piece longer than ``gaps.missing_crossing_min_km``, measured along the border,
is reported. Its id depends only on the two units and where the piece starts and ends, to
10 m, so it stays the same across runs.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import substring

from spatialint.gaps.borders import CROSSING_MERGE_M
from spatialint.gaps.network import BorderNetwork
from spatialint.settings import GapSettings

logger = logging.getLogger(__name__)

#: Columns of the missing crossings (besides the geometry).
COLUMNS = ("crossing_id", "unit_a", "unit_b", "unit_a_name", "unit_b_name", "length_km")
#: Precision of the stretch ends in the stretch id, metres.
ID_PRECISION_M = 10.0


def find_missing_crossings(
    net: BorderNetwork, settings: GapSettings, crossings: pd.DataFrame
) -> gpd.GeoDataFrame:
    """Stretches of shared border (inside the network's extent) with no road crossing.

    Parameters
    ----------
    net
        The network in metres, with its borders.
    settings
        The study's ``gaps`` settings (``missing_crossing_min_km``).
    crossings
        :func:`spatialint.gaps.borders.border_crossings` of ``net``.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`COLUMNS` and the stretch as a LineString along the border (metric CRS).
    """
    min_m = settings.missing_crossing_min_km * 1000.0
    clipped = shapely.intersection(net.borders.geometry.values, net.hull)
    parts, owner = shapely.get_parts(shapely.line_merge(clipped), return_index=True)
    points = shapely.points(crossings[["x", "y"]].to_numpy()) if len(crossings) else np.array([])
    border_of = crossings["border"].to_numpy() if len(crossings) else np.array([], dtype=int)
    records: list[dict[str, Any]] = []
    geoms: list[shapely.Geometry] = []
    for part, k in zip(parts, owner, strict=True):  # one per border stretch, not per node
        if shapely.get_type_id(part) != 1 or shapely.length(part) < min_m:
            continue
        row = net.borders.iloc[k]
        for start, end in _uncrossed(part, points[border_of == k], min_m=min_m):
            geoms.append(substring(part, start, end))
            records.append(_record(row, start, end))
    out = gpd.GeoDataFrame(
        pd.DataFrame.from_records(records, columns=list(COLUMNS)).astype({"length_km": float}),
        geometry=gpd.GeoSeries(geoms, crs=net.crs) if geoms else gpd.GeoSeries([], crs=net.crs),
        crs=net.crs,
    )
    logger.info("%d border stretch(es) ≥ %.1f km without a road crossing", len(out), min_m / 1000)
    return out


def _uncrossed(
    part: shapely.LineString, crossings: np.ndarray, *, min_m: float
) -> Iterator[tuple[float, float]]:
    """(start, end) metres along ``part`` of each piece between crossings ≥ ``min_m`` long."""
    if len(crossings):
        crossings = crossings[shapely.distance(crossings, part) <= CROSSING_MERGE_M]
    pos = np.sort(shapely.line_locate_point(part, crossings)) if len(crossings) else np.array([])
    stops = np.concatenate([[0.0], pos, [shapely.length(part)]])
    for start, end in zip(stops[:-1], stops[1:], strict=True):
        if end - start >= min_m:
            yield start, end


def _record(border: pd.Series, start: float, end: float) -> dict[str, Any]:
    """The row of one stretch of ``border`` (a row of the borders table)."""
    key = (
        f"{border['unit_a']}|{border['unit_b']}|{start / ID_PRECISION_M:.0f}|"
        f"{end / ID_PRECISION_M:.0f}"
    )
    return {
        "crossing_id": "M" + hashlib.sha1(key.encode()).hexdigest()[:10],
        "unit_a": border["unit_a"],
        "unit_b": border["unit_b"],
        "unit_a_name": border["unit_a_name"],
        "unit_b_name": border["unit_b_name"],
        "length_km": round((end - start) / 1000.0, 2),
    }
