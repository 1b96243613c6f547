"""The unsimplified drivable graph: one directed arc per way segment and allowed direction.

Each pair of consecutive located way nodes of a drivable way becomes one directed arc per
allowed direction (:mod:`spatialint.network.road_tags`), its length the great-circle distance
(the same formula osmnx uses).  Only the largest strongly connected component is kept (every
kept node can reach and be reached from every other); what was dropped is counted per admin unit
in the report and the log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from spatialint.errors import DataError
from spatialint.geo import WGS84
from spatialint.network.road_tags import drivable_mask, way_directions, way_speeds_kph
from spatialint.network.simplify import factorize_sorted, sorted_unique
from spatialint.network.unit_lookup import assign_units, count_per_unit, per_unit_text
from spatialint.osm.ways import WayTable, haversine_m

logger = logging.getLogger(__name__)

#: Edge attributes whose change along a chain keeps a node as an endpoint (osmnx edge_attrs_differ).
SIMPLIFY_DIFFER = ("highway", "name", "ref", "oneway", "speed_kph")


@dataclass(frozen=True)
class RoadArcs:
    """The unsimplified drivable graph (largest strongly connected component) as arrays.

    ``u``/``v`` are positions into ``node_ids``/``lon``/``lat``; ``way`` positions into
    ``ways`` (one row per drivable way: osmid, highway, name, ref, oneway, speed_kph,
    attr_class).
    """

    node_ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    u: np.ndarray
    v: np.ndarray
    way: np.ndarray
    length_m: np.ndarray
    ways: pd.DataFrame
    report: dict[str, Any]


@dataclass(frozen=True)
class _Arcs:
    """All directed arcs of the drivable ways, before the component filter."""

    node_ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    u: np.ndarray
    v: np.ndarray
    way: np.ndarray
    length_m: np.ndarray


def way_attributes(
    tags: pd.DataFrame,
    direction: np.ndarray,
    *,
    speeds_kph: Mapping[str, float],
    maxspeed_zones_kph: Mapping[str, float],
) -> pd.DataFrame:
    """One row per drivable way: osmid, highway, name, ref, oneway, speed_kph and the
    ``attr_class`` that numbers the distinct :data:`SIMPLIFY_DIFFER` combinations.
    ``direction`` is :func:`~spatialint.network.road_tags.way_directions` of ``tags``."""
    speed = way_speeds_kph(
        tags["highway"], tags["maxspeed"], speeds_kph=speeds_kph, zones_kph=maxspeed_zones_kph
    )
    attrs = pd.DataFrame(
        {
            "osmid": tags["osmid"].to_numpy(dtype=np.int64),
            "highway": tags["highway"].to_numpy(dtype=object),
            "name": tags["name"].to_numpy(dtype=object),
            "ref": tags["ref"].to_numpy(dtype=object),
            "oneway": direction != 0,
            "speed_kph": speed,
        }
    )
    attrs["attr_class"] = (
        attrs[list(SIMPLIFY_DIFFER)]
        .fillna({"name": "", "ref": ""})
        .groupby(list(SIMPLIFY_DIFFER), sort=False, dropna=False)
        .ngroup()
        .to_numpy()
    )
    return attrs


def directed_arcs(drive: WayTable, direction: np.ndarray, *, source: str) -> _Arcs:
    """One arc per segment of a drivable way and allowed direction, nodes numbered by id.

    Raises
    ------
    DataError
        No segment has both its nodes located.
    """
    a_idx, b_idx = drive.segments()
    if len(a_idx) == 0:
        raise DataError(
            f"{source}: the drivable ways have no segment with both nodes located; the "
            "extract lacks their nodes."
        )
    seg_way = drive.way_index()[a_idx]
    seg_len = haversine_m(drive.lon[a_idx], drive.lat[a_idx], drive.lon[b_idx], drive.lat[b_idx])
    located = np.isfinite(drive.lon) & np.isfinite(drive.lat)
    node_ids, first_pos, inverse = factorize_sorted(drive.node_ids[located])
    entry_node = np.full(len(drive.node_ids), -1, dtype=np.int64)
    entry_node[np.flatnonzero(located)] = inverse
    seg_a, seg_b = entry_node[a_idx], entry_node[b_idx]
    fwd = direction[seg_way] >= 0
    bwd = direction[seg_way] <= 0
    return _Arcs(
        node_ids=node_ids,
        lon=drive.lon[located][first_pos],
        lat=drive.lat[located][first_pos],
        u=np.concatenate([seg_a[fwd], seg_b[bwd]]),
        v=np.concatenate([seg_b[fwd], seg_a[bwd]]),
        way=np.concatenate([seg_way[fwd], seg_way[bwd]]),
        length_m=np.concatenate([seg_len[fwd], seg_len[bwd]]),
    )


def largest_component(
    arcs: _Arcs, units: gpd.GeoDataFrame
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Nodes and arcs of the largest strongly connected component, and a report of what the
    other components held, per admin unit."""
    n_all = len(arcs.node_ids)
    adjacency = sp.csr_array(
        (np.ones(len(arcs.u), dtype=np.int8), (arcs.u, arcs.v)), shape=(n_all, n_all)
    )
    n_comp, labels = connected_components(adjacency, directed=True, connection="strong")
    keep_node = labels == int(np.argmax(np.bincount(labels)))
    keep_arc = keep_node[arcs.u] & keep_node[arcs.v]
    dropped = np.flatnonzero(~keep_node)
    dropped_units = assign_units(arcs.lon[dropped], arcs.lat[dropped], units)
    # a dropped arc counts in the unit of its dropped end (its tail when both are dropped)
    unit_of = np.full(n_all, None, dtype=object)
    unit_of[dropped] = dropped_units
    lost = np.flatnonzero(~keep_arc)
    lost_units = unit_of[np.where(~keep_node[arcs.u[lost]], arcs.u[lost], arcs.v[lost])]
    report: dict[str, Any] = {
        "components": int(n_comp),
        "nodes_before": int(n_all),
        "arcs_before": int(len(arcs.u)),
        "nodes_dropped": int(len(dropped)),
        "arcs_dropped": int((~keep_arc).sum()),
        "dropped_per_unit": count_per_unit(dropped_units),
        "arcs_dropped_per_unit": count_per_unit(lost_units),
    }
    logger.info(
        "largest strongly connected component keeps %d of %d nodes and %d of %d arcs; dropped "
        "%d nodes / %d arcs in %d other components (dropped nodes per unit: %s; dropped arcs "
        "per unit: %s)",
        n_all - len(dropped),
        n_all,
        int(keep_arc.sum()),
        len(arcs.u),
        len(dropped),
        report["arcs_dropped"],
        n_comp - 1,
        per_unit_text(dropped_units, units),
        per_unit_text(lost_units, units),
    )
    return keep_node, keep_arc, report


def road_arcs(
    ways: WayTable,
    units: gpd.GeoDataFrame,
    *,
    highway_classes: Sequence[str],
    speeds_kph: Mapping[str, float],
    maxspeed_zones_kph: Mapping[str, float],
    source: str = "the extract",
) -> RoadArcs:
    """Directed arcs between consecutive way nodes of drivable ways, largest SCC only.

    Raises
    ------
    DataError
        No drivable way, or none with located nodes.
    """
    drive = ways.subset(drivable_mask(ways.tags, highway_classes=highway_classes))
    if drive.n_ways == 0:
        raise DataError(
            f"{source} holds no drivable road (highway = {', '.join(highway_classes)}); check "
            "that the extract covers the study area and was not filtered too strictly."
        )
    direction = way_directions(drive.tags)
    attrs = way_attributes(
        drive.tags, direction, speeds_kph=speeds_kph, maxspeed_zones_kph=maxspeed_zones_kph
    )
    arcs = directed_arcs(drive, direction, source=source)
    logger.info(
        "%d drivable ways → %d nodes, %d directed arcs before simplification",
        drive.n_ways,
        len(arcs.node_ids),
        len(arcs.u),
    )
    _, keep_arc, report = largest_component(arcs, units)
    return RoadArcs(
        node_ids=arcs.node_ids,
        lon=arcs.lon,
        lat=arcs.lat,
        u=arcs.u[keep_arc],
        v=arcs.v[keep_arc],
        way=arcs.way[keep_arc],
        length_m=arcs.length_m[keep_arc],
        ways=attrs,
        report=report,
    )


def unsimplified_gdfs(arcs: RoadArcs) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Node and edge GeoDataFrames of the unsimplified arcs, shaped for
    ``ox.convert.graph_from_gdfs`` (nodes indexed by osmid with x/y; edges by u, v, key)."""
    used = sorted_unique(np.concatenate([arcs.u, arcs.v]))
    nodes = gpd.GeoDataFrame(
        {"x": arcs.lon[used], "y": arcs.lat[used]},
        geometry=shapely.points(arcs.lon[used], arcs.lat[used]),
        index=pd.Index(arcs.node_ids[used], name="osmid"),
        crs=WGS84,
    )
    u_id, v_id = arcs.node_ids[arcs.u], arcs.node_ids[arcs.v]
    order, key_in_order = parallel_order(u_id, v_id, np.zeros(len(u_id)))
    key = np.empty(len(order), dtype=np.int64)
    key[order] = key_in_order
    attrs = arcs.ways.iloc[arcs.way].reset_index(drop=True).drop(columns="attr_class")
    xy = np.column_stack([arcs.lon, arcs.lat])
    geoms = shapely.linestrings(np.stack([xy[arcs.u], xy[arcs.v]], axis=1))
    edges = gpd.GeoDataFrame(attrs.assign(length=arcs.length_m), geometry=geoms, crs=WGS84)
    edges.index = pd.MultiIndex.from_arrays([u_id, v_id, key], names=["u", "v", "key"])
    return nodes, edges


def parallel_order(
    u: np.ndarray, v: np.ndarray, length_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Edges sorted by (u, v, length, position), and osmnx's ``key`` of each edge in that
    order: its rank among the parallel edges u→v, shortest first."""
    n = len(u)
    order = np.lexsort((length_m, v, u))
    key = np.zeros(n, dtype=np.int64)
    if n:
        su, sv = u[order], v[order]
        new = np.ones(n, dtype=bool)
        new[1:] = (su[1:] != su[:-1]) | (sv[1:] != sv[:-1])
        key = np.arange(n) - np.maximum.accumulate(np.where(new, np.arange(n), 0))
    return order, key
