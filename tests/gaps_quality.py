"""How good a list of 断头路 is against known answers: recall and precision@10.

A planted gap is *found* when a detected dead end has one of its end nodes as ``node_id`` or
``other_node_id``. Over the ranked findings (``rank``, confidence first, then benefit):

``recall``
    planted gaps found / planted gaps;
``precision_at_10``
    findings among the first 10 (all of them when there are fewer) that are planted gaps;
    unplanted findings count as false, so on real data (where some may be real gaps) it is a
    lower bound;
``shown_precision``
    the same over the findings the map and report show by default (high + medium).

Marked cul-de-sacs / decoys are dead ends a reviewer rejects: each must be absent or of low
confidence, and every planted gap must rank above every one of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spatialint.gaps.confidence import HIGH, MEDIUM

TOP_K = 10
#: The levels the map and report show by default (``maps.gap_confidence``).
SHOWN_LEVELS = (HIGH, MEDIUM)


@dataclass(frozen=True)
class Quality:
    """The scores of one ranked list of findings."""

    planted: int
    found: int
    recall: float
    precision_at_10: float
    shown: int
    shown_precision: float
    planted_ranks: dict[str, int]  # planted gap -> rank of its best finding
    decoy_ranks: dict[int, int]  # decoy end node -> rank of its finding (found ones only)
    decoy_levels: dict[int, str]  # decoy end node -> confidence (found ones only)

    def line(self) -> str:
        """One line for a report."""
        return (
            f"recall {self.found}/{self.planted} = {self.recall:.2f}, precision@10 "
            f"{self.precision_at_10:.2f}, shown (high+medium) {self.shown} with precision "
            f"{self.shown_precision:.2f}; planted ranks {self.planted_ranks}, decoys "
            f"{ {n: (self.decoy_ranks[n], self.decoy_levels[n]) for n in self.decoy_ranks} }"
        )


def score(
    dead: pd.DataFrame, planted: Mapping[str, Iterable[int]], decoys: Iterable[int]
) -> Quality:
    """Score the ``dead_ends`` table against planted gaps (name -> end node ids) and decoys
    (end node ids)."""
    found = dead[dead["found"].astype(bool)].sort_values("rank")
    nodes = found["node_id"].to_numpy(np.int64)
    others = found["other_node_id"].to_numpy(np.int64)
    ranks = found["rank"].to_numpy(np.int64)
    relevant = np.zeros(len(found), dtype=bool)
    planted_ranks = {}
    for name, ends in planted.items():
        hit = np.isin(nodes, list(ends)) | np.isin(others, list(ends))
        relevant |= hit
        if hit.any():
            planted_ranks[name] = int(ranks[hit].min())
    top = relevant[: min(TOP_K, len(found))]
    shown = found["confidence"].isin(SHOWN_LEVELS).to_numpy()
    decoy = found[found["node_id"].isin(list(decoys))]
    return Quality(
        planted=len(planted),
        found=len(planted_ranks),
        recall=len(planted_ranks) / len(planted) if planted else 1.0,
        precision_at_10=float(top.mean()) if len(top) else 0.0,
        shown=int(shown.sum()),
        shown_precision=float(relevant[shown].mean()) if shown.any() else 0.0,
        planted_ranks=planted_ranks,
        decoy_ranks=dict(zip(decoy["node_id"].astype(int), decoy["rank"].astype(int), strict=True)),
        decoy_levels=dict(zip(decoy["node_id"].astype(int), decoy["confidence"], strict=True)),
    )
