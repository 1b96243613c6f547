"""Railway stations in OSM: which objects are stations, their duplicates, and the station table.

- **Stations** are nodes with ``railway=station|halt``, or ``public_transport=station`` with a
  rail mode (``train|subway|light_rail|tram|monorail=yes``); closed ways tagged the same way
  (station areas) count at their centroid when no station node of the same name is near.  Nodes
  of one name within ``network.station_merge_m`` are one station (:func:`merge_stations`).
- A station mapped as metro-only (``station=subway`` etc., without ``train=yes``) joins metro
  lines only; a ``train=yes`` station without metro tags joins no metro line
  (:func:`metro_only`, :func:`rail_only`; used by :mod:`spatialint.network.rail`).

The road network keeps the road node nearest to each station through simplification
(:func:`station_points`), so this module sits below both the road and the rail network.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from spatialint.contracts import RAIL_STATIONS
from spatialint.geo import WGS84, NearestNodes, to_metric, utm_crs_for
from spatialint.network.unit_lookup import assign_units
from spatialint.osm.ways import WayTable, as_text, read_osm

logger = logging.getLogger(__name__)

STATION_RAILWAY = frozenset({"station", "halt"})
METRO_RAILWAY = frozenset({"subway", "light_rail", "tram", "monorail"})
RAIL_MODES = ("train", "subway", "light_rail", "tram", "monorail")
#: The tags of a station node (or station area) the rail network reads.
NODE_KEYS = ("railway", "public_transport", "name", "name:en", "station", *RAIL_MODES)
#: Tag keys that can make an object a station (pyosmium's C++ pre-filter).
STATION_FILTER_KEYS = ("railway", "public_transport")


def is_rail_public_transport_station(tags: Mapping[str, str]) -> bool:
    """``public_transport=station`` with a rail mode (not a bus station)."""
    return tags.get("public_transport") == "station" and any(
        tags.get(mode) == "yes" for mode in RAIL_MODES
    )


def is_station(tags: Mapping[str, str]) -> bool:
    """A railway station or halt (see the module docstring)."""
    return tags.get("railway") in STATION_RAILWAY or is_rail_public_transport_station(tags)


def station_points(pbf: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes of the railway station nodes of ``pbf`` (road anchors)."""
    data = read_osm(
        pbf,
        filter_keys=STATION_FILTER_KEYS,
        way_test=lambda tags: False,
        way_keys=(),
        node_test=is_station,
        node_keys=(),
    )
    return data.nodes["lon"].to_numpy(), data.nodes["lat"].to_numpy()


def station_candidates(nodes: pd.DataFrame, ways: WayTable) -> pd.DataFrame:
    """Station nodes plus station areas (closed ways) at their centroid.

    Columns: the :data:`NODE_KEYS` tags, ``node_id`` (node or way id), ``x``, ``y`` and
    ``osm_type`` (``node`` / ``way``).
    """
    frame = nodes[[is_station(dict(r)) for r in nodes[list(NODE_KEYS)].to_dict("records")]]
    frame = frame.assign(osm_type="node").rename(columns={"lon": "x", "lat": "y"})
    station_way = np.array(
        [is_station(dict(r)) for r in ways.tags[list(NODE_KEYS)].to_dict("records")], dtype=bool
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


def metro_only(row: Mapping[str, object]) -> bool:
    """A station mapped for metro lines only (it joins no mainline)."""
    metro_flag = row.get("station") in METRO_RAILWAY or any(
        row.get(m) == "yes" for m in ("subway", "light_rail", "tram", "monorail")
    )
    return bool(metro_flag) and row.get("train") != "yes"


def rail_only(row: Mapping[str, object]) -> bool:
    """A ``train=yes`` station without metro tags (it joins no metro line)."""
    return (
        row.get("train") == "yes"
        and not metro_only(row)
        and row.get("station") not in METRO_RAILWAY
    )


def _norm_name(name: object) -> str:
    return re.sub(r"[\s\-–—_·.]", "", str(name)).lower() if isinstance(name, str) else ""


def merge_stations(frame: pd.DataFrame, *, on_line: np.ndarray, merge_m: float) -> pd.DataFrame:
    """One row per station: same-name candidates within ``merge_m`` merged.

    Candidates on a line come first, then nodes before areas, then by id; an unnamed station
    area is a duplicate of any station near it.
    """
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


def station_table(
    stations: pd.DataFrame,
    services: Sequence[str],
    *,
    road_nodes: pd.DataFrame,
    units: gpd.GeoDataFrame,
    crs: pyproj.CRS,
) -> gpd.GeoDataFrame:
    """The stations table (:data:`spatialint.contracts.RAIL_STATIONS`) of the stations served
    by a line: each with its services (``;``-joined), nearest road node and unit."""
    x, y = stations["x"].to_numpy(), stations["y"].to_numpy()
    if len(road_nodes):
        near = NearestNodes(road_nodes["x"].to_numpy(), road_nodes["y"].to_numpy(), crs=crs)
        pos_road, dist = near.query(x, y)
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
            "services": np.asarray(services, dtype=object),
            "road_node_id": np.asarray(road_node_id, dtype=np.int64),
            "road_snap_m": np.asarray(dist, dtype=float),
            "unit_id": assign_units(x, y, units),
        },
        geometry=shapely.points(x, y),
        crs=WGS84,
    )
    return as_text(table, ["osm_type", "name", "name_en", "services", "unit_id"])


def empty_stations() -> gpd.GeoDataFrame:
    """A stations table with no rows and the contract's column types."""
    dtypes = {"node_id": "int64", "osm_type": "str", "name": "str", "name_en": "str",
              "services": "str", "road_node_id": "int64", "road_snap_m": "float64",
              "unit_id": "str"}  # fmt: skip
    frame = pd.DataFrame({c: pd.Series([], dtype=dtypes[c]) for c in RAIL_STATIONS.names})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)
