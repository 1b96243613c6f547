"""Snakemake script: travel times from every origin to every node of the road or multimodal
graph, up to the largest band.

Standalone: python workflow/scripts/travel_times.py <study> <road|multimodal>.
"""

import logging
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from spatialint.config import load_study
from spatialint.graph import CSRGraph
from spatialint.isochrones import check_bands
from spatialint.logs import run_step
from spatialint.origins import origin_starts, read_origins
from spatialint.routing import available_workers, save_times, travel_times_from

logger = logging.getLogger("spatialint.scripts.travel_times")


def main(smk) -> None:
    study = smk.params.study
    mode = smk.wildcards.mode
    bands = check_bands(study["access"]["bands_min"])
    graph = CSRGraph.load(smk.input.graph)
    origins = read_origins(smk.input.origins)
    starts = origin_starts(origins, graph, mode=mode)
    seconds = travel_times_from(graph, starts, cutoff_s=max(bands) * 60.0, workers=smk.threads)
    reached = np.count_nonzero(~np.isnan(seconds), axis=1)
    for name, count in zip(origins["name"], reached, strict=True):
        logger.info("%s: %s reaches %d of %d nodes within %g min", mode, name, count,
                    graph.n_nodes, max(bands))  # fmt: skip
    save_times(
        smk.output.times,
        origin_ids=origins["origin_id"].to_numpy(),
        node_ids=graph.node_ids,
        seconds=seconds,
    )


def _standalone(name: str, mode: str) -> SimpleNamespace:
    base = Path("data") / name
    return SimpleNamespace(
        params=SimpleNamespace(study=load_study(name)),
        wildcards=SimpleNamespace(mode=mode),
        threads=min(2, available_workers()),
        input=SimpleNamespace(
            graph=base / "network" / f"{mode}_graph.npz", origins=base / "access/origins.gpkg"
        ),
        output=SimpleNamespace(times=base / "access" / f"travel_times_{mode}.npz"),
        log=[f"logs/{name}/travel_times_{mode}.log"],
    )


if __name__ == "__main__":
    smk = snakemake if "snakemake" in globals() else _standalone(sys.argv[1], sys.argv[2])
    run_step(lambda: main(smk), log_path=smk.log[0] if smk.log else None)
