"""Rule ``travel_times_chunk``: travel times from one chunk of the origins
(``execution.origin_chunk_size``); ``gather_travel_times`` stacks the chunks into the file
``travel_times`` would write.

Standalone (see ``_helpers.mock_snakemake``)::

    python workflow/scripts/travel_times_chunk.py <study> <road|multimodal> <chunk>
"""

import sys

from _helpers import mock_snakemake

from spatialint.access.chunks import chunk_slice
from spatialint.access.travel_times import run_travel_times_stage
from spatialint.logs import run_step

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake(
            "travel_times_chunk", study=sys.argv[1], mode=sys.argv[2], chunk=sys.argv[3]
        )
    chunk = int(snakemake.wildcards.chunk)
    run_step(
        lambda: run_travel_times_stage(
            dict(snakemake.input.items()),
            dict(snakemake.output.items()),
            snakemake.params.study,
            mode=snakemake.wildcards.mode,
            workers=snakemake.threads,
            origin_rows=chunk_slice(
                len(snakemake.params.study["access"]["origins"]),
                chunk_size=snakemake.params.study["execution"]["origin_chunk_size"],
                chunk=chunk,
            ),
            label=f"{snakemake.wildcards.mode} chunk {chunk}",
        ),
        log_path=snakemake.log[0],
    )
