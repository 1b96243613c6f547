"""Snakemake script of rule generate_demo: write the synthetic demo region and its truth file."""

from spatialint.demo import write_demo
from spatialint.logs import run_step

if __name__ == "__main__" and "snakemake" in globals():
    source = snakemake.params.source
    run_step(
        lambda: write_demo(
            snakemake.output.pbf,
            snakemake.output.truth,
            seed=source["seed"],
            scale=source["scale"],
        ),
        log_path=snakemake.log[0],
    )
