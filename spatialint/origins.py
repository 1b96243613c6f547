"""Origins of the travel-time circles: resolve the study config's origins to graph nodes.

An origin in the config (``access.origins``) names exactly one of

- ``place``: an OSM ``place=*`` node (``network/places.parquet``), matched on ``name`` or
  ``name_en``;
- ``unit``: an admin unit (``network/admin_units.gpkg``) whose seat (``centre_lon``,
  ``centre_lat``) is the origin;
- ``station``: a railway station (``network/rail_stations.parquet``); the origin is the
  station's road access node (``road_node_id``), which is where the multimodal graph attaches
  the station's boarding arcs — so on the multimodal graph the trip starts at the station
  itself, and by road at its forecourt;
- ``lon`` + ``lat``: an explicit point (WGS-84).

Each origin is snapped to the nearest node of the road graph's main (largest strongly
connected) component. An origin farther than ``snap_max_m`` from it is an error naming the
origin and the distance: an origin in the sea is never silently moved onto a far road.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse.csgraph import connected_components

from spatialint.errors import ConfigError, DataError
from spatialint.fileio import atomic_path
from spatialint.geo import WGS84, NearestNodes, to_metric, utm_crs_for
from spatialint.graph import CSRGraph

logger = logging.getLogger(__name__)

ORIGIN_KINDS = ("place", "unit", "station", "point")
#: Importance of OSM place=* values, most important first; resolves places sharing a name.
PLACE_RANK = (
    "megacity",
    "city",
    "town",
    "borough",
    "suburb",
    "village",
    "quarter",
    "neighbourhood",
    "hamlet",
    "isolated_dwelling",
    "locality",
)
ORIGIN_COLUMNS = [
    "origin_id",
    "name",
    "kind",
    "matched",
    "node_id",
    "snap_m",
    "station_node_id",
    "geometry",
]


def main_component(graph: CSRGraph) -> np.ndarray:
    """Boolean mask of the nodes in the graph's largest strongly connected component."""
    if graph.n_nodes == 0:
        return np.zeros(0, dtype=bool)
    _, labels = connected_components(graph.matrix, directed=True, connection="strong")
    counts = np.bincount(labels)
    return labels == int(np.argmax(counts))


def origin_kind(spec: Mapping[str, Any]) -> str:
    """The kind of an origin spec, checking it names exactly one way to find the origin."""
    name = spec.get("name")
    if not name or not isinstance(name, str):
        raise ConfigError(f"Origin {dict(spec)!r} has no 'name'; give each origin a label.")
    has_lon, has_lat = "lon" in spec, "lat" in spec
    if has_lon != has_lat:
        raise ConfigError(
            f"Origin {name!r} gives only {'lon' if has_lon else 'lat'}; give both lon and lat."
        )
    kinds = [k for k in ("place", "unit", "station") if spec.get(k) is not None]
    if has_lon:
        kinds.append("point")
    if len(kinds) != 1:
        found = ", ".join(kinds) if kinds else "none"
        raise ConfigError(
            f"Origin {name!r} must give exactly one of place, unit, station or lon+lat "
            f"(found: {found})."
        )
    return kinds[0]


def _name_matches(frame: pd.DataFrame, wanted: str) -> np.ndarray:
    """Rows whose ``name`` or ``name_en`` equals ``wanted`` (exactly, else ignoring case)."""
    columns = [c for c in ("name", "name_en") if c in frame.columns]
    if not columns:
        return np.zeros(len(frame), dtype=bool)
    values = [frame[c].astype("string").fillna("") for c in columns]
    exact = np.logical_or.reduce([(v == wanted).to_numpy(dtype=bool) for v in values])
    if exact.any():
        return exact
    folded = wanted.strip().casefold()
    return np.logical_or.reduce(
        [(v.str.strip().str.casefold() == folded).to_numpy(dtype=bool) for v in values]
    )


def _pick_place(places: gpd.GeoDataFrame, origin: str, wanted: str) -> pd.Series:
    match = places[_name_matches(places, wanted)]
    if match.empty:
        raise DataError(
            f"Origin {origin!r}: no place named {wanted!r} in places.parquet "
            f"({len(places)} places). Check the spelling, or give lon/lat instead."
        )
    if len(match) == 1:
        return match.iloc[0]
    rank = {p: i for i, p in enumerate(PLACE_RANK)}
    key = pd.DataFrame(
        {
            "rank": match.get("place", pd.Series("", index=match.index)).map(rank).fillna(99),
            "pop": -pd.to_numeric(match.get("population"), errors="coerce").fillna(0)
            if "population" in match
            else 0.0,
        },
        index=match.index,
    )
    best = key.sort_values(["rank", "pop"], kind="stable")
    top = best.iloc[0]
    ties = best[(best["rank"] == top["rank"]) & (best["pop"] == top["pop"])]
    if len(ties) > 1:
        where = "; ".join(
            f"{row.geometry.x:.5f},{row.geometry.y:.5f}"
            for row in match.loc[ties.index].itertuples()
        )
        raise DataError(
            f"Origin {origin!r}: {len(ties)} equally important places are named {wanted!r} "
            f"(at {where}); give lon/lat to say which one."
        )
    chosen = match.loc[best.index[0]]
    logger.info(
        "origin %r: %d places named %r, using the %s",
        origin,
        len(match),
        wanted,
        chosen.get("place"),
    )
    return chosen


def _pick_unique(frame: pd.DataFrame, origin: str, wanted: str, what: str, file: str) -> pd.Series:
    match = frame[_name_matches(frame, wanted)]
    if match.empty:
        raise DataError(
            f"Origin {origin!r}: no {what} named {wanted!r} in {file} ({len(frame)} {what}s). "
            "Check the spelling, or give lon/lat instead."
        )
    if len(match) > 1 and "admin_level" in match.columns:
        levels = pd.to_numeric(match["admin_level"], errors="coerce")
        match = match[levels == levels.min()]
    if len(match) > 1:
        raise DataError(
            f"Origin {origin!r}: {len(match)} {what}s are named {wanted!r} in {file}; "
            "give lon/lat to say which one."
        )
    return match.iloc[0]


def resolve_origins(
    specs: Sequence[Mapping[str, Any]],
    *,
    graph: CSRGraph,
    snap_max_m: float,
    places: gpd.GeoDataFrame | None = None,
    units: gpd.GeoDataFrame | None = None,
    stations: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Resolve origin specs to located origins snapped onto the road graph.

    Parameters
    ----------
    specs
        The config's ``access.origins`` entries.
    graph
        The road graph; origins snap to its main strongly connected component.
    snap_max_m
        Largest allowed distance (metres) between an origin and its road node.
    places, units, stations
        ``network/places.parquet``, ``network/admin_units.gpkg`` and
        ``network/rail_stations.parquet``; needed only by origins of that kind.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per origin in config order: ``origin_id`` (1, 2, ...), ``name``, ``kind``
        (place | unit | station | point), ``matched`` (name of the matched feature),
        ``node_id`` (road node), ``snap_m``, ``station_node_id`` (OSM id of a station origin's
        station, else missing) and the origin's Point (EPSG:4326).

    Raises
    ------
    ConfigError
        A spec names no way, or several ways, to find its origin, or two origins share a name.
    DataError
        An origin cannot be found in the data, or lies farther than ``snap_max_m`` from the road
        network.
    """
    if not snap_max_m > 0:
        raise ConfigError(f"access.snap_max_m must be positive, got {snap_max_m}.")
    names = [s.get("name") for s in specs]
    dupes = sorted({n for n in names if n is not None and names.count(n) > 1})
    if dupes:
        raise ConfigError(
            f"Origin name {dupes[0]!r} is used twice in access.origins; make names unique."
        )
    if graph.n_nodes == 0:
        raise DataError("The road graph has no nodes; no origin can be placed on it.")

    rows: list[dict[str, Any]] = []
    for spec in specs:
        name = spec.get("name")
        kind = origin_kind(spec)
        station_node: int | None = None
        road_node: int | None = None
        if kind == "place":
            if places is None:
                raise DataError(f"Origin {name!r} names a place but no places layer was given.")
            row = _pick_place(_to_wgs84(places), name, spec["place"])
            lon, lat, matched = row.geometry.x, row.geometry.y, row["name"]
        elif kind == "unit":
            if units is None:
                raise DataError(f"Origin {name!r} names a unit but no admin units were given.")
            row = _pick_unique(units, name, spec["unit"], "admin unit", "admin_units.gpkg")
            lon, lat, matched = row.get("centre_lon"), row.get("centre_lat"), row["name"]
            if lon is None or lat is None or pd.isna(lon) or pd.isna(lat):
                raise DataError(
                    f"Origin {name!r}: admin unit {matched!r} has no seat (centre_lon/centre_lat "
                    "are empty); give the origin's lon/lat instead."
                )
        elif kind == "station":
            if stations is None:
                raise DataError(f"Origin {name!r} names a station but no stations were given.")
            row = _pick_unique(
                _to_wgs84(stations), name, spec["station"], "station", "rail_stations.parquet"
            )
            lon, lat, matched = row.geometry.x, row.geometry.y, row["name"]
            station_node = int(row["node_id"])
            access = row.get("road_node_id")
            if access is not None and not pd.isna(access):
                road_node = int(access)
        else:
            lon, lat, matched = float(spec["lon"]), float(spec["lat"]), ""
        rows.append(
            {
                "name": name,
                "kind": kind,
                "matched": matched,
                "lon": float(lon),
                "lat": float(lat),
                "road_node": road_node,
                "station_node_id": station_node,
            }
        )
    if not rows:
        return gpd.GeoDataFrame(
            {c: [] for c in ORIGIN_COLUMNS[:-1]}, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84
        )
    table = pd.DataFrame(rows)
    node_pos, snap_m = _snap(graph, table, snap_max_m=snap_max_m)
    out = gpd.GeoDataFrame(
        {
            "origin_id": np.arange(1, len(table) + 1, dtype=np.int64),
            "name": table["name"].astype(str),
            "kind": table["kind"].astype(str),
            "matched": table["matched"].astype(str),
            "node_id": graph.node_ids[node_pos],
            "snap_m": np.round(snap_m, 1),
            "station_node_id": pd.array(table["station_node_id"], dtype="Int64"),
        },
        geometry=gpd.points_from_xy(table["lon"], table["lat"]),
        crs=WGS84,
    )
    for r in out.itertuples():
        logger.info(
            "origin %d %r (%s %r) -> road node %d, %.0f m away",
            r.origin_id, r.name, r.kind, r.matched, r.node_id, r.snap_m,
        )  # fmt: skip
    return out[ORIGIN_COLUMNS]


def _to_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if frame.crs is None:
        raise DataError("A layer of places/stations has no CRS; it must be EPSG:4326.")
    return frame if frame.crs.equals(WGS84) else frame.to_crs(WGS84)


def _snap(
    graph: CSRGraph, table: pd.DataFrame, *, snap_max_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Road node position and distance (m) of each origin; raises past ``snap_max_m``."""
    lon = table["lon"].to_numpy(float)
    lat = table["lat"].to_numpy(float)
    crs = utm_crs_for(np.append(graph.x, lon), np.append(graph.y, lat))
    main = np.flatnonzero(main_component(graph))
    tree = NearestNodes(graph.x[main], graph.y[main], crs=crs)
    near, dist = tree.query(lon, lat)
    pos = main[near]
    ox, oy = to_metric(lon, lat, crs)
    # A station keeps its own road access node when that node is on the main component.
    in_main = np.zeros(graph.n_nodes, dtype=bool)
    in_main[main] = True
    for i, node in enumerate(table["road_node"]):
        if node is None or pd.isna(node):
            continue
        try:
            p = int(graph.index_of(np.array([int(node)]))[0])
        except KeyError:
            logger.warning(
                "origin %r: station road node %s is not in the road graph; snapping instead",
                table["name"].iloc[i], node,
            )  # fmt: skip
            continue
        if in_main[p]:
            nx_, ny_ = to_metric(graph.x[p : p + 1], graph.y[p : p + 1], crs)
            pos[i] = p
            dist[i] = float(np.hypot(nx_[0] - ox[i], ny_[0] - oy[i]))
        else:
            logger.warning(
                "origin %r: the station's road node %s is cut off from the main road network; "
                "starting from the nearest main-network node instead (trains boarded at the "
                "station are then not reachable from this origin)",
                table["name"].iloc[i], node,
            )  # fmt: skip
    far = np.flatnonzero(~(dist <= snap_max_m))
    if far.size:
        i = int(far[0])
        raise DataError(
            f"Origin {table['name'].iloc[i]!r} ({table['kind'].iloc[i]} at "
            f"{lon[i]:.5f}, {lat[i]:.5f}) is {dist[i]:,.0f} m from the nearest road of the network "
            f"(access.snap_max_m = {snap_max_m:,.0f} m). It is outside the road network (in the "
            "sea, or outside the study area?): fix its location, or raise snap_max_m if the "
            "distance is right."
        )
    return pos, dist


def origin_sources(origins: pd.DataFrame, *, mode: str) -> np.ndarray:
    """The graph node id each origin starts from in ``mode`` (``road`` or ``multimodal``).

    Both graphs share the road nodes, and the multimodal graph attaches each station to its
    road access node (``rail_stations.road_node_id``) with the boarding and alighting arcs; a
    station origin's ``node_id`` is that access node, so on the multimodal graph a trip from a
    station starts at the station itself (paying station access + boarding to ride), and by
    road it starts from the station forecourt.
    """
    if mode not in ("road", "multimodal"):
        raise ConfigError(f"Unknown mode {mode!r}; use road or multimodal.")
    return origins["node_id"].to_numpy(np.int64)


def write_origins(origins: gpd.GeoDataFrame, path: str) -> None:
    """Write ``access/origins.gpkg`` (layer ``origins``) atomically."""
    with atomic_path(path) as tmp:
        origins.to_file(tmp, layer="origins", driver="GPKG")


def read_origins(path: str) -> gpd.GeoDataFrame:
    """Read ``access/origins.gpkg`` in ``origin_id`` order."""
    frame = gpd.read_file(path, layer="origins")
    missing = [c for c in ORIGIN_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{path} lacks column(s) {missing}; rerun the origins step.")
    frame["station_node_id"] = pd.array(frame["station_node_id"], dtype="Int64")
    return frame.sort_values("origin_id", ignore_index=True)
