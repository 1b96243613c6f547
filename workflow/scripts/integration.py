"""Corridor integration measures for one study (Snakemake rule ``integration``).

Inside Snakemake it reads ``snakemake.input`` / ``params``; standalone::

    python workflow/scripts/integration.py --study demo
"""

import argparse
import logging
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio

from spatialint.config import load_study
from spatialint.errors import DataError
from spatialint.graph import CSRGraph
from spatialint.integration import IntegrationSettings, corridor_table, write_corridors
from spatialint.logs import run_step

logger = logging.getLogger("spatialint.integration")


def _read_layer(path: str, layer: str, what: str) -> gpd.GeoDataFrame:
    if not Path(path).exists():
        raise DataError(f"{what} {path} does not exist; run the stage that writes it first.")
    layers = [name for name, _ in pyogrio.list_layers(path)]
    if layer not in layers:
        raise DataError(f"{path} has no layer {layer!r} (it has {layers}); rebuild {what}.")
    return gpd.read_file(path, layer=layer)


def main(
    inputs: dict[str, str], outputs: dict[str, str], study: dict[str, Any], *, workers: int = 1
) -> None:
    settings = IntegrationSettings.from_study(study)
    units = _read_layer(inputs["units"], "admin_units", "admin units")
    origins = _read_layer(inputs["origins"], "origins", "origins")
    dead_ends = _read_layer(inputs["gaps"], "dead_ends", "gaps")
    edges = gpd.read_parquet(inputs["road_edges"])
    places = gpd.read_parquet(inputs["places"])
    table = corridor_table(
        units,
        edges,
        CSRGraph.load(inputs["road_graph"]),
        CSRGraph.load(inputs["multimodal_graph"]),
        settings=settings,
        origins=origins,
        corridors=study["integration"]["corridors"],
        places=places,
        dead_ends=dead_ends,
        workers=workers,
    )
    write_corridors(table, gpkg=outputs["gpkg"], csv=outputs["csv"], xlsx=outputs["xlsx"])
    logger.info("%d corridors written to %s", len(table), outputs["gpkg"])


def _paths(study: str) -> tuple[dict[str, str], dict[str, str]]:
    base = f"data/{study}"
    inputs = {
        "units": f"{base}/network/admin_units.gpkg",
        "places": f"{base}/network/places.parquet",
        "origins": f"{base}/access/origins.gpkg",
        "road_edges": f"{base}/network/road_edges.parquet",
        "road_graph": f"{base}/network/road_graph.npz",
        "multimodal_graph": f"{base}/network/multimodal_graph.npz",
        "gaps": f"{base}/gaps/gaps.gpkg",
    }
    outputs = {
        "gpkg": f"{base}/integration/corridors.gpkg",
        "csv": f"{base}/integration/corridors.csv",
        "xlsx": f"{base}/integration/corridors.xlsx",
    }
    return inputs, outputs


if "snakemake" in globals():
    run_step(
        lambda: main(
            dict(snakemake.input),
            dict(snakemake.output),
            snakemake.params.study,
            workers=snakemake.threads,
        ),
        log_path=snakemake.log[0],
    )
elif __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", required=True, help="study name (workflow/config/studies)")
    args = parser.parse_args()
    study_inputs, study_outputs = _paths(args.study)
    run_step(lambda: main(study_inputs, study_outputs, load_study(args.study)))
