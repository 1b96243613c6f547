"""Contracts of the transit stage: the lines (stop-to-stop segments) and stations of the GTFS
feeds, as the frequency-based network sees them in the analysis window."""

from __future__ import annotations

from spatialint.contracts.base import Column, Table
from spatialint.contracts.network import LINES, POINTS

TRANSIT_LINES = Table(
    "transit_lines",
    "公交线路",
    "transit lines",
    stage="transit_network",
    columns=(
        Column("feed", "str", "GTFS数据", "feed", nullable=False),
        Column("line_id", "str", "线路方向", "line", nullable=False),
        Column("route_name", "str", "线路名称", "route", nullable=False),
        Column("service", "str", "服务类型", "service", nullable=False),
        Column("route_type", "int", "GTFS线路类型", "route_type"),
        Column("from_stop", "str", "起点站编号", "from stop", nullable=False),
        Column("to_stop", "str", "终点站编号", "to stop", nullable=False),
        Column("from_name", "str", "起点站", "from"),
        Column("to_name", "str", "终点站", "to"),
        Column("trips", "int", "时段内班次", "trips in window"),
        Column("in_vehicle_min", "float", "车内时间", "in-vehicle time", "min"),
        Column("headway_min", "float", "发车间隔", "headway", "min"),
        Column("wait_min", "float", "平均候车", "mean wait", "min"),
    ),
    geometry=LINES,
)

TRANSIT_STOPS = Table(
    "transit_stops",
    "公交站点",
    "transit stations",
    stage="transit_network",
    columns=(
        Column("feed", "str", "GTFS数据", "feed", nullable=False),
        Column("station_id", "str", "站点编号", "station id", nullable=False),
        Column("name", "str", "名称", "name"),
        Column("services", "str", "服务类型", "services", nullable=False),
        Column("lines", "int", "线路数", "lines"),
        Column("road_node_id", "int", "最近道路节点", "nearest road node"),
        Column("road_snap_m", "float", "至道路距离", "distance to the road", "m"),
        Column("walk_reachable", "bool", "可步行到达", "reached on foot", nullable=False),
    ),
    geometry=POINTS,
)
