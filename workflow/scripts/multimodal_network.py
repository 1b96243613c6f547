"""Snakemake script: join the road graph and the rail links into the multimodal graph.

Standalone: python workflow/scripts/multimodal_network.py <study> (under data/<study>).
"""

import sys
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd

from spatialint.config import load_study
from spatialint.errors import DataError
from spatialint.graph import CSRGraph
from spatialint.logs import run_step
from spatialint.multimodal import build_multimodal_graph


def main(smk) -> None:
    network = smk.params.study["network"]
    road_graph = CSRGraph.load(smk.input.road_graph)
    road_nodes = pd.read_parquet(smk.input.road_nodes, columns=["node_id"])
    if not np.array_equal(road_nodes["node_id"].to_numpy(), road_graph.node_ids):
        raise DataError(
            f"{smk.input.road_graph} and {smk.input.road_nodes} list different nodes; they come "
            "from different runs: re-run the road_network step."
        )
    graph = build_multimodal_graph(
        road_graph,
        gpd.read_parquet(smk.input.rail_edges),
        gpd.read_parquet(smk.input.stations),
        boarding_penalty_min=network["boarding_penalty_min"],
        dwell_min=network["dwell_min"],
        transfer_penalty_min=network["transfer_penalty_min"],
        station_access_min=network["station_access_min"],
        station_walk_kph=network["station_walk_kph"],
    )
    graph.save(smk.output.graph)


def _standalone(name: str) -> SimpleNamespace:
    base = Path("data") / name / "network"
    return SimpleNamespace(
        params=SimpleNamespace(study=load_study(name)),
        input=SimpleNamespace(
            road_nodes=base / "road_nodes.parquet",
            road_graph=base / "road_graph.npz",
            rail_edges=base / "rail_edges.parquet",
            stations=base / "rail_stations.parquet",
        ),
        output=SimpleNamespace(graph=base / "multimodal_graph.npz"),
        log=[f"logs/{name}/multimodal_network.log"],
    )


if __name__ == "__main__":
    smk = snakemake if "snakemake" in globals() else _standalone(sys.argv[1])
    run_step(lambda: main(smk), log_path=smk.log[0] if smk.log else None)
