"""The drivable road network of a study: OSM PBF → simplified, directed, timed road graph.

Steps (all vectorised over numpy arrays; no Python loop per node or edge):

1. :func:`~spatialint.network.road_tags.read_road_ways` reads every ``highway=*`` way of a
   drivable or planned class with its node locations (pyosmium, :mod:`spatialint.osm.ways`).
2. Drivability, direction and speed come from the tags (:mod:`spatialint.network.road_tags`);
   ``highway=construction|proposed`` ways go to the planned-ways table.
3. Each pair of consecutive way nodes becomes one directed arc per allowed direction; only the
   largest strongly connected component is kept (:mod:`spatialint.network.road_arcs`).
4. Simplification (:mod:`spatialint.network.simplify`) merges chains of arcs through nodes that
   are not endpoints, with exactly osmnx's endpoint rules plus its ``edge_attrs_differ`` rule on
   ``highway``, ``name``, ``ref``, ``oneway`` and ``speed_kph``, so every simplified edge has
   one class, one name and one speed.  Its ``osmid`` is the way of the edge's first segment.
   The road node nearest to each railway station and ``place=*`` node is kept as an endpoint
   too (osmnx's ``node_attrs_include`` rule), so stations and centres snap to the road beside
   them.
5. Every node gets the admin unit (``admin.border_level``) it lies in; every edge the unit of its
   midpoint; outside all units: null.
6. ``travel_time_s = length_m / speed_kph * 3.6`` on every edge; the CSR graph keeps the fastest of
   parallel edges.

The stage writes ``road_nodes``, ``road_edges`` and ``planned_ways`` through their contracts
(:mod:`spatialint.contracts.network`) and the CSR graph ``road_graph.npz``.
:func:`to_multidigraph` turns the result into an osmnx MultiDiGraph for anyone who wants osmnx's
tools on it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from spatialint.contracts import PLACES, PLANNED_WAYS, ROAD_EDGES, ROAD_NODES
from spatialint.contracts.io import read_table, write_table
from spatialint.errors import ConfigError, DataError
from spatialint.geo import WGS84, NearestNodes
from spatialint.network.calibration import (
    Calibration,
    calibrate_road_edges,
    read_observed_trips,
    write_calibration,
)
from spatialint.network.graph import CSRGraph
from spatialint.network.road_arcs import RoadArcs, parallel_order, road_arcs
from spatialint.network.road_tags import planned_ways, read_road_ways
from spatialint.network.simplify import ChainEdges, chain_edges, simplify_arcs, sorted_unique
from spatialint.network.speed_profile import (
    apply_speed_factors,
    built_up_areas,
    flat_factors,
    profile_road_edges,
)
from spatialint.network.stations import station_points
from spatialint.network.unit_lookup import read_border_units, unit_index
from spatialint.osm.ways import WayTable, take_text
from spatialint.settings import AdminSettings, RoadSettings, SpeedSettings

logger = logging.getLogger(__name__)

KPH_PER_M_PER_S = 3.6


@dataclass(frozen=True)
class RoadNetwork:
    """The simplified road network and its report."""

    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    planned: gpd.GeoDataFrame
    graph: CSRGraph
    report: dict[str, Any] = field(default_factory=dict)


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


def _unit_text(units: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray) -> pd.Series:
    """``unit_id`` of the unit each point lies in, as a string column (NA outside)."""
    return take_text(units["unit_id"], unit_index(lon, lat, units))


def _edge_table(
    arcs: RoadArcs,
    collapsed: ChainEdges,
    units: gpd.GeoDataFrame,
) -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray]:
    """The ``road_edges`` rows, sorted by (u, v, length), keyed among parallels; and the node
    positions of their ends, in that order."""
    e_u = arcs.u[collapsed.first_arc]
    e_v = arcs.v[collapsed.last_arc]
    e_way = arcs.way[collapsed.first_arc]
    order, key = parallel_order(e_u, e_v, collapsed.length_m)
    e_u, e_v, e_way, length = e_u[order], e_v[order], e_way[order], collapsed.length_m[order]
    ways = arcs.ways
    speed = ways["speed_kph"].to_numpy(dtype=float)[e_way]
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
            "length_m": length,
            "speed_kph": speed,
            "travel_time_s": length / (speed / KPH_PER_M_PER_S),
            "unit_id": _unit_text(units, collapsed.mid_lon[order], collapsed.mid_lat[order]),
        },
        geometry=collapsed.geometry[order],
        crs=WGS84,
    )
    return edges, e_u, e_v


def _node_table(
    arcs: RoadArcs, e_u: np.ndarray, e_v: np.ndarray, key: np.ndarray, units: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """The ``road_nodes`` rows: the nodes some edge ends at, in node-id order."""
    n_all = len(arcs.node_ids)
    used = np.zeros(n_all, dtype=bool)
    used[e_u] = True
    used[e_v] = True
    kept = np.flatnonzero(used)
    position = np.full(n_all, -1, dtype=np.int64)
    position[kept] = np.arange(len(kept))
    lon, lat = arcs.lon[kept], arcs.lat[kept]
    return gpd.GeoDataFrame(
        {
            "node_id": arcs.node_ids[kept],
            "x": lon,
            "y": lat,
            "unit_id": _unit_text(units, lon, lat),
            "street_count": _street_count(position[e_u], position[e_v], key, len(kept)),
        },
        geometry=shapely.points(lon, lat),
        crs=WGS84,
    )


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
    force = None
    if anchor_lon is not None and anchor_lat is not None:
        force = anchor_nodes(arcs, anchor_lon, anchor_lat)
    attr_class = arcs.ways["attr_class"].to_numpy()
    chains = simplify_arcs(
        arcs.u, arcs.v, attr_class[arcs.way], n_nodes=len(arcs.node_ids), force_endpoint=force
    )
    xy = np.column_stack([arcs.lon, arcs.lat])
    collapsed = chain_edges(chains, arcs.u, arcs.v, arcs.length_m, xy)
    del chains
    edges, e_u, e_v = _edge_table(arcs, collapsed, units)
    nodes = _node_table(arcs, e_u, e_v, edges["key"].to_numpy(), units)
    return nodes, edges


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
        Admin units at the border level (``unit_id``, ``name``, geometry in EPSG:4326).
    highway_classes, speeds_kph, maxspeed_zones_kph
        The road settings (:class:`spatialint.settings.RoadSettings`).
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
    planned = planned_ways(ways)
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
    report = {
        **arcs.report,
        "nodes": len(nodes),
        "edges": len(edges),
        "nodes_outside_units": int(nodes["unit_id"].isna().sum()),
        "planned_ways": len(planned),
    }
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


def graph_from_tables(nodes: pd.DataFrame, edges: pd.DataFrame) -> CSRGraph:
    """The CSR road graph: nodes in ``nodes`` order, travel_time_s weights (min over parallels).

    Raises
    ------
    DataError
        An edge names a node the nodes table lacks.
    """
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
        src, dst = ends
    else:
        no_arcs = np.zeros(0, dtype=np.int64)
        lookup = CSRGraph.from_arcs(ids, ids, ids, no_arcs, no_arcs, np.zeros(0))
        src = lookup.index_of(edges["u"].to_numpy())
        dst = lookup.index_of(edges["v"].to_numpy())
    return CSRGraph.from_arcs(
        ids,
        nodes["x"].to_numpy(),
        nodes["y"].to_numpy(),
        src,
        dst,
        edges["travel_time_s"].to_numpy(),
    )


def to_multidigraph(nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame) -> nx.MultiDiGraph:
    """The road network as an osmnx MultiDiGraph (``ox.convert.graph_from_gdfs``)."""
    import osmnx as ox  # slow to import; only for users who want osmnx's tools

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
    """Write the three tables through their contracts (GeoParquet, EPSG:4326) and the CSR
    ``.npz``, each atomically."""
    write_table(network.nodes, ROAD_NODES, nodes)
    write_table(network.edges, ROAD_EDGES, edges)
    write_table(network.planned, PLANNED_WAYS, planned)
    network.graph.save(graph)


def apply_speed_profile(
    network: RoadNetwork,
    *,
    speeds: SpeedSettings,
    units: pd.DataFrame,
    pbf: str | Path,
    urban_areas_file: str | Path | None = None,
    observed_trips: str | Path | None = None,
) -> tuple[RoadNetwork, Calibration | None]:
    """The free-flow ``network`` timed by the speed profile (:mod:`.speed_profile`): edges
    gain ``speed_group`` and ``free_flow_kph``; for a profile other than free flow the CSR graph
    is rebuilt from the profiled ``travel_time_s``. With profile ``calibrated`` the factors are
    fitted to ``observed_trips`` on the free-flow network first
    (:func:`~spatialint.network.calibration.calibrate_road_edges`); the calibration is
    returned beside the network (``None`` for the other profiles).

    Raises
    ------
    ConfigError
        A ``speeds`` value the data refutes (unknown unit in ``city_factors``, bad urban file).
    """
    polygons = built_up_areas(pbf, speeds=speeds, urban_areas_file=urban_areas_file)
    edges = profile_road_edges(network.edges, speeds=speeds, units=units, urban_polygons=polygons)
    calibration = None
    if speeds.profile == "calibrated":
        if observed_trips is None:
            raise ConfigError("speeds.profile is calibrated: give speeds.observed_trips.")
        calibration = calibrate_road_edges(
            edges, network.graph, read_observed_trips(observed_trips, speeds.observed_crs),
            start_factors=flat_factors(speeds.peak_factors), bounds=tuple(speeds.factor_bounds),
            min_trips_per_group=speeds.min_trips_per_group, snap_max_m=speeds.trip_snap_max_m,
            hours=tuple(speeds.trip_hours) if speeds.trip_hours else None,
        )  # fmt: skip
        edges = apply_speed_factors(edges, calibration.factors)  # replace peak and city factors
    graph = network.graph
    if speeds.profile != "free_flow":
        graph = graph_from_tables(network.nodes, edges)
    report = {**network.report, "speed_profile": speeds.profile}
    return dataclasses.replace(network, edges=edges, graph=graph, report=report), calibration


def run_road_stage(
    inputs: Mapping[str, str | Path],
    outputs: Mapping[str, str | Path],
    *,
    roads: RoadSettings,
    admin: AdminSettings,
    speeds: SpeedSettings,
) -> RoadNetwork:
    """Build a study's road network from its extract and write the four network files.

    Stations and places are passed as anchors, so each keeps its nearest road node through
    simplification (origins and station access snap to them later). The free-flow network is
    then timed by the study's speed profile (:func:`apply_speed_profile`), and the graph
    written is built from the profiled times.

    Parameters
    ----------
    inputs
        Paths by the ``road_network`` rule's input names: ``pbf``, ``units``
        (``admin_units.gpkg``), ``places`` (``places.parquet``), when
        ``speeds.urban_areas_file`` is set ``urban_areas``, and with profile ``calibrated``
        ``observed_trips``.
    outputs
        Paths by the rule's output names: ``nodes``, ``edges``, ``planned``, ``graph``
        (:func:`write_road_network`), ``speed_fit`` and ``speed_samples`` (the calibration's
        fit and trips; empty tables for the other profiles).
    roads
        Which highway classes are drivable and how fast.
    admin
        ``admin.border_level``: the units every node and edge is assigned to.
    speeds
        The speed profile and its built-up areas.

    Returns
    -------
    RoadNetwork
        The network that was written.

    Raises
    ------
    DataError
        An input is missing, unreadable or breaks its contract (naming the step to re-run).
    """
    units = read_border_units(inputs["units"], level=admin.border_level)
    places = read_table(inputs["places"], PLACES)
    station_lon, station_lat = station_points(inputs["pbf"])
    result = build_road_network(
        inputs["pbf"],
        units,
        highway_classes=roads.highway_classes,
        speeds_kph=roads.speeds_kph,
        maxspeed_zones_kph=roads.maxspeed_zones_kph,
        anchor_lon=np.concatenate([station_lon, places.geometry.x.to_numpy()]),
        anchor_lat=np.concatenate([station_lat, places.geometry.y.to_numpy()]),
    )
    result, calibration = apply_speed_profile(
        result,
        speeds=speeds,
        units=units,
        pbf=inputs["pbf"],
        urban_areas_file=inputs.get("urban_areas"),
        observed_trips=inputs.get("observed_trips"),
    )
    write_road_network(
        result,
        nodes=outputs["nodes"],
        edges=outputs["edges"],
        planned=outputs["planned"],
        graph=outputs["graph"],
    )
    write_calibration(calibration, outputs["speed_fit"], outputs["speed_samples"])
    return result
