"""Rule admin_units: admin units, places and the admin report from the study's extract.

Inside Snakemake it reads ``snakemake.params.study`` / ``input`` / ``output``; standalone::

    python workflow/scripts/admin_units.py andorra    # after retrieve_osm.py andorra
"""

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from spatialint.admin import build_admin, write_outputs
from spatialint.logs import run_step


def admin_units(
    study: Mapping[str, Any],
    *,
    pbf: Path,
    units_path: Path,
    places_path: Path,
    report_path: Path,
    base_dir: Path,
) -> None:
    """Build the study's admin units and places and write the three outputs."""
    result = build_admin(study, pbf=pbf, base_dir=base_dir)
    write_outputs(result, units_path=units_path, places_path=places_path, report_path=report_path)


if "snakemake" in globals():
    run_step(
        lambda: admin_units(
            snakemake.params.study,
            pbf=Path(snakemake.input.pbf),
            units_path=Path(snakemake.output.units),
            places_path=Path(snakemake.output.places),
            report_path=Path(snakemake.output.report),
            base_dir=Path.cwd(),
        ),
        log_path=snakemake.log[0],
    )
elif __name__ == "__main__":
    from spatialint.config import REPO_ROOT, load_study

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", help="study name (workflow/config/studies/<study>.yaml)")
    args = parser.parse_args()

    def _main() -> None:
        network = REPO_ROOT / "data" / args.study / "network"
        admin_units(
            load_study(args.study),
            pbf=REPO_ROOT / "data" / args.study / "osm" / "extract.osm.pbf",
            units_path=network / "admin_units.gpkg",
            places_path=network / "places.parquet",
            report_path=network / "admin_report.txt",
            base_dir=REPO_ROOT,
        )

    run_step(_main)
