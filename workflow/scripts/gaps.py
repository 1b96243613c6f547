"""Rule ``gaps``: cross-border gaps ranked by benefit, joined with the planners' review.

Standalone (see ``_helpers.mock_snakemake``)::

    python workflow/scripts/gaps.py <study>
"""

import sys

from _helpers import mock_snakemake

from spatialint.gaps.stage import run_gap_stage
from spatialint.logs import run_step

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake("gaps", study=sys.argv[1] if len(sys.argv) > 1 else "demo")
    run_step(
        lambda: run_gap_stage(
            dict(snakemake.input.items()), dict(snakemake.output.items()), snakemake.params.study
        ),
        log_path=snakemake.log[0],
    )
