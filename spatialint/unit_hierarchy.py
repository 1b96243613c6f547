"""Which border two units lie across: 省界, 市界 or 县界.

A study's border levels (``admin.border_level``, e.g. ``[4, 5, 6]``) are sorted coarse → fine;
gaps and neighbouring pairs are found between units of the finest level. Each of those units
lies in one unit of every coarser border level — the one covering most of its area
(:func:`containing_units`) — and two units are separated at the coarsest border level where
those differ: two counties of different provinces cross a 省界 even where their prefectures
differ too.

The one place where the gaps stage (:mod:`spatialint.gaps.stage`) and the integration stage
(:mod:`spatialint.integration.table`, :mod:`spatialint.integration.backlog`) look up the unit
containing another.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from spatialint.contracts.network import border_word
from spatialint.errors import DataError
from spatialint.geo import utm_crs_for

logger = logging.getLogger(__name__)

MIN_SHARE = 0.5
"""A unit lies in the coarser unit covering more than this share of its area (the rest is
digitising slivers); a unit no coarser unit covers that much lies in none."""


def _metric_geometries(units: gpd.GeoDataFrame) -> np.ndarray:
    """The units' valid geometries in metres (a geographic CRS is projected to its UTM zone)."""
    if units.crs is not None and units.crs.is_geographic and len(units):
        west, south, east, north = units.total_bounds
        units = units.to_crs(utm_crs_for((west + east) / 2, (south + north) / 2))
    return shapely.make_valid(np.asarray(units.geometry.values))


def containing_units(units: gpd.GeoDataFrame, fine: np.ndarray, coarse: np.ndarray) -> np.ndarray:
    """For each unit at positions ``fine`` of ``units``, the position of the unit among
    ``coarse`` covering most of its area (more than :data:`MIN_SHARE`); -1 for none."""
    out = np.full(len(fine), -1, dtype=np.int64)
    if len(fine) == 0 or len(coarse) == 0:
        return out
    geoms = _metric_geometries(units)
    fine_g, coarse_g = geoms[np.asarray(fine)], geoms[np.asarray(coarse)]
    f, c = shapely.STRtree(coarse_g).query(fine_g, predicate="intersects")
    area = shapely.area(fine_g[f])
    share = np.divide(
        shapely.area(shapely.intersection(fine_g[f], coarse_g[c])),
        area,
        out=np.zeros(len(f)),
        where=area > 0,
    )
    order = np.lexsort((-share, f))  # per fine unit, the largest share first
    f, c, share = f[order], c[order], share[order]
    first = np.ones(len(f), dtype=bool)
    first[1:] = f[1:] != f[:-1]
    best = first & (share > MIN_SHARE)
    out[f[best]] = np.asarray(coarse)[c[best]]
    return out


def coarser_unit_ids(units: gpd.GeoDataFrame, fine_level: int, level: int) -> dict[str, str]:
    """Unit id at ``fine_level`` → id of the ``level`` unit containing it (units in none are
    left out)."""
    unit_ids = units["unit_id"].astype(str).to_numpy()
    unit_level = units["admin_level"].astype(int).to_numpy()
    fine = np.flatnonzero(unit_level == fine_level)
    found = containing_units(units, fine, np.flatnonzero(unit_level == level))
    return {unit_ids[u]: unit_ids[p] for u, p in zip(fine, found, strict=True) if p >= 0}


def check_levels_present(units: pd.DataFrame, border_levels: Sequence[int]) -> None:
    """Refuse border levels no admin unit has.

    Raises
    ------
    DataError
        Naming the levels missing, the list they belong to, the levels present and what to do.
    """
    present = sorted(set(units["admin_level"].astype(int).tolist()))
    missing = [level for level in border_levels if level not in present]
    if not missing:
        return
    if len(border_levels) == 1:
        raise DataError(
            f"admin_units has no unit at admin.border_level {missing[0]}. Levels present: "
            f"{present}. Set admin.border_level to one of them (and list it in admin.levels); "
            "units that reach beyond the extract are not built (network/admin_report.txt)."
        )
    raise DataError(
        f"admin_units has no unit at admin_level {missing} of admin.border_level "
        f"{list(border_levels)}. Levels present: {present}. Remove {missing} from "
        "admin.border_level, or take an extract holding whole units of that level: units "
        "that reach beyond the extract are not built (network/admin_report.txt lists them)."
    )


@dataclass(frozen=True)
class UnitHierarchy:
    """The units of every coarser border level containing each unit of the finest one.

    Attributes
    ----------
    levels
        The border levels, coarse → fine.
    ancestors
        Per level coarser than the finest: finest unit id → containing unit id.
    names
        Unit id → name (for the notes of units lying in no coarser unit).
    """

    levels: tuple[int, ...]
    ancestors: dict[int, dict[str, str]]
    names: dict[str, str]

    @classmethod
    def build(cls, units: gpd.GeoDataFrame, border_levels: Sequence[int]) -> UnitHierarchy:
        """The hierarchy of ``units`` (the ``admin_units`` table) over ``border_levels``;
        logs one warning naming the finest units that lie in no coarser unit.

        Raises
        ------
        DataError
            If a border level has no unit (:func:`check_levels_present`).
        """
        levels = tuple(sorted(int(v) for v in border_levels))
        check_levels_present(units, levels)
        finest = levels[-1]
        ancestors = {level: coarser_unit_ids(units, finest, level) for level in levels[:-1]}
        out = cls(levels, ancestors, dict(zip(units["unit_id"], units["name"], strict=True)))
        ids = units.loc[units["admin_level"].astype(int) == finest, "unit_id"].astype(str)
        lost = [u for u in ids if out.unplaced(u)]
        if lost:
            logger.warning(
                "%d unit(s) of admin_level %d lie in no unit of admin_level %s (%s): the "
                "findings and corridors of their borders are counted at admin_level %d, and "
                "say so",
                len(lost),
                finest,
                ", ".join(map(str, levels[:-1])),
                ", ".join(out.names.get(u, u) for u in lost[:5]),
                finest,
            )
        return out

    @property
    def finest(self) -> int:
        """The finest border level."""
        return self.levels[-1]

    def unplaced(self, unit_id: str) -> bool:
        """The unit lies in no unit of some coarser border level."""
        return any(unit_id not in found for found in self.ancestors.values())

    def separating_level(self, a: str, b: str) -> int | None:
        """The coarsest border level where units ``a`` and ``b`` (finest level) lie in
        different units; the finest when either lies in no coarser unit; None for the same
        unit or a missing id."""
        if not a or not b or a == b:
            return None
        if self.unplaced(a) or self.unplaced(b):
            return self.finest
        for level in self.levels[:-1]:
            if self.ancestors[level][a] != self.ancestors[level][b]:
                return level
        return self.finest

    def border_columns(
        self,
        a_ids: Sequence[str],
        b_ids: Sequence[str],
        language: str,
        index: pd.Index | None = None,
    ) -> dict[str, pd.Series]:
        """``border_level`` (nullable) and ``border`` (its words) of unit pairs, as the
        contract's :data:`~spatialint.contracts.network.BORDER_COLUMNS` (on ``index``)."""
        found = [self.separating_level(str(a), str(b)) for a, b in zip(a_ids, b_ids, strict=True)]
        words = ["" if v is None else border_word(v, language) for v in found]
        return {
            "border_level": pd.Series(found, index=index, dtype="Int64"),
            "border": pd.Series(words, index=index, dtype=object),
        }

    def unplaced_note(self, a: str, b: str, language: str) -> str:
        """Why a pair's border level is the finest for want of a coarser unit ("" when it
        is not): ``边界级别：甲县不在上级行政区内，按县界计``."""
        lost = [self.names.get(u, u) for u in (a, b) if u and self.unplaced(u)]
        if not lost:
            return ""
        word = border_word(self.finest, language)
        if language == "zh":
            return f"边界级别：{'、'.join(lost)}不在上级行政区内，按{word}计"
        return f"border level: {', '.join(lost)} lies in no coarser unit, counted as {word}"
