"""Contract of the integration stage's table: one row per corridor, every measure and the index.

Counts that do not apply to a row are missing (nullable ``Int``): the crossings of a named
corridor whose units share no border, the routes between centres that are not connected, the
open gaps of a row below ``admin.border_level``.
"""

from __future__ import annotations

from spatialint.contracts.base import COUNT_FORMAT, SHARE_FORMAT, TENTHS_FORMAT, Column, Table
from spatialint.contracts.network import BORDER_COLUMNS

CROSSING_CLASSES: dict[str, str] = {
    "motorway": "高速公路",
    "trunk": "干线公路",
    "primary": "主干路",
    "secondary": "次干路",
    "tertiary": "支路",
    "minor": "其他道路",
}
"""Road class groups of the crossing counts (``*_link`` counts as its parent class, every other
drivable class as ``minor``), with their Chinese names."""

KIND_LABELS: dict[str, tuple[str, str]] = {
    "neighbours": ("相邻单元", "neighbouring units"),
    "corridor": ("指定走廊", "named corridor"),
}
"""Values of the ``kind`` column, in Chinese and English."""


def _reach(column: str, share_of: str, mode_zh: str, mode_en: str) -> Column:
    """A reach share: of B's area/population in A's 1-hour circle, or the other way round."""
    a, b = ("A", "B") if column.endswith("_ab") else ("B", "A")
    what_zh, what_en = ("人口", "population") if share_of == "pop" else ("面积", "area")
    return Column(
        column,
        "float",
        f"{b}{what_zh}在{a}一小时{mode_zh}圈内比例",
        f"share of {b}'s {what_en} in {a}'s 1-h {mode_en} circle",
        number_format=SHARE_FORMAT,
    )


CORRIDORS = Table(
    "corridors",
    "走廊一体化",
    "corridors",
    stage="integration",
    columns=(
        Column("rank", "int", "排名", "rank"),
        Column("corridor_id", "str", "走廊编号", "corridor id", nullable=False),
        Column("kind", "str", "类型", "kind"),
        Column("name", "str", "走廊", "corridor"),
        Column("admin_level", "int", "行政级别", "admin level"),
        *BORDER_COLUMNS,
        Column("unit_a_id", "str", "单元A编号", "unit A id"),
        Column("unit_a", "str", "单元A", "unit A"),
        Column("unit_b_id", "str", "单元B编号", "unit B id"),
        Column("unit_b", "str", "单元B", "unit B"),
        Column("origin_a", "str", "起点A", "origin A"),
        Column("origin_b", "str", "起点B", "origin B"),
        Column(
            "index",
            "float",
            "一体化指数(0-100)",
            "integration index (0-100)",
            number_format=TENTHS_FORMAT,
        ),
        Column("index_basis", "str", "指数构成", "index based on"),
        Column("border_km", "float", "共同边界长度", "shared border", "km"),
        Column("crossings", "Int", "跨界道路数", "road crossings"),
        *(
            Column(f"crossings_{c}", "Int", f"跨界道路数·{zh}", f"crossings: {c}")
            for c, zh in CROSSING_CLASSES.items()
        ),
        Column(
            "weighted_crossings",
            "float",
            "加权跨界道路数",
            "weighted crossings",
            number_format=TENTHS_FORMAT,
        ),
        Column(
            "crossings_per_10km",
            "float",
            "每10公里边界跨界道路数",
            "crossings per 10 km of border",
            number_format=TENTHS_FORMAT,
        ),
        Column(
            "weighted_crossings_per_10km",
            "float",
            "每10公里边界加权跨界道路数",
            "weighted crossings per 10 km of border",
            number_format=TENTHS_FORMAT,
        ),
        Column(
            "longest_uncrossed_km",
            "float",
            "最长无跨界道路边界段",
            "longest border stretch without crossing",
            "km",
        ),
        Column("straight_km", "float", "中心直线距离", "straight-line distance of centres", "km"),
        Column("road_min", "float", "道路通行时间", "road travel time", "min"),
        Column("multimodal_min", "float", "公路+铁路通行时间", "road + rail travel time", "min"),
        Column("road_kph", "float", "道路直线速度", "road speed over the straight line", "km/h"),
        Column(
            "multimodal_kph",
            "float",
            "公路+铁路直线速度",
            "road + rail speed over the straight line",
            "km/h",
        ),
        Column("road_km", "float", "最短道路距离", "shortest road distance", "km"),
        Column("detour_index", "float", "绕行系数", "detour index"),
        _reach("reach_road_ab", "area", "道路", "road"),
        _reach("reach_road_ba", "area", "道路", "road"),
        _reach("reach_mm_ab", "area", "公铁", "road+rail"),
        _reach("reach_mm_ba", "area", "公铁", "road+rail"),
        _reach("pop_reach_road_ab", "pop", "道路", "road"),
        _reach("pop_reach_road_ba", "pop", "道路", "road"),
        _reach("pop_reach_mm_ab", "pop", "公铁", "road+rail"),
        _reach("pop_reach_mm_ba", "pop", "公铁", "road+rail"),
        Column(
            "overlap_road",
            "float",
            "一小时道路圈重叠度",
            "overlap of the 1-h road circles",
            number_format=SHARE_FORMAT,
        ),
        Column(
            "overlap_mm",
            "float",
            "一小时公铁圈重叠度",
            "overlap of the 1-h road+rail circles",
            number_format=SHARE_FORMAT,
        ),
        Column("border_penalty", "float", "边界阻抗系数", "border penalty"),
        Column("penalty_pairs_cross", "int", "跨界样本对数", "sampled cross-border pairs"),
        Column("penalty_pairs_inside", "int", "单元内样本对数", "sampled within-unit pairs"),
        Column("routes", "Int", "可替代路线数", "materially different routes"),
        Column("open_gaps", "Int", "未打通断头路数", "open 断头路 (dead-end roads)"),
        Column(
            "open_gap_benefit_min",
            "float",
            "打通断头路每次出行节省合计",
            "minutes saved per sampled trip, summed over the open gaps",
            "min",
        ),
        Column(
            "open_gap_person_minutes",
            "float",
            "打通断头路人·分钟节省合计",
            "person-minutes saved by opening them (one trip per resident)",
            number_format=COUNT_FORMAT,
        ),
        Column("reason", "str", "说明", "note"),
        Column("summary", "str", "摘要", "summary"),
    ),
    geometry=("LineString",),
)
