"""Snakemake script: rail links by service and stations from a study's OSM extract.

Standalone: python workflow/scripts/rail_network.py <study> (reads and writes under data/<study>).
"""

import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from spatialint.config import load_study
from spatialint.logs import run_step
from spatialint.rail import build_rail_network, write_rail_network
from spatialint.roads import load_units


def main(smk) -> None:
    study = smk.params.study
    network = study["network"]
    result = build_rail_network(
        smk.input.pbf,
        road_nodes=pd.read_parquet(smk.input.road_nodes, columns=["node_id", "x", "y"]),
        units=load_units(smk.input.units, level=study["admin"]["border_level"]),
        rail_speeds_kph=network["rail_speeds_kph"],
        highspeed_min_kph=network["highspeed_min_kph"],
        intercity_name_patterns=network["intercity_name_patterns"],
        station_line_max_m=network["station_line_max_m"],
        station_merge_m=network["station_merge_m"],
    )
    write_rail_network(result, edges=smk.output.edges, stations=smk.output.stations)


def _standalone(name: str) -> SimpleNamespace:
    base = Path("data") / name / "network"
    return SimpleNamespace(
        params=SimpleNamespace(study=load_study(name)),
        input=SimpleNamespace(
            pbf=Path("data") / name / "osm/extract.osm.pbf",
            units=base / "admin_units.gpkg",
            road_nodes=base / "road_nodes.parquet",
        ),
        output=SimpleNamespace(
            edges=base / "rail_edges.parquet", stations=base / "rail_stations.parquet"
        ),
        log=[f"logs/{name}/rail_network.log"],
    )


if __name__ == "__main__":
    smk = snakemake if "snakemake" in globals() else _standalone(sys.argv[1])
    run_step(lambda: main(smk), log_path=smk.log[0] if smk.log else None)
