"""The transit part of the multimodal graph on disk (``network/transit_graph.npz``) and its
join onto the road + rail graph.

The file holds the transit nodes' coordinates, the arcs among them
(:mod:`spatialint.network.gtfs_network`), the walks between road nodes (by OSM id) and
stations (:mod:`spatialint.network.gtfs_walk`), and the OSM rail edges the feeds cover
(:mod:`spatialint.network.gtfs_cover`), by ``u``, ``v`` and ``service``. The multimodal stage
drops those rail edges, builds the road + rail graph as before and appends the transit nodes
after its own nodes, with ids continuing its negative ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from spatialint.errors import DataError
from spatialint.fileio import atomic_path
from spatialint.network.graph import CSRGraph


@dataclass(frozen=True)
class TransitArcs:
    """What the multimodal graph needs of the transit network (module doc)."""

    x: np.ndarray
    y: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    weight_s: np.ndarray
    walk_road: np.ndarray
    walk_in: np.ndarray
    walk_out: np.ndarray
    walk_s: np.ndarray
    drop_u: np.ndarray
    drop_v: np.ndarray
    drop_service: np.ndarray

    @property
    def n_nodes(self) -> int:
        return int(len(self.x))

    def save(self, path: str | Path) -> None:
        """Write as a compressed ``.npz`` (atomically)."""
        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            np.savez_compressed(handle, **{k: getattr(self, k) for k in self.__dataclass_fields__})

    @classmethod
    def load(cls, path: str | Path) -> TransitArcs:
        try:
            with np.load(path) as f:
                return cls(**{k: f[k] for k in cls.__dataclass_fields__})
        except (KeyError, ValueError, OSError) as err:
            raise DataError(
                f"{path} is not a transit graph of this version ({err}); re-run the "
                "transit_network step."
            ) from err

    def covered(self, rail_edges: pd.DataFrame) -> np.ndarray:
        """Mask of the ``rail_edges`` rows the feeds cover."""
        if not len(self.drop_u) or rail_edges.empty:
            return np.zeros(len(rail_edges), dtype=bool)
        keys = pd.MultiIndex.from_arrays(
            [self.drop_u.astype(np.int64), self.drop_v.astype(np.int64), self.drop_service]
        )
        rows = pd.MultiIndex.from_arrays(
            [
                rail_edges["u"].to_numpy(np.int64),
                rail_edges["v"].to_numpy(np.int64),
                rail_edges["service"].astype(str).to_numpy(),
            ]
        )
        return rows.isin(keys)


def join_transit(graph: CSRGraph, transit: TransitArcs) -> CSRGraph:
    """``graph`` (road + rail) with the transit nodes and arcs appended.

    Raises
    ------
    DataError
        The transit walks name road nodes the graph lacks (the transit step ran on another
        road network).
    """
    if transit.n_nodes == 0:
        return graph
    n = graph.n_nodes
    first_id = min(int(graph.node_ids.min()), 0) - 1
    ids = first_id - np.arange(transit.n_nodes, dtype=np.int64)
    try:
        road = graph.index_of(transit.walk_road)
    except KeyError as err:
        raise DataError(
            f"the transit graph names road nodes the road graph lacks ({err}); it was built "
            "from another road network: re-run the transit_network step."
        ) from err
    matrix = graph.matrix.tocoo()
    return CSRGraph.from_arcs(
        np.concatenate([graph.node_ids, ids]),
        np.concatenate([graph.x, transit.x]),
        np.concatenate([graph.y, transit.y]),
        np.concatenate([matrix.row, n + transit.src, road, n + transit.walk_out]),
        np.concatenate([matrix.col, n + transit.dst, n + transit.walk_in, road]),
        np.concatenate([matrix.data, transit.weight_s, transit.walk_s, transit.walk_s]),
    )
