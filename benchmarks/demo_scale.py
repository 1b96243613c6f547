"""Benchmark the demo generator: road nodes, seconds and peak memory per scale.

Each scale runs in a fresh child process so its peak memory (``ru_maxrss``) is its own.  As a
comparison in the same run, the child also re-writes the same region as OSM XML (the format
small synthetic OSM test generators usually write) and reads both files back with pyosmium,
printing the size and read-time ratios XML / PBF.

Usage::

    nice python benchmarks/demo_scale.py                 # scales 1, 4, 8.5, 22
    nice python benchmarks/demo_scale.py 1 2 50          # chosen scales
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_SCALES = (1.0, 4.0, 8.5, 22.0)


def _read_seconds(path: Path) -> float:
    import osmium

    start = time.perf_counter()
    for _obj in osmium.FileProcessor(str(path)):
        pass
    return time.perf_counter() - start


def one(scale: float) -> dict[str, float]:
    """Generate at one scale in this process and measure it."""
    import osmium

    from spatialint.demo.generator import write_demo

    with tempfile.TemporaryDirectory() as tmp:
        pbf = Path(tmp) / "demo.osm.pbf"
        start = time.perf_counter()
        truth = write_demo(pbf, Path(tmp) / "truth.json", seed=42, scale=scale)
        seconds = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        xml = Path(tmp) / "demo.osm"
        with osmium.SimpleWriter(str(xml)) as writer:
            for obj in osmium.FileProcessor(str(pbf)):
                writer.add(obj)
        return {
            "scale": scale,
            "road_nodes": truth.n_road_nodes,
            "seconds": seconds,
            "peak_mb": peak_mb,
            "pbf_mb": pbf.stat().st_size / 1e6,
            "xml_mb": xml.stat().st_size / 1e6,
            "read_pbf_s": _read_seconds(pbf),
            "read_xml_s": _read_seconds(xml),
        }


def main(argv: list[str]) -> None:
    if argv[:1] == ["--one"]:
        print(json.dumps(one(float(argv[1]))))
        return
    scales = [float(a) for a in argv] or list(DEFAULT_SCALES)
    print(
        f"{'scale':>6} {'road nodes':>11} {'gen s':>7} {'peak MB':>8} {'nodes/s':>9} "
        f"{'PBF MB':>7} {'XML/PBF size':>13} {'XML/PBF read':>13}"
    )
    for scale in scales:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(scale)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(
            f"{r['scale']:>6g} {r['road_nodes']:>11,} {r['seconds']:>7.2f} {r['peak_mb']:>8.0f} "
            f"{r['road_nodes'] / r['seconds']:>9,.0f} {r['pbf_mb']:>7.2f} "
            f"{r['xml_mb'] / r['pbf_mb']:>12.1f}x {r['read_xml_s'] / r['read_pbf_s']:>12.1f}x",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
