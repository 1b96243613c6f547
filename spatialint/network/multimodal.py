"""The road + rail graph: one CSR graph in which a trip may drive, ride trains and drive on.

Model (all weights in seconds; minutes come from the ``network`` section of the study config):

Nodes
    Positions ``0 .. R-1`` are the road nodes, in exactly the order of ``road_graph.npz`` (so
    results over the multimodal graph read against ``road_nodes.parquet`` directly).  After them
    come the rail nodes, all with negative ids ``-1, -2, ...``:

    - one *track node* per (service, OSM node) at each end of a rail link — stops and
      junctions.  At a stop it is the **arrival** node of that station × service;
    - one **departure** node per station × service.

Arcs
    - road arcs: the road graph unchanged;
    - ride: for each rail link u–v of a service, both directions, from the departure node of u
      (u's track node when u is not a stop) to the track node of v, weighted by the link's
      ``travel_time_s`` (length / average service speed);
    - dwell: arrival → departure of the same station × service, ``dwell_min`` — so riding
      through an intermediate stop costs the dwell, and the first and last stop do not;
    - board: the station's nearest road node → departure node, ``access +
      boarding_penalty_min[service]`` — the boarding penalty only ever on this arc;
    - alight: arrival node → the station's nearest road node, ``access``;

    where ``access = station_access_min + road_snap_m / station_walk_kph``: the platform walk
    plus walking the straight-line gap between the station and its road node (a station far
    from any road is not reached for free).
    - transfer: arrival of one service → departure of another service at the same station,
      ``transfer_penalty_min`` (cheaper than alighting and boarding again, never free).

A road-only trip therefore costs the same as on the road graph, and a rail trip from road node
a to road node b costs ``access(a) + boarding + ride + dwell × intermediate stops (+ transfer
penalties) + access(b)``.  Without rail links or stations the multimodal graph equals the road
graph (logged).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from spatialint.errors import DataError
from spatialint.network.graph import CSRGraph

logger = logging.getLogger(__name__)

SECONDS_PER_MIN = 60.0


def build_multimodal_graph(
    road_graph: CSRGraph,
    rail_edges: pd.DataFrame,
    stations: pd.DataFrame,
    *,
    boarding_penalty_min: Mapping[str, float],
    dwell_min: float,
    transfer_penalty_min: float,
    station_access_min: float,
    station_walk_kph: float,
) -> CSRGraph:
    """Join the road graph and the rail links into one :class:`CSRGraph` (model: module doc).

    Parameters
    ----------
    road_graph
        ``road_graph.npz``.
    rail_edges, stations
        ``rail_edges.parquet`` and ``rail_stations.parquet`` (:mod:`spatialint.network.rail`).
    """
    if rail_edges.empty or stations.empty:
        logger.info(
            "no rail links (%d) or no stations (%d): the multimodal graph is the road graph",
            len(rail_edges),
            len(stations),
        )
        return road_graph
    n_road = road_graph.n_nodes
    try:
        road_pos = road_graph.index_of(stations["road_node_id"].to_numpy(dtype=np.int64))
    except KeyError as err:
        raise DataError(
            f"the stations table names road nodes that are not in the road graph ({err}); it "
            "was built from another road network: re-run the rail_network step."
        ) from err
    station_road = dict(zip(stations["node_id"].to_numpy(dtype=np.int64), road_pos, strict=True))

    # track nodes: (service, OSM node) at each link end, with its station if it is a stop
    coords_u = shapely.get_coordinates(shapely.get_point(rail_edges.geometry.array, 0))
    coords_v = shapely.get_coordinates(shapely.get_point(rail_edges.geometry.array, -1))
    ends = pd.DataFrame(
        {
            "service": np.concatenate([rail_edges["service"], rail_edges["service"]]).astype(str),
            "osm": np.concatenate([rail_edges["u"], rail_edges["v"]]).astype(np.int64),
            "station": pd.concat(
                [rail_edges["u_station"], rail_edges["v_station"]], ignore_index=True
            ),
            "x": np.concatenate([coords_u[:, 0], coords_v[:, 0]]),
            "y": np.concatenate([coords_u[:, 1], coords_v[:, 1]]),
        }
    )
    track = ends.drop_duplicates(["service", "osm"]).reset_index(drop=True)
    unknown = track["station"].notna() & ~track["station"].isin(list(station_road))
    if unknown.any():
        logger.warning(
            "%d rail stop(s) name a station missing from the stations table; used as plain "
            "track nodes (no boarding there)",
            int(unknown.sum()),
        )
        track.loc[unknown, "station"] = pd.NA
    n_track = len(track)
    track_pos = pd.Series(
        np.arange(n_track) + n_road, index=pd.MultiIndex.from_frame(track[["service", "osm"]])
    )
    stops = track[track["station"].notna()].reset_index(drop=True)
    n_stop = len(stops)
    arrival = track_pos.loc[list(zip(stops["service"], stops["osm"], strict=True))].to_numpy()
    departure = n_road + n_track + np.arange(n_stop)
    departure_of = pd.Series(departure, index=arrival)
    road_of_stop = np.array([station_road[int(s)] for s in stops["station"]], dtype=np.int64)
    snap_m = dict(
        zip(
            stations["node_id"].to_numpy(dtype=np.int64),
            stations["road_snap_m"].fillna(0.0).to_numpy(dtype=float),
            strict=True,
        )
    )
    access_s = np.array(
        [
            station_access_min * SECONDS_PER_MIN + snap_m[int(s)] / (station_walk_kph / 3.6)
            for s in stops["station"]
        ]
    )

    # ride arcs, both directions, out of departure nodes at stops
    link_u = track_pos.loc[
        list(zip(rail_edges["service"], rail_edges["u"], strict=True))
    ].to_numpy()
    link_v = track_pos.loc[
        list(zip(rail_edges["service"], rail_edges["v"], strict=True))
    ].to_numpy()
    ride_s = rail_edges["travel_time_s"].to_numpy(dtype=float)

    def leave(node: np.ndarray) -> np.ndarray:
        return (
            departure_of.reindex(node).fillna(pd.Series(node, index=node)).to_numpy(dtype=np.int64)
        )

    src = [leave(link_u), leave(link_v)]
    dst = [link_v, link_u]
    weight = [ride_s, ride_s]
    # dwell, board, alight
    board_s = access_s + np.array(
        [boarding_penalty_min[s] * SECONDS_PER_MIN for s in stops["service"]]
    )
    src += [arrival, road_of_stop, arrival]
    dst += [departure, departure, road_of_stop]
    weight += [
        np.full(n_stop, dwell_min * SECONDS_PER_MIN),
        board_s,
        access_s,
    ]
    # transfers between services at one station
    pairs = stops.reset_index().merge(stops.reset_index(), on="station", suffixes=("_a", "_b"))
    pairs = pairs[pairs["service_a"] != pairs["service_b"]]
    src.append(arrival[pairs["index_a"].to_numpy()])
    dst.append(departure[pairs["index_b"].to_numpy()])
    weight.append(np.full(len(pairs), transfer_penalty_min * SECONDS_PER_MIN))

    road = road_graph.matrix.tocoo()
    n_rail = n_track + n_stop
    graph = CSRGraph.from_arcs(
        np.concatenate([road_graph.node_ids, -np.arange(1, n_rail + 1, dtype=np.int64)]),
        np.concatenate(
            [road_graph.x, track["x"].to_numpy(), track["x"].to_numpy()[arrival - n_road]]
        ),
        np.concatenate(
            [road_graph.y, track["y"].to_numpy(), track["y"].to_numpy()[arrival - n_road]]
        ),
        np.concatenate([road.row, *src]),
        np.concatenate([road.col, *dst]),
        np.concatenate([road.data, *weight]),
    )
    logger.info(
        "multimodal graph: %d road nodes + %d rail nodes (%d track nodes, %d station × service "
        "stops), %d arcs (%d road, %d ride, %d transfer)",
        n_road,
        n_rail,
        n_track,
        n_stop,
        graph.n_arcs,
        road_graph.n_arcs,
        2 * len(rail_edges),
        len(pairs),
    )
    return graph


def run_multimodal_stage(
    inputs: Mapping[str, str | Path],
    outputs: Mapping[str, str | Path],
    study: Mapping[str, Any],
) -> CSRGraph:
    """Join a study's road graph and rail links into the multimodal graph and save it.

    Parameters
    ----------
    inputs
        Paths by the ``multimodal_network`` rule's input names: ``road_nodes``,
        ``road_graph``, ``rail_edges``, ``stations``.
    outputs
        Paths by the rule's output names: ``graph`` (``CSRGraph.save``).
    study
        The validated study config (its ``network`` penalties and speeds).

    Returns
    -------
    CSRGraph
        The graph that was saved.

    Raises
    ------
    DataError
        If the road graph and the road nodes come from different runs of ``road_network``.
    """
    network = study["network"]
    road_graph = CSRGraph.load(inputs["road_graph"])
    road_nodes = pd.read_parquet(inputs["road_nodes"], columns=["node_id"])
    if not np.array_equal(road_nodes["node_id"].to_numpy(), road_graph.node_ids):
        raise DataError(
            f"{inputs['road_graph']} and {inputs['road_nodes']} list different nodes; they come "
            "from different runs: re-run the road_network step."
        )
    graph = build_multimodal_graph(
        road_graph,
        gpd.read_parquet(inputs["rail_edges"]),
        gpd.read_parquet(inputs["stations"]),
        boarding_penalty_min=network["boarding_penalty_min"],
        dwell_min=network["dwell_min"],
        transfer_penalty_min=network["transfer_penalty_min"],
        station_access_min=network["station_access_min"],
        station_walk_kph=network["station_walk_kph"],
    )
    graph.save(outputs["graph"])
    return graph
