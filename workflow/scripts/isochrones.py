"""Rule ``isochrones``: 1/2/3-hour isochrones per origin and mode, and the hexagon surface.

Standalone (see ``_helpers.mock_snakemake``)::

    python workflow/scripts/isochrones.py <study>
"""

import sys

from _helpers import mock_snakemake, run_rule

from spatialint.access.stage import run_isochrone_stage

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake("isochrones", study=sys.argv[1] if len(sys.argv) > 1 else "demo")
    run_rule(snakemake, run_isochrone_stage, workers=snakemake.threads)
