"""Benchmark: 断头路 detection and ranking, this version against the previous one, same inputs.

    nice python benchmarks/gaps_detection.py                          # the demo (build it first)
    nice python benchmarks/gaps_detection.py --study andorra
    nice python benchmarks/gaps_detection.py --data /tmp/big/data \\
        --study-dir /tmp/big/workflow/config/studies --study demo22 --repeat 3  # ~500k nodes

The ~500k-node study is the demo at ``source.scale: 22`` (484k graph nodes), built up to the
network stage outside the repository, as ``pipeline_scaling.py`` does: copy ``Snakefile`` and
``workflow/`` to ``/tmp/big``, write ``workflow/config/studies/demo22.yaml`` (demo.yaml with
``name: demo22`` and ``scale: 22``) and there run ``snakemake -c1 --config 'studies=[demo22]'``
for ``data/demo22/network/{road_edges.parquet,planned_ways.parquet,road_graph.npz,
admin_units.gpkg}`` and ``data/demo22/osm/{extract.osm.pbf,study_area.gpkg}``; then pass
``--data /tmp/big/data --study-dir /tmp/big/workflow/config/studies``.

Part 1, **this version against the previous** (by default ``main`` just before the issue-13
merge, :data:`PREVIOUS_REF`): the previous version's package is exported from git
(``git archive <--previous> spatialint workflow``) into a temporary folder; each version
runs in its own Python process on the same study outputs (``data/<study>/network``,
``osm/extract.osm.pbf`` and, for this version, ``osm/study_area.gpkg``) and times

``read``
    the gaps stage's inputs (:func:`spatialint.gaps.stage.read_gap_inputs`: tables, graph and
    one pass over the extract; this version also reads the intentional-end tags);
``detect``
    :func:`spatialint.gaps.detect.detect_gaps` (this version adds the data edges, facing
    stubs, angles, class limits and end tags);
``rank``
    :func:`spatialint.gaps.stage.rank_dead_ends` (the benefit; this version adds the
    confidence, reasons, links);

and, for this version only, the thumbnails (an output, not detection). Times are CPU seconds
of the process (``time.process_time``: a machine shared with other jobs slows the wall clock
of either version by chance, the CPU it uses far less). The best of
``--repeat`` runs (alternating the two versions) counts; the ratio is previous / this (> 1:
this version is faster).

Part 2, **the facing-road search**: one STRtree query for all dead ends (what
:func:`spatialint.gaps.dead_ends.facing_roads` does) against the common per-dead-end loop.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

#: The previous version by default: ``main`` just before the issue-13 merge (752bbe2, which
#: brought the evidence, confidence and reasons of the 断头路). Its first parent, not the
#: merge base with ``main``: since that merge the merge base is the issue-13 work itself.
PREVIOUS_REF = "752bbe2^1"

#: What the child process runs: the stage's reading, detection and ranking, timed.
CHILD = r"""
import inspect, json, sys, tempfile, time
from pathlib import Path
from spatialint.config import load_study
from spatialint.settings import study_settings
from spatialint.gaps import stage as S
from spatialint.gaps.detect import detect_gaps

study, data, study_dir = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
every = study_settings(load_study(study, study_dir=Path(study_dir)))
base = data / study
inputs = {"pbf": base / "osm/extract.osm.pbf", "road_edges": base / "network/road_edges.parquet",
          "planned": base / "network/planned_ways.parquet",
          "road_graph": base / "network/road_graph.npz", "units": base / "network/admin_units.gpkg"}
if (base / "osm/study_area.gpkg").exists():
    inputs["area"] = base / "osm/study_area.gpkg"
times = {}
t = time.process_time()
tables = S.read_gap_inputs(inputs, {"gpkg": "gaps.gpkg"}, gaps=every.gaps, roads=every.roads)
times["read"] = time.process_time() - t
wanted = inspect.signature(detect_gaps).parameters
extra = {k: getattr(tables, k) for k in ("end_tags", "extent") if k in wanted}
t = time.process_time()
found = detect_gaps(tables.edges, tables.units, tables.graph, border_level=every.admin.border_level,
                    settings=every.gaps, planned=tables.planned, waterways=tables.waterways,
                    osm_roads=tables.osm_roads, **extra)
times["detect"] = time.process_time() - t
t = time.process_time()
ranked = S.rank_dead_ends(found, tables.graph, gaps=every.gaps, roads=every.roads, people=None)
times["rank"] = time.process_time() - t
if hasattr(found, "surroundings"):
    from spatialint.gaps.thumbnails import write_thumbnails
    t = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        write_thumbnails(Path(tmp) / "thumbnails", ranked, found.surroundings,
                         waterways=tables.waterways, planned=tables.planned)
    times["thumbnails"] = time.process_time() - t
times["dead_ends"] = len(ranked)
times["nodes"] = int(tables.graph.n_nodes)
print("RESULT " + json.dumps(times))
"""


def run_once(package_root: Path, args: argparse.Namespace) -> dict[str, float]:
    """The child's times, run with ``package_root`` first on the path."""
    env = {**os.environ, "PYTHONPATH": str(package_root)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, args.study, args.data, args.study_dir],
        env=env, capture_output=True, text=True, check=False, cwd=package_root,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"{package_root}: the child failed:\n{done.stderr[-3000:]}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def _best(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: min(r[k] for r in runs) for k in runs[0]}


def export_previous(ref: str, folder: Path) -> Path:
    """The previous version's ``spatialint`` and ``workflow`` folders from git."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "spatialint", "workflow"],
        capture_output=True, check=True,
    )  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def compare_versions(args: argparse.Namespace) -> None:
    runs: dict[str, list[dict[str, float]]] = {"previous": [], "ours": []}
    with tempfile.TemporaryDirectory() as tmp:
        ref = args.previous
        sha = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", ref],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        print(f"previous version: {ref} ({sha}); this version: {REPO}")
        old = export_previous(ref, Path(tmp))
        for _ in range(args.repeat):  # alternate, so load and caches favour neither
            runs["previous"].append(run_once(old, args))
            runs["ours"].append(run_once(REPO, args))
    previous, ours = _best(runs["previous"]), _best(runs["ours"])
    print(f"{args.study}: {ours['nodes']:.0f} road nodes (graph); dead ends found: previous "
          f"{previous['dead_ends']:.0f}, this version {ours['dead_ends']:.0f}")  # fmt: skip
    print(f"{'phase (CPU)':<12}{'previous s':>12}{'this s':>10}{'ratio':>8}")
    for phase in ("read", "detect", "rank"):
        ratio = previous[phase] / max(ours[phase], 1e-9)
        print(f"{phase:<12}{previous[phase]:>12.2f}{ours[phase]:>10.2f}{ratio:>7.2f}×")
    total_p = sum(previous[p] for p in ("read", "detect", "rank"))
    total_o = sum(ours[p] for p in ("read", "detect", "rank"))
    print(f"{'total':<12}{total_p:>12.2f}{total_o:>10.2f}{total_p / total_o:>7.2f}×   "
          f"(previous / this; > 1 = this version faster)")  # fmt: skip
    print(f"thumbnails (this version only, an output): {ours.get('thumbnails', 0):.2f} s")


def compare_facing_search(args: argparse.Namespace) -> None:
    from spatialint.config import load_study
    from spatialint.contracts.io import read_table
    from spatialint.contracts.network import ADMIN_UNITS, ROAD_EDGES
    from spatialint.gaps.network import node_degree, prepare_network
    from spatialint.network.graph import CSRGraph
    from spatialint.settings import study_settings

    every = study_settings(load_study(args.study, study_dir=Path(args.study_dir)))
    base = Path(args.data) / args.study / "network"
    edges = read_table(base / "road_edges.parquet", ROAD_EDGES)
    units = read_table(base / "admin_units.gpkg", ADMIN_UNITS)
    graph = CSRGraph.load(base / "road_graph.npz")
    settings = every.gaps
    net = prepare_network(
        edges, units, graph, border_level=every.admin.border_level,
        ignore_highway=settings.ignore_highway,
    )  # fmt: skip
    dead = np.flatnonzero(node_degree(net, graph.n_nodes) == 1)
    pts = shapely.points(net.xy[dead])
    near, _ = shapely.STRtree(net.borders.geometry.values).query(
        pts, predicate="dwithin", distance=settings.border_distance_m
    )
    pts = pts[np.unique(near)]
    own = net.units_of(pts)

    start = time.perf_counter()
    di, ej = shapely.STRtree(net.geoms).query(pts, predicate="dwithin", distance=settings.gap_max_m)
    p = shapely.line_interpolate_point(
        net.geoms[ej], shapely.line_locate_point(net.geoms[ej], pts[di])
    )
    p_unit = net.units_of(p)
    keep = (p_unit >= 0) & (p_unit != own[di])
    ours = set(zip(di[keep].tolist(), ej[keep].tolist(), strict=True))
    t_ours = time.perf_counter() - start

    start = time.perf_counter()
    series = gpd.GeoSeries(net.geoms, crs=net.crs)
    loop: set[tuple[int, int]] = set()
    for i, point in enumerate(pts):  # the common approach: one scan of all roads per dead end
        close = np.flatnonzero(series.distance(point).to_numpy() <= settings.gap_max_m)
        for j in close:
            q = net.geoms[j].interpolate(net.geoms[j].project(point))
            unit = net.units.index[net.units.intersects(q)]
            if len(unit) and unit[0] != own[i]:
                loop.add((i, int(j)))
    t_loop = time.perf_counter() - start
    print(f"facing-road search, {len(pts)} dead ends near a border: STRtree {t_ours:.3f} s, "
          f"per-dead-end loop {t_loop:.3f} s, ratio {t_loop / max(t_ours, 1e-9):.1f}×, "
          f"same pairs: {ours == loop}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="demo")
    parser.add_argument("--data", default=str(REPO / "data"), help="folder holding <study>/")
    parser.add_argument("--study-dir", default=str(REPO / "workflow/config/studies"))
    parser.add_argument(
        "--previous",
        default=PREVIOUS_REF,
        help=f"git ref of the previous version (default {PREVIOUS_REF}: main before issue 13)",
    )
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--skip-facing", action="store_true", help="only part 1")
    args = parser.parse_args()
    compare_versions(args)
    if not args.skip_facing:
        compare_facing_search(args)


if __name__ == "__main__":
    main()
