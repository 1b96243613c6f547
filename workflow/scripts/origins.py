"""Resolve the study's origins (places, unit seats, stations, lon/lat) onto the road graph."""

import geopandas as gpd

from spatialint.errors import ConfigError
from spatialint.graph import CSRGraph
from spatialint.logs import run_step
from spatialint.origins import resolve_origins, write_origins


def main() -> None:
    study = snakemake.params.study
    access = study["access"]
    if not access["origins"]:
        raise ConfigError(
            f"Study {study['name']!r} has no access.origins; add at least one origin (a place, "
            "unit, station or lon/lat) to workflow/config/studies/" + study["name"] + ".yaml."
        )
    origins = resolve_origins(
        access["origins"],
        graph=CSRGraph.load(snakemake.input.road_graph),
        edges=gpd.read_parquet(snakemake.input.road_edges, columns=["u", "v", "geometry"]),
        snap_max_m=access["snap_max_m"],
        places=gpd.read_parquet(snakemake.input.places),
        units=gpd.read_file(snakemake.input.units, layer="admin_units"),
        stations=gpd.read_parquet(snakemake.input.stations),
    )
    write_origins(origins, snakemake.output.origins)


if __name__ == "__main__":
    run_step(main, log_path=snakemake.log[0])
