"""Detection of the three kinds of findings, as WGS-84 layers: :func:`detect_gaps`.

All three work on the drivable road network and the borders between admin units at the
study's ``admin.border_level`` (:mod:`spatialint.gaps.network`, :mod:`spatialint.gaps.borders`):

dead ends (断头路, :mod:`spatialint.gaps.dead_ends`)
    A road ending within ``border_distance_m`` of a border, facing a road of the other unit
    within ``gap_max_m`` that the network only reaches by a detour.
class drops (瓶颈路, :mod:`spatialint.gaps.class_drops`)
    A road continuing across a border as a class ≥ ``class_drop_steps`` lower.
missing crossings (:mod:`spatialint.gaps.missing_crossings`)
    Stretches of shared border longer than ``missing_crossing_min_km`` that no road crosses.

Roads that end only because the data ends are never findings (:mod:`.data_edges`). Other
false positives are weighed, not hidden: every dead end carries its evidence
(:mod:`.evidence`) and, once ranked, a confidence (:mod:`.confidence`). Switches drop
candidates outright: ``cross_border_only`` (cul-de-sacs facing their own unit),
``min_detour_ratio`` (roads already connected by a short path) and, off by default,
``suppress_across_water`` (a gap across a river, which otherwise needs a bridge).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from spatialint.errors import DataError
from spatialint.gaps.borders import border_crossings
from spatialint.gaps.class_drops import find_class_drops
from spatialint.gaps.data_edges import DataExtent
from spatialint.gaps.dead_ends import find_dead_ends
from spatialint.gaps.missing_crossings import find_missing_crossings
from spatialint.gaps.network import BorderNetwork, prepare_network
from spatialint.gaps.thumbnails import Surroundings
from spatialint.geo import WGS84
from spatialint.network.graph import CSRGraph
from spatialint.osm.ways import WayTable
from spatialint.settings import GapSettings


@dataclass(frozen=True)
class GapFindings:
    """The three layers of findings (EPSG:4326) plus what ranking needs."""

    dead_ends: gpd.GeoDataFrame
    class_drops: gpd.GeoDataFrame
    missing_crossings: gpd.GeoDataFrame
    node_unit: np.ndarray  # unit_id (border level) of every graph node, "" outside all units
    surroundings: Surroundings  # what the thumbnails draw, around the dead ends only


def detect_gaps(
    edges: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    graph: CSRGraph,
    *,
    border_level: int,
    settings: GapSettings,
    planned: gpd.GeoDataFrame | None = None,
    waterways: gpd.GeoDataFrame | None = None,
    osm_roads: WayTable | None = None,
    end_tags: pd.Series | None = None,
    extent: DataExtent | None = None,
) -> GapFindings:
    """Find cross-border dead ends, class drops and missing crossings.

    Parameters
    ----------
    edges
        The ``road_edges`` table (any CRS with one set).
    units
        The ``admin_units`` table; the units at ``border_level`` define the borders.
    graph
        ``network/road_graph.npz`` (nodes in ``road_nodes`` order), in seconds.
    border_level
        ``admin.border_level`` of the study.
    settings
        The study's ``gaps`` settings.
    planned
        The ``planned_ways`` table (construction / proposed ways), or None.
    waterways
        Optional waterway lines (rivers, canals) for ``suppress_across_water``.
    osm_roads
        The drivable OSM ways of the extract
        (:func:`spatialint.gaps.osm_context.read_osm_context`), to report the OSM node and way
        ids at both ends of each gap (else the simplified graph's ids).
    end_tags
        Node id -> the tags marking an intentional end on it
        (:attr:`spatialint.gaps.osm_context.OsmContext.end_tags`), or None.
    extent
        Where the data stops (:class:`spatialint.gaps.data_edges.DataExtent`); None when
        unknown (then the ``study_edge_m`` fallback applies).

    Returns
    -------
    GapFindings
        ``dead_ends`` (LineString from the dead end to the nearest point of the facing road,
        with the graph positions of :data:`spatialint.gaps.dead_ends.GRAPH_COLUMNS`),
        ``class_drops`` (Point at the node where the class changes) and ``missing_crossings``
        (LineString along the border), all EPSG:4326; plus ``node_unit``.

    Raises
    ------
    DataError
        When a table has no CRS, the graph is empty or no unit has ``border_level``.
    """
    for frame, what in ((edges, "road_edges"), (units, "admin_units")):
        if frame.crs is None:
            raise DataError(f"{what} has no CRS; write it with one (EPSG:4326).")
    net = prepare_network(
        edges, units, graph, border_level=border_level, ignore_highway=settings.ignore_highway
    )
    crossings = border_crossings(net.geoms, net.borders)
    dead = find_dead_ends(
        net,
        graph,
        settings,
        planned=planned,
        waterways=waterways,
        osm_roads=osm_roads,
        end_tags=end_tags,
        extent=extent,
    )
    drops = find_class_drops(net, settings, crossings, osm_roads=osm_roads)
    missing = find_missing_crossings(net, settings, crossings)
    return GapFindings(
        dead_ends=_dead_end_layer(net, graph, dead),
        class_drops=_class_drop_layer(net, drops),
        missing_crossings=missing.to_crs(WGS84),
        node_unit=net.node_units(),
        surroundings=Surroundings.around(net, _metric_links(net, dead)),
    )


def _metric_links(net: BorderNetwork, dead: pd.DataFrame) -> np.ndarray:
    """The dead ends' links in metres (dead end to facing point)."""
    if dead.empty:
        return np.empty(0, dtype=object)
    a_xy = net.xy[dead["a_pos"].to_numpy(np.int64)]
    return shapely.linestrings(np.stack([a_xy, dead[["px", "py"]].to_numpy(float)], axis=1))


def _dead_end_layer(net: BorderNetwork, graph: CSRGraph, dead: pd.DataFrame) -> gpd.GeoDataFrame:
    """Dead ends as WGS-84 lines from the dead end to the facing point, with both ends'
    ``lon``/``lat`` and ``other_lon``/``other_lat``."""
    a_pos = dead["a_pos"].to_numpy(np.int64)
    a_xy = net.xy[a_pos]
    p_xy = dead[["px", "py"]].to_numpy(float)
    lines = shapely.linestrings(np.stack([a_xy, p_xy], axis=1)) if len(dead) else []
    layer = gpd.GeoDataFrame(
        dead.drop(columns=["px", "py"]), geometry=gpd.GeoSeries(lines, crs=net.crs)
    ).to_crs(WGS84)
    ends = shapely.get_point(layer.geometry.values, 1)
    return layer.assign(
        lon=graph.x[a_pos],
        lat=graph.y[a_pos],
        other_lon=shapely.get_x(ends),
        other_lat=shapely.get_y(ends),
    )


def _class_drop_layer(net: BorderNetwork, drops: pd.DataFrame) -> gpd.GeoDataFrame:
    """Class drops as WGS-84 points with ``lon``/``lat``."""
    points = shapely.points(drops[["x", "y"]].to_numpy(float)) if len(drops) else []
    layer = gpd.GeoDataFrame(
        drops.drop(columns=["x", "y", "pos"]), geometry=gpd.GeoSeries(points, crs=net.crs)
    ).to_crs(WGS84)
    return layer.assign(
        lon=shapely.get_x(layer.geometry.values), lat=shapely.get_y(layer.geometry.values)
    )
