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
graph (logged). GTFS transit, when the study has feeds, is appended after these nodes
(:mod:`spatialint.network.gtfs_graph`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from spatialint.contracts import RAIL_EDGES, RAIL_STATIONS, ROAD_NODES
from spatialint.contracts.io import read_table
from spatialint.errors import DataError
from spatialint.network.graph import CSRGraph
from spatialint.network.gtfs_graph import TransitArcs, join_transit
from spatialint.settings import MultimodalSettings

logger = logging.getLogger(__name__)

SECONDS_PER_MIN = 60.0
KPH_PER_M_PER_S = 3.6


@dataclass
class _ArcList:
    """Arcs of the multimodal graph, added group by group (node positions, seconds)."""

    src: list[np.ndarray] = field(default_factory=list)
    dst: list[np.ndarray] = field(default_factory=list)
    weight_s: list[np.ndarray] = field(default_factory=list)

    def add(self, src: np.ndarray, dst: np.ndarray, weight_s: np.ndarray) -> None:
        self.src.append(np.asarray(src, dtype=np.int64))
        self.dst.append(np.asarray(dst, dtype=np.int64))
        self.weight_s.append(np.broadcast_to(np.asarray(weight_s, dtype=float), len(src)))


@dataclass(frozen=True)
class _Stops:
    """The station × service stops: their arrival (track) and departure node positions, the
    road node each is reached from, and its access time (platform walk + walk to the road)."""

    frame: pd.DataFrame  # service, osm, station, x, y of each stop
    arrival: np.ndarray
    departure: np.ndarray
    road: np.ndarray
    access_s: np.ndarray


def _station_road_positions(road_graph: CSRGraph, stations: pd.DataFrame) -> dict[int, int]:
    """Road-graph position of each station's nearest road node, by station id."""
    try:
        road_pos = road_graph.index_of(stations["road_node_id"].to_numpy(dtype=np.int64))
    except KeyError as err:
        raise DataError(
            f"the stations table names road nodes that are not in the road graph ({err}); it "
            "was built from another road network: re-run the rail_network step."
        ) from err
    return dict(zip(stations["node_id"].to_numpy(dtype=np.int64), road_pos, strict=True))


def _track_nodes(rail_edges: pd.DataFrame, station_ids: set[int]) -> pd.DataFrame:
    """One row per (service, OSM node) at a link end, with its station when it is a stop."""
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
    unknown = track["station"].notna() & ~track["station"].isin(list(station_ids))
    if unknown.any():
        logger.warning(
            "%d rail stop(s) name a station missing from the stations table; used as plain "
            "track nodes (no boarding there)",
            int(unknown.sum()),
        )
        track.loc[unknown, "station"] = pd.NA
    return track


def _stops(
    track: pd.DataFrame,
    track_pos: pd.Series,
    stations: pd.DataFrame,
    station_road: Mapping[int, int],
    *,
    first_departure: int,
    station_access_min: float,
    station_walk_kph: float,
) -> _Stops:
    """The stops among the track nodes, their departure nodes and access times."""
    frame = track[track["station"].notna()].reset_index(drop=True)
    arrival = track_pos.loc[list(zip(frame["service"], frame["osm"], strict=True))].to_numpy()
    snap_m = dict(
        zip(
            stations["node_id"].to_numpy(dtype=np.int64),
            stations["road_snap_m"].fillna(0.0).to_numpy(dtype=float),
            strict=True,
        )
    )
    walk_m_per_s = station_walk_kph / KPH_PER_M_PER_S
    access_s = np.array(
        [station_access_min * SECONDS_PER_MIN + snap_m[int(s)] / walk_m_per_s
         for s in frame["station"]]
    )  # fmt: skip
    return _Stops(
        frame=frame,
        arrival=arrival,
        departure=first_departure + np.arange(len(frame)),
        road=np.array([station_road[int(s)] for s in frame["station"]], dtype=np.int64),
        access_s=access_s,
    )


def _ride_arcs(
    arcs: _ArcList, rail_edges: pd.DataFrame, track_pos: pd.Series, stops: _Stops
) -> None:
    """Both directions of every link, out of the departure node where the link starts at a stop
    (riding through a stop so costs its dwell) and into the track (arrival) node."""
    link_u = track_pos.loc[list(zip(rail_edges["service"], rail_edges["u"], strict=True))]
    link_v = track_pos.loc[list(zip(rail_edges["service"], rail_edges["v"], strict=True))]
    departure_of = pd.Series(stops.departure, index=stops.arrival)

    def leave(node: np.ndarray) -> np.ndarray:
        return (
            departure_of.reindex(node).fillna(pd.Series(node, index=node)).to_numpy(dtype=np.int64)
        )

    ride_s = rail_edges["travel_time_s"].to_numpy(dtype=float)
    link_u, link_v = link_u.to_numpy(), link_v.to_numpy()
    arcs.add(leave(link_u), link_v, ride_s)
    arcs.add(leave(link_v), link_u, ride_s)


def _station_arcs(
    arcs: _ArcList,
    stops: _Stops,
    *,
    boarding_penalty_min: Mapping[str, float],
    dwell_min: float,
    transfer_penalty_min: float,
) -> int:
    """Dwell, board, alight and transfer arcs of every stop; returns the number of transfers."""
    boarding_s = np.array(
        [boarding_penalty_min[s] * SECONDS_PER_MIN for s in stops.frame["service"]]
    )
    arcs.add(stops.arrival, stops.departure, dwell_min * SECONDS_PER_MIN)
    arcs.add(stops.road, stops.departure, stops.access_s + boarding_s)
    arcs.add(stops.arrival, stops.road, stops.access_s)
    # transfers between services at one station
    frame = stops.frame.reset_index()
    pairs = frame.merge(frame, on="station", suffixes=("_a", "_b"))
    pairs = pairs[pairs["service_a"] != pairs["service_b"]]
    arcs.add(
        stops.arrival[pairs["index_a"].to_numpy()],
        stops.departure[pairs["index_b"].to_numpy()],
        transfer_penalty_min * SECONDS_PER_MIN,
    )
    return len(pairs)


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
    boarding_penalty_min, dwell_min, transfer_penalty_min, station_access_min, station_walk_kph
        The rail trips' time costs (:class:`spatialint.settings.MultimodalSettings`).

    Raises
    ------
    DataError
        The stations name road nodes the road graph lacks.
    """
    if rail_edges.empty or stations.empty:
        logger.info(
            "no rail links (%d) or no stations (%d): the multimodal graph is the road graph",
            len(rail_edges),
            len(stations),
        )
        return road_graph
    n_road = road_graph.n_nodes
    station_road = _station_road_positions(road_graph, stations)
    track = _track_nodes(rail_edges, set(station_road))
    n_track = len(track)
    track_pos = pd.Series(
        np.arange(n_track) + n_road, index=pd.MultiIndex.from_frame(track[["service", "osm"]])
    )
    stops = _stops(
        track,
        track_pos,
        stations,
        station_road,
        first_departure=n_road + n_track,
        station_access_min=station_access_min,
        station_walk_kph=station_walk_kph,
    )
    arcs = _ArcList()
    _ride_arcs(arcs, rail_edges, track_pos, stops)
    n_transfers = _station_arcs(
        arcs,
        stops,
        boarding_penalty_min=boarding_penalty_min,
        dwell_min=dwell_min,
        transfer_penalty_min=transfer_penalty_min,
    )
    graph = _join(road_graph, track, stops, arcs)
    logger.info(
        "multimodal graph: %d road nodes + %d rail nodes (%d track nodes, %d station × service "
        "stops), %d arcs (%d road, %d ride, %d transfer)",
        n_road,
        graph.n_nodes - n_road,
        n_track,
        len(stops.frame),
        graph.n_arcs,
        road_graph.n_arcs,
        2 * len(rail_edges),
        n_transfers,
    )
    return graph


def _join(road_graph: CSRGraph, track: pd.DataFrame, stops: _Stops, arcs: _ArcList) -> CSRGraph:
    """The road graph with the track and departure nodes (ids -1, -2, ... after the road
    nodes; a departure node at its stop's place) and the rail arcs added."""
    n_road = road_graph.n_nodes
    road = road_graph.matrix.tocoo()
    n_rail = len(track) + len(stops.frame)
    x, y = track["x"].to_numpy(), track["y"].to_numpy()
    return CSRGraph.from_arcs(
        np.concatenate([road_graph.node_ids, -np.arange(1, n_rail + 1, dtype=np.int64)]),
        np.concatenate([road_graph.x, x, x[stops.arrival - n_road]]),
        np.concatenate([road_graph.y, y, y[stops.arrival - n_road]]),
        np.concatenate([road.row, *arcs.src]),
        np.concatenate([road.col, *arcs.dst]),
        np.concatenate([road.data, *arcs.weight_s]),
    )


def run_multimodal_stage(
    inputs: Mapping[str, str | Path],
    outputs: Mapping[str, str | Path],
    *,
    multimodal: MultimodalSettings,
) -> CSRGraph:
    """Join a study's road graph and rail links into the multimodal graph and save it.

    Parameters
    ----------
    inputs
        Paths by the ``multimodal_network`` rule's input names: ``road_nodes``,
        ``road_graph``, ``rail_edges``, ``stations``; ``transit`` (``transit_graph.npz``)
        when the study has GTFS feeds: the rail lines they cover are dropped and the
        transit network is appended (:mod:`spatialint.network.gtfs_graph`).
    outputs
        Paths by the rule's output names: ``graph`` (``CSRGraph.save``).
    multimodal
        The boarding, dwell, transfer and station-access costs.

    Returns
    -------
    CSRGraph
        The graph that was saved.

    Raises
    ------
    DataError
        If the road graph and the road nodes come from different runs of ``road_network``, or
        an input table breaks its contract (naming the step to re-run).
    """
    road_graph = CSRGraph.load(inputs["road_graph"])
    road_nodes = read_table(inputs["road_nodes"], ROAD_NODES)
    if not np.array_equal(road_nodes["node_id"].to_numpy(), road_graph.node_ids):
        raise DataError(
            f"{inputs['road_graph']} and {inputs['road_nodes']} list different nodes; they come "
            "from different runs: re-run the road_network step."
        )
    rail_edges = read_table(inputs["rail_edges"], RAIL_EDGES)
    transit = TransitArcs.load(inputs["transit"]) if "transit" in inputs else None
    if transit is not None:  # the GTFS timetables replace the OSM rail lines they cover
        rail_edges = rail_edges[~transit.covered(rail_edges)]
    graph = build_multimodal_graph(
        road_graph,
        rail_edges,
        read_table(inputs["stations"], RAIL_STATIONS),
        boarding_penalty_min=multimodal.boarding_penalty_min,
        dwell_min=multimodal.dwell_min,
        transfer_penalty_min=multimodal.transfer_penalty_min,
        station_access_min=multimodal.station_access_min,
        station_walk_kph=multimodal.station_walk_kph,
    )
    if transit is not None:
        graph = join_transit(graph, transit)
        logger.info("with GTFS transit: %d nodes, %d arcs", graph.n_nodes, graph.n_arcs)
    graph.save(outputs["graph"])
    return graph
