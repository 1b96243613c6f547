"""Rule ``generate_demo``: the synthetic demo region (OSM PBF) and its truth file.

Standalone (see ``_helpers.mock_snakemake``)::

    python workflow/scripts/generate_demo.py <study>
"""

import sys

from _helpers import mock_snakemake

from spatialint.demo.generator import write_demo
from spatialint.logs import run_step

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake(
            "generate_demo", study=sys.argv[1] if len(sys.argv) > 1 else "demo"
        )
    run_step(
        lambda: write_demo(
            snakemake.output.pbf,
            snakemake.output.truth,
            seed=snakemake.params.source["seed"],
            scale=snakemake.params.source["scale"],
        ),
        log_path=snakemake.log[0],
    )
