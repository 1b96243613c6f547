"""Rule ``gaps``: cross-border gaps ranked by benefit, joined with the planners' review.

Standalone (see :mod:`spatialint.standalone`)::

    python workflow/scripts/gaps.py <study>
"""

import sys

from spatialint.gap_stage import run_gap_stage
from spatialint.logs import run_step
from spatialint.standalone import mock_snakemake

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake("gaps", study=sys.argv[1] if len(sys.argv) > 1 else "demo")
    run_step(
        lambda: run_gap_stage(
            dict(snakemake.input.items()), dict(snakemake.output.items()), snakemake.params.study
        ),
        log_path=snakemake.log[0],
    )
