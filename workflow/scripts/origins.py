"""Rule ``origins``: the study's origins (places, unit seats, stations, lon/lat)
resolved onto the road network.

Standalone (see :mod:`spatialint.standalone`)::

    python workflow/scripts/origins.py <study>
"""

import sys

from spatialint.logs import run_step
from spatialint.origins import run_origins_stage
from spatialint.standalone import mock_snakemake

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake("origins", study=sys.argv[1] if len(sys.argv) > 1 else "demo")
    run_step(
        lambda: run_origins_stage(
            dict(snakemake.input.items()), dict(snakemake.output.items()), snakemake.params.study
        ),
        log_path=snakemake.log[0],
    )
