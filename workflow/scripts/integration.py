"""Rule ``integration``: corridor integration measures of one study.

Standalone (see ``_helpers.mock_snakemake``)::

    python workflow/scripts/integration.py <study>
"""

import sys

from _helpers import mock_snakemake

from spatialint.integration.corridors import run_integration_stage
from spatialint.logs import run_step

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake(
            "integration", study=sys.argv[1] if len(sys.argv) > 1 else "demo"
        )
    run_step(
        lambda: run_integration_stage(
            dict(snakemake.input.items()),
            dict(snakemake.output.items()),
            snakemake.params.study,
            workers=snakemake.threads,
        ),
        log_path=snakemake.log[0],
    )
