"""Rule ``rail_network``: rail links by service and stations from a study's OSM extract.

Standalone (see ``_helpers.mock_snakemake``)::

    python workflow/scripts/rail_network.py <study>
"""

import sys

from _helpers import mock_snakemake, run_rule

from spatialint.network.rail import run_rail_stage

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake(
            "rail_network", study=sys.argv[1] if len(sys.argv) > 1 else "demo"
        )
    run_rule(snakemake, run_rail_stage)
