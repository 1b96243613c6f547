"""Rule ``origins``: the study's origins (places, unit seats, stations, lon/lat)
resolved onto the road network.

Standalone (see ``_helpers.mock_snakemake``)::

    python workflow/scripts/origins.py <study>
"""

import sys

from _helpers import mock_snakemake, run_rule

from spatialint.access.origins import run_origins_stage

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake("origins", study=sys.argv[1] if len(sys.argv) > 1 else "demo")
    run_rule(snakemake, run_origins_stage)
