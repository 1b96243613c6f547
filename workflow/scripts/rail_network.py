"""Rule ``rail_network``: rail links by service and stations from a study's OSM extract.

Standalone (see ``_helpers.mock_snakemake``)::

    python workflow/scripts/rail_network.py <study>
"""

import sys

from _helpers import mock_snakemake

from spatialint.logs import run_step
from spatialint.network.rail import run_rail_network_stage

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
