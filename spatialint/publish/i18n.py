"""Chinese and English words of the map and the report page: layer names, legend, headings.

Planners read Chinese; the study config's ``language: en`` switches every label to English.
Column labels are not here: a table's columns are labelled by its contract
(:mod:`spatialint.contracts`, ``Table.label`` / ``Table.bilingual``), so one column has one
label wherever it is shown. :func:`column_text` shows a value of a contract column the same way
on the map, on the report page and (by its number format) in the workbooks: numbers in the
column's format, review statuses and corridor kinds in the words of the language.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from spatialint.contracts import Table
from spatialint.contracts.integration import KIND_LABELS
from spatialint.contracts.io import shown_text
from spatialint.contracts.network import FIT_STATUS_WORDS, SAMPLE_REASON_WORDS, SPEED_GROUP_WORDS
from spatialint.errors import ConfigError
from spatialint.gaps.confidence import CATEGORY_WORDS, LEVEL_WORDS
from spatialint.gaps.review import STATUSES
from spatialint.settings import SpeedSettings

LANGUAGES = ("zh", "en")

LABELS: dict[str, tuple[str, str]] = {
    # layers
    "admin_units": ("行政区", "Administrative units"),
    "roads": ("道路", "Roads"),
    "roads_major": ("高速公路/快速路", "Motorways and trunk roads"),
    "roads_primary": ("主干道", "Primary roads"),
    "roads_secondary": ("次干道", "Secondary roads"),
    "roads_tertiary": ("支路", "Tertiary roads"),
    "roads_minor": ("其他道路", "Minor roads"),
    "rail": ("铁路", "Railways"),
    "rail_highspeed": ("高速铁路", "High-speed rail"),
    "rail_intercity": ("城际铁路", "Intercity rail"),
    "rail_conventional": ("普速铁路", "Conventional rail"),
    "rail_metro": ("地铁/轻轨", "Metro / light rail"),
    "rail_other": ("其他铁路", "Other rail"),
    "stations": ("车站", "Stations"),
    "transit_layer": ("时刻表线路：{service}", "Timetabled lines: {service}"),
    "transit_headways": ("{name}（发车间隔 {headways} 分钟）", "{name} (every {headways} min)"),
    "transit_highspeed": ("高速铁路", "high-speed rail"),
    "transit_intercity": ("城际铁路", "intercity rail"),
    "transit_conventional": ("普速铁路", "conventional rail"),
    "transit_metro": ("地铁/轻轨", "metro / light rail"),
    "transit_bus": ("公交", "bus"),
    "transit_other": ("其他公共交通", "other transit"),
    "no_rail": ("研究区内无铁路", "No railway in the study area"),
    "origins": ("中心点", "Origins"),
    "isochrones": ("等时圈", "Travel-time circles"),
    "mode_road": ("公路", "road"),
    "mode_multimodal": ("公路+铁路", "road + rail"),
    "band_hours": ("{hours}小时圈", "{hours}-hour circle"),
    "band_minutes": ("{minutes}分钟圈", "{minutes}-minute circle"),
    "hex_surface": ("可达性网格（{mode}，分钟）", "Accessibility hexagons ({mode}, minutes)"),
    "hex_legend": (
        "可达性网格（到最近中心点的分钟数）",
        "Accessibility hexagons (minutes to nearest origin)",
    ),
    "dead_ends": ("断头路", "Dead-end roads (断头路)"),
    "dead_ends_other": ("断头路（其他可信度）", "Dead-end roads, other confidence"),
    "dead_ends_shown": (
        "“{layer}”：{levels}；其余{other}处在“{other_layer}”（默认关闭）",
        "“{layer}”: {levels}; the other {other} in “{other_layer}” (off at start)",
    ),
    "class_drops": ("等级骤降", "Road class drops"),
    "missing_crossings": ("缺失的跨界通道", "Missing border crossings"),
    "corridors": ("走廊一体化指数", "Corridor integration index"),
    # legend and page
    "legend": ("图例", "Legend"),
    "data_date": ("OSM数据日期", "OSM data date"),
    "speeds": ("通行速度：{profile}", "Travel speeds: {profile}"),
    "speeds_free_flow": ("自由流", "free flow"),
    "speeds_peak": ("高峰（系数 {factors}）", "peak (factors {factors})"),
    "speeds_calibrated": ("按观测出行校准", "calibrated to observed trips"),
    "speeds_calibrated_fit": (
        "按{trips}次观测出行校准（中位误差 {before}→{after} 分钟）",
        "calibrated to {trips} observed trips (median error {before} → {after} min)",
    ),
    "speeds_cities": ("；{units} 另设系数", "; own factors for {units}"),
    "speeds_urban": ("城区", "urban"),
    "speeds_rural": ("郊外", "rural"),
    "speeds_expressway": ("快速路", "expressway"),
    "speeds_arterial": ("干路", "arterial"),
    "speeds_local": ("其他道路", "local"),
    "synthetic": (
        "演示数据：合成区域，并非真实地点",
        "Demo data: a synthetic region, not a real place",
    ),
    "synthetic_date": ("合成数据（无OSM日期）", "synthetic (no OSM date)"),
    "unknown_date": ("未知", "unknown"),
    "attribution": ("© OpenStreetMap 贡献者", "© OpenStreetMap contributors"),
    "basemap_offline": ("底图无法加载（离线），仅显示专题图层", "Basemap unavailable (offline)"),
    "circle_size": ("圆大小", "Circle size"),
    "no_index": ("无指数（见说明）", "no index (see note)"),
    "minor_roads_hidden": (
        "地图仅显示主要道路；完整路网见 GeoPackage",
        "Only main roads shown; the full network is in the GeoPackage",
    ),
    "osm_link": ("在 OpenStreetMap 上查看", "View on OpenStreetMap"),
    "osm_edit_link": ("在OSM编辑器中打开", "Edit in OSM (iD)"),
    "josm_link": ("在JOSM中打开（需先启动JOSM）", "Open in JOSM (JOSM running)"),
    "osm_view_short": ("查看", "view"),
    "osm_edit_short": ("iD编辑", "iD"),
    "josm_short": ("JOSM", "JOSM"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "minutes": ("分钟", "minutes"),
    # report
    "report_title": ("规划审查报告", "Plan review report"),
    "study_area": ("研究范围", "Study area"),
    "units_count": ("行政区数量（行政级别{level}）", "units at admin level {level}"),
    "units_at_level": ("行政级别{level}（{count}个）", "admin level {level} ({count})"),
    "total_area": ("总面积（平方公里）", "total area (km²)"),
    "road_km": ("道路总长（公里）", "road length (km)"),
    "rail_km": ("铁路总长（公里）", "rail length (km)"),
    "origins_count": ("中心点数量", "number of origins"),
    "dead_ends_count": ("断头路数量", "number of dead-end roads (断头路)"),
    "class_drops_count": ("等级骤降数量", "number of road class drops"),
    "missing_crossings_count": ("缺失跨界通道数量", "number of missing border crossings"),
    "corridors_count": (
        "走廊数量（相邻单元与指定走廊）",
        "number of corridors (neighbouring units and named corridors)",
    ),
    "coverage": ("1/2/3小时圈覆盖", "1/2/3-hour coverage"),
    "people": ("人", "people"),
    "people_gained": (
        "{origin}：公路+轨道比仅公路多覆盖{gains}。",
        "{origin}: road + rail reaches {gains} more than road alone.",
    ),
    "people_gained_item": ("{band}内{people}人", "{people} people within the {band}"),
    "coverage_note": (
        "面积为时间圈面积，括号内为占研究范围总面积的比例；人口仅在提供人口数据时给出。",
        "Area of the circle, in brackets its share of the study area; population only where "
        "population data is given.",
    ),
    "top_gaps": ("断头路（按可信度、效益排序）", "Dead-end roads by confidence, then benefit"),
    "gaps_listed": (
        "列出可信度为{levels}的前{listed}处；全部{total}处（含其他可信度）见 report.xlsx 与 "
        "spatialint.gpkg。",
        "The first {listed} of confidence {levels}; all {total} (other levels too) are in "
        "report.xlsx and spatialint.gpkg.",
    ),
    "thumbnail": ("示意图", "thumbnail"),
    "josm_note": (
        "JOSM链接需先启动JOSM并开启远程控制。",
        "JOSM links need JOSM running with remote control on.",
    ),
    "edit_links": ("OpenStreetMap", "OpenStreetMap"),
    "corridor_table": ("走廊一体化", "Corridor integration"),
    "border_group": ("{border}（{count}）", "{border} ({count})"),
    "no_border": ("不跨界", "no border crossed"),
    "fig_overview": ("总览图", "Overview map"),
    "fig_coverage": ("各中心点覆盖人口/面积", "Coverage per origin"),
    "fig_corridors": ("走廊一体化指数", "Corridor integration index"),
    "no_rows": ("（无）", "(none)"),
    "open_map": ("打开交互地图", "Open the interactive map"),
    "generated": ("生成时间", "generated"),
    "calibration": ("速度校准（按观测出行）", "Speed calibration against observed trips"),
    "fig_calibration": ("模型时间与观测时间", "Modelled against observed minutes"),
    "calibration_note": (
        "{total}条观测出行中{used}条用于拟合；绝对误差中位数 {median_before} → {median_after} "
        "分钟，90%分位 {p90_before} → {p90_after} 分钟（校准前 → 校准后）。",
        "{used} of {total} observed trips used in the fit; median absolute error "
        "{median_before} → {median_after} min, 90th percentile {p90_before} → {p90_after} min "
        "(before → after calibration).",
    ),
    "calibration_excluded": ("剔除的样本", "Excluded trips"),
    "calibration_before": ("校准前", "before calibration"),
    "calibration_after": ("校准后", "after calibration"),
    "one_to_one": ("1:1 线", "1:1 line"),
    "modelled_min": ("模型时间（分钟）", "modelled (min)"),
}


def check_language(language: str) -> str:
    """Return ``language`` if it is supported, else raise a :class:`ConfigError`."""
    if language not in LANGUAGES:
        raise ConfigError(
            f"Unsupported language {language!r}: set the study's 'language' to one of "
            f"{', '.join(LANGUAGES)}."
        )
    return language


def label(key: str, language: str, **fields: object) -> str:
    """The label ``key`` in ``language`` (``zh`` or ``en``), formatted with ``fields``."""
    zh, en = LABELS[key]
    text = zh if check_language(language) == "zh" else en
    return text.format(**fields) if fields else text


def bilingual(key: str, **fields: object) -> str:
    """``中文 / English`` of ``key`` (the workbook's summary items), formatted with ``fields``."""
    return f"{label(key, 'zh', **fields)} / {label(key, 'en', **fields)}"


def word_list(words: Iterable[str], language: str) -> str:
    """Words as a list of ``language``: ``东县、西县`` / ``East, West``."""
    return ("、" if check_language(language) == "zh" else ", ").join(words)


def band_label(minutes: float, language: str) -> str:
    """'1小时圈' / '1-hour circle' for whole hours, else minutes."""
    if float(minutes) % 60 == 0:
        return label("band_hours", language, hours=int(minutes // 60))
    return label("band_minutes", language, minutes=f"{minutes:g}")


def mode_label(mode: str, language: str) -> str:
    """A travel mode in words (``公路`` / ``road``); an unknown mode as itself."""
    return label(f"mode_{mode}", language) if f"mode_{mode}" in LABELS else mode


def display_value(value: Any) -> str:
    """A value as short display text for maps and reports: numbers rounded to what a reader
    needs, booleans as ✓/✗, lists joined, missing values as an empty string."""
    if value is None:
        return ""
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return ""
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2g}"
    if isinstance(value, bool | np.bool_):
        return "✓" if value else "✗"
    if isinstance(value, list | tuple | np.ndarray):
        return ", ".join(display_value(v) for v in value)
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


VALUE_WORDS: dict[tuple[str, str], dict[str, tuple[str, str]]] = {
    ("corridors", "kind"): KIND_LABELS,
    ("dead_ends", "status"): {zh: (zh, en) for zh, en in STATUSES.items()},
    ("dead_ends", "confidence"): LEVEL_WORDS,
    ("dead_ends", "category"): CATEGORY_WORDS,
    ("class_drops", "status"): {zh: (zh, en) for zh, en in STATUSES.items()},
    ("speed_fit", "group"): SPEED_GROUP_WORDS,
    ("speed_fit", "status"): FIT_STATUS_WORDS,
    ("speed_samples", "reason"): SAMPLE_REASON_WORDS,
}
"""Coded values of a contract column in words, by (table, column): the corridor kinds
(:data:`spatialint.contracts.integration.KIND_LABELS`) and the review statuses
(:data:`spatialint.gaps.review.STATUSES`, Chinese as planners write them), the 断头路's
confidence levels and categories (:mod:`spatialint.gaps.confidence`)."""


def value_word(table: Table, column: str, value: Any, language: str) -> str | None:
    """A coded value (a corridor kind, a review status) in ``language``; ``None`` for a
    column without coded values or a value it does not know."""
    words = VALUE_WORDS.get((table.name, column), {})
    if not isinstance(value, str) or value not in words:
        return None
    zh, en = words[value]
    return zh if check_language(language) == "zh" else en


def column_text(table: Table, column: str, value: Any, language: str) -> str:
    """A value of a contract column as the map and the report show it: a coded value in
    words (:func:`value_word`), a number in the column's format (the workbook's, so one
    column reads alike everywhere), a flag as ✓/✗, a missing value as ``""``."""
    word = value_word(table, column, value, language)
    if word is not None:
        return word
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        return display_value(value)
    return shown_text(value, table.column(column).display_format())


def speeds_note(speeds: SpeedSettings, language: str, fit: pd.DataFrame | None = None) -> str:
    """Which speeds the times come from, for the map's title panel and the report's meta line:
    "通行速度：自由流", "通行速度：高峰（系数 城区快速路 0.55, …）", "通行速度：按观测出行校准（…）"
    — a calibration with the fit's median error before and after (``fit``: the
    ``speed_fit`` table)."""
    if speeds.profile == "calibrated" and fit is not None and (fit["group"] == "all").any():
        total = fit[fit["group"] == "all"].iloc[0]
        profile = label(
            "speeds_calibrated_fit", language, trips=int(total["trips"]),
            before=f"{total['median_error_before_min']:.1f}",
            after=f"{total['median_error_after_min']:.1f}",
        )  # fmt: skip
        return label("speeds", language, profile=profile)
    if speeds.profile != "peak":
        return label("speeds", language, profile=label(f"speeds_{speeds.profile}", language))
    space = "" if check_language(language) == "zh" else " "
    factors = [
        f"{label(f'speeds_{area}', language)}{space}{label(f'speeds_{group}', language)} {f:g}"
        for area in ("urban", "rural")
        for group, f in sorted(speeds.peak_factors[area].items(),
                               key=lambda item: ("expressway", "arterial", "local").index(item[0]))
    ]  # fmt: skip
    profile = label("speeds_peak", language, factors=", ".join(factors))
    if speeds.city_factors:
        units = ", ".join(entry.unit for entry in speeds.city_factors)
        profile += label("speeds_cities", language, units=units)
    return label("speeds", language, profile=profile)
