"""Rule ``travel_times_chunk``: travel times from one chunk of the origins
(``execution.origin_chunk_size``); ``gather_travel_times`` stacks the chunks into the file
``travel_times`` would write.

Standalone (see ``_helpers.mock_snakemake``)::

    python workflow/scripts/travel_times_chunk.py <study> <road|multimodal> <chunk>
"""

import sys

from _helpers import mock_snakemake, run_rule

from spatialint.access.travel_times import run_travel_time_chunk_stage

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake(
            "travel_times_chunk", study=sys.argv[1], mode=sys.argv[2], chunk=sys.argv[3]
        )
    run_rule(
        snakemake,
        run_travel_time_chunk_stage,
        mode=snakemake.wildcards.mode,
        chunk=int(snakemake.wildcards.chunk),
        workers=snakemake.threads,
    )
