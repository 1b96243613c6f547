"""Corridor integration: how well each pair of neighbouring units (and each named corridor) is
knitted together, measured six ways and combined into a 0–100 index.

For every pair of admin units sharing a border at ``admin.border_level`` and every named
corridor of ``integration.corridors`` (two origins by name) :func:`corridor_table` computes

1. **border permeability** — road crossings of the shared border by class, class-weighted,
   per 10 km of border, and the longest stretch of border without a crossing;
2. **centre-to-centre travel** — road and road+rail time, speed over the straight line, and the
   detour index (shortest network distance / straight-line distance);
3. **reach** — share of B's area (and population) inside A's 1-hour circle and back, by road
   and road+rail, and the overlap (Jaccard) of the two 1-hour circles;
4. **border penalty** — median travel time per straight-line km of sampled node pairs in the
   border zone that cross the border, over that of pairs that stay inside one unit, at matched
   straight-line distance bands;
5. **redundancy** — materially different routes within +20 % of the fastest;
6. **integration index** — a weighted mean of the normalised measures, 0–100, and the pair's
   backlog of open 断头路 from the gaps stage.

A named corridor is measured between the units of its two origins at the coarsest admin level
that separates them (长沙–株洲 between the cities, not between two districts).

Rows that cannot be measured carry NaN and say why in ``reason``; nothing fails silently.
The submodules hold the pieces: :mod:`spatialint.integration.border` (shared borders, crossings),
:mod:`spatialint.integration.reach` (cells tied to roads), :mod:`spatialint.integration.penalty`
and :mod:`spatialint.integration.routes` (arc lengths, alternative routes).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.spatial import cKDTree

from spatialint.errors import ConfigError, DataError
from spatialint.fileio import atomic_path, read_layer
from spatialint.geo import WGS84, to_metric, utm_crs_for
from spatialint.integration.border import (
    ROAD_CLASSES,
    assign_units,
    border_crossings,
    longest_uncrossed_m,
    shared_borders,
)
from spatialint.integration.penalty import border_penalty, pair_rng, sample_nodes
from spatialint.integration.reach import ReachGrid, RoadSnap, jaccard, population_share
from spatialint.integration.routes import arc_lengths, redundant_routes, with_weights
from spatialint.network.graph import CSRGraph
from spatialint.network.routing import travel_times

logger = logging.getLogger(__name__)

KM = 1000.0
CENTRE_CHUNK = 16
"""Centres routed per Dijkstra batch (bounds memory to 16 × n_nodes float32 per graph)."""

CLOSED_GAP_STATUSES = ("误报", "已打通")
"""Review statuses of gaps that no longer count as open 断头路 (false positive, opened)."""

INDEX_COMPONENTS = ("permeability", "speed", "reach", "border_penalty", "redundancy")


@dataclass(frozen=True)
class IntegrationSettings:
    """Every threshold of the corridor measures (config ``integration`` and a few shared keys).

    See ``workflow/schemas/config.schema.yaml`` for the meaning, default and source of each.
    """

    border_level: int = 6
    border_tolerance_m: float = 50.0
    crossing_weights: Mapping[str, float] = field(
        default_factory=lambda: {
            "motorway": 4.0,
            "trunk": 3.0,
            "primary": 2.0,
            "secondary": 1.5,
            "tertiary": 1.0,
            "minor": 0.5,
        }
    )
    reach_band_min: float = 60.0
    reach_cell_m: float = 500.0
    access_buffer_m: float = 500.0
    snap_max_m: float = 2000.0
    penalty_seed: int = 42
    penalty_zone_km: float = 10.0
    penalty_sources_per_side: int = 30
    penalty_targets_per_side: int = 200
    penalty_bands_km: Sequence[float] = (0.5, 1, 2, 4, 8, 16, 32, 64, 128)
    penalty_min_pairs_per_band: int = 10
    redundancy_max_time_ratio: float = 1.2
    redundancy_max_overlap: float = 0.5
    redundancy_penalty_factor: float = 2.0
    redundancy_max_iterations: int = 10
    index_weights: Mapping[str, float] = field(
        default_factory=lambda: {
            "permeability": 0.25,
            "speed": 0.2,
            "reach": 0.2,
            "border_penalty": 0.2,
            "redundancy": 0.15,
        }
    )
    target_weighted_crossings_per_10km: float = 10.0
    target_speed_kph: float = 60.0
    target_routes: float = 3.0
    language: str = "zh"

    @classmethod
    def from_study(cls, study: Mapping[str, Any]) -> IntegrationSettings:
        """Settings from a validated, default-filled study config."""
        cfg = study["integration"]
        penalty = cfg["border_penalty"]
        redundancy = cfg["redundancy"]
        index = cfg["index"]
        bands = [float(b) for b in penalty["bands_km"]]
        if any(b1 <= b0 for b0, b1 in zip(bands, bands[1:], strict=False)):
            raise ConfigError(
                f"integration.border_penalty.bands_km is {bands}; the band edges must be "
                "strictly increasing, e.g. [0.5, 1, 2, 4, 8, 16, 32, 64, 128]."
            )
        if not any(float(w) > 0 for w in index["weights"].values()):
            raise ConfigError(
                "integration.index.weights are all 0; give at least one component a weight."
            )
        return cls(
            border_level=int(study["admin"]["border_level"]),
            border_tolerance_m=float(cfg["border_tolerance_m"]),
            crossing_weights={k: float(v) for k, v in cfg["crossing_weights"].items()},
            reach_band_min=float(cfg["reach_band_min"]),
            reach_cell_m=float(cfg["reach_cell_m"]),
            access_buffer_m=float(study["access"]["access_buffer_m"]),
            snap_max_m=float(study["access"]["snap_max_m"]),
            penalty_seed=int(penalty["seed"]),
            penalty_zone_km=float(penalty["zone_km"]),
            penalty_sources_per_side=int(penalty["sources_per_side"]),
            penalty_targets_per_side=int(penalty["targets_per_side"]),
            penalty_bands_km=tuple(bands),
            penalty_min_pairs_per_band=int(penalty["min_pairs_per_band"]),
            redundancy_max_time_ratio=float(redundancy["max_time_ratio"]),
            redundancy_max_overlap=float(redundancy["max_overlap"]),
            redundancy_penalty_factor=float(redundancy["penalty_factor"]),
            redundancy_max_iterations=int(redundancy["max_iterations"]),
            index_weights={k: float(v) for k, v in index["weights"].items()},
            target_weighted_crossings_per_10km=float(index["target_weighted_crossings_per_10km"]),
            target_speed_kph=float(index["target_speed_kph"]),
            target_routes=float(index["target_routes"]),
            language=str(study.get("language", "zh")),
        )


# --------------------------------------------------------------------------------------------
# column labels (also used by the report helper)

COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "rank": ("排名", "Rank"),
    "corridor_id": ("走廊编号", "Corridor id"),
    "kind": ("类型", "Kind"),
    "name": ("走廊", "Corridor"),
    "admin_level": ("行政级别", "Admin level"),
    "unit_a_id": ("单元A编号", "Unit A id"),
    "unit_a": ("单元A", "Unit A"),
    "unit_b_id": ("单元B编号", "Unit B id"),
    "unit_b": ("单元B", "Unit B"),
    "origin_a": ("起点A", "Origin A"),
    "origin_b": ("起点B", "Origin B"),
    "index": ("一体化指数(0-100)", "Integration index (0-100)"),
    "index_basis": ("指数构成", "Index based on"),
    "border_km": ("共同边界长度(km)", "Shared border (km)"),
    "crossings": ("跨界道路数", "Road crossings"),
    **{
        f"crossings_{c}": (
            f"跨界道路数·{zh}",
            f"Crossings: {c}",
        )
        for c, zh in zip(
            ROAD_CLASSES,
            ("高速公路", "干线公路", "主干路", "次干路", "支路", "其他道路"),
            strict=True,
        )
    },
    "weighted_crossings": ("加权跨界道路数", "Weighted crossings"),
    "crossings_per_10km": ("每10公里边界跨界道路数", "Crossings per 10 km of border"),
    "weighted_crossings_per_10km": (
        "每10公里边界加权跨界道路数",
        "Weighted crossings per 10 km of border",
    ),
    "longest_uncrossed_km": (
        "最长无跨界道路边界段(km)",
        "Longest border stretch without crossing (km)",
    ),
    "straight_km": ("中心直线距离(km)", "Straight-line distance of centres (km)"),
    "road_min": ("道路通行时间(分钟)", "Road travel time (min)"),
    "multimodal_min": ("公路+铁路通行时间(分钟)", "Road + rail travel time (min)"),
    "road_kph": ("道路直线速度(km/h)", "Road speed over the straight line (km/h)"),
    "multimodal_kph": (
        "公路+铁路直线速度(km/h)",
        "Road + rail speed over the straight line (km/h)",
    ),
    "road_km": ("最短道路距离(km)", "Shortest road distance (km)"),
    "detour_index": ("绕行系数", "Detour index"),
    "reach_road_ab": ("B面积在A一小时道路圈内比例", "Share of B's area in A's 1-h road circle"),
    "reach_road_ba": ("A面积在B一小时道路圈内比例", "Share of A's area in B's 1-h road circle"),
    "reach_mm_ab": ("B面积在A一小时公铁圈内比例", "Share of B's area in A's 1-h road+rail circle"),
    "reach_mm_ba": ("A面积在B一小时公铁圈内比例", "Share of A's area in B's 1-h road+rail circle"),
    "pop_reach_road_ab": (
        "B人口在A一小时道路圈内比例",
        "Share of B's population in A's 1-h road circle",
    ),
    "pop_reach_road_ba": (
        "A人口在B一小时道路圈内比例",
        "Share of A's population in B's 1-h road circle",
    ),
    "pop_reach_mm_ab": (
        "B人口在A一小时公铁圈内比例",
        "Share of B's population in A's 1-h road+rail circle",
    ),
    "pop_reach_mm_ba": (
        "A人口在B一小时公铁圈内比例",
        "Share of A's population in B's 1-h road+rail circle",
    ),
    "overlap_road": ("一小时道路圈重叠度", "Overlap of the 1-h road circles (Jaccard)"),
    "overlap_mm": ("一小时公铁圈重叠度", "Overlap of the 1-h road+rail circles (Jaccard)"),
    "border_penalty": ("边界阻抗系数", "Border penalty"),
    "penalty_pairs_cross": ("跨界样本对数", "Sampled cross-border pairs"),
    "penalty_pairs_inside": ("单元内样本对数", "Sampled within-unit pairs"),
    "routes": ("可替代路线数", "Materially different routes"),
    "open_gaps": ("未打通断头路数", "Open 断头路 (dead-end roads)"),
    "open_gap_benefit_min": (
        "打通断头路节省时间合计(分钟/次受益出行)",
        "Minutes saved by opening them (per improved trip, summed over the gaps)",
    ),
    "reason": ("说明", "Note"),
    "summary": ("摘要", "Summary"),
}
"""Output column → (中文, English) header, for the XLSX and the report."""

KIND_LABELS: dict[str, tuple[str, str]] = {
    "neighbours": ("相邻单元", "neighbouring units"),
    "corridor": ("指定走廊", "named corridor"),
}
"""Values of the ``kind`` column → (中文, English)."""


# --------------------------------------------------------------------------------------------
# the integration index


def integration_index(
    table: pd.DataFrame,
    *,
    weights: Mapping[str, float],
    target_weighted_crossings_per_10km: float,
    target_speed_kph: float,
    target_routes: float,
) -> tuple[pd.Series, pd.Series]:
    """Integration index 0–100 and the list of components it rests on.

    Normalised components (each 0–1, higher = better integrated):

    - permeability = min(weighted crossings per 10 km / target, 1)
    - speed = min(max(road, road+rail speed over the straight line) / target speed, 1)
    - reach = mean of the four area reach shares (road and road+rail, both directions)
    - border_penalty = min(1 / border penalty, 1)
    - redundancy = min(routes / target routes, 1)

    index = 100 × Σ w_c s_c / Σ w_c over the components that are not NaN; the components used
    are listed in ``index_basis``. Rows where no component is available get NaN.
    """
    unknown = sorted(set(weights) - set(INDEX_COMPONENTS))
    if unknown:
        raise ConfigError(
            f"integration.index.weights has unknown component(s) {unknown}; "
            f"allowed: {', '.join(INDEX_COMPONENTS)}."
        )
    comp = pd.DataFrame(index=table.index)
    comp["permeability"] = (
        table["weighted_crossings_per_10km"] / target_weighted_crossings_per_10km
    ).clip(upper=1.0)
    speed = table[["road_kph", "multimodal_kph"]].max(axis=1, skipna=True)
    comp["speed"] = (speed / target_speed_kph).clip(upper=1.0)
    comp["reach"] = table[["reach_road_ab", "reach_road_ba", "reach_mm_ab", "reach_mm_ba"]].mean(
        axis=1, skipna=True
    )
    comp["border_penalty"] = (1.0 / table["border_penalty"]).clip(upper=1.0)
    comp["redundancy"] = (table["routes"].astype(float) / target_routes).clip(upper=1.0)
    w = pd.Series({c: float(weights.get(c, 0.0)) for c in INDEX_COMPONENTS})
    available = comp.notna() & (w > 0)
    num = (comp.fillna(0.0) * w).where(available, 0.0).sum(axis=1)
    den = available.mul(w).sum(axis=1)
    index = (100.0 * num / den.replace(0.0, np.nan)).round(1)
    basis = available.apply(lambda row: ",".join(c for c in INDEX_COMPONENTS if row[c]), axis=1)
    return index, basis


# --------------------------------------------------------------------------------------------
# gap backlog


def gap_backlog(
    dead_ends: pd.DataFrame | None,
    pairs: Sequence[tuple[str, str]],
    *,
    unit_columns: tuple[str, str],
    benefit_column: str,
    status_column: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Open 断头路 and their total benefit (minutes) for each unordered pair of unit ids.

    A gap is open unless its review status is one of :data:`CLOSED_GAP_STATUSES`.
    """
    count = np.zeros(len(pairs), dtype=np.int64)
    benefit = np.zeros(len(pairs), dtype=float)
    if dead_ends is None or len(dead_ends) == 0:
        return count, benefit
    missing = [c for c in (*unit_columns, benefit_column, status_column) if c not in dead_ends]
    if missing:
        raise DataError(
            f"gaps.gpkg layer dead_ends lacks column(s) {missing}; rebuild the gaps stage."
        )
    status = dead_ends[status_column].fillna("").astype(str).str.strip()
    open_ = dead_ends[~status.isin(CLOSED_GAP_STATUSES)]
    a = open_[unit_columns[0]].astype(str).to_numpy()
    b = open_[unit_columns[1]].astype(str).to_numpy()
    key = pd.Series([f"{min(x, y)}|{max(x, y)}" for x, y in zip(a, b, strict=True)])
    value = pd.to_numeric(open_[benefit_column], errors="coerce").fillna(0.0).to_numpy()
    grouped = pd.DataFrame({"key": key, "benefit": value}).groupby("key")["benefit"]
    n_by, sum_by = grouped.size(), grouped.sum()
    for k, (x, y) in enumerate(pairs):
        pk = f"{min(x, y)}|{max(x, y)}"
        count[k] = int(n_by.get(pk, 0))
        benefit[k] = float(sum_by.get(pk, 0.0))
    return count, benefit


# --------------------------------------------------------------------------------------------
# the corridor table

GAP_UNIT_COLUMNS = ("unit_id", "other_unit_id")
GAP_BENEFIT_COLUMN = "minutes_saved_mean"
GAP_STATUS_COLUMN = "status"


@dataclass
class _Row:
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
    border: int = -1
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Level:
    """Units of one admin level, as global positions into the table of all units."""

    node_unit: np.ndarray
    borders: pd.DataFrame
    crossings: pd.DataFrame
    cell_unit: np.ndarray
    place_unit: np.ndarray


def _check_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{what} lacks column(s) {missing}; rebuild the stage that writes it.")


def _unit_rows(
    units: pd.DataFrame,
    level: int,
    borders: pd.DataFrame,
    centre_pos: np.ndarray,
    centre_ok: np.ndarray,
) -> list[_Row]:
    rows = []
    for k, (a, b) in enumerate(zip(borders["a"], borders["b"], strict=True)):
        a, b = int(a), int(b)
        row = _Row(
            kind="neighbours",
            name=f"{units['name'].iat[a]}–{units['name'].iat[b]}",
            level=level,
            unit_a=a,
            unit_b=b,
            centre_a=int(centre_pos[a]) if centre_ok[a] else -1,
            centre_b=int(centre_pos[b]) if centre_ok[b] else -1,
            lonlat_a=(float(units["centre_lon"].iat[a]), float(units["centre_lat"].iat[a])),
            lonlat_b=(float(units["centre_lon"].iat[b]), float(units["centre_lat"].iat[b])),
            border=k,
        )
        for unit, ok in ((a, centre_ok[a]), (b, centre_ok[b])):
            if ok:
                continue
            name = units["name"].iat[unit]
            if not np.isfinite(float(units["centre_lon"].iat[unit])) or not np.isfinite(
                float(units["centre_lat"].iat[unit])
            ):
                row.reasons.append(f"{name} has no centre in admin_units")
            else:
                row.reasons.append(
                    f"centre of {name} is farther than access.snap_max_m from the road network"
                )
        rows.append(row)
    return rows


def _corridor_rows(
    corridors: Sequence[Mapping[str, str]],
    origins: gpd.GeoDataFrame | None,
    road_graph: CSRGraph,
    units_m: gpd.GeoDataFrame,
    border_level: int,
) -> list[_Row]:
    """Rows of the named corridors, each at the coarsest admin level that separates its ends.

    长沙–株洲 is measured between the cities (level 5) when both cities are in the units, not
    between the two districts the centres happen to lie in; a corridor whose ends share every
    unit falls back to ``border_level`` and says so.
    """
    if not corridors:
        return []
    if origins is None or len(origins) == 0:
        raise DataError(
            "integration.corridors names origins but access/origins.gpkg has none; add the "
            "origins under access.origins or remove the corridors."
        )
    _check_columns(origins, ("name", "node_id"), "access/origins.gpkg")
    by_name = {str(n): i for i, n in enumerate(origins["name"])}
    points = origins.to_crs(units_m.crs).geometry
    unit_level = units_m["admin_level"].astype(int).to_numpy()
    origin_unit = {}
    for level in sorted(set(unit_level)):
        idx = np.flatnonzero(unit_level == level)
        found = assign_units(points, units_m.iloc[idx].reset_index(drop=True))
        origin_unit[level] = np.where(found >= 0, idx[np.maximum(found, 0)], -1)
    rows = []
    for corridor in corridors:
        ends = []
        for key in ("from", "to"):
            name = str(corridor[key])
            if name not in by_name:
                raise ConfigError(
                    f"integration.corridors: origin {name!r} (corridor "
                    f"{corridor.get('name', corridor['from'] + '–' + corridor['to'])!r}) is not "
                    f"an origin of this study; known origins: {', '.join(sorted(by_name))}."
                )
            ends.append(by_name[name])
        ia, ib = ends
        try:
            pos = road_graph.index_of(origins["node_id"].to_numpy()[[ia, ib]])
        except KeyError as err:
            raise DataError(
                f"origins.gpkg and road_graph do not match ({err}); rerun the access stage."
            ) from err
        level = border_level
        for candidate in sorted(origin_unit):
            ua, ub = origin_unit[candidate][ia], origin_unit[candidate][ib]
            if ua >= 0 and ub >= 0 and ua != ub:
                level = candidate
                break
        ua, ub = int(origin_unit[level][ia]), int(origin_unit[level][ib])
        pa, pb = origins.geometry.iloc[ia], origins.geometry.iloc[ib]
        row = _Row(
            kind="corridor",
            name=str(corridor.get("name") or f"{corridor['from']}–{corridor['to']}"),
            level=level,
            unit_a=ua,
            unit_b=ub,
            centre_a=int(pos[0]),
            centre_b=int(pos[1]),
            lonlat_a=(float(pa.x), float(pa.y)),
            lonlat_b=(float(pb.x), float(pb.y)),
            origin_a=str(corridor["from"]),
            origin_b=str(corridor["to"]),
        )
        for unit, origin in ((ua, corridor["from"]), (ub, corridor["to"])):
            if unit < 0:
                row.reasons.append(f"origin {origin} lies outside every unit")
        if ua >= 0 and ua == ub:
            row.reasons.append("both origins lie in the same unit: no border between them")
        rows.append(row)
    return rows


def _dijkstra_rows(
    graph: CSRGraph, sources: np.ndarray, columns: np.ndarray | None = None, *, workers: int = 1
) -> np.ndarray:
    """Times from ``sources`` (chunked), keeping only ``columns`` when given."""
    out = []
    for start in range(0, len(sources), CENTRE_CHUNK):
        times = travel_times(graph, sources[start : start + CENTRE_CHUNK], workers=workers)
        out.append(times if columns is None else times[:, columns])
    width = graph.n_nodes if columns is None else len(columns)
    return np.vstack(out) if out else np.empty((0, width), dtype=np.float32)


def corridor_table(
    units: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    road_graph: CSRGraph,
    multimodal_graph: CSRGraph,
    *,
    settings: IntegrationSettings,
    origins: gpd.GeoDataFrame | None = None,
    corridors: Sequence[Mapping[str, str]] = (),
    places: gpd.GeoDataFrame | None = None,
    dead_ends: pd.DataFrame | None = None,
    gap_unit_columns: tuple[str, str] = GAP_UNIT_COLUMNS,
    gap_benefit_column: str = GAP_BENEFIT_COLUMN,
    gap_status_column: str = GAP_STATUS_COLUMN,
    workers: int = 1,
) -> gpd.GeoDataFrame:
    """Every corridor measure for every neighbouring pair of units and every named corridor.

    Parameters
    ----------
    units
        ``network/admin_units.gpkg``. Neighbouring pairs are formed at
        ``settings.border_level``; a named corridor is measured at the coarsest level whose
        units separate its two origins (e.g. between the cities for 长沙–株洲).
    edges
        ``network/road_edges.parquet`` (GeoDataFrame).
    road_graph, multimodal_graph
        ``network/road_graph.npz`` and ``network/multimodal_graph.npz`` (road nodes first).
    settings
        Thresholds, see :class:`IntegrationSettings`.
    origins
        ``access/origins.gpkg`` (needed when ``corridors`` is not empty).
    corridors
        ``integration.corridors``: mappings with ``from``, ``to`` (origin names), ``name``.
    places
        ``network/places.parquet``; places with a ``population`` give the population reach.
    dead_ends
        ``gaps/gaps.gpkg`` layer ``dead_ends`` for the backlog of open 断头路 (its unit ids
        are at ``border_level``; for a corridor at a coarser level the gaps between units
        lying in its two units count).
    workers
        Processes for the Dijkstra batches (see :func:`spatialint.network.routing.travel_times`).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per corridor (columns of :data:`COLUMN_LABELS`), a centre-to-centre LineString,
        EPSG:4326, sorted by index (best first; rows without an index last).
    """
    _check_columns(
        units, ("unit_id", "name", "admin_level", "centre_lon", "centre_lat"), "admin_units"
    )
    _check_columns(edges, ("u", "v", "osmid", "highway", "length_m", "travel_time_s"), "road_edges")
    unit_levels = pd.to_numeric(units["admin_level"], errors="coerce")
    if not (unit_levels == settings.border_level).any():
        raise DataError(
            f"no admin unit has admin_level {settings.border_level} (admin.border_level); "
            f"the units have levels {sorted(set(unit_levels.dropna().astype(int)))}: set "
            "admin.border_level to one of them."
        )
    n_road = road_graph.n_nodes
    if multimodal_graph.n_nodes < n_road or not np.array_equal(
        multimodal_graph.node_ids[:n_road], road_graph.node_ids
    ):
        raise DataError(
            "multimodal_graph does not start with the road graph's nodes in the same order; "
            "rebuild the network stage."
        )
    if n_road == 0:
        raise DataError("the road graph has no nodes; check the network stage's log.")
    crs = utm_crs_for(road_graph.x, road_graph.y)
    units_m = units[unit_levels.notna()].reset_index(drop=True).to_crs(crs)
    units_m["admin_level"] = units_m["admin_level"].astype(int)
    units_m["geometry"] = shapely.make_valid(units_m.geometry.values)
    unit_level = units_m["admin_level"].to_numpy()
    unit_ids = units_m["unit_id"].astype(str).tolist()
    nx_m, ny_m = to_metric(road_graph.x, road_graph.y, crs)
    node_xy = np.column_stack([nx_m, ny_m])
    node_points = gpd.GeoSeries(shapely.points(node_xy), crs=crs)
    edges_m = edges.reset_index(drop=True).to_crs(crs)
    edge_u, edge_v = road_graph.edge_positions(edges_m["u"].to_numpy(), edges_m["v"].to_numpy())

    # rows: neighbouring units at border_level, then the named corridors ---------------------
    cx, cy = to_metric(units_m["centre_lon"].to_numpy(), units_m["centre_lat"].to_numpy(), crs)
    has_centre = np.isfinite(cx) & np.isfinite(cy)
    snap_m = np.full(len(cx), np.inf)
    centre_pos = np.zeros(len(cx), dtype=np.int64)
    if has_centre.any():
        snap_m[has_centre], centre_pos[has_centre] = cKDTree(node_xy).query(
            np.column_stack([cx[has_centre], cy[has_centre]])
        )
    centre_ok = has_centre & (snap_m <= settings.snap_max_m)
    corridor_rows = _corridor_rows(corridors, origins, road_graph, units_m, settings.border_level)
    levels = sorted({settings.border_level} | {r.level for r in corridor_rows})
    in_levels = np.isin(unit_level, levels)
    grid = ReachGrid.build(
        units_m[in_levels],
        edges_m,
        edge_u,
        cell_m=settings.reach_cell_m,
        snap_m=settings.access_buffer_m,
    )
    place_snap, place_pop, place_xy = _places(places, crs, edges_m, edge_u, settings)
    place_points = gpd.GeoSeries(shapely.points(place_xy), crs=crs)

    def to_global(found: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return np.where(found >= 0, idx[np.maximum(found, 0)], -1)

    level_data: dict[int, _Level] = {}
    for level in levels:
        idx = np.flatnonzero(unit_level == level)
        sub = units_m.iloc[idx].reset_index(drop=True)
        node_unit = to_global(assign_units(node_points, sub), idx)
        borders = shared_borders(sub, tolerance_m=settings.border_tolerance_m)
        borders["a"], borders["b"] = idx[borders["a"].astype(int)], idx[borders["b"].astype(int)]
        crossings = border_crossings(borders, edges_m, (node_unit[edge_u], node_unit[edge_v]))
        level_data[level] = _Level(
            node_unit=node_unit,
            borders=borders,
            crossings=crossings,
            cell_unit=to_global(assign_units(grid.cells(crs), sub), idx),
            place_unit=to_global(assign_units(place_points, sub), idx),
        )
        logger.info(
            "admin_level %d: %d units, %d neighbouring pairs, %d border crossings",
            level,
            len(idx),
            len(borders),
            len(crossings),
        )
    base = level_data[settings.border_level]
    rows = _unit_rows(units_m, settings.border_level, base.borders, centre_pos, centre_ok)
    for row in corridor_rows:
        borders = level_data[row.level].borders
        a, b = min(row.unit_a, row.unit_b), max(row.unit_a, row.unit_b)
        hit = np.flatnonzero((borders["a"].to_numpy() == a) & (borders["b"].to_numpy() == b))
        row.border = int(hit[0]) if len(hit) else -1
        if a >= 0 and a != b and row.border < 0:
            row.reasons.append("the two units share no border: border measures not applicable")
    rows += corridor_rows
    if not rows:
        logger.warning("no neighbouring units and no named corridors: the table is empty")

    # one Dijkstra per distinct centre and graph ---------------------------------------------
    centres = np.unique([p for r in rows for p in (r.centre_a, r.centre_b) if p >= 0]).astype(
        np.int64
    )
    slot = {int(p): k for k, p in enumerate(centres)}
    lengths_m = arc_lengths(road_graph, edges_m)
    distance_graph = with_weights(road_graph, lengths_m)
    band_s = settings.reach_band_min * 60.0
    reach: dict[str, list[np.ndarray]] = {"road": [], "mm": []}
    place_t: dict[str, list[np.ndarray]] = {"road": [], "mm": []}
    centre_t: dict[str, list[np.ndarray]] = {"road": [], "mm": [], "dist": []}
    for start in range(0, len(centres), CENTRE_CHUNK):
        chunk = centres[start : start + CENTRE_CHUNK]
        for mode, graph in (("road", road_graph), ("mm", multimodal_graph)):
            times = travel_times(graph, chunk, workers=workers)[:, :n_road]
            for row_t in times:
                reach[mode].append(grid.reached(row_t, band_s))
                place_t[mode].append(place_snap.times(row_t))
            centre_t[mode].append(times[:, centres])
        centre_t["dist"].append(travel_times(distance_graph, chunk, workers=workers)[:, centres])
    matrix = {k: (np.vstack(v) if v else np.empty((0, 0), np.float32)) for k, v in centre_t.items()}

    # border penalty: seeded samples of the border zone of each pair ------------------------

    def penalty_of(row: _Row, data: _Level) -> tuple[float, int, int]:
        ids = (unit_ids[row.unit_a], unit_ids[row.unit_b])
        rng = pair_rng(settings.penalty_seed, *ids)
        sides = []
        for unit in (row.unit_a, row.unit_b):
            nodes = np.flatnonzero(data.node_unit == unit)
            if row.border >= 0:
                line = data.borders["border"].iat[row.border]
                near = shapely.dwithin(
                    node_points.values[nodes], line, settings.penalty_zone_km * KM
                )
                nodes = nodes[near]
            sides.append(
                (
                    sample_nodes(nodes, settings.penalty_sources_per_side, rng),
                    sample_nodes(nodes, settings.penalty_targets_per_side, rng),
                )
            )
        (src_a, tgt_a), (src_b, tgt_b) = sides
        targets = np.concatenate([tgt_a, tgt_b])
        times = _dijkstra_rows(
            road_graph, np.concatenate([src_a, src_b]), targets, workers=workers
        ).astype(float)
        n_sa, n_ta = len(src_a), len(tgt_a)

        def pairs(rows: slice, cols: slice, src: np.ndarray, tgt: np.ndarray):
            t = times[rows, cols]
            d = np.hypot(
                node_xy[src][:, None, 0] - node_xy[tgt][None, :, 0],
                node_xy[src][:, None, 1] - node_xy[tgt][None, :, 1],
            )
            t = np.where(src[:, None] == tgt[None, :], np.nan, t)
            return t.ravel(), d.ravel() / KM

        ra, rb = slice(0, n_sa), slice(n_sa, None)
        ca, cb = slice(0, n_ta), slice(n_ta, None)
        cross = [pairs(ra, cb, src_a, tgt_b), pairs(rb, ca, src_b, tgt_a)]
        inside = [pairs(ra, ca, src_a, tgt_a), pairs(rb, cb, src_b, tgt_b)]
        return border_penalty(
            np.concatenate([c[0] for c in cross]),
            np.concatenate([c[1] for c in cross]),
            np.concatenate([i[0] for i in inside]),
            np.concatenate([i[1] for i in inside]),
            bands_km=settings.penalty_bands_km,
            min_pairs=settings.penalty_min_pairs_per_band,
        )

    # measures per row -----------------------------------------------------------------------
    records = []
    for row in rows:
        data = level_data[row.level]
        rec = _measure_row(
            row,
            units_m,
            data,
            settings,
            slot,
            matrix,
            node_xy,
            grid,
            reach,
            place_t,
            place_pop,
            band_s,
        )
        if row.unit_a >= 0 and row.unit_b >= 0 and row.unit_a != row.unit_b:
            penalty, n_c, n_i = penalty_of(row, data)
            if not np.isfinite(penalty):
                row.reasons.append(
                    "too few sampled node pairs per distance band for the border penalty"
                )
            rec.update(border_penalty=penalty, penalty_pairs_cross=n_c, penalty_pairs_inside=n_i)
        else:
            rec.update(border_penalty=np.nan, penalty_pairs_cross=0, penalty_pairs_inside=0)
        if row.centre_a >= 0 and row.centre_b >= 0 and row.centre_a != row.centre_b:
            result = redundant_routes(
                road_graph,
                lengths_m,
                row.centre_a,
                row.centre_b,
                max_time_ratio=settings.redundancy_max_time_ratio,
                max_overlap=settings.redundancy_max_overlap,
                penalty_factor=settings.redundancy_penalty_factor,
                max_iterations=settings.redundancy_max_iterations,
            )
            rec["routes"] = result.routes if result.routes else np.nan
        else:
            rec["routes"] = np.nan
        records.append(rec)

    table = pd.DataFrame.from_records(records, columns=_RECORD_COLUMNS)
    table["open_gaps"], table["open_gap_benefit_min"] = _backlog(
        rows,
        units_m,
        settings.border_level,
        dead_ends,
        unit_columns=gap_unit_columns,
        benefit_column=gap_benefit_column,
        status_column=gap_status_column,
    )
    table["reason"] = ["; ".join(dict.fromkeys(row.reasons)) for row in rows]
    table["index"], table["index_basis"] = (
        integration_index(
            table,
            weights=settings.index_weights,
            target_weighted_crossings_per_10km=settings.target_weighted_crossings_per_10km,
            target_speed_kph=settings.target_speed_kph,
            target_routes=settings.target_routes,
        )
        if len(table)
        else (pd.Series(dtype=float), pd.Series(dtype=str))
    )
    table["summary"] = [
        corridor_summary(r, language=settings.language) for r in table.to_dict("records")
    ]
    geometry = [
        shapely.LineString([r.lonlat_a, r.lonlat_b])
        if np.isfinite([*r.lonlat_a, *r.lonlat_b]).all()
        else None
        for r in rows
    ]
    out = gpd.GeoDataFrame(table, geometry=geometry, crs=WGS84)
    out = out.sort_values("index", ascending=False, na_position="last", kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    return out[list(COLUMN_LABELS) + ["geometry"]].reset_index(drop=True)


_RECORD_COLUMNS = [
    c
    for c in COLUMN_LABELS
    if c not in ("rank", "index", "index_basis", "open_gaps", "open_gap_benefit_min", "summary")
]


def _backlog(
    rows: Sequence[_Row],
    units_m: gpd.GeoDataFrame,
    border_level: int,
    dead_ends: pd.DataFrame | None,
    *,
    unit_columns: tuple[str, str],
    benefit_column: str,
    status_column: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Open gaps per row; gap unit ids (border level) are lifted to each row's coarser level.

    Rows at a finer level than ``border_level`` get NaN (and a reason): the gaps stage only
    looks at borders of ``border_level``.
    """
    unit_ids = units_m["unit_id"].astype(str).to_numpy()
    unit_level = units_m["admin_level"].to_numpy()
    base_idx = np.flatnonzero(unit_level == border_level)
    inner = gpd.GeoSeries(
        shapely.point_on_surface(units_m.geometry.values[base_idx]), crs=units_m.crs
    )
    lifted: dict[int, dict[str, str]] = {}
    for level in {r.level for r in rows}:
        if level >= border_level:
            continue
        idx = np.flatnonzero(unit_level == level)
        found = assign_units(inner, units_m.iloc[idx].reset_index(drop=True))
        lifted[level] = {
            unit_ids[b]: unit_ids[idx[f]] for b, f in zip(base_idx, found, strict=True) if f >= 0
        }
    count = np.full(len(rows), np.nan)
    benefit = np.full(len(rows), np.nan)
    for level in {r.level for r in rows}:
        mine = [k for k, r in enumerate(rows) if r.level == level and min(r.unit_a, r.unit_b) >= 0]
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
        if gaps is not None and level != border_level and len(gaps):
            mapping = lifted[level]
            gaps = gaps.copy()
            for column in unit_columns:
                if column in gaps:
                    gaps[column] = gaps[column].astype(str).map(mapping).fillna("")
        pairs = [(unit_ids[rows[k].unit_a], unit_ids[rows[k].unit_b]) for k in mine]
        n, minutes = gap_backlog(
            gaps,
            pairs,
            unit_columns=unit_columns,
            benefit_column=benefit_column,
            status_column=status_column,
        )
        count[mine], benefit[mine] = n, minutes
    return count, benefit


def _places(
    places: gpd.GeoDataFrame | None,
    crs: pyproj.CRS,
    edges_m: gpd.GeoDataFrame,
    edge_u: np.ndarray,
    settings: IntegrationSettings,
) -> tuple[RoadSnap, np.ndarray, np.ndarray]:
    """Places with a population: their road snap (as the reach cells), population and
    metric position."""
    pop = np.empty(0, float)
    xy = np.empty((0, 2), float)
    if places is not None and len(places) and "population" in places.columns:
        pop = pd.to_numeric(places["population"], errors="coerce").to_numpy(float)
        keep = np.isfinite(pop) & (pop > 0)
        pts = places[keep].to_crs(crs).geometry
        xy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
        pop = pop[keep]
    snap = RoadSnap.build(
        shapely.points(xy) if len(xy) else np.empty(0, dtype=object),
        edges_m.geometry.values,
        edge_u,
        edges_m["travel_time_s"].to_numpy(float),
        max_distance_m=settings.access_buffer_m,
    )
    return snap, pop, xy


def _measure_row(
    row: _Row,
    units_m: gpd.GeoDataFrame,
    data: _Level,
    settings: IntegrationSettings,
    slot: Mapping[int, int],
    matrix: Mapping[str, np.ndarray],
    node_xy: np.ndarray,
    grid: ReachGrid,
    reach: Mapping[str, list[np.ndarray]],
    place_t: Mapping[str, list[np.ndarray]],
    place_pop: np.ndarray,
    band_s: float,
) -> dict[str, Any]:
    """Border, travel and reach measures of one row (NaN where not applicable)."""
    nan = float("nan")

    def unit_field(unit: int, column: str) -> str:
        return str(units_m[column].iat[unit]) if unit >= 0 else ""

    rec: dict[str, Any] = {
        "corridor_id": (
            f"{unit_field(row.unit_a, 'unit_id')}-{unit_field(row.unit_b, 'unit_id')}"
            if row.kind == "neighbours"
            else f"corridor:{row.name}"
        ),
        "kind": row.kind,
        "name": row.name,
        "admin_level": row.level,
        "unit_a_id": unit_field(row.unit_a, "unit_id"),
        "unit_a": unit_field(row.unit_a, "name"),
        "unit_b_id": unit_field(row.unit_b, "unit_id"),
        "unit_b": unit_field(row.unit_b, "name"),
        "origin_a": row.origin_a,
        "origin_b": row.origin_b,
    }
    # 1. border permeability
    if row.border >= 0:
        border = data.borders.iloc[row.border]
        mine = data.crossings[data.crossings["border"] == row.border]
        km = float(border["border_km"])
        counts = mine["road_class"].value_counts()
        weighted = float(
            sum(settings.crossing_weights.get(c, 0.0) * int(n) for c, n in counts.items())
        )
        rec.update(
            border_km=km,
            crossings=len(mine),
            **{f"crossings_{c}": int(counts.get(c, 0)) for c in ROAD_CLASSES},
            weighted_crossings=weighted,
            crossings_per_10km=len(mine) / km * 10.0,
            weighted_crossings_per_10km=weighted / km * 10.0,
            longest_uncrossed_km=longest_uncrossed_m(border["border"], mine["point"].to_numpy())
            / 1000.0,
        )
    else:
        rec.update(
            border_km=nan,
            crossings=nan,
            **{f"crossings_{c}": nan for c in ROAD_CLASSES},
            weighted_crossings=nan,
            crossings_per_10km=nan,
            weighted_crossings_per_10km=nan,
            longest_uncrossed_km=nan,
        )
    # 2. centre-to-centre travel
    travel = dict(
        straight_km=nan,
        road_min=nan,
        multimodal_min=nan,
        road_kph=nan,
        multimodal_kph=nan,
        road_km=nan,
        detour_index=nan,
    )
    if row.centre_a >= 0 and row.centre_b >= 0:
        sa, sb = slot[row.centre_a], slot[row.centre_b]
        straight_km = float(np.hypot(*(node_xy[row.centre_a] - node_xy[row.centre_b]))) / 1000.0
        if straight_km <= 0:
            row.reasons.append("both centres snap to the same road node")
        else:
            road_s = (matrix["road"][sa, sb] + matrix["road"][sb, sa]) / 2.0
            mm_s = (matrix["mm"][sa, sb] + matrix["mm"][sb, sa]) / 2.0
            road_km = (matrix["dist"][sa, sb] + matrix["dist"][sb, sa]) / 2000.0
            if not np.isfinite(road_s):
                row.reasons.append("centres not connected by road (in both directions)")
            if not np.isfinite(mm_s):
                row.reasons.append("centres not connected by road + rail (in both directions)")
            travel.update(
                straight_km=straight_km,
                road_min=float(road_s) / 60.0,
                multimodal_min=float(mm_s) / 60.0,
                road_kph=straight_km / (float(road_s) / 3600.0),
                multimodal_kph=straight_km / (float(mm_s) / 3600.0),
                road_km=float(road_km),
                detour_index=float(road_km) / straight_km,
            )
    rec.update(travel)
    # 3. reach
    for mode in ("road", "mm"):
        for suffix, src_centre, dst_unit in (
            ("ab", row.centre_a, row.unit_b),
            ("ba", row.centre_b, row.unit_a),
        ):
            if src_centre >= 0 and dst_unit >= 0:
                reached = reach[mode][slot[src_centre]]
                rec[f"reach_{mode}_{suffix}"] = grid.share(reached, data.cell_unit == dst_unit)
                rec[f"pop_reach_{mode}_{suffix}"] = population_share(
                    place_t[mode][slot[src_centre]], band_s, data.place_unit, place_pop, dst_unit
                )
            else:
                rec[f"reach_{mode}_{suffix}"] = nan
                rec[f"pop_reach_{mode}_{suffix}"] = nan
        if row.centre_a >= 0 and row.centre_b >= 0:
            rec[f"overlap_{mode}"] = jaccard(
                reach[mode][slot[row.centre_a]], reach[mode][slot[row.centre_b]]
            )
        else:
            rec[f"overlap_{mode}"] = nan
    return rec


# --------------------------------------------------------------------------------------------
# summary text and output files


def _fmt(value: Any, digits: int) -> str | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return f"{value:.{digits}f}" if np.isfinite(value) else None


def corridor_summary(record: Mapping[str, Any], *, language: str = "zh") -> str:
    """One sentence per corridor for the report (``株洲–湘潭: 3.0 crossings per 10 km; ...``)."""
    zh = language == "zh"
    parts = []
    per_10km = _fmt(record.get("crossings_per_10km"), 1)
    if per_10km is None:
        parts.append("无共同边界" if zh else "no shared border")
    else:
        parts.append(
            f"每10公里边界{per_10km}条跨界道路" if zh else f"{per_10km} crossings per 10 km"
        )
    road_min = _fmt(record.get("road_min"), 0)
    if road_min is not None:
        parts.append(
            f"中心间驾车{road_min}分钟" if zh else f"{road_min} min by road centre to centre"
        )
    else:
        parts.append("中心间道路不通" if zh else "centres not connected by road")
    penalty = _fmt(record.get("border_penalty"), 2)
    if penalty is not None:
        parts.append(f"边界阻抗系数{penalty}" if zh else f"border penalty {penalty}")
    gaps = record.get("open_gaps")
    if gaps is not None and np.isfinite(float(gaps)) and int(gaps) > 0:
        saved = _fmt(record.get("open_gap_benefit_min"), 0)
        parts.append(
            f"{int(gaps)}处未打通断头路，打通可节省共{saved}分钟"
            if zh
            else f"{int(gaps)} open 断头路 would save {saved} min in total"
        )
    index = _fmt(record.get("index"), 0)
    parts.append(
        (f"一体化指数{index}" if zh else f"index {index}")
        if index is not None
        else ("一体化指数无法计算" if zh else "no index")
    )
    sep = "；" if zh else "; "
    head = f"{record.get('name', '')}{'：' if zh else ': '}"
    return head + sep.join(parts) + ("。" if zh else ".")


def write_corridors(
    table: gpd.GeoDataFrame, *, gpkg: str | Path, csv: str | Path, xlsx: str | Path
) -> None:
    """Write the corridor table: GeoPackage (layer ``corridors``), CSV (UTF-8 with BOM, for
    Excel) and XLSX with bilingual headers (``中文 / English``), each atomically."""
    with atomic_path(gpkg) as tmp:
        table.to_file(tmp, layer="corridors", driver="GPKG")
    plain = pd.DataFrame(table.drop(columns="geometry"))
    plain["geometry_wkt"] = shapely.to_wkt(table.geometry.values, rounding_precision=6)
    with atomic_path(csv) as tmp:
        plain.to_csv(tmp, index=False, encoding="utf-8-sig")
    labelled = plain.drop(columns="geometry_wkt").rename(
        columns={c: f"{zh} / {en}" for c, (zh, en) in COLUMN_LABELS.items()}
    )
    with atomic_path(xlsx) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        labelled.to_excel(writer, sheet_name="corridors", index=False)
        sheet = writer.sheets["corridors"]
        sheet.freeze_panes = "C2"
        for column_cells in sheet.columns:
            header = str(column_cells[0].value or "")
            sheet.column_dimensions[column_cells[0].column_letter].width = min(
                max(12, len(header) * 0.9), 40
            )


def run_integration_stage(
    inputs: Mapping[str, str | Path],
    outputs: Mapping[str, str | Path],
    study: Mapping[str, Any],
    *,
    workers: int = 1,
) -> gpd.GeoDataFrame:
    """Measure every corridor of a study from its stage files and write the corridor table.

    Parameters
    ----------
    inputs
        Paths by the ``integration`` rule's input names: ``units``, ``places``, ``origins``,
        ``road_edges``, ``road_graph``, ``multimodal_graph``, ``gaps``.
    outputs
        Paths by the rule's output names: ``gpkg``, ``csv``, ``xlsx`` (:func:`write_corridors`).
    study
        The validated study config.
    workers
        Processes for the corridor routing (the rule's ``threads``).

    Returns
    -------
    geopandas.GeoDataFrame
        The corridor table that was written.
    """
    settings = IntegrationSettings.from_study(study)
    units = read_layer(inputs["units"], "admin_units", what="admin units")
    origins = read_layer(inputs["origins"], "origins", what="origins")
    dead_ends = read_layer(inputs["gaps"], "dead_ends", what="gaps")
    table = corridor_table(
        units,
        gpd.read_parquet(inputs["road_edges"]),
        CSRGraph.load(inputs["road_graph"]),
        CSRGraph.load(inputs["multimodal_graph"]),
        settings=settings,
        origins=origins,
        corridors=study["integration"]["corridors"],
        places=gpd.read_parquet(inputs["places"]),
        dead_ends=dead_ends,
        workers=workers,
    )
    write_corridors(table, gpkg=outputs["gpkg"], csv=outputs["csv"], xlsx=outputs["xlsx"])
    logger.info("%d corridors written to %s", len(table), outputs["gpkg"])
    return table
