"""The gaps stage of a study: detect, rank, join the planners' review, write every output.

:func:`run_gap_stage` is what the ``gaps`` rule runs (``workflow/scripts/gaps.py``); from a
notebook::

    from spatialint.config import load_study
    from spatialint.settings import study_settings

    every = study_settings(load_study("demo"))
    run_gap_stage(inputs, outputs, **{n: getattr(every, n) for n in STAGE_SETTINGS})

It reads the road network, admin units, study area and OSM context (waterways, all road
vertices, intentional-end tags) of a study, finds the cross-border gaps
(:func:`spatialint.gaps.detect.detect_gaps`), measures the time a link would save
(:func:`spatialint.gaps.benefit.rank_gaps`), weighs the evidence into a confidence and ranks by
it, then by benefit (:mod:`spatialint.gaps.confidence`), adds editor links
(:mod:`spatialint.gaps.links`), joins the decisions of the review file
(:mod:`spatialint.gaps.review`) and writes the GeoPackage, CSV, XLSX, a fresh review template,
each through its contract (:mod:`spatialint.contracts.gaps`), and a thumbnail per dead end
(:mod:`spatialint.gaps.thumbnails`).

The review file (``gaps.review_file``) is only *read*; nothing a planner wrote is overwritten.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from spatialint.access.population import PopulationLayer, open_population, study_hull
from spatialint.contracts.gaps import CLASS_DROPS, DEAD_ENDS, MISSING_CROSSINGS, REVIEW_TEMPLATE
from spatialint.contracts.io import read_table, write_csv, write_layers, write_workbook
from spatialint.contracts.network import ADMIN_UNITS, PLANNED_WAYS, ROAD_EDGES
from spatialint.errors import DataError
from spatialint.gaps.benefit import rank_gaps, ranking_column
from spatialint.gaps.confidence import assess_dead_ends, rank_by_confidence
from spatialint.gaps.data_edges import DataExtent, read_study_area
from spatialint.gaps.dead_ends import GRAPH_COLUMNS
from spatialint.gaps.detect import GapFindings, detect_gaps
from spatialint.gaps.links import class_drop_links, dead_end_links
from spatialint.gaps.osm_context import cut_nodes, read_osm_context
from spatialint.gaps.review import (
    join_review,
    load_review,
    move_notice,
    of_kind,
    review_template,
)
from spatialint.gaps.thumbnails import thumbnail_column, write_thumbnails
from spatialint.geo import NearestNodes
from spatialint.network.graph import CSRGraph
from spatialint.network.speed_profile import node_speed_factor
from spatialint.osm.ways import WayTable
from spatialint.settings import AdminSettings, GapSettings, PopulationSettings, RoadSettings
from spatialint.unit_hierarchy import UnitHierarchy

logger = logging.getLogger(__name__)

PathArg = str | PathLike[str]

DROP_UNIT_IDS = ("unit_high_id", "unit_low_id")
"""The class drops' unit ids, read for their border level and not written."""

STAGE_SETTINGS = ("gaps", "roads", "admin", "population")
"""The settings :func:`run_gap_stage` takes, by their :data:`spatialint.settings.PARAMS` names."""

#: Decimals of the detour columns as written (0.1 min, 10 m).
DETOUR_MIN_DECIMALS = 1
DETOUR_KM_DECIMALS = 2


@dataclass(frozen=True)
class GapInputs:
    """The upstream tables of the gaps stage, read and checked."""

    edges: gpd.GeoDataFrame
    planned: gpd.GeoDataFrame
    units: gpd.GeoDataFrame
    graph: CSRGraph
    waterways: gpd.GeoDataFrame
    osm_roads: WayTable  # the drivable OSM ways with all their vertices
    end_tags: pd.Series  # node id -> tags marking an intentional end
    extent: DataExtent  # where the data stops


def run_gap_stage(
    inputs: Mapping[str, PathArg],
    outputs: Mapping[str, PathArg],
    *,
    gaps: GapSettings,
    roads: RoadSettings,
    admin: AdminSettings,
    population: PopulationSettings,
) -> None:
    """Read the network, detect and rank gaps, join the review, write every output.

    Parameters
    ----------
    inputs
        Paths by the ``gaps`` rule's input names: ``pbf``, ``area`` (the study area of the
        retrieve stage), ``road_edges``, ``planned``, ``road_graph``, ``units``, and optionally
        ``review``, ``waterways`` and ``population`` (``gap_inputs`` in
        ``workflow/rules/common.smk``).
    outputs
        Paths by the rule's output names: ``gpkg`` (layers ``dead_ends``, ``class_drops``,
        ``missing_crossings``), ``csv`` (dead ends), ``xlsx`` (a sheet per layer),
        ``template`` (review template of dead ends and class drops), ``thumbnails`` (folder of
        one PNG per dead end).
    gaps
        Detection, benefit and review settings; ``review_file`` is named in the log.
    roads
        ``highway_classes`` (which OSM ways are roads) and ``speeds_kph`` (of a new link).
    admin
        ``border_levels``: the finest is the level of units whose borders count; every
        finding says the coarsest it crosses (``border_level``, ``border``).
    population
        The study's optional source of people (``access.population_file`` or
        ``access.population_raster``), for the person-minutes.

    Raises
    ------
    DataError
        If an input is missing or breaks its contract, the waterway layer has no CRS, or the
        review file is malformed or names an unknown kind of gap.
    """
    tables = read_gap_inputs(inputs, outputs, gaps=gaps, roads=roads)
    hierarchy = UnitHierarchy.build(tables.units, admin.border_levels)
    findings = detect_gaps(
        tables.edges,
        tables.units,
        tables.graph,
        border_level=admin.border_level,
        settings=gaps,
        planned=tables.planned,
        waterways=tables.waterways,
        osm_roads=tables.osm_roads,
        end_tags=tables.end_tags,
        extent=tables.extent,
    )
    source = open_population(inputs, population, area=study_hull(tables.graph.x, tables.graph.y))
    people = None if source is None else node_population(tables.graph, source)
    ranked = rank_dead_ends(
        findings, tables.graph, gaps=gaps, roads=roads, people=people, edges=tables.edges
    )
    ranked = with_border_levels(ranked, hierarchy, ("unit_id", "other_unit_id"), gaps.language)
    review = read_review_file(inputs.get("review"), review_file=gaps.review_file)
    context = REVIEW_TEMPLATE.names  # restored for reviewed gaps no longer found
    dead = join_review(ranked, of_kind(review, "G"), keep_columns=context)
    drops = with_border_levels(
        with_links(findings.class_drops), hierarchy, DROP_UNIT_IDS, gaps.language
    ).drop(columns=list(DROP_UNIT_IDS))
    drops = join_review(drops, of_kind(review, "C"), keep_columns=context)
    missing = with_border_levels(
        findings.missing_crossings, hierarchy, ("unit_a", "unit_b"), gaps.language
    )
    written = write_gap_outputs(outputs, dead=dead, drops=drops, missing=missing)
    write_thumbnails(
        outputs["thumbnails"],
        written[DEAD_ENDS.name],
        findings.surroundings,
        waterways=tables.waterways,
        planned=tables.planned,
    )
    _log_summary(written, template=outputs["template"], review_file=gaps.review_file)


def read_gap_inputs(
    inputs: Mapping[str, PathArg],
    outputs: Mapping[str, PathArg],
    *,
    gaps: GapSettings,
    roads: RoadSettings,
) -> GapInputs:
    """Read the network tables (each checked against its contract), the graph and the OSM
    context of the extract, with the user's extra waterways when ``gaps.waterways_file`` is
    set.

    Raises
    ------
    DataError
        If an input is missing or a table breaks its contract, naming the step to run.
    """
    absent = [str(p) for p in inputs.values() if not Path(p).exists()]
    if absent:
        raise DataError(
            f"Input(s) of the gaps stage missing: {', '.join(absent)}; build them first "
            f"(snakemake --cores 2 {outputs['gpkg']} does it all)."
        )
    # the tables first: one that breaks its contract stops the stage before the extract is read
    edges = read_table(inputs["road_edges"], ROAD_EDGES)
    planned = read_table(inputs["planned"], PLANNED_WAYS)
    units = read_table(inputs["units"], ADMIN_UNITS)
    ignored = set(gaps.ignore_highway)
    osm = read_osm_context(
        inputs["pbf"],
        drivable_classes=[c for c in roads.highway_classes if c not in ignored],
        end_tags=gaps.end_tag_pairs(),
    )
    area, basis = read_study_area(inputs["area"])
    waterways = osm.waterways
    if "waterways" in inputs:
        extra = read_waterways(inputs["waterways"]).to_crs(waterways.crs)
        waterways = pd.concat([waterways, extra[["geometry"]]], ignore_index=True)
    return GapInputs(
        edges=edges,
        planned=planned,
        units=units,
        graph=CSRGraph.load(inputs["road_graph"]),
        waterways=waterways,
        osm_roads=osm.roads,
        end_tags=osm.end_tags,
        extent=DataExtent(area=area, basis=basis, cut_nodes=cut_nodes(osm.roads)),
    )


def read_waterways(path: PathArg) -> gpd.GeoDataFrame:
    """The user's extra waterway layer (``gaps.waterways_file``); it must carry a CRS."""
    frame = gpd.read_file(path)
    if frame.crs is None:
        raise DataError(f"gaps.waterways_file {path} has no CRS; save it with one.")
    return frame


def node_population(graph: CSRGraph, people: PopulationLayer) -> np.ndarray:
    """Residents per graph node: each population point (a polygon at a point inside it, a
    raster cell at its centre) is counted at its nearest node."""
    points = people.points()
    where = points.geometry
    counts = points["population"].to_numpy(float)
    positions, _ = NearestNodes(graph.x, graph.y).query(where.x.to_numpy(), where.y.to_numpy())
    return np.bincount(positions, weights=counts, minlength=graph.n_nodes)


def rank_dead_ends(
    findings: GapFindings,
    graph: CSRGraph,
    *,
    gaps: GapSettings,
    roads: RoadSettings,
    people: np.ndarray | None,
    edges: pd.DataFrame,
) -> gpd.GeoDataFrame:
    """The dead ends ranked by confidence, then benefit, without their graph positions, with
    their reasons, editor links and thumbnail paths; detours rounded as written. A new link runs
    at the speed profile's factor of the road it extends (``edges``, :func:`node_speed_factor`),
    as the detour it saves does."""
    ranked = rank_gaps(
        findings.dead_ends,
        graph,
        findings.node_unit,
        speeds_kph=roads.speeds_kph,
        settings=gaps,
        node_population=people,
        speed_factor=node_speed_factor(findings.dead_ends["node_id"].to_numpy(), edges),
    )
    ranked = gpd.GeoDataFrame(
        ranked.drop(columns=list(GRAPH_COLUMNS)), geometry="geometry", crs=findings.dead_ends.crs
    )
    ranked["detour_min"] = ranked["detour_min"].round(DETOUR_MIN_DECIMALS)
    ranked["detour_km"] = ranked["detour_km"].round(DETOUR_KM_DECIMALS)
    ranked = rank_by_confidence(assess_dead_ends(ranked, gaps))
    ranked["thumbnail"] = thumbnail_column(ranked)
    return with_links(ranked)


def with_border_levels(
    findings: pd.DataFrame, hierarchy: UnitHierarchy, unit_ids: Sequence[str], language: str
) -> pd.DataFrame:
    """``findings`` with the border each crosses (``border_level``, ``border``): the coarsest
    border level at which its two units (columns ``unit_ids``) differ. A dead end between
    units lying in no coarser unit is counted at the finest level, and its reasons say so."""
    a, b = (findings[c].fillna("").astype(str).tolist() for c in unit_ids)
    out = findings.assign(**hierarchy.border_columns(a, b, language, index=findings.index))
    if "reasons_zh" in out.columns:
        for column, lang, glue in (("reasons_zh", "zh", "；"), ("reasons_en", "en", "; ")):
            notes = [hierarchy.unplaced_note(x, y, lang) for x, y in zip(a, b, strict=True)]
            if any(notes):
                out[column] = [
                    f"{text}{glue}{note}" if note else text
                    for text, note in zip(out[column], notes, strict=True)
                ]
    return out


def with_links(findings: pd.DataFrame) -> pd.DataFrame:
    """Dead ends or class drops with their ``osm_edit_url`` and ``josm_url``."""
    links = dead_end_links if "other_node_id" in findings.columns else class_drop_links
    edit, josm = links(findings)
    return findings.assign(osm_edit_url=edit, josm_url=josm)


def read_review_file(path: PathArg | None, *, review_file: str) -> pd.DataFrame | None:
    """The planners' review file, checked (:func:`spatialint.gaps.review.load_review`), or
    None when the study has none yet. A file read from elsewhere than ``review_file`` (the
    configured home) is the old place: the log says how to move it."""
    if path is None:
        return None
    if Path(path) != Path(review_file):
        logger.warning("%s", move_notice(path, review_file))
    return load_review(path)


def write_gap_outputs(
    outputs: Mapping[str, PathArg],
    *,
    dead: gpd.GeoDataFrame,
    drops: gpd.GeoDataFrame,
    missing: gpd.GeoDataFrame,
) -> dict[str, pd.DataFrame]:
    """Write the GeoPackage, CSV, XLSX and review template of the gaps stage, each through its
    contract (atomically). Returns the written tables by name."""
    layers = {DEAD_ENDS: dead, CLASS_DROPS: drops, MISSING_CROSSINGS: missing}
    written = write_layers(outputs["gpkg"], layers)
    write_csv(written[DEAD_ENDS.name], DEAD_ENDS, outputs["csv"])
    write_workbook(outputs["xlsx"], {table: written[table.name] for table in layers})
    template = review_template(written[DEAD_ENDS.name], written[CLASS_DROPS.name])
    write_csv(template, REVIEW_TEMPLATE, outputs["template"])
    return written


def review_hint(template: PathArg, review_file: str) -> str:
    """What to do with the template: copy it to the review file (``gaps.review_file``)."""
    if Path(review_file).exists():
        return (
            f"it holds the decisions of {review_file} and every new finding; edit it and copy "
            "it over that file"
        )
    parent = shlex.quote(str(Path(review_file).parent))
    copy = f"cp {shlex.quote(str(template))} {shlex.quote(review_file)}"
    return f"copy it to {review_file} to record decisions: mkdir -p {parent} && {copy}"


def _log_summary(
    written: Mapping[str, pd.DataFrame], *, template: PathArg, review_file: str
) -> None:
    dead, drops = written[DEAD_ENDS.name], written[CLASS_DROPS.name]
    found = dead[dead["found"].astype(bool)]
    logger.info(
        "wrote %d dead end(s) (%d planned, %d no longer detected), %d class drop(s), "
        "%d border stretch(es) without crossing; review template %s (%s)",
        len(found),
        int(found["planned"].astype(bool).sum()),
        len(dead) - len(found),
        len(drops),
        len(written[MISSING_CROSSINGS.name]),
        template,
        review_hint(template, review_file),
    )
    if len(found):
        by = ranking_column(found)
        best = found.sort_values("rank").iloc[0]
        logger.info(
            "rank 1 (%s confidence, %s %.2f): %s %s ↔ %s %s, %.0f m gap, detour %.1f min",
            best["confidence"],
            by,
            best[by],
            best["unit_name"],
            best["name"] or best["way_id"],
            best["other_unit_name"],
            best["other_name"] or best["other_way_id"],
            best["gap_m"],
            np.nan_to_num(best["detour_min"], nan=-1),
        )
