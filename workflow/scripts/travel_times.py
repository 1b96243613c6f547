"""Rule ``travel_times``: travel times from every origin to every node of the road or
multimodal graph, up to the largest band.

Standalone (see ``_helpers.mock_snakemake``)::

    python workflow/scripts/travel_times.py <study> <road|multimodal>
"""

import sys

from _helpers import mock_snakemake, run_rule

from spatialint.access.travel_times import run_travel_times_stage

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake("travel_times", study=sys.argv[1], mode=sys.argv[2])
    run_rule(
        snakemake, run_travel_times_stage, mode=snakemake.wildcards.mode, workers=snakemake.threads
    )
