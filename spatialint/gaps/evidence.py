"""The evidence a reviewer weighs for each cross-border dead end, measured from the data.

:func:`dead_end_evidence` adds, per candidate gap (dead end ``a``, facing point ``p`` on the
other unit's road, that road's nearer node ``b``):

``approach_deg``
    The angle between the dead-end road's last stretch (its last :data:`END_DIRECTION_M`
    metres, so a short final kink does not decide) and the link ``a → p``: 0° = the road points
    straight at the other road. Thresholds ``gaps.facing_angle_deg`` (points at it) and
    ``gaps.away_angle_deg`` (turns away).
``facing_stubs``, ``other_approach_deg``
    The other road is itself a dead end whose end is the facing point, and each end points at
    the other within ``gaps.facing_angle_deg``: two roads built up to the border from both
    sides. ``other_approach_deg`` is the other end's angle (NaN when it is no dead end there).
``plausible_gap_m``
    The longest plausible missing link for the road class (``gaps.plausible_gap_m``, else
    ``gaps.gap_max_m``); for facing stubs the stricter of the two classes (both roads would
    be extended).
``end_tags``
    Tags marking an intentional end (``gaps.intentional_end_tags``) on the dead end's node, or
    ``noexit=yes`` on its way; for facing stubs also those of the other end (``other: ...``).
``crosses_road``
    The straight link crosses a drivable road on its way (interiors meet; touching a road at
    an end does not count): the dead end lies beside a road already, and the "gap" jumps
    over it (a hillside cul-de-sac above a valley road facing the far side).

The water crossing (``across_water``) and the planned link (``planned``) are measured by
:mod:`spatialint.gaps.dead_ends`, the benefit by :mod:`spatialint.gaps.benefit`; all of them
are weighed in :mod:`spatialint.gaps.confidence`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from spatialint.gaps.network import BorderNetwork, incident_edges
from spatialint.osm.ways import WayTable
from spatialint.settings import GapSettings

#: Metres of road over which the direction of a road's end is measured.
END_DIRECTION_M = 30.0
#: A facing point this close (metres) to the other road's end node is that end.
AT_END_M = 1.0
#: Columns :func:`dead_end_evidence` adds.
EVIDENCE = (
    "facing_stubs", "approach_deg", "other_approach_deg", "plausible_gap_m", "end_tags",
    "crosses_road",
)  # fmt: skip


def end_directions(net: BorderNetwork, positions: np.ndarray) -> np.ndarray:
    """(n, 2) vectors from a point :data:`END_DIRECTION_M` back along each dead end's road to
    the dead end itself (the direction the road is heading when it stops)."""
    if len(positions) == 0:
        return np.zeros((0, 2))
    geoms = net.geoms[incident_edges(net.edges, positions)]
    ends = net.xy[positions]
    pts = shapely.points(ends)
    length = shapely.length(geoms)
    at_start = shapely.distance(shapely.get_point(geoms, 0), pts) <= shapely.distance(
        shapely.get_point(geoms, -1), pts
    )
    back = np.minimum(END_DIRECTION_M, length)
    q = shapely.line_interpolate_point(geoms, np.where(at_start, back, length - back))
    return ends - shapely.get_coordinates(q)


def angle_deg(direction: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Angle (degrees, 0–180) between row vectors; NaN where either has no length."""
    norm = np.hypot(*direction.T) * np.hypot(*vector.T)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.einsum("ij,ij->i", direction, vector) / norm
    return np.where(norm > 0, np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))), np.nan)


def facing_pairs(
    net: BorderNetwork,
    a: np.ndarray,
    b: np.ndarray,
    p: np.ndarray,
    degree: np.ndarray,
    settings: GapSettings,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For candidate links a → p (p on an edge ending at b): the angle at ``a``, the angle at
    ``b`` (NaN unless ``b`` is a dead end at ``p``) and whether the two ends face each other."""
    approach = angle_deg(end_directions(net, a), p - net.xy[a])
    stub = (degree[b] == 1) & (np.hypot(*(p - net.xy[b]).T) <= AT_END_M)
    other = np.full(len(a), np.nan)
    if stub.any():
        other[stub] = angle_deg(end_directions(net, b[stub]), net.xy[a[stub]] - net.xy[b[stub]])
    limit = settings.facing_angle_deg
    return approach, other, stub & (approach <= limit) & (other <= limit)


def crosses_a_road(net: BorderNetwork, a_xy: np.ndarray, p_xy: np.ndarray) -> np.ndarray:
    """Whether each straight link a → p crosses a drivable road (interiors meet)."""
    out = np.zeros(len(a_xy), dtype=bool)
    if len(a_xy) == 0:
        return out
    links = shapely.linestrings(np.stack([a_xy, p_xy], axis=1))
    hit, _ = net.road_tree.query(links, predicate="crosses")
    out[np.unique(hit)] = True
    return out


def class_limits(highway: pd.Series, settings: GapSettings) -> np.ndarray:
    """``gaps.plausible_gap_m`` of each road class; classes not listed get ``gap_max_m``."""
    limits = settings.plausible_gap_m  # a documented fallback, not a config default
    return np.array([limits.get(c, settings.gap_max_m) for c in highway.astype(str)], dtype=float)


def dead_end_evidence(
    net: BorderNetwork,
    dead: pd.DataFrame,
    degree: np.ndarray,
    settings: GapSettings,
    *,
    end_tags: pd.Series | None = None,
    roads: WayTable | None = None,
) -> pd.DataFrame:
    """The :data:`EVIDENCE` columns of the dead ends (see the module doc).

    Parameters
    ----------
    net
        The network in metres.
    dead
        Gaps with ``a_pos``, ``b_pos``, the facing point ``px``/``py`` (metres), ``node_id``,
        ``way_id``, ``highway``, ``other_highway``.
    degree
        Distinct drivable neighbours of every graph node.
    settings
        The study's ``gaps`` settings.
    end_tags
        Node id -> intentional-end tags (:attr:`spatialint.gaps.osm_context.OsmContext.
        end_tags`), or None (no tags known).
    roads
        The drivable OSM ways, for ``noexit=yes`` on the dead end's way, or None.
    """
    a = dead["a_pos"].to_numpy(np.int64)
    b = dead["b_pos"].to_numpy(np.int64)
    p = dead[["px", "py"]].to_numpy(float)
    approach, other, facing = facing_pairs(net, a, b, p, degree, settings)
    own_limit = class_limits(dead["highway"], settings)
    other_limit = class_limits(dead["other_highway"], settings)
    return pd.DataFrame(
        {
            "facing_stubs": facing,
            "approach_deg": np.round(approach, 1),
            "other_approach_deg": np.round(other, 1),
            "plausible_gap_m": np.where(facing, np.minimum(own_limit, other_limit), own_limit),
            "end_tags": _end_tags(dead, net.node_ids[b], facing, end_tags, roads),
            "crosses_road": crosses_a_road(net, net.xy[a], p),
        },
        index=dead.index,
    )


def _end_tags(
    dead: pd.DataFrame,
    other_nodes: np.ndarray,
    facing: np.ndarray,
    end_tags: pd.Series | None,
    roads: WayTable | None,
) -> np.ndarray:
    """``end_tags`` text of each gap: the dead end's node tags and its way's ``noexit=yes``,
    then, for facing stubs, the other end's node tags."""
    tags = end_tags if end_tags is not None else pd.Series(dtype=object)
    own = _text(dead["node_id"].map(tags))
    if roads is not None and "noexit" in roads.tags.columns:
        noexit = roads.tags.set_index("osmid")["noexit"]
        noexit = noexit[noexit == "yes"]
        on_way = dead["way_id"].isin(noexit.index).to_numpy() & np.array(
            ["noexit=yes" not in t for t in own], dtype=bool
        )
        own = np.where(on_way, np.where(own == "", "noexit=yes", own + "; noexit=yes"), own)
    theirs = _text(pd.Series(other_nodes).map(tags))
    theirs = np.where(facing & (theirs != ""), "other: " + theirs, "")
    both = (own != "") & (theirs != "")
    return np.where(both, own + " | " + theirs, own + theirs).astype(object)


def _text(values: pd.Series) -> np.ndarray:
    """Mapped tag texts as an object array, ``""`` where none."""
    out = values.to_numpy(dtype=object)
    return np.where(pd.isna(out), "", out).astype(object)
