"""What the gaps stage reads from the OSM extract itself: road vertices, end tags, waterways.

The network stage's graph is simplified: it keeps only intersections and dead ends, and its
edges carry the id of one of the ways they merge. Planners, however, think in OSM ways and
nodes. :func:`read_osm_context` reads, in one pass over the extract, the drivable ways with all
their nodes (a node missing from the extract shows as a vertex without location), the tags on
nodes that mark an intentional end (``gaps.intentional_end_tags``) and the waterways (rivers,
canals, water outlines); :func:`osm_ids_of_dead_ends` and :func:`osm_ids_of_drops` then name
each finding by the OSM ids at its ends, so the gap ids
(:func:`spatialint.gaps.review.stable_gap_id`) are those of OSM, stable across runs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from os import PathLike

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from spatialint.gaps.borders import CROSSING_MERGE_M
from spatialint.geo import WGS84, to_metric
from spatialint.osm.ways import WayTable, read_osm

logger = logging.getLogger(__name__)

#: ``waterway=*`` values that block a link (as kept by the extract: rivers and canals).
WATERWAY_VALUES = frozenset({"river", "canal"})


#: The way tag that says a road ends on purpose (besides the end node's tags).
NOEXIT = ("noexit", "yes")


@dataclass(frozen=True)
class OsmContext:
    """What the gaps stage reads from the extract besides the network tables."""

    roads: WayTable  # drivable ways with all their nodes (ids and locations; NaN = missing)
    waterways: gpd.GeoDataFrame  # river/canal lines and natural=water way outlines, EPSG:4326
    end_tags: pd.Series  # node id -> "key=value; ..." of the intentional-end tags on it


def has_tag(tags: Mapping[str, str], key: str, value: str) -> bool:
    """``key=value`` is on ``tags``; value ``*`` matches any value."""
    found = tags.get(key)
    return found is not None and (value == "*" or found == value)


def read_osm_context(
    pbf: str | PathLike[str],
    *,
    drivable_classes: Sequence[str],
    end_tags: Sequence[tuple[str, str]] = (),
) -> OsmContext:
    """Read the drivable ways, intentional-end node tags and waterways of the extract in one
    pass.

    Parameters
    ----------
    pbf
        ``data/{study}/osm/extract.osm.pbf``.
    drivable_classes
        ``highway=*`` values that count as roads (``network.highway_classes`` minus
        ``gaps.ignore_highway``).
    end_tags
        ``(key, value)`` pairs marking an intentional end on a node (``value`` ``*`` = any):
        :meth:`spatialint.settings.GapSettings.end_tag_pairs`.

    Notes
    -----
    Water areas mapped only as multipolygon relations (their member ways untagged) are not
    read; rivers are nearly always also mapped as ``waterway=river`` lines, which are.
    """
    roads_set = frozenset(drivable_classes)
    pairs = tuple(end_tags)
    node_keys = sorted({key for key, _ in pairs})

    def wanted(tags: Mapping[str, str]) -> bool:
        return (
            tags.get("highway") in roads_set
            or tags.get("waterway") in WATERWAY_VALUES
            or tags.get("natural") == "water"
        )

    def end_node(tags: Mapping[str, str]) -> bool:
        return any(has_tag(tags, key, value) for key, value in pairs)

    selection = read_osm(
        pbf,
        filter_keys=sorted({"highway", "waterway", "natural", *node_keys}),
        way_test=wanted,
        way_keys=["highway", "waterway", "natural", NOEXIT[0]],
        node_test=end_node if pairs else None,
        node_keys=node_keys,
    )
    ways = selection.ways
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
    tagged = _end_tag_text(selection.nodes, pairs)
    logger.info(
        "extract: %d drivable ways, %d waterway lines/outlines, %d node(s) tagged as an end",
        is_road.sum(),
        keep.sum(),
        len(tagged),
    )
    return OsmContext(roads=ways.subset(is_road), waterways=waterways, end_tags=tagged)


def _end_tag_text(nodes: pd.DataFrame, pairs: Sequence[tuple[str, str]]) -> pd.Series:
    """Per tagged node id, its intentional-end tags as ``key=value; ...`` (in config order)."""
    texts = np.full(len(nodes), "", dtype=object)
    for key, value in pairs:
        if key not in nodes.columns:
            continue
        found = nodes[key].to_numpy(dtype=object)
        hit = np.array([isinstance(v, str) and (value == "*" or v == value) for v in found], bool)
        labels = np.array([f"{key}={v}" for v in found[hit]], dtype=object)
        texts[hit] = np.where(texts[hit] == "", labels, texts[hit] + "; " + labels)
    out = pd.Series(texts, index=nodes["node_id"].to_numpy(np.int64), dtype=object)
    out = out[out != ""]
    return out[~out.index.duplicated()]


def cut_nodes(roads: WayTable) -> np.ndarray:
    """OSM ids of the road vertices next to a vertex missing from the extract.

    A way whose nodes are not all in the file was cut where the data stops (an extract made
    without complete ways); its last located vertex before the missing ones is where a road
    seems to end only because the data does.
    """
    missing = ~(np.isfinite(roads.lon) & np.isfinite(roads.lat))
    if not missing.any():
        return np.zeros(0, dtype=np.int64)
    way = roads.way_index()
    same = way[1:] == way[:-1]
    before = same & missing[1:] & ~missing[:-1]  # vertex i located, i + 1 missing
    after = same & missing[:-1] & ~missing[1:]  # vertex i missing, i + 1 located
    ids = np.concatenate([roads.node_ids[:-1][before], roads.node_ids[1:][after]])
    return np.unique(ids)


def ways_at_nodes(roads: WayTable, node_ids: np.ndarray) -> pd.DataFrame:
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


# --------------------------------------------------------------------------------------------
# dead ends


def osm_ids_of_dead_ends(
    dead: pd.DataFrame, roads: WayTable, crs: pyproj.CRS, *, a_xy: np.ndarray
) -> pd.DataFrame:
    """Replace the graph's way/node ids by the OSM ids at both ends of each gap.

    Parameters
    ----------
    dead
        Dead ends with ``node_id``, ``way_id``, ``other_node_id``, ``other_way_id`` and the
        facing point ``px``, ``py`` (metres in ``crs``).
    roads
        The drivable OSM ways (:attr:`OsmContext.roads`).
    crs
        The metric CRS of the network.
    a_xy
        (n, 2) metric coordinates of the dead ends.

    Returns
    -------
    pandas.DataFrame
        A copy: ``way_id`` is the OSM way ending at the dead end; ``other_node_id`` the vertex of
        the facing way(s) nearest the dead end (the gap spans two OSM nodes, as a planner would
        draw the link) and ``other_way_id`` the way through it that continues the link best.
    """
    out = dead.copy()
    at_a = ways_at_nodes(roads, out["node_id"].to_numpy(np.int64))
    at_a = at_a.sort_values(["node_id", "is_end"], ascending=[True, False])
    first = at_a.drop_duplicates("node_id").set_index("node_id")["osm_way"]
    out["way_id"] = out["node_id"].map(first).fillna(out["way_id"]).astype(np.int64)
    facing = shapely.points(out[["px", "py"]].to_numpy(float))
    best = _facing_vertices(roads, facing, crs, a_xy=a_xy)
    if best.empty:
        return out
    rows = best.index.to_numpy()
    out.loc[out.index[rows], "other_node_id"] = best["node"].to_numpy()
    ways = continuing_way(
        roads, best["node"].to_numpy(), a_xy[rows], crs, fallback=best["way"].to_numpy()
    )
    out.loc[out.index[rows], "other_way_id"] = ways
    return out


def _facing_vertices(
    roads: WayTable, facing: np.ndarray, crs: pyproj.CRS, *, a_xy: np.ndarray
) -> pd.DataFrame:
    """Per gap (index), the OSM vertex (``node``, its ``way``, ``dist``) nearest its dead end
    among the vertices of the ways passing through its facing point; gaps without such a way
    are left out."""
    lines = roads.linestrings()
    has = np.flatnonzero([g is not None for g in lines])
    metric = gpd.GeoSeries(list(lines[has]), crs=WGS84).to_crs(crs).values
    gi, wj = shapely.STRtree(metric).query(facing, predicate="dwithin", distance=CROSSING_MERGE_M)
    if len(gi) == 0:
        return pd.DataFrame({"node": [], "way": [], "dist": []})
    way = has[wj]
    counts = roads.offsets[way + 1] - roads.offsets[way]
    pair = np.repeat(np.arange(len(way)), counts)
    vertex = roads.offsets[way][pair] + (
        np.arange(len(pair)) - np.repeat(np.cumsum(counts) - counts, counts)
    )
    vx, vy = to_metric(roads.lon[vertex], roads.lat[vertex], crs)
    px, py = a_xy[gi[pair], 0], a_xy[gi[pair], 1]
    cands = pd.DataFrame(
        {
            "gap": gi[pair],
            "dist": np.hypot(vx - px, vy - py),
            "node": roads.node_ids[vertex],
            "way": roads.tags["osmid"].to_numpy(np.int64)[way[pair]],
        }
    ).dropna(subset=["dist"])
    return cands.sort_values(["gap", "dist"]).drop_duplicates("gap").set_index("gap")


def continuing_way(
    roads: WayTable,
    node_ids: np.ndarray,
    from_xy: np.ndarray,
    crs: pyproj.CRS,
    *,
    fallback: np.ndarray,
) -> np.ndarray:
    """For each node, the way through it whose next vertex lies most nearly straight ahead of
    the direction ``from_xy`` → node (ties: the way that ends at the node).

    Several ways may meet at a node (a side road leaving a through road): the one continuing
    the link's direction is the road a planner would extend. ``fallback`` for nodes on no way.
    """
    at = ways_at_nodes(roads, node_ids)
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


# --------------------------------------------------------------------------------------------
# class drops


def osm_ids_of_drops(drops: pd.DataFrame, roads: WayTable) -> pd.DataFrame:
    """The OSM ways of each class drop's two classes at its node (``way_id_high``/``_low``)."""
    out = drops.copy()
    at = ways_at_nodes(roads, out["node_id"].to_numpy(np.int64))
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
