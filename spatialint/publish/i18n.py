"""Chinese and English labels of the map, the report and the tables.

Planners read Chinese; the study config's ``language: en`` switches every label to English.
Table headers in the XLSX workbook carry both (``中文 / English``) so one file serves both.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from spatialint.errors import ConfigError

logger = logging.getLogger(__name__)

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
    "class_drops": ("等级骤降", "Road class drops"),
    "missing_crossings": ("缺失的跨界通道", "Missing border crossings"),
    "corridors": ("走廊一体化指数", "Corridor integration index"),
    # legend and page
    "legend": ("图例", "Legend"),
    "data_date": ("OSM数据日期", "OSM data date"),
    "synthetic": (
        "演示数据：合成区域，并非真实地点",
        "Demo data: a synthetic region, not a real place",
    ),
    "synthetic_date": ("合成数据（无OSM日期）", "synthetic (no OSM date)"),
    "unknown_date": ("未知", "unknown"),
    "attribution": ("© OpenStreetMap 贡献者", "© OpenStreetMap contributors"),
    "basemap_offline": ("底图无法加载（离线），仅显示专题图层", "Basemap unavailable (offline)"),
    "review_status": ("审核状态", "Review status"),
    "status_open": ("待核实", "to verify"),
    "status_confirmed": ("确认", "confirmed"),
    "status_rejected": ("误报", "false positive"),
    "status_planned": ("在建/已规划", "under construction / planned"),
    "status_opened": ("已打通", "opened"),
    "status_other": ("其他", "other"),
    "size_by_benefit": ("圆大小 = 节省时间", "Circle size = minutes saved"),
    "no_index": ("无指数（见说明）", "no index (see note)"),
    "index_low": ("低", "low"),
    "index_high": ("高", "high"),
    "minor_roads_hidden": (
        "地图仅显示主要道路；完整路网见 GeoPackage",
        "Only main roads shown; the full network is in the GeoPackage",
    ),
    "osm_link": ("在 OpenStreetMap 上查看", "View on OpenStreetMap"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    # popup / table fields
    "gap_id": ("断头路编号", "gap id"),
    "road_a": ("本侧道路", "road (this side)"),
    "road_b": ("对侧道路", "road (other side)"),
    "unit_a": ("本侧行政区", "unit (this side)"),
    "unit_b": ("对侧行政区", "unit (other side)"),
    "gap_m": ("断口距离（米）", "gap (m)"),
    "detour_m": ("绕行距离（米）", "detour (m)"),
    "detour_min": ("绕行时间（分钟）", "detour (min)"),
    "minutes_saved": ("受益出行平均节省（分钟）", "minutes saved per improved trip"),
    "minutes_saved_per_trip": ("每次出行平均节省（分钟）", "minutes saved per sampled trip"),
    "rank": ("效益排名", "benefit rank"),
    "detour_km": ("绕行距离（公里）", "detour (km)"),
    "planned_class": ("规划道路等级", "planned road class"),
    "found": ("本次检出", "detected in this run"),
    "benefit": ("效益", "benefit"),
    "planned_link": ("已有规划连接", "planned link"),
    "comment": ("备注", "comment"),
    "name": ("名称", "name"),
    "band_min": ("时间圈（分钟）", "band (min)"),
    "road_name": ("本侧道路", "road (this side)"),
    "other_road_name": ("对侧道路", "road (other side)"),
    "lon": ("经度", "longitude"),
    "lat": ("纬度", "latitude"),
    "parent_id": ("上级行政区", "parent unit"),
    "centre_lon": ("中心经度", "centre longitude"),
    "centre_lat": ("中心纬度", "centre latitude"),
    "node_id": ("节点编号", "node id"),
    "snap_m": ("吸附距离（米）", "snap distance (m)"),
    "item": ("项目", "item"),
    "value": ("数值", "value"),
    "name_en": ("英文名称", "English name"),
    "unit_id": ("行政区编号", "unit id"),
    "admin_level": ("行政级别", "admin level"),
    "origin_id": ("中心点编号", "origin id"),
    "origin_name": ("中心点", "origin"),
    "kind": ("类型", "kind"),
    "mode": ("方式", "mode"),
    "area_km2": ("面积（平方公里）", "area (km²)"),
    "population": ("人口", "population"),
    "corridor": ("走廊", "corridor"),
    "from": ("起点", "from"),
    "to": ("终点", "to"),
    "integration_index": ("一体化指数", "integration index"),
    "summary": ("概要", "summary"),
    "highway": ("道路等级", "road class"),
    "ref": ("编号", "ref"),
    "service": ("线路类型", "service"),
    "services": ("线路类型", "services"),
    "length_m": ("长度（米）", "length (m)"),
    "minutes": ("分钟", "minutes"),
    # report
    "report_title": ("规划审查报告", "Plan review report"),
    "study_area": ("研究范围", "Study area"),
    "units_count": ("行政区数量", "number of units"),
    "total_area": ("总面积（平方公里）", "total area (km²)"),
    "road_km": ("道路总长（公里）", "road length (km)"),
    "rail_km": ("铁路总长（公里）", "rail length (km)"),
    "coverage": ("1/2/3小时圈覆盖", "1/2/3-hour coverage"),
    "people": ("人", "people"),
    "coverage_note": (
        "面积为时间圈面积，括号内为占研究范围总面积的比例；人口仅在提供人口数据时给出。",
        "Area of the circle, in brackets its share of the study area; population only where "
        "population data is given.",
    ),
    "top_gaps": ("效益最高的断头路", "Top dead-end roads by benefit"),
    "corridor_table": ("走廊一体化", "Corridor integration"),
    "figures": ("图", "Figures"),
    "fig_overview": ("总览图", "Overview map"),
    "fig_coverage": ("各中心点覆盖人口/面积", "Coverage per origin"),
    "fig_corridors": ("走廊一体化指数", "Corridor integration index"),
    "no_rows": ("（无）", "(none)"),
    "open_map": ("打开交互地图", "Open the interactive map"),
    "generated": ("生成时间", "generated"),
    "files": ("成果文件", "Result files"),
    "sheet_admin_units": ("行政区", "admin_units"),
    # fallbacks for stage columns, until the stage's own COLUMN_LABELS are importable
    "status": ("审核状态", "review status"),
    "unit_name": ("所在行政区", "unit"),
    "other_unit_name": ("对侧行政区", "other unit"),
    "other_name": ("对侧道路名称", "other-side road name"),
    "planned": ("有规划/在建连接", "planned link"),
    "minutes_saved_mean": ("受益出行平均节省（分钟）", "minutes saved per improved trip"),
    "index": ("一体化指数", "integration index"),
    "road_min": ("道路通行时间（分钟）", "road travel time (min)"),
    "multimodal_min": ("公路+铁路通行时间（分钟）", "road + rail travel time (min)"),
    "crossing_id": ("编号", "stretch id"),
    "unit_a_name": ("行政区甲", "unit A"),
    "unit_b_name": ("行政区乙", "unit B"),
    "length_km": ("长度（公里）", "length (km)"),
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


def bilingual(key: str) -> str:
    """``中文 / English`` of ``key``, for XLSX headers."""
    zh, en = LABELS[key]
    return f"{zh} / {en}"


def column_label(
    column: str, language: str, *, extra: Mapping[str, tuple[str, str]] | None = None
) -> str:
    """A column's label: from ``extra`` (a stage's ``COLUMN_LABELS``), then ours, else itself."""
    if extra and column in extra:
        zh, en = extra[column]
        return zh if check_language(language) == "zh" else en
    if column in LABELS:
        return label(column, language)
    return column


def column_bilingual(column: str, *, extra: Mapping[str, tuple[str, str]] | None = None) -> str:
    """``中文 / English`` header of a column (``column`` itself when no label is known)."""
    if extra and column in extra:
        zh, en = extra[column]
    elif column in LABELS:
        zh, en = LABELS[column]
    else:
        return column
    return f"{zh} / {en}" if zh != en else en


TABLE_STAGES: dict[str, str] = {
    "dead_ends": "spatialint.gaps.detect",
    "class_drops": "spatialint.gaps.detect",
    "missing_crossings": "spatialint.gaps.detect",
}
"""The stage module whose ``COLUMN_LABELS`` ({column: (中文, English)}) labels each table; per
table, because one column name can mean different things (``name`` of a road, of a corridor)."""


CONTRACT_LABELLED = ("corridors",)
"""Tables whose stage keeps its labels only in its contract (:mod:`spatialint.contracts`)."""


def _normalise_labels(raw: Any) -> dict[str, tuple[str, str]]:
    """A stage's COLUMN_LABELS as {column: (zh, en)}; accepts (zh, en) pairs or {zh:, en:}."""
    out: dict[str, tuple[str, str]] = {}
    if not isinstance(raw, Mapping):
        return out
    for column, value in raw.items():
        if isinstance(value, Mapping) and "zh" in value and "en" in value:
            out[str(column)] = (str(value["zh"]), str(value["en"]))
        elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
            out[str(column)] = (str(value[0]), str(value[1]))
    return out


def stage_column_labels(table: str) -> dict[str, tuple[str, str]]:
    """The COLUMN_LABELS of the stage that writes ``table`` (empty when it has none yet)."""
    if table in CONTRACT_LABELLED:
        from spatialint.contracts import TABLES

        return {c.name: (c.label("zh"), c.label("en")) for c in TABLES[table].columns}
    module_name = TABLE_STAGES.get(table)
    if module_name is None:
        return {}
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        logger.debug("%s not importable: its columns keep the default labels", module_name)
        return {}
    return _normalise_labels(getattr(module, "COLUMN_LABELS", {}))


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
