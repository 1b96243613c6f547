"""Rule ``rail_network``: rail links by service and stations from a study's OSM extract.

Standalone (see :mod:`spatialint.standalone`)::

    python workflow/scripts/rail_network.py <study>
"""

import sys

from spatialint.logs import run_step
from spatialint.rail import run_rail_network_stage
from spatialint.standalone import mock_snakemake

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake(
            "rail_network", study=sys.argv[1] if len(sys.argv) > 1 else "demo"
        )
    run_step(
        lambda: run_rail_network_stage(
            dict(snakemake.input.items()), dict(snakemake.output.items()), snakemake.params.study
        ),
        log_path=snakemake.log[0],
    )
