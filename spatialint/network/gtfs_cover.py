"""Which OSM rail lines a GTFS feed covers: their assumed edges give way to the timetable.

An OSM rail *line* is a connected set of ``rail_edges`` of one service (high-speed,
intercity, conventional, metro). An OSM station of that line is *matched* when a feed station
with the same service lies within ``cover_m`` of it. A line with at least two matched
stations is covered: the feed runs trains between them, so all of that line's OSM edges are
dropped from the multimodal graph, and the timetable (its real stops, times and headways)
serves it instead. A covered line's stations that the feed does not serve are named in the
log: they lose their assumed service (add them to the feed if trains do stop there).
Services without an OSM counterpart (bus, other) cover nothing.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from spatialint.geo import to_metric, utm_crs_for

logger = logging.getLogger(__name__)

RAIL_SERVICES = ("highspeed", "intercity", "conventional", "metro")
"""Services of both the OSM rail model and the feeds."""
MIN_MATCHED = 2
"""Matched stations that make a line covered (a feed serving one station of a line proves
nothing about its trains between stations)."""


def _line_of_edges(rail_edges: pd.DataFrame) -> np.ndarray:
    """A line number per rail edge: connected components of the edges of one service."""
    key = rail_edges["service"].astype(str).to_numpy()
    nodes = pd.Index(
        pd.unique(
            np.concatenate(
                [key + ":" + rail_edges["u"].astype(str), key + ":" + rail_edges["v"].astype(str)]
            )
        )
    )
    u = nodes.get_indexer(key + ":" + rail_edges["u"].astype(str))
    v = nodes.get_indexer(key + ":" + rail_edges["v"].astype(str))
    n = len(nodes)
    adj = coo_array((np.ones(len(u)), (u, v)), shape=(n, n))
    _, labels = connected_components(adj, directed=False)
    return labels[u]


def covered_rail_edges(
    rail_edges: pd.DataFrame,
    osm_stations: pd.DataFrame,
    transit_stations: pd.DataFrame,
    *,
    cover_m: float,
) -> np.ndarray:
    """Boolean mask of the ``rail_edges`` rows whose line a feed covers (module doc).

    ``osm_stations``: ``rail_stations`` (``node_id``, ``name``, point geometry);
    ``transit_stations``: ``lon``, ``lat``, ``services`` (comma-separated).
    """
    mask = np.zeros(len(rail_edges), dtype=bool)
    if rail_edges.empty or osm_stations.empty or transit_stations.empty:
        return mask
    line = _line_of_edges(rail_edges)
    ends = (
        pd.DataFrame(
            {
                "line": np.concatenate([line, line]),
                "service": np.concatenate([rail_edges["service"], rail_edges["service"]]).astype(
                    str
                ),
                "station": pd.concat([rail_edges["u_station"], rail_edges["v_station"]]).to_numpy(),
            }
        )
        .dropna(subset=["station"])
        .drop_duplicates()
    )
    ends["station"] = ends["station"].astype(np.int64)
    osm = osm_stations.set_index("node_id")
    ends = ends[ends["station"].isin(osm.index)]
    pts = osm.loc[ends["station"]].geometry
    crs = utm_crs_for(pts.x.to_numpy(), pts.y.to_numpy())
    ox, oy = to_metric(pts.x.to_numpy(), pts.y.to_numpy(), crs)
    tx, ty = to_metric(transit_stations["lon"].to_numpy(), transit_stations["lat"].to_numpy(), crs)
    matched = np.zeros(len(ends), dtype=bool)
    services = "," + transit_stations["services"].astype(str) + ","
    for service in RAIL_SERVICES:
        has = services.str.contains(f",{service},", regex=False).to_numpy()
        rows = ends["service"].to_numpy() == service
        if not has.any() or not rows.any():
            continue
        dist, _ = cKDTree(np.column_stack([tx[has], ty[has]])).query(
            np.column_stack([ox[rows], oy[rows]])
        )
        matched[rows] = dist <= cover_m
    ends["matched"] = matched
    per_line = ends.groupby("line")["matched"].sum()
    covered = per_line.index[per_line >= MIN_MATCHED].to_numpy()
    mask = np.isin(line, covered)
    _log_cover(rail_edges, mask, ends[ends["line"].isin(covered)], osm)
    return mask


def _log_cover(
    rail_edges: pd.DataFrame, mask: np.ndarray, ends: pd.DataFrame, osm: pd.DataFrame
) -> None:
    if not mask.any():
        logger.info("the GTFS feeds cover no OSM rail line; every OSM rail edge is kept")
        return
    names = sorted({str(n) for n in rail_edges.loc[mask, "name"].dropna()})
    logger.info(
        "GTFS timetables replace %d OSM rail edge(s) of %s (stations within the cover distance "
        "of a feed stop of the same service)",
        int(mask.sum()),
        ", ".join(names) or "unnamed lines",
    )
    lost = ends[~ends["matched"]]
    if len(lost):
        logger.warning(
            "OSM stations on lines a GTFS feed covers have no feed stop of that service "
            "nearby and lose their assumed service: %s; add them to the feed if trains stop "
            "there, or raise transit.cover_m",
            ", ".join(f"{osm.loc[s, 'name']} ({sv})" for s, sv in
                      zip(lost["station"], lost["service"], strict=True)),
        )  # fmt: skip
