"""Snakemake script: stack the origin chunks into access/travel_times_{mode}.npz."""

from spatialint.chunks import gather_times
from spatialint.logs import run_step

if __name__ == "__main__":
    run_step(
        lambda: gather_times(list(snakemake.input.chunks), snakemake.output.times),
        log_path=snakemake.log[0],
    )
