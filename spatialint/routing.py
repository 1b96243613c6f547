"""Shortest travel times on a :class:`~spatialint.graph.CSRGraph` with scipy's Dijkstra."""

from __future__ import annotations

import numpy as np
from scipy.sparse.csgraph import dijkstra

from spatialint.graph import CSRGraph


def travel_times(
    graph: CSRGraph,
    sources: np.ndarray,
    *,
    cutoff_s: float | None = None,
    reverse: bool = False,
) -> np.ndarray:
    """Fastest travel time in seconds from each source position to every node.

    Parameters
    ----------
    graph
        The graph to route on.
    sources
        Node *positions* (0..n-1) of the origins.
    cutoff_s
        Stop searching beyond this time; farther nodes get NaN.
    reverse
        Times *to* the sources instead of from them (routes on the transposed graph).

    Returns
    -------
    numpy.ndarray
        float32 array of shape (len(sources), n_nodes), NaN where not reached.
    """
    matrix = graph.matrix.T.tocsr() if reverse else graph.matrix
    dist = dijkstra(
        matrix,
        directed=True,
        indices=np.asarray(sources, dtype=np.int64),
        limit=np.inf if cutoff_s is None else float(cutoff_s),
    )
    dist = np.atleast_2d(dist).astype(np.float32)
    dist[~np.isfinite(dist)] = np.nan
    return dist
