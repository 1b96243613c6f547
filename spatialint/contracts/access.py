"""Contracts of the access stage's tables: origins, isochrones and the hexagon surface."""

from __future__ import annotations

from spatialint.contracts.base import COUNT_FORMAT, GENERAL_FORMAT, Column, ColumnFamily, Table
from spatialint.contracts.network import POINTS, POLYGONS

ORIGINS = Table(
    "origins",
    "中心点",
    "origins",
    stage="origins",
    columns=(
        Column("origin_id", "int", "中心点编号", "origin id"),
        Column("name", "str", "名称", "name", nullable=False),
        Column("kind", "str", "类型", "kind"),
        Column("matched", "str", "匹配对象", "matched"),
        Column("node_id", "int", "道路节点", "road node"),
        Column("snap_m", "float", "吸附距离", "snap distance", "m"),
        Column("edge_u", "int", "所在道路起点", "road from node"),
        Column("edge_v", "int", "所在道路终点", "road to node"),
        Column("edge_fraction", "float", "在道路上的位置", "position along the road"),
        Column("station_node_id", "Int", "车站编号", "station id"),
        Column("station_road_node_id", "Int", "车站道路节点", "station's road node"),
    ),
    geometry=POINTS,
)

ISOCHRONES = Table(
    "isochrones",
    "等时圈",
    "isochrones",
    stage="isochrones",
    columns=(
        Column("origin_id", "int", "中心点编号", "origin id"),
        Column("origin_name", "str", "中心点", "origin"),
        Column("mode", "str", "方式", "mode"),
        Column("band_min", "float", "时间圈", "band", "min", number_format=GENERAL_FORMAT),
        Column("area_km2", "float", "面积", "area", "km²"),
        Column("population", "float", "人口", "population", number_format=COUNT_FORMAT),
        # road + rail rows: people beyond the road circle of the same origin and band
        Column(
            "population_gained",
            "float",
            "比仅公路多覆盖人口",
            "people gained over road only",
            number_format=COUNT_FORMAT,
        ),
    ),
    geometry=POLYGONS,
)

HEX_ACCESS = Table(
    "hex_access",
    "可达性网格",
    "accessibility hexagons",
    stage="isochrones",
    columns=(
        Column("h3", "str", "H3网格编号", "H3 cell", nullable=False),
        Column("population", "float", "人口", "population", number_format=COUNT_FORMAT),
    ),
    families=(
        ColumnFamily(
            "minutes_{mode}",
            "float",
            "到最近中心点时间（{mode}）",
            "minutes to nearest origin ({mode})",
            "min",
        ),  # fmt: skip
        # missing where no origin arrives within the largest band
        ColumnFamily(
            "nearest_origin_{mode}", "Int", "最近中心点（{mode}）", "nearest origin ({mode})"
        ),
        ColumnFamily(
            "origins_{band}min_{mode}",
            "int",
            "{band}分钟内可达中心点数（{mode}）",
            "origins within {band} min ({mode})",
        ),
    ),
    geometry=POLYGONS,
)
