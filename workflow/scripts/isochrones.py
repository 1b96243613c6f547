"""Rule ``isochrones``: 1/2/3-hour isochrones per origin and mode, and the hexagon surface.

Standalone (see ``_helpers.mock_snakemake``)::

    python workflow/scripts/isochrones.py <study>
"""

import sys

from _helpers import mock_snakemake

from spatialint.access.stage import run_isochrone_stage
from spatialint.logs import run_step

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake("isochrones", study=sys.argv[1] if len(sys.argv) > 1 else "demo")
    run_step(
        lambda: run_isochrone_stage(
            dict(snakemake.input.items()),
            dict(snakemake.output.items()),
            snakemake.params.study,
            workers=snakemake.threads,
        ),
        log_path=snakemake.log[0],
    )
