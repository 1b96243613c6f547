"""Small hand-made road networks for the access tests (explicit CRS, built inline)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from spatialint.geo import to_metric, utm_crs_for
from spatialint.network.graph import CSRGraph

LON0, LAT0 = 113.0, 28.2  # near Changsha, UTM zone 49N
METRES_PER_DEG_LAT = 111_320.0


def lonlat(x_m: np.ndarray, y_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local metres east/north of (LON0, LAT0) to lon/lat (equirectangular, fine for ~20 km)."""
    lat = LAT0 + np.asarray(y_m, float) / METRES_PER_DEG_LAT
    lon = LON0 + np.asarray(x_m, float) / (METRES_PER_DEG_LAT * np.cos(np.radians(LAT0)))
    return lon, lat


def grid_network(
    n_cols: int,
    n_rows: int,
    *,
    spacing_m: float = 500.0,
    speed_kph: float = 36.0,
    drop_node=None,
    drop_edge=None,
    oneway_edge=None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, CSRGraph]:
    """A grid of roads: nodes, directed edges (both ways unless oneway) and the CSR graph.

    ``drop_node(col, row)``, ``drop_edge(c0, r0, c1, r1)`` and ``oneway_edge(...)`` are
    predicates removing nodes/edges or making an edge oneway (from the first to the second node).
    Each edge has a kinked middle vertex so that geometry is more than a straight segment.
    """
    cols, rows = np.meshgrid(np.arange(n_cols), np.arange(n_rows))
    cols, rows = cols.ravel(), rows.ravel()
    keep = np.array([not (drop_node and drop_node(c, r)) for c, r in zip(cols, rows, strict=True)])
    cols, rows = cols[keep], rows[keep]
    node_ids = 1000 + np.arange(cols.size, dtype=np.int64) * 7
    pos = {(c, r): i for i, (c, r) in enumerate(zip(cols, rows, strict=True))}
    x_m, y_m = cols * spacing_m, rows * spacing_m
    lon, lat = lonlat(x_m, y_m)
    src, dst = [], []
    for (c, r), i in pos.items():
        for dc, dr in ((1, 0), (0, 1)):
            j = pos.get((c + dc, r + dr))
            if j is None or (drop_edge and drop_edge(c, r, c + dc, r + dr)):
                continue
            src.append(i)
            dst.append(j)
            if not (oneway_edge and oneway_edge(c, r, c + dc, r + dr)):
                src.append(j)
                dst.append(i)
    src, dst = np.array(src), np.array(dst)
    lo, hi = np.minimum(src, dst), np.maximum(src, dst)  # both directions share one kink
    mid_x = (x_m[lo] + x_m[hi]) / 2 + (y_m[hi] - y_m[lo]) * 0.05
    mid_y = (y_m[lo] + y_m[hi]) / 2 + (x_m[hi] - x_m[lo]) * 0.05
    mlon, mlat = lonlat(mid_x, mid_y)
    coords = np.stack(
        [np.column_stack([lon[src], lat[src]]), np.column_stack([mlon, mlat]),
         np.column_stack([lon[dst], lat[dst]])],
        axis=1,
    )  # fmt: skip
    lines = shapely.linestrings(coords)
    crs = utm_crs_for(lon, lat)
    length = shapely.length(gpd.GeoSeries(lines, crs="EPSG:4326").to_crs(crs).array)
    time_s = np.asarray(length) / (speed_kph / 3.6)
    edges = gpd.GeoDataFrame(
        {
            "u": node_ids[src],
            "v": node_ids[dst],
            "key": 0,
            "highway": "tertiary",
            "length_m": length,
            "travel_time_s": time_s,
        },
        geometry=lines,
        crs="EPSG:4326",
    )
    nodes = gpd.GeoDataFrame(
        {"node_id": node_ids, "x": lon, "y": lat},
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )
    graph = CSRGraph.from_arcs(node_ids, lon, lat, src, dst, time_s)
    return nodes, edges, graph


def node_at(nodes: gpd.GeoDataFrame, col: int, row: int, spacing_m: float = 500.0) -> int:
    """Position of the node at grid (col, row)."""
    lon, lat = lonlat(np.array([col * spacing_m]), np.array([row * spacing_m]))
    d = np.hypot(nodes["x"].to_numpy() - lon[0], nodes["y"].to_numpy() - lat[0])
    return int(np.argmin(d))


def metric_point(x_m: float, y_m: float, crs) -> shapely.Point:
    lon, lat = lonlat(np.array([x_m]), np.array([y_m]))
    x, y = to_metric(lon, lat, crs)
    return shapely.Point(x[0], y[0])


__all__ = ["grid_network", "lonlat", "metric_point", "node_at", "pd"]
