"""Benchmark: counting materially different routes, CSR + scipy against networkx, same run.

    nice python benchmarks/integration_redundancy.py             # 300 × 300 grid (90k nodes)
    nice python benchmarks/integration_redundancy.py --side 150

Both sides run the same iterative penalty method (route, multiply the used arcs' weights,
route again, keep routes within +20 % of the fastest that share < 50 % of their length with
every kept route) between opposite corners of a grid with random arc times:

``ours``
    :func:`spatialint.integration.routes.redundant_routes` on a :class:`CSRGraph` (scipy's
    Dijkstra with a proven search limit per round).
``networkx``
    The common approach: a ``networkx.DiGraph`` with a ``weight`` attribute,
    ``nx.dijkstra_path`` per round, weights updated on the graph.

Prints both times, the ratio, and whether both found the same number of routes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from spatialint.integration.routes import redundant_routes  # noqa: E402
from spatialint.network.graph import CSRGraph  # noqa: E402


def grid(side: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Two-way grid arcs (source, target, seconds, metres) with random speeds."""
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side)
    right = np.column_stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()])
    down = np.column_stack([idx[:-1, :].ravel(), idx[1:, :].ravel()])
    one_way = np.vstack([right, down])
    arcs = np.vstack([one_way, one_way[:, ::-1]])
    metres = np.full(len(arcs), 100.0)
    seconds = metres / rng.uniform(5, 25, len(arcs))
    return arcs[:, 0], arcs[:, 1], seconds, metres


def networkx_routes(u, v, s, m, source, target, *, ratio=1.2, overlap=0.5, factor=2.0, rounds=10):
    import networkx as nx

    g = nx.DiGraph()
    for a, b, w, length in zip(u.tolist(), v.tolist(), s.tolist(), m.tolist(), strict=True):
        g.add_edge(a, b, weight=w, true=w, length=length)
    t0 = time.perf_counter()
    path = nx.dijkstra_path(g, source, target, weight="weight")
    arcs = list(zip(path[:-1], path[1:], strict=False))
    fastest = sum(g.edges[e]["true"] for e in arcs)
    kept = [set(arcs)]
    candidate = arcs
    for _ in range(rounds):
        for e in candidate:
            g.edges[e]["weight"] *= factor
        path = nx.dijkstra_path(g, source, target, weight="weight")
        candidate = list(zip(path[:-1], path[1:], strict=False))
        true = sum(g.edges[e]["true"] for e in candidate)
        if true > ratio * fastest * (1 + 1e-9):
            continue
        length = sum(g.edges[e]["length"] for e in candidate)
        ok = True
        for route in kept:
            shared = sum(g.edges[e]["length"] for e in set(candidate) & route)
            shorter = min(length, sum(g.edges[e]["length"] for e in route))
            if shared / shorter >= overlap:
                ok = False
                break
        if ok:
            kept.append(set(candidate))
    return len(kept), time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=300, help="grid side (nodes per row)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    u, v, s, m = grid(args.side, args.seed)
    n = args.side * args.side
    graph = CSRGraph.from_arcs(np.arange(n), np.zeros(n), np.zeros(n), u, v, s)
    order = np.lexsort((v, u))
    lengths = m[order]  # from_arcs sorts arcs by (source, target); the grid has no parallels
    source, target = 0, n - 1
    t0 = time.perf_counter()
    ours = redundant_routes(graph, lengths, source, target)
    t_ours = time.perf_counter() - t0
    routes_nx, t_nx = networkx_routes(u, v, s, m, source, target)
    print(f"grid {args.side}×{args.side} = {n} nodes, {len(u)} arcs")
    print(f"ours      {t_ours:8.3f} s   routes {ours.routes}")
    print(f"networkx  {t_nx:8.3f} s   routes {routes_nx}  (graph building not timed)")
    print(f"ratio networkx / ours: {t_nx / t_ours:.1f}×   same count: {routes_nx == ours.routes}")


if __name__ == "__main__":
    main()
