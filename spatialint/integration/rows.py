"""The rows of the corridor table: every pair of neighbouring units at ``admin.border_level``,
then every named corridor of ``integration.corridors`` at the coarsest admin level that
separates its two origins (长沙–株洲 between the cities, not between two districts)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from spatialint.errors import ConfigError, DataError
from spatialint.integration.border import assign_units
from spatialint.network.graph import CSRGraph
from spatialint.settings import CorridorSpec

logger = logging.getLogger(__name__)

NO_POSITION = -1
"""Position of a unit, centre node or border that does not exist (outside every unit, ...)."""


@dataclass
class CorridorRow:
    """One row to measure: two units (row positions in the projected units table), the road
    nodes it is measured between, and the reasons for every measure it lacks.

    ``centre_a``/``centre_b`` are positions in the road graph, ``border`` the row of the
    level's shared borders, ``finest_a``/``finest_b`` the units of the finest border level
    holding its two ends (whose hierarchy says which border the row crosses); each is
    :data:`NO_POSITION` when missing.
    """

    kind: str
    name: str
    level: int
    unit_a: int
    unit_b: int
    centre_a: int
    centre_b: int
    lonlat_a: tuple[float, float]
    lonlat_b: tuple[float, float]
    origin_a: str = ""
    origin_b: str = ""
    border: int = NO_POSITION
    finest_a: int = NO_POSITION
    finest_b: int = NO_POSITION
    reasons: list[str] = field(default_factory=list)

    @property
    def has_units(self) -> bool:
        """Both ends lie in a unit."""
        return min(self.unit_a, self.unit_b) >= 0

    @property
    def has_centres(self) -> bool:
        """Both ends have a road node."""
        return min(self.centre_a, self.centre_b) >= 0

    @property
    def same_unit(self) -> bool:
        """Both ends lie in one unit: there is no border between them to measure."""
        return self.has_units and self.unit_a == self.unit_b

    def pair(self) -> tuple[int, int, int]:
        """The row's level and its two units, in either order: one key per pair."""
        return (self.level, *sorted((self.unit_a, self.unit_b)))


def without_duplicated_pairs(
    neighbours: list[CorridorRow], named: list[CorridorRow]
) -> list[CorridorRow]:
    """The neighbour rows that no named corridor measures already.

    A named corridor between two neighbouring units at ``border_level`` (东城区–东山县 named as
    a corridor of their two centres) is the same pair at the same level: it keeps the
    planners' name and origins, and the neighbour row goes, so no pair is listed twice.
    """
    named_pairs = {row.pair() for row in named if not row.same_unit}
    kept = [row for row in neighbours if row.pair() not in named_pairs]
    for row in neighbours:
        if row.pair() in named_pairs:
            logger.info("%s is a named corridor: listed once, under its name", row.name)
    return kept


def neighbour_rows(
    units_m: gpd.GeoDataFrame,
    level: int,
    borders: pd.DataFrame,
    centre_pos: np.ndarray,
    centre_ok: np.ndarray,
) -> list[CorridorRow]:
    """A row per pair of units sharing a border (``borders``: ``a``, ``b`` unit positions).

    ``centre_pos`` is the road node nearest each unit's centre, ``centre_ok`` whether it is
    within ``access.snap_max_m``; a unit without one gets a reason.
    """
    rows = []
    for k, (a, b) in enumerate(zip(borders["a"], borders["b"], strict=True)):
        a, b = int(a), int(b)
        row = CorridorRow(
            kind="neighbours",
            name=f"{units_m['name'].iat[a]}–{units_m['name'].iat[b]}",
            level=level,
            unit_a=a,
            unit_b=b,
            centre_a=int(centre_pos[a]) if centre_ok[a] else NO_POSITION,
            centre_b=int(centre_pos[b]) if centre_ok[b] else NO_POSITION,
            lonlat_a=_centre_lonlat(units_m, a),
            lonlat_b=_centre_lonlat(units_m, b),
            border=k,
            finest_a=a,
            finest_b=b,
        )
        row.reasons.extend(_centre_reason(units_m, u) for u in (a, b) if not centre_ok[u])
        rows.append(row)
    return rows


def _centre_lonlat(units_m: gpd.GeoDataFrame, unit: int) -> tuple[float, float]:
    return float(units_m["centre_lon"].iat[unit]), float(units_m["centre_lat"].iat[unit])


def _centre_reason(units_m: gpd.GeoDataFrame, unit: int) -> str:
    """Why a unit has no centre node."""
    name = units_m["name"].iat[unit]
    if not np.isfinite(_centre_lonlat(units_m, unit)).all():
        return f"{name} has no centre in admin_units"
    return f"centre of {name} is farther than access.snap_max_m from the road network"


def corridor_name(corridor: CorridorSpec) -> str:
    """The corridor's label: its ``name``, else ``from–to``."""
    return corridor.name or f"{corridor.from_}–{corridor.to}"


def origin_units(origins: gpd.GeoDataFrame, units_m: gpd.GeoDataFrame) -> dict[int, np.ndarray]:
    """For each admin level: the position in ``units_m`` of the unit holding each origin (-1
    outside every unit of that level)."""
    points = origins.to_crs(units_m.crs).geometry
    unit_level = units_m["admin_level"].to_numpy()
    out = {}
    for level in sorted(set(unit_level.tolist())):
        idx = np.flatnonzero(unit_level == level)
        found = assign_units(points, units_m.iloc[idx].reset_index(drop=True))
        out[int(level)] = np.where(found >= 0, idx[np.maximum(found, 0)], NO_POSITION)
    return out


def separating_level(by_level: dict[int, np.ndarray], ia: int, ib: int, default: int) -> int:
    """The coarsest level whose units hold origins ``ia`` and ``ib`` apart (``default`` when
    none does)."""
    for level in sorted(by_level):
        ua, ub = by_level[level][ia], by_level[level][ib]
        if ua >= 0 and ub >= 0 and ua != ub:
            return level
    return default


def named_corridor_rows(
    corridors: Sequence[CorridorSpec],
    origins: gpd.GeoDataFrame | None,
    road_graph: CSRGraph,
    units_m: gpd.GeoDataFrame,
    border_level: int,
) -> list[CorridorRow]:
    """Rows of the named corridors, each at the coarsest admin level that separates its ends.

    长沙–株洲 is measured between the cities (level 5) when both cities are in the units, not
    between the two districts the centres happen to lie in; a corridor whose ends share every
    unit falls back to ``border_level`` and says so.

    Raises
    ------
    ConfigError
        If a corridor names an origin the study does not have.
    DataError
        If there are no origins, or they do not match the road graph.
    """
    if not corridors:
        return []
    if origins is None or len(origins) == 0:
        raise DataError(
            "integration.corridors names origins but access/origins.gpkg has none; add the "
            "origins under access.origins or remove the corridors."
        )
    by_name = {str(n): i for i, n in enumerate(origins["name"])}
    by_level = origin_units(origins, units_m)
    finest = by_level.get(border_level, np.full(len(origins), NO_POSITION))
    rows = []
    for corridor in corridors:
        ia, ib = (_origin_position(by_name, end, corridor) for end in (corridor.from_, corridor.to))
        try:
            pos = road_graph.index_of(origins["node_id"].to_numpy()[[ia, ib]])
        except KeyError as err:
            raise DataError(
                f"origins.gpkg and road_graph do not match ({err}); rerun the access stage."
            ) from err
        level = separating_level(by_level, ia, ib, border_level)
        ua, ub = int(by_level[level][ia]), int(by_level[level][ib])
        pa, pb = origins.geometry.iloc[ia], origins.geometry.iloc[ib]
        row = CorridorRow(
            kind="corridor",
            name=corridor_name(corridor),
            level=level,
            unit_a=ua,
            unit_b=ub,
            centre_a=int(pos[0]),
            centre_b=int(pos[1]),
            lonlat_a=(float(pa.x), float(pa.y)),
            lonlat_b=(float(pb.x), float(pb.y)),
            origin_a=corridor.from_,
            origin_b=corridor.to,
            finest_a=int(finest[ia]),
            finest_b=int(finest[ib]),
        )
        for unit, origin in ((ua, corridor.from_), (ub, corridor.to)):
            if unit < 0:
                row.reasons.append(f"origin {origin} lies outside every unit")
        if ua >= 0 and ua == ub:
            row.reasons.append("both origins lie in the same unit: no border, no index")
        rows.append(row)
    return rows


def _origin_position(by_name: dict[str, int], name: str, corridor: CorridorSpec) -> int:
    if name not in by_name:
        raise ConfigError(
            f"integration.corridors: origin {name!r} (corridor {corridor_name(corridor)!r}) is "
            f"not an origin of this study; known origins: {', '.join(sorted(by_name))}."
        )
    return by_name[name]


def attach_border(row: CorridorRow, borders: pd.DataFrame) -> None:
    """Set a named corridor's ``border`` to its units' shared border at its level, if any."""
    a, b = min(row.unit_a, row.unit_b), max(row.unit_a, row.unit_b)
    hit = np.flatnonzero((borders["a"].to_numpy() == a) & (borders["b"].to_numpy() == b))
    row.border = int(hit[0]) if len(hit) else NO_POSITION
    if a >= 0 and a != b and row.border < 0:
        row.reasons.append("the two units share no border: border measures not applicable")
