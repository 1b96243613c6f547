"""How the whole pipeline's cost grows with region size: the demo study at several scales.

For each scale the workflow (Snakefile + workflow/) is copied into a fresh working directory
under ``--workdir``, a study ``demo_s<scale>`` (the demo with ``source.scale`` set) is written
there, and ``snakemake --cores N`` runs it end to end.  The per-step wall time and peak memory
(``max_rss``) then come from Snakemake's own benchmark files (:mod:`spatialint.benchmarks`), and
the growth between the smallest and the largest scale is printed as a ratio and as the exponent
``k`` in ``cost ∝ road_nodes ** k`` (k ≈ 1 is linear), of the wall time, the CPU time (user +
system: on a shared machine the steadier of the two, as the wall time of a step waits for
the others) and the peak memory.

Usage (slow at large scales: run it niced on a quiet machine)::

    nice python benchmarks/pipeline_scaling.py 1 22            # ≈28k and ≈518k road nodes
    nice python benchmarks/pipeline_scaling.py 1 8.5 --cores 2 --workdir /tmp/scaling
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from spatialint.benchmarks import benchmark_markdown, read_benchmarks  # noqa: E402


def study_name(scale: float) -> str:
    return "demo_s" + f"{scale:g}".replace(".", "_")


def prepare(workdir: Path, scale: float) -> str:
    """Copy the workflow into ``workdir`` and write the demo study at ``scale``."""
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO_ROOT / "Snakefile", workdir / "Snakefile")
    if not (workdir / "workflow").exists():
        shutil.copytree(REPO_ROOT / "workflow", workdir / "workflow")
    studies = workdir / "workflow" / "config" / "studies"
    demo = yaml.safe_load((studies / "demo.yaml").read_text(encoding="utf-8"))
    name = study_name(scale)
    demo["name"] = name
    demo["source"]["scale"] = scale
    demo["title"] = f"{demo.get('title', 'demo')} ×{scale:g}"
    (studies / f"{name}.yaml").write_text(
        yaml.safe_dump(demo, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return name


def run(workdir: Path, name: str, cores: int) -> dict[str, float]:
    """Run the study end to end under GNU time.

    Returns the whole run's wall time, CPU time (user + system, every job included) and the
    largest resident set of any single process (the kernel's high-water mark, exact, unlike
    the benchmark files' ``max_rss`` which Snakemake samples every 1 s, then every 30 s).
    """
    timing = workdir / f"{name}.time"
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%e %U %S %M", "-o", str(timing)]
        + [str(Path(sys.executable).parent / "snakemake"), "--cores", str(cores)]
        + ["--config", f"studies=[{name}]"],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"snakemake failed for {name}:\n{(result.stdout + result.stderr)[-4000:]}")
    return whole_run(timing)


def whole_run(timing: Path) -> dict[str, float]:
    wall, user, system, max_kb = timing.read_text().split()[-4:]
    return {
        "wall_s": float(wall),
        "cpu_s": float(user) + float(system),
        "peak_process_mb": float(max_kb) / 1024,
    }


def road_nodes(workdir: Path, name: str) -> int:
    return len(
        pd.read_parquet(
            workdir / "data" / name / "network" / "road_nodes.parquet", columns=["node_id"]
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scales", nargs="*", type=float, default=[1.0, 22.0])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/spatialint-scaling"))
    args = parser.parse_args()

    tables: dict[float, pd.DataFrame] = {}
    nodes: dict[float, int] = {}
    for scale in sorted(args.scales):
        name = prepare(args.workdir, scale)
        timing = args.workdir / f"{name}.time"
        whole = whole_run(timing) if timing.exists() else run(args.workdir, name, args.cores)
        tables[scale] = read_benchmarks(name, root=args.workdir)
        nodes[scale] = road_nodes(args.workdir, name)
        print(f"\n### demo, scale {scale:g}: {nodes[scale]:,} road nodes\n")
        print(
            f"whole run (GNU time): {whole['wall_s']:.0f} s wall, {whole['cpu_s']:.0f} s CPU, "
            f"largest process {whole['peak_process_mb']:,.0f} MB; machine load now "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall times grow with it)\n"
        )
        print(benchmark_markdown(tables[scale]), flush=True)

    if len(tables) < 2:
        return
    small, large = min(tables), max(tables)
    node_ratio = nodes[large] / nodes[small]
    joined = tables[small].merge(tables[large], on="step", suffixes=("_small", "_large"))
    print(
        f"\n### growth from scale {small:g} to {large:g} "
        f"(road nodes ×{node_ratio:.1f}; k in cost ∝ nodes^k)\n"
    )
    print(
        "| step | wall time ratio | k (wall) | CPU time ratio | k (CPU) "
        "| peak memory (max_pss) ratio | k (memory) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in joined.itertuples(index=False):
        t = _ratio(row.wall_s_large, row.wall_s_small)
        c = _ratio(row.cpu_s_large, row.cpu_s_small)
        m = _ratio(row.max_pss_mb_large, row.max_pss_mb_small)
        print(
            f"| {row.step} | ×{t:.1f} | {_k(t, node_ratio):.2f} | ×{c:.1f} | "
            f"{_k(c, node_ratio):.2f} | ×{m:.1f} | {_k(m, node_ratio):.2f} |"
        )


def _ratio(large: float, small: float) -> float:
    return large / small if small > 0 else math.nan


def _k(ratio: float, node_ratio: float) -> float:
    """The exponent k of ``cost ∝ nodes^k`` for a cost that grew by ``ratio``."""
    return math.log(ratio) / math.log(node_ratio) if ratio > 0 else math.nan


if __name__ == "__main__":
    main()
