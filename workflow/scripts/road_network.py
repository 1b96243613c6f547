"""Rule ``road_network``: the simplified road graph of a study from its OSM extract.

Standalone (see ``_helpers.mock_snakemake``)::

    python workflow/scripts/road_network.py <study>
"""

import sys

from _helpers import mock_snakemake, run_rule

from spatialint.network.roads import run_road_stage

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake(
            "road_network", study=sys.argv[1] if len(sys.argv) > 1 else "demo"
        )
    run_rule(snakemake, run_road_stage)
