"""Rule ``admin_units``: admin units, places and the admin report from the study's extract.

Standalone (see :mod:`spatialint.standalone`)::

    python workflow/scripts/admin_units.py <study>
"""

import sys
from pathlib import Path

from spatialint.admin import run_admin_stage
from spatialint.logs import run_step
from spatialint.standalone import mock_snakemake

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake(
            "admin_units", study=sys.argv[1] if len(sys.argv) > 1 else "demo"
        )
    run_step(
        lambda: run_admin_stage(
            dict(snakemake.output.items()),
            snakemake.params.study,
            pbf=snakemake.input.pbf,
            base_dir=Path.cwd(),
        ),
        log_path=snakemake.log[0],
    )
