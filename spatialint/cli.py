"""The ``spatialint`` command line.

``spatialint validate STUDY``
    Check a study configuration (schema, bands, origins) and its review file without running
    anything.
``spatialint times STUDY --lon X --lat Y [--mode road|multimodal]``
    Travel times from an ad-hoc point on a study's graph (built by the pipeline's network
    stage), without running the pipeline: how many nodes each band reaches, and the minutes to
    each configured origin and to the largest places.

Errors a user can fix end with one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from spatialint.access.origins import read_origins, resolve_origins
from spatialint.access.snapping import origin_starts
from spatialint.config import STUDY_DIR, load_study
from spatialint.contracts import PLACES, ROAD_EDGES
from spatialint.contracts.io import read_table
from spatialint.errors import ConfigError, DataError, SpatialintError
from spatialint.gaps.review import checked_review_file
from spatialint.geo import NearestNodes
from spatialint.logs import configure_logging
from spatialint.network.graph import CSRGraph
from spatialint.network.routing import travel_times_from
from spatialint.settings import OriginSpec, StudySettings, study_settings

logger = logging.getLogger(__name__)
EXIT_USER_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spatialint",
        description="Metropolitan integration analysis from OpenStreetMap (see README.md).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    val = sub.add_parser("validate", help="check a study configuration")
    val.add_argument("study", help="study name (workflow/config/studies/<study>.yaml)")
    val.add_argument("--study-dir", type=Path, default=STUDY_DIR, help="folder of study YAMLs")

    times = sub.add_parser("times", help="travel times from a lon/lat on a study's graph")
    times.add_argument("study", help="study name; its network stage must have run")
    times.add_argument("--lon", type=float, required=True, help="longitude (WGS-84)")
    times.add_argument("--lat", type=float, required=True, help="latitude (WGS-84)")
    times.add_argument("--mode", choices=["road", "multimodal"], default="road")
    times.add_argument("--data-dir", type=Path, default=Path("data"), help="pipeline data folder")
    times.add_argument("--study-dir", type=Path, default=STUDY_DIR, help="folder of study YAMLs")
    times.add_argument("--places", type=int, default=15, help="how many places to list")
    times.add_argument("--csv", type=Path, help="also write node_id, lon, lat, minutes here")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``spatialint`` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    configure_logging(level=logging.INFO if args.verbose else logging.WARNING)
    try:
        if args.command == "validate":
            validate(args.study, study_dir=args.study_dir)
        else:
            times(
                args.study,
                lon=args.lon,
                lat=args.lat,
                mode=args.mode,
                data_dir=args.data_dir,
                study_dir=args.study_dir,
                n_places=args.places,
                csv=args.csv,
            )
    except SpatialintError as err:
        print(f"spatialint: error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    return 0


def validate(study_name: str, *, study_dir: Path = STUDY_DIR) -> StudySettings:
    """Load and check a study; print a summary. Raises ConfigError on the first problem.

    The schema, the bands and the origins are checked when the study is loaded; the
    population file or raster (unless the demo generates it), and the planners' review file
    (as the workflow checks it before it runs) are checked here as well.
    """
    settings = study_settings(load_study(study_name, study_dir=study_dir))
    people = settings.population
    key = "population_raster" if people.population_raster else "population_file"
    population = (people.population_raster or people.population_file or "").replace(
        "{study}", study_name
    )
    generated = settings.source.kind == "demo" and population.startswith(f"data/{study_name}/demo/")
    if population and not generated and not Path(population).exists():
        raise ConfigError(
            f"access.{key} {population!r} does not exist (paths are relative to the "
            "repository); fix the path or remove the key."
        )
    review = checked_review_file(settings.gaps.review_file, study_name)
    origins = settings.origins.origins
    print(f"{study_name}: OK — source {settings.source.kind}, {len(origins)} origin(s)")
    for origin in origins:
        print(f"  origin {origin.name} ({origin.kind})")
    bands = ", ".join(f"{b:g}" for b in settings.isochrones.bands_min)
    print(f"  bands {bands} min; buffer {settings.isochrones.access_buffer_m:g} m")
    if review.path is not None:
        print(f"  review file {review.path}: checked")
    if review.notice:
        print(f"  note: {review.notice}")
    return settings


def times(
    study_name: str,
    *,
    lon: float,
    lat: float,
    mode: str = "road",
    data_dir: Path = Path("data"),
    study_dir: Path = STUDY_DIR,
    n_places: int = 15,
    csv: Path | None = None,
) -> pd.DataFrame:
    """Route from (lon, lat) on a study's graph and print what each band reaches.

    Returns the table of destinations printed (configured origins and places with minutes).
    """
    settings = study_settings(load_study(study_name, study_dir=study_dir))
    net = Path(data_dir) / study_name / "network"
    road, graph = _graphs(net, mode)
    point = resolve_origins(
        replace(settings.origins, origins=(_point_origin(lon, lat),)),
        graph=road,
        edges=read_table(net / "road_edges.parquet", ROAD_EDGES),
    )
    starts = origin_starts(point, graph, mode=mode)
    cutoff_min = settings.travel_times.cutoff_min
    minutes = travel_times_from(graph, starts, cutoff_s=cutoff_min * 60.0)[0] / 60.0
    print(
        f"From {lon:.5f}, {lat:.5f} by {mode} (snapped {point['snap_m'].iloc[0]:.0f} m onto the "
        f"road {point['edge_u'].iloc[0]}-{point['edge_v'].iloc[0]}):"
    )
    for band in settings.isochrones.bands_min:
        count = int(np.count_nonzero(minutes <= band))
        print(f"  within {band:g} min: {count:,} of {graph.n_nodes:,} nodes")
    table = _destinations(
        net, Path(data_dir) / study_name / "access", graph, minutes, n_places, n_road=road.n_nodes
    )
    if not table.empty:
        with pd.option_context("display.width", 120, "display.max_colwidth", 40):
            print(table.to_string(index=False))
    if csv is not None:
        out = pd.DataFrame(
            {"node_id": graph.node_ids, "lon": graph.x, "lat": graph.y, "minutes": minutes}
        )
        out.dropna(subset=["minutes"]).to_csv(csv, index=False)
        print(f"node times written to {csv}")
    return table


def _graphs(net: Path, mode: str) -> tuple[CSRGraph, CSRGraph]:
    """The road graph (origins snap onto it) and the graph of ``mode`` (routed on)."""
    graph_path = net / f"{mode}_graph.npz"
    road_path = net / "road_graph.npz"
    for path in (graph_path, road_path, net / "road_edges.parquet"):
        if not path.exists():
            raise DataError(
                f"{path} does not exist: run the network stage first, e.g. "
                f"`snakemake --cores 2 {path}`."
            )
    road = CSRGraph.load(road_path)
    return road, road if mode == "road" else CSRGraph.load(graph_path)


def _point_origin(lon: float, lat: float) -> OriginSpec:
    """The ad-hoc point as an origin, named by its coordinates."""
    return OriginSpec(
        name=f"{lon:.5f},{lat:.5f}", place=None, station=None, unit=None, lon=lon, lat=lat
    )


def _destinations(
    net: Path,
    access_dir: Path,
    graph: CSRGraph,
    minutes: np.ndarray,
    n_places: int,
    *,
    n_road: int,
) -> pd.DataFrame:
    """Minutes to the configured origins (if resolved) and to the largest places."""
    rows = []
    origins_path = access_dir / "origins.gpkg"
    if origins_path.exists():
        origins = read_origins(origins_path)
        for r in origins.itertuples():
            pos = graph.index_of(np.array([r.node_id]))[0]
            rows.append({"kind": f"origin ({r.kind})", "name": r.name, "minutes": minutes[pos]})
    places_path = net / "places.parquet"
    if places_path.exists() and n_places > 0:
        places = read_table(places_path, PLACES)
        if len(places):
            tree = NearestNodes(graph.x[:n_road], graph.y[:n_road])  # road nodes come first
            pos, _ = tree.query(places.geometry.x.to_numpy(), places.geometry.y.to_numpy())
            places = places.assign(minutes=minutes[pos], _pop=places["population"].fillna(0))
            places = places.sort_values(["_pop", "minutes"], ascending=[False, True])
            for r in places.head(n_places).itertuples():
                rows.append({"kind": f"place ({r.place})", "name": r.name, "minutes": r.minutes})
    table = pd.DataFrame(rows, columns=["kind", "name", "minutes"])
    table["minutes"] = table["minutes"].round(1)
    return table


if __name__ == "__main__":
    sys.exit(main())
