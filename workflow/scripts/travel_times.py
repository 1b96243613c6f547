"""Rule ``travel_times``: travel times from every origin to every node of the road or
multimodal graph, up to the largest band.

Standalone (see ``_helpers.mock_snakemake``)::

    python workflow/scripts/travel_times.py <study> <road|multimodal>
"""

import sys

from _helpers import mock_snakemake

from spatialint.access.travel_times import run_travel_times_stage
from spatialint.logs import run_step

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake("travel_times", study=sys.argv[1], mode=sys.argv[2])
    run_step(
        lambda: run_travel_times_stage(
            dict(snakemake.input.items()),
            dict(snakemake.output.items()),
            snakemake.params.study,
            mode=snakemake.wildcards.mode,
            workers=snakemake.threads,
        ),
        log_path=snakemake.log[0],
    )
