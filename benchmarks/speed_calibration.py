"""Benchmark: speed calibration (routing the observed trips), this version against the previous.

    nice python benchmarks/speed_calibration.py                      # the demo (build it first)
    nice python benchmarks/speed_calibration.py --data /tmp/scaling/data \\
        --study-dir /tmp/scaling/workflow/config/studies --study demo_s22   # 484k road nodes

The study must have run its ``road_network`` step (``speeds.profile: calibrated``): the
benchmark reads ``data/<study>/network/road_edges.parquet`` (free-flow speeds and speed
groups), ``road_graph.npz`` and the study's ``speeds.observed_trips``. The demo at a larger
``source.scale`` is what ``pipeline_scaling.py`` builds (``--workdir``: pass its ``data`` and
``workflow/config/studies``).

The previous version (by default :data:`PREVIOUS_REF`, ``main`` before issue 14's speed-up: one
full Dijkstra per origin per round) is exported from git (``git archive``) into a temporary
folder; each version runs :func:`spatialint.network.calibration.calibrate_road_edges` in its
own Python process on the same inputs and writes its fit and samples tables. Times are CPU
seconds of the calibration alone (``time.process_time``; the machine is shared, and the CPU
a process uses varies far less with load than its wall clock). The best of ``--repeat`` runs
(alternating the versions) counts; the ratio is previous / this (> 1: this version is faster).
The two versions' ``speed_fit.csv`` and ``speed_samples.csv`` are then compared byte for byte.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

#: The previous version by default: ``main`` before issue 14's calibration speed-up.
PREVIOUS_REF = "2f2b52b"

#: What the child process runs: the calibration on the study's road edges, timed.
CHILD = r"""
import json, sys, time
from pathlib import Path
from spatialint.config import load_study
from spatialint.contracts import ROAD_EDGES
from spatialint.contracts.io import read_table
from spatialint.network.calibration import calibrate_road_edges, read_observed_trips
from spatialint.network.calibration import write_calibration
from spatialint.network.graph import CSRGraph
from spatialint.network.speed_profile import flat_factors
from spatialint.settings import study_settings

study, data, study_dir, out = sys.argv[1], Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
speeds = study_settings(load_study(study, study_dir=Path(study_dir))).speeds
network = data / study / "network"
edges = read_table(network / "road_edges.parquet", ROAD_EDGES)
graph = CSRGraph.load(network / "road_graph.npz")
trips_file = data.parent / speeds.observed_trips.replace("{study}", study)
trips = read_observed_trips(trips_file, speeds.observed_crs)
start = time.process_time()
result = calibrate_road_edges(
    edges, graph, trips, start_factors=flat_factors(speeds.peak_factors),
    bounds=tuple(speeds.factor_bounds), min_trips_per_group=speeds.min_trips_per_group,
    snap_max_m=speeds.trip_snap_max_m,
    hours=tuple(speeds.trip_hours) if speeds.trip_hours else None,
)
cpu = time.process_time() - start
write_calibration(result, out / "speed_fit.csv", out / "speed_samples.csv")
print("RESULT " + json.dumps({"cpu_s": cpu, "rounds": result.rounds, "nodes": graph.n_nodes,
                              "trips": int(result.samples["used"].sum())}))
"""


def run_once(package_root: Path, out: Path, args: argparse.Namespace) -> dict[str, float]:
    """The child's result, run with ``package_root`` first on the path."""
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(package_root)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, args.study, args.data, args.study_dir, str(out)],
        env=env, capture_output=True, text=True, check=False, cwd=package_root,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"{package_root}: the child failed:\n{done.stderr[-3000:]}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def export_previous(ref: str, folder: Path) -> Path:
    """The previous version's ``spatialint`` and ``workflow`` folders from git."""
    folder.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "spatialint", "workflow"],
        capture_output=True, check=True,
    )  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="demo")
    parser.add_argument("--data", default=str(REPO / "data"), help="folder holding <study>/")
    parser.add_argument("--study-dir", default=str(REPO / "workflow/config/studies"))
    parser.add_argument("--previous", default=PREVIOUS_REF, help="git ref of the previous version")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    runs: dict[str, list[dict[str, float]]] = {"previous": [], "this": []}
    with tempfile.TemporaryDirectory() as tmp:
        old = export_previous(args.previous, Path(tmp) / "previous")
        for _ in range(args.repeat):  # alternate, so load and caches favour neither
            runs["previous"].append(run_once(old, Path(tmp) / "out_previous", args))
            runs["this"].append(run_once(REPO, Path(tmp) / "out_this", args))
        same = {
            name: (Path(tmp) / "out_previous" / name).read_bytes()
            == (Path(tmp) / "out_this" / name).read_bytes()
            for name in ("speed_fit.csv", "speed_samples.csv")
        }
    previous = min(r["cpu_s"] for r in runs["previous"])
    this = min(r["cpu_s"] for r in runs["this"])
    info = runs["this"][0]
    print(
        f"{args.study}: {info['nodes']:,} road nodes, {info['trips']} trips used, "
        f"{info['rounds']} round(s); previous version {args.previous}"
    )
    print(
        f"calibration CPU: previous {previous:.1f} s, this {this:.1f} s, "
        f"ratio {previous / this:.1f}× (previous / this; > 1 = this version faster)"
    )
    print("identical outputs: " + ", ".join(f"{k} {v}" for k, v in same.items()))


if __name__ == "__main__":
    main()
