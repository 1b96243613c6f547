"""The drivable road network of a study: OSM PBF → simplified, directed, timed road graph.

Steps (all vectorised over numpy arrays; no Python loop per node or edge):

1. :func:`read_road_ways` reads every ``highway=*`` way with its node locations from the PBF
   (pyosmium, :mod:`spatialint.osm.ways`).
2. Drivable ways are those whose ``highway`` is in ``network.highway_classes`` and that are not
   closed to cars (``access`` / ``motor_vehicle`` / ``motorcar`` = ``no`` or ``private``,
   ``area=yes``).  ``highway=construction|proposed`` ways go to the planned-ways table instead.
3. Direction per way: ``oneway=yes|true|1`` forward only, ``oneway=-1|reverse`` backward only,
   ``junction=roundabout|circular`` and ``highway=motorway`` forward only unless ``oneway=no``;
   everything else (including ``oneway=reversible|alternating``) both ways.  Each pair of
   consecutive way nodes becomes one directed arc per allowed direction, its length the
   great-circle distance (the same formula osmnx uses).
4. Speed per way: the tagged ``maxspeed`` (:func:`parse_maxspeed`: km/h, ``mph``, ``knots``,
   zone values such as ``CN:urban`` through ``network.maxspeed_zones_kph``, lists such as
   ``60;80`` averaged as osmnx does), else the class default ``network.speeds_kph``.
5. Only the largest strongly connected component is kept (every kept node can reach and be
   reached from every other); what was dropped is logged with counts per admin unit.
6. Simplification (:func:`simplify_arcs`) merges chains of arcs through nodes that are not
   endpoints, with exactly osmnx's endpoint rules (``simplify_graph``: self-loop, dead end or
   source/sink, not exactly two neighbours with 2 or 4 incident arcs) plus osmnx's
   ``edge_attrs_differ`` rule on ``highway``, ``name``, ``ref``, ``oneway`` and ``speed_kph``, so
   every simplified edge has one class, one name and one speed.  Its ``osmid`` is the way of the
   edge's first segment.  The road node nearest to each railway station and ``place=*`` node
   is kept as an endpoint too (osmnx's ``node_attrs_include`` rule), so stations and centres
   snap to the road beside them.  Isolated rings without endpoints are dropped as osmnx does.  The
   result is tested equal to ``osmnx.simplify_graph`` on the real extracts; it is our own
   vectorised implementation because osmnx's walks a networkx graph node by node
   (``benchmarks/road_network.py`` measures both).
7. Every node gets the admin unit (``admin.border_level``) it lies in; every edge the unit of its
   midpoint; outside all units: null.
8. ``travel_time_s = length_m / speed_kph * 3.6`` on every edge; the CSR graph keeps the fastest of
   parallel edges.

:func:`to_multidigraph` turns the result into an osmnx MultiDiGraph (``ox.convert.graph_from_gdfs``)
for anyone who wants osmnx's tools on it.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from spatialint.errors import ConfigError, DataError
from spatialint.fileio import atomic_path
from spatialint.geo import WGS84, NearestNodes
from spatialint.network.graph import CSRGraph
from spatialint.osm.ways import WayTable, as_text, haversine_m, read_osm

logger = logging.getLogger(__name__)

MPH_TO_KPH = 1.609344
KNOT_TO_KPH = 1.852
#: Walking pace for ``maxspeed=walk`` (StVO "Schrittgeschwindigkeit", taken as 5 km/h).
WALK_SPEED_KPH = 5.0
PLANNED_HIGHWAY = ("construction", "proposed")
CLOSED_ACCESS = frozenset({"no", "private"})
ONEWAY_FORWARD = frozenset({"yes", "true", "1"})
ONEWAY_BACKWARD = frozenset({"-1", "reverse"})
ONEWAY_BOTH = frozenset({"no", "false", "0"})
ROUNDABOUT = frozenset({"roundabout", "circular"})
#: Edge attributes whose change along a chain keeps a node as an endpoint (osmnx edge_attrs_differ).
SIMPLIFY_DIFFER = ("highway", "name", "ref", "oneway", "speed_kph")
WAY_KEYS = (
    "highway",
    "name",
    "ref",
    "oneway",
    "junction",
    "maxspeed",
    "access",
    "motor_vehicle",
    "motorcar",
    "area",
    "construction",
    "proposed",
)

NODE_COLUMNS = ["node_id", "x", "y", "unit_id", "street_count"]
EDGE_COLUMNS = [
    "u",
    "v",
    "key",
    "osmid",
    "highway",
    "name",
    "ref",
    "oneway",
    "length_m",
    "speed_kph",
    "travel_time_s",
    "unit_id",
]
PLANNED_COLUMNS = ["osmid", "highway", "planned_class", "name", "ref"]

_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$", re.IGNORECASE)
_ZONE_NUMBER = re.compile(r"^[A-Z]{2}:zone:?(\d+)$", re.IGNORECASE)


# --------------------------------------------------------------------------------------------
# speeds


def _parse_one(value: str, zones_kph: Mapping[str, float]) -> float:
    """Speed in km/h of one maxspeed value (no list), NaN when unknown."""
    value = value.strip()
    if value in zones_kph:
        return float(zones_kph[value])
    if value.lower() == "walk":
        return WALK_SPEED_KPH
    match = _NUMBER.match(value)
    if match:
        number = float(match.group(1))
        unit = (match.group(2) or "").lower()
        if unit == "mph":
            number *= MPH_TO_KPH
        elif unit == "knots":
            number *= KNOT_TO_KPH
        return number if number > 0 else math.nan
    match = _ZONE_NUMBER.match(value)
    if match:
        return float(match.group(1))
    return math.nan


def parse_maxspeed(value: str | None, *, zones_kph: Mapping[str, float]) -> float:
    """Parse an OSM ``maxspeed`` value to km/h; NaN when missing or not understood.

    Understands plain numbers (km/h), ``"30 mph"``, ``"10 knots"``, ``"walk"``, zone values
    listed in ``zones_kph`` (``"CN:urban"``, ``"FR:rural"``...), ``"DE:zone30"`` style zones, and
    lists ``"60;80"`` / ``"60|80"`` (mean of the understood parts, as osmnx does).  ``"none"``,
    ``"signals"``, ``"variable"`` and unknown zones give NaN, so the class default applies.
    """
    if value is None:
        return math.nan
    parts = [p for p in re.split(r"[;|]", str(value)) if p.strip()]
    speeds = [s for s in (_parse_one(p, zones_kph) for p in parts) if not math.isnan(s)]
    return float(np.mean(speeds)) if speeds else math.nan


def way_speeds_kph(
    highway: pd.Series,
    maxspeed: pd.Series,
    *,
    speeds_kph: Mapping[str, float],
    zones_kph: Mapping[str, float],
) -> np.ndarray:
    """Speed per way: parsed maxspeed, else the class default. Unknown values are logged."""
    missing = sorted(set(highway.unique()) - set(speeds_kph))
    if missing:
        raise ConfigError(
            f"highway class(es) {missing} are in network.highway_classes but have no default "
            "speed in network.speeds_kph; add a speed (km/h) for each."
        )
    codes, uniques = pd.factorize(maxspeed, use_na_sentinel=True)
    parsed = np.array([parse_maxspeed(u, zones_kph=zones_kph) for u in uniques], dtype=float)
    tagged = np.where(codes >= 0, parsed[np.maximum(codes, 0)] if len(parsed) else np.nan, np.nan)
    bad = (codes >= 0) & np.isnan(tagged)
    if bad.any():
        counts = pd.Series(maxspeed[bad]).value_counts()
        logger.warning(
            "%d way(s) have a maxspeed value not understood (class default used instead): %s",
            int(bad.sum()),
            ", ".join(f"{k!r}×{v}" for k, v in counts.head(8).items()),
        )
    default = highway.map(dict(speeds_kph)).to_numpy(dtype=float)
    return np.where(np.isnan(tagged), default, tagged)


def way_directions(tags: pd.DataFrame) -> np.ndarray:
    """+1 forward only, -1 backward only, 0 both ways, per way (see the module docstring)."""
    oneway = tags["oneway"].fillna("").astype(str).str.strip().str.lower()
    junction = tags["junction"].fillna("").astype(str).str.lower()
    implied = junction.isin(ROUNDABOUT) | (tags["highway"] == "motorway")
    forward = oneway.isin(ONEWAY_FORWARD) | (implied & ~oneway.isin(ONEWAY_BOTH | ONEWAY_BACKWARD))
    backward = oneway.isin(ONEWAY_BACKWARD)
    return np.where(forward, 1, np.where(backward, -1, 0)).astype(np.int8)


# --------------------------------------------------------------------------------------------
# simplification


@dataclass(frozen=True)
class Chains:
    """Result of :func:`simplify_arcs`: which simplified edge each arc belongs to.

    ``chain`` is the simplified-edge number of each arc (-1 for arcs in isolated rings),
    ``rank`` its position along that edge (0 = first arc); ``endpoint`` flags the nodes kept.
    """

    chain: np.ndarray
    rank: np.ndarray
    endpoint: np.ndarray


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values, by sorting (numpy 2.4's hash-based ``np.unique`` is ~100× slower
    on millions of int64 keys)."""
    ordered = np.sort(values)
    keep = np.ones(len(ordered), dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


def factorize_sorted(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(distinct sorted values, index of each one's first occurrence, code of every value)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    new = np.ones(len(ordered), dtype=bool)
    new[1:] = ordered[1:] != ordered[:-1]
    codes_sorted = np.cumsum(new) - 1
    codes = np.empty(len(values), dtype=np.int64)
    codes[order] = codes_sorted
    return ordered[new], order[new], codes


def simplify_arcs(
    u: np.ndarray,
    v: np.ndarray,
    attr_class: np.ndarray,
    *,
    n_nodes: int,
    force_endpoint: np.ndarray | None = None,
) -> Chains:
    """Group directed arcs into simplified edges, exactly as ``osmnx.simplify_graph`` does.

    A node is an endpoint when it has a self-loop, no in-arcs or no out-arcs, not exactly two
    distinct neighbours with 2 or 4 incident arcs, arcs of more than one ``attr_class``
    (osmnx's ``edge_attrs_differ``), or ``force_endpoint`` is set.  Every other node lies
    inside a chain; chains start at an arc leaving an endpoint.  Nodes with 4 arcs to two
    neighbours that are not one in- and one out-arc per neighbour (two one-way ways in the same
    direction side by side) are also endpoints, which osmnx leaves ambiguous.

    Works by list ranking (pointer jumping) over arrays: O(arcs · log(longest chain)).
    """
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    attr_class = np.asarray(attr_class, dtype=np.int64)
    m = len(u)
    n = np.int64(max(n_nodes, 1))
    in_deg = np.bincount(v, minlength=n_nodes)
    out_deg = np.bincount(u, minlength=n_nodes)
    degree = in_deg + out_deg
    # distinct directed pairs → distinct in-/out-neighbours; distinct undirected → neighbours
    pairs = sorted_unique(u * n + v)
    pu, pv = pairs // n, pairs % n
    in_nbrs = np.bincount(pv, minlength=n_nodes)
    out_nbrs = np.bincount(pu, minlength=n_nodes)
    und = sorted_unique(np.minimum(pu, pv) * n + np.maximum(pu, pv))
    lo, hi = und // n, und % n
    neighbours = np.bincount(lo, minlength=n_nodes) + np.bincount(hi[hi != lo], minlength=n_nodes)
    # more than one attribute class among a node's arcs
    big = np.iinfo(np.int64).max
    cls_min = np.full(n_nodes, big, dtype=np.int64)
    cls_max = np.full(n_nodes, -1, dtype=np.int64)
    for ends in (u, v):
        np.minimum.at(cls_min, ends, attr_class)
        np.maximum.at(cls_max, ends, attr_class)
    classes_differ = (cls_max >= 0) & (cls_min != cls_max)
    self_loop = np.zeros(n_nodes, dtype=bool)
    self_loop[u[u == v]] = True
    endpoint = (
        self_loop
        | (in_deg == 0)
        | (out_deg == 0)
        | ~((neighbours == 2) & ((degree == 2) | (degree == 4)))
        | classes_differ
        | (in_nbrs != in_deg)
        | (out_nbrs != out_deg)
    )
    if force_endpoint is not None:
        endpoint |= np.asarray(force_endpoint, dtype=bool)

    # prev[s]: for an arc s = a→b leaving a non-endpoint a, the arc into a whose tail is not b.
    by_head = np.argsort(v, kind="stable")
    head_start = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(in_deg, out=head_start[1:])
    is_start = endpoint[u]
    prev = np.arange(m, dtype=np.int64)
    inner = np.flatnonzero(~is_start)
    a = u[inner]
    first_in = by_head[head_start[a]]
    second_in = by_head[np.minimum(head_start[a] + 1, m - 1)]
    use_second = (in_deg[a] == 2) & (u[first_in] == v[inner])
    prev[inner] = np.where(use_second, second_in, first_in)

    rank = np.where(is_start, 0, 1).astype(np.int64)
    jump = prev
    max_iter = max(1, int(math.ceil(math.log2(max(m, 2)))) + 1)
    for _ in range(max_iter):
        if is_start[jump].all():
            break
        rank = rank + rank[jump]
        jump = jump[jump]
    in_ring = ~is_start[jump]
    if in_ring.any():
        logger.info(
            "simplification drops %d arcs in isolated rings without endpoints", int(in_ring.sum())
        )
    head = np.where(in_ring, -1, jump)
    # number the chains 0..k-1 by their start arc
    starts = np.flatnonzero(is_start)
    chain_of_start = np.full(m, -1, dtype=np.int64)
    chain_of_start[starts] = np.arange(len(starts))
    chain = np.where(head >= 0, chain_of_start[np.maximum(head, 0)], -1)
    return Chains(chain=chain, rank=np.where(head >= 0, rank, -1), endpoint=endpoint)


@dataclass(frozen=True)
class ChainEdges:
    """One simplified edge per chain: its first and last arc, length, shape and midpoint."""

    first_arc: np.ndarray
    last_arc: np.ndarray
    length_m: np.ndarray
    geometry: np.ndarray
    mid_lon: np.ndarray
    mid_lat: np.ndarray


def chain_edges(
    chains: Chains, u: np.ndarray, v: np.ndarray, length_m: np.ndarray, xy: np.ndarray
) -> ChainEdges:
    """Collapse each chain of arcs into one edge (all vectorised).

    The shape is the arcs' tail points in rank order plus the last head point; the midpoint is
    the point at half the chain's great-circle length (interpolated linearly within its arc).
    """
    idx = np.flatnonzero(chains.chain >= 0)
    order = idx[np.lexsort((chains.rank[idx], chains.chain[idx]))]
    ch = chains.chain[order]
    n_chains = int(ch[-1]) + 1 if len(ch) else 0
    counts = np.bincount(ch, minlength=n_chains)
    ends = np.cumsum(counts)  # one past each chain's last arc, in `order`
    starts = ends - counts
    first_arc, last_arc = order[starts], order[ends - 1]
    seg_len = length_m[order]
    cum = np.cumsum(seg_len)
    before = np.concatenate([[0.0], cum])[starts]
    total = cum[ends - 1] - before if n_chains else np.zeros(0)
    # midpoint: first arc whose cumulative length reaches half the chain
    target = before + total / 2
    at = np.minimum(np.searchsorted(cum, target, side="left"), ends - 1)
    arc = order[at]
    frac = np.where(
        seg_len[at] > 0,
        (target - (cum[at] - seg_len[at])) / np.where(seg_len[at] > 0, seg_len[at], 1),
        0.0,
    )
    frac = np.clip(frac, 0.0, 1.0)
    tail, head = xy[u[arc]], xy[v[arc]]
    mid = tail + (head - tail) * frac[:, None]
    # shapes: chain c's points go to positions starts[c] + c ... ends[c] + c
    total_points = len(order) + n_chains
    coords = np.empty((total_points, 2), dtype=np.float64)
    pos = np.arange(len(order)) + ch
    coords[pos] = xy[u[order]]
    coords[ends - 1 + np.arange(n_chains) + 1] = xy[v[last_arc]]
    offsets = np.concatenate([[0], ends + np.arange(1, n_chains + 1)])
    geometry = shapely.from_ragged_array(
        shapely.GeometryType.LINESTRING, coords, (offsets.astype(np.int64),)
    )
    return ChainEdges(
        first_arc=first_arc,
        last_arc=last_arc,
        length_m=total,
        geometry=geometry,
        mid_lon=mid[:, 0],
        mid_lat=mid[:, 1],
    )


# --------------------------------------------------------------------------------------------
# admin units


def load_units(path: str | Path, *, level: int) -> gpd.GeoDataFrame:
    """The admin units of ``level`` from ``admin_units.gpkg`` (layer ``admin_units``)."""
    try:
        units = gpd.read_file(path, layer="admin_units")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as err:
        raise DataError(
            f"cannot read admin units from {path} (layer 'admin_units'): {err}; run the "
            "admin_units step first."
        ) from err
    for column in ("unit_id", "admin_level"):
        if column not in units.columns:
            raise DataError(f"{path} layer admin_units has no column {column!r}.")
    units = units.to_crs(WGS84)
    chosen = units[units["admin_level"].astype(int) == int(level)].reset_index(drop=True)
    if chosen.empty:
        present = sorted(units["admin_level"].dropna().astype(int).unique().tolist())
        raise DataError(
            f"{path} has no admin units at admin_level {level} (admin.border_level); levels "
            f"present: {present}. Set admin.border_level to one of them in the study config."
        )
    return chosen


def unit_index(lon: np.ndarray, lat: np.ndarray, units: gpd.GeoDataFrame) -> np.ndarray:
    """Row of ``units`` containing each point (first unit on shared borders), else -1.

    Points are sorted by longitude once; each unit tests only the points in its x-range and bbox
    with ``shapely.intersects_xy`` on the prepared polygon — no point objects are created.
    """
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    out = np.full(len(lon), -1, dtype=np.int64)
    if len(lon) == 0 or units.empty:
        return out
    order = np.argsort(lon, kind="stable")
    sorted_lon = lon[order]
    found = np.zeros(len(lon), dtype=bool)
    geoms = units.geometry.to_numpy()
    for row, (geom, (west, south, east, north)) in enumerate(
        zip(geoms, shapely.bounds(geoms), strict=True)
    ):
        if geom is None or shapely.is_empty(geom):
            continue
        lo = np.searchsorted(sorted_lon, west, side="left")
        hi = np.searchsorted(sorted_lon, east, side="right")
        candidates = order[lo:hi]
        candidates = candidates[
            ~found[candidates] & (lat[candidates] >= south) & (lat[candidates] <= north)
        ]
        if len(candidates) == 0:
            continue
        shapely.prepare(geom)
        inside = candidates[shapely.intersects_xy(geom, lon[candidates], lat[candidates])]
        out[inside] = row
        found[inside] = True
    return out


def assign_units(lon: np.ndarray, lat: np.ndarray, units: gpd.GeoDataFrame) -> np.ndarray:
    """``unit_id`` of the unit containing each point (first unit on shared borders), else None."""
    rows = unit_index(lon, lat, units)
    out = np.full(len(rows), None, dtype=object)
    inside = rows >= 0
    out[inside] = units["unit_id"].to_numpy()[rows[inside]]
    return out


def take_text(values: pd.Series | np.ndarray, index: np.ndarray) -> pd.Series:
    """``values[index]`` as a pandas string column, -1 giving NA; done in Arrow (no Python
    string objects per row), which matters at millions of edges."""
    text = pd.Series(values).astype("str").array
    return pd.Series(text.take(np.asarray(index, dtype=np.int64), allow_fill=True))


def _per_unit_text(unit_ids: np.ndarray, units: gpd.GeoDataFrame, limit: int = 10) -> str:
    names = dict(zip(units["unit_id"], units.get("name", units["unit_id"]), strict=False))
    counts = pd.Series(unit_ids, dtype=object).fillna("(outside units)").value_counts()
    parts = [f"{k} {names.get(k, '')}".strip() + f": {v}" for k, v in counts.head(limit).items()]
    if len(counts) > limit:
        parts.append(f"... {len(counts) - limit} more")
    return "; ".join(parts) if parts else "none"


# --------------------------------------------------------------------------------------------
# the network


@dataclass(frozen=True)
class RoadNetwork:
    """The simplified road network and its report."""

    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    planned: gpd.GeoDataFrame
    graph: CSRGraph
    report: dict[str, Any] = field(default_factory=dict)


def read_road_ways(pbf: str | Path, *, highway_classes: Sequence[str] | None = None) -> WayTable:
    """The ``highway=*`` ways of the PBF with the tags the road network uses.

    With ``highway_classes``, only those classes and planned (construction/proposed) ways are
    kept while reading — footways, paths and service roads (often half the highway nodes of a
    real extract) never reach Python's per-node loop.
    """
    if highway_classes is None:

        def way_test(tags: Mapping[str, str]) -> bool:
            return "highway" in tags

    else:
        wanted = frozenset(highway_classes) | frozenset(PLANNED_HIGHWAY)

        def way_test(tags: Mapping[str, str]) -> bool:
            return tags.get("highway") in wanted

    return read_osm(pbf, filter_keys=["highway"], way_test=way_test, way_keys=WAY_KEYS).ways


def planned_ways(ways: WayTable) -> gpd.GeoDataFrame:
    """``highway=construction|proposed`` ways with the class they will have."""
    tags = ways.tags
    mask = tags["highway"].isin(PLANNED_HIGHWAY).to_numpy()
    sub = ways.subset(mask)
    t = sub.tags
    planned_class = np.where(t["highway"] == "construction", t["construction"], t["proposed"])
    frame = pd.DataFrame(
        {
            "osmid": t["osmid"].astype("int64"),
            "highway": t["highway"].astype(object),
            "planned_class": pd.Series(planned_class, dtype=object),
            "name": t["name"].astype(object),
            "ref": t["ref"].astype(object),
        }
    )
    gdf = gpd.GeoDataFrame(frame, geometry=sub.linestrings(), crs=WGS84)
    return as_text(gdf[gdf.geometry.notna()].reset_index(drop=True), PLANNED_COLUMNS[1:])


def drivable_mask(tags: pd.DataFrame, *, highway_classes: Sequence[str]) -> np.ndarray:
    """Ways of a drivable class that cars may use."""
    closed = np.zeros(len(tags), dtype=bool)
    for key in ("access", "motor_vehicle", "motorcar"):
        closed |= tags[key].isin(CLOSED_ACCESS).to_numpy()
    closed |= (tags["area"] == "yes").to_numpy()
    return tags["highway"].isin(list(highway_classes)).to_numpy() & ~closed


def _empty_planned() -> gpd.GeoDataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype="str") for c in PLANNED_COLUMNS})
    frame["osmid"] = frame["osmid"].astype("int64")
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)


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


def road_arcs(
    ways: WayTable,
    units: gpd.GeoDataFrame,
    *,
    highway_classes: Sequence[str],
    speeds_kph: Mapping[str, float],
    maxspeed_zones_kph: Mapping[str, float],
    source: str = "the extract",
) -> RoadArcs:
    """Directed arcs between consecutive way nodes of drivable ways, largest SCC only."""
    drive = ways.subset(drivable_mask(ways.tags, highway_classes=highway_classes))
    if drive.n_ways == 0:
        raise DataError(
            f"{source} holds no drivable road (highway = {', '.join(highway_classes)}); check "
            "that the extract covers the study area and was not filtered too strictly."
        )
    tags = drive.tags
    direction = way_directions(tags)
    speed = way_speeds_kph(
        tags["highway"], tags["maxspeed"], speeds_kph=speeds_kph, zones_kph=maxspeed_zones_kph
    )
    way_attrs = pd.DataFrame(
        {
            "osmid": tags["osmid"].to_numpy(dtype=np.int64),
            "highway": tags["highway"].to_numpy(dtype=object),
            "name": tags["name"].to_numpy(dtype=object),
            "ref": tags["ref"].to_numpy(dtype=object),
            "oneway": direction != 0,
            "speed_kph": speed,
        }
    )
    way_attrs["attr_class"] = (
        way_attrs[list(SIMPLIFY_DIFFER)]
        .fillna({"name": "", "ref": ""})
        .groupby(list(SIMPLIFY_DIFFER), sort=False, dropna=False)
        .ngroup()
        .to_numpy()
    )

    # segments between consecutive located way nodes
    way_of = drive.way_index()
    a_idx = np.flatnonzero(way_of[1:] == way_of[:-1])
    b_idx = a_idx + 1
    located = np.isfinite(drive.lon) & np.isfinite(drive.lat)
    ok = located[a_idx] & located[b_idx] & (drive.node_ids[a_idx] != drive.node_ids[b_idx])
    a_idx, b_idx = a_idx[ok], b_idx[ok]
    if len(a_idx) == 0:
        raise DataError(
            f"{source}: the drivable ways have no segment with both nodes located; the "
            "extract lacks their nodes."
        )
    seg_way = way_of[a_idx]
    seg_len = haversine_m(drive.lon[a_idx], drive.lat[a_idx], drive.lon[b_idx], drive.lat[b_idx])

    node_ids, first_pos, inverse = factorize_sorted(drive.node_ids[located])
    entry_node = np.full(len(drive.node_ids), -1, dtype=np.int64)
    entry_node[np.flatnonzero(located)] = inverse
    node_lon = drive.lon[located][first_pos]
    node_lat = drive.lat[located][first_pos]
    n_all = len(node_ids)

    seg_a, seg_b = entry_node[a_idx], entry_node[b_idx]
    fwd = direction[seg_way] >= 0
    bwd = direction[seg_way] <= 0
    arc_u = np.concatenate([seg_a[fwd], seg_b[bwd]])
    arc_v = np.concatenate([seg_b[fwd], seg_a[bwd]])
    arc_way = np.concatenate([seg_way[fwd], seg_way[bwd]])
    arc_len = np.concatenate([seg_len[fwd], seg_len[bwd]])
    logger.info(
        "%d drivable ways → %d nodes, %d directed arcs before simplification",
        drive.n_ways,
        n_all,
        len(arc_u),
    )

    # largest strongly connected component
    adjacency = sp.csr_array(
        (np.ones(len(arc_u), dtype=np.int8), (arc_u, arc_v)), shape=(n_all, n_all)
    )
    n_comp, labels = connected_components(adjacency, directed=True, connection="strong")
    keep_node = labels == int(np.argmax(np.bincount(labels)))
    keep_arc = keep_node[arc_u] & keep_node[arc_v]
    dropped = np.flatnonzero(~keep_node)
    dropped_units = assign_units(node_lon[dropped], node_lat[dropped], units)
    # a dropped arc counts in the unit of its dropped end (its tail when both are dropped)
    unit_of = np.full(n_all, None, dtype=object)
    unit_of[dropped] = dropped_units
    lost = np.flatnonzero(~keep_arc)
    lost_units = unit_of[np.where(~keep_node[arc_u[lost]], arc_u[lost], arc_v[lost])]

    def per_unit(values: np.ndarray) -> dict[str, int]:
        counts = pd.Series(values, dtype=object).fillna("(outside units)").value_counts()
        return {str(k): int(v) for k, v in counts.items()}

    report: dict[str, Any] = {
        "components": int(n_comp),
        "nodes_before": int(n_all),
        "arcs_before": int(len(arc_u)),
        "nodes_dropped": int(len(dropped)),
        "arcs_dropped": int((~keep_arc).sum()),
        "dropped_per_unit": per_unit(dropped_units),
        "arcs_dropped_per_unit": per_unit(lost_units),
    }
    logger.info(
        "largest strongly connected component keeps %d of %d nodes and %d of %d arcs; dropped "
        "%d nodes / %d arcs in %d other components (dropped nodes per unit: %s; dropped arcs "
        "per unit: %s)",
        n_all - len(dropped),
        n_all,
        int(keep_arc.sum()),
        len(arc_u),
        len(dropped),
        report["arcs_dropped"],
        n_comp - 1,
        _per_unit_text(dropped_units, units),
        _per_unit_text(lost_units, units),
    )
    return RoadArcs(
        node_ids=node_ids,
        lon=node_lon,
        lat=node_lat,
        u=arc_u[keep_arc],
        v=arc_v[keep_arc],
        way=arc_way[keep_arc],
        length_m=arc_len[keep_arc],
        ways=way_attrs,
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
    order = np.lexsort((v_id, u_id))
    key = np.zeros(len(order), dtype=np.int64)
    su, sv = u_id[order], v_id[order]
    if len(order):
        new = np.ones(len(order), dtype=bool)
        new[1:] = (su[1:] != su[:-1]) | (sv[1:] != sv[:-1])
        start = np.maximum.accumulate(np.where(new, np.arange(len(order)), 0))
        key[order] = np.arange(len(order)) - start
    attrs = arcs.ways.iloc[arcs.way].reset_index(drop=True).drop(columns="attr_class")
    xy = np.column_stack([arcs.lon, arcs.lat])
    geoms = shapely.linestrings(np.stack([xy[arcs.u], xy[arcs.v]], axis=1))
    edges = gpd.GeoDataFrame(
        attrs.assign(length=arcs.length_m),
        geometry=geoms,
        crs=WGS84,
    )
    edges.index = pd.MultiIndex.from_arrays([u_id, v_id, key], names=["u", "v", "key"])
    return nodes, edges


def anchor_nodes(arcs: RoadArcs, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Flags (per node of ``arcs``) the nearest graph node to each anchor point."""
    flags = np.zeros(len(arcs.node_ids), dtype=bool)
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if len(lon) == 0 or len(arcs.u) == 0:
        return flags
    in_graph = sorted_unique(np.concatenate([arcs.u, arcs.v]))
    near = NearestNodes(arcs.lon[in_graph], arcs.lat[in_graph])
    pos, _ = near.query(lon, lat)
    flags[in_graph[pos]] = True
    return flags


def simplify_road_arcs(
    arcs: RoadArcs,
    units: gpd.GeoDataFrame,
    *,
    anchor_lon: np.ndarray | None = None,
    anchor_lat: np.ndarray | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Simplify the arcs (:func:`simplify_arcs`) into the ``road_nodes`` / ``road_edges`` tables.

    The nearest node to each anchor point (stations, places) is kept as an endpoint — osmnx's
    ``node_attrs_include`` rule — so those points snap to a node on the road beside them
    rather than to a junction kilometres along it.
    """
    n_all = len(arcs.node_ids)
    attr_class = arcs.ways["attr_class"].to_numpy()
    force = None
    if anchor_lon is not None and anchor_lat is not None:
        force = anchor_nodes(arcs, anchor_lon, anchor_lat)
    chains = simplify_arcs(
        arcs.u, arcs.v, attr_class[arcs.way], n_nodes=n_all, force_endpoint=force
    )
    xy = np.column_stack([arcs.lon, arcs.lat])
    collapsed = chain_edges(chains, arcs.u, arcs.v, arcs.length_m, xy)
    del chains
    e_u = arcs.u[collapsed.first_arc]
    e_v = arcs.v[collapsed.last_arc]
    e_way = arcs.way[collapsed.first_arc]
    edge_len = collapsed.length_m
    n_edges = len(e_u)

    # nodes: the endpoints used by an edge, in node-id order
    used = np.zeros(n_all, dtype=bool)
    used[e_u] = True
    used[e_v] = True
    kept = np.flatnonzero(used)
    position = np.full(n_all, -1, dtype=np.int64)
    position[kept] = np.arange(len(kept))

    # rows sorted by (u, v, length); key = rank among parallel edges u→v, shortest first
    order = np.lexsort((edge_len, e_v, e_u))
    key = np.zeros(n_edges, dtype=np.int64)
    if n_edges:
        su, sv = e_u[order], e_v[order]
        new_group = np.ones(n_edges, dtype=bool)
        new_group[1:] = (su[1:] != su[:-1]) | (sv[1:] != sv[:-1])
        group_start = np.maximum.accumulate(np.where(new_group, np.arange(n_edges), 0))
        key = np.arange(n_edges) - group_start
    e_u, e_v, e_way, edge_len = e_u[order], e_v[order], e_way[order], edge_len[order]
    ways = arcs.ways
    e_speed = ways["speed_kph"].to_numpy(dtype=float)[e_way]
    unit_ids = units["unit_id"] if "unit_id" in units else pd.Series([], dtype="str")
    edges = gpd.GeoDataFrame(
        {
            "u": arcs.node_ids[e_u],
            "v": arcs.node_ids[e_v],
            "key": key,
            "osmid": ways["osmid"].to_numpy(dtype=np.int64)[e_way],
            "highway": take_text(ways["highway"], e_way),
            "name": take_text(ways["name"], e_way),
            "ref": take_text(ways["ref"], e_way),
            "oneway": ways["oneway"].to_numpy(dtype=bool)[e_way],
            "length_m": edge_len,
            "speed_kph": e_speed,
            "travel_time_s": edge_len / (e_speed / 3.6),
            "unit_id": take_text(
                unit_ids, unit_index(collapsed.mid_lon[order], collapsed.mid_lat[order], units)
            ),
        },
        geometry=collapsed.geometry[order],
        crs=WGS84,
    )
    nodes = gpd.GeoDataFrame(
        {
            "node_id": arcs.node_ids[kept],
            "x": arcs.lon[kept],
            "y": arcs.lat[kept],
            "unit_id": take_text(unit_ids, unit_index(arcs.lon[kept], arcs.lat[kept], units)),
            "street_count": _street_count(position[e_u], position[e_v], key, len(kept)),
        },
        geometry=shapely.points(arcs.lon[kept], arcs.lat[kept]),
        crs=WGS84,
    )
    return nodes, edges


def build_road_network(
    pbf: str | Path,
    units: gpd.GeoDataFrame,
    *,
    highway_classes: Sequence[str],
    speeds_kph: Mapping[str, float],
    maxspeed_zones_kph: Mapping[str, float],
    ways: WayTable | None = None,
    anchor_lon: np.ndarray | None = None,
    anchor_lat: np.ndarray | None = None,
) -> RoadNetwork:
    """Build the simplified road network of ``pbf`` (see the module docstring for each step).

    Parameters
    ----------
    pbf
        The study's OSM extract.
    units
        Admin units at the border level (``unit_id``, geometry in EPSG:4326).
    highway_classes, speeds_kph, maxspeed_zones_kph
        ``network.*`` settings of the study config.
    ways
        Already-read road ways (:func:`read_road_ways`); read from ``pbf`` when None.
    anchor_lon, anchor_lat
        Points (railway stations, places) whose nearest road node must survive simplification
        (:func:`simplify_road_arcs`).

    Raises
    ------
    DataError
        The PBF is unreadable or holds no drivable road of the configured classes.
    """
    ways = read_road_ways(pbf, highway_classes=highway_classes) if ways is None else ways
    planned = planned_ways(ways) if ways.n_ways else _empty_planned()
    arcs = road_arcs(
        ways,
        units,
        highway_classes=highway_classes,
        speeds_kph=speeds_kph,
        maxspeed_zones_kph=maxspeed_zones_kph,
        source=str(pbf),
    )
    nodes, edges = simplify_road_arcs(arcs, units, anchor_lon=anchor_lon, anchor_lat=anchor_lat)
    graph = graph_from_tables(nodes, edges)
    report = dict(arcs.report)
    report.update(
        {
            "nodes": len(nodes),
            "edges": len(edges),
            "nodes_outside_units": int(nodes["unit_id"].isna().sum()),
            "planned_ways": len(planned),
        }
    )
    logger.info(
        "simplified road graph: %d nodes, %d directed edges (%d arcs in the CSR graph), %.0f km "
        "of directed road; %d nodes outside every admin unit; %d planned ways",
        len(nodes),
        len(edges),
        graph.n_arcs,
        edges["length_m"].sum() / 1000,
        report["nodes_outside_units"],
        len(planned),
    )
    return RoadNetwork(nodes=nodes, edges=edges, planned=planned, graph=graph, report=report)


def _street_count(u: np.ndarray, v: np.ndarray, key: np.ndarray, n: int) -> np.ndarray:
    """osmnx ``count_streets_per_node``: undirected (u, v, key) edges per node, self-loops once."""
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    loop = lo == hi
    n64 = np.int64(max(n, 1))
    k64 = np.int64(int(key.max()) + 1 if len(key) else 1)
    und = sorted_unique((lo[~loop] * n64 + hi[~loop]) * k64 + key[~loop])
    pair = und // k64
    counts = np.bincount(pair // n64, minlength=n) + np.bincount(pair % n64, minlength=n)
    counts[sorted_unique(lo[loop])] += 2
    return counts.astype(np.int64)


def graph_from_tables(nodes: pd.DataFrame, edges: pd.DataFrame) -> CSRGraph:
    """The CSR road graph: nodes in ``nodes`` order, travel_time_s weights (min over parallels)."""
    ids = nodes["node_id"].to_numpy(dtype=np.int64)
    if len(ids) and (np.diff(ids) > 0).all():  # sorted ids (as built here): one searchsorted
        ends = []
        for column in ("u", "v"):
            wanted = edges[column].to_numpy(dtype=np.int64)
            pos = np.minimum(np.searchsorted(ids, wanted), len(ids) - 1)
            if (ids[pos] != wanted).any():
                raise DataError(
                    f"road edges name {column} node ids missing from the nodes table, e.g. "
                    f"{wanted[ids[pos] != wanted][:3].tolist()}; rebuild the road network."
                )
            ends.append(pos)
        return CSRGraph.from_arcs(
            ids,
            nodes["x"].to_numpy(),
            nodes["y"].to_numpy(),
            ends[0],
            ends[1],
            edges["travel_time_s"].to_numpy(),
        )
    graph_nodes = CSRGraph.from_arcs(
        nodes["node_id"].to_numpy(),
        nodes["x"].to_numpy(),
        nodes["y"].to_numpy(),
        np.zeros(0, dtype=np.int64),
        np.zeros(0, dtype=np.int64),
        np.zeros(0),
    )
    src = graph_nodes.index_of(edges["u"].to_numpy())
    dst = graph_nodes.index_of(edges["v"].to_numpy())
    return CSRGraph.from_arcs(
        graph_nodes.node_ids,
        graph_nodes.x,
        graph_nodes.y,
        src,
        dst,
        edges["travel_time_s"].to_numpy(),
    )


def to_multidigraph(nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame) -> nx.MultiDiGraph:
    """The road network as an osmnx MultiDiGraph (``ox.convert.graph_from_gdfs``)."""
    import osmnx as ox

    gdf_nodes = nodes.set_index("node_id")
    gdf_edges = edges.rename(columns={"length_m": "length"}).set_index(["u", "v", "key"])
    return ox.convert.graph_from_gdfs(gdf_nodes, gdf_edges)


def write_road_network(
    network: RoadNetwork,
    *,
    nodes: str | Path,
    edges: str | Path,
    planned: str | Path,
    graph: str | Path,
) -> None:
    """Write the four outputs atomically (GeoParquet in EPSG:4326 and the CSR ``.npz``)."""
    for frame, path in ((network.nodes, nodes), (network.edges, edges), (network.planned, planned)):
        with atomic_path(path) as tmp:
            frame.to_parquet(tmp, index=False)
    network.graph.save(graph)


def run_road_network_stage(
    inputs: Mapping[str, str | Path],
    outputs: Mapping[str, str | Path],
    study: Mapping[str, Any],
) -> RoadNetwork:
    """Build a study's road network from its extract and write the four network files.

    Stations and places are passed as anchors, so each keeps its nearest road node through
    simplification (origins and station access snap to them later).

    Parameters
    ----------
    inputs
        Paths by the ``road_network`` rule's input names: ``pbf``, ``units``, ``places``.
    outputs
        Paths by the rule's output names: ``nodes``, ``edges``, ``planned``, ``graph``
        (:func:`write_road_network`).
    study
        The validated study config (``network`` and ``admin.border_level``).

    Returns
    -------
    RoadNetwork
        The network that was written.
    """
    from spatialint.network.rail import station_points  # rail builds on this module

    network = study["network"]
    units = load_units(inputs["units"], level=study["admin"]["border_level"])
    station_lon, station_lat = station_points(inputs["pbf"])
    places = gpd.read_parquet(inputs["places"], columns=["geometry"])
    result = build_road_network(
        inputs["pbf"],
        units,
        highway_classes=network["highway_classes"],
        speeds_kph=network["speeds_kph"],
        maxspeed_zones_kph=network["maxspeed_zones_kph"],
        anchor_lon=np.concatenate([station_lon, places.geometry.x.to_numpy()]),
        anchor_lat=np.concatenate([station_lat, places.geometry.y.to_numpy()]),
    )
    write_road_network(
        result,
        nodes=outputs["nodes"],
        edges=outputs["edges"],
        planned=outputs["planned"],
        graph=outputs["graph"],
    )
    return result
