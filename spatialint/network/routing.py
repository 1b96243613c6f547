"""Shortest travel times on a :class:`~spatialint.network.graph.CSRGraph` with scipy's Dijkstra.

One call routes many origins at once: scipy's :func:`scipy.sparse.csgraph.dijkstra` runs in C on
the CSR arrays, stops at ``cutoff_s`` (its ``limit``), and the results are kept as one float32
``origin × node`` matrix with NaN where a node is farther than the cutoff.

Parallelism: scipy's Dijkstra holds the GIL (measured with scipy 1.17: two threads take as long
as one), so ``workers > 1`` splits the origins into chunks routed by a *process* pool. Worker
processes are forked, so they share the graph's arrays with the parent without copying them;
only the result rows travel back.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from spatialint.errors import DataError
from spatialint.fileio import atomic_path
from spatialint.network.graph import CSRGraph

logger = logging.getLogger(__name__)

#: Origins routed per scipy call; bounds the float64 scratch matrix to CHUNK × n_nodes.
CHUNK_ORIGINS = 8
#: Below this many (origin × node) cells, a process pool costs more than it saves.
PARALLEL_MIN_CELLS = 2_000_000

_WORKER_MATRIX: sp.csr_array | None = None


def _route_chunk(matrix: sp.csr_array, sources: np.ndarray, limit: float) -> np.ndarray:
    dist = dijkstra(matrix, directed=True, indices=sources, limit=limit)
    dist = np.atleast_2d(dist).astype(np.float32)
    dist[~np.isfinite(dist)] = np.nan
    return dist


def _worker_chunk(sources: np.ndarray, limit: float) -> np.ndarray:
    assert _WORKER_MATRIX is not None
    return _route_chunk(_WORKER_MATRIX, sources, limit)


def available_workers() -> int:
    """Number of cores this process may use (respects CPU affinity / cgroup pinning)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def travel_times(
    graph: CSRGraph,
    sources: np.ndarray,
    *,
    cutoff_s: float | None = None,
    reverse: bool = False,
    workers: int = 1,
) -> np.ndarray:
    """Fastest travel time in seconds from each source position to every node.

    Parameters
    ----------
    graph
        The graph to route on.
    sources
        Node *positions* (0..n-1) of the origins (a scalar is taken as one origin).
    cutoff_s
        Stop searching beyond this time; farther nodes get NaN.
    reverse
        Times *to* the sources instead of from them (routes on the transposed graph).
    workers
        Processes to route with. Values > 1 fork a pool over chunks of origins when the job is
        large enough to repay it (scipy's Dijkstra holds the GIL, so threads would not help).

    Returns
    -------
    numpy.ndarray
        float32 array of shape (len(sources), n_nodes), NaN where not reached. Parallel arcs
        count with their minimum (see :meth:`CSRGraph.from_arcs`).
    """
    sources = np.atleast_1d(np.asarray(sources, dtype=np.int64))
    n = graph.n_nodes
    if sources.size and (sources.min() < 0 or sources.max() >= n):
        raise IndexError(f"source positions must lie in 0..{n - 1}, got {sources.tolist()[:5]}")
    if cutoff_s is not None and not cutoff_s > 0:
        raise ValueError(f"cutoff_s must be positive, got {cutoff_s}")
    limit = np.inf if cutoff_s is None else float(cutoff_s)
    matrix = graph.matrix.T.tocsr() if reverse else graph.matrix
    if sources.size == 0:
        return np.empty((0, n), dtype=np.float32)
    chunks = [sources[i : i + CHUNK_ORIGINS] for i in range(0, sources.size, CHUNK_ORIGINS)]
    workers = max(1, min(int(workers), len(chunks)))
    if workers == 1 or sources.size * n < PARALLEL_MIN_CELLS:
        parts = [_route_chunk(matrix, chunk, limit) for chunk in chunks]
    else:
        parts = _route_parallel(matrix, chunks, limit, workers)
    out = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)
    logger.debug("routed %d origins on %d nodes (cutoff %s s)", sources.size, n, cutoff_s)
    return out


def travel_times_from(
    graph: CSRGraph,
    starts: list[tuple[np.ndarray, np.ndarray]],
    *,
    cutoff_s: float | None = None,
    workers: int = 1,
) -> np.ndarray:
    """Travel times from origins that enter the graph at several nodes, each after a delay.

    An origin snapped onto the middle of an edge reaches the edge's end nodes after part of
    the edge's time; ``starts[i]`` is ``(node positions, seconds)`` for origin ``i``. The graph is
    extended by one virtual node per origin with arcs of those delays to its start nodes, and
    routed from the virtual nodes; the result has the graph's nodes only.

    Returns
    -------
    numpy.ndarray
        float32 (len(starts), n_nodes), NaN beyond ``cutoff_s`` / not reached.
    """
    n = graph.n_nodes
    k = len(starts)
    if k == 0:
        return np.empty((0, n), dtype=np.float32)
    rows, cols, secs = [], [], []
    for i, (pos, delay) in enumerate(starts):
        pos = np.asarray(pos, dtype=np.int64)
        delay = np.asarray(delay, dtype=np.float64)
        if pos.size == 0 or pos.shape != delay.shape:
            raise ValueError(f"start {i} needs matching, non-empty node and delay arrays")
        if pos.min() < 0 or pos.max() >= n or not np.all(delay >= 0):
            raise ValueError(f"start {i} has positions outside 0..{n - 1} or negative delays")
        rows.append(np.full(pos.size, n + i))
        cols.append(pos)
        secs.append(delay)
    extra = pd.DataFrame(
        {"r": np.concatenate(rows), "c": np.concatenate(cols), "s": np.concatenate(secs)}
    )
    extra = extra.groupby(["r", "c"], as_index=False)["s"].min()  # scipy would sum duplicates
    coo = graph.matrix.tocoo()
    matrix = sp.csr_array(
        (
            np.concatenate([coo.data, np.maximum(extra["s"].to_numpy(), 1e-6)]),
            (
                np.concatenate([coo.row, extra["r"].to_numpy()]),
                np.concatenate([coo.col, extra["c"].to_numpy()]),
            ),
        ),
        shape=(n + k, n + k),
    )
    matrix.sort_indices()
    extended = CSRGraph(
        node_ids=np.concatenate([graph.node_ids, -(10**15) - np.arange(k)]),
        x=np.concatenate([graph.x, np.zeros(k)]),
        y=np.concatenate([graph.y, np.zeros(k)]),
        matrix=matrix,
    )
    times = travel_times(extended, np.arange(n, n + k), cutoff_s=cutoff_s, workers=workers)
    return np.ascontiguousarray(times[:, :n])


def _route_parallel(
    matrix: sp.csr_array, chunks: list[np.ndarray], limit: float, workers: int
) -> list[np.ndarray]:
    """Route chunks in forked worker processes that inherit ``matrix`` without a copy."""
    global _WORKER_MATRIX
    _WORKER_MATRIX = matrix
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            return list(pool.map(_worker_chunk, chunks, [limit] * len(chunks)))
    finally:
        _WORKER_MATRIX = None


def nearest_origin(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per node: the time to the nearest origin and that origin's row (-1 where none reaches).

    Parameters
    ----------
    times
        ``origin × node`` seconds as returned by :func:`travel_times` (NaN = not reached).
    """
    times = np.asarray(times)
    if times.shape[0] == 0:
        n = times.shape[1]
        return np.full(n, np.nan, dtype=np.float32), np.full(n, -1, dtype=np.int64)
    filled = np.where(np.isnan(times), np.inf, times)
    row = np.argmin(filled, axis=0)
    best = filled[row, np.arange(times.shape[1])]
    reached = np.isfinite(best)
    return (
        np.where(reached, best, np.nan).astype(np.float32),
        np.where(reached, row, -1).astype(np.int64),
    )


def save_times(
    path: str | Path, *, origin_ids: np.ndarray, node_ids: np.ndarray, seconds: np.ndarray
) -> None:
    """Write an ``access/travel_times_{mode}.npz`` (atomically, compressed).

    Holds ``origin_ids`` (int64), ``node_ids`` (int64, the graph's node order) and ``seconds``
    (float32, origins × nodes, NaN beyond the cutoff).
    """
    seconds = np.asarray(seconds, dtype=np.float32)
    origin_ids = np.asarray(origin_ids, dtype=np.int64)
    node_ids = np.asarray(node_ids, dtype=np.int64)
    if seconds.shape != (origin_ids.size, node_ids.size):
        raise ValueError(
            f"seconds has shape {seconds.shape}, expected {(origin_ids.size, node_ids.size)}"
        )
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(handle, origin_ids=origin_ids, node_ids=node_ids, seconds=seconds)


def load_times(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read ``(origin_ids, node_ids, seconds)`` written by :func:`save_times`."""
    try:
        with np.load(path) as f:
            return f["origin_ids"], f["node_ids"], f["seconds"]
    except (OSError, KeyError, ValueError) as err:
        raise DataError(f"{path} is not a travel-times file ({err}); rerun travel_times.") from err


def times_on_nodes(node_ids: np.ndarray, seconds: np.ndarray, wanted_ids: np.ndarray) -> np.ndarray:
    """Columns of ``seconds`` (origins × ``node_ids``) for ``wanted_ids``, in that order.

    Used to put multimodal times (road nodes then rail nodes) onto the road nodes.
    """
    node_ids = np.asarray(node_ids, dtype=np.int64)
    wanted_ids = np.asarray(wanted_ids, dtype=np.int64)
    order = np.argsort(node_ids)
    pos = np.clip(np.searchsorted(node_ids, wanted_ids, sorter=order), 0, max(len(order) - 1, 0))
    found = order[pos] if len(order) else pos
    missing = (node_ids[found] != wanted_ids) if len(order) else np.ones(wanted_ids.size, bool)
    if missing.any():
        raise DataError(
            f"{int(missing.sum())} road node(s) (e.g. {wanted_ids[missing][:3].tolist()}) have no "
            "travel times; the travel times and the road graph are from different runs — rerun "
            "the access steps."
        )
    return np.asarray(seconds)[:, found]
