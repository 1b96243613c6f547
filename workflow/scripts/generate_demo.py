"""Rule generate_demo: write the synthetic demo region (OSM PBF) and its truth file.

Inside Snakemake it reads ``snakemake.output`` and the study's ``source`` section (``seed``,
``scale``); standalone it takes the same as arguments::

    python workflow/scripts/generate_demo.py data/demo/demo/demo.osm.pbf \
        data/demo/demo/truth.json --seed 42 --scale 1
"""

import argparse

from spatialint.demo import write_demo
from spatialint.logs import run_step


def main() -> None:
    if "snakemake" in globals():
        source = snakemake.params.source
        pbf, truth, seed, scale = (
            snakemake.output.pbf,
            snakemake.output.truth,
            source["seed"],
            source["scale"],
        )
        log_path = snakemake.log[0]
    else:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("pbf", help="output .osm.pbf")
        parser.add_argument("truth", help="output truth.json")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--scale", type=float, default=1.0)
        parser.add_argument("--log", default=None, help="also log to this file")
        args = parser.parse_args()
        pbf, truth, seed, scale, log_path = args.pbf, args.truth, args.seed, args.scale, args.log
    run_step(lambda: write_demo(pbf, truth, seed=seed, scale=scale), log_path=log_path)


if __name__ == "__main__":
    main()
