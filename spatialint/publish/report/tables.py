"""The report's tables: key figures of the study area, 断头路 by rank, coverage per origin."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from spatialint.contracts import COVERAGE, ISOCHRONES, SUMMARY
from spatialint.contracts.base import COUNT_FORMAT, SHARE_FORMAT, UNIT_FORMATS
from spatialint.contracts.io import shown_text
from spatialint.geo import utm_crs_for
from spatialint.publish.i18n import (
    band_label,
    bilingual,
    check_language,
    column_text,
    label,
    mode_label,
)
from spatialint.publish.layers import StudyLayers

SUMMARY_ITEMS = (
    "units_count", "total_area", "road_km", "rail_km", "origins_count", "dead_ends_count",
    "class_drops_count", "missing_crossings_count", "corridors_count",
)  # fmt: skip
"""The key figures, in order (their labels are report words of :mod:`~spatialint.publish.i18n`;
``units_count`` names the admin level it counts)."""
SUMMARY_FORMATS: dict[str, str] = {
    "total_area": UNIT_FORMATS["km²"],
    "road_km": UNIT_FORMATS["km"],
    "rail_km": UNIT_FORMATS["km"],
}
"""Number format of the key figures that are measures; the others are counts
(:data:`~spatialint.contracts.base.COUNT_FORMAT`)."""
REPORT_CORRIDOR_COLUMNS = (
    "rank", "name", "kind", "index", "road_min", "multimodal_min", "crossings", "border_km",
    "open_gaps",
)  # fmt: skip
"""Columns of the corridors contract in the report's table; each summary follows as text."""
TOP_GAP_COLUMNS = (
    "rank", "gap_id", "status", "confidence", "category", "reasons", "unit_name", "name",
    "other_unit_name", "other_name", "gap_m", "detour_min", "minutes_saved_mean",
    "minutes_saved_per_trip", "planned", "comment",
)  # fmt: skip
"""Columns of the dead_ends contract in the report's 断头路 table (the workbook keeps all);
``reasons`` is ``reasons_zh`` or ``reasons_en`` by the language; ``person_minutes_saved`` joins
them where the gaps stage ranks by it. The thumbnail and the links follow each row."""


def metric_crs(frame: gpd.GeoDataFrame) -> object:
    """The UTM zone of ``frame``'s extent."""
    west, south, east, north = frame.total_bounds
    return utm_crs_for(np.array([west, east]), np.array([south, north]))


def gaps_by_rank(dead_ends: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """All 断头路 in the gaps stage's rank, confidence then benefit (gaps no longer found,
    unranked, last)."""
    order = dead_ends["rank"].sort_values(kind="stable", na_position="last").index
    return dead_ends.loc[order].reset_index(drop=True)


def listed_gaps(
    dead_ends: gpd.GeoDataFrame, *, top_n: int, levels: Sequence[str]
) -> gpd.GeoDataFrame:
    """The 断头路 the report lists: the first ``top_n`` of a confidence in ``levels``
    (``maps.gap_confidence``), in the gaps stage's rank."""
    ranked = gaps_by_rank(dead_ends)
    return ranked[ranked["confidence"].isin(levels)].head(top_n).reset_index(drop=True)


def by_border(frame: pd.DataFrame, language: str) -> list[tuple[str, pd.DataFrame]]:
    """The rows of a table with the ``border`` columns in groups by the border they cross,
    the coarsest first (省界, then 市界, then 县界), rows crossing none last; each group's
    heading with its count. Only groups with rows: a one-level study has one group."""
    levels = frame["border_level"].astype("Int64")
    groups = []
    for level in sorted(int(v) for v in levels.dropna().unique()):
        part = frame[(levels == level).fillna(False).to_numpy()]
        groups.append((str(part["border"].iloc[0]), part))
    rest = frame[levels.isna().to_numpy()]
    if len(rest):
        groups.append((label("no_border", language), rest))
    return [
        (label("border_group", language, border=name, count=len(part)), part)
        for name, part in groups
    ]


def coverage_table(isochrones: gpd.GeoDataFrame) -> pd.DataFrame:
    """Area and population reached per origin, mode and band (the ``coverage`` contract)."""
    table = pd.DataFrame(isochrones[list(COVERAGE.names)])
    return table.sort_values(["origin_id", "mode", "band_min"]).reset_index(drop=True)


def coverage_matrix(coverage: pd.DataFrame, *, language: str, area_km2: float) -> pd.DataFrame:
    """One row per origin and mode, one column per band: area (share of the study area) and
    population reached, as display text."""
    if coverage.empty:
        return coverage
    lang = check_language(language)
    rows = []
    for (_, origin_name, mode), part in coverage.groupby(
        ["origin_id", "origin_name", "mode"], sort=False
    ):
        row = {
            ISOCHRONES.label("origin_name", lang): origin_name,
            ISOCHRONES.label("mode", lang): mode_label(mode, lang),
        }
        for band, band_rows in part.groupby("band_min", sort=True):
            row[band_label(band, lang)] = _coverage_text(band_rows, lang, area_km2)
        rows.append(row)
    return pd.DataFrame(rows)


def _coverage_text(rows: pd.DataFrame, language: str, area_km2: float) -> str:
    """Area (its share of the study area) and population, in the formats of the coverage
    columns."""
    area = rows["area_km2"].sum()
    text = f"{column_text(COVERAGE, 'area_km2', area, language)} km²"
    if area_km2 > 0:
        text += f" ({shown_text(area / area_km2, SHARE_FORMAT)})"
    if rows["population"].notna().any():
        people = column_text(COVERAGE, "population", rows["population"].sum(), language)
        text += f" · {people} {label('people', language)}"
    return text


def people_gained_sentences(coverage: pd.DataFrame, *, language: str) -> list[str]:
    """One sentence per origin: the people its road + rail circles reach beyond its road
    circles, band by band (the ``population_gained`` column); none without population."""
    gained = coverage[coverage["population_gained"].notna()]
    sentences = []
    for (_, origin_name), rows in gained.groupby(["origin_id", "origin_name"], sort=False):
        items = [
            label("people_gained_item", language, band=band_label(band, language),
                  people=column_text(COVERAGE, "population_gained", value, language))
            for band, value in zip(rows["band_min"], rows["population_gained"], strict=True)
        ]  # fmt: skip
        gains = ("、" if language == "zh" else ", ").join(items)
        sentences.append(label("people_gained", language, origin=origin_name, gains=gains))
    return sentences


def study_summary(layers: StudyLayers) -> pd.DataFrame:
    """Key figures of the study area as (key, value) rows (:data:`SUMMARY_ITEMS`); counts stay
    integers for the page."""
    units = layers.units
    crs = metric_crs(units)
    area_km2 = float(shapely.union_all(units.to_crs(crs).geometry.values).area) / 1e6
    finest = units[units["admin_level"] == units["admin_level"].max()]
    rail_km = float(layers.rail.to_crs(crs).length.sum()) / 1000 if not layers.rail.empty else 0.0
    values = {
        "units_count": len(finest),
        "total_area": round(area_km2, 1),
        "road_km": round(layers.road_km, 1),
        "rail_km": round(rail_km, 1),
        "origins_count": len(layers.origins),
        "dead_ends_count": len(layers.dead_ends),
        "class_drops_count": len(layers.class_drops),
        "missing_crossings_count": len(layers.missing_crossings),
        "corridors_count": len(layers.corridors),
    }
    return pd.DataFrame(
        [(k, values[k]) for k in SUMMARY_ITEMS], columns=["key", "value"], dtype=object
    )


def finest_level(units: gpd.GeoDataFrame) -> int | None:
    """The finest admin level of the study's units (the level the key figures count)."""
    return int(units["admin_level"].max()) if len(units) else None


def summary_text(key: str, value: object) -> str:
    """A key figure as the page shows it: measures to a tenth of a km (km²), counts whole."""
    return shown_text(value, SUMMARY_FORMATS.get(key, COUNT_FORMAT))


def summary_label(key: str, units: gpd.GeoDataFrame, language: str) -> str:
    """The label of a key figure; the unit count names its admin level."""
    fields = {"level": finest_level(units)} if key == "units_count" else {}
    return label(key, language, **fields)


def summary_sheet(summary: pd.DataFrame, units: gpd.GeoDataFrame) -> pd.DataFrame:
    """The key figures as the workbook's ``summary`` table: ``中文 / English`` item, value."""
    items = [
        bilingual(k, level=finest_level(units)) if k == "units_count" else bilingual(k)
        for k in summary["key"]
    ]
    return SUMMARY.conform(pd.DataFrame({"item": items, "value": summary["value"].astype(float)}))
