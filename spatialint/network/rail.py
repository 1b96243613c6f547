"""The passenger rail network of a study: lines by service and the stations on them.

OSM has rail *lines* and *stations*, not timetables, so the rail network here is a
station-to-station line model:

- **Lines**: ``railway=rail|narrow_gauge|subway|light_rail|tram|monorail`` ways, without
  non-passenger tracks (``service=yard|siding|spur|crossover``; ``usage=industrial|military|
  test|tourism``).  Each way gets one service (:func:`classify_services`):
  ``metro`` for ``railway=subway|light_rail|tram|monorail``; ``highspeed`` for ``highspeed=yes``
  or ``maxspeed >= network.highspeed_min_kph``; ``intercity`` when its name or ref contains one of
  ``network.intercity_name_patterns`` (城际); ``conventional`` otherwise.  Rail ways are used in
  both directions.
- **Stations** (:mod:`spatialint.network.stations`): station nodes and areas, duplicates
  merged.  A station serves a line's service when its node is a node of the line, or — when it
  is mapped beside the tracks — when the line passes within ``network.station_line_max_m`` (a
  metro-only station joins metro lines only; a ``train=yes`` station without metro tags joins
  no metro line).  Its stop (platform) on that line is the line's nearest vertex to the
  station (:func:`match_stops`).
- **Links** (:attr:`RailNetwork.edges`): the tracks of each service cut at every stop and
  junction, each with its length, the service's average speed (``network.rail_speeds_kph``) and
  ``travel_time_s``.  ``u_station`` / ``v_station`` name the station at each end, if any.

Dwell, boarding, transfer and station-access times are added when the multimodal graph is
built (:mod:`spatialint.network.multimodal`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from spatialint.contracts import RAIL_EDGES, RAIL_STATIONS, ROAD_NODES
from spatialint.contracts.io import read_table, write_table
from spatialint.geo import WGS84, to_metric, utm_crs_for
from spatialint.network.maxspeed import parse_maxspeed
from spatialint.network.simplify import chain_edges, simplify_arcs
from spatialint.network.stations import (
    METRO_RAILWAY,
    NODE_KEYS,
    RAIL_MODES,
    STATION_FILTER_KEYS,
    STATION_RAILWAY,
    empty_stations,
    is_rail_public_transport_station,
    is_station,
    merge_stations,
    metro_only,
    rail_only,
    station_candidates,
    station_table,
)
from spatialint.network.unit_lookup import assign_units, read_border_units
from spatialint.osm.ways import OsmSelection, WayTable, as_text, haversine_m, read_osm
from spatialint.settings import AdminSettings, RailSettings

logger = logging.getLogger(__name__)

SERVICES = ("highspeed", "intercity", "conventional", "metro")
MAINLINE_RAILWAY = frozenset({"rail", "narrow_gauge"})
NON_PASSENGER_SERVICE = frozenset({"yard", "siding", "spur", "crossover"})
NON_PASSENGER_USAGE = frozenset({"industrial", "military", "test", "tourism"})
WAY_KEYS = ("railway", "usage", "service", "highspeed", "maxspeed", "name", "ref",
            "public_transport", "name:en", "station", *RAIL_MODES)  # fmt: skip
KPH_PER_M_PER_S = 3.6


@dataclass(frozen=True)
class RailNetwork:
    """Rail links (one row per link, used both ways) and stations."""

    edges: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame


@dataclass(frozen=True)
class Track:
    """Passenger track as segments between consecutive way nodes, in both directions.

    A track *vertex* is a (service, OSM node): the same node on two services is two vertices.
    ``seg_a`` / ``seg_b`` are the vertex positions of each segment's ends, ``seg_way`` the row
    of its way in the lines' tags.
    """

    seg_a: np.ndarray
    seg_b: np.ndarray
    seg_way: np.ndarray
    seg_service: np.ndarray
    seg_len_m: np.ndarray
    v_service: np.ndarray
    v_node: np.ndarray
    v_lon: np.ndarray
    v_lat: np.ndarray

    @property
    def n_vertices(self) -> int:
        return len(self.v_node)


def _is_rail_object(tags: Mapping[str, str]) -> bool:
    railway = tags.get("railway")
    return (
        railway in MAINLINE_RAILWAY
        or railway in METRO_RAILWAY
        or railway in STATION_RAILWAY
        or is_rail_public_transport_station(tags)
    )


def read_rail(pbf: str | Path) -> OsmSelection:
    """The rail ways (track and station areas) and station nodes of ``pbf``."""
    return read_osm(
        pbf,
        filter_keys=STATION_FILTER_KEYS,
        way_test=_is_rail_object,
        way_keys=WAY_KEYS,
        node_test=is_station,
        node_keys=NODE_KEYS,
    )


def classify_services(
    tags: pd.DataFrame, *, highspeed_min_kph: float, intercity_name_patterns: Sequence[str]
) -> np.ndarray:
    """Service of each rail way (see the module docstring); None for non-passenger track."""
    railway = tags["railway"]
    maxspeed = np.array(
        [parse_maxspeed(v, zones_kph={}) for v in tags["maxspeed"]], dtype=float
    ).reshape(-1)
    text = (tags["name"].fillna("") + " " + tags["ref"].fillna("")).str.lower()
    pattern = "|".join(re.escape(p.lower()) for p in intercity_name_patterns)
    intercity = (
        text.str.contains(pattern, regex=True).to_numpy() if pattern else np.zeros(len(tags), bool)
    )
    highspeed = (tags["highspeed"] == "yes").to_numpy() | (
        np.nan_to_num(maxspeed, nan=0.0) >= highspeed_min_kph
    )
    passenger = ~(
        tags["service"].isin(NON_PASSENGER_SERVICE) | tags["usage"].isin(NON_PASSENGER_USAGE)
    ).to_numpy()
    service = np.full(len(tags), None, dtype=object)
    mainline = railway.isin(MAINLINE_RAILWAY).to_numpy() & passenger
    service[mainline] = "conventional"
    service[mainline & intercity & ~highspeed] = "intercity"
    service[mainline & highspeed] = "highspeed"
    service[railway.isin(METRO_RAILWAY).to_numpy() & passenger] = "metro"
    return service


def track_segments(lines: WayTable, line_service: np.ndarray) -> Track:
    """The segments of the passenger lines and their (service, node) vertices."""
    a_idx, b_idx = lines.segments()
    seg_way = lines.way_index()[a_idx]
    seg_service = line_service[seg_way]
    vertex_key = pd.MultiIndex.from_arrays(
        [
            np.concatenate([seg_service, seg_service]),
            np.concatenate([lines.node_ids[a_idx], lines.node_ids[b_idx]]),
        ]
    )
    codes, vertices = pd.factorize(vertex_key)
    n_seg = len(a_idx)
    seg_a, seg_b = codes[:n_seg], codes[n_seg:]
    v_lon = np.empty(len(vertices))
    v_lat = np.empty(len(vertices))
    v_lon[seg_a], v_lat[seg_a] = lines.lon[a_idx], lines.lat[a_idx]
    v_lon[seg_b], v_lat[seg_b] = lines.lon[b_idx], lines.lat[b_idx]
    return Track(
        seg_a=seg_a,
        seg_b=seg_b,
        seg_way=seg_way,
        seg_service=seg_service,
        seg_len_m=haversine_m(
            lines.lon[a_idx], lines.lat[a_idx], lines.lon[b_idx], lines.lat[b_idx]
        ),
        v_service=vertices.get_level_values(0).to_numpy().astype(str),
        v_node=vertices.get_level_values(1).to_numpy().astype(np.int64),
        v_lon=v_lon,
        v_lat=v_lat,
    )


@dataclass(frozen=True)
class Stops:
    """Where the stations stop: the station row at each stop vertex (-1: none) and the
    services of each station, in :data:`SERVICES` order."""

    stop_station: np.ndarray
    services: list[list[str]]


def match_stops(
    stations: pd.DataFrame, track: Track, *, crs: pyproj.CRS, station_line_max_m: float
) -> Stops:
    """Each station's stop vertex on every service that passes within ``station_line_max_m``
    (the nearest vertex of the nearest segment), by the rules of the module docstring."""
    stops = Stops(
        stop_station=np.full(track.n_vertices, -1, dtype=np.int64),
        services=[[] for _ in range(len(stations))],
    )
    a = np.column_stack(to_metric(track.v_lon[track.seg_a], track.v_lat[track.seg_a], crs))
    b = np.column_stack(to_metric(track.v_lon[track.seg_b], track.v_lat[track.seg_b], crs))
    seg_geoms = shapely.linestrings(np.stack([a, b], axis=1))
    points = shapely.points(*to_metric(stations["x"].to_numpy(), stations["y"].to_numpy(), crs))
    records = stations.to_dict("records")
    for svc in SERVICES:
        svc_seg = np.flatnonzero(track.seg_service == svc)
        if len(svc_seg) == 0:
            continue
        tree = shapely.STRtree(seg_geoms[svc_seg])
        st_idx, hit = tree.query_nearest(points, max_distance=station_line_max_m, all_matches=False)
        for s, h in zip(st_idx.tolist(), hit.tolist(), strict=True):
            seg = svc_seg[h]
            ends = {track.v_node[track.seg_a[seg]], track.v_node[track.seg_b[seg]]}
            if not _joins(records[s], svc, ends):
                continue
            da = shapely.distance(points[s], shapely.points(*seg_geoms[seg].coords[0]))
            db = shapely.distance(points[s], shapely.points(*seg_geoms[seg].coords[-1]))
            vertex = track.seg_a[seg] if da <= db else track.seg_b[seg]
            _claim(stops, vertex, s, svc, records, track)
    return stops


def _joins(row: Mapping[str, object], service: str, segment_nodes: set[int]) -> bool:
    """Whether a station near a segment of ``service`` joins it: always when it is a node of
    the segment; otherwise not a rail-only station on a metro, nor a metro-only one on a
    mainline."""
    if row["osm_type"] == "node" and row["node_id"] in segment_nodes:
        return True
    if service == "metro":
        return not rail_only(row)
    return not metro_only(row)


def _claim(
    stops: Stops,
    vertex: int,
    station: int,
    service: str,
    records: Sequence[Mapping[str, object]],
    track: Track,
) -> None:
    """Make ``vertex`` the stop of ``station`` unless another station holds it already."""
    holder = stops.stop_station[vertex]
    if holder >= 0 and holder != station:
        logger.warning(
            "stations %r and %r share their nearest %s track node %d; %r keeps it",
            records[holder]["name"],
            records[station]["name"],
            service,
            track.v_node[vertex],
            records[holder]["name"],
        )
        return
    stops.stop_station[vertex] = station
    stops.services[station].append(service)


def rail_links(
    track: Track,
    stops: Stops,
    *,
    station_ids: np.ndarray,
    line_tags: pd.DataFrame,
    units: gpd.GeoDataFrame,
    rail_speeds_kph: Mapping[str, float],
) -> gpd.GeoDataFrame:
    """The links table (:data:`spatialint.contracts.RAIL_EDGES`): each service's tracks cut at
    its stops and junctions, one row per link (``u < v``; a loop in way direction)."""
    n_seg = len(track.seg_a)
    arc_u = np.concatenate([track.seg_a, track.seg_b])
    arc_v = np.concatenate([track.seg_b, track.seg_a])
    arc_seg = np.concatenate([np.arange(n_seg), np.arange(n_seg)])
    forward = np.concatenate([np.ones(n_seg, bool), np.zeros(n_seg, bool)])
    chains = simplify_arcs(
        arc_u,
        arc_v,
        pd.factorize(track.seg_service)[0][arc_seg],
        n_nodes=track.n_vertices,
        force_endpoint=stops.stop_station >= 0,
    )
    xy = np.column_stack([track.v_lon, track.v_lat])
    collapsed = chain_edges(chains, arc_u, arc_v, track.seg_len_m[arc_seg], xy)
    first = collapsed.first_arc
    e_u, e_v = arc_u[first], arc_v[collapsed.last_arc]
    keep = (track.v_node[e_u] < track.v_node[e_v]) | ((e_u == e_v) & forward[first])
    e_u, e_v, e_first = e_u[keep], e_v[keep], first[keep]
    length = collapsed.length_m[keep]
    e_way = track.seg_way[arc_seg[e_first]]
    e_service = track.v_service[e_u]
    speed = np.array([float(rail_speeds_kph[s]) for s in e_service], dtype=float)

    def station_at(vertex: np.ndarray) -> pd.Series:
        row = stops.stop_station[vertex]
        return pd.Series(
            np.where(row >= 0, station_ids[np.maximum(row, 0)], 0), dtype="Int64"
        ).mask(row < 0)

    edges = gpd.GeoDataFrame(
        {
            "u": track.v_node[e_u],
            "v": track.v_node[e_v],
            "service": e_service.astype(object),
            "osmid": line_tags["osmid"].to_numpy()[e_way],
            "name": line_tags["name"].to_numpy(dtype=object)[e_way],
            "ref": line_tags["ref"].to_numpy(dtype=object)[e_way],
            "length_m": length,
            "speed_kph": speed,
            "travel_time_s": length / (speed / KPH_PER_M_PER_S),
            "u_station": station_at(e_u),
            "v_station": station_at(e_v),
            "unit_id": assign_units(collapsed.mid_lon[keep], collapsed.mid_lat[keep], units),
        },
        geometry=collapsed.geometry[keep],
        crs=WGS84,
    )
    edges = edges.sort_values(["service", "u", "v"], kind="stable").reset_index(drop=True)
    return as_text(edges, ["service", "name", "ref", "unit_id"])


def build_rail_network(
    pbf: str | Path,
    *,
    road_nodes: pd.DataFrame,
    units: gpd.GeoDataFrame,
    rail_speeds_kph: Mapping[str, float],
    highspeed_min_kph: float,
    intercity_name_patterns: Sequence[str],
    station_line_max_m: float,
    station_merge_m: float,
) -> RailNetwork:
    """Rail links and stations of ``pbf`` (see the module docstring).

    ``road_nodes`` (``road_nodes.parquet``: node_id, x, y) gives each station its nearest road
    node.  An extract without passenger rail gives empty (typed) tables, logged.
    """
    data = read_rail(pbf)
    service = classify_services(
        data.ways.tags,
        highspeed_min_kph=highspeed_min_kph,
        intercity_name_patterns=intercity_name_patterns,
    )
    passenger = pd.notna(service)
    lines = data.ways.subset(passenger)
    candidates = station_candidates(data.nodes, data.ways)
    if lines.n_ways == 0:
        logger.info(
            "no passenger rail line in %s (%d station candidates ignored): the rail layers are "
            "empty and the multimodal graph will equal the road graph",
            pbf,
            len(candidates),
        )
        return RailNetwork(edges=empty_rail_edges(), stations=empty_stations())
    track = track_segments(lines, service[passenger].astype(str))
    on_line = (
        candidates["node_id"].isin(track.v_node).to_numpy()
        & (candidates["osm_type"] == "node").to_numpy()
    )
    stations = merge_stations(candidates, on_line=on_line, merge_m=station_merge_m)
    crs = utm_crs_for(
        np.concatenate([track.v_lon, stations["x"]]), np.concatenate([track.v_lat, stations["y"]])
    )
    stops = match_stops(stations, track, crs=crs, station_line_max_m=station_line_max_m)
    served = np.array([bool(s) for s in stops.services], dtype=bool)
    if (~served).any():
        logger.info(
            "%d station(s) have no passenger line within %.0f m and are left out: %s",
            int((~served).sum()),
            station_line_max_m,
            ", ".join(str(n) for n in stations.loc[~served, "name"].head(10)),
        )
    edges = rail_links(
        track,
        stops,
        station_ids=stations["node_id"].to_numpy(),
        line_tags=lines.tags,
        units=units,
        rail_speeds_kph=rail_speeds_kph,
    )
    table = station_table(
        stations[served].reset_index(drop=True),
        [";".join(s) for s, ok in zip(stops.services, served, strict=True) if ok],
        road_nodes=road_nodes,
        units=units,
        crs=crs,
    )
    _log_network(edges, table)
    return RailNetwork(edges=edges, stations=table)


def _log_network(edges: pd.DataFrame, stations: pd.DataFrame) -> None:
    logger.info(
        "rail: %d links (%s), %.0f km of line; %d stations (%s)",
        len(edges),
        ", ".join(f"{k} {v}" for k, v in edges["service"].value_counts().items()),
        edges["length_m"].sum() / 1000,
        len(stations),
        ", ".join(f"{k} {v}" for k, v in stations["services"].value_counts().items()),
    )


def empty_rail_edges() -> gpd.GeoDataFrame:
    """A rail-links table with no rows and the contract's column types."""
    dtypes = {"u": "int64", "v": "int64", "service": "str", "osmid": "int64", "name": "str",
              "ref": "str", "length_m": "float64", "speed_kph": "float64",
              "travel_time_s": "float64", "u_station": "Int64", "v_station": "Int64",
              "unit_id": "str"}  # fmt: skip
    frame = pd.DataFrame({c: pd.Series([], dtype=dtypes[c]) for c in RAIL_EDGES.names})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)


def write_rail_network(network: RailNetwork, *, edges: str | Path, stations: str | Path) -> None:
    """Write both tables through their contracts as GeoParquet (EPSG:4326), atomically."""
    write_table(network.edges, RAIL_EDGES, edges)
    write_table(network.stations, RAIL_STATIONS, stations)


def run_rail_stage(
    inputs: Mapping[str, str | Path],
    outputs: Mapping[str, str | Path],
    *,
    rail: RailSettings,
    admin: AdminSettings,
) -> RailNetwork:
    """Build a study's rail links and stations from its extract and write them.

    Parameters
    ----------
    inputs
        Paths by the ``rail_network`` rule's input names: ``pbf``, ``units``
        (``admin_units.gpkg``), ``road_nodes`` (``road_nodes.parquet``).
    outputs
        Paths by the rule's output names: ``edges``, ``stations`` (:func:`write_rail_network`).
    rail
        The rail model's settings (services, speeds, station matching).
    admin
        ``admin.border_level``: the units every link and station is assigned to.

    Returns
    -------
    RailNetwork
        The network that was written.

    Raises
    ------
    DataError
        An input table is missing or breaks its contract (naming the step to re-run).
    """
    result = build_rail_network(
        inputs["pbf"],
        road_nodes=read_table(inputs["road_nodes"], ROAD_NODES),
        units=read_border_units(inputs["units"], level=admin.border_level),
        rail_speeds_kph=rail.rail_speeds_kph,
        highspeed_min_kph=rail.highspeed_min_kph,
        intercity_name_patterns=rail.intercity_name_patterns,
        station_line_max_m=rail.station_line_max_m,
        station_merge_m=rail.station_merge_m,
    )
    write_rail_network(result, edges=outputs["edges"], stations=outputs["stations"])
    return result
