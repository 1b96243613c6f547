"""Contracts of the network stage's tables: admin units, places, roads, planned ways, rail."""

from __future__ import annotations

from spatialint.contracts.base import COUNT_FORMAT, Column, Table

POLYGONS = ("Polygon", "MultiPolygon")
LINES = ("LineString",)
POINTS = ("Point",)

ADMIN_UNITS = Table(
    "admin_units",
    "行政区",
    "admin units",
    stage="admin_units",
    columns=(
        Column("unit_id", "str", "行政区编号", "unit id", nullable=False),
        Column("name", "str", "名称", "name"),
        Column("name_en", "str", "英文名称", "English name"),
        Column("admin_level", "int", "行政级别", "admin level"),
        Column("parent_id", "str", "上级行政区", "parent unit"),
        Column("centre_lon", "float", "中心经度", "centre longitude", "°", nullable=False),
        Column("centre_lat", "float", "中心纬度", "centre latitude", "°", nullable=False),
        Column("centre_source", "str", "中心来源", "centre from", nullable=False),
    ),
    geometry=POLYGONS,
)

BORDER_WORDS: dict[int, tuple[str, str]] = {
    2: ("国界", "national border"),
    3: ("大区界", "region border"),
    4: ("省界", "provincial border"),
    5: ("市界", "prefecture border"),
    6: ("县界", "county border"),
    7: ("乡镇界", "township/parish border"),
    8: ("乡镇界", "township border"),
}
"""The border between two units of an OSM ``admin_level``, in Chinese and English (China's
levels; 7 is also Andorra's parishes); other levels: :func:`border_word`."""

#: The two columns that say which border a finding or corridor crosses (gaps, integration).
BORDER_COLUMNS = (
    Column("border_level", "Int", "跨越边界级别", "border admin level"),
    Column("border", "str", "跨越边界", "border crossed"),
)


def border_word(level: int, language: str) -> str:
    """The border of ``level`` in words: ``省界`` / ``provincial border``; a level without
    a name of its own as ``9级行政界`` / ``admin level 9 border``."""
    zh, en = BORDER_WORDS.get(int(level), (f"{level}级行政界", f"admin level {level} border"))
    return zh if language == "zh" else en


PLACES = Table(
    "places",
    "地名",
    "places",
    stage="admin_units",
    columns=(
        Column("node_id", "int", "OSM节点", "OSM node"),
        Column("name", "str", "名称", "name"),
        Column("name_en", "str", "英文名称", "English name"),
        Column("place", "str", "地名类型", "place type", nullable=False),
        Column("population", "float", "人口", "population", number_format=COUNT_FORMAT),
    ),
    geometry=POINTS,
)

ROAD_NODES = Table(
    "road_nodes",
    "道路节点",
    "road nodes",
    stage="road_network",
    columns=(
        Column("node_id", "int", "节点编号", "node id"),
        Column("x", "float", "经度", "longitude", "°", nullable=False),
        Column("y", "float", "纬度", "latitude", "°", nullable=False),
        Column("unit_id", "str", "行政区编号", "unit id"),
        Column("street_count", "int", "相连道路数", "streets at the node"),
    ),
    geometry=POINTS,
)

ROAD_EDGES = Table(
    "road_edges",
    "道路",
    "roads",
    stage="road_network",
    columns=(
        Column("u", "int", "起点节点", "from node"),
        Column("v", "int", "终点节点", "to node"),
        Column("key", "int", "平行边序号", "parallel edge key"),
        Column("osmid", "int", "OSM道路编号", "OSM way"),
        Column("highway", "str", "道路等级", "road class", nullable=False),
        Column("name", "str", "名称", "name"),
        Column("ref", "str", "道路编号", "ref"),
        Column("oneway", "bool", "单行", "one-way", nullable=False),
        Column("length_m", "float", "长度", "length", "m", nullable=False),
        Column("free_flow_kph", "float", "自由流速度", "free-flow speed", "km/h", nullable=False),
        Column("speed_kph", "float", "速度", "speed", "km/h", nullable=False),
        Column("travel_time_s", "float", "通行时间", "travel time", "s", nullable=False),
        Column("speed_group", "str", "速度分组", "speed group", nullable=False),
        Column("unit_id", "str", "行政区编号", "unit id"),
    ),
    geometry=LINES,
)

PLANNED_WAYS = Table(
    "planned_ways",
    "规划/在建道路",
    "planned ways",
    stage="road_network",
    columns=(
        Column("osmid", "int", "OSM道路编号", "OSM way"),
        Column("highway", "str", "OSM状态", "OSM highway", nullable=False),
        Column("planned_class", "str", "规划道路等级", "planned road class"),
        Column("name", "str", "名称", "name"),
        Column("ref", "str", "道路编号", "ref"),
    ),
    geometry=LINES,
)

RAIL_EDGES = Table(
    "rail_edges",
    "铁路",
    "rail",
    stage="rail_network",
    columns=(
        Column("u", "int", "起点节点", "from node"),
        Column("v", "int", "终点节点", "to node"),
        Column("service", "str", "线路类型", "service", nullable=False),
        Column("osmid", "int", "OSM线路编号", "OSM way"),
        Column("name", "str", "名称", "name"),
        Column("ref", "str", "线路编号", "ref"),
        Column("length_m", "float", "长度", "length", "m", nullable=False),
        Column("speed_kph", "float", "速度", "speed", "km/h", nullable=False),
        Column("travel_time_s", "float", "运行时间", "running time", "s", nullable=False),
        Column("u_station", "Int", "起点车站", "station at from node"),
        Column("v_station", "Int", "终点车站", "station at to node"),
        Column("unit_id", "str", "行政区编号", "unit id"),
    ),
    geometry=LINES,
)

RAIL_STATIONS = Table(
    "rail_stations",
    "车站",
    "stations",
    stage="rail_network",
    columns=(
        Column("node_id", "int", "车站编号", "station id"),
        Column("osm_type", "str", "OSM类型", "OSM type", nullable=False),
        Column("name", "str", "名称", "name"),
        Column("name_en", "str", "英文名称", "English name"),
        Column("services", "str", "线路类型", "services", nullable=False),
        Column("road_node_id", "int", "最近道路节点", "nearest road node"),
        Column("road_snap_m", "float", "至道路距离", "distance to the road", "m"),
        Column("unit_id", "str", "行政区编号", "unit id"),
    ),
    geometry=POINTS,
)

SPEED_GROUP_WORDS: dict[str, tuple[str, str]] = {
    "urban_expressway": ("城区高速/快速路", "urban expressway"),
    "urban_arterial": ("城区主次干路", "urban arterial"),
    "urban_local": ("城区其他道路", "urban local"),
    "rural_expressway": ("城区外高速/快速路", "rural expressway"),
    "rural_arterial": ("城区外主次干路", "rural arterial"),
    "rural_local": ("城区外其他道路", "rural local"),
    "all": ("全部", "all"),
}
"""``group`` of a row of :data:`SPEED_FIT` in words: expressway = motorway and trunk,
arterial = primary and secondary (with their links), local = every other class."""

FIT_STATUS_WORDS: dict[str, tuple[str, str]] = {
    "fitted": ("已拟合", "fitted"),
    "at_bound": ("已拟合（达到上下限）", "fitted (at a bound)"),
    "too_few_trips": ("样本不足，沿用默认系数", "too few trips: default kept"),
    "no_trips": ("无样本，沿用默认系数", "no trips: default kept"),
    "all": ("全部样本", "all trips"),
}
"""``status`` of a row of :data:`SPEED_FIT`: how the group's factor was found."""

SAMPLE_REASON_WORDS: dict[str, tuple[str, str]] = {
    "invalid": ("坐标或时长缺失/无效", "coordinates or minutes missing or invalid"),
    "duplicate": ("重复样本", "duplicate"),
    "no_time": ("缺少出行时间（已设时段）", "no time of day (speeds.trip_hours is set)"),
    "outside_hours": ("不在校准时段内", "outside speeds.trip_hours"),
    "not_snappable": ("距路网过远，无法匹配", "too far from the road network"),
    "same_node": ("起终点匹配到同一节点", "origin and destination on the same node"),
    "no_route": ("路网中无路径", "no route in the network"),
    "too_fast": ("快于路网最高速度", "faster than the network's top speed allows"),
    "too_slow": ("慢于步行（5公里/小时）", "slower than walking (5 km/h)"),
}
"""``reason`` of an excluded row of :data:`SPEED_SAMPLES` (empty for a used trip)."""

SPEED_FIT = Table(
    "speed_fit",
    "速度系数校准",
    "speed calibration",
    stage="road_network",
    columns=(
        Column("group", "str", "道路组", "road group", nullable=False),
        Column("trips", "int", "样本数", "trips"),
        Column("factor", "float", "校准系数", "fitted factor"),
        Column("start_factor", "float", "初始系数", "start factor"),
        Column("status", "str", "拟合状态", "status", nullable=False),
        Column(
            "median_error_before_min", "float", "校准前误差中位数", "median error before", "min"
        ),
        Column("p90_error_before_min", "float", "校准前90%分位误差", "p90 error before", "min"),
        Column("median_error_after_min", "float", "校准后误差中位数", "median error after", "min"),
        Column("p90_error_after_min", "float", "校准后90%分位误差", "p90 error after", "min"),
    ),  # fmt: skip
)
"""One row per road group (``{urban|rural}_{expressway|arterial|local}``) and a last row
``all``: the trips that inform the group (those spending at least a tenth of their free-flow
time in it), its factor before and after, and the absolute error of the modelled against the
observed minutes of those trips, before (start factors) and after calibration."""

SPEED_SAMPLES = Table(
    "speed_samples",
    "校准样本",
    "calibration trips",
    stage="road_network",
    columns=(
        Column("trip", "int", "样本序号", "trip", nullable=False),
        Column("o_lon", "float", "起点经度", "origin longitude", "°"),
        Column("o_lat", "float", "起点纬度", "origin latitude", "°"),
        Column("d_lon", "float", "终点经度", "destination longitude", "°"),
        Column("d_lat", "float", "终点纬度", "destination latitude", "°"),
        Column("time_of_day", "str", "时段", "time of day"),
        Column("o_node", "Int", "起点节点", "origin node"),
        Column("d_node", "Int", "终点节点", "destination node"),
        Column("o_snap_m", "float", "起点匹配距离", "origin snap distance", "m"),
        Column("d_snap_m", "float", "终点匹配距离", "destination snap distance", "m"),
        Column("observed_min", "float", "观测时间", "observed", "min"),
        Column("free_flow_min", "float", "自由流时间", "free-flow", "min"),
        Column("modelled_before_min", "float", "校准前模型时间", "modelled before", "min"),
        Column("modelled_after_min", "float", "校准后模型时间", "modelled after", "min"),
        Column("used", "bool", "参与拟合", "used", nullable=False),
        Column("reason", "str", "剔除原因", "excluded because"),
    ),
)
"""One row per observed trip, in file order (``trip``: its row number, from 1): where it
snapped, its observed minutes, the model's minutes at free flow, with the start factors and
with the fitted factors, and whether it was used or why not (:data:`SAMPLE_REASON_WORDS`).
Coordinates are WGS-84 (converted from GCJ-02 where the file was)."""
