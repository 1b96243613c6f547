"""The backlog of open 断头路 of each corridor: how many dead ends the gaps stage found on its
border, and what opening them would save.

A gap counts while it is open (its review status is not 误报 or 已打通) and trusted: of high or
medium confidence (:mod:`spatialint.gaps.confidence`), or confirmed by a reviewer (确认, 在建)
whatever its confidence. An unreviewed low-confidence finding — a housing-estate cul-de-sac, a
turning circle — is left out, as the map and report leave it out.

The benefit adds up the gaps stage's ranking key (:func:`spatialint.gaps.benefit.ranking_column`),
the one measure that is additive over gaps:

- ``open_gap_benefit_min`` = Σ ``minutes_saved_per_trip`` — the mean saving over *all* sampled
  trips around a gap, so the sum is the minutes saved by one sampled trip around each open gap;
- ``open_gap_person_minutes`` = Σ ``person_minutes_saved`` — person-minutes saved when every
  resident near each gap makes one trip across it; NaN when the study has no population (the
  gaps stage then ranks by minutes per trip).

``minutes_saved_mean`` (the mean over the *improved* trips only) is not summed: its trips differ
from gap to gap, so a sum of such means measures nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from spatialint.gaps.benefit import RANKING_COLUMNS, ranking_column
from spatialint.gaps.confidence import HIGH, MEDIUM
from spatialint.integration.rows import CorridorRow
from spatialint.unit_hierarchy import coarser_unit_ids

logger = logging.getLogger(__name__)

CLOSED_GAP_STATUSES = ("误报", "已打通")
"""Review statuses of gaps that no longer count as open 断头路 (false positive, opened)."""
CONFIRMED_GAP_STATUSES = ("确认", "在建")
"""Review statuses that make a gap count whatever its confidence (confirmed, being built)."""
TRUSTED_LEVELS = (HIGH, MEDIUM)
"""Confidence levels a gap counts with before anyone reviewed it."""

GAP_UNIT_COLUMNS = ("unit_id", "other_unit_id")
"""The ``dead_ends`` columns naming the two units of a gap (ids at ``admin.border_level``)."""

PERSON_MINUTES, MINUTES_PER_TRIP = RANKING_COLUMNS
"""The ``dead_ends`` columns summed: the ranking key with population, and without."""

BACKLOG_COLUMNS = ("open_gaps", "open_gap_benefit_min", "open_gap_person_minutes")
"""The corridor table's columns of the backlog."""


@dataclass(frozen=True)
class Backlog:
    """Open gaps and their summed benefit, one entry per unit pair (or corridor row).

    Attributes
    ----------
    open_gaps
        Number of open gaps (float: NaN where no backlog applies).
    benefit_min
        Σ ``minutes_saved_per_trip`` of the open gaps (minutes per sampled trip, summed).
    person_minutes
        Σ ``person_minutes_saved`` of the open gaps; NaN without population.
    """

    open_gaps: np.ndarray
    benefit_min: np.ndarray
    person_minutes: np.ndarray

    @classmethod
    def not_applicable(cls, n: int) -> Backlog:
        """``n`` entries without a backlog (NaN)."""
        return cls(*(np.full(n, np.nan) for _ in range(3)))

    def columns(self) -> dict[str, np.ndarray]:
        """The backlog as the corridor table's columns."""
        return dict(
            zip(
                BACKLOG_COLUMNS,
                (self.open_gaps, self.benefit_min, self.person_minutes),
                strict=True,
            )
        )


def open_gaps(dead_ends: pd.DataFrame) -> pd.DataFrame:
    """The gaps still open and trusted: review status not in :data:`CLOSED_GAP_STATUSES`, and
    a confidence of :data:`TRUSTED_LEVELS` or a status of :data:`CONFIRMED_GAP_STATUSES`."""
    status = dead_ends["status"].fillna("").astype(str).str.strip()
    trusted = dead_ends["confidence"].isin(TRUSTED_LEVELS) | status.isin(CONFIRMED_GAP_STATUSES)
    return dead_ends[~status.isin(CLOSED_GAP_STATUSES) & trusted]


def _pair_keys(a: Sequence[str], b: Sequence[str]) -> list[str]:
    """An order-free key of each unit pair (``r1|r2`` for both r1–r2 and r2–r1)."""
    return [f"{min(x, y)}|{max(x, y)}" for x, y in zip(a, b, strict=True)]


def gap_backlog(dead_ends: pd.DataFrame, pairs: Sequence[tuple[str, str]]) -> Backlog:
    """Open 断头路 and their summed benefit for each unordered pair of unit ids.

    Parameters
    ----------
    dead_ends
        The gaps stage's ``dead_ends`` (at least ``unit_id``, ``other_unit_id``, ``status``,
        ``minutes_saved_per_trip`` and ``person_minutes_saved``).
    pairs
        Unit id pairs, in either order.

    Returns
    -------
    Backlog
        Per pair: the open gaps between its units, Σ ``minutes_saved_per_trip`` and
        Σ ``person_minutes_saved`` (all NaN when the study has no population, i.e. when the
        gaps are ranked by minutes per trip). A gap whose benefit is NaN adds nothing.
    """
    with_population = len(dead_ends) > 0 and ranking_column(dead_ends) == PERSON_MINUTES
    gaps = open_gaps(dead_ends)
    a, b = (gaps[c].astype(str).tolist() for c in GAP_UNIT_COLUMNS)
    summed = (
        pd.DataFrame(
            {
                "key": _pair_keys(a, b),
                "gaps": 1.0,
                "minutes": gaps[MINUTES_PER_TRIP].to_numpy(float),
                "people": gaps[PERSON_MINUTES].to_numpy(float),
            }
        )
        .groupby("key")
        .sum()  # NaN benefits add nothing
        .reindex(_pair_keys([x for x, _ in pairs], [y for _, y in pairs]), fill_value=0.0)
    )
    return Backlog(
        open_gaps=summed["gaps"].to_numpy(float),
        benefit_min=summed["minutes"].to_numpy(float),
        person_minutes=(
            summed["people"].to_numpy(float) if with_population else np.full(len(pairs), np.nan)
        ),
    )


def lift_gap_units(dead_ends: pd.DataFrame, coarser: dict[str, str]) -> pd.DataFrame:
    """``dead_ends`` with its unit ids replaced by those of the coarser units containing them
    (``coarser`` maps a border-level unit id to its coarser unit's id; "" outside all)."""
    lifted = dead_ends.copy()
    for column in GAP_UNIT_COLUMNS:
        lifted[column] = lifted[column].astype(str).map(coarser).fillna("")
    return lifted


def corridor_backlog(
    rows: Sequence[CorridorRow],
    units_m: gpd.GeoDataFrame,
    border_level: int,
    dead_ends: pd.DataFrame,
) -> Backlog:
    """The backlog of every row of the corridor table.

    The gaps' unit ids are at ``border_level``; for a row at a coarser level (a named corridor
    between cities) they are lifted to the coarser units first, so the gaps between units lying
    in its two units count. Rows at a finer level than ``border_level`` get NaN and a reason
    (the gaps stage only looks at borders of ``border_level``), as do rows with an end outside
    every unit.
    """
    out = Backlog.not_applicable(len(rows))
    unit_ids = units_m["unit_id"].astype(str).to_numpy()
    for level in sorted({r.level for r in rows}):
        mine = [k for k, r in enumerate(rows) if r.level == level and r.has_units]
        if level > border_level:
            for k in mine:
                rows[k].reasons.append(
                    f"gaps are only found on admin_level {border_level} borders: no backlog at "
                    f"level {level}"
                )
            continue
        if not mine:
            continue
        gaps = dead_ends
        if level != border_level and len(gaps):
            gaps = lift_gap_units(gaps, coarser_unit_ids(units_m, border_level, level))
        pairs = [(unit_ids[rows[k].unit_a], unit_ids[rows[k].unit_b]) for k in mine]
        found = gap_backlog(gaps, pairs)
        out.open_gaps[mine] = found.open_gaps
        out.benefit_min[mine] = found.benefit_min
        out.person_minutes[mine] = found.person_minutes
    return out


def no_dead_ends() -> pd.DataFrame:
    """An empty ``dead_ends`` table (a study measured without the gaps stage)."""
    return pd.DataFrame(
        {
            **{c: pd.Series(dtype=object) for c in (*GAP_UNIT_COLUMNS, "status", "confidence")},
            MINUTES_PER_TRIP: pd.Series(dtype=float),
            PERSON_MINUTES: pd.Series(dtype=float),
        }
    )
