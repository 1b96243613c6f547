"""Rule ``integration``: corridor integration measures of one study.

Standalone (see :mod:`spatialint.standalone`)::

    python workflow/scripts/integration.py <study>
"""

import sys

from spatialint.integration import run_integration_stage
from spatialint.logs import run_step
from spatialint.standalone import mock_snakemake

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
