"""Contracts of the gaps stage's tables: dead ends (断头路), class drops, missing crossings and
the review template."""

from __future__ import annotations

from spatialint.contracts.base import COUNT_FORMAT, Column, Table
from spatialint.contracts.network import BORDER_COLUMNS, LINES, POINTS

#: The review columns every reviewable finding carries (joined from the planners' file).
REVIEW_COLUMNS = (
    Column("gap_id", "str", "编号", "gap id", nullable=False),
    Column("status", "str", "审核状态", "review status", nullable=False),
    Column("comment", "str", "备注", "comment"),
    Column("found", "bool", "本次检出", "detected in this run"),
)

#: The evidence behind a dead end's confidence (:mod:`spatialint.gaps.evidence`).
EVIDENCE_COLUMNS = (
    Column("facing_stubs", "bool", "两端断头相向", "two dead ends face each other"),
    Column("approach_deg", "float", "末端与连线夹角", "angle of the road's end to the link", "°"),
    Column(
        "other_approach_deg", "float", "对侧末端与连线夹角", "angle of the other end to the link",
        "°",
    ),
    Column("plausible_gap_m", "float", "该等级合理缺口", "plausible gap for the class", "m"),
    Column("end_tags", "str", "末端终止标签", "tags marking an intentional end"),
    Column("crosses_road", "bool", "连线穿越现有道路", "the link crosses a road"),
)  # fmt: skip

#: Links that open a finding in the OSM web editor (iD) and in JOSM (remote control).
LINK_COLUMNS = (
    Column("osm_edit_url", "str", "OSM在线编辑链接", "OSM editor link", link=True),
    Column("josm_url", "str", "JOSM遥控链接", "JOSM remote-control link", link=True),
)

DEAD_ENDS = Table(
    "dead_ends",
    "断头路",
    "dead ends",
    stage="gaps",
    columns=(
        Column("rank", "Int", "排名（可信度、效益）", "rank (confidence, then benefit)"),
        *REVIEW_COLUMNS,
        Column("confidence", "str", "可信度(high/medium/low)", "confidence"),
        Column("category", "str", "类别(road/bridge 需建桥)", "category"),
        Column("reasons_zh", "str", "判断依据", "reasons (Chinese)"),
        Column("reasons_en", "str", "判断依据（英文）", "reasons"),
        Column("unit_name", "str", "所在行政区", "unit"),
        Column("other_unit_name", "str", "对侧行政区", "other unit"),
        *BORDER_COLUMNS,
        Column("name", "str", "断头道路名称", "dead-end road name"),
        Column("ref", "str", "断头道路编号(ref)", "dead-end road ref"),
        Column("highway", "str", "断头道路等级", "dead-end road class"),
        Column("other_name", "str", "对侧道路名称", "other-side road name"),
        Column("other_ref", "str", "对侧道路编号(ref)", "other-side road ref"),
        Column("other_highway", "str", "对侧道路等级", "other-side road class"),
        Column("gap_m", "float", "直线缺口", "straight-line gap", "m"),
        Column("detour_min", "float", "现状绕行时间", "current detour", "min"),
        Column("detour_km", "float", "现状绕行距离", "current detour", "km"),
        Column("detour_ratio", "float", "绕行系数", "detour ratio"),
        Column("planned", "bool", "有规划/在建连接", "planned link"),
        Column("planned_way_id", "Int", "规划道路编号", "planned way id"),
        Column("planned_class", "str", "规划道路等级", "planned road class"),
        Column("link_class", "str", "连通道路等级", "link road class"),
        Column("link_time_min", "float", "连通后通行时间", "link travel time", "min"),
        Column("pairs_sampled", "Int", "抽样出行对数", "sampled trips"),
        Column("pairs_improving", "Int", "受益出行对数", "improved trips"),
        Column("minutes_saved_mean", "float", "受益出行平均节省", "saved per improved trip", "min"),
        Column(
            "minutes_saved_per_trip", "float", "每次出行平均节省", "saved per sampled trip", "min"
        ),
        Column(
            "person_minutes_saved",
            "float",
            "人·分钟节省（每人一次跨界出行）",
            "person-minutes saved (one trip per resident)",
            number_format=COUNT_FORMAT,
        ),
        Column("node_id", "Int", "断头端节点", "dead-end node"),
        Column("way_id", "Int", "断头道路OSM编号", "dead-end way"),
        Column("other_node_id", "Int", "对侧节点", "other-side node"),
        Column("other_way_id", "Int", "对侧道路OSM编号", "other-side way"),
        Column("unit_id", "str", "所在行政区编号", "unit id"),
        Column("other_unit_id", "str", "对侧行政区编号", "other unit id"),
        Column("across_water", "bool", "跨越水系", "crosses a waterway"),
        *EVIDENCE_COLUMNS,
        Column("lon", "float", "经度", "longitude", "°"),
        Column("lat", "float", "纬度", "latitude", "°"),
        Column("other_lon", "float", "对侧经度", "other-side longitude", "°"),
        Column("other_lat", "float", "对侧纬度", "other-side latitude", "°"),
        *LINK_COLUMNS,
        Column("thumbnail", "str", "示意图（相对gaps目录）", "thumbnail (relative to gaps/)"),
    ),
    geometry=LINES + POINTS,
)
"""Cross-border dead ends, one row per gap, ranked by ``confidence`` (high, medium, low), then
by benefit; ``reasons_zh``/``reasons_en`` say why (:mod:`spatialint.gaps.confidence`)."""

CLASS_DROPS = Table(
    "class_drops",
    "瓶颈路",
    "class drops",
    stage="gaps",
    columns=(
        *REVIEW_COLUMNS,
        Column("unit_high", "str", "高等级侧行政区", "unit of higher class"),
        Column("unit_low", "str", "低等级侧行政区", "unit of lower class"),
        *BORDER_COLUMNS,
        Column("class_high", "str", "原等级", "class before"),
        Column("class_low", "str", "降级后等级", "class after"),
        Column("steps", "Int", "降级级数", "class steps dropped"),
        Column("name_high", "str", "高等级道路名称", "higher-class road name"),
        Column("name_low", "str", "低等级道路名称", "lower-class road name"),
        Column("border_m", "float", "距边界", "distance to border", "m"),
        Column("node_id", "Int", "交界节点", "border node"),
        Column("way_id_high", "Int", "高等级道路OSM编号", "higher-class way"),
        Column("way_id_low", "Int", "低等级道路OSM编号", "lower-class way"),
        Column("lon", "float", "经度", "longitude", "°"),
        Column("lat", "float", "纬度", "latitude", "°"),
        *LINK_COLUMNS,
    ),
    geometry=LINES + POINTS,
)

MISSING_CROSSINGS = Table(
    "missing_crossings",
    "缺失通道",
    "missing crossings",
    stage="gaps",
    columns=(
        Column("crossing_id", "str", "编号", "stretch id", nullable=False),
        Column("unit_a_name", "str", "行政区甲", "unit A"),
        Column("unit_b_name", "str", "行政区乙", "unit B"),
        *BORDER_COLUMNS,
        Column("length_km", "float", "无通道边界长度", "border without crossing", "km"),
        Column("unit_a", "str", "行政区甲编号", "unit A id"),
        Column("unit_b", "str", "行政区乙编号", "unit B id"),
    ),
    geometry=("LineString", "MultiLineString"),
)


def _columns(names: tuple[str, ...], *tables: Table) -> tuple[Column, ...]:
    """The columns ``names`` as the first of ``tables`` that has each defines them."""
    by_name: dict[str, Column] = {}
    for table in reversed(tables):
        by_name.update({c.name: c for c in table.columns})
    return tuple(by_name[n] for n in names)


REVIEW_TEMPLATE = Table(
    "gaps_review_template",
    "审核模板",
    "review template",
    stage="gaps",
    columns=(
        *REVIEW_COLUMNS[:3],
        Column("kind", "str", "类型", "kind"),
        Column("found", "str", "本次检出", "detected in this run"),
        *_columns(
            (
                "rank",
                "confidence",
                "category",
                "reasons_zh",
                "reasons_en",
                "unit_name",
                "other_unit_name",
                "border_level",
                "border",
                "unit_id",
                "other_unit_id",
                "name",
                "other_name",
                "highway",
                "other_highway",
                "gap_m",
                "detour_km",
                "minutes_saved_per_trip",
                "planned",
                "planned_way_id",
                "unit_high",
                "unit_low",
                "class_high",
                "class_low",
                "name_high",
                "name_low",
                "lon",
                "lat",
                "osm_edit_url",
                "josm_url",
            ),  # fmt: skip
            DEAD_ENDS,
            CLASS_DROPS,
        ),
    ),
)
"""Every finding (dead ends, then class drops) with its review columns: what planners copy to
their review file. ``found`` is text here (``是 yes`` / ``否 no``), for the planners."""
