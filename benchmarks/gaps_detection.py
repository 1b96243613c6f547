"""Benchmark: finding the facing road of each border dead end, STRtree against a per-node loop.

    nice python benchmarks/gaps_detection.py                  # the demo (build it first)
    nice python benchmarks/gaps_detection.py --study andorra
    nice python benchmarks/gaps_detection.py --study demo --data /tmp/big/data   # a scaled demo

Both start from the same dead ends (degree-1 nodes within ``border_distance_m`` of a border) and
look for the drivable roads of another unit within ``gap_max_m``:

``ours``
    One :class:`shapely.STRtree` query for all dead ends (``predicate="dwithin"``), then
    vectorised nearest points and unit look-ups (what
    :func:`spatialint.gaps.dead_ends.facing_roads` does before the detour check).
``loop``
    The common script approach: for each dead end, ``edges.distance(point)`` over the road
    GeoSeries, keep those within the gap, look up the unit of each nearest point.

Prints both times, the ratio and whether both found the same (dead end, road) pairs. Also times
the whole ``detect_gaps`` call for scale.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from spatialint.config import load_study  # noqa: E402
from spatialint.contracts.io import read_table  # noqa: E402
from spatialint.contracts.network import ADMIN_UNITS, ROAD_EDGES  # noqa: E402
from spatialint.gaps.detect import detect_gaps  # noqa: E402
from spatialint.gaps.network import node_degree, prepare_network  # noqa: E402
from spatialint.network.graph import CSRGraph  # noqa: E402
from spatialint.settings import study_settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="demo")
    parser.add_argument("--data", default=str(REPO / "data"), help="folder holding <study>/")
    args = parser.parse_args()
    every = study_settings(load_study(args.study))
    base = Path(args.data) / args.study / "network"
    edges = read_table(base / "road_edges.parquet", ROAD_EDGES)
    units = read_table(base / "admin_units.gpkg", ADMIN_UNITS)
    graph = CSRGraph.load(base / "road_graph.npz")
    settings = every.gaps
    level = every.admin.border_level

    start = time.perf_counter()
    detect_gaps(edges, units, graph, border_level=level, settings=settings)
    t_all = time.perf_counter() - start

    net = prepare_network(
        edges, units, graph, border_level=level, ignore_highway=settings.ignore_highway
    )
    dead = np.flatnonzero(node_degree(net, graph.n_nodes) == 1)
    pts = shapely.points(net.xy[dead])
    near, _ = shapely.STRtree(net.borders.geometry.values).query(
        pts, predicate="dwithin", distance=settings.border_distance_m
    )
    near = np.unique(near)
    dead, pts = dead[near], pts[near]
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

    print(
        f"{args.study}: {graph.n_nodes} nodes, {len(net.edges)} drivable edges, "
        f"{len(dead)} dead ends near a border; detect_gaps (all three layers) {t_all:.2f} s"
    )
    print(f"ours (STRtree, vectorised)  {t_ours:8.3f} s")
    print(f"loop (per dead end)         {t_loop:8.3f} s")
    ratio = t_loop / max(t_ours, 1e-9)
    print(f"ratio loop / ours           {ratio:8.1f}×   same pairs: {ours == loop}")


if __name__ == "__main__":
    main()
