"""Benchmark: PBF → simplified road graph, ours against osmnx, in the same run.

    nice python benchmarks/road_network.py                   # demo at >= 500k road nodes
    nice python benchmarks/road_network.py --scale 4         # a smaller demo
    nice python benchmarks/road_network.py --pbf x.osm.pbf   # any extract

Three measurements, each in its own child process (so peak memory, ``ru_maxrss``, is its own):

``ours``
    :func:`spatialint.network.roads.build_road_network`: read the PBF with pyosmium, directed arcs,
    speeds, largest strongly connected component, vectorised simplification, admin units, CSR
    graph — everything the ``road_network`` rule does except writing files.
``osmnx_simplify``
    The step we replaced, on the very same unsimplified graph: ``ox.convert.graph_from_gdfs``
    then ``ox.simplify_graph`` (the common approach once arrays are at hand).
``osmnx_xml``
    The common end-to-end approach: the drivable ways written as ``.osm`` XML (not timed), then
    ``ox.graph_from_xml`` (parse, build, largest weakly connected component, simplify) and
    ``ox.routing.add_edge_speeds`` / ``add_edge_travel_times``.

The osmnx children run under an address-space limit (``--osmnx-mem-gb``, default 4) because the
machine is shared; a run that hits it is reported as such.  Prints one line per measurement
(wall and CPU seconds, since the machine may be shared) and the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from spatialint.config import load_schema  # noqa: E402

NETWORK = load_schema()["$defs"]["study"]["properties"]["network"]["properties"]
SETTINGS = {
    "highway_classes": NETWORK["highway_classes"]["default"],
    "speeds_kph": NETWORK["speeds_kph"]["default"],
    "maxspeed_zones_kph": NETWORK["maxspeed_zones_kph"]["default"],
}
#: Demo scale giving >= 500k road nodes (spatialint.demo.generator.SCALE_FOR_NODES when available).
DEFAULT_NODES = 500_000


def _units(pbf: Path):
    """Two admin units: the west and east halves of the extract's road bbox."""
    import geopandas as gpd
    import numpy as np
    import shapely

    from spatialint.network.road_tags import read_road_ways

    ways = read_road_ways(pbf)
    lon, lat = ways.lon[np.isfinite(ways.lon)], ways.lat[np.isfinite(ways.lat)]
    w, s, e, n = lon.min() - 0.01, lat.min() - 0.01, lon.max() + 0.01, lat.max() + 0.01
    mid = (w + e) / 2
    return gpd.GeoDataFrame(
        {"unit_id": ["west", "east"], "name": ["west", "east"], "admin_level": [6, 6]},
        geometry=[shapely.box(w, s, mid, n), shapely.box(mid, s, e, n)],
        crs="EPSG:4326",
    )


def child(kind: str, pbf: Path, xml: Path | None, mem_gb: float) -> dict:
    """One measurement; runs inside its own process."""
    if kind.startswith("osmnx") and mem_gb > 0:
        limit = int(mem_gb * 1024**3)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    units = _units(pbf)
    result: dict = {"kind": kind}
    cpu_start = _cpu_s()
    if kind == "ours":
        from spatialint.network.roads import build_road_network

        start = time.perf_counter()
        net = build_road_network(pbf, units, **SETTINGS)
        result["seconds"] = time.perf_counter() - start
        result.update(
            nodes=len(net.nodes),
            edges=len(net.edges),
            unsimplified_nodes=net.report["nodes_before"],
            unsimplified_arcs=net.report["arcs_before"],
        )
    elif kind == "osmnx_simplify":
        import osmnx as ox

        from spatialint.network.road_arcs import SIMPLIFY_DIFFER, road_arcs, unsimplified_gdfs
        from spatialint.network.road_tags import read_road_ways

        arcs = road_arcs(read_road_ways(pbf), units, **SETTINGS)
        gdf_nodes, gdf_edges = unsimplified_gdfs(arcs)
        del arcs
        start = time.perf_counter()
        graph = ox.convert.graph_from_gdfs(gdf_nodes, gdf_edges)
        del gdf_nodes, gdf_edges
        built = time.perf_counter()
        graph = ox.simplify_graph(graph, edge_attrs_differ=list(SIMPLIFY_DIFFER))
        result["seconds"] = time.perf_counter() - start
        result["simplify_seconds"] = time.perf_counter() - built
        result.update(nodes=len(graph), edges=graph.number_of_edges())
    elif kind == "osmnx_xml":
        import osmnx as ox

        start = time.perf_counter()
        graph = ox.graph_from_xml(xml, simplify=True, retain_all=False)
        graph = ox.routing.add_edge_speeds(graph)
        graph = ox.routing.add_edge_travel_times(graph)
        result["seconds"] = time.perf_counter() - start
        result.update(nodes=len(graph), edges=graph.number_of_edges())
    result["cpu_seconds"] = _cpu_s() - cpu_start
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def _cpu_s() -> float:
    """CPU seconds (user + system) of this process and its threads so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def write_drivable_xml(pbf: Path, xml: Path) -> None:
    """The drivable ways of ``pbf`` and their nodes as ``.osm`` XML, for ox.graph_from_xml."""
    import osmium

    classes = set(SETTINGS["highway_classes"])
    keep_nodes: set[int] = set()
    for way in osmium.FileProcessor(str(pbf), osmium.osm.WAY).with_filter(
        osmium.filter.KeyFilter("highway")
    ):
        if way.tags.get("highway") in classes:
            keep_nodes.update(n.ref for n in way.nodes)
    if xml.exists():
        xml.unlink()
    writer = osmium.SimpleWriter(str(xml))
    try:
        for obj in osmium.FileProcessor(str(pbf), osmium.osm.NODE | osmium.osm.WAY):
            if obj.is_node() and obj.id in keep_nodes:
                writer.add_node(obj.replace(tags={}))
            elif obj.is_way() and obj.tags.get("highway") in classes:
                writer.add_way(obj)
    finally:
        writer.close()


def run_child(kind: str, pbf: Path, xml: Path | None, mem_gb: float) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, "--pbf", str(pbf),
           "--osmnx-mem-gb", str(mem_gb)]  # fmt: skip
    if xml is not None:
        cmd += ["--xml", str(xml)]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["?"]
        return {"kind": kind, "failed": tail[0]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, help="demo scale (default: >= 500k road nodes)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--pbf", type=Path, help="benchmark this PBF instead of the demo")
    parser.add_argument("--xml", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--skip-xml", action="store_true", help="skip ox.graph_from_xml")
    parser.add_argument("--osmnx-mem-gb", type=float, default=4.0)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "spatialint-bench"
    )
    args = parser.parse_args()

    if args.child:
        print(json.dumps(child(args.child, args.pbf, args.xml, args.osmnx_mem_gb)))
        return

    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.pbf is None:
        from spatialint import demo

        scale = args.scale or demo.SCALE_FOR_NODES[DEFAULT_NODES]
        pbf = args.workdir / f"demo_seed{args.seed}_scale{scale:g}.osm.pbf"
        if not pbf.exists():
            start = time.perf_counter()
            truth = demo.write_demo(pbf, args.workdir / "truth.json", seed=args.seed, scale=scale)
            took_s = time.perf_counter() - start
            print(f"generated demo scale {scale:g}: {truth.n_road_nodes:,} road nodes, "
                  f"{pbf.stat().st_size / 1e6:.1f} MB in {took_s:.0f} s")  # fmt: skip
    else:
        pbf = args.pbf
    print(f"input {pbf} ({pbf.stat().st_size / 1e6:.1f} MB), {os.cpu_count()} cores")

    results = [
        run_child("ours", pbf, None, 0),
        run_child("osmnx_simplify", pbf, None, args.osmnx_mem_gb),
    ]
    if not args.skip_xml:
        xml = args.workdir / (pbf.name.removesuffix(".osm.pbf") + ".drive.osm")
        write_drivable_xml(pbf, xml)
        results.append(run_child("osmnx_xml", pbf, xml, args.osmnx_mem_gb))
    for r in results:
        if "failed" in r:
            print(f"{r['kind']:15s} FAILED: {r['failed']}")
            continue
        extra = (
            f" (simplify alone {r['simplify_seconds']:.1f} s)" if "simplify_seconds" in r else ""
        )
        size = (f", from {r['unsimplified_nodes']:,} nodes / {r['unsimplified_arcs']:,} arcs"
                if "unsimplified_nodes" in r else "")  # fmt: skip
        print(f"{r['kind']:15s} {r['seconds']:7.1f} s wall {r['cpu_seconds']:7.1f} s CPU  "
              f"peak RSS {r['peak_rss_mb']:6.0f} MB  "
              f"→ {r['nodes']:,} nodes, {r['edges']:,} edges{size}{extra}")  # fmt: skip
    ours = results[0]
    for r in results[1:]:
        if "failed" not in r and "failed" not in ours:
            print(f"speed-up vs {r['kind']}: {r['seconds'] / ours['seconds']:.1f}× wall, "
                  f"{r['cpu_seconds'] / ours['cpu_seconds']:.1f}× CPU; "
                  f"memory ratio {r['peak_rss_mb'] / ours['peak_rss_mb']:.1f}×")  # fmt: skip
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
