"""Rule ``gaps``: cross-border gaps ranked by benefit, joined with the planners' review.

Standalone (see ``_helpers.mock_snakemake``)::

    python workflow/scripts/gaps.py <study>
"""

import sys

from _helpers import mock_snakemake, run_rule

from spatialint.gaps.stage import run_gap_stage

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake("gaps", study=sys.argv[1] if len(sys.argv) > 1 else "demo")
    run_rule(snakemake, run_gap_stage)
