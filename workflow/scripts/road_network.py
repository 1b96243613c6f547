"""Snakemake script: build the simplified road graph of a study from its OSM extract.

Standalone: python workflow/scripts/road_network.py <study> (reads and writes under data/<study>).
"""

import sys
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np

from spatialint.config import load_study
from spatialint.logs import run_step
from spatialint.rail import station_points
from spatialint.roads import build_road_network, load_units, write_road_network


def main(smk) -> None:
    study = smk.params.study
    network = study["network"]
    units = load_units(smk.input.units, level=study["admin"]["border_level"])
    # stations and places keep their nearest road node through simplification
    station_lon, station_lat = station_points(smk.input.pbf)
    places = gpd.read_parquet(smk.input.places, columns=["geometry"])
    result = build_road_network(
        smk.input.pbf,
        units,
        highway_classes=network["highway_classes"],
        speeds_kph=network["speeds_kph"],
        maxspeed_zones_kph=network["maxspeed_zones_kph"],
        anchor_lon=np.concatenate([station_lon, places.geometry.x.to_numpy()]),
        anchor_lat=np.concatenate([station_lat, places.geometry.y.to_numpy()]),
    )
    write_road_network(
        result,
        nodes=smk.output.nodes,
        edges=smk.output.edges,
        planned=smk.output.planned,
        graph=smk.output.graph,
    )


def _standalone(name: str) -> SimpleNamespace:
    base = Path("data") / name
    return SimpleNamespace(
        params=SimpleNamespace(study=load_study(name)),
        input=SimpleNamespace(
            pbf=base / "osm/extract.osm.pbf", units=base / "network/admin_units.gpkg"
        ),
        output=SimpleNamespace(
            nodes=base / "network/road_nodes.parquet",
            edges=base / "network/road_edges.parquet",
            planned=base / "network/planned_ways.parquet",
            graph=base / "network/road_graph.npz",
        ),
        log=[f"logs/{name}/road_network.log"],
    )


if __name__ == "__main__":
    smk = snakemake if "snakemake" in globals() else _standalone(sys.argv[1])
    run_step(lambda: main(smk), log_path=smk.log[0] if smk.log else None)
