"""Rule ``generate_demo``: the synthetic demo region (OSM PBF) and its truth file.

Standalone (see ``_helpers.mock_snakemake``)::

    python workflow/scripts/generate_demo.py <study>
"""

import sys

from _helpers import mock_snakemake, run_rule

from spatialint.demo.generator import run_generate_demo_stage

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake(
            "generate_demo", study=sys.argv[1] if len(sys.argv) > 1 else "demo"
        )
    run_rule(snakemake, run_generate_demo_stage)
