"""Routing from the corridors' centres: one Dijkstra per distinct centre and graph gives the
centre-to-centre times and distances, the reach cells inside each centre's circle and the
travel time to every populated place."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from spatialint.integration.reach import PopulatedPlaces, ReachGrid
from spatialint.integration.rows import CorridorRow
from spatialint.network.graph import CSRGraph
from spatialint.network.routing import travel_times

logger = logging.getLogger(__name__)

CENTRE_CHUNK = 16
"""Centres routed per Dijkstra batch (bounds memory to 16 × n_nodes float32 per graph)."""

MODES = ("road", "mm")
"""The two graphs: road, and road + rail (``mm``, multimodal)."""


def dijkstra_rows(
    graph: CSRGraph, sources: np.ndarray, columns: np.ndarray | None = None, *, workers: int = 1
) -> np.ndarray:
    """Times from ``sources`` (chunked), keeping only ``columns`` when given."""
    out = []
    for start in range(0, len(sources), CENTRE_CHUNK):
        times = travel_times(graph, sources[start : start + CENTRE_CHUNK], workers=workers)
        out.append(times if columns is None else times[:, columns])
    width = graph.n_nodes if columns is None else len(columns)
    return np.vstack(out) if out else np.empty((0, width), dtype=np.float32)


@dataclass(frozen=True)
class CentreTimes:
    """What the routing from every distinct centre found.

    Attributes
    ----------
    slot
        Road-node position of a centre → its row in the arrays below.
    matrix
        ``road``/``mm``: centre × centre travel times (s); ``dist``: centre × centre length
        (m) of the shortest road route.
    reach
        Per mode and centre: the reach cells inside its ``reach_band_min`` circle.
    place_s
        Per mode and centre: travel time (s) to every populated place.
    """

    slot: dict[int, int]
    matrix: dict[str, np.ndarray]
    reach: dict[str, list[np.ndarray]]
    place_s: dict[str, list[np.ndarray]]

    def both_ways(self, kind: str, a: int, b: int) -> np.floating:
        """Sum of the two directions' ``kind`` (``road``, ``mm``: seconds; ``dist``: metres)
        between centres ``a`` and ``b``, in the matrices' precision."""
        m = self.matrix[kind]
        sa, sb = self.slot[a], self.slot[b]
        return m[sa, sb] + m[sb, sa]

    def reached(self, mode: str, centre: int) -> np.ndarray:
        """Reach cells inside the circle of ``centre``."""
        return self.reach[mode][self.slot[centre]]

    def place_times(self, mode: str, centre: int) -> np.ndarray:
        """Travel time (s) from ``centre`` to every populated place."""
        return self.place_s[mode][self.slot[centre]]


def route_centres(
    rows: Sequence[CorridorRow],
    graphs: dict[str, CSRGraph],
    distance_graph: CSRGraph,
    grid: ReachGrid,
    places: PopulatedPlaces,
    *,
    band_s: float,
    workers: int = 1,
) -> CentreTimes:
    """Route from every distinct centre of ``rows`` on the ``road`` and ``mm`` graphs of
    ``graphs`` (road nodes first) and on ``distance_graph`` (the road graph in metres)."""
    centres = np.unique([p for r in rows for p in (r.centre_a, r.centre_b) if p >= 0])
    centres = centres.astype(np.int64)
    n_road = distance_graph.n_nodes
    reach: dict[str, list[np.ndarray]] = {mode: [] for mode in MODES}
    place_s: dict[str, list[np.ndarray]] = {mode: [] for mode in MODES}
    between: dict[str, list[np.ndarray]] = {mode: [] for mode in (*MODES, "dist")}
    for start in range(0, len(centres), CENTRE_CHUNK):
        chunk = centres[start : start + CENTRE_CHUNK]
        for mode in MODES:
            times = travel_times(graphs[mode], chunk, workers=workers)[:, :n_road]
            for row_s in times:
                reach[mode].append(grid.reached(row_s, band_s))
                place_s[mode].append(places.snap.times(row_s))
            between[mode].append(times[:, centres])
        metres = travel_times(distance_graph, chunk, workers=workers)
        between["dist"].append(metres[:, centres])
    matrix = {k: (np.vstack(v) if v else np.empty((0, 0), np.float32)) for k, v in between.items()}
    logger.info("routed from %d centres", len(centres))
    return CentreTimes(
        slot={int(p): k for k, p in enumerate(centres)},
        matrix=matrix,
        reach=reach,
        place_s=place_s,
    )
