"""Rule ``multimodal_network``: the road graph and the rail links joined into the
multimodal graph.

Standalone (see :mod:`spatialint.standalone`)::

    python workflow/scripts/multimodal_network.py <study>
"""

import sys

from spatialint.logs import run_step
from spatialint.multimodal import run_multimodal_stage
from spatialint.standalone import mock_snakemake

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake(
            "multimodal_network", study=sys.argv[1] if len(sys.argv) > 1 else "demo"
        )
    run_step(
        lambda: run_multimodal_stage(
            dict(snakemake.input.items()), dict(snakemake.output.items()), snakemake.params.study
        ),
        log_path=snakemake.log[0],
    )
