"""The integration stage: read the upstream tables by their contracts, build the corridor table,
write it as GeoPackage, CSV and XLSX."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from spatialint.access.population import open_population, study_hull
from spatialint.contracts import ADMIN_UNITS, CORRIDORS, DEAD_ENDS, ORIGINS, PLACES, ROAD_EDGES
from spatialint.contracts.io import (
    read_table,
    read_table_parts,
    write_csv,
    write_table,
    write_workbook,
)
from spatialint.geo import utm_crs_for
from spatialint.integration.table import corridor_table
from spatialint.network.graph import CSRGraph
from spatialint.settings import IntegrationSettings, PopulationSettings

logger = logging.getLogger(__name__)

PathArg = str | os.PathLike[str]

EDGE_COLUMNS = ("u", "v", "osmid", "highway", "length_m", "travel_time_s")
"""The road edges' columns the measures read (with the geometry): the names and speeds of
millions of edges are left on disk."""


@dataclass(frozen=True)
class IntegrationInputs:
    """The upstream tables and graphs the corridor measures read, each checked."""

    units: gpd.GeoDataFrame
    places: gpd.GeoDataFrame
    origins: gpd.GeoDataFrame
    road_edges: gpd.GeoDataFrame
    road_graph: CSRGraph
    multimodal_graph: CSRGraph
    dead_ends: pd.DataFrame

    @classmethod
    def read(cls, inputs: Mapping[str, PathArg]) -> IntegrationInputs:
        """Read the rule's inputs by name, the tables by their contracts (a file that breaks
        its contract is a :class:`~spatialint.errors.DataError` naming the step to re-run)."""
        road_graph = CSRGraph.load(inputs["road_graph"])
        return cls(
            dead_ends=read_table(inputs["gaps"], DEAD_ENDS),
            units=read_table(inputs["units"], ADMIN_UNITS),
            places=read_table(inputs["places"], PLACES),
            origins=read_table(inputs["origins"], ORIGINS),
            road_edges=read_metric_edges(inputs["road_edges"], road_graph),
            road_graph=road_graph,
            multimodal_graph=CSRGraph.load(inputs["multimodal_graph"]),
        )


def read_metric_edges(path: PathArg, road_graph: CSRGraph) -> gpd.GeoDataFrame:
    """The road edges' :data:`EDGE_COLUMNS` and geometry, already in the metric CRS of the
    measures (:class:`~spatialint.integration.levels.MetricStudy`), projected part by part:
    millions of edges are held once, not once in degrees and again in metres."""
    crs = utm_crs_for(road_graph.x, road_graph.y)
    parts = [part.to_crs(crs) for part in read_table_parts(path, ROAD_EDGES, columns=EDGE_COLUMNS)]
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def write_corridors(
    table: gpd.GeoDataFrame, *, gpkg: PathArg, csv: PathArg, xlsx: PathArg
) -> gpd.GeoDataFrame:
    """Write the ``corridors`` table: GeoPackage (layer ``corridors``), CSV (UTF-8 with BOM,
    for Excel; the corridor line as WKT in its last column) and XLSX with the contract's
    ``中文 / English`` headers, each atomically. Returns the table as written."""
    written = write_table(table, CORRIDORS, gpkg)
    write_csv(written, CORRIDORS, csv, wkt=True)
    write_workbook(xlsx, {CORRIDORS: written})
    return written


def run_integration_stage(
    inputs: Mapping[str, PathArg],
    outputs: Mapping[str, PathArg],
    *,
    integration: IntegrationSettings,
    population: PopulationSettings | None = None,
    workers: int = 1,
) -> gpd.GeoDataFrame:
    """Measure every corridor of a study from its stage files and write the corridor table.

    Parameters
    ----------
    inputs
        Paths by the ``integration`` rule's input names: ``units``, ``places``, ``origins``,
        ``road_edges``, ``road_graph``, ``multimodal_graph``, ``gaps`` and, when the study
        has a source of people, ``population``.
    outputs
        Paths by the rule's output names: ``gpkg``, ``csv``, ``xlsx`` (:func:`write_corridors`).
    integration
        The study's integration settings (``spatialint.settings.PARAMS["integration"]``).
    population
        The study's source of people (a population file or raster): the population reach
        counts them, as the circles and the gap benefit do. Without one (or ``None``), the
        OSM places' ``population`` tags.
    workers
        Processes for the corridor routing (the rule's ``threads``).

    Returns
    -------
    geopandas.GeoDataFrame
        The corridor table that was written.

    Raises
    ------
    DataError
        If an input is missing or does not hold its contract's table.
    """
    read = IntegrationInputs.read(inputs)
    places = read.places
    people = None
    if population is not None:
        hull = study_hull(read.road_graph.x, read.road_graph.y)
        people = open_population(inputs, population, area=hull)
    if people is not None:
        places = people.points()
        logger.info("population reach counts the people of %s", people.path)
    table = corridor_table(
        read.units,
        read.road_edges,
        read.road_graph,
        read.multimodal_graph,
        settings=integration,
        origins=read.origins,
        places=places,
        dead_ends=read.dead_ends,
        workers=workers,
    )
    written = write_corridors(table, gpkg=outputs["gpkg"], csv=outputs["csv"], xlsx=outputs["xlsx"])
    logger.info("%d corridors written to %s", len(written), outputs["gpkg"])
    return written
