"""Cross-border road gaps (断头路), class drops at borders (瓶颈路) and missing crossings.

Three findings, all on the drivable road network and the borders between admin units at the
study's ``admin.border_level``:

dead ends (断头路)
    A node of degree 1 in the undirected drivable graph, within ``border_distance_m`` of a border,
    facing a road of the *other* unit within ``gap_max_m`` that the network only reaches by a
    detour (network distance ≥ ``min_detour_ratio`` × straight-line gap). Reported with both end
    nodes and ways, the roads on both sides, the straight-line gap, the current detour (time and
    distance) and whether a planned way (``highway=construction|proposed``) bridges it.
class drops (瓶颈路)
    Near a point where a road crosses a border, a node where the road continues (nearly straight)
    as a road ≥ ``class_drop_steps`` steps lower on the class ladder, with no road of the higher
    class continuing.
missing crossings
    Stretches of shared border, inside the network's extent, longer than
    ``missing_crossing_min_km`` (measured along the border) that no drivable road crosses.

Everything is vectorised with shapely 2 (STRtree queries, array predicates) and numpy; the only
Python loops run over border stretches, never over nodes. Distances are in metres in the UTM
zone of the network (:func:`spatialint.geo.utm_crs_for`); outputs are EPSG:4326.

False-positive suppression, each a documented config switch:

- ``suppress_study_edge``: dead ends within ``study_edge_m`` of the edge of the extract (the
  convex hull of the road nodes), where roads end because the data ends;
- ``suppress_across_water``: gaps whose straight line crosses a waterway of the optional
  waterway layer (a road ending at a river bank); without a layer the gap-distance rule applies;
- ``cross_border_only``: the facing road must lie in another unit, so cul-de-sacs facing roads
  of their own unit are not listed;
- ``min_detour_ratio``: roads already connected by a short path are not gaps.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from shapely.ops import substring

from spatialint.errors import DataError
from spatialint.gaps.review import stable_gap_id
from spatialint.geo import WGS84, to_metric, utm_crs_for
from spatialint.network.graph import CSRGraph
from spatialint.network.routing import travel_times
from spatialint.osm.ways import WayTable, read_osm

logger = logging.getLogger(__name__)

#: A node closer than this to a border is *on* the border (its sides are told by its neighbours).
ON_BORDER_M = 2.0
#: Two road directions at a node form a continuation ("the same road") when they differ by at
#: least this angle (180° = straight on); 135° allows a 45° bend.
STRAIGHT_MIN_DEG = 135.0
#: Bearings at a node are taken this far along each edge, so a curve far away does not count.
BEARING_PROBE_M = 30.0
#: Crossing points closer than this along one border count as one crossing (dual carriageways).
CROSSING_MERGE_M = 1.0
#: Sources per Dijkstra call when computing detours (bounds memory to CHUNK × n_nodes floats).
DETOUR_CHUNK = 32

#: Output column → (中文, English) header, shared with the report.
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "rank": ("效益排名", "benefit rank"),
    "gap_id": ("编号", "gap id"),
    "status": ("状态", "review status"),
    "comment": ("备注", "comment"),
    "found": ("本次检出", "detected in this run"),
    "unit_id": ("所在单元编号", "unit id"),
    "unit_name": ("所在行政区", "unit"),
    "other_unit_id": ("对侧单元编号", "other unit id"),
    "other_unit_name": ("对侧行政区", "other unit"),
    "node_id": ("断头端节点", "dead-end node"),
    "way_id": ("断头道路编号", "dead-end way"),
    "highway": ("断头道路等级", "dead-end road class"),
    "name": ("断头道路名称", "dead-end road name"),
    "ref": ("断头道路编号(ref)", "dead-end road ref"),
    "other_node_id": ("对侧节点", "other-side node"),
    "other_way_id": ("对侧道路编号", "other-side way"),
    "other_highway": ("对侧道路等级", "other-side road class"),
    "other_name": ("对侧道路名称", "other-side road name"),
    "other_ref": ("对侧道路编号(ref)", "other-side road ref"),
    "gap_m": ("直线缺口(米)", "straight-line gap (m)"),
    "detour_min": ("现状绕行时间(分钟)", "current detour (min)"),
    "detour_km": ("现状绕行距离(公里)", "current detour (km)"),
    "detour_ratio": ("绕行系数", "detour ratio"),
    "across_water": ("跨越水系", "crosses a waterway"),
    "planned": ("有规划/在建连接", "planned link"),
    "planned_way_id": ("规划道路编号", "planned way id"),
    "planned_class": ("规划道路等级", "planned road class"),
    "link_class": ("连通道路等级", "link road class"),
    "link_time_min": ("连通后通行时间(分钟)", "link travel time (min)"),
    "pairs_sampled": ("抽样出行对数", "sampled trips"),
    "pairs_improving": ("受益出行对数", "improved trips"),
    "minutes_saved_mean": ("受益出行平均节省(分钟)", "minutes saved per improved trip"),
    "minutes_saved_per_trip": ("每次出行平均节省(分钟)", "minutes saved per sampled trip"),
    "person_minutes_saved": (
        "人·分钟节省(每人一次跨界出行)",
        "person-minutes saved (one trip per resident)",
    ),
    "person_minutes": ("人·分钟节省", "person-minutes saved"),
    "lon": ("经度", "longitude"),
    "lat": ("纬度", "latitude"),
    "other_lon": ("对侧经度", "other-side longitude"),
    "other_lat": ("对侧纬度", "other-side latitude"),
    "kind": ("类型", "kind"),
    # class drops
    "way_id_high": ("高等级道路编号", "higher-class way"),
    "way_id_low": ("低等级道路编号", "lower-class way"),
    "class_high": ("原等级", "class before"),
    "class_low": ("降级后等级", "class after"),
    "steps": ("降级级数", "class steps dropped"),
    "unit_high": ("高等级侧行政区", "unit of higher class"),
    "unit_low": ("低等级侧行政区", "unit of lower class"),
    "name_high": ("高等级道路名称", "higher-class road name"),
    "name_low": ("低等级道路名称", "lower-class road name"),
    "border_m": ("距边界(米)", "distance to border (m)"),
    # missing crossings
    "crossing_id": ("编号", "stretch id"),
    "unit_a": ("行政区甲", "unit A"),
    "unit_b": ("行政区乙", "unit B"),
    "unit_a_name": ("行政区甲名称", "unit A name"),
    "unit_b_name": ("行政区乙名称", "unit B name"),
    "length_km": ("无通道边界长度(公里)", "border length without crossing (km)"),
}


@dataclass(frozen=True)
class GapSettings:
    """The ``gaps`` section of a study config (see the schema for each value's reason)."""

    border_distance_m: float
    gap_max_m: float
    ignore_highway: tuple[str, ...]
    min_detour_ratio: float
    detour_cutoff_min: float
    suppress_study_edge: bool
    study_edge_m: float
    suppress_across_water: bool
    cross_border_only: bool
    planned_snap_m: float
    class_ladder: Mapping[str, int] = field(default_factory=dict)
    class_drop_steps: int = 2
    class_drop_distance_m: float = 300.0
    missing_crossing_min_km: float = 5.0

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> GapSettings:
        """Build from a validated, default-filled ``gaps`` config section."""
        return cls(
            border_distance_m=float(section["border_distance_m"]),
            gap_max_m=float(section["gap_max_m"]),
            ignore_highway=tuple(section["ignore_highway"]),
            min_detour_ratio=float(section["min_detour_ratio"]),
            detour_cutoff_min=float(section["detour_cutoff_min"]),
            suppress_study_edge=bool(section["suppress_study_edge"]),
            study_edge_m=float(section["study_edge_m"]),
            suppress_across_water=bool(section["suppress_across_water"]),
            cross_border_only=bool(section["cross_border_only"]),
            planned_snap_m=float(section["planned_snap_m"]),
            class_ladder=dict(section["class_ladder"]),
            class_drop_steps=int(section["class_drop_steps"]),
            class_drop_distance_m=float(section["class_drop_distance_m"]),
            missing_crossing_min_km=float(section["missing_crossing_min_km"]),
        )


@dataclass(frozen=True)
class GapFindings:
    """The three layers of findings (EPSG:4326) plus what ranking needs."""

    dead_ends: gpd.GeoDataFrame
    class_drops: gpd.GeoDataFrame
    missing_crossings: gpd.GeoDataFrame
    node_unit: np.ndarray  # unit_id (border level) of every graph node, "" outside all units


@dataclass(frozen=True)
class _Network:
    """The road network projected to metres, with positions aligned to the routing graph."""

    crs: pyproj.CRS
    node_ids: np.ndarray
    xy: np.ndarray  # (n, 2) metres, graph order
    edges: pd.DataFrame  # undirected drivable edges, see _undirected_edges
    geoms: np.ndarray  # metric LineStrings of `edges`
    units: gpd.GeoDataFrame  # border-level units, metric
    unit_tree: shapely.STRtree
    borders: gpd.GeoDataFrame  # unit_a, unit_b, geometry (metric)
    hull: shapely.Geometry


# --------------------------------------------------------------------------------------------
# preparation


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{what} lacks column(s) {', '.join(missing)}; rebuild it with the network stage."
        )


def border_units(units: gpd.GeoDataFrame, *, border_level: int) -> gpd.GeoDataFrame:
    """The admin units at ``border_level`` (the level whose borders count).

    Raises
    ------
    DataError
        When no unit has that level (a misconfigured ``admin.border_level``).
    """
    _require(units, ["unit_id", "name", "admin_level"], "admin_units")
    level = pd.to_numeric(units["admin_level"], errors="coerce")
    chosen = units[level == border_level]
    if chosen.empty:
        found = sorted({int(v) for v in level.dropna()})
        raise DataError(
            f"admin_units has no unit at admin.border_level {border_level}. Levels present: "
            f"{found}. Set admin.border_level in the study config to one of them (and list it "
            "in admin.levels)."
        )
    return chosen.reset_index(drop=True)


def unit_borders(units_m: gpd.GeoDataFrame, *, tolerance_m: float = 1.0) -> gpd.GeoDataFrame:
    """Shared borders between pairs of units (metric CRS in, metric out).

    The border of A and B is the part of A's boundary within ``tolerance_m`` of B, so small
    mismatches between separately drawn boundaries do not break it.
    """
    geoms = units_m.geometry.values
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=tolerance_m)
    keep = left < right
    left, right = left[keep], right[keep]
    lines = shapely.intersection(
        shapely.boundary(geoms[left]), shapely.buffer(geoms[right], tolerance_m)
    )
    length = shapely.length(lines)
    ok = length > tolerance_m * 2
    out = gpd.GeoDataFrame(
        {
            "unit_a": units_m["unit_id"].values[left[ok]],
            "unit_b": units_m["unit_id"].values[right[ok]],
            "unit_a_name": units_m["name"].values[left[ok]],
            "unit_b_name": units_m["name"].values[right[ok]],
        },
        geometry=shapely.line_merge(_lines_only(lines[ok])),
        crs=units_m.crs,
    )
    return out.reset_index(drop=True)


def _no_borders(units_m: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"unit_a": [], "unit_b": [], "unit_a_name": [], "unit_b_name": []},
        geometry=gpd.GeoSeries([], crs=units_m.crs),
        crs=units_m.crs,
    )


def _lines_only(geoms: np.ndarray) -> np.ndarray:
    """Drop point parts from intersection results, keeping (Multi)LineStrings."""
    parts, index = shapely.get_parts(geoms, return_index=True)
    is_line = shapely.get_type_id(parts) == 1  # LineString
    out = np.empty(len(geoms), dtype=object)
    for i in range(len(geoms)):  # one per unit pair, not per node
        pieces = parts[is_line & (index == i)]
        out[i] = shapely.multilinestrings(pieces) if len(pieces) else shapely.LineString()
    return out


def _assign_units(
    points: np.ndarray, net_units: gpd.GeoDataFrame, tree: shapely.STRtree
) -> np.ndarray:
    """Index of the unit containing each point (boundary counts), -1 outside all units."""
    out = np.full(len(points), -1, dtype=np.int64)
    if len(points) == 0:
        return out
    pt_idx, unit_idx = tree.query(points, predicate="intersects")
    # first unit per point (points on a border get the lower index; callers that care handle it)
    order = np.lexsort((unit_idx, pt_idx))
    pt_idx, unit_idx = pt_idx[order], unit_idx[order]
    first = np.ones(len(pt_idx), dtype=bool)
    first[1:] = pt_idx[1:] != pt_idx[:-1]
    out[pt_idx[first]] = unit_idx[first]
    return out


def _undirected_edges(
    edges: gpd.GeoDataFrame, graph: CSRGraph, *, ignore_highway: Sequence[str]
) -> pd.DataFrame:
    """Drivable edges once per direction-free (u, v, way), with graph positions."""
    _require(
        edges,
        ["u", "v", "osmid", "highway", "name", "ref", "length_m", "travel_time_s"],
        "road_edges",
    )
    drivable = edges[~edges["highway"].isin(list(ignore_highway))]
    u = drivable["u"].to_numpy(np.int64)
    v = drivable["v"].to_numpy(np.int64)
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    frame = pd.DataFrame(
        {
            "lo": lo,
            "hi": hi,
            "u": u,
            "v": v,
            "osmid": drivable["osmid"].to_numpy(np.int64),
            "highway": drivable["highway"].astype(str).to_numpy(),
            "name": drivable["name"].fillna("").astype(str).to_numpy(),
            "ref": drivable["ref"].fillna("").astype(str).to_numpy(),
            "length_m": drivable["length_m"].to_numpy(float),
            "speed_mps": (
                drivable["length_m"].to_numpy(float)
                / np.maximum(drivable["travel_time_s"].to_numpy(float), 1e-6)
            ),
            "geometry": drivable.geometry.values,
        }
    )
    frame = frame[frame["lo"] != frame["hi"]]
    frame = frame.drop_duplicates(subset=["lo", "hi", "osmid"]).reset_index(drop=True)
    frame["pu"], frame["pv"] = graph.edge_positions(frame["u"].to_numpy(), frame["v"].to_numpy())
    return frame


def _prepare(
    nodes: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    graph: CSRGraph,
    *,
    border_level: int,
    ignore_highway: Sequence[str],
) -> _Network:
    if graph.n_nodes == 0:
        raise DataError("The road graph has no nodes; check the study area and its extract.")
    _require(nodes, ["node_id"], "road_nodes")
    crs = utm_crs_for(graph.x, graph.y)
    x, y = to_metric(graph.x, graph.y, crs)
    xy = np.column_stack([x, y])
    chosen = border_units(units, border_level=border_level).to_crs(crs)
    chosen = chosen.set_geometry(shapely.make_valid(chosen.geometry.values))
    und = _undirected_edges(edges, graph, ignore_highway=ignore_highway)
    geoms = gpd.GeoSeries(und["geometry"].values, crs=edges.crs or WGS84).to_crs(crs).values
    borders = unit_borders(chosen) if len(chosen) >= 2 else _no_borders(chosen)
    if borders.empty:
        logger.warning(
            "no two admin units at admin_level %d share a border (%d unit(s): %s); there are no "
            "cross-border gaps to find. Units reaching beyond the extract are left out by the "
            "network stage (see network/admin_report.txt); a lower admin.border_level may help.",
            border_level,
            len(chosen),
            ", ".join(chosen["name"].astype(str).head(5)),
        )
    hull = shapely.convex_hull(shapely.multipoints(xy))
    return _Network(
        crs=crs,
        node_ids=graph.node_ids,
        xy=xy,
        edges=und,
        geoms=np.asarray(geoms),
        units=chosen,
        unit_tree=shapely.STRtree(chosen.geometry.values),
        borders=borders,
        hull=hull,
    )


def _length_graph(net: _Network, n_nodes: int) -> sp.csr_array:
    """Undirected graph of drivable edge lengths (metres) for detour distances."""
    e = net.edges
    src = np.concatenate([e["pu"].to_numpy(), e["pv"].to_numpy()])
    dst = np.concatenate([e["pv"].to_numpy(), e["pu"].to_numpy()])
    w = np.maximum(np.concatenate([e["length_m"].to_numpy()] * 2), 1e-3)
    g = CSRGraph.from_arcs(np.arange(n_nodes), np.zeros(n_nodes), np.zeros(n_nodes), src, dst, w)
    return g.matrix


def _dijkstra_pairs(
    matrix: sp.csr_array, sources: np.ndarray, targets: np.ndarray, *, limit: float
) -> np.ndarray:
    """Shortest distance sources[i] → targets[i, j] (inf beyond ``limit``), chunked.

    ``targets`` is (m,) or (m, k); the result has its shape.
    """
    targets = np.asarray(targets)
    out = np.full(targets.shape, np.inf)
    uniq, inverse = np.unique(sources, return_inverse=True)
    for start in range(0, len(uniq), DETOUR_CHUNK):  # chunks of sources, not nodes
        block = uniq[start : start + DETOUR_CHUNK]
        dist = np.atleast_2d(dijkstra(matrix, directed=True, indices=block, limit=limit))
        rows = np.flatnonzero((inverse >= start) & (inverse < start + len(block)))
        local = inverse[rows] - start
        picked = dist[local[:, None], targets[rows].reshape(len(rows), -1)]
        out[rows] = picked.reshape(out[rows].shape)
    return out


def _times_pairs(
    graph: CSRGraph, sources: np.ndarray, targets: np.ndarray, *, cutoff_s: float
) -> np.ndarray:
    """Fastest time sources[i] → targets[i, j] in seconds (inf beyond ``cutoff_s``), chunked."""
    targets = np.asarray(targets)
    out = np.full(targets.shape, np.inf)
    uniq, inverse = np.unique(sources, return_inverse=True)
    for start in range(0, len(uniq), DETOUR_CHUNK):
        block = uniq[start : start + DETOUR_CHUNK]
        times = np.nan_to_num(travel_times(graph, block, cutoff_s=cutoff_s), nan=np.inf)
        rows = np.flatnonzero((inverse >= start) & (inverse < start + len(block)))
        local = inverse[rows] - start
        picked = times[local[:, None], targets[rows].reshape(len(rows), -1)]
        out[rows] = picked.reshape(out[rows].shape)
    return out


# --------------------------------------------------------------------------------------------
# dead ends


def _degree(net: _Network, n_nodes: int) -> np.ndarray:
    pairs = np.unique(net.edges[["pu", "pv"]].to_numpy().clip(0), axis=0)
    pairs = np.unique(np.sort(pairs, axis=1), axis=0)
    return np.bincount(pairs.ravel(), minlength=n_nodes)


def _planned_links(
    a_xy: np.ndarray,
    p_xy: np.ndarray,
    planned: gpd.GeoDataFrame | None,
    crs: pyproj.CRS,
    *,
    snap_m: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each gap (a → p): planned yes/no, the planned way id, its planned class.

    A planned way bridges a gap when it passes within ``snap_m`` of both ends, or when two
    planned ways that touch (within ``snap_m``) reach one end each.
    """
    n = len(a_xy)
    found = np.zeros(n, dtype=bool)
    way = np.full(n, pd.NA, dtype=object)
    cls = np.full(n, "", dtype=object)
    if planned is None or planned.empty or n == 0:
        return found, way, cls
    _require(planned, ["osmid", "highway"], "planned_ways")
    pg = np.asarray(planned.to_crs(crs).geometry.values)
    tree = shapely.STRtree(pg)
    ia, ja = tree.query(shapely.points(a_xy), predicate="dwithin", distance=snap_m)
    ib, jb = tree.query(shapely.points(p_xy), predicate="dwithin", distance=snap_m)
    near_a = pd.DataFrame({"gap": ia, "wa": ja})
    near_b = pd.DataFrame({"gap": ib, "wb": jb})
    both = near_a.merge(near_b, on="gap")
    if not both.empty:
        touching = (both["wa"] == both["wb"]) | (
            shapely.distance(pg[both["wa"].to_numpy()], pg[both["wb"].to_numpy()]) <= snap_m
        )
        both = both[touching].drop_duplicates("gap")
        gaps = both["gap"].to_numpy()
        found[gaps] = True
        ids = planned["osmid"].to_numpy(np.int64)[both["wa"].to_numpy()]
        way[gaps] = ids
        klass = planned["planned_class"] if "planned_class" in planned else planned["highway"]
        cls[gaps] = klass.fillna("").astype(str).to_numpy()[both["wa"].to_numpy()]
    return found, way, cls


def find_dead_ends(
    net: _Network,
    graph: CSRGraph,
    settings: GapSettings,
    *,
    planned: gpd.GeoDataFrame | None = None,
    waterways: gpd.GeoDataFrame | None = None,
    osm_roads: WayTable | None = None,
) -> pd.DataFrame:
    """Cross-border dead ends (one row per gap, metric coordinates); see the module docstring.

    With ``osm_roads`` (the drivable OSM ways, see :func:`read_osm_context`) the ends are named
    by their OSM ids: the way ending at the dead end, and the OSM node and way nearest to the
    facing point of the other road. Without it they are the simplified graph's: the facing
    edge's end node and the way of its first segment.
    """
    n = graph.n_nodes
    degree = _degree(net, n)
    dead = np.flatnonzero(degree == 1)
    pts = shapely.points(net.xy[dead])
    border_tree = shapely.STRtree(net.borders.geometry.values)
    near, _ = border_tree.query(pts, predicate="dwithin", distance=settings.border_distance_m)
    near = np.unique(near)
    dead, pts = dead[near], pts[near]
    own = _assign_units(pts, net.units, net.unit_tree)
    dead, pts, own = dead[own >= 0], pts[own >= 0], own[own >= 0]
    logger.info("%d dead ends within %.0f m of a border", len(dead), settings.border_distance_m)
    if settings.suppress_study_edge and len(dead):
        edge_d = shapely.distance(pts, shapely.boundary(net.hull))
        inside = edge_d > settings.study_edge_m
        logger.info(
            "suppressed %d dead end(s) within %.0f m of the extract's edge",
            int((~inside).sum()),
            settings.study_edge_m,
        )
        dead, pts, own = dead[inside], pts[inside], own[inside]

    # candidate roads within gap_max_m, not incident to the dead end itself
    edge_tree = shapely.STRtree(net.geoms)
    di, ej = edge_tree.query(pts, predicate="dwithin", distance=settings.gap_max_m)
    e = net.edges
    incident = (e["pu"].to_numpy()[ej] == dead[di]) | (e["pv"].to_numpy()[ej] == dead[di])
    di, ej = di[~incident], ej[~incident]
    along = shapely.line_locate_point(net.geoms[ej], pts[di])
    p = shapely.line_interpolate_point(net.geoms[ej], along)
    gap = shapely.distance(pts[di], p)
    p_unit = _assign_units(p, net.units, net.unit_tree)
    ok = p_unit >= 0
    if settings.cross_border_only:
        ok &= p_unit != own[di]
        # a road that crosses the border has its nearest point on our side: measure to the part
        # of it inside the other unit instead (few pairs: crossing edges near dead ends)
        ci, cu = net.unit_tree.query(net.geoms[ej[~ok]], predicate="intersects")
        rest = np.flatnonzero(~ok)[ci]
        other = cu != own[di[rest]]
        rest, cu = rest[other], cu[other]
        if len(rest):
            part = shapely.intersection(net.geoms[ej[rest]], net.units.geometry.values[cu])
            q = shapely.get_point(shapely.shortest_line(pts[di[rest]], part), 1)
            valid = ~shapely.is_missing(q) & ~shapely.is_empty(q)
            rest, cu, q = rest[valid], cu[valid], q[valid]
            p[rest] = q
            gap[rest] = shapely.distance(pts[di[rest]], q)
            along[rest] = shapely.line_locate_point(net.geoms[ej[rest]], q)
            p_unit[rest] = cu
            ok[rest] = True
    di, ej, along, p, gap, p_unit = di[ok], ej[ok], along[ok], p[ok], gap[ok], p_unit[ok]
    ok = gap <= settings.gap_max_m
    di, ej, along, p, gap, p_unit = di[ok], ej[ok], along[ok], p[ok], gap[ok], p_unit[ok]

    across_water = np.zeros(len(di), dtype=bool)
    if waterways is not None and not waterways.empty and len(di):
        lines = shapely.linestrings(
            np.stack([shapely.get_coordinates(pts[di]), shapely.get_coordinates(p)], axis=1)
        )
        wtree = shapely.STRtree(np.asarray(waterways.to_crs(net.crs).geometry.values))
        hit, _ = wtree.query(lines, predicate="intersects")
        across_water[np.unique(hit)] = True
        if settings.suppress_across_water:
            logger.info(
                "suppressed %d candidate link(s) across a waterway", int(across_water.sum())
            )
            keep = ~across_water
            di, ej, along, p, gap, p_unit = (
                di[keep],
                ej[keep],
                along[keep],
                p[keep],
                gap[keep],
                p_unit[keep],
            )
            across_water = across_water[keep]

    # already connected nearby? network distance to p vs straight-line gap
    length_graph = _length_graph(net, n)
    # beyond ratio × gap_max_m every candidate passes, so the searches can stop there
    limit = settings.min_detour_ratio * settings.gap_max_m
    pu, pv = e["pu"].to_numpy()[ej], e["pv"].to_numpy()[ej]
    elen = e["length_m"].to_numpy()[ej]
    # along is measured on the metric geometry; rescale to the stored length
    geom_len = np.maximum(shapely.length(net.geoms[ej]), 1e-6)
    along_m = along / geom_len * elen
    ends_uv = np.column_stack([pu, pv])
    d_u, d_v = _dijkstra_pairs(length_graph, dead[di], ends_uv, limit=limit).T
    net_to_p = np.minimum(d_u + along_m, d_v + (elen - along_m))
    ratio = net_to_p / np.maximum(gap, 1.0)
    keep = ratio >= settings.min_detour_ratio
    logger.info(
        "%d candidate link(s) dropped: the roads already connect within %.1f × the gap",
        int((~keep).sum()),
        settings.min_detour_ratio,
    )
    cand = pd.DataFrame(
        {
            "a": dead[di[keep]],
            "own": own[di[keep]],
            "edge": ej[keep],
            "gap_m": gap[keep],
            "along_m": along_m[keep],
            "elen": elen[keep],
            "pu": pu[keep],
            "pv": pv[keep],
            "p_unit": p_unit[keep],
            "across_water": across_water[keep],
            "px": shapely.get_x(p[keep]),
            "py": shapely.get_y(p[keep]),
        }
    )
    if cand.empty:
        return _empty_dead_ends()
    # nearest facing road per dead end; the other end b is the edge end nearer along the road
    cand = cand.sort_values(["gap_m", "a", "edge"]).drop_duplicates("a").reset_index(drop=True)
    near_start = cand["along_m"] <= cand["elen"] / 2
    cand["b"] = np.where(near_start, cand["pu"], cand["pv"])
    # two dead ends facing each other are one gap
    lo = np.minimum(cand["a"], cand["b"])
    hi = np.maximum(cand["a"], cand["b"])
    cand = cand.assign(lo=lo, hi=hi).sort_values(["gap_m", "a"])
    cand = cand.drop_duplicates(["lo", "hi"]).reset_index(drop=True)

    a_edge = _incident_edge(e, cand["a"].to_numpy())
    rows = e.iloc[a_edge].reset_index(drop=True)
    other = e.iloc[cand["edge"].to_numpy()].reset_index(drop=True)
    a_xy = net.xy[cand["a"].to_numpy()]
    p_xy = cand[["px", "py"]].to_numpy()
    planned_yes, planned_id, planned_cls = _planned_links(
        a_xy, p_xy, planned, net.crs, snap_m=settings.planned_snap_m
    )
    a_pos, b_pos = cand["a"].to_numpy(), cand["b"].to_numpy()
    cutoff_s = settings.detour_cutoff_min * 60
    # the detour runs from the dead end to the point p where the link would join the facing
    # road: over the edge's start u or end v, plus the part of the edge up to p
    u_pos, v_pos = cand["pu"].to_numpy(), cand["pv"].to_numpy()
    frac = np.clip(cand["along_m"].to_numpy() / cand["elen"].clip(lower=1e-6).to_numpy(), 0, 1)
    t_uv = np.asarray(graph.matrix[u_pos, v_pos]).ravel()
    t_vu = np.asarray(graph.matrix[v_pos, u_pos]).ravel()
    t_uv = np.where(t_uv > 0, t_uv, np.inf)
    t_vu = np.where(t_vu > 0, t_vu, np.inf)
    ends = np.column_stack([u_pos, v_pos])
    to_u, to_v = _times_pairs(graph, a_pos, ends, cutoff_s=cutoff_s).T
    # p at an edge end costs nothing on the edge, even where the edge is one-way (0 × inf)
    part_u = np.where(frac > 0, frac * t_uv, 0.0)
    part_v = np.where(frac < 1, (1 - frac) * t_vu, 0.0)
    detour_s = np.minimum(to_u + part_u, to_v + part_v)
    detour_s = np.where(detour_s <= cutoff_s, detour_s, np.nan)
    limit_m = cutoff_s * 40.0  # 144 km/h: no road route within the time cutoff is longer
    along = cand["along_m"].to_numpy()
    len_u, len_v = _dijkstra_pairs(length_graph, a_pos, ends, limit=limit_m).T
    detour_m = np.minimum(len_u + along, len_v + (cand["elen"].to_numpy() - along))
    units = net.units
    out = pd.DataFrame(
        {
            "a_pos": a_pos,
            "b_pos": b_pos,
            "unit_id": units["unit_id"].to_numpy()[cand["own"]],
            "unit_name": units["name"].to_numpy()[cand["own"]],
            "other_unit_id": units["unit_id"].to_numpy()[cand["p_unit"]],
            "other_unit_name": units["name"].to_numpy()[cand["p_unit"]],
            "node_id": net.node_ids[a_pos],
            "way_id": rows["osmid"],
            "highway": rows["highway"],
            "name": rows["name"],
            "ref": rows["ref"],
            "other_node_id": net.node_ids[b_pos],
            "other_way_id": other["osmid"],
            "other_highway": other["highway"],
            "other_name": other["name"],
            "other_ref": other["ref"],
            "gap_m": cand["gap_m"].round(1),
            # where the link joins the facing road: between graph nodes u and v of its edge
            "u_pos": cand["pu"].to_numpy(),
            "v_pos": cand["pv"].to_numpy(),
            "along_fraction": np.clip(cand["along_m"] / cand["elen"].clip(lower=1e-6), 0, 1),
            "detour_min": detour_s / 60.0,
            "detour_km": np.where(np.isfinite(detour_m), detour_m / 1000.0, np.nan),
            "across_water": np.where(waterways is None, pd.NA, cand["across_water"]),
            "planned": planned_yes,
            "planned_way_id": pd.array(planned_id, dtype="Int64"),
            "planned_class": planned_cls,
            "px": cand["px"],
            "py": cand["py"],
        }
    )
    out["detour_ratio"] = (out["detour_km"] * 1000.0 / out["gap_m"].clip(lower=1.0)).round(1)
    if osm_roads is not None:
        out = _osm_ids_of_dead_ends(out, osm_roads, net.crs, a_xy=net.xy[a_pos])
    out["gap_id"] = [
        stable_gap_id((na, nb), (wa, wb))
        for na, nb, wa, wb in zip(
            out["node_id"], out["other_node_id"], out["way_id"], out["other_way_id"], strict=True
        )
    ]
    logger.info("%d cross-border dead end(s) found", len(out))
    return out


def _incident_edge(e: pd.DataFrame, positions: np.ndarray) -> np.ndarray:
    """Row of the (single) drivable edge incident to each dead-end position."""
    ends = pd.DataFrame(
        {
            "pos": np.concatenate([e["pu"].to_numpy(), e["pv"].to_numpy()]),
            "row": np.concatenate([np.arange(len(e))] * 2),
        }
    ).drop_duplicates("pos")
    lookup = pd.Series(ends["row"].to_numpy(), index=ends["pos"].to_numpy())
    return lookup.loc[positions].to_numpy()


def _empty_dead_ends() -> pd.DataFrame:
    return pd.DataFrame(
        columns=[
            "a_pos", "b_pos", "unit_id", "unit_name", "other_unit_id", "other_unit_name",
            "node_id", "way_id", "highway", "name", "ref", "other_node_id", "other_way_id",
            "other_highway", "other_name", "other_ref", "gap_m", "u_pos", "v_pos",
            "along_fraction", "detour_min", "detour_km", "across_water", "planned",
            "planned_way_id", "planned_class", "px", "py", "detour_ratio", "gap_id",
        ]
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# OSM ids from the extract (the simplified graph keeps only intersection nodes)

#: ``waterway=*`` values that block a link (as kept by the extract: rivers and canals).
WATERWAY_VALUES = frozenset({"river", "canal"})


@dataclass(frozen=True)
class OsmContext:
    """What the gaps stage reads from the extract besides the network tables."""

    roads: WayTable  # drivable ways with all their nodes (ids and locations)
    waterways: gpd.GeoDataFrame  # river/canal lines and natural=water way outlines, EPSG:4326


def read_osm_context(pbf: Any, *, drivable_classes: Sequence[str]) -> OsmContext:
    """Read the drivable ways and the waterways of the study's extract in one pass.

    Parameters
    ----------
    pbf
        ``data/{study}/osm/extract.osm.pbf``.
    drivable_classes
        ``highway=*`` values that count as roads (``network.highway_classes`` minus
        ``gaps.ignore_highway``).

    Notes
    -----
    Water areas mapped only as multipolygon relations (their member ways untagged) are not
    read; rivers are nearly always also mapped as ``waterway=river`` lines, which are.
    """
    roads_set = frozenset(drivable_classes)

    def wanted(tags: Mapping[str, str]) -> bool:
        return (
            tags.get("highway") in roads_set
            or tags.get("waterway") in WATERWAY_VALUES
            or tags.get("natural") == "water"
        )

    ways = read_osm(
        pbf,
        filter_keys=["highway", "waterway", "natural"],
        way_test=wanted,
        way_keys=["highway", "waterway", "natural"],
    ).ways
    is_road = ways.tags["highway"].isin(list(roads_set)).to_numpy()
    water = ways.subset(~is_road)
    lines = water.linestrings()
    keep = np.array([g is not None for g in lines], dtype=bool)
    waterways = gpd.GeoDataFrame(
        {
            "osmid": water.tags["osmid"].to_numpy()[keep],
            "waterway": water.tags["waterway"].to_numpy()[keep],
        },
        geometry=gpd.GeoSeries(list(lines[keep]), crs=WGS84),
        crs=WGS84,
    )
    logger.info("extract: %d drivable ways, %d waterway lines/outlines", is_road.sum(), keep.sum())
    return OsmContext(roads=ways.subset(is_road), waterways=waterways)


def _ways_at_nodes(roads: WayTable, node_ids: np.ndarray) -> pd.DataFrame:
    """(node_id, way osmid, highway, is_end) for every way passing through the given nodes."""
    hit = np.flatnonzero(np.isin(roads.node_ids, node_ids))
    way = roads.way_index()[hit]
    is_end = (hit == roads.offsets[way]) | (hit == roads.offsets[way + 1] - 1)
    return pd.DataFrame(
        {
            "node_id": roads.node_ids[hit],
            "osm_way": roads.tags["osmid"].to_numpy(np.int64)[way],
            "osm_highway": roads.tags["highway"].to_numpy()[way],
            "is_end": is_end,
        }
    )


def _osm_ids_of_dead_ends(
    out: pd.DataFrame, roads: WayTable, crs: pyproj.CRS, *, a_xy: np.ndarray
) -> pd.DataFrame:
    """Replace the graph's way/node ids by the OSM ids at both ends of each gap."""
    out = out.copy()
    at_a = _ways_at_nodes(roads, out["node_id"].to_numpy(np.int64))
    at_a = at_a.sort_values(["node_id", "is_end"], ascending=[True, False])
    first = at_a.drop_duplicates("node_id").set_index("node_id")["osm_way"]
    out["way_id"] = out["node_id"].map(first).fillna(out["way_id"]).astype(np.int64)
    # the facing road's OSM vertices: those of the ways passing through the facing point
    lines = roads.linestrings()
    has = np.flatnonzero([g is not None for g in lines])
    metric = gpd.GeoSeries(list(lines[has]), crs=WGS84).to_crs(crs).values
    p = shapely.points(out[["px", "py"]].to_numpy(float))
    gi, wj = shapely.STRtree(metric).query(p, predicate="dwithin", distance=CROSSING_MERGE_M)
    if len(gi) == 0:
        return out
    way = has[wj]
    counts = roads.offsets[way + 1] - roads.offsets[way]
    pair = np.repeat(np.arange(len(way)), counts)
    vertex = roads.offsets[way][pair] + (
        np.arange(len(pair)) - np.repeat(np.cumsum(counts) - counts, counts)
    )
    vx, vy = to_metric(roads.lon[vertex], roads.lat[vertex], crs)
    # among the vertices of the facing way(s), the one nearest the dead end: the gap is then
    # measured between two OSM nodes, as a planner would draw the link
    px, py = a_xy[gi[pair], 0], a_xy[gi[pair], 1]
    cands = pd.DataFrame(
        {
            "gap": gi[pair],
            "dist": np.hypot(vx - px, vy - py),
            "node": roads.node_ids[vertex],
            "way": roads.tags["osmid"].to_numpy(np.int64)[way[pair]],
        }
    ).dropna(subset=["dist"])
    best = cands.sort_values(["gap", "dist"]).drop_duplicates("gap").set_index("gap")
    rows = best.index.to_numpy()
    out.loc[out.index[rows], "other_node_id"] = best["node"].to_numpy()
    # several ways may meet at that node (a side road leaving a through road): the other way is
    # the one that continues the link's direction best, as the road a planner would extend
    ways = _continuing_way(
        roads, best["node"].to_numpy(), a_xy[rows], crs, fallback=best["way"].to_numpy()
    )
    out.loc[out.index[rows], "other_way_id"] = ways
    return out


def _continuing_way(
    roads: WayTable,
    node_ids: np.ndarray,
    from_xy: np.ndarray,
    crs: pyproj.CRS,
    *,
    fallback: np.ndarray,
) -> np.ndarray:
    """For each node, the way through it whose next vertex lies most nearly straight ahead of
    the direction ``from_xy`` → node (ties: the way that ends at the node)."""
    at = _ways_at_nodes(roads, node_ids)
    if at.empty:
        return fallback
    hit = np.flatnonzero(np.isin(roads.node_ids, node_ids))
    way = roads.way_index()[hit]
    first, last = roads.offsets[way], roads.offsets[way + 1] - 1
    nx_, ny_ = to_metric(roads.lon[hit], roads.lat[hit], crs)
    order = pd.Series(np.arange(len(node_ids)), index=node_ids)
    order = order[~order.index.duplicated()]
    k = order.loc[roads.node_ids[hit]].to_numpy()
    ux, uy = nx_ - from_xy[k, 0], ny_ - from_xy[k, 1]
    norm_u = np.maximum(np.hypot(ux, uy), 1e-9)
    best_cos = np.full(len(hit), -np.inf)
    for step, valid in ((-1, hit > first), (1, hit < last)):  # the two neighbours of a vertex
        nb = np.where(valid, hit + step, hit)
        bx, by = to_metric(roads.lon[nb], roads.lat[nb], crs)
        vx, vy = bx - nx_, by - ny_
        cos = (ux * vx + uy * vy) / norm_u / np.maximum(np.hypot(vx, vy), 1e-9)
        best_cos = np.maximum(best_cos, np.where(valid, cos, -np.inf))
    table = pd.DataFrame(
        {
            "k": k,
            "cos": best_cos,
            "is_end": (hit == first) | (hit == last),
            "way": roads.tags["osmid"].to_numpy(np.int64)[way],
        }
    ).sort_values(["k", "cos", "is_end"], ascending=[True, False, False])
    chosen = table.drop_duplicates("k").set_index("k")["way"]
    result = np.asarray(fallback, dtype=np.int64).copy()
    result[chosen.index.to_numpy()] = chosen.to_numpy()
    return result


def _osm_ids_of_drops(out: pd.DataFrame, roads: WayTable) -> pd.DataFrame:
    """The OSM ways of each class drop's two classes at its node."""
    out = out.copy()
    at = _ways_at_nodes(roads, out["node_id"].to_numpy(np.int64))
    for side in ("high", "low"):
        merged = (
            out[["node_id", f"class_{side}"]]
            .merge(
                at,
                left_on=["node_id", f"class_{side}"],
                right_on=["node_id", "osm_highway"],
                how="left",
            )
            .drop_duplicates("node_id")
        )
        ways = merged.set_index("node_id")["osm_way"]
        out[f"way_id_{side}"] = (
            out["node_id"].map(ways).fillna(out[f"way_id_{side}"]).astype(np.int64)
        )
    return out


# --------------------------------------------------------------------------------------------
# border crossings, class drops, missing crossings


def border_crossings(net: _Network) -> pd.DataFrame:
    """Points where a drivable edge crosses (or touches) a border: edge row, border row, x, y."""
    btree = shapely.STRtree(net.borders.geometry.values)
    ei, bi = btree.query(net.geoms, predicate="intersects")
    if len(ei) == 0:
        return pd.DataFrame({"edge": [], "border": [], "x": [], "y": []})
    inter = shapely.intersection(net.geoms[ei], net.borders.geometry.values[bi])
    parts, idx = shapely.get_parts(inter, return_index=True)
    # a road running along the border yields a line: count its first point as the crossing
    pts = shapely.get_point(shapely.boundary(parts), 0)
    is_point = shapely.get_type_id(parts) == 0
    pts = np.where(is_point, parts, pts)
    ok = ~shapely.is_missing(pts) & ~shapely.is_empty(pts)
    return pd.DataFrame(
        {
            "edge": ei[idx[ok]],
            "border": bi[idx[ok]],
            "x": shapely.get_x(pts[ok]),
            "y": shapely.get_y(pts[ok]),
        }
    )


def _bearing_probe(geoms: np.ndarray, from_start: np.ndarray) -> np.ndarray:
    """Point BEARING_PROBE_M along each edge from the node it is seen from."""
    length = shapely.length(geoms)
    dist = np.minimum(BEARING_PROBE_M, length / 2)
    dist = np.where(from_start, dist, length - dist)
    return shapely.line_interpolate_point(geoms, dist)


def find_class_drops(
    net: _Network,
    settings: GapSettings,
    crossings: pd.DataFrame,
    *,
    osm_roads: WayTable | None = None,
) -> pd.DataFrame:
    """Class drops at border crossings (瓶颈路), metric coordinates.

    At each node within ``class_drop_distance_m`` of a crossing, the incident edges are split
    into the side towards the crossing (the crossing edge, or edges whose far end is nearer the
    crossing) and the side away from it; a node *on* the border splits them by unit instead. A
    drop is a nearly straight pair (≥ STRAIGHT_MIN_DEG) across the two sides whose classes differ
    by ≥ ``class_drop_steps`` on the ladder, where the lower side has nothing better and the
    higher class is the best at the node. A main road that runs beside the border with a minor
    road branching off across it is no drop (the pair is not straight); a main road that turns
    away at the border while the straight road across is minor is one.
    """
    ladder = settings.class_ladder
    e = net.edges
    if crossings.empty:
        return _empty_drops()
    cxy = crossings[["x", "y"]].to_numpy()
    ctree = cKDTree(cxy)
    # incident table: one row per (node, edge)
    inc = pd.DataFrame(
        {
            "node": np.concatenate([e["pu"].to_numpy(), e["pv"].to_numpy()]),
            "far": np.concatenate([e["pv"].to_numpy(), e["pu"].to_numpy()]),
            "edge": np.concatenate([np.arange(len(e))] * 2),
            "from_start": np.concatenate([np.ones(len(e), bool), np.zeros(len(e), bool)]),
        }
    )
    node_d, node_c = ctree.query(net.xy[inc["node"].to_numpy()])
    inc["cdist"], inc["crossing"] = node_d, node_c
    inc = inc[inc["cdist"] <= settings.class_drop_distance_m]
    inc = inc[inc.groupby("node")["edge"].transform("size") >= 2].reset_index(drop=True)
    if inc.empty:
        return _empty_drops()
    inc["rank"] = e["highway"].to_numpy()[inc["edge"]]
    inc["rank"] = inc["rank"].map(lambda h: ladder.get(h, np.nan)).astype(float)
    inc = inc[inc["rank"].notna()].reset_index(drop=True)
    c_edge = crossings["edge"].to_numpy()[inc["crossing"]]
    far_d = np.hypot(*(net.xy[inc["far"]] - cxy[inc["crossing"]]).T)
    toward = (inc["edge"].to_numpy() == c_edge) | (far_d < inc["cdist"].to_numpy())
    on_border = inc["cdist"].to_numpy() <= ON_BORDER_M
    far_unit = _assign_units(shapely.points(net.xy[inc["far"]]), net.units, net.unit_tree)
    inc["side"] = np.where(on_border, far_unit, toward.astype(np.int64) - 2)
    probe = _bearing_probe(net.geoms[inc["edge"]], inc["from_start"].to_numpy())
    dx = shapely.get_x(probe) - net.xy[inc["node"], 0]
    dy = shapely.get_y(probe) - net.xy[inc["node"], 1]
    inc["bearing"] = np.degrees(np.arctan2(dy, dx))
    inc["side_best"] = inc.groupby(["node", "side"])["rank"].transform("min")
    inc["node_best"] = inc.groupby("node")["rank"].transform("min")
    high = inc[inc["rank"] == inc["node_best"]]
    low = inc[inc["rank"] == inc["side_best"]]
    pairs = high.merge(low, on="node", suffixes=("_h", "_l"))
    pairs = pairs[pairs["side_h"] != pairs["side_l"]]
    angle = np.abs((pairs["bearing_h"] - pairs["bearing_l"] + 180.0) % 360.0 - 180.0)
    pairs = pairs[
        (angle >= STRAIGHT_MIN_DEG)
        & (pairs["rank_l"] - pairs["rank_h"] >= settings.class_drop_steps)
    ]
    # the higher class must not continue on the lower side
    if pairs.empty:
        return _empty_drops()
    eh = e.iloc[pairs["edge_h"].to_numpy()].reset_index(drop=True)
    el = e.iloc[pairs["edge_l"].to_numpy()].reset_index(drop=True)
    nodes = pairs["node"].to_numpy()
    unit_h = _side_unit(net, pairs["far_h"].to_numpy(), nodes)
    unit_l = _side_unit(net, pairs["far_l"].to_numpy(), nodes)
    out = pd.DataFrame(
        {
            "pos": nodes,
            "node_id": net.node_ids[nodes],
            "way_id_high": eh["osmid"],
            "way_id_low": el["osmid"],
            "class_high": eh["highway"],
            "class_low": el["highway"],
            "steps": (pairs["rank_l"] - pairs["rank_h"]).astype(int).to_numpy(),
            "unit_high": unit_h,
            "unit_low": unit_l,
            "name_high": eh["name"],
            "name_low": el["name"],
            "border_m": pairs["cdist_h"].round(1).to_numpy(),
            "x": net.xy[nodes, 0],
            "y": net.xy[nodes, 1],
        }
    )
    out = out.sort_values(["border_m", "steps"], ascending=[True, False])
    out = out.drop_duplicates(["way_id_high", "way_id_low"]).drop_duplicates("node_id")
    if osm_roads is not None:
        out = _osm_ids_of_drops(out, osm_roads)
    out["gap_id"] = [
        stable_gap_id((n,), (h, lw), kind="C")
        for n, h, lw in zip(out["node_id"], out["way_id_high"], out["way_id_low"], strict=True)
    ]
    logger.info("%d class drop(s) at border crossings", len(out))
    return out.reset_index(drop=True)


def _side_unit(net: _Network, far: np.ndarray, node: np.ndarray) -> np.ndarray:
    """Name of the unit on a side: that of the far end, else of the node."""
    idx = _assign_units(shapely.points(net.xy[far]), net.units, net.unit_tree)
    at = _assign_units(shapely.points(net.xy[node]), net.units, net.unit_tree)
    idx = np.where(idx >= 0, idx, at)
    names = net.units["name"].to_numpy()
    return np.where(idx >= 0, names[np.maximum(idx, 0)], "")


def _empty_drops() -> pd.DataFrame:
    return pd.DataFrame(
        columns=[
            "pos", "node_id", "way_id_high", "way_id_low", "class_high", "class_low", "steps",
            "unit_high", "unit_low", "name_high", "name_low", "border_m", "x", "y", "gap_id",
        ]
    )  # fmt: skip


def find_missing_crossings(
    net: _Network, settings: GapSettings, crossings: pd.DataFrame
) -> gpd.GeoDataFrame:
    """Stretches of shared border (inside the network's extent) with no road crossing."""
    min_m = settings.missing_crossing_min_km * 1000.0
    clipped = shapely.intersection(net.borders.geometry.values, net.hull)
    parts, owner = shapely.get_parts(shapely.line_merge(clipped), return_index=True)
    records: list[dict[str, Any]] = []
    geoms: list[shapely.Geometry] = []
    cpts = shapely.points(crossings[["x", "y"]].to_numpy()) if len(crossings) else np.array([])
    cborder = crossings["border"].to_numpy() if len(crossings) else np.array([], dtype=int)
    for part, k in zip(parts, owner, strict=True):  # one per border stretch, not per node
        if shapely.get_type_id(part) != 1 or shapely.length(part) < min_m:
            continue
        mine = cpts[cborder == k]
        mine = mine[shapely.distance(mine, part) <= CROSSING_MERGE_M] if len(mine) else mine
        pos = np.sort(shapely.line_locate_point(part, mine)) if len(mine) else np.array([])
        stops = np.concatenate([[0.0], pos, [shapely.length(part)]])
        for start, end in zip(stops[:-1], stops[1:], strict=True):
            if end - start < min_m:
                continue
            geoms.append(substring(part, start, end))
            row = net.borders.iloc[k]
            key = f"{row['unit_a']}|{row['unit_b']}|{start / 10:.0f}|{end / 10:.0f}"
            records.append(
                {
                    "crossing_id": "M" + hashlib.sha1(key.encode()).hexdigest()[:10],
                    "unit_a": row["unit_a"],
                    "unit_b": row["unit_b"],
                    "unit_a_name": row["unit_a_name"],
                    "unit_b_name": row["unit_b_name"],
                    "length_km": round((end - start) / 1000.0, 2),
                }
            )
    out = gpd.GeoDataFrame(
        pd.DataFrame.from_records(
            records,
            columns=["crossing_id", "unit_a", "unit_b", "unit_a_name", "unit_b_name", "length_km"],
        ),
        geometry=gpd.GeoSeries(geoms, crs=net.crs) if geoms else gpd.GeoSeries([], crs=net.crs),
        crs=net.crs,
    )
    logger.info("%d border stretch(es) ≥ %.1f km without a road crossing", len(out), min_m / 1000)
    return out


# --------------------------------------------------------------------------------------------
# entry point


def detect_gaps(
    nodes: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    graph: CSRGraph,
    *,
    border_level: int,
    settings: GapSettings,
    planned: gpd.GeoDataFrame | None = None,
    waterways: gpd.GeoDataFrame | None = None,
    osm_roads: WayTable | None = None,
) -> GapFindings:
    """Find cross-border dead ends, class drops and missing crossings.

    Parameters
    ----------
    nodes, edges
        ``network/road_nodes.parquet`` and ``network/road_edges.parquet`` (any CRS with one set).
    units
        ``network/admin_units.gpkg``; the units at ``border_level`` define the borders.
    graph
        ``network/road_graph.npz`` (nodes in ``road_nodes`` order), in seconds.
    border_level
        ``admin.border_level`` of the study.
    settings
        The study's ``gaps`` settings.
    planned
        ``network/planned_ways.parquet`` (construction / proposed ways), or None.
    waterways
        Optional waterway lines (rivers, canals) for ``suppress_across_water``.
    osm_roads
        The drivable OSM ways of the extract (:func:`read_osm_context`), to report the OSM
        node and way ids at both ends of each gap (else the simplified graph's ids).

    Returns
    -------
    GapFindings
        ``dead_ends`` (LineString from the dead end to the nearest point of the facing road),
        ``class_drops`` (Point at the node where the class changes) and ``missing_crossings``
        (LineString along the border), all EPSG:4326; plus ``node_unit``.
    """
    for frame, what in ((nodes, "road_nodes"), (edges, "road_edges"), (units, "admin_units")):
        if frame.crs is None:
            raise DataError(f"{what} has no CRS; write it with one (EPSG:4326).")
    net = _prepare(
        nodes,
        edges,
        units,
        graph,
        border_level=border_level,
        ignore_highway=settings.ignore_highway,
    )
    unit_of_node = _assign_units(shapely.points(net.xy), net.units, net.unit_tree)
    node_unit = np.where(
        unit_of_node >= 0, net.units["unit_id"].to_numpy()[np.maximum(unit_of_node, 0)], ""
    )
    if net.borders.empty:
        dead, drops = _empty_dead_ends(), _empty_drops()
        missing = find_missing_crossings(net, settings, border_crossings(net))
    else:
        dead = find_dead_ends(
            net, graph, settings, planned=planned, waterways=waterways, osm_roads=osm_roads
        )
        crossings = border_crossings(net)
        drops = find_class_drops(net, settings, crossings, osm_roads=osm_roads)
        missing = find_missing_crossings(net, settings, crossings)

    a_xy = net.xy[dead["a_pos"].to_numpy(np.int64)] if len(dead) else np.empty((0, 2))
    p_xy = dead[["px", "py"]].to_numpy(float) if len(dead) else np.empty((0, 2))
    lines = shapely.linestrings(np.stack([a_xy, p_xy], axis=1)) if len(dead) else []
    dead_gdf = gpd.GeoDataFrame(dead, geometry=gpd.GeoSeries(lines, crs=net.crs)).to_crs(WGS84)
    dead_gdf["lon"] = graph.x[dead["a_pos"].to_numpy(np.int64)] if len(dead) else []
    dead_gdf["lat"] = graph.y[dead["a_pos"].to_numpy(np.int64)] if len(dead) else []
    ends = shapely.get_point(dead_gdf.geometry.values, 1) if len(dead) else np.array([])
    dead_gdf["other_lon"] = shapely.get_x(ends) if len(dead) else []
    dead_gdf["other_lat"] = shapely.get_y(ends) if len(dead) else []
    dead_gdf = dead_gdf.drop(columns=["px", "py"])

    drop_pts = shapely.points(drops[["x", "y"]].to_numpy(float)) if len(drops) else []
    drops_gdf = gpd.GeoDataFrame(
        drops.drop(columns=["x", "y"]), geometry=gpd.GeoSeries(drop_pts, crs=net.crs)
    ).to_crs(WGS84)
    drops_gdf["lon"] = drops_gdf.geometry.x if len(drops) else []
    drops_gdf["lat"] = drops_gdf.geometry.y if len(drops) else []
    return GapFindings(
        dead_ends=dead_gdf,
        class_drops=drops_gdf.drop(columns=["pos"]),
        missing_crossings=missing.to_crs(WGS84),
        node_unit=node_unit,
    )


# --------------------------------------------------------------------------------------------
# output tables

#: Column order of the dead-end outputs (gaps.gpkg layer dead_ends, gaps.csv, gaps.xlsx).
DEAD_END_COLUMNS: tuple[str, ...] = (
    "rank", "gap_id", "status", "comment", "found", "unit_name", "other_unit_name",
    "name", "ref", "highway", "other_name", "other_ref", "other_highway", "gap_m",
    "detour_min", "detour_km", "detour_ratio", "planned", "planned_way_id", "planned_class",
    "link_class", "link_time_min", "pairs_sampled", "pairs_improving", "minutes_saved_mean",
    "minutes_saved_per_trip", "person_minutes_saved", "node_id", "way_id", "other_node_id",
    "other_way_id", "unit_id",
    "other_unit_id", "across_water", "lon", "lat", "other_lon", "other_lat",
)  # fmt: skip
#: Column order of the class-drop outputs.
CLASS_DROP_COLUMNS: tuple[str, ...] = (
    "gap_id", "status", "comment", "found", "unit_high", "unit_low", "class_high",
    "class_low", "steps", "name_high", "name_low", "border_m", "node_id", "way_id_high",
    "way_id_low", "lon", "lat",
)  # fmt: skip
#: Column order of the missing-crossing outputs.
MISSING_CROSSING_COLUMNS: tuple[str, ...] = (
    "crossing_id", "unit_a_name", "unit_b_name", "length_km", "unit_a", "unit_b",
)  # fmt: skip
#: Columns of the review template after gap_id, status, comment: what planners need to judge.
TEMPLATE_COLUMNS: tuple[str, ...] = (
    "kind", "found", "rank", "unit_name", "other_unit_name", "unit_id", "other_unit_id", "name",
    "other_name", "highway",
    "other_highway", "gap_m", "detour_km", "minutes_saved_per_trip", "planned",
    "planned_way_id", "unit_high", "unit_low", "class_high", "class_low", "name_high",
    "name_low", "lon", "lat",
)  # fmt: skip
#: Kinds of reviewable findings by id letter.
KINDS: dict[str, str] = {"G": "断头路 dead end", "C": "瓶颈路 class drop"}
#: Sheet names of gaps.xlsx per layer.
SHEETS: dict[str, str] = {
    "dead_ends": "断头路 dead ends",
    "class_drops": "瓶颈路 class drops",
    "missing_crossings": "缺失通道 missing crossings",
}


def order_columns(frame: gpd.GeoDataFrame, columns: Sequence[str]) -> gpd.GeoDataFrame:
    """The given columns (those present) in order, then the geometry."""
    keep = [c for c in columns if c in frame.columns]
    return frame[[*keep, frame.geometry.name]]


def bilingual_header(columns: Sequence[str]) -> tuple[list[str], list[str]]:
    """Chinese and English header rows for ``columns`` (unknown columns keep their name)."""
    zh = [COLUMN_LABELS.get(c, (c, c))[0] for c in columns]
    en = [COLUMN_LABELS.get(c, (c, c))[1] for c in columns]
    return zh, en


def write_xlsx(path: Any, layers: Mapping[str, pd.DataFrame]) -> None:
    """Write each layer (without geometry) to its sheet, under a Chinese and an English header
    row, with the panes frozen below the headers. Written atomically."""
    from spatialint.fileio import atomic_path

    with atomic_path(path) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        for layer, frame in layers.items():
            table = pd.DataFrame(frame.drop(columns=frame.geometry.name, errors="ignore"))
            sheet = SHEETS.get(layer, layer)[:31]
            table.to_excel(writer, sheet_name=sheet, index=False, header=False, startrow=2)
            ws = writer.sheets[sheet]
            zh, en = bilingual_header(list(table.columns))
            for col, (top, bottom) in enumerate(zip(zh, en, strict=True), start=1):
                ws.cell(row=1, column=col, value=top)
                ws.cell(row=2, column=col, value=bottom)
                ws.column_dimensions[ws.cell(row=1, column=col).column_letter].width = max(
                    10, min(28, 2 * len(top) + 2, len(bottom) + 2)
                )
            ws.freeze_panes = "A3"
