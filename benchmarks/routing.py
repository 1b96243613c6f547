"""Benchmark: spatialint routing and isochrones vs the common networkx approach.

Run (nice, the machine is shared)::

    nice python benchmarks/routing.py                       # synthetic grid graphs
    nice python benchmarks/routing.py --graph data/demo/network/road_graph.npz \
        --edges data/demo/network/road_edges.parquet        # a real pipeline graph

The demo at scale: a study YAML with ``source: {kind: demo, scale: 32}`` (e.g.
``workflow/config/studies/bench.yaml``, ~700k road nodes) and
``snakemake --cores 2 data/bench/network/road_graph.npz data/bench/network/road_edges.parquet
--config 'studies=[bench]'`` build its graph; then pass it with ``--graph``/``--edges``.

Part 1 routes 20 origins on one graph, in one process, with
:func:`spatialint.network.routing.travel_times` (1 and 2 worker processes) and with
``networkx.single_source_dijkstra_path_length(..., cutoff=...)`` per origin, checks that both give
the same times, and prints times, the ratio and peak memory (tracemalloc for Python objects, and
the process's max RSS).  Part 2 builds every 1/2/3-hour polygon for 30 origins on a ~500k-node
graph with :func:`spatialint.access.isochrones.isochrone_table` and prints the time.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from spatialint.access.edges import prepare_edges  # noqa: E402
from spatialint.access.isochrones import IsochroneBuilder, isochrone_table  # noqa: E402
from spatialint.network.graph import CSRGraph  # noqa: E402
from spatialint.network.routing import travel_times  # noqa: E402

LON0, LAT0 = 112.5, 27.5
M_PER_DEG = 111_320.0
BANDS_MIN = [60, 120, 180]


def synthetic_grid(side: int, *, spacing_m: float = 150.0, seed: int = 0):
    """A ``side × side`` street grid: 25 % of local links missing (blocks, holes), arterials
    (60 km/h) every 10th line, expressways (100 km/h) every 80th, local streets 30 km/h; all
    two-way but 5 % oneway. Returns (CSRGraph, edges GeoDataFrame)."""
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side)
    rows, cols = np.divmod(np.arange(side * side), side)
    x = cols * spacing_m + rng.normal(0, spacing_m * 0.1, cols.size)
    y = rows * spacing_m + rng.normal(0, spacing_m * 0.1, rows.size)
    lat = LAT0 + y / M_PER_DEG
    lon = LON0 + x / (M_PER_DEG * np.cos(np.radians(LAT0)))
    h_a, h_b = idx[:, :-1].ravel(), idx[:, 1:].ravel()
    v_a, v_b = idx[:-1, :].ravel(), idx[1:, :].ravel()
    a = np.concatenate([h_a, v_a])
    b = np.concatenate([h_b, v_b])
    line_no = np.concatenate([rows[h_a], cols[v_a]])
    speed = np.where(line_no % 80 == 0, 100.0, np.where(line_no % 10 == 0, 60.0, 30.0))
    keep = (speed > 30) | (rng.random(a.size) > 0.25)
    a, b, speed = a[keep], b[keep], speed[keep]
    length = np.hypot(x[a] - x[b], y[a] - y[b])
    t = length / (speed / 3.6)
    oneway = rng.random(a.size) < 0.05
    src = np.concatenate([a, b[~oneway]])
    dst = np.concatenate([b, a[~oneway]])
    tt = np.concatenate([t, t[~oneway]])
    node_ids = np.arange(side * side, dtype=np.int64) + 1
    graph = CSRGraph.from_arcs(node_ids, lon, lat, src, dst, tt)
    lines = shapely.linestrings(
        np.stack([np.column_stack([lon[src], lat[src]]), np.column_stack([lon[dst], lat[dst]])], 1)
    )
    edges = gpd.GeoDataFrame(
        {"u": node_ids[src], "v": node_ids[dst], "travel_time_s": tt}, geometry=lines, crs=4326
    )
    return graph, edges


def to_networkx(graph: CSRGraph) -> nx.DiGraph:
    coo = graph.matrix.tocoo()
    g = nx.DiGraph()
    g.add_nodes_from(range(graph.n_nodes))
    g.add_weighted_edges_from(
        zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True)
    )
    return g


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_routing(graph: CSRGraph, n_origins: int, cutoff_s: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    sources = rng.choice(graph.n_nodes, n_origins, replace=False)
    print(f"graph: {graph.n_nodes:,} nodes, {graph.n_arcs:,} arcs; {n_origins} origins, "
          f"cutoff {cutoff_s / 3600:g} h")  # fmt: skip
    tracemalloc.start()
    t0 = time.perf_counter()
    ours = travel_times(graph, sources, cutoff_s=cutoff_s, workers=1)
    t_ours = time.perf_counter() - t0
    _, peak_ours = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    t0 = time.perf_counter()
    ours2 = travel_times(graph, sources, cutoff_s=cutoff_s, workers=2)
    t_ours2 = time.perf_counter() - t0
    assert np.array_equal(ours, ours2, equal_nan=True)
    reached = np.count_nonzero(~np.isnan(ours)) / n_origins
    print(f"spatialint travel_times, 1 process : {t_ours:8.2f} s  "
          f"(peak Python memory {peak_ours / 2**20:,.0f} MiB; "
          f"{reached:,.0f} nodes reached per origin)")  # fmt: skip
    print(f"spatialint travel_times, 2 processes: {t_ours2:8.2f} s")
    # Threads instead of processes: scipy's Dijkstra holds the GIL, so this shows no gain.
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        halves = list(pool.map(lambda part: travel_times(graph, part, cutoff_s=cutoff_s),
                               np.array_split(sources, 2)))  # fmt: skip
    t_threads = time.perf_counter() - t0
    assert np.array_equal(np.concatenate(halves), ours, equal_nan=True)
    print(f"spatialint travel_times, 2 threads  : {t_threads:8.2f} s")
    t0 = time.perf_counter()
    g = to_networkx(graph)
    t_build = time.perf_counter() - t0
    tracemalloc.reset_peak()
    t0 = time.perf_counter()
    for row, s in enumerate(sources):
        lengths = nx.single_source_dijkstra_path_length(g, int(s), cutoff=cutoff_s)
        nodes = np.fromiter(lengths.keys(), dtype=np.int64, count=len(lengths))
        vals = np.fromiter(lengths.values(), dtype=np.float64, count=len(lengths))
        assert nodes.size == np.count_nonzero(~np.isnan(ours[row]))
        np.testing.assert_allclose(ours[row, nodes], vals, rtol=1e-5)
    t_nx = time.perf_counter() - t0
    _, peak_nx = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"networkx single_source_dijkstra_path_length per origin: {t_nx:8.2f} s "
          f"(+ {t_build:.1f} s to build the DiGraph; "
          f"peak Python memory {peak_nx / 2**20:,.0f} MiB)")  # fmt: skip
    print(f"ratio networkx / spatialint (1 process): {t_nx / t_ours:6.1f}x; "
          f"(2 processes): {t_nx / t_ours2:6.1f}x")  # fmt: skip
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"max RSS of this process: {max_rss_mb():,.0f} MiB; "
          f"load average {load} on {os.cpu_count()} cores")  # fmt: skip


def bench_isochrones(graph: CSRGraph, edges: gpd.GeoDataFrame, n_origins: int, workers: int,
                     seed: int, method: str) -> None:  # fmt: skip
    rng = np.random.default_rng(seed)
    sources = rng.choice(graph.n_nodes, n_origins, replace=False)
    t0 = time.perf_counter()
    times = travel_times(graph, sources, cutoff_s=max(BANDS_MIN) * 60.0, workers=workers)
    t_route = time.perf_counter() - t0
    t0 = time.perf_counter()
    es = prepare_edges(edges, graph)
    builder = IsochroneBuilder(
        es, buffer_m=500.0, min_hole_km2=0.1, method=method, grid_cell_m=100.0
    )
    t_prep = time.perf_counter() - t0
    import pandas as pd

    origins = pd.DataFrame(
        {"origin_id": np.arange(1, n_origins + 1), "name": [f"o{i}" for i in range(n_origins)]}
    )
    t0 = time.perf_counter()
    table = isochrone_table(builder, origins, {"road": times}, bands_min=BANDS_MIN, workers=workers)
    t_iso = time.perf_counter() - t0
    print(f"isochrones: {n_origins} origins x {len(BANDS_MIN)} bands on {graph.n_nodes:,} nodes "
          f"({len(edges):,} edges), method {method}, {workers} worker(s)")  # fmt: skip
    print(f"  routing {t_route:.1f} s, edge preparation {t_prep:.1f} s, polygons {t_iso:.1f} s; "
          f"total {t_route + t_prep + t_iso:.1f} s; mean area of the 3-h polygons "
          f"{table.loc[table.band_min == 180, 'area_km2'].mean():,.0f} km²")  # fmt: skip
    print(f"  max RSS of this process: {max_rss_mb():,.0f} MiB")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--graph", help="a CSRGraph .npz (default: synthetic grid)")
    parser.add_argument("--edges", help="road_edges.parquet matching --graph (for part 2)")
    parser.add_argument("--route-side", type=int, default=500, help="synthetic grid side, part 1")
    parser.add_argument("--iso-side", type=int, default=710, help="synthetic grid side, part 2")
    parser.add_argument("--origins", type=int, default=20)
    parser.add_argument("--iso-origins", type=int, default=30)
    parser.add_argument("--cutoff-h", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--method", default="auto", choices=["auto", "vector", "grid"])
    parser.add_argument("--skip", choices=["routing", "isochrones"])
    args = parser.parse_args(argv)
    if args.graph:
        graph = CSRGraph.load(args.graph)
        edges = gpd.read_parquet(args.edges) if args.edges else None
    else:
        graph, edges = synthetic_grid(args.route_side)
    if args.skip != "routing":
        bench_routing(graph, args.origins, args.cutoff_h * 3600.0, seed=1)
    if args.skip != "isochrones":
        if not args.graph:
            graph, edges = synthetic_grid(args.iso_side)
        if edges is None:
            parser.error("--edges is needed with --graph for the isochrone part")
        bench_isochrones(graph, edges, args.iso_origins, args.workers, seed=2, method=args.method)


if __name__ == "__main__":
    main()
