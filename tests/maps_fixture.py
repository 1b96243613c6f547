"""A small hand-made study (two counties near 112.9°E 28.2°N, in China so GCJ-02 applies)
with every layer the map and the report read, built inline with an explicit CRS.

Each layer keeps its contract (:mod:`spatialint.contracts`): the columns a test cares about
are given, the others filled with missing values of their dtype (:func:`complete`), and the
frame conformed, so the fixture breaks when a contract changes under it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
from matplotlib.image import imsave
from shapely.geometry import LineString, Point, Polygon, box

from spatialint.contracts import (
    ADMIN_UNITS,
    CLASS_DROPS,
    CORRIDORS,
    DEAD_ENDS,
    HEX_ACCESS,
    ISOCHRONES,
    MISSING_CROSSINGS,
    ORIGINS,
    RAIL_EDGES,
    RAIL_STATIONS,
    ROAD_EDGES,
    Table,
)
from spatialint.contracts.io import write_csv, write_layers, write_table
from spatialint.contracts.network import SPEED_FIT
from spatialint.publish.layers import StudyLayers

CRS = "EPSG:4326"
UTM = "EPSG:32649"


def complete(frame: gpd.GeoDataFrame, table: Table) -> gpd.GeoDataFrame:
    """``frame`` with the contract's columns it lacks, conformed to ``table``: missing values of
    their dtype, or a neutral value (0, "", False) where the column allows none."""
    frame = frame.copy()
    for column in table.columns:
        if column.name in frame.columns:
            continue
        frame[column.name] = _filler(column.dtype, column.nullable, len(frame))
    return table.conform(frame)


def _filler(dtype: str, nullable: bool, rows: int) -> object:
    if dtype == "int" or (dtype == "Int" and not nullable):
        return np.zeros(rows, dtype=np.int64)
    if dtype == "Int":
        return pd.array([pd.NA] * rows, dtype="Int64")
    if dtype == "float":
        return np.full(rows, np.nan if nullable else 0.0)
    if dtype == "bool":  # a GeoPackage cannot tell the type of an all-missing flag
        return np.zeros(rows, dtype=bool)
    return pd.Series([None if nullable else ""] * rows, dtype=object).to_numpy()


def _buffer_m(point: Point, metres: float) -> Polygon:
    return gpd.GeoSeries([point], crs=CRS).to_crs(UTM).buffer(metres).to_crs(CRS).iloc[0]


def make_layers(*, with_rail: bool = True) -> StudyLayers:
    units = gpd.GeoDataFrame(
        {
            "unit_id": ["r1", "r2", "r3"],
            "name": ["东县", "西县", "双城市"],
            "name_en": ["East County", "West County", "Twin City"],
            "admin_level": [6, 6, 5],
            "parent_id": ["r3", "r3", None],
            "centre_lon": [113.1, 112.9, 113.0],
            "centre_lat": [28.2, 28.2, 28.2],
        },
        geometry=[
            box(113.0, 28.1, 113.2, 28.3),
            box(112.8, 28.1, 113.0, 28.3),
            box(112.8, 28.1, 113.2, 28.3),
        ],
        crs=CRS,
    )
    motorway = LineString([(112.82, 28.2), (112.95, 28.21), (113.18, 28.2)])
    primary = LineString([(112.9, 28.12), (112.9, 28.28)])
    residential = LineString([(113.1, 28.15), (113.12, 28.16), (113.14, 28.15)])
    roads = gpd.GeoDataFrame(
        {
            "u": [1, 2, 3, 4, 5],
            "v": [2, 1, 4, 3, 6],
            "key": [0, 0, 0, 0, 0],
            "osmid": [10, 10, 11, 11, 12],
            "highway": ["motorway", "motorway", "primary", "primary", "residential"],
            "name": ["京港澳高速", "京港澳高速", "人民路", "人民路", "小巷"],
            "ref": ["G4", "G4", None, None, None],
            "length_m": [36000.0, 36000.0, 17800.0, 17800.0, 4500.0],
            "travel_time_s": [1300.0, 1300.0, 1070.0, 1070.0, 650.0],
        },
        geometry=[
            motorway,
            LineString(motorway.coords[::-1]),
            primary,
            LineString(primary.coords[::-1]),
            residential,
        ],
        crs=CRS,
    )
    rail = gpd.GeoDataFrame(
        {"service": ["highspeed", "conventional"], "name": ["京广高铁", "京广铁路"]},
        geometry=[
            LineString([(112.8, 28.25), (113.2, 28.26)]),
            LineString([(112.8, 28.14), (113.2, 28.13)]),
        ],
        crs=CRS,
    )
    stations = gpd.GeoDataFrame(
        {"node_id": [-1, -2], "name": ["西站", "东站"], "services": ["highspeed", "highspeed"]},
        geometry=[Point(112.9, 28.252), Point(113.1, 28.257)],
        crs=CRS,
    )
    if not with_rail:  # the contract's columns and dtypes, no rows
        rail, stations = rail.iloc[:0], stations.iloc[:0]
    origins = gpd.GeoDataFrame(
        {"origin_id": [1, 2], "name": ["西城中心", "东城中心"], "kind": ["place", "place"]},
        geometry=[Point(112.9, 28.2), Point(113.1, 28.2)],
        crs=CRS,
    )
    rows = []
    for origin in origins.itertuples():
        for mode, factor in (("road", 1.0), ("multimodal", 1.3)):
            for band in (60, 120, 180):
                geom = _buffer_m(origin.geometry, band * 60 * factor)
                rows.append(
                    {
                        "origin_id": origin.origin_id,
                        "origin_name": origin.name,
                        "mode": mode,
                        "band_min": float(band),
                        "area_km2": round(geom.area * 1e4, 1),
                        "population": 1000.0 * band,
                        "geometry": geom,
                    }
                )
    isochrones = gpd.GeoDataFrame(rows, crs=CRS)
    cells = sorted(h3.geo_to_cells(box(112.8, 28.1, 113.2, 28.3).__geo_interface__, 7))
    polys = [Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in cells]
    centres = np.array([h3.cell_to_latlng(c) for c in cells])
    dist_km = np.hypot((centres[:, 1] - 112.9) * 98, (centres[:, 0] - 28.2) * 111)
    hexagons = gpd.GeoDataFrame(
        {
            "h3": cells,
            "minutes_road": dist_km * 6.0,
            "minutes_multimodal": dist_km * 4.0,
        },
        geometry=polys,
        crs=CRS,
    )
    # G004 is a reviewed gap no longer found in the data: kept in the tables without geometry;
    # no population: the gaps stage ranks by minutes saved per sampled trip
    dead_ends = gpd.GeoDataFrame(
        {
            "rank": [1.0, 2.0, 3.0, np.nan],
            "gap_id": ["G001", "G002", "G003", "G004"],
            "status": ["确认", "待核实", "误报", "在建"],
            "confidence": ["high", "medium", "low", None],
            "category": ["road", "bridge", "road", None],
            "reasons_zh": [
                "可信度高：两端断头相向",
                "可信度中：对侧道路合理距离内",
                "可信度低：末端标记 noexit=yes",
                None,
            ],
            "reasons_en": [
                "high: two dead ends face each other",
                "medium: a road of the other unit at a plausible distance",
                "low: the end is tagged noexit=yes",
                None,
            ],
            "osm_edit_url": [
                "https://www.openstreetmap.org/edit?editor=id&node=11#map=17/28.150000/112.999500",
                None,
                None,
                None,
            ],
            "josm_url": [
                "http://127.0.0.1:8111/load_and_zoom?left=112.99&right=113.01&bottom=28.14&top=28.16&select=node11",
                None,
                None,
                None,
            ],
            "thumbnail": [f"thumbnails/G00{i}.png" for i in (1, 2, 3)] + [None],
            "comment": ["纳入2026年计划", "", "河流阻隔", "已开工"],
            "found": [True, True, True, False],
            "unit_name": ["东县", "东县", "东县", "西县"],
            "other_unit_name": ["西县", "西县", "西县", "东县"],
            "name": ["东环路", "建设路", "", "旧路"],
            "other_name": ["西环路", "建设西路", "无名路", "新路"],
            "gap_m": [180.0, 420.0, 650.0, 300.0],
            "detour_min": [12.5, 6.1, 1.2, np.nan],
            "detour_km": [8.2, 3.1, 0.9, np.nan],
            "planned": [True, False, False, True],
            "minutes_saved_mean": [14.5, 5.2, 0.8, np.nan],
            "minutes_saved_per_trip": [3.1, 1.2, 0.05, np.nan],
            "lon": [113.0005, 113.0008, 113.0012, np.nan],
            "lat": [28.15, 28.22, 28.27, np.nan],
        },
        geometry=[
            LineString([(113.0005, 28.15), (112.9985, 28.15)]),
            LineString([(113.0008, 28.22), (112.9968, 28.22)]),
            LineString([(113.0012, 28.27), (112.9948, 28.27)]),
            None,
        ],
        crs=CRS,
    )
    class_drops = gpd.GeoDataFrame(
        {
            "gap_id": ["C001"],
            "status": ["待核实"],
            "unit_high": ["西县"],
            "unit_low": ["东县"],
            "border": ["县界"],
            "class_high": ["primary"],
            "class_low": ["residential"],
            "name_high": ["建设路"],
            "name_low": ["建设路"],
        },
        geometry=[Point(113.01, 28.18)],
        crs=CRS,
    )
    missing = gpd.GeoDataFrame(
        {
            "crossing_id": ["M001"],
            "unit_a_name": ["东县"],
            "unit_b_name": ["西县"],
            "border": ["县界"],
            "length_km": [4.4],
        },
        geometry=[LineString([(113.0, 28.26), (113.0, 28.3)])],
        crs=CRS,
    )
    corridors = gpd.GeoDataFrame(
        {
            "rank": [1, 2],
            "corridor_id": ["K1", "K2"],
            "kind": ["corridor", "neighbours"],
            "name": ["东城–西城", "东县–西县"],
            "unit_a": ["西县", "西县"],
            "unit_b": ["东县", "东县"],
            "origin_a": ["西城中心", None],
            "origin_b": ["东城中心", None],
            "index": [62.0, np.nan],
            "road_min": [24.0, np.nan],
            "multimodal_min": [30.0, np.nan],
            "crossings": [5, 5],
            "border_km": [22.2, 22.2],
            "reason": ["", "no origin in a unit"],
            "summary": ["道路连通良好，缺少城际铁路", ""],
        },
        geometry=[
            LineString([(112.9, 28.2), (113.1, 28.2)]),
            LineString([(112.9, 28.25), (113.1, 28.25)]),
        ],
        crs=CRS,
    )
    return StudyLayers(
        units=complete(units, ADMIN_UNITS),
        roads=complete(roads, ROAD_EDGES),
        rail=complete(rail, RAIL_EDGES),
        stations=complete(stations, RAIL_STATIONS),
        origins=complete(origins, ORIGINS),
        isochrones=complete(isochrones, ISOCHRONES),
        hexagons=complete(hexagons, HEX_ACCESS),
        dead_ends=complete(dead_ends, DEAD_ENDS),
        class_drops=complete(class_drops, CLASS_DROPS),
        missing_crossings=complete(missing, MISSING_CROSSINGS),
        corridors=complete(corridors, CORRIDORS),
    )


def write_inputs(layers: StudyLayers, folder: Path) -> dict[str, Path]:
    """Write the layers as the stages do (by their contracts); return the rule-style input
    paths."""
    paths = {
        "units": folder / "network" / "admin_units.gpkg",
        "road_edges": folder / "network" / "road_edges.parquet",
        "rail_edges": folder / "network" / "rail_edges.parquet",
        "stations": folder / "network" / "rail_stations.parquet",
        "origins": folder / "access" / "origins.gpkg",
        "isochrones": folder / "access" / "isochrones.gpkg",
        "gaps": folder / "gaps" / "gaps.gpkg",
        "corridors": folder / "integration" / "corridors.gpkg",
        "speed_fit": folder / "network" / "speed_fit.csv",
    }
    write_csv(SPEED_FIT.empty(), SPEED_FIT, paths["speed_fit"])  # free flow: no calibration
    write_table(layers.units, ADMIN_UNITS, paths["units"])
    write_table(layers.roads, ROAD_EDGES, paths["road_edges"])
    write_table(layers.rail, RAIL_EDGES, paths["rail_edges"])
    write_table(layers.stations, RAIL_STATIONS, paths["stations"])
    write_table(layers.origins, ORIGINS, paths["origins"])
    write_layers(paths["isochrones"], {ISOCHRONES: layers.isochrones, HEX_ACCESS: layers.hexagons})
    write_layers(
        paths["gaps"],
        {
            DEAD_ENDS: layers.dead_ends,
            CLASS_DROPS: layers.class_drops,
            MISSING_CROSSINGS: layers.missing_crossings,
        },
    )
    write_table(layers.corridors, CORRIDORS, paths["corridors"])
    return paths


def write_thumbnails(folder: Path, gap_ids: Sequence[str] = ("G001", "G002", "G003")) -> Path:
    """A real PNG per gap of :func:`make_layers`, as the gaps stage names them
    (``thumbnails/<gap_id>.png``, 24 px, one colour each)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, gap_id in enumerate(gap_ids):
        imsave(folder / f"{gap_id}.png", np.full((24, 24), float(i)), vmin=0, vmax=3)
    return folder
