"""Rule retrieve_osm: the study's OSM data, clipped to the area + buffer and filtered.

Inside Snakemake it reads ``snakemake.params.study`` / ``input`` / ``output``; standalone::

    python workflow/scripts/retrieve_osm.py andorra   # writes data/andorra/osm/extract.osm.pbf
"""

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from spatialint.errors import DataError
from spatialint.extract import clip_extract
from spatialint.logs import run_step
from spatialint.overpass import fetch_extract
from spatialint.sources import resolve_source


def retrieve(
    study: Mapping[str, Any], *, target: Path, demo_pbf: Path | None, base_dir: Path
) -> None:
    """Write ``target`` from the study's source (demo PBF, PBF file/URL, or Overpass)."""
    kind = study["source"]["kind"]
    if kind == "overpass":
        fetch_extract(study, target, base_dir=base_dir)
        return
    if kind == "demo":
        if demo_pbf is None or not Path(demo_pbf).is_file():
            raise DataError(
                f"The demo PBF {demo_pbf} is missing; run the generate_demo rule first."
            )
        source = Path(demo_pbf)
    else:
        source = resolve_source(study["source"], base_dir=base_dir)
    clip_extract(
        source,
        target,
        area=study["area"],
        levels=study["admin"]["levels"],
        base_dir=base_dir,
    )


if "snakemake" in globals():
    run_step(
        lambda: retrieve(
            snakemake.params.study,
            target=Path(snakemake.output.pbf),
            demo_pbf=getattr(snakemake.input, "demo_pbf", None),
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
        study = load_study(args.study)
        data = REPO_ROOT / "data" / args.study
        retrieve(
            study,
            target=data / "osm" / "extract.osm.pbf",
            demo_pbf=data / "demo" / "demo.osm.pbf",
            base_dir=REPO_ROOT,
        )

    run_step(_main)
