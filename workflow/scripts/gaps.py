"""Gaps stage: detect cross-border gaps, rank them by benefit, join the planners' review.

Inside Snakemake (rule ``gaps``) it reads ``snakemake.input`` / ``params``; standalone::

    python workflow/scripts/gaps.py demo          # paths under data/demo/

It only *reads* the review file (``gaps.review_file``); its decisions are joined onto the
outputs and a fresh template is written to ``gaps/gaps_review_template.csv``.
"""

import argparse
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from spatialint.errors import DataError
from spatialint.fileio import atomic_path
from spatialint.gap_benefit import BenefitSettings, rank_gaps
from spatialint.gaps import (
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
from spatialint.graph import CSRGraph
from spatialint.logs import run_step
from spatialint.review import (
    join_review,
    optional_stage_inputs,
    read_review,
    review_path,
    write_template,
)

logger = logging.getLogger("spatialint.scripts.gaps")


def _read_waterways(path: str | Path) -> gpd.GeoDataFrame:
    frame = gpd.read_file(path)
    if frame.crs is None:
        raise DataError(f"gaps.waterways_file {path} has no CRS; save it with one.")
    return frame


def run(inputs: Mapping[str, Any], outputs: Mapping[str, Any], study: Mapping[str, Any]) -> None:
    """Read the network, detect and rank gaps, join the review, write every output."""
    settings = GapSettings.from_config(study["gaps"])
    absent = [str(p) for key, p in inputs.items() if p and not Path(p).exists()]
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
        extra = _read_waterways(inputs["waterways"]).to_crs(waterways.crs)
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
    )
    ranked = gpd.GeoDataFrame(ranked, geometry="geometry", crs=findings.dead_ends.crs)
    ranked["detour_min"] = ranked["detour_min"].round(1)
    ranked["detour_km"] = ranked["detour_km"].round(2)

    review = read_review(inputs["review"]) if inputs.get("review") else None
    if review is not None:
        unknown = review[~review["gap_id"].str[0].isin(list(KINDS))]
        if not unknown.empty:
            raise DataError(
                f"Review file {inputs['review']}, row {int(unknown['review_row'].iloc[0])}: "
                f"gap_id {unknown['gap_id'].iloc[0]} does not start with one of "
                f"{', '.join(KINDS)} ({', '.join(KINDS.values())})."
            )
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
    for column in ("rank", "pairs_sampled", "pairs_improving", "way_id", "other_way_id",
                   "node_id", "other_node_id", "planned_way_id"):  # fmt: skip
        dead[column] = pd.array(dead[column], dtype="Int64")  # NA on gaps no longer found
    dead = order_columns(dead, DEAD_END_COLUMNS)
    drops = order_columns(drops, CLASS_DROP_COLUMNS)
    missing = order_columns(findings.missing_crossings, MISSING_CROSSING_COLUMNS)

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
    found = dead[dead["found"].astype(bool)]
    logger.info(
        "wrote %d dead end(s) (%d planned, %d no longer detected), %d class drop(s), "
        "%d border stretch(es) without crossing; review template %s (copy it to %s to review)",
        len(found),
        int(found["planned"].astype(bool).sum()),
        int((~dead["found"].astype(bool)).sum()),
        len(drops),
        len(missing),
        outputs["template"],
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


def standalone(name: str) -> None:
    """Run the stage for study ``name`` outside Snakemake, with the default paths."""
    from spatialint.config import load_study

    study = load_study(name)
    base = Path("data") / name
    inputs: dict[str, Any] = {
        "pbf": base / "osm/extract.osm.pbf",
        "road_nodes": base / "network/road_nodes.parquet",
        "road_edges": base / "network/road_edges.parquet",
        "planned": base / "network/planned_ways.parquet",
        "road_graph": base / "network/road_graph.npz",
        "units": base / "network/admin_units.gpkg",
    }
    inputs.update(optional_stage_inputs(study))
    outputs = {
        "gpkg": base / "gaps/gaps.gpkg",
        "csv": base / "gaps/gaps.csv",
        "xlsx": base / "gaps/gaps.xlsx",
        "template": base / "gaps/gaps_review_template.csv",
    }
    run(inputs, outputs, study)


if __name__ == "__main__":
    if "snakemake" in globals():
        run_step(
            lambda: run(
                dict(snakemake.input.items()),
                dict(snakemake.output.items()),
                snakemake.params.study,
            ),
            log_path=snakemake.log[0],
        )
    else:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("study", help="study name (workflow/config/studies/<study>.yaml)")
        run_step(lambda: standalone(parser.parse_args().study))
