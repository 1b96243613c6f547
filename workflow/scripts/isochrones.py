"""Snakemake script: 1/2/3-hour isochrones per origin and mode, and the H3 hexagon
accessibility surface.

Standalone: python workflow/scripts/isochrones.py <study> (reads and writes under data/<study>).
"""

import sys
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import h3

from spatialint.config import load_study
from spatialint.fileio import atomic_path
from spatialint.graph import CSRGraph
from spatialint.hexgrid import hex_access
from spatialint.isochrones import (
    IsochroneBuilder,
    isochrone_table,
    load_population,
    population_inputs,
    prepare_edges,
    road_point_times,
)
from spatialint.logs import run_step
from spatialint.origins import read_origins
from spatialint.routing import available_workers, load_times, times_on_nodes

MODES = ("road", "multimodal")


def main(smk) -> None:
    access = smk.params.study["access"]
    graph = CSRGraph.load(smk.input.road_graph)
    origins = read_origins(smk.input.origins)
    node_times = {}
    for mode in MODES:
        _, node_ids, seconds = load_times(getattr(smk.input, f"times_{mode}"))
        node_times[mode] = times_on_nodes(node_ids, seconds, graph.node_ids)
    edges = prepare_edges(gpd.read_parquet(smk.input.road_edges), graph)
    builder = IsochroneBuilder(
        edges,
        buffer_m=access["access_buffer_m"],
        min_hole_km2=access["min_hole_km2"],
        method=access["isochrone_method"],
        grid_cell_m=access["grid_cell_m"],
    )
    population = None
    if access.get("population_file"):
        population = load_population(smk.input.population, column=access["population_column"])
    isochrones = isochrone_table(
        builder,
        origins,
        node_times,
        bands_min=access["bands_min"],
        population=population,
        population_column=access["population_column"],
        workers=smk.threads,
    )
    spacing_m = h3.average_hexagon_edge_length(access["hex_resolution"], unit="m") / 2
    point_times = {}
    for mode, times in node_times.items():
        xy, point_times[mode] = road_point_times(edges, times, spacing_m=spacing_m)
    hexes = hex_access(
        xy[:, 0],
        xy[:, 1],
        point_times,
        crs=edges.crs,
        origin_ids=origins["origin_id"].to_numpy(),
        bands_min=access["bands_min"],
        resolution=access["hex_resolution"],
        reach_m=access["access_buffer_m"],
    )
    with atomic_path(smk.output.isochrones) as tmp:
        isochrones.to_file(tmp, layer="isochrones", driver="GPKG")
        hexes.to_file(tmp, layer="hex_access", driver="GPKG")


def _standalone(name: str) -> SimpleNamespace:
    study = load_study(name)
    base = Path("data") / name
    return SimpleNamespace(
        params=SimpleNamespace(study=study),
        threads=min(2, available_workers()),
        input=SimpleNamespace(
            origins=base / "access/origins.gpkg",
            road_edges=base / "network/road_edges.parquet",
            road_graph=base / "network/road_graph.npz",
            times_road=base / "access/travel_times_road.npz",
            times_multimodal=base / "access/travel_times_multimodal.npz",
            **population_inputs(study),
        ),
        output=SimpleNamespace(isochrones=base / "access/isochrones.gpkg"),
        log=[f"logs/{name}/isochrones.log"],
    )


if __name__ == "__main__":
    smk = snakemake if "snakemake" in globals() else _standalone(sys.argv[1])
    run_step(lambda: main(smk), log_path=smk.log[0] if smk.log else None)
