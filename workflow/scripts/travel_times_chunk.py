"""Snakemake script: travel times from one chunk of the origins (execution.origin_chunk_size).

The same computation as travel_times.py for the origins of chunk ``{chunk}`` only; the chunks
are stacked by gather_travel_times.py into the file travel_times.py would write.
"""

import logging

import numpy as np

from spatialint.chunks import chunk_slice
from spatialint.graph import CSRGraph
from spatialint.isochrones import check_bands
from spatialint.logs import run_step
from spatialint.origins import origin_starts, read_origins
from spatialint.routing import save_times, travel_times_from

logger = logging.getLogger("spatialint.scripts.travel_times_chunk")


def main() -> None:
    study = snakemake.params.study
    mode = snakemake.wildcards.mode
    chunk = int(snakemake.wildcards.chunk)
    bands = check_bands(study["access"]["bands_min"])
    graph = CSRGraph.load(snakemake.input.graph)
    origins = read_origins(snakemake.input.origins).iloc[chunk_slice(study, chunk)]
    starts = origin_starts(origins, graph, mode=mode)
    seconds = travel_times_from(
        graph, starts, cutoff_s=max(bands) * 60.0, workers=snakemake.threads
    )
    reached = np.count_nonzero(~np.isnan(seconds), axis=1)
    for name, count in zip(origins["name"], reached, strict=True):
        logger.info("%s chunk %d: %s reaches %d of %d nodes within %g min", mode, chunk, name,
                    count, graph.n_nodes, max(bands))  # fmt: skip
    save_times(
        snakemake.output.times,
        origin_ids=origins["origin_id"].to_numpy(),
        node_ids=graph.node_ids,
        seconds=seconds,
    )


if __name__ == "__main__":
    run_step(main, log_path=snakemake.log[0])
