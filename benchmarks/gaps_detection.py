"""Benchmark: finding the facing road of each border dead end, STRtree against a per-node loop.

    nice python benchmarks/gaps_detection.py                  # the demo (build it first)
    nice python benchmarks/gaps_detection.py --study andorra
    nice python benchmarks/gaps_detection.py --study demo --data /tmp/big/data   # a scaled demo

Both start from the same dead ends (degree-1 nodes within ``border_distance_m`` of a border) and
look for the drivable roads of another unit within ``gap_max_m``:

``ours``
    One :class:`shapely.STRtree` query for all dead ends (``predicate="dwithin"``), then
    vectorised nearest points and unit look-ups (what :func:`spatialint.gaps.detect.find_dead_ends`
    does before the detour check).
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
from spatialint.gaps.detect import (  # noqa: E402
    GapSettings,
    _assign_units,
    _degree,
    _prepare,
    detect_gaps,
)
from spatialint.network.graph import CSRGraph  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="demo")
    parser.add_argument("--data", default=str(REPO / "data"), help="folder holding <study>/")
    args = parser.parse_args()
    study = load_study(args.study)
    base = Path(args.data) / args.study / "network"
    nodes = gpd.read_parquet(base / "road_nodes.parquet")
    edges = gpd.read_parquet(base / "road_edges.parquet")
    units = gpd.read_file(base / "admin_units.gpkg")
    graph = CSRGraph.load(base / "road_graph.npz")
    settings = GapSettings.from_config(study["gaps"])
    level = int(study["admin"]["border_level"])

    start = time.perf_counter()
    detect_gaps(nodes, edges, units, graph, border_level=level, settings=settings)
    t_all = time.perf_counter() - start

    net = _prepare(
        nodes, edges, units, graph, border_level=level, ignore_highway=settings.ignore_highway
    )
    dead = np.flatnonzero(_degree(net, graph.n_nodes) == 1)
    pts = shapely.points(net.xy[dead])
    near, _ = shapely.STRtree(net.borders.geometry.values).query(
        pts, predicate="dwithin", distance=settings.border_distance_m
    )
    near = np.unique(near)
    dead, pts = dead[near], pts[near]
    own = _assign_units(pts, net.units, net.unit_tree)

    start = time.perf_counter()
    di, ej = shapely.STRtree(net.geoms).query(pts, predicate="dwithin", distance=settings.gap_max_m)
    p = shapely.line_interpolate_point(
        net.geoms[ej], shapely.line_locate_point(net.geoms[ej], pts[di])
    )
    p_unit = _assign_units(p, net.units, net.unit_tree)
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
