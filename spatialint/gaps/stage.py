"""The gaps stage of a study: detect, rank, join the planners' review, write every output.

:func:`run_gap_stage` is what the ``gaps`` rule runs: it reads the road network, admin units and
OSM context (waterways, all roads) of a study, finds the cross-border gaps
(:func:`spatialint.gaps.detect.detect_gaps`), ranks the dead ends by the time a link would save
(:func:`spatialint.gaps.benefit.rank_gaps`), joins the decisions of the review file
(:mod:`spatialint.gaps.review`) and writes the GeoPackage, CSV, XLSX and a fresh review template.

The review file is only *read* (``gaps.review_file``); nothing a planner wrote is overwritten.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from spatialint.access.isochrones import load_population
from spatialint.errors import DataError
from spatialint.fileio import atomic_path
from spatialint.gaps.benefit import BenefitSettings, rank_gaps
from spatialint.gaps.detect import (
    CLASS_DROP_COLUMNS,
    DEAD_END_COLUMNS,
    KINDS,
    MISSING_CROSSING_COLUMNS,
    TEMPLATE_COLUMNS,
    GapSettings,
    detect_gaps,
    order_columns,
    read_osm_context,
    write_xlsx,
)
from spatialint.gaps.review import join_review, read_review, review_path, write_template
from spatialint.geo import WGS84, NearestNodes
from spatialint.network.graph import CSRGraph

logger = logging.getLogger(__name__)

PathArg = str | PathLike[str]

#: Dead-end columns holding integers that are NA on gaps of the review no longer found.
NULLABLE_INT_COLUMNS = ("rank", "pairs_sampled", "pairs_improving", "way_id", "other_way_id",
                        "node_id", "other_node_id", "planned_way_id")  # fmt: skip


def read_waterways(path: PathArg) -> gpd.GeoDataFrame:
    """The user's extra waterway layer (``gaps.waterways_file``); it must carry a CRS."""
    frame = gpd.read_file(path)
    if frame.crs is None:
        raise DataError(f"gaps.waterways_file {path} has no CRS; save it with one.")
    return frame


def node_population(graph: CSRGraph, path: PathArg, column: str) -> np.ndarray:
    """Residents per graph node: each population point (or polygon, at a point inside it) is
    counted at its nearest node."""
    points = load_population(str(path), column=column).to_crs(WGS84)
    where = points.geometry.representative_point()
    counts = pd.to_numeric(points[column], errors="coerce").fillna(0.0).to_numpy(float)
    positions, _ = NearestNodes(graph.x, graph.y).query(where.x.to_numpy(), where.y.to_numpy())
    return np.bincount(positions, weights=counts, minlength=graph.n_nodes)


def _check_review_kinds(review: pd.DataFrame, path: PathArg) -> None:
    unknown = review[~review["gap_id"].str[0].isin(list(KINDS))]
    if not unknown.empty:
        raise DataError(
            f"Review file {path}, row {int(unknown['review_row'].iloc[0])}: "
            f"gap_id {unknown['gap_id'].iloc[0]} does not start with one of "
            f"{', '.join(KINDS)} ({', '.join(KINDS.values())})."
        )


def run_gap_stage(
    inputs: Mapping[str, PathArg | None],
    outputs: Mapping[str, PathArg],
    study: Mapping[str, Any],
) -> None:
    """Read the network, detect and rank gaps, join the review, write every output.

    Parameters
    ----------
    inputs
        Paths by the ``gaps`` rule's input names: ``pbf``, ``road_nodes``, ``road_edges``,
        ``planned``, ``road_graph``, ``units``, and optionally ``review`` and ``waterways``
        (:func:`spatialint.gaps.review.optional_stage_inputs`).
    outputs
        Paths by the rule's output names: ``gpkg`` (layers ``dead_ends``, ``class_drops``,
        ``missing_crossings``), ``csv`` and ``xlsx`` (dead ends), ``template`` (review
        template of dead ends and class drops).
    study
        The validated study config.

    Raises
    ------
    DataError
        If an input is missing, the waterway layer has no CRS or a review row names an
        unknown kind of gap.
    """
    settings = GapSettings.from_config(study["gaps"])
    absent = [str(p) for p in inputs.values() if p and not Path(p).exists()]
    if absent:
        raise DataError(
            f"Input(s) of the gaps stage missing: {', '.join(absent)}; build them first "
            f"(snakemake --cores 2 data/{study['name']}/gaps/gaps.gpkg does it all)."
        )
    nodes = gpd.read_parquet(inputs["road_nodes"])
    edges = gpd.read_parquet(inputs["road_edges"])
    planned = gpd.read_parquet(inputs["planned"])
    units = gpd.read_file(inputs["units"], layer="admin_units")
    graph = CSRGraph.load(inputs["road_graph"])
    ignored = set(settings.ignore_highway)
    drivable = [c for c in study["network"]["highway_classes"] if c not in ignored]
    osm = read_osm_context(inputs["pbf"], drivable_classes=drivable)
    waterways = osm.waterways
    if inputs.get("waterways"):
        extra = read_waterways(inputs["waterways"]).to_crs(waterways.crs)
        waterways = pd.concat([waterways, extra[["geometry"]]], ignore_index=True)
    findings = detect_gaps(
        nodes,
        edges,
        units,
        graph,
        border_level=int(study["admin"]["border_level"]),
        settings=settings,
        planned=planned,
        waterways=waterways,
        osm_roads=osm.roads,
    )
    ranked = rank_gaps(
        findings.dead_ends,
        graph,
        findings.node_unit,
        speeds_kph=study["network"]["speeds_kph"],
        settings=BenefitSettings.from_config(study["gaps"]),
        node_population=(
            node_population(graph, inputs["population"], study["access"]["population_column"])
            if inputs.get("population")
            else None
        ),
    )
    ranked = gpd.GeoDataFrame(ranked, geometry="geometry", crs=findings.dead_ends.crs)
    ranked["detour_min"] = ranked["detour_min"].round(1)
    ranked["detour_km"] = ranked["detour_km"].round(2)

    review = read_review(inputs["review"]) if inputs.get("review") else None
    if review is not None:
        _check_review_kinds(review, inputs["review"])
    dead = join_review(
        ranked,
        None if review is None else review[review["gap_id"].str.startswith("G")],
        keep_columns=TEMPLATE_COLUMNS,
    )
    drops = join_review(
        findings.class_drops,
        None if review is None else review[review["gap_id"].str.startswith("C")],
        keep_columns=TEMPLATE_COLUMNS,
    )
    for column in NULLABLE_INT_COLUMNS:
        dead[column] = pd.array(dead[column], dtype="Int64")
    dead = order_columns(dead, DEAD_END_COLUMNS)
    drops = order_columns(drops, CLASS_DROP_COLUMNS)
    missing = order_columns(findings.missing_crossings, MISSING_CROSSING_COLUMNS)
    write_gap_outputs(outputs, dead=dead, drops=drops, missing=missing)
    _log_summary(dead, drops, missing, template=outputs["template"], study=study)


def write_gap_outputs(
    outputs: Mapping[str, PathArg],
    *,
    dead: gpd.GeoDataFrame,
    drops: gpd.GeoDataFrame,
    missing: gpd.GeoDataFrame,
) -> None:
    """Write the GeoPackage, CSV, XLSX and review template of the gaps stage (atomically)."""
    with atomic_path(outputs["gpkg"]) as tmp:
        for layer, frame in (
            ("dead_ends", dead),
            ("class_drops", drops),
            ("missing_crossings", missing),
        ):
            frame.to_file(tmp, layer=layer, driver="GPKG")
    with atomic_path(outputs["csv"]) as tmp:
        pd.DataFrame(dead.drop(columns="geometry")).to_csv(tmp, index=False, encoding="utf-8-sig")
    write_xlsx(
        outputs["xlsx"], {"dead_ends": dead, "class_drops": drops, "missing_crossings": missing}
    )
    template = pd.concat(
        [dead.assign(kind=KINDS["G"]), drops.assign(kind=KINDS["C"])], ignore_index=True
    )
    template["found"] = template["found"].map({True: "是 yes", False: "否 no"})
    write_template(outputs["template"], template, columns=TEMPLATE_COLUMNS)


def _log_summary(
    dead: pd.DataFrame,
    drops: pd.DataFrame,
    missing: pd.DataFrame,
    *,
    template: PathArg,
    study: Mapping[str, Any],
) -> None:
    found = dead[dead["found"].astype(bool)]
    logger.info(
        "wrote %d dead end(s) (%d planned, %d no longer detected), %d class drop(s), "
        "%d border stretch(es) without crossing; review template %s (copy it to %s to review)",
        len(found),
        int(found["planned"].astype(bool).sum()),
        int((~dead["found"].astype(bool)).sum()),
        len(drops),
        len(missing),
        template,
        review_path(study),
    )
    if len(found):
        best = found.sort_values("rank").iloc[0]
        logger.info(
            "largest benefit: %s %s ↔ %s %s, %.0f m gap, detour %.1f min, %.2f min saved per trip",
            best["unit_name"],
            best["name"] or best["way_id"],
            best["other_unit_name"],
            best["other_name"] or best["other_way_id"],
            best["gap_m"],
            np.nan_to_num(best["detour_min"], nan=-1),
            best["minutes_saved_per_trip"],
        )
