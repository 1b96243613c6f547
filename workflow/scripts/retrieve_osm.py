"""Rule ``retrieve_osm``: the study's OSM data, clipped to the area + buffer and filtered.

Standalone (see :mod:`spatialint.standalone`)::

    python workflow/scripts/retrieve_osm.py <study>
"""

import sys
from pathlib import Path

from spatialint.logs import run_step
from spatialint.sources import retrieve_extract
from spatialint.standalone import mock_snakemake

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
