"""Rule ``multimodal_network``: the road graph and the rail links joined into the
multimodal graph.

Standalone (see ``_helpers.mock_snakemake``)::

    python workflow/scripts/multimodal_network.py <study>
"""

import sys

from _helpers import mock_snakemake, run_rule

from spatialint.network.multimodal import run_multimodal_stage

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake(
            "multimodal_network", study=sys.argv[1] if len(sys.argv) > 1 else "demo"
        )
    run_rule(snakemake, run_multimodal_stage)
