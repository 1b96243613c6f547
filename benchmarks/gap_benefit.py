"""Benchmark: benefit of closing a gap, four shortest-path trees against a full recomputation.

    nice python benchmarks/gap_benefit.py                 # 400 × 400 grid (160k nodes), 5 gaps
    nice python benchmarks/gap_benefit.py --side 200 --gaps 3 --samples 20

Both approaches share the "old" trip times (one multi-source Dijkstra from the sampled nodes).
They differ in the "new" times once the link a–b exists:

``ours`` (:func:`spatialint.gaps.benefit.gap_savings`)
    Four trees (from and to ``a`` and ``b``) and
    ``new(o, d) = min(old, t(o→a) + L + t(b→d), t(o→b) + L + t(a→d))``.
``full``
    The common approach: add the link to the graph and route again from every sampled node
    (2 × samples searches).

The grid's two halves connect on a few rows only, so gaps far from them save minutes. Prints the
time of each and the ratio, and checks that both give the same savings.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy.sparse.csgraph import dijkstra

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from spatialint.gaps.benefit import gap_savings  # noqa: E402
from spatialint.network.graph import CSRGraph  # noqa: E402


def grid(side: int, seed: int = 0) -> CSRGraph:
    """A side × side street grid (~300 m blocks); the halves meet on every 50th row only."""
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side)
    right = np.column_stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()])
    border = side // 2 - 1
    cut = (np.tile(np.arange(side - 1), side) == border) & (
        np.repeat(np.arange(side), side - 1) % 50 != 0
    )
    right = right[~cut]
    down = np.column_stack([idx[:-1, :].ravel(), idx[1:, :].ravel()])
    pairs = np.vstack([right, down])
    w = rng.uniform(20, 60, len(pairs))
    src = np.concatenate([pairs[:, 0], pairs[:, 1]])
    dst = np.concatenate([pairs[:, 1], pairs[:, 0]])
    ii, jj = np.divmod(np.arange(side * side), side)
    return CSRGraph.from_arcs(
        np.arange(side * side) + 1, 112.9 + jj * 0.003, 28.2 + ii * 0.003, src, dst,
        np.concatenate([w, w]),
    )  # fmt: skip


def full_recomputation(
    graph: CSRGraph, a: int, b: int, link_s: float, o: np.ndarray, d: np.ndarray, cutoff_s: float
) -> np.ndarray:
    sources = np.concatenate([o, d])
    old = dijkstra(graph.matrix, indices=sources, limit=cutoff_s)
    m = graph.matrix.tolil()
    m[a, b] = link_s
    m[b, a] = link_s
    new = dijkstra(m.tocsr(), indices=sources, limit=cutoff_s)
    old[~np.isfinite(old)] = cutoff_s
    new[~np.isfinite(new)] = np.inf
    new = np.minimum(new, old)
    od = (old[: len(o)][:, d] - new[: len(o)][:, d]).ravel()
    do = (old[len(o) :][:, o] - new[len(o) :][:, o]).ravel()
    return np.clip(np.concatenate([od, do]), 0, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=400)
    parser.add_argument("--gaps", type=int, default=5)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--cutoff-min", type=float, default=180)
    args = parser.parse_args()
    graph = grid(args.side)
    rng = np.random.default_rng(1)
    side, border = args.side, args.side // 2 - 1
    rows = rng.choice([r for r in range(side) if r % 50 > 10 and r % 50 < 40], args.gaps)
    cutoff_s = args.cutoff_min * 60
    t_ours = t_full = 0.0
    worst = 0.0
    for row in rows:
        a, b = row * side + border, row * side + border + 1
        lo, hi = max(0, row - 15), min(side, row + 16)
        west = (np.arange(lo, hi)[:, None] * side + np.arange(border - 15, border + 1)).ravel()
        east = (np.arange(lo, hi)[:, None] * side + np.arange(border + 1, border + 17)).ravel()
        o = np.sort(rng.choice(west, args.samples, replace=False))
        d = np.sort(rng.choice(east, args.samples, replace=False))
        start = time.perf_counter()
        ours = gap_savings(graph, a, b, 40.0, o, d, cutoff_s=cutoff_s)
        t_ours += time.perf_counter() - start
        start = time.perf_counter()
        full = full_recomputation(graph, a, b, 40.0, o, d, cutoff_s)
        t_full += time.perf_counter() - start
        worst = max(worst, float(np.abs(ours - full).max()))
    print(
        f"grid {side}×{side} = {graph.n_nodes} nodes, {graph.n_arcs} arcs; {args.gaps} gaps, "
        f"{args.samples} samples per side ({2 * args.samples**2} trips per gap)"
    )
    print(f"ours (4 trees)        {t_ours:8.2f} s   {t_ours / args.gaps:6.2f} s per gap")
    print(f"full recomputation    {t_full:8.2f} s   {t_full / args.gaps:6.2f} s per gap")
    print(f"ratio full / ours     {t_full / t_ours:8.2f}×   max difference {worst:.3f} s")


if __name__ == "__main__":
    main()
