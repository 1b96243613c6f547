"""Origins of the travel-time circles: resolve the study config's origins to graph nodes.

An origin in the config (``access.origins``) names exactly one of

- ``place``: an OSM ``place=*`` node (``network/places.parquet``), matched on ``name`` or
  ``name_en``;
- ``unit``: an admin unit (``network/admin_units.gpkg``) whose seat (``centre_lon``,
  ``centre_lat``) is the origin;
- ``station``: a railway station (``network/rail_stations.parquet``);
- ``lon`` + ``lat``: an explicit point (WGS-84).

Each origin is snapped to the nearest point on a road edge of the road graph's main (largest
strongly connected) component — not to the nearest node, which on a long rural road can be
kilometres away while the road passes by. An origin farther than ``snap_max_m`` from every road
is an error naming the origin and the distance: an origin in the sea is never silently moved.
A trip starts at the snapped point: it reaches the edge's two end nodes after the share of the
edge's travel time between them (only in the directions the edge may be driven), see
:func:`origin_starts`. A station origin on the multimodal graph also starts at the station's
access node (``rail_stations.road_node_id``, where the multimodal graph attaches its boarding
arcs), so trains can be boarded there at the boarding cost and without driving first.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import connected_components

from spatialint.errors import ConfigError, DataError
from spatialint.fileio import atomic_path
from spatialint.geo import WGS84, to_metric, utm_crs_for
from spatialint.network.graph import CSRGraph

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
    "edge_u",
    "edge_v",
    "edge_fraction",
    "station_node_id",
    "station_road_node_id",
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
    edges: gpd.GeoDataFrame,
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
        The road graph; origins snap to edges of its main strongly connected component.
    edges
        ``network/road_edges.parquet`` (``u``, ``v``, LineString) of that graph.
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
        ``node_id`` (the road node nearest along the snapped edge), ``snap_m`` (distance to
        the road), ``edge_u``, ``edge_v``, ``edge_fraction`` (the snapped point on edge
        u → v, as a fraction of its length from u), ``station_node_id`` and
        ``station_road_node_id`` (OSM id and road access node of a station origin's station,
        else missing) and the origin's Point (EPSG:4326).

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
    snap = _snap_to_edges(graph, edges, table, snap_max_m=snap_max_m)
    station_road = _station_access(graph, table)
    out = gpd.GeoDataFrame(
        {
            "origin_id": np.arange(1, len(table) + 1, dtype=np.int64),
            "name": table["name"].astype(str),
            "kind": table["kind"].astype(str),
            "matched": table["matched"].astype(str),
            "node_id": snap["node_id"],
            "snap_m": np.round(snap["snap_m"], 1),
            "edge_u": snap["edge_u"],
            "edge_v": snap["edge_v"],
            "edge_fraction": np.round(snap["edge_fraction"], 6),
            "station_node_id": pd.array(table["station_node_id"], dtype="Int64"),
            "station_road_node_id": station_road,
        },
        geometry=gpd.points_from_xy(table["lon"], table["lat"]),
        crs=WGS84,
    )
    for r in out.itertuples():
        logger.info(
            "origin %d %r (%s %r) -> %.0f m from road edge %d-%d, nearest node %d",
            r.origin_id, r.name, r.kind, r.matched, r.snap_m, r.edge_u, r.edge_v, r.node_id,
        )  # fmt: skip
    return out[ORIGIN_COLUMNS]


def _to_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if frame.crs is None:
        raise DataError("A layer of places/stations has no CRS; it must be EPSG:4326.")
    return frame if frame.crs.equals(WGS84) else frame.to_crs(WGS84)


def _snap_to_edges(
    graph: CSRGraph, edges: gpd.GeoDataFrame, table: pd.DataFrame, *, snap_max_m: float
) -> dict[str, np.ndarray]:
    """Nearest point on a main-component road edge for each origin; raises past snap_max_m."""
    lon = table["lon"].to_numpy(float)
    lat = table["lat"].to_numpy(float)
    crs = utm_crs_for(np.append(graph.x, lon), np.append(graph.y, lat))
    if edges.crs is None:
        raise DataError("road edges have no CRS; they must be in EPSG:4326.")
    u, v = graph.edge_positions(edges["u"].to_numpy(), edges["v"].to_numpy())
    main = main_component(graph)
    usable = np.flatnonzero(main[u] & main[v])
    if usable.size == 0:
        raise DataError("The road network has no usable edges; no origin can be placed on it.")
    lines = np.asarray(edges.geometry.iloc[usable].to_crs(crs).array, dtype=object)
    ox, oy = to_metric(lon, lat, crs)
    pts = shapely.points(ox, oy)
    tree = shapely.STRtree(lines)
    (which, hit), dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
    order = np.argsort(which, kind="stable")
    which, hit, dist = which[order], hit[order], dist[order]
    far = np.flatnonzero(~(dist <= snap_max_m))
    if far.size:
        i = int(which[far[0]])
        raise DataError(
            f"Origin {table['name'].iloc[i]!r} ({table['kind'].iloc[i]} at "
            f"{lon[i]:.5f}, {lat[i]:.5f}) is {dist[far[0]]:,.0f} m from the nearest road of the "
            f"network (access.snap_max_m = {snap_max_m:,.0f} m). It is outside the road network "
            "(in the sea, or outside the study area?): fix its location, or raise snap_max_m if "
            "the distance is right."
        )
    edge = usable[hit]
    line = lines[hit]
    along = shapely.line_locate_point(line, pts[which], normalized=True)
    # fractions count from u: flip where the geometry runs from v to u
    first = shapely.get_coordinates(shapely.get_point(line, 0))
    ux, uy = to_metric(graph.x[u[edge]], graph.y[u[edge]], crs)
    vx, vy = to_metric(graph.x[v[edge]], graph.y[v[edge]], crs)
    backwards = np.hypot(first[:, 0] - vx, first[:, 1] - vy) < np.hypot(
        first[:, 0] - ux, first[:, 1] - uy
    )
    fraction = np.where(backwards, 1.0 - along, along)
    near_node = np.where(fraction <= 0.5, u[edge], v[edge])
    return {
        "node_id": graph.node_ids[near_node],
        "snap_m": dist,
        "edge_u": graph.node_ids[u[edge]],
        "edge_v": graph.node_ids[v[edge]],
        "edge_fraction": fraction,
    }


def _station_access(graph: CSRGraph, table: pd.DataFrame) -> pd.arrays.IntegerArray:
    """The road access node of each station origin (missing for other kinds)."""
    out = pd.array([pd.NA] * len(table), dtype="Int64")
    for i, node in enumerate(table["road_node"]):
        if node is None or pd.isna(node):
            continue
        try:
            graph.index_of(np.array([int(node)]))
        except KeyError:
            logger.warning(
                "origin %r: the station's road node %s is not in the road graph; the origin "
                "starts from its nearest road only",
                table["name"].iloc[i], node,
            )  # fmt: skip
            continue
        out[i] = int(node)
    return out


def origin_starts(
    origins: pd.DataFrame, graph: CSRGraph, *, mode: str
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Where and when each origin's trips enter ``graph``: (node positions, seconds) per origin.

    From the snapped point on edge u → v at fraction f, node v is reached after
    ``(1 - f) × t(u → v)`` if the edge may be driven u → v, and node u after ``f × t(v → u)``
    if it may be driven v → u. On the multimodal graph a station origin also starts at its
    station's access node at 0 s (the traveller is at the station; boarding arcs from there
    carry the access and boarding penalties).
    """
    if mode not in ("road", "multimodal"):
        raise ConfigError(f"Unknown mode {mode!r}; use road or multimodal.")
    try:
        u = graph.index_of(origins["edge_u"].to_numpy(np.int64))
        v = graph.index_of(origins["edge_v"].to_numpy(np.int64))
    except KeyError as err:
        raise DataError(
            f"Origins sit on road edges missing from the {mode} graph ({err}); origins.gpkg and "
            "the graph come from different runs: rerun the origins step."
        ) from err
    frac = origins["edge_fraction"].to_numpy(float)
    matrix = graph.matrix
    station = pd.array(origins["station_road_node_id"], dtype="Int64")
    starts = []
    for i in range(len(origins)):
        pos, secs = [], []
        t_uv, t_vu = matrix[u[i], v[i]], matrix[v[i], u[i]]
        if t_uv > 0:
            pos.append(v[i])
            secs.append((1.0 - frac[i]) * t_uv)
        if t_vu > 0:
            pos.append(u[i])
            secs.append(frac[i] * t_vu)
        if not pos:  # the edge's arc is shadowed by a faster parallel one: start at the node
            pos.append(u[i] if frac[i] <= 0.5 else v[i])
            secs.append(0.0)
        if mode == "multimodal" and not pd.isna(station[i]):
            pos.append(int(graph.index_of(np.array([int(station[i])]))[0]))
            secs.append(0.0)
        starts.append((np.asarray(pos, dtype=np.int64), np.asarray(secs, dtype=np.float64)))
    return starts


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
    for column in ("station_node_id", "station_road_node_id"):
        frame[column] = pd.array(frame[column], dtype="Int64")
    return frame.sort_values("origin_id", ignore_index=True)


def run_origins_stage(
    inputs: Mapping[str, str | Path],
    outputs: Mapping[str, str | Path],
    study: Mapping[str, Any],
) -> gpd.GeoDataFrame:
    """Resolve a study's ``access.origins`` onto its road network and write them.

    Parameters
    ----------
    inputs
        Paths by the ``origins`` rule's input names: ``places``, ``units``, ``stations``,
        ``road_graph``, ``road_edges``.
    outputs
        Paths by the rule's output names: ``origins`` (:func:`write_origins`).
    study
        The validated study config (its ``access`` section).

    Returns
    -------
    geopandas.GeoDataFrame
        The origins that were written.

    Raises
    ------
    ConfigError
        If the study lists no origin.
    """
    access = study["access"]
    if not access["origins"]:
        raise ConfigError(
            f"Study {study['name']!r} has no access.origins; add at least one origin (a place, "
            f"unit, station or lon/lat) to workflow/config/studies/{study['name']}.yaml."
        )
    origins = resolve_origins(
        access["origins"],
        graph=CSRGraph.load(inputs["road_graph"]),
        edges=gpd.read_parquet(inputs["road_edges"], columns=["u", "v", "geometry"]),
        snap_max_m=access["snap_max_m"],
        places=gpd.read_parquet(inputs["places"]),
        units=gpd.read_file(inputs["units"], layer="admin_units"),
        stations=gpd.read_parquet(inputs["stations"]),
    )
    write_origins(origins, outputs["origins"])
    return origins
