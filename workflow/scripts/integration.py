"""Rule ``integration``: corridor integration measures of one study.

Standalone (see ``_helpers.mock_snakemake``)::

    python workflow/scripts/integration.py <study>
"""

import sys

from _helpers import mock_snakemake, run_rule

from spatialint.integration.stage import run_integration_stage

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake(
            "integration", study=sys.argv[1] if len(sys.argv) > 1 else "demo"
        )
    run_rule(snakemake, run_integration_stage, workers=snakemake.threads)
