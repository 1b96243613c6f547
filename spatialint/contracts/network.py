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
