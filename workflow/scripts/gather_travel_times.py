"""Rule ``gather_travel_times``: stack the origin chunks into ``access/travel_times_{mode}.npz``.

Standalone (see ``_helpers.mock_snakemake``)::

    python workflow/scripts/gather_travel_times.py <study> <road|multimodal>
"""

import sys

from _helpers import mock_snakemake, run_rule

from spatialint.access.chunks import run_gather_stage

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake("gather_travel_times", study=sys.argv[1], mode=sys.argv[2])
    run_rule(snakemake, run_gather_stage)
