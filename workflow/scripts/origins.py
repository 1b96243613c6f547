"""Snakemake script: resolve the study's origins (places, unit seats, stations, lon/lat) onto
the road network.

Standalone: python workflow/scripts/origins.py <study> (reads and writes under data/<study>).
"""

import sys
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd

from spatialint.config import load_study
from spatialint.errors import ConfigError
from spatialint.graph import CSRGraph
from spatialint.logs import run_step
from spatialint.origins import resolve_origins, write_origins


def main(smk) -> None:
    study = smk.params.study
    access = study["access"]
    if not access["origins"]:
        raise ConfigError(
            f"Study {study['name']!r} has no access.origins; add at least one origin (a place, "
            f"unit, station or lon/lat) to workflow/config/studies/{study['name']}.yaml."
        )
    origins = resolve_origins(
        access["origins"],
        graph=CSRGraph.load(smk.input.road_graph),
        edges=gpd.read_parquet(smk.input.road_edges, columns=["u", "v", "geometry"]),
        snap_max_m=access["snap_max_m"],
        places=gpd.read_parquet(smk.input.places),
        units=gpd.read_file(smk.input.units, layer="admin_units"),
        stations=gpd.read_parquet(smk.input.stations),
    )
    write_origins(origins, smk.output.origins)


def _standalone(name: str) -> SimpleNamespace:
    net = Path("data") / name / "network"
    return SimpleNamespace(
        params=SimpleNamespace(study=load_study(name)),
        input=SimpleNamespace(
            places=net / "places.parquet",
            units=net / "admin_units.gpkg",
            stations=net / "rail_stations.parquet",
            road_graph=net / "road_graph.npz",
            road_edges=net / "road_edges.parquet",
        ),
        output=SimpleNamespace(origins=Path("data") / name / "access" / "origins.gpkg"),
        log=[f"logs/{name}/origins.log"],
    )


if __name__ == "__main__":
    smk = snakemake if "snakemake" in globals() else _standalone(sys.argv[1])
    run_step(lambda: main(smk), log_path=smk.log[0] if smk.log else None)
