"""The isochrones stage of a study: 1/2/3-hour isochrones and the H3 accessibility surface.

:func:`run_isochrone_stage` is what the ``isochrones`` rule runs: it maps the travel times of
every mode (road, multimodal) onto the road graph, builds the isochrone polygons per origin,
mode and band (:class:`spatialint.access.isochrones.IsochroneBuilder`, with population when
the study has a population file) and the hexagon surface
(:func:`spatialint.access.hexgrid.hex_access`) from
points sampled along the roads, and writes both as layers of one GeoPackage.
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from typing import Any

import geopandas as gpd
import h3
import numpy as np

from spatialint.access.hexgrid import hex_access
from spatialint.access.isochrones import (
    IsochroneBuilder,
    isochrone_table,
    load_population,
    prepare_edges,
    road_point_times,
)
from spatialint.access.origins import read_origins
from spatialint.fileio import atomic_path
from spatialint.network.graph import CSRGraph
from spatialint.network.routing import load_times, times_on_nodes

PathArg = str | PathLike[str]

#: Travel-time modes of the access stage; input ``times_<mode>`` holds each one's times.
MODES = ("road", "multimodal")


def run_isochrone_stage(
    inputs: Mapping[str, PathArg],
    outputs: Mapping[str, PathArg],
    study: Mapping[str, Any],
    *,
    workers: int = 1,
) -> None:
    """Build the isochrones and the hexagon surface of a study and write them.

    Parameters
    ----------
    inputs
        Paths by the ``isochrones`` rule's input names: ``origins``, ``road_edges``,
        ``road_graph``, ``times_road``, ``times_multimodal`` and, when the study sets
        ``access.population_file``, ``population``
        (:func:`spatialint.access.isochrones.population_inputs`).
    outputs
        Paths by the rule's output names: ``isochrones``, the GeoPackage written with layers
        ``isochrones`` and ``hex_access``.
    study
        The validated study config (its ``access`` section is used).
    workers
        Processes for building the polygons (the rule's ``threads``).
    """
    access = study["access"]
    graph = CSRGraph.load(inputs["road_graph"])
    origins = read_origins(inputs["origins"])
    node_times: dict[str, np.ndarray] = {}
    for mode in MODES:
        _, node_ids, seconds = load_times(inputs[f"times_{mode}"])
        node_times[mode] = times_on_nodes(node_ids, seconds, graph.node_ids)
    edges = prepare_edges(gpd.read_parquet(inputs["road_edges"]), graph)
    builder = IsochroneBuilder(
        edges,
        buffer_m=access["access_buffer_m"],
        min_hole_km2=access["min_hole_km2"],
        method=access["isochrone_method"],
        grid_cell_m=access["grid_cell_m"],
    )
    population = None
    if access.get("population_file"):
        population = load_population(inputs["population"], column=access["population_column"])
    isochrones = isochrone_table(
        builder,
        origins,
        node_times,
        bands_min=access["bands_min"],
        population=population,
        population_column=access["population_column"],
        workers=workers,
    )
    spacing_m = h3.average_hexagon_edge_length(access["hex_resolution"], unit="m") / 2
    point_times = {}
    for mode, times in node_times.items():
        xy, point_times[mode] = road_point_times(edges, times, spacing_m=spacing_m)
    hexes = hex_access(
        xy[:, 0],
        xy[:, 1],
        point_times,
        crs=edges.crs,
        origin_ids=origins["origin_id"].to_numpy(),
        bands_min=access["bands_min"],
        resolution=access["hex_resolution"],
        reach_m=access["access_buffer_m"],
    )
    with atomic_path(outputs["isochrones"]) as tmp:
        isochrones.to_file(tmp, layer="isochrones", driver="GPKG")
        hexes.to_file(tmp, layer="hex_access", driver="GPKG")
