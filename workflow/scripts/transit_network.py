"""Rule ``transit_network``: the study's GTFS feeds as a frequency-based transit network.

Standalone (see ``_helpers.mock_snakemake``)::

    python workflow/scripts/transit_network.py <study>
"""

import sys

from _helpers import mock_snakemake, run_rule

from spatialint.network.transit import run_transit_stage

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake(
            "transit_network", study=sys.argv[1] if len(sys.argv) > 1 else "demo"
        )
    run_rule(snakemake, run_transit_stage)
