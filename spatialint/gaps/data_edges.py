"""Where the data stops: dead ends that exist only because the extract ends there.

A road that leaves the extract seems to end at its last vertex in the file. Such an end is no
断头路, and the data says exactly which ends these are whenever it can:

- **missing nodes**: a way whose nodes are not all in the extract (a source cut without
  complete ways) ends where its located vertices stop (:func:`spatialint.gaps.osm_context.
  cut_nodes`);
- **outside the study area**: the retrieve stage keeps every way with a node in the study area
  plus its buffer *whole*, so a way cut by the clip ends outside the study area, in the buffer
  or beyond it. The study area is ``osm/study_area.gpkg`` (:mod:`spatialint.osm.study_area`):
  the configured ``area``, or, with none, the bounding box in the source PBF's header.

A complete way that ends inside the study area is a candidate, however near the edge of the
data it lies. Only when the data cannot tell (no study area, no header box and no way with
missing nodes; e.g. a PBF written without a header box and not clipped) does the old proxy
apply as a fallback: with ``gaps.suppress_study_edge``, dead ends within ``gaps.study_edge_m``
of the convex hull of the road nodes are suppressed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from os import PathLike

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from spatialint.contracts.io import read_table
from spatialint.contracts.osm import STUDY_AREA
from spatialint.gaps.network import BorderNetwork
from spatialint.geo import WGS84
from spatialint.settings import GapSettings

logger = logging.getLogger(__name__)

#: Why a dead end is a data edge (``""``: it is not).
MISSING_NODES = "missing_nodes"
OUTSIDE_AREA = "outside_area"
NEAR_HULL = "near_hull"


@dataclass(frozen=True)
class DataExtent:
    """What the data says about where it stops."""

    area: BaseGeometry | None = None  # WGS-84 study area without buffer, None = unknown
    basis: str = ""  # "area" | "source_bbox" | "" (STUDY_AREA's basis)
    cut_nodes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def exact(self) -> bool:
        """True when the data tells where it stops (a study area, or ways cut by it)."""
        return self.area is not None or len(self.cut_nodes) > 0


def read_study_area(path: str | PathLike[str]) -> tuple[BaseGeometry | None, str]:
    """The study area written by the retrieve stage and its basis (None, "" when unknown)."""
    frame = read_table(path, STUDY_AREA)
    if frame.empty:
        return None, ""
    geom = shapely.union_all(frame.to_crs(WGS84).geometry.values)
    return geom, str(frame["basis"].iloc[0])


def data_edge_reasons(
    net: BorderNetwork, positions: np.ndarray, extent: DataExtent, settings: GapSettings
) -> np.ndarray:
    """Why each dead end (graph position) is where the data stops: :data:`MISSING_NODES`,
    :data:`OUTSIDE_AREA`, :data:`NEAR_HULL` (the fallback) or ``""`` (a real end)."""
    reasons = np.full(len(positions), "", dtype=object)
    if len(positions) == 0:
        return reasons
    pts = shapely.points(net.xy[positions])
    if extent.area is not None:
        area = gpd.GeoSeries([extent.area], crs=WGS84).to_crs(net.crs).iloc[0]
        shapely.prepare(area)
        reasons[~shapely.intersects(area, pts)] = OUTSIDE_AREA
    cut = np.isin(net.node_ids[positions], extent.cut_nodes)
    reasons[cut] = MISSING_NODES
    if not extent.exact and settings.suppress_study_edge:
        near = shapely.distance(pts, shapely.boundary(net.hull)) <= settings.study_edge_m
        reasons[near & (reasons == "")] = NEAR_HULL
    return reasons


def log_data_edges(reasons: np.ndarray, extent: DataExtent, settings: GapSettings) -> None:
    """One log line on the dead ends dropped as data edges, by reason."""
    counts = {r: int((reasons == r).sum()) for r in (MISSING_NODES, OUTSIDE_AREA, NEAR_HULL)}
    if extent.exact:
        logger.info(
            "dropped %d dead end(s) where the data stops: %d on ways with nodes missing from "
            "the extract, %d outside the study area (%s)",
            counts[MISSING_NODES] + counts[OUTSIDE_AREA],
            counts[MISSING_NODES],
            counts[OUTSIDE_AREA],
            extent.basis or "none",
        )
    elif settings.suppress_study_edge:
        logger.info(
            "the data does not say where it stops (no study area or header box, no cut way): "
            "fallback, dropped %d dead end(s) within %.0f m of the hull of the road nodes",
            counts[NEAR_HULL],
            settings.study_edge_m,
        )
