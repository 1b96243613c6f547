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
- **Stations**: nodes with ``railway=station|halt``, or ``public_transport=station`` with a rail
  mode (``train|subway|light_rail|tram|monorail=yes``); closed ways tagged the same way (station
  areas) count at their centroid when no station node of the same name is near.  Nodes of one
  name within ``network.station_merge_m`` are one station.  A station serves a line's service
  when its node is a node of the line, or — when it is mapped beside the tracks — when the line
  passes within ``network.station_line_max_m`` (a metro-only station, ``station=subway`` etc.,
  joins metro lines only; a ``train=yes`` station without metro tags joins no metro line).  Its
  stop (platform) on that line is the line's nearest vertex to the station.
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
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from spatialint.fileio import atomic_path
from spatialint.geo import WGS84, NearestNodes, to_metric, utm_crs_for
from spatialint.network.roads import (
    assign_units,
    chain_edges,
    load_units,
    parse_maxspeed,
    simplify_arcs,
)
from spatialint.osm.ways import WayTable, as_text, haversine_m, read_osm

logger = logging.getLogger(__name__)

SERVICES = ("highspeed", "intercity", "conventional", "metro")
METRO_RAILWAY = frozenset({"subway", "light_rail", "tram", "monorail"})
MAINLINE_RAILWAY = frozenset({"rail", "narrow_gauge"})
STATION_RAILWAY = frozenset({"station", "halt"})
RAIL_MODES = ("train", "subway", "light_rail", "tram", "monorail")
NON_PASSENGER_SERVICE = frozenset({"yard", "siding", "spur", "crossover"})
NON_PASSENGER_USAGE = frozenset({"industrial", "military", "test", "tourism"})
WAY_KEYS = ("railway", "usage", "service", "highspeed", "maxspeed", "name", "ref",
            "public_transport", "name:en", "station", *RAIL_MODES)  # fmt: skip
NODE_KEYS = ("railway", "public_transport", "name", "name:en", "station", *RAIL_MODES)

EDGE_COLUMNS = ["u", "v", "service", "osmid", "name", "ref", "length_m", "speed_kph",
                "travel_time_s", "u_station", "v_station", "unit_id"]  # fmt: skip
STATION_COLUMNS = ["node_id", "osm_type", "name", "name_en", "services", "road_node_id",
                   "road_snap_m", "unit_id"]  # fmt: skip


@dataclass(frozen=True)
class RailNetwork:
    """Rail links (one row per link, used both ways) and stations."""

    edges: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame


def _is_rail_object(tags: Mapping[str, str]) -> bool:
    railway = tags.get("railway")
    return (
        railway in MAINLINE_RAILWAY
        or railway in METRO_RAILWAY
        or railway in STATION_RAILWAY
        or _is_rail_public_transport_station(tags)
    )


def _is_rail_public_transport_station(tags: Mapping[str, str]) -> bool:
    return tags.get("public_transport") == "station" and any(
        tags.get(mode) == "yes" for mode in RAIL_MODES
    )


def _is_station(tags: Mapping[str, str]) -> bool:
    return tags.get("railway") in STATION_RAILWAY or _is_rail_public_transport_station(tags)


def station_points(pbf: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes of the railway station nodes of ``pbf`` (road anchors)."""
    data = read_osm(
        pbf,
        filter_keys=["railway", "public_transport"],
        way_test=lambda tags: False,
        way_keys=(),
        node_test=_is_station,
        node_keys=(),
    )
    return data.nodes["lon"].to_numpy(), data.nodes["lat"].to_numpy()


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


def _norm_name(name: object) -> str:
    return re.sub(r"[\s\-–—_·.]", "", str(name)).lower() if isinstance(name, str) else ""


def _station_candidates(nodes: pd.DataFrame, ways: WayTable) -> pd.DataFrame:
    """Station nodes plus station areas (closed ways) at their centroid."""
    frame = nodes[[_is_station(dict(r)) for r in nodes[list(NODE_KEYS)].to_dict("records")]]
    frame = frame.assign(osm_type="node").rename(columns={"lon": "x", "lat": "y"})
    station_way = np.array(
        [_is_station(dict(r)) for r in ways.tags[list(NODE_KEYS)].to_dict("records")], dtype=bool
    )
    if station_way.any():
        sub = ways.subset(station_way)
        lines = sub.linestrings()
        ok = np.array([g is not None for g in lines], dtype=bool)
        centroids = shapely.centroid(shapely.convex_hull(lines[ok].astype(object)))
        areas = sub.tags.loc[ok, list(NODE_KEYS)].assign(
            node_id=sub.tags.loc[ok, "osmid"].to_numpy(),
            x=shapely.get_x(centroids),
            y=shapely.get_y(centroids),
            osm_type="way",
        )
        frame = pd.concat([frame, areas], ignore_index=True)
    return frame.reset_index(drop=True)


def _metro_only(row: Mapping[str, object]) -> bool:
    metro_flag = row.get("station") in METRO_RAILWAY or any(
        row.get(m) == "yes" for m in ("subway", "light_rail", "tram", "monorail")
    )
    return bool(metro_flag) and row.get("train") != "yes"


def _rail_only(row: Mapping[str, object]) -> bool:
    return (
        row.get("train") == "yes"
        and not _metro_only(row)
        and row.get("station") not in METRO_RAILWAY
    )


def _merge_stations(frame: pd.DataFrame, *, on_line: np.ndarray, merge_m: float) -> pd.DataFrame:
    """One row per station: same-name candidates within ``merge_m`` merged (see module doc)."""
    if frame.empty:
        return frame
    crs = utm_crs_for(frame["x"].to_numpy(), frame["y"].to_numpy())
    mx, my = to_metric(frame["x"].to_numpy(), frame["y"].to_numpy(), crs)
    priority = np.lexsort(
        (frame["node_id"].to_numpy(), (frame["osm_type"] == "way").to_numpy(), ~on_line)
    )
    names = frame["name"].map(_norm_name).to_numpy()
    kept: list[int] = []
    for i in priority:
        duplicate = any(
            names[i] and names[k] == names[i] and np.hypot(mx[i] - mx[k], my[i] - my[k]) <= merge_m
            for k in kept
        )
        # an unnamed station area is a duplicate of any station node it is near
        if not duplicate and frame["osm_type"].iat[i] == "way":
            duplicate = any(np.hypot(mx[i] - mx[k], my[i] - my[k]) <= merge_m for k in kept)
        if not duplicate:
            kept.append(int(i))
    merged = len(frame) - len(kept)
    if merged:
        logger.info("merged %d duplicate station node(s)/area(s) into their namesakes", merged)
    return frame.iloc[sorted(kept)].reset_index(drop=True)


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
    data = read_osm(
        pbf,
        filter_keys=["railway", "public_transport"],
        way_test=_is_rail_object,
        way_keys=WAY_KEYS,
        node_test=_is_station,
        node_keys=NODE_KEYS,
    )
    service = classify_services(
        data.ways.tags,
        highspeed_min_kph=highspeed_min_kph,
        intercity_name_patterns=intercity_name_patterns,
    )
    lines = data.ways.subset(pd.notna(service))
    line_service = service[pd.notna(service)].astype(str)
    candidates = _station_candidates(data.nodes, data.ways)
    if lines.n_ways == 0:
        logger.info(
            "no passenger rail line in %s (%d station candidates ignored): the rail layers are "
            "empty and the multimodal graph will equal the road graph",
            pbf,
            len(candidates),
        )
        return RailNetwork(edges=empty_rail_edges(), stations=empty_stations())

    # --- track segments per way, both directions
    way_of = lines.way_index()
    a_idx = np.flatnonzero(way_of[1:] == way_of[:-1])
    b_idx = a_idx + 1
    located = np.isfinite(lines.lon)
    ok = located[a_idx] & located[b_idx] & (lines.node_ids[a_idx] != lines.node_ids[b_idx])
    a_idx, b_idx = a_idx[ok], b_idx[ok]
    seg_way = way_of[a_idx]
    seg_service = line_service[seg_way]
    # a track vertex is (service, OSM node): the same node on two services is two vertices
    vertex_key = pd.MultiIndex.from_arrays(
        [
            np.concatenate([seg_service, seg_service]),
            np.concatenate([lines.node_ids[a_idx], lines.node_ids[b_idx]]),
        ]
    )
    codes, vertices = pd.factorize(vertex_key)
    n_seg = len(a_idx)
    seg_a, seg_b = codes[:n_seg], codes[n_seg:]
    v_service = vertices.get_level_values(0).to_numpy().astype(str)
    v_node = vertices.get_level_values(1).to_numpy().astype(np.int64)
    v_lon = np.empty(len(vertices))
    v_lat = np.empty(len(vertices))
    v_lon[seg_a], v_lat[seg_a] = lines.lon[a_idx], lines.lat[a_idx]
    v_lon[seg_b], v_lat[seg_b] = lines.lon[b_idx], lines.lat[b_idx]
    seg_len = haversine_m(lines.lon[a_idx], lines.lat[a_idx], lines.lon[b_idx], lines.lat[b_idx])

    # --- stations and their stop vertex per service
    on_line = (
        candidates["node_id"].isin(v_node).to_numpy()
        & (candidates["osm_type"] == "node").to_numpy()
    )
    stations = _merge_stations(candidates, on_line=on_line, merge_m=station_merge_m)
    crs = utm_crs_for(
        np.concatenate([v_lon, stations["x"]]), np.concatenate([v_lat, stations["y"]])
    )
    stop_station = np.full(len(vertices), -1, dtype=np.int64)  # station row per stop vertex
    station_services: list[list[str]] = [[] for _ in range(len(stations))]
    seg_geoms = shapely.linestrings(
        np.stack([np.column_stack(to_metric(v_lon[seg_a], v_lat[seg_a], crs)),
                  np.column_stack(to_metric(v_lon[seg_b], v_lat[seg_b], crs))], axis=1)
    )  # fmt: skip
    sx, sy = to_metric(stations["x"].to_numpy(), stations["y"].to_numpy(), crs)
    station_points = shapely.points(sx, sy)
    records = stations.to_dict("records")
    for svc in SERVICES:
        svc_seg = np.flatnonzero(seg_service == svc)
        if len(svc_seg) == 0:
            continue
        tree = shapely.STRtree(seg_geoms[svc_seg])
        st_idx, hit = tree.query_nearest(
            station_points, max_distance=station_line_max_m, all_matches=False
        )
        for s, h in zip(st_idx.tolist(), hit.tolist(), strict=True):
            row = records[s]
            seg = svc_seg[h]
            same_node = {v_node[seg_a[seg]], v_node[seg_b[seg]]}
            direct = row["osm_type"] == "node" and row["node_id"] in same_node
            if not direct:
                if svc == "metro" and _rail_only(row):
                    continue
                if svc != "metro" and _metro_only(row):
                    continue
            da = shapely.distance(station_points[s], shapely.points(*seg_geoms[seg].coords[0]))
            db = shapely.distance(station_points[s], shapely.points(*seg_geoms[seg].coords[-1]))
            vertex = seg_a[seg] if da <= db else seg_b[seg]
            if stop_station[vertex] >= 0 and stop_station[vertex] != s:
                logger.warning(
                    "stations %r and %r share their nearest %s track node %d; %r keeps it",
                    records[stop_station[vertex]]["name"],
                    row["name"],
                    svc,
                    v_node[vertex],
                    records[stop_station[vertex]]["name"],
                )
                continue
            stop_station[vertex] = s
            station_services[s].append(svc)
    served = np.array([bool(s) for s in station_services], dtype=bool)
    if (~served).any():
        logger.info(
            "%d station(s) have no passenger line within %.0f m and are left out: %s",
            int((~served).sum()),
            station_line_max_m,
            ", ".join(str(n) for n in stations.loc[~served, "name"].head(10)),
        )

    # --- links: tracks cut at stops and junctions (both directions, then one row per link)
    arc_u = np.concatenate([seg_a, seg_b])
    arc_v = np.concatenate([seg_b, seg_a])
    arc_seg = np.concatenate([np.arange(n_seg), np.arange(n_seg)])
    forward = np.concatenate([np.ones(n_seg, bool), np.zeros(n_seg, bool)])
    chains = simplify_arcs(
        arc_u,
        arc_v,
        pd.factorize(seg_service)[0][arc_seg],
        n_nodes=len(vertices),
        force_endpoint=stop_station >= 0,
    )
    xy = np.column_stack([v_lon, v_lat])
    collapsed = chain_edges(chains, arc_u, arc_v, seg_len[arc_seg], xy)
    first = collapsed.first_arc
    e_u, e_v = arc_u[first], arc_v[collapsed.last_arc]
    # keep one direction per link: u < v, loops in way direction
    keep = (v_node[e_u] < v_node[e_v]) | ((e_u == e_v) & forward[first])
    e_u, e_v, e_first = e_u[keep], e_v[keep], first[keep]
    length, geoms = collapsed.length_m[keep], collapsed.geometry[keep]
    mid_lon, mid_lat = collapsed.mid_lon[keep], collapsed.mid_lat[keep]
    e_way = seg_way[arc_seg[e_first]]
    e_service = v_service[e_u]
    speed = np.array([float(rail_speeds_kph[s]) for s in e_service], dtype=float)
    station_ids = stations["node_id"].to_numpy()

    def station_at(vertex: np.ndarray) -> pd.Series:
        row = stop_station[vertex]
        return pd.Series(
            np.where(row >= 0, station_ids[np.maximum(row, 0)], 0), dtype="Int64"
        ).mask(row < 0)

    edges = gpd.GeoDataFrame(
        {
            "u": v_node[e_u],
            "v": v_node[e_v],
            "service": e_service.astype(object),
            "osmid": lines.tags["osmid"].to_numpy()[e_way],
            "name": lines.tags["name"].to_numpy(dtype=object)[e_way],
            "ref": lines.tags["ref"].to_numpy(dtype=object)[e_way],
            "length_m": length,
            "speed_kph": speed,
            "travel_time_s": length / (speed / 3.6),
            "u_station": station_at(e_u),
            "v_station": station_at(e_v),
            "unit_id": assign_units(mid_lon, mid_lat, units),
        },
        geometry=geoms,
        crs=WGS84,
    )
    edges = edges.sort_values(["service", "u", "v"], kind="stable").reset_index(drop=True)
    edges = as_text(edges, ["service", "name", "ref", "unit_id"])

    # --- station table
    stations = stations.assign(services=[";".join(s) for s in station_services])[
        served
    ].reset_index(drop=True)
    if len(road_nodes):
        near = NearestNodes(road_nodes["x"].to_numpy(), road_nodes["y"].to_numpy(), crs=crs)
        pos_road, dist = near.query(stations["x"].to_numpy(), stations["y"].to_numpy())
        road_node_id = (
            road_nodes["node_id"].to_numpy()[pos_road] if len(stations) else np.zeros(0, np.int64)
        )
    else:
        road_node_id, dist = np.zeros(len(stations), np.int64), np.full(len(stations), np.nan)
    table = gpd.GeoDataFrame(
        {
            "node_id": stations["node_id"].to_numpy(dtype=np.int64),
            "osm_type": stations["osm_type"].to_numpy(dtype=object),
            "name": stations["name"].to_numpy(dtype=object),
            "name_en": stations["name:en"].to_numpy(dtype=object),
            "services": stations["services"].to_numpy(dtype=object),
            "road_node_id": np.asarray(road_node_id, dtype=np.int64),
            "road_snap_m": np.asarray(dist, dtype=float),
            "unit_id": assign_units(stations["x"].to_numpy(), stations["y"].to_numpy(), units),
        },
        geometry=shapely.points(stations["x"].to_numpy(), stations["y"].to_numpy()),
        crs=WGS84,
    )
    table = as_text(table, ["osm_type", "name", "name_en", "services", "unit_id"])
    logger.info(
        "rail: %d links (%s), %.0f km of line; %d stations (%s)",
        len(edges),
        ", ".join(f"{k} {v}" for k, v in edges["service"].value_counts().items()),
        edges["length_m"].sum() / 1000,
        len(table),
        ", ".join(f"{k} {v}" for k, v in table["services"].value_counts().items()),
    )
    return RailNetwork(edges=edges, stations=table)


def empty_rail_edges() -> gpd.GeoDataFrame:
    """A rail-links table with no rows and the right column types."""
    dtypes = {"u": "int64", "v": "int64", "service": "str", "osmid": "int64", "name": "str",
              "ref": "str", "length_m": "float64", "speed_kph": "float64",
              "travel_time_s": "float64", "u_station": "Int64", "v_station": "Int64",
              "unit_id": "str"}  # fmt: skip
    frame = pd.DataFrame({c: pd.Series([], dtype=dtypes[c]) for c in EDGE_COLUMNS})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)


def empty_stations() -> gpd.GeoDataFrame:
    """A stations table with no rows and the right column types."""
    dtypes = {"node_id": "int64", "osm_type": "str", "name": "str", "name_en": "str",
              "services": "str", "road_node_id": "int64", "road_snap_m": "float64",
              "unit_id": "str"}  # fmt: skip
    frame = pd.DataFrame({c: pd.Series([], dtype=dtypes[c]) for c in STATION_COLUMNS})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)


def write_rail_network(network: RailNetwork, *, edges: str | Path, stations: str | Path) -> None:
    """Write both tables atomically as GeoParquet (EPSG:4326)."""
    for frame, path in ((network.edges, edges), (network.stations, stations)):
        with atomic_path(path) as tmp:
            frame.to_parquet(tmp, index=False)


def run_rail_network_stage(
    inputs: Mapping[str, str | Path],
    outputs: Mapping[str, str | Path],
    study: Mapping[str, Any],
) -> RailNetwork:
    """Build a study's rail links and stations from its extract and write them.

    Parameters
    ----------
    inputs
        Paths by the ``rail_network`` rule's input names: ``pbf``, ``units``, ``road_nodes``.
    outputs
        Paths by the rule's output names: ``edges``, ``stations`` (:func:`write_rail_network`).
    study
        The validated study config (``network`` and ``admin.border_level``).

    Returns
    -------
    RailNetwork
        The network that was written.
    """
    network = study["network"]
    result = build_rail_network(
        inputs["pbf"],
        road_nodes=pd.read_parquet(inputs["road_nodes"], columns=["node_id", "x", "y"]),
        units=load_units(inputs["units"], level=study["admin"]["border_level"]),
        rail_speeds_kph=network["rail_speeds_kph"],
        highspeed_min_kph=network["highspeed_min_kph"],
        intercity_name_patterns=network["intercity_name_patterns"],
        station_line_max_m=network["station_line_max_m"],
        station_merge_m=network["station_merge_m"],
    )
    write_rail_network(result, edges=outputs["edges"], stations=outputs["stations"])
    return result
