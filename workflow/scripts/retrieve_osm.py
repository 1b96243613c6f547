"""Rule ``retrieve_osm``: the study's OSM data, clipped to the area + buffer and filtered.

Standalone (see ``_helpers.mock_snakemake``)::

    python workflow/scripts/retrieve_osm.py <study>
"""

import sys
from pathlib import Path

from _helpers import mock_snakemake

from spatialint.logs import run_step
from spatialint.osm.sources import retrieve_extract

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake(
            "retrieve_osm", study=sys.argv[1] if len(sys.argv) > 1 else "demo"
        )
    run_step(
        lambda: retrieve_extract(
            snakemake.params.study,
            target=Path(snakemake.output.pbf),
            demo_pbf=getattr(snakemake.input, "demo_pbf", None),
            base_dir=Path.cwd(),
        ),
        log_path=snakemake.log[0],
    )
