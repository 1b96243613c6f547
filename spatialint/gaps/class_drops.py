"""Class drops at borders (瓶颈路): a road that continues across a border as a far lower class.

Near a point where a road crosses a border (:func:`spatialint.gaps.borders.border_crossings`),
a node where the road continues (nearly straight) as a road ≥ ``gaps.class_drop_steps`` steps
lower on ``gaps.class_ladder``, with no road of the higher class continuing.
:func:`find_class_drops` runs the steps in order:

1. :func:`_incidences`: every (node, edge) within ``class_drop_distance_m`` of a crossing, at
   nodes with two or more edges, with the class's step on the ladder;
2. :func:`_sides_and_bearings`: which side of the crossing each edge leads to, and its bearing;
3. :func:`_straight_drops`: straight-on pairs across the two sides whose classes differ enough;
4. :func:`_drop_table`: both roads, their classes and units, the distance to the border.

A main road that runs beside the border with a minor road branching off across it is no drop
(the pair is not straight); a main road that turns away at the border while the straight road
across is minor is one.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from spatialint.gaps.network import BorderNetwork
from spatialint.gaps.osm_context import osm_ids_of_drops
from spatialint.gaps.review import stable_gap_id
from spatialint.osm.ways import WayTable
from spatialint.settings import GapSettings

logger = logging.getLogger(__name__)

#: A node closer than this to a border is *on* the border (its sides are told by its neighbours).
ON_BORDER_M = 2.0
#: Two road directions at a node form a continuation ("the same road") when they differ by at
#: least this angle (180° = straight on); 135° allows a 45° bend.
STRAIGHT_MIN_DEG = 135.0
#: Bearings at a node are taken this far along each edge, so a curve far away does not count.
BEARING_PROBE_M = 30.0

#: Columns of :func:`find_class_drops` and their dtypes (``pos`` is the graph position of the
#: node, ``x``/``y`` its metric coordinates, ``unit_high_id``/``unit_low_id`` the sides' unit ids
#: for their border level, dropped before writing).
DROP_DTYPES: dict[str, str] = {
    "pos": "int64", "node_id": "int64", "way_id_high": "int64", "way_id_low": "int64",
    "class_high": "object", "class_low": "object", "steps": "int64", "unit_high": "object",
    "unit_low": "object", "name_high": "object", "name_low": "object", "border_m": "float64",
    "x": "float64", "y": "float64", "gap_id": "object", "unit_high_id": "object",
    "unit_low_id": "object",
}  # fmt: skip


def find_class_drops(
    net: BorderNetwork,
    settings: GapSettings,
    crossings: pd.DataFrame,
    *,
    osm_roads: WayTable | None = None,
) -> pd.DataFrame:
    """Class drops at border crossings (瓶颈路), metric coordinates.

    At each node within ``class_drop_distance_m`` of a crossing, the incident edges are split
    into the side towards the crossing (the crossing edge, or edges whose far end is nearer the
    crossing) and the side away from it; a node *on* the border splits them by unit instead. A
    drop is a nearly straight pair (≥ :data:`STRAIGHT_MIN_DEG`) across the two sides whose
    classes differ by ≥ ``class_drop_steps`` on the ladder, where the lower side has nothing
    better and the higher class is the best at the node.

    Parameters
    ----------
    net
        The network in metres.
    settings
        The study's ``gaps`` settings.
    crossings
        :func:`spatialint.gaps.borders.border_crossings` of ``net``.
    osm_roads
        The drivable OSM ways, to name the two roads by the OSM ways at the node.

    Returns
    -------
    pandas.DataFrame
        One row per drop, columns :data:`DROP_DTYPES`, nearest the border first.
    """
    inc = _incidences(net, crossings, settings) if len(crossings) else pd.DataFrame()
    if inc.empty:
        return no_drops()
    pairs = _straight_drops(_sides_and_bearings(net, crossings, inc), settings)
    if pairs.empty:
        return no_drops()
    out = _drop_table(net, pairs)
    out = out.sort_values(["border_m", "steps"], ascending=[True, False])
    out = out.drop_duplicates(["way_id_high", "way_id_low"]).drop_duplicates("node_id")
    if osm_roads is not None:
        out = osm_ids_of_drops(out, osm_roads)
    ids = [
        stable_gap_id((n,), (h, lw), kind="C")
        for n, h, lw in zip(out["node_id"], out["way_id_high"], out["way_id_low"], strict=True)
    ]
    out["gap_id"] = pd.Series(ids, index=out.index, dtype="str")
    logger.info("%d class drop(s) at border crossings", len(out))
    return out.reset_index(drop=True)


def no_drops() -> pd.DataFrame:
    """The table of class drops without rows."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in DROP_DTYPES.items()})


def _incidences(net: BorderNetwork, crossings: pd.DataFrame, settings: GapSettings) -> pd.DataFrame:
    """One row per (node, edge) near a crossing: ``node``, ``far`` (the edge's other end),
    ``edge``, ``from_start``, ``cdist``/``crossing`` (the nearest crossing) and ``rank`` (the
    class's step on the ladder); only nodes with ≥ 2 edges and classes on the ladder."""
    e = net.edges
    ctree = cKDTree(crossings[["x", "y"]].to_numpy())
    inc = pd.DataFrame(
        {
            "node": np.concatenate([e["pu"].to_numpy(), e["pv"].to_numpy()]),
            "far": np.concatenate([e["pv"].to_numpy(), e["pu"].to_numpy()]),
            "edge": np.concatenate([np.arange(len(e))] * 2),
            "from_start": np.concatenate([np.ones(len(e), bool), np.zeros(len(e), bool)]),
        }
    )
    inc["cdist"], inc["crossing"] = ctree.query(net.xy[inc["node"].to_numpy()])
    inc = inc[inc["cdist"] <= settings.class_drop_distance_m]
    inc = inc[inc.groupby("node")["edge"].transform("size") >= 2].reset_index(drop=True)
    if inc.empty:
        return inc
    ladder = settings.class_ladder
    highway = e["highway"].to_numpy()[inc["edge"]]
    inc["rank"] = np.array([ladder.get(h, np.nan) for h in highway], dtype=float)
    return inc[inc["rank"].notna()].reset_index(drop=True)


def _sides_and_bearings(
    net: BorderNetwork, crossings: pd.DataFrame, inc: pd.DataFrame
) -> pd.DataFrame:
    """Add ``side`` (-2 away from the crossing, -1 towards it; a unit row for nodes on the
    border) and ``bearing`` (degrees, :data:`BEARING_PROBE_M` along the edge)."""
    cxy = crossings[["x", "y"]].to_numpy()
    c_edge = crossings["edge"].to_numpy()[inc["crossing"]]
    far_d = np.hypot(*(net.xy[inc["far"]] - cxy[inc["crossing"]]).T)
    toward = (inc["edge"].to_numpy() == c_edge) | (far_d < inc["cdist"].to_numpy())
    on_border = inc["cdist"].to_numpy() <= ON_BORDER_M
    far_unit = net.units_of(shapely.points(net.xy[inc["far"]]))
    inc = inc.assign(side=np.where(on_border, far_unit, toward.astype(np.int64) - 2))
    probe = _bearing_probe(net.geoms[inc["edge"]], inc["from_start"].to_numpy())
    dx = shapely.get_x(probe) - net.xy[inc["node"], 0]
    dy = shapely.get_y(probe) - net.xy[inc["node"], 1]
    inc["bearing"] = np.degrees(np.arctan2(dy, dx))
    return inc


def _bearing_probe(geoms: np.ndarray, from_start: np.ndarray) -> np.ndarray:
    """Point BEARING_PROBE_M along each edge from the node it is seen from."""
    length = shapely.length(geoms)
    dist = np.minimum(BEARING_PROBE_M, length / 2)
    dist = np.where(from_start, dist, length - dist)
    return shapely.line_interpolate_point(geoms, dist)


def _straight_drops(inc: pd.DataFrame, settings: GapSettings) -> pd.DataFrame:
    """Pairs (``_h`` the node's best class, ``_l`` the best class of another side) that go
    straight on and drop ≥ ``class_drop_steps``."""
    inc = inc.assign(
        side_best=inc.groupby(["node", "side"])["rank"].transform("min"),
        node_best=inc.groupby("node")["rank"].transform("min"),
    )
    high = inc[inc["rank"] == inc["node_best"]]
    low = inc[inc["rank"] == inc["side_best"]]
    pairs = high.merge(low, on="node", suffixes=("_h", "_l"))
    pairs = pairs[pairs["side_h"] != pairs["side_l"]]
    angle = np.abs((pairs["bearing_h"] - pairs["bearing_l"] + 180.0) % 360.0 - 180.0)
    return pairs[
        (angle >= STRAIGHT_MIN_DEG)
        & (pairs["rank_l"] - pairs["rank_h"] >= settings.class_drop_steps)
    ]


def _drop_table(net: BorderNetwork, pairs: pd.DataFrame) -> pd.DataFrame:
    """The drops of ``pairs``: node, both roads and classes, the units on both sides."""
    e = net.edges
    eh = e.iloc[pairs["edge_h"].to_numpy()].reset_index(drop=True)
    el = e.iloc[pairs["edge_l"].to_numpy()].reset_index(drop=True)
    nodes = pairs["node"].to_numpy()
    high = _side_unit(net, pairs["far_h"].to_numpy(), nodes)
    low = _side_unit(net, pairs["far_l"].to_numpy(), nodes)
    return pd.DataFrame(
        {
            "pos": nodes,
            "node_id": net.node_ids[nodes],
            "way_id_high": eh["osmid"],
            "way_id_low": el["osmid"],
            "class_high": eh["highway"],
            "class_low": el["highway"],
            "steps": (pairs["rank_l"] - pairs["rank_h"]).astype(int).to_numpy(),
            "unit_high": _unit_column(net, high, "name"),
            "unit_low": _unit_column(net, low, "name"),
            "name_high": eh["name"],
            "name_low": el["name"],
            "border_m": pairs["cdist_h"].round(1).to_numpy(),
            "x": net.xy[nodes, 0],
            "y": net.xy[nodes, 1],
            "unit_high_id": _unit_column(net, high, "unit_id"),
            "unit_low_id": _unit_column(net, low, "unit_id"),
        }
    )


def _side_unit(net: BorderNetwork, far: np.ndarray, node: np.ndarray) -> np.ndarray:
    """Position in ``net.units`` of the unit on a side: that of the far end, else of the node
    (-1: none)."""
    idx = net.units_of(shapely.points(net.xy[far]))
    at = net.units_of(shapely.points(net.xy[node]))
    return np.where(idx >= 0, idx, at)


def _unit_column(net: BorderNetwork, idx: np.ndarray, column: str) -> np.ndarray:
    """``column`` of the units at positions ``idx`` ("" for -1)."""
    values = net.units[column].to_numpy()
    return np.where(idx >= 0, values[np.maximum(idx, 0)], "")
