"""Rule ``origins``: the study's origins (places, unit seats, stations, lon/lat)
resolved onto the road network.

Standalone (see ``_helpers.mock_snakemake``)::

    python workflow/scripts/origins.py <study>
"""

import sys

from _helpers import mock_snakemake

from spatialint.access.origins import run_origins_stage
from spatialint.logs import run_step

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake("origins", study=sys.argv[1] if len(sys.argv) > 1 else "demo")
    run_step(
        lambda: run_origins_stage(
            dict(snakemake.input.items()), dict(snakemake.output.items()), snakemake.params.study
        ),
        log_path=snakemake.log[0],
    )
