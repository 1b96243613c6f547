"""The road network as the gaps stage sees it: drivable edges in metres, units and borders.

:func:`prepare_network` projects the network stage's tables to the UTM zone of the network
(:func:`spatialint.geo.utm_crs_for`), keeps the drivable edges once per direction-free
``(u, v, way)`` with their positions in the routing graph, and adds the border-level units and
their shared borders (:mod:`spatialint.gaps.borders`). The finders of dead ends, class drops
and missing crossings all work on this :class:`BorderNetwork`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from spatialint.errors import DataError
from spatialint.gaps.borders import border_units, unit_borders
from spatialint.geo import to_metric, utm_crs_for
from spatialint.network.graph import CSRGraph

logger = logging.getLogger(__name__)

#: Smallest travel time of an edge, seconds, when deriving its speed (no division by zero).
MIN_EDGE_TIME_S = 1e-6


@dataclass(frozen=True)
class BorderNetwork:
    """The road network projected to metres, with positions aligned to the routing graph."""

    crs: pyproj.CRS
    node_ids: np.ndarray
    xy: np.ndarray  # (n, 2) metres, graph order
    edges: pd.DataFrame  # undirected drivable edges, see drivable_edges
    geoms: np.ndarray  # metric LineStrings of `edges`
    units: gpd.GeoDataFrame  # border-level units, metric
    unit_tree: shapely.STRtree
    borders: gpd.GeoDataFrame  # unit_a, unit_b, unit_a_name, unit_b_name, geometry (metric)
    hull: shapely.Geometry  # convex hull of the nodes: the extent of the extract

    @functools.cached_property
    def road_tree(self) -> shapely.STRtree:
        """Spatial index of :attr:`geoms` (built once, on first use)."""
        return shapely.STRtree(self.geoms)

    def units_of(self, points: np.ndarray) -> np.ndarray:
        """Row in :attr:`units` of the unit containing each point, -1 outside all units."""
        return assign_units(points, self.unit_tree)

    def node_units(self) -> np.ndarray:
        """``unit_id`` of the unit holding each graph node, ``""`` outside all units."""
        index = self.units_of(shapely.points(self.xy))
        ids = self.units["unit_id"].to_numpy()
        return np.where(index >= 0, ids[np.maximum(index, 0)], "")


def assign_units(points: np.ndarray, tree: shapely.STRtree) -> np.ndarray:
    """Index of the unit (tree geometry) containing each point (boundary counts), -1 outside.

    A point on a border gets the unit of lower index; callers that care look at neighbours.
    """
    out = np.full(len(points), -1, dtype=np.int64)
    if len(points) == 0:
        return out
    pt_idx, unit_idx = tree.query(points, predicate="intersects")
    order = np.lexsort((unit_idx, pt_idx))
    pt_idx, unit_idx = pt_idx[order], unit_idx[order]
    first = np.ones(len(pt_idx), dtype=bool)
    first[1:] = pt_idx[1:] != pt_idx[:-1]
    out[pt_idx[first]] = unit_idx[first]
    return out


def drivable_edges(
    edges: gpd.GeoDataFrame, graph: CSRGraph, *, ignore_highway: Sequence[str]
) -> pd.DataFrame:
    """Drivable edges once per direction-free (u, v, way), with graph positions.

    Columns: ``lo``/``hi`` (sorted end ids), ``u``, ``v``, ``osmid``, ``highway``, ``name``,
    ``ref``, ``length_m``, ``speed_mps``, ``geometry`` (as stored) and ``pu``/``pv``, the
    positions of ``u`` and ``v`` in ``graph``.
    """
    drivable = edges[~edges["highway"].isin(list(ignore_highway))]
    u = drivable["u"].to_numpy(np.int64)
    v = drivable["v"].to_numpy(np.int64)
    length_m = drivable["length_m"].to_numpy(float)
    time_s = np.maximum(drivable["travel_time_s"].to_numpy(float), MIN_EDGE_TIME_S)
    frame = pd.DataFrame(
        {
            "lo": np.minimum(u, v),
            "hi": np.maximum(u, v),
            "u": u,
            "v": v,
            "osmid": drivable["osmid"].to_numpy(np.int64),
            "highway": drivable["highway"].astype(str).to_numpy(),
            "name": drivable["name"].fillna("").astype(str).to_numpy(),
            "ref": drivable["ref"].fillna("").astype(str).to_numpy(),
            "length_m": length_m,
            "speed_mps": length_m / time_s,
            "geometry": drivable.geometry.values,
        }
    )
    frame = frame[frame["lo"] != frame["hi"]]
    frame = frame.drop_duplicates(subset=["lo", "hi", "osmid"]).reset_index(drop=True)
    frame["pu"], frame["pv"] = graph.edge_positions(frame["u"].to_numpy(), frame["v"].to_numpy())
    return frame


def prepare_network(
    edges: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    graph: CSRGraph,
    *,
    border_level: int,
    ignore_highway: Sequence[str],
) -> BorderNetwork:
    """The :class:`BorderNetwork` of a study.

    Parameters
    ----------
    edges
        The ``road_edges`` table (any CRS with one set).
    units
        The ``admin_units`` table; the units at ``border_level`` define the borders.
    graph
        The road graph in seconds (nodes in ``road_nodes`` order).
    border_level
        ``admin.border_level`` of the study.
    ignore_highway
        ``gaps.ignore_highway``: road classes that do not count as drivable here.

    Raises
    ------
    DataError
        When the graph has no node or no unit has ``border_level``.
    """
    if graph.n_nodes == 0:
        raise DataError("The road graph has no nodes; check the study area and its extract.")
    crs = utm_crs_for(graph.x, graph.y)
    x, y = to_metric(graph.x, graph.y, crs)
    xy = np.column_stack([x, y])
    chosen = border_units(units, border_level=border_level).to_crs(crs)
    chosen = chosen.set_geometry(shapely.make_valid(chosen.geometry.values))
    drivable = drivable_edges(edges, graph, ignore_highway=ignore_highway)
    geoms = gpd.GeoSeries(drivable["geometry"].values, crs=edges.crs).to_crs(crs).values
    borders = unit_borders(chosen)
    if borders.empty:
        _warn_no_borders(chosen, border_level)
    return BorderNetwork(
        crs=crs,
        node_ids=graph.node_ids,
        xy=xy,
        edges=drivable,
        geoms=np.asarray(geoms),
        units=chosen,
        unit_tree=shapely.STRtree(chosen.geometry.values),
        borders=borders,
        hull=shapely.convex_hull(shapely.multipoints(xy)),
    )


def _warn_no_borders(units: gpd.GeoDataFrame, border_level: int) -> None:
    logger.warning(
        "no two admin units at admin_level %d share a border (%d unit(s): %s); there are no "
        "cross-border gaps to find. Units reaching beyond the extract are left out by the "
        "network stage (see network/admin_report.txt); a lower admin.border_level may help.",
        border_level,
        len(units),
        ", ".join(units["name"].astype(str).head(5)),
    )


def node_degree(net: BorderNetwork, n_nodes: int) -> np.ndarray:
    """Number of distinct drivable neighbours of every graph node (1 = a dead end)."""
    ends = net.edges[["pu", "pv"]].to_numpy(np.int64).clip(0)
    # each direction-free pair once, as one integer key (a 1-D unique, far cheaper than
    # np.unique(..., axis=0) on 2M rows)
    base = max(n_nodes, int(ends.max(initial=-1)) + 1)
    keys = np.unique(ends.min(axis=1) * base + ends.max(axis=1))
    return np.bincount(np.concatenate([keys // base, keys % base]), minlength=n_nodes)


def incident_edges(edges: pd.DataFrame, positions: np.ndarray) -> np.ndarray:
    """Row of ``edges`` (:func:`drivable_edges`) incident to each graph position (the first
    one: for a dead end, its only edge)."""
    ends = pd.DataFrame(
        {
            "pos": np.concatenate([edges["pu"].to_numpy(), edges["pv"].to_numpy()]),
            "row": np.concatenate([np.arange(len(edges))] * 2),
        }
    ).drop_duplicates("pos")
    lookup = pd.Series(ends["row"].to_numpy(), index=ends["pos"].to_numpy())
    return lookup.loc[positions].to_numpy()
