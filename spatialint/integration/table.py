"""The corridor table: every neighbouring pair of units and every named corridor, measured
(:mod:`.measures`), with its backlog of open 断头路 (:mod:`.backlog`), its 0–100 index
(:mod:`.index`) and a one-sentence summary (:mod:`.summary`), in the ``corridors`` contract.

:func:`corridor_table` runs the steps in order:

1. project the units, road nodes and edges to metres (:class:`.levels.MetricStudy`);
2. list the rows: neighbours at the finest ``admin.border_level``, then the named corridors,
   each at the coarsest level that separates its origins (:mod:`.rows`);
3. per admin level used, the borders, crossings and the units of nodes, cells and places
   (:class:`.levels.LevelData`);
4. route from every centre once (:func:`.travel.route_centres`);
5. measure each row (:func:`.measures.measure_corridor`);
6. add the border crossed (:mod:`spatialint.unit_hierarchy`), the backlog, the reasons, the
   index and the summary; sort by index and rank.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from spatialint.contracts.integration import CORRIDORS
from spatialint.geo import WGS84
from spatialint.integration.backlog import BACKLOG_COLUMNS, corridor_backlog, no_dead_ends
from spatialint.integration.index import integration_index
from spatialint.integration.levels import LevelData, MetricStudy, check_graphs
from spatialint.integration.measures import MeasureInputs, measure_corridor
from spatialint.integration.reach import PopulatedPlaces, ReachGrid
from spatialint.integration.routes import arc_lengths, with_weights
from spatialint.integration.rows import (
    CorridorRow,
    attach_border,
    named_corridor_rows,
    neighbour_rows,
    without_duplicated_pairs,
)
from spatialint.integration.summary import corridor_summary
from spatialint.integration.travel import route_centres
from spatialint.network.graph import CSRGraph
from spatialint.settings import IntegrationSettings
from spatialint.unit_hierarchy import UnitHierarchy

logger = logging.getLogger(__name__)

TABLE_WIDE_COLUMNS = (
    "rank", "border_level", "border", "index", "index_basis", *BACKLOG_COLUMNS, "reason",
    "summary",
)  # fmt: skip
"""Columns filled once the whole table is measured (not by :func:`measure_corridor`)."""


def list_rows(
    study: MetricStudy,
    named: list[CorridorRow],
    levels: dict[int, LevelData],
    settings: IntegrationSettings,
) -> list[CorridorRow]:
    """The neighbouring pairs at the finest border level, then the named corridors with their
    shared borders attached."""
    centre_pos, centre_ok = study.snap_centres(settings.snap_max_m)
    finest = settings.border_levels[-1]
    rows = neighbour_rows(study.units, finest, levels[finest].borders, centre_pos, centre_ok)
    rows = without_duplicated_pairs(rows, named)
    for row in named:
        attach_border(row, levels[row.level].borders)
    if not rows + named:
        logger.warning("no neighbouring units and no named corridors: the table is empty")
    return rows + named


def measure_levels(
    study: MetricStudy,
    levels: Sequence[int],
    places: PopulatedPlaces,
    settings: IntegrationSettings,
) -> tuple[ReachGrid, dict[int, LevelData]]:
    """The reach grid over the units of ``levels`` and each level's data."""
    grid = ReachGrid.build(
        study.units[np.isin(study.units["admin_level"].to_numpy(), levels)],
        study.edges,
        study.edge_u,
        cell_m=settings.reach_cell_m,
        snap_m=settings.access_buffer_m,
    )
    by_level = {
        level: LevelData.build(
            study, level, grid, places.points, tolerance_m=settings.border_tolerance_m
        )
        for level in levels
    }
    return grid, by_level


def finish_table(
    records: list[dict],
    rows: Sequence[CorridorRow],
    study: MetricStudy,
    dead_ends: pd.DataFrame,
    settings: IntegrationSettings,
    hierarchy: UnitHierarchy,
) -> gpd.GeoDataFrame:
    """The measured records as the ``corridors`` table: the border crossed, backlog, reasons,
    index, summary and a centre-to-centre line; sorted by index (best first, rows without one
    last), ranked."""
    measured = [c for c in CORRIDORS.names if c not in TABLE_WIDE_COLUMNS]
    table = (
        pd.DataFrame.from_records(records, columns=measured)
        if records
        else CORRIDORS.empty(measured)
    )
    for column, values in border_columns(rows, study, hierarchy, settings.language).items():
        table[column] = values.to_numpy()
    backlog = corridor_backlog(rows, study.units, settings.border_levels[-1], dead_ends)
    for column, values in backlog.columns().items():
        table[column] = values
    table["reason"] = pd.Series(["; ".join(dict.fromkeys(r.reasons)) for r in rows], dtype=object)
    if len(table):
        table["index"], table["index_basis"] = integration_index(table, settings.index)
        # two ends in one unit have no border between them: an index would compare nothing
        same_unit = np.array([r.same_unit for r in rows], dtype=bool)
        table.loc[same_unit, "index"] = np.nan
        table.loc[same_unit, "index_basis"] = ""
    else:
        table["index"], table["index_basis"] = np.empty(0), pd.Series(dtype=object)
    table["summary"] = pd.Series(
        [corridor_summary(r, language=settings.language) for r in table.to_dict("records")],
        dtype=object,
    )
    geometry = [
        shapely.LineString([r.lonlat_a, r.lonlat_b])
        if np.isfinite([*r.lonlat_a, *r.lonlat_b]).all()
        else None
        for r in rows
    ]
    out = gpd.GeoDataFrame(table, geometry=geometry, crs=WGS84)
    out = out.sort_values("index", ascending=False, na_position="last", kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    return CORRIDORS.conform(out.reset_index(drop=True))


def border_columns(
    rows: Sequence[CorridorRow], study: MetricStudy, hierarchy: UnitHierarchy, language: str
) -> dict[str, pd.Series]:
    """``border_level`` and ``border`` of every row: the coarsest border level at which the
    finest units of its two ends differ (a row whose ends lie in no coarser unit says so)."""
    ids = study.units["unit_id"].astype(str).to_numpy()
    a, b = (
        [ids[u] if u >= 0 else "" for u in ends]
        for ends in ([r.finest_a for r in rows], [r.finest_b for r in rows])
    )
    for row, x, y in zip(rows, a, b, strict=True):
        note = hierarchy.unplaced_note(x, y, "en")
        if note:
            row.reasons.append(note)
    return hierarchy.border_columns(a, b, language)


def corridor_table(
    units: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    road_graph: CSRGraph,
    multimodal_graph: CSRGraph,
    *,
    settings: IntegrationSettings,
    origins: gpd.GeoDataFrame | None = None,
    places: gpd.GeoDataFrame | None = None,
    dead_ends: pd.DataFrame | None = None,
    workers: int = 1,
) -> gpd.GeoDataFrame:
    """Every corridor measure for every neighbouring pair of units and every named corridor.

    Parameters
    ----------
    units
        The ``admin_units`` table. Neighbouring pairs are formed at the finest of
        ``settings.border_levels``, and each row says the coarsest it crosses;
        a named corridor is measured at the coarsest level whose units separate its two
        origins (e.g. between the cities for 长沙–株洲).
    edges
        The ``road_edges`` table (its geometry in WGS-84, or already in the metric CRS of
        :class:`.levels.MetricStudy`, as the stage reads it to hold the edges once).
    road_graph, multimodal_graph
        ``network/road_graph.npz`` and ``network/multimodal_graph.npz`` (road nodes first).
    settings
        The ``integration`` settings; ``settings.corridors`` are the named corridors.
    origins
        The ``origins`` table (needed when ``settings.corridors`` is not empty).
    places
        The ``places`` table; places with a population give the population reach.
    dead_ends
        The ``dead_ends`` table of the gaps stage, for the backlog of open 断头路 (its unit
        ids are at the finest border level; for a corridor at a coarser level the gaps between units
        lying in its two units count). ``None``: no gaps.
    workers
        Processes for the Dijkstra batches (see :func:`spatialint.network.routing.travel_times`).

    Returns
    -------
    geopandas.GeoDataFrame
        The ``corridors`` table (:data:`spatialint.contracts.integration.CORRIDORS`): one row
        per corridor with a centre-to-centre LineString, EPSG:4326, sorted by index.
    """
    finest = settings.border_levels[-1]
    check_graphs(road_graph, multimodal_graph)
    hierarchy = UnitHierarchy.build(units, settings.border_levels)
    study = MetricStudy.build(units, edges, road_graph)
    named = named_corridor_rows(settings.corridors, origins, road_graph, study.units, finest)
    places_m = PopulatedPlaces.build(
        places, study.edges, study.edge_u, access_buffer_m=settings.access_buffer_m
    )
    levels = sorted({finest} | {r.level for r in named})
    grid, by_level = measure_levels(study, levels, places_m, settings)
    rows = list_rows(study, named, by_level, settings)
    lengths_m = arc_lengths(road_graph, study.edges)
    times = route_centres(
        rows,
        {"road": road_graph, "mm": multimodal_graph},
        with_weights(road_graph, lengths_m),
        grid,
        places_m,
        band_s=settings.reach_band_min * 60.0,
        workers=workers,
    )
    inputs = MeasureInputs(
        settings=settings,
        study=study,
        levels=by_level,
        road_graph=road_graph,
        arc_lengths_m=lengths_m,
        grid=grid,
        places=places_m,
        times=times,
        workers=workers,
    )
    records = [measure_corridor(row, inputs) for row in rows]
    gaps = no_dead_ends() if dead_ends is None else dead_ends
    return finish_table(records, rows, study, gaps, settings, hierarchy)
