"""Rule ``map``: the study map ``maps/{study}/index.html``.

Standalone (see ``_helpers.mock_snakemake``)::

    python workflow/scripts/map.py <study>
"""

import sys

from _helpers import mock_snakemake, run_rule

from spatialint.publish.map import run_map_stage

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake("map", study=sys.argv[1] if len(sys.argv) > 1 else "demo")
    run_rule(snakemake, run_map_stage)
