"""The isochrones stage of a study: 1/2/3-hour isochrones and the H3 accessibility surface.

:func:`run_isochrone_stage` is what the ``isochrones`` rule runs: it maps the travel times of
every mode (road, multimodal) onto the road graph, builds the isochrone polygons per origin,
mode and band (:class:`spatialint.access.isochrones.IsochroneBuilder`) and the hexagon surface
(:func:`spatialint.access.hexgrid.hex_access`) from points sampled along the roads, counts the
people in each circle and hexagon when the study has a source of people
(:func:`spatialint.access.population.open_population`: a population file or raster), and
writes both as layers of one GeoPackage through their contracts.
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike

import geopandas as gpd
import h3
import numpy as np
import pandas as pd

from spatialint.access.edges import EdgeSet, prepare_edges, road_point_times
from spatialint.access.hexgrid import hex_access
from spatialint.access.isochrones import IsochroneBuilder, isochrone_table
from spatialint.access.origins import read_origins
from spatialint.access.population import open_population, study_hull
from spatialint.contracts import HEX_ACCESS, ISOCHRONES, ROAD_EDGES
from spatialint.contracts.io import read_table_parts, write_layers
from spatialint.errors import DataError
from spatialint.network.graph import CSRGraph
from spatialint.network.routing import load_times, times_on_nodes
from spatialint.settings import IsochroneSettings, PopulationSettings

PathArg = str | PathLike[str]

EDGE_COLUMNS = ("u", "v", "travel_time_s")
"""The road edges' columns the isochrones and the hexagons read (with the geometry)."""
MODES = ("road", "multimodal")
"""Travel-time modes of the access stage; input ``times_<mode>`` holds each one's times."""


def run_isochrone_stage(
    inputs: Mapping[str, PathArg],
    outputs: Mapping[str, PathArg],
    *,
    isochrones: IsochroneSettings,
    population: PopulationSettings,
    workers: int = 1,
) -> None:
    """Build the isochrones and the hexagon surface of a study and write them.

    Parameters
    ----------
    inputs
        Paths by the ``isochrones`` rule's input names: ``origins``, ``road_edges``,
        ``road_graph``, ``times_road``, ``times_multimodal`` and, when the study sets
        ``access.population_file`` or ``access.population_raster``, ``population``.
    outputs
        Paths by the rule's output names: ``isochrones``, the GeoPackage written with layers
        ``isochrones`` and ``hex_access``.
    isochrones
        Bands, buffer, polygon method and hexagon resolution.
    population
        The study's optional source of people (file or raster).
    workers
        Processes for building the polygons (the rule's ``threads``).
    """
    graph = CSRGraph.load(inputs["road_graph"])
    origins = read_origins(inputs["origins"])
    node_times = {mode: road_node_times(inputs[f"times_{mode}"], graph, origins) for mode in MODES}
    edges = prepare_edges(
        read_table_parts(inputs["road_edges"], ROAD_EDGES, columns=EDGE_COLUMNS), graph
    )
    builder = IsochroneBuilder(
        edges,
        buffer_m=isochrones.access_buffer_m,
        min_hole_km2=isochrones.min_hole_km2,
        method=isochrones.isochrone_method,
        grid_cell_m=isochrones.grid_cell_m,
    )
    people = open_population(inputs, population, area=study_hull(graph.x, graph.y))
    circles = isochrone_table(
        builder,
        origins,
        node_times,
        bands_min=isochrones.bands_min,
        population=people,
        workers=workers,
    )
    hexes = hexagon_surface(edges, node_times, origins, isochrones)
    hexes["population"] = np.nan if people is None else people.sums(hexes.geometry)
    write_layers(outputs["isochrones"], {ISOCHRONES: circles, HEX_ACCESS: hexes})


def road_node_times(path: PathArg, graph: CSRGraph, origins: pd.DataFrame) -> np.ndarray:
    """Travel times of one mode (origins × the road graph's nodes, in its node order).

    Raises
    ------
    DataError
        If the file was routed from other origins than ``origins`` (another run of the
        origins step), or lacks road nodes of ``graph``.
    """
    origin_ids, node_ids, seconds = load_times(path)
    if not np.array_equal(origin_ids, origins["origin_id"].to_numpy()):
        raise DataError(
            f"{path} holds the origins {origin_ids.tolist()} but origins.gpkg has "
            f"{origins['origin_id'].tolist()}; rerun the travel_times step."
        )
    return times_on_nodes(node_ids, seconds, graph.node_ids)


def hexagon_surface(
    edges: EdgeSet,
    node_times: Mapping[str, np.ndarray],
    origins: pd.DataFrame,
    isochrones: IsochroneSettings,
) -> gpd.GeoDataFrame:
    """The hexagon surface from road points sampled half an H3 edge apart."""
    spacing_m = h3.average_hexagon_edge_length(isochrones.hex_resolution, unit="m") / 2
    point_times = {}
    for mode, times in node_times.items():
        xy, point_times[mode] = road_point_times(edges, times, spacing_m=spacing_m)
    return hex_access(
        xy[:, 0],
        xy[:, 1],
        point_times,
        crs=edges.crs,
        origin_ids=origins["origin_id"].to_numpy(),
        bands_min=isochrones.bands_min,
        resolution=isochrones.hex_resolution,
        reach_m=isochrones.access_buffer_m,
    )
