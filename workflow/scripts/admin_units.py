"""Rule ``admin_units``: admin units, places and the admin report from the study's extract.

Standalone (see ``_helpers.mock_snakemake``)::

    python workflow/scripts/admin_units.py <study>
"""

import sys
from pathlib import Path

from _helpers import mock_snakemake, run_rule

from spatialint.osm.admin import run_admin_stage

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake(
            "admin_units", study=sys.argv[1] if len(sys.argv) > 1 else "demo"
        )
    run_rule(snakemake, run_admin_stage, base_dir=Path.cwd())
