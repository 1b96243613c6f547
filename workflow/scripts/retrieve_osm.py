"""Rule ``retrieve_osm``: the study's OSM data, clipped to the area + buffer and filtered.

Standalone (see ``_helpers.mock_snakemake``)::

    python workflow/scripts/retrieve_osm.py <study>
"""

import sys
from pathlib import Path

from _helpers import mock_snakemake, run_rule

from spatialint.osm.retrieve import run_retrieve_stage

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake(
            "retrieve_osm", study=sys.argv[1] if len(sys.argv) > 1 else "demo"
        )
    run_rule(snakemake, run_retrieve_stage, base_dir=Path.cwd())
