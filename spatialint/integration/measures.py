"""The measures of one corridor row, one function per concept:

1. **border permeability** (:func:`permeability_measures`) — road crossings of the shared
   border by class, class-weighted, per 10 km of border, and the longest stretch of border
   without a crossing;
2. **centre-to-centre travel** (:func:`travel_measures`) — road and road+rail time, speed over
   the straight line, and the detour index (shortest road distance / straight-line distance);
3. **reach** (:func:`reach_measures`) — share of B's area (and population) inside A's 1-hour
   circle and back, by road and road+rail, and the overlap (Jaccard) of the two circles;
4. **border penalty** (:func:`penalty_measures`) — travel time per km of sampled node pairs
   crossing the border over that of pairs staying inside one unit, band by band;
5. **redundancy** (:func:`redundancy_measures`) — materially different routes within +20 %
   of the fastest.

A measure that does not apply to a row is NaN, and the row says why in its ``reasons``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np

from spatialint.contracts.integration import CROSSING_CLASSES
from spatialint.integration.border import longest_uncrossed_m
from spatialint.integration.levels import LevelData, MetricStudy
from spatialint.integration.penalty import pair_rng, sampled_border_penalty, zone_nodes
from spatialint.integration.reach import PopulatedPlaces, ReachGrid, jaccard, population_share
from spatialint.integration.routes import redundant_routes
from spatialint.integration.rows import CorridorRow
from spatialint.integration.travel import MODES, CentreTimes
from spatialint.network.graph import CSRGraph
from spatialint.settings import IntegrationSettings

logger = logging.getLogger(__name__)

NAN = float("nan")
M_PER_KM = 1000.0
S_PER_MIN = 60.0
S_PER_H = 3600.0
BORDER_PER_KM = 10.0
"""Crossings are counted per this many km of border."""


@dataclass(frozen=True)
class MeasureInputs:
    """Everything the measures of a row read, computed once for the whole table."""

    settings: IntegrationSettings
    study: MetricStudy
    levels: dict[int, LevelData]
    road_graph: CSRGraph
    arc_lengths_m: np.ndarray
    grid: ReachGrid
    places: PopulatedPlaces
    times: CentreTimes
    workers: int = 1


def identity_columns(row: CorridorRow, units_m: gpd.GeoDataFrame) -> dict[str, Any]:
    """Id, kind, name, level, units and origins of a row."""

    def unit_field(unit: int, column: str) -> str:
        return str(units_m[column].iat[unit]) if unit >= 0 else ""

    unit_a_id, unit_b_id = unit_field(row.unit_a, "unit_id"), unit_field(row.unit_b, "unit_id")
    return {
        "corridor_id": (
            f"{unit_a_id}-{unit_b_id}" if row.kind == "neighbours" else f"corridor:{row.name}"
        ),
        "kind": row.kind,
        "name": row.name,
        "admin_level": row.level,
        "unit_a_id": unit_a_id,
        "unit_a": unit_field(row.unit_a, "name"),
        "unit_b_id": unit_b_id,
        "unit_b": unit_field(row.unit_b, "name"),
        "origin_a": row.origin_a,
        "origin_b": row.origin_b,
    }


def permeability_measures(
    row: CorridorRow, level: LevelData, crossing_weights: dict[str, float]
) -> dict[str, Any]:
    """Crossings of the row's shared border: count, by class, weighted, per 10 km, and the
    longest stretch without one (NaN without a shared border)."""
    if row.border < 0:
        return {
            "border_km": NAN,
            "crossings": NAN,
            **{f"crossings_{c}": NAN for c in CROSSING_CLASSES},
            "weighted_crossings": NAN,
            "crossings_per_10km": NAN,
            "weighted_crossings_per_10km": NAN,
            "longest_uncrossed_km": NAN,
        }
    border = level.borders.iloc[row.border]
    mine = level.crossings[level.crossings["border"] == row.border]
    km = float(border["border_km"])
    counts = mine["road_class"].value_counts().reindex(list(CROSSING_CLASSES), fill_value=0)
    weighted = float(sum(crossing_weights[c] * int(n) for c, n in counts.items()))
    longest_m = longest_uncrossed_m(border["border"], mine["point"].to_numpy())
    return {
        "border_km": km,
        "crossings": len(mine),
        **{f"crossings_{c}": int(n) for c, n in counts.items()},
        "weighted_crossings": weighted,
        "crossings_per_10km": len(mine) / km * BORDER_PER_KM,
        "weighted_crossings_per_10km": weighted / km * BORDER_PER_KM,
        "longest_uncrossed_km": longest_m / M_PER_KM,
    }


def travel_measures(row: CorridorRow, node_xy: np.ndarray, times: CentreTimes) -> dict[str, Any]:
    """Centre-to-centre time, speed over the straight line and detour, both directions
    averaged (NaN without two distinct centres)."""
    out = dict.fromkeys(
        (
            "straight_km",
            "road_min",
            "multimodal_min",
            "road_kph",
            "multimodal_kph",
            "road_km",
            "detour_index",
        ),
        NAN,
    )
    if not row.has_centres:
        return out
    straight_km = float(np.hypot(*(node_xy[row.centre_a] - node_xy[row.centre_b]))) / M_PER_KM
    if straight_km <= 0:
        row.reasons.append("both centres snap to the same road node")
        return out
    road_s = times.both_ways("road", row.centre_a, row.centre_b) / 2.0
    mm_s = times.both_ways("mm", row.centre_a, row.centre_b) / 2.0
    road_km = times.both_ways("dist", row.centre_a, row.centre_b) / (2.0 * M_PER_KM)
    if not np.isfinite(road_s):
        row.reasons.append("centres not connected by road (in both directions)")
    if not np.isfinite(mm_s):
        row.reasons.append("centres not connected by road + rail (in both directions)")
    out.update(
        straight_km=straight_km,
        road_min=float(road_s) / S_PER_MIN,
        multimodal_min=float(mm_s) / S_PER_MIN,
        road_kph=straight_km / (float(road_s) / S_PER_H),
        multimodal_kph=straight_km / (float(mm_s) / S_PER_H),
        road_km=float(road_km),
        detour_index=float(road_km) / straight_km,
    )
    return out


def reach_measures(
    row: CorridorRow,
    level: LevelData,
    grid: ReachGrid,
    places: PopulatedPlaces,
    times: CentreTimes,
    *,
    band_s: float,
) -> dict[str, Any]:
    """Area and population reach shares both ways, and the overlap of the two circles, by
    road and road+rail."""
    out: dict[str, Any] = {}
    for mode in MODES:
        for suffix, centre, unit in (
            ("ab", row.centre_a, row.unit_b),
            ("ba", row.centre_b, row.unit_a),
        ):
            area = population = NAN
            if centre >= 0 and unit >= 0:
                area = grid.share(times.reached(mode, centre), level.cell_unit == unit)
                population = population_share(
                    times.place_times(mode, centre),
                    band_s,
                    level.place_unit,
                    places.population,
                    unit,
                )
            out[f"reach_{mode}_{suffix}"] = area
            out[f"pop_reach_{mode}_{suffix}"] = population
        out[f"overlap_{mode}"] = (
            jaccard(times.reached(mode, row.centre_a), times.reached(mode, row.centre_b))
            if row.has_centres
            else NAN
        )
    return out


def penalty_measures(row: CorridorRow, inputs: MeasureInputs) -> dict[str, Any]:
    """Border penalty of a row's two units from a sample seeded by their ids (NaN for a row
    without two distinct units)."""
    if not row.has_units or row.unit_a == row.unit_b:
        return {"border_penalty": NAN, "penalty_pairs_cross": 0, "penalty_pairs_inside": 0}
    settings = inputs.settings.border_penalty
    level = inputs.levels[row.level]
    unit_ids = inputs.study.units["unit_id"]
    rng = pair_rng(settings.seed, str(unit_ids.iat[row.unit_a]), str(unit_ids.iat[row.unit_b]))
    border = level.borders["border"].iat[row.border] if row.border >= 0 else None
    node_points = inputs.study.node_points.values

    def zone(unit: int) -> np.ndarray:
        return zone_nodes(level.node_unit, unit, node_points, border, zone_km=settings.zone_km)

    penalty, n_cross, n_inside = sampled_border_penalty(
        inputs.road_graph,
        inputs.study.node_xy,
        (zone(row.unit_a), zone(row.unit_b)),
        rng,
        settings,
        workers=inputs.workers,
    )
    if not np.isfinite(penalty):
        row.reasons.append("too few sampled node pairs per distance band for the border penalty")
    return {
        "border_penalty": penalty,
        "penalty_pairs_cross": n_cross,
        "penalty_pairs_inside": n_inside,
    }


def redundancy_measures(row: CorridorRow, inputs: MeasureInputs) -> dict[str, Any]:
    """Materially different road routes between the centres (NaN when there is none, or the
    row lacks two distinct centres)."""
    if not row.has_centres or row.centre_a == row.centre_b:
        return {"routes": NAN}
    settings = inputs.settings.redundancy
    result = redundant_routes(
        inputs.road_graph,
        inputs.arc_lengths_m,
        row.centre_a,
        row.centre_b,
        max_time_ratio=settings.max_time_ratio,
        max_overlap=settings.max_overlap,
        penalty_factor=settings.penalty_factor,
        max_iterations=settings.max_iterations,
    )
    return {"routes": result.routes if result.routes else NAN}


def measure_corridor(row: CorridorRow, inputs: MeasureInputs) -> dict[str, Any]:
    """Every measure of one row, as a record of the corridor table (without the index, the
    gap backlog and the summary, which need the whole table)."""
    level = inputs.levels[row.level]
    settings = inputs.settings
    return {
        **identity_columns(row, inputs.study.units),
        **permeability_measures(row, level, settings.crossing_weights),
        **travel_measures(row, inputs.study.node_xy, inputs.times),
        **reach_measures(
            row,
            level,
            inputs.grid,
            inputs.places,
            inputs.times,
            band_s=settings.reach_band_min * S_PER_MIN,
        ),
        **penalty_measures(row, inputs),
        **redundancy_measures(row, inputs),
    }
