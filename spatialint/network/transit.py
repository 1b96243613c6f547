"""The ``transit_network`` stage: GTFS feeds → a frequency-based transit network.

Reads each feed of ``transit.feeds`` for the analysis day (:mod:`.gtfs_feed`), builds the
frequency-based network of the window (:mod:`.gtfs_network`), the walks between roads and
stations (:mod:`.gtfs_walk`) and finds the OSM rail lines the feeds cover (:mod:`.gtfs_cover`).
Writes ``transit_lines.parquet`` (one row per stop-to-stop segment of a line: service,
in-vehicle minutes, headway; for the map and QGIS), ``transit_stops.parquet`` (stations) and
``transit_graph.npz`` (:class:`.gtfs_graph.TransitArcs`, joined by the multimodal stage).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from spatialint.contracts import RAIL_EDGES, RAIL_STATIONS, ROAD_EDGES
from spatialint.contracts.io import read_table, write_table
from spatialint.contracts.transit import TRANSIT_LINES, TRANSIT_STOPS
from spatialint.geo import WGS84
from spatialint.network.graph import CSRGraph
from spatialint.network.gtfs_cover import covered_rail_edges
from spatialint.network.gtfs_feed import Timetable, read_feed
from spatialint.network.gtfs_graph import TransitArcs
from spatialint.network.gtfs_network import TransitNetwork, frequency_network
from spatialint.network.gtfs_walk import Walks, station_walks
from spatialint.settings import TransitSettings

logger = logging.getLogger(__name__)


WALK_EDGE_COLUMNS = ("u", "v", "length_m")
"""The road-edge columns the walks read (:func:`~spatialint.network.gtfs_walk.length_graph`): the
road edges are read by these columns only, not whole (3.7M edges with their geometries: 2.9 GB)."""


def build_transit(
    tables: Sequence[Timetable],
    road_graph: CSRGraph,
    road_edges: pd.DataFrame,
    *,
    transit: TransitSettings,
) -> tuple[TransitNetwork, Walks]:
    """The frequency-based network of the feeds and its walks to the roads."""
    network = frequency_network(
        tables,
        window_s=transit.window_s,
        boarding_min=transit.boarding_min,
        transfer_penalty_min=transit.transfer_penalty_min,
    )
    walks = station_walks(
        road_graph, road_edges, network.stations,
        max_walk_m=transit.max_walk_m, walk_kph=transit.walk_kph,
    )  # fmt: skip
    return network, walks


def transit_arcs(
    network: TransitNetwork,
    walks: Walks,
    road_graph: CSRGraph,
    covered: pd.DataFrame,
    *,
    platform_min: float,
) -> TransitArcs:
    """The file form of the network (road nodes by id, covered rail edges by key); every walk
    to or from a station also takes ``platform_min``."""
    x, y = network.node_xy()
    n_s = len(network.stations)
    return TransitArcs(
        x=x, y=y, src=network.src, dst=network.dst, weight_s=network.weight_s,
        walk_road=road_graph.node_ids[walks.road], walk_in=walks.station,
        walk_out=n_s + walks.station, walk_s=walks.walk_s + platform_min * 60.0,
        drop_u=covered["u"].to_numpy(np.int64), drop_v=covered["v"].to_numpy(np.int64),
        drop_service=covered["service"].astype(str).to_numpy(dtype="U"),
    )  # fmt: skip


def lines_table(network: TransitNetwork, tables: Sequence[Timetable]) -> gpd.GeoDataFrame:
    """One row per stop-to-stop segment of a line (contract ``TRANSIT_LINES``)."""
    ls, seg = network.line_stops, network.segments
    a, b = ls.iloc[seg["a"].to_numpy()], ls.iloc[seg["b"].to_numpy()]
    names = pd.concat(
        [t.stops.assign(stop_key=f"{i}:" + t.stops["stop_id"]) for i, t in enumerate(tables)]
    ).set_index("stop_key")["stop_name"]
    route_type = pd.concat(
        [t.routes.assign(key=f"{i}:" + t.routes["route_id"]) for i, t in enumerate(tables)]
    ).set_index("key")["route_type"]
    route_key = a["line_key"].str.rsplit("|", n=1).str[0]
    feed = network.stations["feed"].to_numpy()[a["station"].to_numpy()]
    geometry = shapely.linestrings(
        np.stack(
            [np.column_stack([a["lon"], a["lat"]]), np.column_stack([b["lon"], b["lat"]])], axis=1
        )
    )
    headway_min = a["headway_s"].to_numpy() / 60.0
    return gpd.GeoDataFrame(
        {
            "feed": feed,
            "line_id": a["line_key"].str.split(":", n=1).str[1].to_numpy(),
            "route_name": a["route_name"].to_numpy(),
            "service": a["service"].to_numpy(),
            "route_type": route_type.reindex(route_key).to_numpy(np.int64),
            "from_stop": a["stop_key"].str.split(":", n=1).str[1].to_numpy(),
            "to_stop": b["stop_key"].str.split(":", n=1).str[1].to_numpy(),
            "from_name": names.reindex(a["stop_key"]).to_numpy(),
            "to_name": names.reindex(b["stop_key"]).to_numpy(),
            "trips": seg["trips"].to_numpy(np.int64),
            "in_vehicle_min": seg["ride_s"].to_numpy() / 60.0,
            "headway_min": headway_min,
            "wait_min": headway_min / 2,
        },
        geometry=geometry,
        crs=WGS84,
    )


def stops_table(network: TransitNetwork, walks: Walks, road_graph: CSRGraph,
                max_walk_m: float) -> gpd.GeoDataFrame:  # fmt: skip
    """One row per station (contract ``TRANSIT_STOPS``)."""
    s = network.stations
    return gpd.GeoDataFrame(
        {
            "feed": s["feed"].to_numpy(),
            "station_id": s["station_id"].to_numpy(),
            "name": s["name"].to_numpy(),
            "services": s["services"].to_numpy(),
            "lines": s["lines"].to_numpy(np.int64),
            "road_node_id": road_graph.node_ids[walks.nearest_road],
            "road_snap_m": walks.snap_m,
            "walk_reachable": walks.snap_m <= max_walk_m,
        },
        geometry=gpd.points_from_xy(s["lon"], s["lat"]),
        crs=WGS84,
    )


def run_transit_stage(
    inputs: Mapping[str, str | Path | Sequence[str]],
    outputs: Mapping[str, str | Path],
    *,
    transit: TransitSettings,
) -> TransitArcs:
    """Read the study's GTFS feeds and write the transit network (module doc).

    Parameters
    ----------
    inputs
        ``feeds`` (one path or a list, as ``transit.feeds`` with ``{study}`` filled in),
        ``road_graph``, ``road_edges``, ``rail_edges``, ``stations``.
    outputs
        ``lines``, ``stops``, ``graph``.

    Raises
    ------
    DataError
        A feed that cannot be used as given (:func:`.gtfs_feed.read_feed`), or no trip in the
        window.
    """
    feeds = inputs["feeds"]
    paths = [str(feeds)] if isinstance(feeds, str | Path) else [str(f) for f in feeds]
    tables = [read_feed(p, name=p, date=transit.date, weekday=transit.weekday) for p in paths]
    for t in tables:
        logger.info(
            "GTFS feed %s: %s, %d trips, %d stops, %d routes",
            t.name, t.date, t.stop_times["trip_id"].nunique(), len(t.stops), len(t.routes),
        )  # fmt: skip
    road_graph = CSRGraph.load(inputs["road_graph"])
    network, walks = build_transit(
        tables,
        road_graph,
        read_table(inputs["road_edges"], ROAD_EDGES, columns=WALK_EDGE_COLUMNS),
        transit=transit,
    )
    rail_edges = read_table(inputs["rail_edges"], RAIL_EDGES)
    mask = covered_rail_edges(
        rail_edges, read_table(inputs["stations"], RAIL_STATIONS), network.stations,
        cover_m=transit.cover_m,
    )  # fmt: skip
    arcs = transit_arcs(
        network, walks, road_graph, rail_edges[mask], platform_min=transit.platform_min
    )
    write_table(lines_table(network, tables), TRANSIT_LINES, outputs["lines"])
    write_table(stops_table(network, walks, road_graph, transit.max_walk_m), TRANSIT_STOPS,
                outputs["stops"])  # fmt: skip
    arcs.save(outputs["graph"])
    logger.info(
        "transit network: %d stations, %d line stops, %d segments, %d walk links; window "
        "%s–%s",
        len(network.stations), len(network.line_stops), len(network.segments),
        len(walks.road), *transit.window,
    )  # fmt: skip
    return arcs
