"""Rule ``map``: the study map ``maps/{study}/index.html``.

Standalone (see ``_helpers.mock_snakemake``)::

    python workflow/scripts/map.py <study>
"""

import sys

from _helpers import mock_snakemake

from spatialint.logs import run_step
from spatialint.publish.maps import run_map_stage

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake("map", study=sys.argv[1] if len(sys.argv) > 1 else "demo")
    run_step(
        lambda: run_map_stage(
            dict(snakemake.input.items()), dict(snakemake.output.items()), snakemake.params.study
        ),
        log_path=snakemake.log[0],
    )
