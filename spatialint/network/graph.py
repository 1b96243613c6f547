"""Compact graphs for routing: node arrays plus a CSR adjacency of travel times.

Every routing stage (travel times, isochrones, gap benefits, corridor measures) works on a
:class:`CSRGraph`, never on a networkx graph: a region of hundreds of thousands of nodes is a few
numpy arrays here, and :mod:`scipy.sparse.csgraph` routes on it without Python loops.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from spatialint.errors import DataError
from spatialint.fileio import atomic_path


@dataclass(frozen=True)
class CSRGraph:
    """A directed graph with one weight (seconds) per arc, in CSR form.

    Attributes
    ----------
    node_ids
        int64 id of each node (the OSM node id; rail-only nodes of a multimodal graph use
        negative ids so they never clash with OSM ids).
    x, y
        float64 longitude / latitude (WGS-84) of each node.
    matrix
        ``n × n`` CSR matrix; ``matrix[i, j]`` is the travel time in seconds of the fastest arc
        i → j.  Parallel arcs are reduced to their minimum when the graph is built.
    """

    node_ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    matrix: sp.csr_array

    @property
    def n_nodes(self) -> int:
        return int(self.node_ids.shape[0])

    @property
    def n_arcs(self) -> int:
        return int(self.matrix.nnz)

    @classmethod
    def from_arcs(
        cls,
        node_ids: np.ndarray,
        x: np.ndarray,
        y: np.ndarray,
        source: np.ndarray,
        target: np.ndarray,
        weight_s: np.ndarray,
    ) -> CSRGraph:
        """Build from arc arrays given as node *positions* (0..n-1), keeping the minimum weight
        of parallel arcs (scipy would otherwise sum duplicates) and dropping self-loops.

        Zero weights are raised to 1e-6 s because a CSR matrix cannot store an explicit zero
        arc distinctly from "no arc".
        """
        n = int(len(node_ids))
        source = np.asarray(source, dtype=np.int64)
        target = np.asarray(target, dtype=np.int64)
        weight_s = np.maximum(np.asarray(weight_s, dtype=np.float64), 1e-6)
        keep = source != target
        source, target, weight_s = source[keep], target[keep], weight_s[keep]
        order = np.lexsort((weight_s, target, source))
        source, target, weight_s = source[order], target[order], weight_s[order]
        first = np.ones(len(source), dtype=bool)
        first[1:] = (source[1:] != source[:-1]) | (target[1:] != target[:-1])
        matrix = sp.csr_array((weight_s[first], (source[first], target[first])), shape=(n, n))
        matrix.sort_indices()
        return cls(
            node_ids=np.asarray(node_ids, dtype=np.int64),
            x=np.asarray(x, dtype=np.float64),
            y=np.asarray(y, dtype=np.float64),
            matrix=matrix,
        )

    def index_of(self, ids: np.ndarray) -> np.ndarray:
        """Positions of the given node ids; raises KeyError for ids not in the graph."""
        ids = np.asarray(ids, dtype=np.int64)
        order = np.argsort(self.node_ids)
        pos = np.searchsorted(self.node_ids, ids, sorter=order)
        pos = np.clip(pos, 0, len(order) - 1)
        found = order[pos]
        missing = self.node_ids[found] != ids
        if missing.any():
            raise KeyError(f"node ids not in graph: {ids[missing][:5].tolist()}")
        return found

    def edge_positions(self, u_ids: np.ndarray, v_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions of the end nodes of edges given by node ids (e.g. road_edges' u and v).

        Raises
        ------
        DataError
            When an edge names a node the graph lacks: the edges and the graph come from
            different runs of the network stage.
        """
        try:
            return (
                self.index_of(np.asarray(u_ids, dtype=np.int64)),
                self.index_of(np.asarray(v_ids, dtype=np.int64)),
            )
        except KeyError as err:
            raise DataError(
                f"the road edges and the road graph come from different network runs ({err}); "
                "rebuild the network stage (snakemake --forcerun road_network)."
            ) from err

    def save(self, path: str | Path) -> None:
        """Write as a compressed ``.npz`` (atomically)."""
        m = self.matrix
        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            np.savez_compressed(
                handle,
                node_ids=self.node_ids,
                x=self.x,
                y=self.y,
                indptr=m.indptr,
                indices=m.indices,
                data=m.data,
            )

    @classmethod
    def load(cls, path: str | Path) -> CSRGraph:
        """Read a graph written by :meth:`save`."""
        with np.load(path) as f:
            n = int(f["node_ids"].shape[0])
            matrix = sp.csr_array((f["data"], f["indices"], f["indptr"]), shape=(n, n))
            return cls(node_ids=f["node_ids"], x=f["x"], y=f["y"], matrix=matrix)
