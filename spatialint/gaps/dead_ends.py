"""Cross-border dead ends (断头路): roads that end facing a road of another unit.

A dead end is a node of degree 1 in the undirected drivable graph, within
``gaps.border_distance_m`` of a border, facing a road of the *other* unit within
``gaps.gap_max_m`` that the network only reaches by a detour (network distance ≥
``gaps.min_detour_ratio`` × straight-line gap). :func:`find_dead_ends` runs the steps in order:

1. :func:`border_dead_ends`: degree-1 nodes near a border, inside a unit, not where the data
   stops (:mod:`spatialint.gaps.data_edges`: a way with nodes missing from the extract, an end
   outside the study area; the hull only as a fallback);
2. :func:`facing_roads`: the roads within reach, measured to their part in the other unit
   (``cross_border_only``);
3. :func:`mark_across_water`: links whose straight line crosses a waterway: kept and flagged
   (a missing bridge, 需建桥), or dropped with ``suppress_across_water``;
4. :func:`drop_connected`: roads already connected by a short path are not gaps;
5. :func:`one_gap_per_pair`: per dead end the other dead end facing it, else the nearest
   facing road; two facing dead ends once;
6. :func:`describe_dead_ends`: both ends, the roads, the gap, today's detour (time and
   distance) and whether a planned way (``highway=construction|proposed``) bridges it;
7. :func:`spatialint.gaps.evidence.dead_end_evidence`: the angles, facing stubs, plausible gap
   for the class and intentional-end tags a reviewer weighs.

Everything is vectorised (shapely 2 STRtree queries, numpy); distances are metres in the
network's UTM zone.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely

from spatialint.gaps.data_edges import DataExtent, data_edge_reasons, log_data_edges
from spatialint.gaps.detours import (
    MAX_ROAD_SPEED_MPS,
    detour_time_s,
    length_graph,
    network_distance_m,
)
from spatialint.gaps.evidence import crosses_a_road, dead_end_evidence, facing_pairs
from spatialint.gaps.network import BorderNetwork, incident_edges, node_degree
from spatialint.gaps.osm_context import osm_ids_of_dead_ends
from spatialint.gaps.review import stable_gap_id
from spatialint.network.graph import CSRGraph
from spatialint.osm.ways import WayTable
from spatialint.settings import GapSettings

logger = logging.getLogger(__name__)

#: Shortest length of an edge, metres, when locating a point along it (no division by zero).
MIN_EDGE_M = 1e-6
#: Smallest gap, metres, the detour ratio is taken over (two ends at the same place).
MIN_RATIO_GAP_M = 1.0

#: Columns of the dead ends that locate them in the routing graph: the dead end ``a_pos``, the
#: facing road's nearer end ``b_pos`` and its edge ``u_pos``–``v_pos`` with the point
#: ``along_fraction`` of the way along it. Ranking needs them; the outputs do not.
GRAPH_COLUMNS = ("a_pos", "b_pos", "u_pos", "v_pos", "along_fraction")


def find_dead_ends(
    net: BorderNetwork,
    graph: CSRGraph,
    settings: GapSettings,
    *,
    planned: gpd.GeoDataFrame | None = None,
    waterways: gpd.GeoDataFrame | None = None,
    osm_roads: WayTable | None = None,
    end_tags: pd.Series | None = None,
    extent: DataExtent | None = None,
) -> pd.DataFrame:
    """Cross-border dead ends, one row per gap, in metric coordinates (see the module doc).

    Parameters
    ----------
    net
        The network in metres (:func:`spatialint.gaps.network.prepare_network`).
    graph
        The road graph in seconds.
    settings
        The study's ``gaps`` settings.
    planned
        The ``planned_ways`` table, or None.
    waterways
        Waterway lines (any CRS), or None: then ``across_water`` is NA.
    osm_roads
        The drivable OSM ways (:func:`spatialint.gaps.osm_context.read_osm_context`): the ends
        are then named by their OSM ids (else by the simplified graph's).
    end_tags
        Node id -> tags marking an intentional end, or None.
    extent
        Where the data stops (:class:`spatialint.gaps.data_edges.DataExtent`); None: unknown
        (the hull fallback applies).

    Returns
    -------
    pandas.DataFrame
        :func:`describe_dead_ends`' columns, the evidence
        (:data:`spatialint.gaps.evidence.EVIDENCE`) and ``gap_id``.
    """
    degree = node_degree(net, graph.n_nodes)
    ends = border_dead_ends(net, degree, settings, extent=extent or DataExtent())
    pairs = facing_roads(net, ends, settings)
    pairs = mark_across_water(net, pairs, waterways, suppress=settings.suppress_across_water)
    lengths = length_graph(net, graph.n_nodes)
    pairs = drop_connected(net, pairs, lengths, settings)
    gaps = one_gap_per_pair(mark_facing(net, pairs, degree, settings))
    out = describe_dead_ends(net, graph, lengths, gaps, settings, planned=planned)
    if waterways is None:
        out["across_water"] = pd.array([pd.NA] * len(out), dtype="boolean")
    if osm_roads is not None:
        out = osm_ids_of_dead_ends(out, osm_roads, net.crs, a_xy=net.xy[out["a_pos"]])
    evidence = dead_end_evidence(net, out, degree, settings, end_tags=end_tags, roads=osm_roads)
    out = pd.concat([out, evidence], axis=1)
    ids = [
        stable_gap_id((na, nb), (wa, wb))
        for na, nb, wa, wb in zip(
            out["node_id"], out["other_node_id"], out["way_id"], out["other_way_id"], strict=True
        )
    ]
    out["gap_id"] = pd.Series(ids, index=out.index, dtype="str")
    logger.info("%d cross-border dead end(s) found", len(out))
    return out


def border_dead_ends(
    net: BorderNetwork, degree: np.ndarray, settings: GapSettings, *, extent: DataExtent
) -> pd.DataFrame:
    """Degree-1 nodes within ``border_distance_m`` of a border, inside a unit and not where
    the data stops (:func:`spatialint.gaps.data_edges.data_edge_reasons`).

    Columns ``a`` (graph position), ``own`` (row of the unit holding it), ``point`` (metric).
    """
    dead = np.flatnonzero(degree == 1)
    pts = shapely.points(net.xy[dead])
    border_tree = shapely.STRtree(net.borders.geometry.values)
    near, _ = border_tree.query(pts, predicate="dwithin", distance=settings.border_distance_m)
    near = np.unique(near)
    ends = pd.DataFrame({"a": dead[near], "own": net.units_of(pts[near]), "point": pts[near]})
    ends = ends[ends["own"] >= 0].reset_index(drop=True)
    logger.info("%d dead ends within %.0f m of a border", len(ends), settings.border_distance_m)
    reasons = data_edge_reasons(net, ends["a"].to_numpy(), extent, settings)
    log_data_edges(reasons, extent, settings)
    return ends[reasons == ""].reset_index(drop=True)


def facing_roads(net: BorderNetwork, ends: pd.DataFrame, settings: GapSettings) -> pd.DataFrame:
    """Every (dead end, road) pair within ``gap_max_m``, the road not incident to the dead end.

    Columns: those of ``ends``, ``edge`` (row of ``net.edges``), ``p`` (the road's point
    nearest the dead end), ``along`` (its position along the edge geometry, metres), ``gap``
    (metres) and ``p_unit`` (row of the unit holding ``p``). With ``cross_border_only`` only
    roads in another unit are kept.
    """
    pts = ends["point"].to_numpy()
    di, ej = net.road_tree.query(pts, predicate="dwithin", distance=settings.gap_max_m)
    a = ends["a"].to_numpy()
    e = net.edges
    incident = (e["pu"].to_numpy()[ej] == a[di]) | (e["pv"].to_numpy()[ej] == a[di])
    di, ej = di[~incident], ej[~incident]
    along = shapely.line_locate_point(net.geoms[ej], pts[di])
    p = shapely.line_interpolate_point(net.geoms[ej], along)
    pairs = ends.iloc[di].reset_index(drop=True)
    pairs["edge"] = ej
    pairs["along"] = along
    pairs["p"] = p
    pairs["gap"] = shapely.distance(pts[di], p)
    pairs["p_unit"] = net.units_of(p)
    ok = pairs["p_unit"].to_numpy() >= 0
    if settings.cross_border_only:
        ok = _measure_to_other_side(net, pairs, ok & (pairs["p_unit"] != pairs["own"]).to_numpy())
    pairs = pairs[ok]
    return pairs[pairs["gap"] <= settings.gap_max_m].reset_index(drop=True)


def _measure_to_other_side(net: BorderNetwork, pairs: pd.DataFrame, ok: np.ndarray) -> np.ndarray:
    """Re-measure pairs whose road crosses the border to the part of it in the other unit.

    A road crossing the border has its nearest point on our side; the link would join its part
    inside the other unit instead. Updates ``p``, ``gap``, ``along`` and ``p_unit`` of those
    pairs in place (few: crossing edges near dead ends) and returns the pairs now kept.
    """
    geoms = net.geoms[pairs["edge"].to_numpy()]
    own = pairs["own"].to_numpy()
    ci, cu = net.unit_tree.query(geoms[~ok], predicate="intersects")
    rest = np.flatnonzero(~ok)[ci]
    other = cu != own[rest]
    rest, cu = rest[other], cu[other]
    if len(rest) == 0:
        return ok
    pts = pairs["point"].to_numpy()
    part = shapely.intersection(geoms[rest], net.units.geometry.values[cu])
    q = shapely.get_point(shapely.shortest_line(pts[rest], part), 1)
    valid = ~shapely.is_missing(q) & ~shapely.is_empty(q)
    rest, cu, q = rest[valid], cu[valid], q[valid]
    columns = {name: pairs[name].to_numpy().copy() for name in ("p", "gap", "along", "p_unit")}
    columns["p"][rest] = q
    columns["gap"][rest] = shapely.distance(pts[rest], q)
    columns["along"][rest] = shapely.line_locate_point(geoms[rest], q)
    columns["p_unit"][rest] = cu
    for name, values in columns.items():
        pairs[name] = values
    ok = ok.copy()
    ok[rest] = True
    return ok


def mark_across_water(
    net: BorderNetwork,
    pairs: pd.DataFrame,
    waterways: gpd.GeoDataFrame | None,
    *,
    suppress: bool,
) -> pd.DataFrame:
    """Add ``across_water``: the straight link crosses a waterway; with ``suppress`` such pairs
    are dropped (the road ends at a river bank). No waterways: all False."""
    pairs = pairs.assign(across_water=np.zeros(len(pairs), dtype=bool))
    if waterways is None or waterways.empty or pairs.empty:
        return pairs
    lines = shapely.linestrings(
        np.stack(
            [
                shapely.get_coordinates(pairs["point"].to_numpy()),
                shapely.get_coordinates(pairs["p"].to_numpy()),
            ],
            axis=1,
        )
    )
    wtree = shapely.STRtree(np.asarray(waterways.to_crs(net.crs).geometry.values))
    hit, _ = wtree.query(lines, predicate="intersects")
    across = pairs["across_water"].to_numpy().copy()
    across[np.unique(hit)] = True
    pairs["across_water"] = across
    if not suppress:
        return pairs
    logger.info("suppressed %d candidate link(s) across a waterway", int(across.sum()))
    return pairs[~across].reset_index(drop=True)


def drop_connected(
    net: BorderNetwork, pairs: pd.DataFrame, lengths: sp.csr_array, settings: GapSettings
) -> pd.DataFrame:
    """Keep the pairs whose network distance is ≥ ``min_detour_ratio`` × the straight gap.

    Adds the edge's ends ``pu``/``pv`` and length ``elen`` and ``along_m``, the position of
    ``p`` along the edge rescaled to its stored length. Beyond ``min_detour_ratio`` ×
    ``gap_max_m`` every pair passes, so the searches stop there.
    """
    e = net.edges
    edge = pairs["edge"].to_numpy()
    pairs = pairs.assign(
        pu=e["pu"].to_numpy()[edge],
        pv=e["pv"].to_numpy()[edge],
        elen=e["length_m"].to_numpy()[edge],
    )
    geom_len = np.maximum(shapely.length(net.geoms[edge]), MIN_EDGE_M)
    pairs["along_m"] = pairs["along"].to_numpy() / geom_len * pairs["elen"].to_numpy()
    to_p = network_distance_m(
        lengths,
        pairs["a"].to_numpy(),
        pairs["pu"].to_numpy(),
        pairs["pv"].to_numpy(),
        pairs["along_m"].to_numpy(),
        pairs["elen"].to_numpy(),
        limit_m=settings.min_detour_ratio * settings.gap_max_m,
    )
    keep = to_p / np.maximum(pairs["gap"].to_numpy(), MIN_RATIO_GAP_M) >= settings.min_detour_ratio
    logger.info(
        "%d candidate link(s) dropped: the roads already connect within %.1f × the gap",
        int((~keep).sum()),
        settings.min_detour_ratio,
    )
    return pairs[keep].reset_index(drop=True)


def mark_facing(
    net: BorderNetwork, pairs: pd.DataFrame, degree: np.ndarray, settings: GapSettings
) -> pd.DataFrame:
    """Add ``b``, the facing edge's end nearer along the road to ``p`` (the gap's other node),
    and ``facing``: the road is a dead end at ``p`` and the two ends face each other
    (:func:`spatialint.gaps.evidence.facing_pairs`; each dead end faces at most one, the
    nearest, and not across another road)."""
    near_start = pairs["along_m"] <= pairs["elen"] / 2
    pairs = pairs.assign(b=np.where(near_start, pairs["pu"], pairs["pv"]))
    p_xy = shapely.get_coordinates(pairs["p"].to_numpy()).reshape(-1, 2)
    a, b = pairs["a"].to_numpy(np.int64), pairs["b"].to_numpy(np.int64)
    _, _, facing = facing_pairs(net, a, b, p_xy, degree, settings)
    rows = np.flatnonzero(facing)
    facing[rows] &= ~crosses_a_road(net, net.xy[a[rows]], p_xy[rows])
    return pairs.assign(facing=_nearest_for_both(a, b, pairs["gap"].to_numpy(), facing))


def _nearest_for_both(
    a: np.ndarray, b: np.ndarray, gap: np.ndarray, facing: np.ndarray
) -> np.ndarray:
    """Facing pairs that are the nearest facing pair of both their ends: a dead end faces at
    most one other, the one it points at most closely across the border."""
    rows = np.flatnonzero(facing)
    if len(rows) == 0:
        return facing
    table = pd.DataFrame(
        {"row": np.concatenate([rows, rows]), "end": np.concatenate([a[rows], b[rows]]),
         "gap": np.concatenate([gap[rows], gap[rows]])}
    )  # fmt: skip
    best = table.groupby("end")["gap"].transform("min").to_numpy()
    beaten = np.unique(table["row"].to_numpy()[table["gap"].to_numpy() > best])
    out = facing.copy()
    out[beaten] = False
    return out


def one_gap_per_pair(pairs: pd.DataFrame) -> pd.DataFrame:
    """Per dead end, the other dead end facing it, else the nearest road; two dead ends
    facing each other are one gap (:func:`mark_facing` first)."""
    order = pairs.assign(apart=~pairs["facing"].to_numpy(bool))
    gaps = order.sort_values(["apart", "gap", "a", "edge"]).drop_duplicates("a")
    gaps = gaps.drop(columns="apart").reset_index(drop=True)
    lo = np.minimum(gaps["a"], gaps["b"])
    hi = np.maximum(gaps["a"], gaps["b"])
    gaps = gaps.assign(lo=lo, hi=hi).sort_values(["gap", "a"])
    return gaps.drop_duplicates(["lo", "hi"]).reset_index(drop=True)


def describe_dead_ends(
    net: BorderNetwork,
    graph: CSRGraph,
    lengths: sp.csr_array,
    gaps: pd.DataFrame,
    settings: GapSettings,
    *,
    planned: gpd.GeoDataFrame | None,
) -> pd.DataFrame:
    """The table of gaps: units, both ends' nodes and roads, gap, detour, planned link.

    Columns :data:`GRAPH_COLUMNS`, ``unit_id``/``unit_name``, ``other_unit_id``/``_name``,
    ``node_id``, ``way_id``, ``highway``, ``name``, ``ref`` (the dead end's road) and their
    ``other_`` counterparts (the facing road), ``gap_m``, ``detour_min``, ``detour_km``,
    ``detour_ratio``, ``across_water``, ``planned``, ``planned_way_id``, ``planned_class`` and
    the facing point ``px``, ``py`` (metres).
    """
    e = net.edges
    a_pos, b_pos = gaps["a"].to_numpy(), gaps["b"].to_numpy()
    own_road = e.iloc[incident_edges(e, a_pos)].reset_index(drop=True)
    other_road = e.iloc[gaps["edge"].to_numpy()].reset_index(drop=True)
    facing = gaps["p"].to_numpy()
    p_xy = np.column_stack([shapely.get_x(facing), shapely.get_y(facing)])
    planned_yes, planned_id, planned_cls = planned_links(
        net.xy[a_pos], p_xy, planned, net.crs, snap_m=settings.planned_snap_m
    )
    fraction = np.clip(gaps["along_m"] / gaps["elen"].clip(lower=MIN_EDGE_M), 0, 1)
    minutes, km = _detour(net, graph, lengths, gaps, fraction.to_numpy(), settings)
    units = net.units
    out = pd.DataFrame(
        {
            "a_pos": a_pos,
            "b_pos": b_pos,
            "unit_id": units["unit_id"].to_numpy()[gaps["own"]],
            "unit_name": units["name"].to_numpy()[gaps["own"]],
            "other_unit_id": units["unit_id"].to_numpy()[gaps["p_unit"]],
            "other_unit_name": units["name"].to_numpy()[gaps["p_unit"]],
            "node_id": net.node_ids[a_pos],
            "way_id": own_road["osmid"],
            "highway": own_road["highway"],
            "name": own_road["name"],
            "ref": own_road["ref"],
            "other_node_id": net.node_ids[b_pos],
            "other_way_id": other_road["osmid"],
            "other_highway": other_road["highway"],
            "other_name": other_road["name"],
            "other_ref": other_road["ref"],
            "gap_m": gaps["gap"].round(1),
            "u_pos": gaps["pu"].to_numpy(),
            "v_pos": gaps["pv"].to_numpy(),
            "along_fraction": fraction,
            "detour_min": minutes,
            "detour_km": km,
            "across_water": gaps["across_water"].to_numpy(),
            "planned": planned_yes,
            "planned_way_id": pd.array(planned_id, dtype="Int64"),
            "planned_class": planned_cls,
            "px": p_xy[:, 0],
            "py": p_xy[:, 1],
        }
    )
    ratio = out["detour_km"] * 1000.0 / out["gap_m"].clip(lower=MIN_RATIO_GAP_M)
    out["detour_ratio"] = ratio.round(1)
    return out


def _detour(
    net: BorderNetwork,
    graph: CSRGraph,
    lengths: sp.csr_array,
    gaps: pd.DataFrame,
    fraction: np.ndarray,
    settings: GapSettings,
) -> tuple[np.ndarray, np.ndarray]:
    """Today's way round from each dead end to its facing point: minutes and km (NaN beyond
    ``detour_cutoff_min``)."""
    a_pos, u, v = gaps["a"].to_numpy(), gaps["pu"].to_numpy(), gaps["pv"].to_numpy()
    cutoff_s = settings.detour_cutoff_min * 60
    seconds = detour_time_s(graph, a_pos, u, v, fraction, cutoff_s=cutoff_s)
    metres = network_distance_m(
        lengths,
        a_pos,
        u,
        v,
        gaps["along_m"].to_numpy(),
        gaps["elen"].to_numpy(),
        limit_m=cutoff_s * MAX_ROAD_SPEED_MPS,
    )
    return seconds / 60.0, np.where(np.isfinite(metres), metres / 1000.0, np.nan)


def planned_links(
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
    pg = np.asarray(planned.to_crs(crs).geometry.values)
    tree = shapely.STRtree(pg)
    ia, ja = tree.query(shapely.points(a_xy), predicate="dwithin", distance=snap_m)
    ib, jb = tree.query(shapely.points(p_xy), predicate="dwithin", distance=snap_m)
    both = pd.DataFrame({"gap": ia, "wa": ja}).merge(pd.DataFrame({"gap": ib, "wb": jb}), on="gap")
    if both.empty:
        return found, way, cls
    touching = (both["wa"] == both["wb"]) | (
        shapely.distance(pg[both["wa"].to_numpy()], pg[both["wb"].to_numpy()]) <= snap_m
    )
    both = both[touching].drop_duplicates("gap")
    gaps, rows = both["gap"].to_numpy(), both["wa"].to_numpy()
    found[gaps] = True
    way[gaps] = planned["osmid"].to_numpy(np.int64)[rows]
    cls[gaps] = planned["planned_class"].fillna("").astype(str).to_numpy()[rows]
    return found, way, cls
