"""The Folium map: layer data, legend, popups, basemaps (GCJ-02 on AMap), offline page, bad input.

The layers are tested as data (:func:`spatialint.publish.map.map_drawings`: GeoJSON features and
their properties, circles, popup fields, legend entries), not as the HTML a Folium version
writes; ``test_browser.py`` looks at the rendered page in Chromium.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import shutil
import subprocess
import sys
from dataclasses import replace

import numpy as np
import osmium
import pandas as pd
import pyproj
import pytest
from geopandas.testing import assert_geodataframe_equal

from spatialint.config import REPO_ROOT, load_study
from spatialint.contracts import DEAD_ENDS, Table
from spatialint.contracts.io import write_layers
from spatialint.errors import ConfigError, DataError
from spatialint.gaps.review import STATUSES
from spatialint.publish.layers import osm_data_date, read_layers
from spatialint.publish.map import build_map, map_drawings, render_map, run_map_stage, write_map
from spatialint.publish.map.access_layers import hex_class
from spatialint.publish.map.display import display_roads
from spatialint.publish.map.draw import popup_html
from spatialint.publish.map.model import Circle, Drawing, MapLayer
from spatialint.publish.map.page import basemap_tiles, legend_panel
from spatialint.publish.offline_assets import leaflet_version
from spatialint.publish.style import (
    CLASS_DROP_COLOUR,
    CORRIDOR_RAMP,
    HEX_UNREACHED_COLOUR,
    MIN_COLOUR_DIFFERENCE,
    NO_INDEX_COLOUR,
    OUTLINE_COLOUR,
    PALETTES,
    RAIL_STYLE,
    ROAD_STYLE,
    STATUS_CLASSES,
    band_colours,
    colour_difference,
)
from spatialint.settings import MapSettings, SpeedSettings, StudyInfo
from tests.maps_fixture import make_layers, write_inputs
from tests.pipeline_runs import clone_run

GEOD = pyproj.Geod(ellps="WGS84")
MAP = MapSettings.from_study(load_study("demo"))  # the schema's defaults (demo sets no maps)
STUDY = StudyInfo(name="test", title="测试区域", synthetic=False, language="zh")
SPEEDS = SpeedSettings.from_study(load_study("demo"))


@pytest.fixture(scope="module")
def layers():
    return make_layers()


def drawings(layers, *, language="zh", **settings) -> tuple[Drawing, ...]:
    return map_drawings(layers, map_settings=replace(MAP, **settings), language=language)


def all_layers(drawn) -> dict[str, MapLayer]:
    return {layer.name: layer for d in drawn for layer in d.layers}


def legend_texts(drawn) -> list[str]:
    return [entry.text for d in drawn for entry in d.legend]


def features(layer: MapLayer) -> list[dict]:
    return [f for shapes in layer.shapes for f in shapes.features["features"]]


def circle_of(layer: MapLayer, gap_id: str) -> Circle:
    (circle,) = [c for c in layer.circles if c.tooltip.startswith(f"{gap_id} ·")]
    return circle


def dead_end_circles(layers, **settings) -> MapLayer:
    """The circles of both 断头路 layers (shown and other confidence) as one layer."""
    drawn = all_layers(drawings(layers, **settings))
    parts = [drawn[name] for name in ("断头路", "断头路（其他可信度）") if name in drawn]
    return MapLayer("all", True, (), tuple(c for part in parts for c in part.circles))


def test_map_has_every_layer_labelled(layers):
    drawn = all_layers(drawings(layers))
    names = ["行政区", "高速公路/快速路", "主干道", "高速铁路", "普速铁路", "车站",
             "等时圈: 西城中心 – 公路", "等时圈: 东城中心 – 公路+铁路",
             "可达性网格（公路，分钟）", "中心点", "走廊一体化指数", "等级骤降",
             "缺失的跨界通道", "断头路"]  # fmt: skip
    for name in names:
        assert name in drawn, name
    # only the first origin's road circles start shown; the hexagons are hidden at first
    shown = [name for name, layer in drawn.items() if name.startswith("等时圈") and layer.show]
    assert shown == ["等时圈: 西城中心 – 公路"]
    assert not drawn["可达性网格（公路，分钟）"].show
    # units labelled by name, roads and rail with their contract columns on hover
    assert [t.text for t in drawn["行政区"].labels] == ["东县", "西县", "双城市"]
    roads = drawn["高速公路/快速路"].shapes[0]
    assert [f["properties"] for f in roads.features["features"]] == [
        {"name": "京港澳高速", "ref": "G4", "highway": "motorway"}
    ]  # the two directed edges drawn once
    assert dict(roads.tooltip) == {"name": "名称", "ref": "道路编号", "highway": "道路等级"}
    stations = drawn["车站"].circles
    assert [c.tooltip for c in stations] == ["西站 (highspeed)", "东站 (highspeed)"]
    legend = legend_texts(drawings(layers))
    assert legend[:2] == ["行政区", "高速公路/快速路"] and "1小时圈" in legend
    assert "3小时圈" in legend and "断头路" in legend


def test_isochrone_layer_draws_each_band_filled_and_outlined(layers):
    layer = all_layers(drawings(layers))["等时圈: 西城中心 – 公路"]
    assert [s.name for s in layer.shapes] == [
        "1 road 180.0 outline", "1 road 180.0", "1 road 120.0 outline", "1 road 120.0",
        "1 road 60.0 outline", "1 road 60.0",
    ]  # fmt: skip
    fill = layer.shapes[-1]
    assert fill.features["features"][0]["geometry"]["type"] == "Polygon"
    assert layer.shapes[-2].features["features"][0]["geometry"]["type"] == "LineString"
    expected = pd.DataFrame(
        {"_band": ["1小时圈"], "origin_name": ["西城中心"], "area_km2": ["37.4"],
         "population": ["60,000"], "population_gained": [""]}
    )  # fmt: skip
    properties = pd.DataFrame([f["properties"] for f in fill.features["features"]])
    pd.testing.assert_frame_equal(properties, expected)
    assert dict(fill.tooltip)["area_km2"] == "面积（平方公里）"


def test_hexagon_classes_and_unreached_cells(layers):
    drawn = all_layers(drawings(layers))
    road = drawn["可达性网格（公路，分钟）"]
    texts = [f["properties"]["_text"] for f in features(road)]
    assert "0–15 分钟" in texts and all(t.endswith("分钟") for t in texts)
    assert hex_class(-1.0, 180.0, "zh") == (HEX_UNREACHED_COLOUR, "> 180 分钟")
    assert hex_class(30.0, 180.0, "en")[1] == "15–30 minutes"


def test_dead_end_popup_answers_a_reviewer(layers):
    drawn = all_layers(drawings(layers))["断头路"]
    popup = circle_of(drawn, "G001").popup
    texts = {row.field: row.text for row in popup.rows}
    assert texts["name"] == "东环路" and texts["other_name"] == "西环路"
    assert texts["unit_name"] == "东县" and texts["gap_m"] == "180"
    assert texts["detour_min"] == "12.5" and texts["detour_km"] == "8.2"
    assert texts["minutes_saved_mean"] == "14.5" and texts["minutes_saved_per_trip"] == "3.1"
    assert texts["planned"] == "是" and texts["status"] == "确认"
    assert texts["comment"] == "纳入2026年计划"
    # why: confidence, category and the reasons in the study's language
    assert texts["confidence"] == "可信度高" and texts["category"] == "道路"
    assert texts["reasons_zh"] == "可信度高：两端断头相向"
    assert [r.field for r in popup.rows][3:6] == ["confidence", "category", "reasons_zh"]
    assert circle_of(drawn, "G002").popup.rows[4].text == "需建桥"
    # labelled by the dead_ends contract; rows without a value are left out of the popup
    assert {r.field: r.label for r in popup.rows}["gap_m"] == DEAD_ENDS.label("gap_m", "zh")
    assert "person_minutes_saved" not in popup.fields and "planned_class" not in popup.fields
    # a reviewed gap no longer in the data has no place on the map (it stays in the tables)
    assert not [c for c in drawn.circles if c.tooltip.startswith("G004")]
    # link to openstreetmap.org at the WGS-84 position of the dead end, then the editors
    view, edit, josm = popup.links
    assert view[0].startswith("https://www.openstreetmap.org/?mlat=28.150000&mlon=113.000500")
    assert edit == (layers.dead_ends["osm_edit_url"].iloc[0], "在OSM编辑器中打开")
    assert josm[0].startswith("http://127.0.0.1:8111/load_and_zoom?") and "JOSM" in josm[1]
    page = popup_html(popup)
    assert "openstreetmap.org" in page and "纳入2026年计划" in page and "8111" in page
    assert len(circle_of(drawn, "G002").popup.links) == 1  # no editor links written: none shown
    # the gap lines beneath the circles: high and medium here, the low one in its own layer
    assert len(features(drawn)) == 2


def test_low_confidence_dead_ends_are_in_a_layer_switched_off(layers):
    drawn = all_layers(drawings(layers))
    assert drawn["断头路"].show and not drawn["断头路（其他可信度）"].show
    assert [c.tooltip.split(" ")[0] for c in drawn["断头路（其他可信度）"].circles] == ["G003"]
    assert len(features(drawn["断头路（其他可信度）"])) == 1
    legend = legend_texts(drawings(layers))
    assert "“断头路”：可信度高、可信度中；其余1处在“断头路（其他可信度）”（默认关闭）" in legend
    every = drawings(layers, gap_confidence=("high", "medium", "low"))
    assert len(all_layers(every)["断头路"].circles) == 3
    assert "断头路（其他可信度）" not in all_layers(every)
    assert not [text for text in legend_texts(every) if "其他可信度" in text]
    legend_en = legend_texts(drawings(layers, language="en"))
    other = "“Dead-end roads, other confidence” (off at start)"
    assert f"“Dead-end roads (断头路)”: high, medium; the other 1 in {other}" in legend_en
    english = circle_of(
        all_layers(drawings(layers, language="en"))["Dead-end roads (断头路)"], "G001"
    )
    texts = {row.field: row.text for row in english.popup.rows}
    assert texts["reasons_en"] == "high: two dead ends face each other"
    assert texts["confidence"] == "high" and "reasons_zh" not in texts


def test_dead_ends_are_sized_by_the_ranking_key(layers):
    """Without population: minutes saved per sampled trip; with it: person-minutes."""
    drawn = dead_end_circles(layers)
    radius = {gid: circle_of(drawn, gid).radius for gid in ("G001", "G002", "G003")}
    assert radius["G001"] > radius["G002"] > radius["G003"]
    legend = legend_texts(drawings(layers))
    assert "圆大小 = 每次出行平均节省（分钟）" in legend
    people = layers.dead_ends.assign(person_minutes_saved=[10.0, 200.0, 5000.0, np.nan])
    with_people = replace(layers, dead_ends=people)
    drawn = dead_end_circles(with_people)
    radius = {gid: circle_of(drawn, gid).radius for gid in ("G001", "G002", "G003")}
    assert radius["G003"] > radius["G002"] > radius["G001"]  # one scale over both layers
    shown = all_layers(drawings(with_people, gap_confidence=("high", "medium", "low")))["断头路"]
    assert shown.circles[0].tooltip.startswith("G003")  # the largest drawn first, beneath
    assert f"圆大小 = {DEAD_ENDS.label('person_minutes_saved', 'zh')}" in legend_texts(
        drawings(with_people)
    )
    assert "person_minutes_saved" in circle_of(drawn, "G003").popup.fields


def test_review_statuses_colour_the_dead_ends(layers):
    assert set(STATUS_CLASSES) == set(STATUSES)  # every status the gaps stage writes
    drawn = drawings(layers)
    dead = [d for d in drawn if d.layers and d.layers[0].name == "断头路"][0]
    dots = {e.text: e.colours[0] for e in dead.legend if e.kind == "dot"}
    assert set(dots) == {"确认", "待核实", "误报"}
    assert len(set(dots.values())) == 3


def test_corridors_class_drops_and_missing_crossings(layers):
    drawn = all_layers(drawings(layers))
    corridors = drawn["走廊一体化指数"].shapes
    colours = {s.name: s.style["color"] for s in corridors}
    # 62 on the ramp's middle class; no index: its own colour
    assert colours == {"corridor K2": NO_INDEX_COLOUR, "corridor K1": CORRIDOR_RAMP[2]}
    assert corridors[-1].name == "corridor K1"  # the best on top
    popup = corridors[-1].popup
    assert {"name", "index", "road_min", "summary"} <= set(popup.fields)
    assert "无指数（见说明）" in legend_texts(drawings(layers))
    drops = drawn["等级骤降"].shapes[0]
    expected = pd.DataFrame(
        {"gap_id": ["C001"], "status": ["待核实"], "unit_high": ["西县"], "unit_low": ["东县"],
         "border": ["县界"], "class_high": ["primary"], "class_low": ["residential"],
         "name_high": ["建设路"], "name_low": ["建设路"], "comment": [""]}
    )  # fmt: skip
    pd.testing.assert_frame_equal(
        pd.DataFrame([f["properties"] for f in drops.features["features"]]), expected
    )
    missing = drawn["缺失的跨界通道"].shapes[0]
    assert missing.features["features"][0]["properties"]["length_km"] == "4.4"
    assert dict(missing.tooltip)["length_km"] == "无通道边界长度（公里）"
    assert missing.features["features"][0]["properties"]["border"] == "县界"
    assert dict(missing.tooltip)["border"] == "跨越边界"


def test_english_labels(layers):
    drawn = all_layers(drawings(layers, language="en"))
    assert "Administrative units" in drawn and "Dead-end roads (断头路)" in drawn
    assert [t.text for t in drawn["Administrative units"].labels][0] == "East County"
    assert "1-hour circle" in legend_texts(drawings(layers, language="en"))
    popup = circle_of(drawn["Dead-end roads (断头路)"], "G001").popup
    assert {r.field: r.text for r in popup.rows}["status"] == "confirmed"


def test_basemaps_change_tiles_and_amap_shifts_overlays(layers):
    osm_tiles = basemap_tiles("osm", language="zh", tianditu_token=None)
    assert "tile.openstreetmap.org" in osm_tiles[0][0]
    assert basemap_tiles("none", language="zh", tianditu_token=None) == []
    tianditu = [t[0] for t in basemap_tiles("tianditu", language="zh", tianditu_token="abc123")]
    assert "tianditu.gov.cn/vec_w" in tianditu[0] and "tk=abc123" in tianditu[0]
    assert "cva_w" in tianditu[1]
    english = basemap_tiles("tianditu", language="en", tianditu_token="abc123")
    assert "eva_w" in english[1][0]
    with pytest.raises(ConfigError, match="tianditu_token"):
        basemap_tiles("tianditu", language="zh", tianditu_token=None)
    assert "autonavi.com" in basemap_tiles("amap", language="zh", tianditu_token=None)[0][0]
    osm = circle_of(all_layers(drawings(layers))["断头路"], "G001")
    amap = circle_of(all_layers(drawings(layers, basemap="amap"))["断头路"], "G001")
    _, _, shift_m = GEOD.inv(osm.lon, osm.lat, amap.lon, amap.lat)
    assert 300 < shift_m < 700
    # Tianditu is CGCS2000 ≈ WGS-84: no shift
    tianditu_map = drawings(layers, basemap="tianditu", tianditu_token="abc123")
    assert circle_of(all_layers(tianditu_map)["断头路"], "G001").lat == osm.lat
    # the OSM link keeps WGS-84 even on AMap
    assert "mlat=28.150000&mlon=113.000500" in amap.popup.links[0][0]


def test_no_rail_is_said_in_the_legend():
    drawn = drawings(make_layers(with_rail=False))
    assert "研究区内无铁路" in legend_texts(drawn)
    assert not {"高速铁路", "车站"} & set(all_layers(drawn))


def test_display_roads_dedupes_directed_edges_and_drops_minor_classes(layers):
    roads = display_roads(
        layers.roads, road_classes=("motorway", "primary"), simplify_m=25.0,
        metric_crs="EPSG:32649", gcj02=False,
    )  # fmt: skip
    assert sorted(roads["highway"]) == ["motorway", "primary"]
    assert set(roads["group"]) == {"roads_major", "roads_primary"}
    coords = np.asarray(roads.geometry.iloc[0].coords)
    assert (np.round(coords, 5) == coords).all()


def test_road_classes_and_simplification_follow_the_config(layers):
    default = drawings(layers)
    assert "其他道路" not in all_layers(default)
    assert "地图仅显示主要道路；完整路网见 GeoPackage" in legend_texts(default)
    everything = drawings(layers, road_classes=("motorway", "primary", "residential"))
    assert "其他道路" in all_layers(everything)
    assert not any(t.startswith("地图仅显示主要道路") for t in legend_texts(everything))

    def vertices(drawn):
        iso = all_layers(drawn)["等时圈: 西城中心 – 公路"]
        return sum(len(str(f["geometry"]["coordinates"])) for f in features(iso))

    assert vertices(drawings(layers, simplify_m=2000.0)) < vertices(default)


def test_page_is_offline_with_title_and_legend(layers):
    m = build_map(layers, map_settings=MAP, study=replace(STUDY, synthetic=True), data_date=None)
    html = render_map(m)
    # Leaflet inlined, nothing fetched from the network
    assert f'version="{leaflet_version()}"' in html and ".leaflet-control-layers" in html
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']https?://", html)
    assert "cdn.jsdelivr" not in html and "jquery" not in html.lower()
    # our panels, as written: title, synthetic note, attribution, legend
    assert "演示数据：合成区域，并非真实地点" in html and "© OpenStreetMap 贡献者" in html
    legend = [e for d in drawings(layers) for e in d.legend]
    assert legend_panel(legend, "zh") in html


def _pbf(path, timestamp=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    header = osmium.io.Header()
    if timestamp:
        header.set("osmosis_replication_timestamp", timestamp)
    writer = osmium.SimpleWriter(str(path), header=header, overwrite=True)
    writer.add_node(osmium.osm.mutable.Node(id=1, location=(112.9, 28.2), tags={}))
    writer.close()
    return path


def test_osm_data_date_from_header(tmp_path):
    assert osm_data_date(_pbf(tmp_path / "a.osm.pbf", "2024-05-01T12:00:00Z")) == "2024-05-01"
    with pytest.raises(DataError, match="does not exist"):
        osm_data_date(tmp_path / "missing.osm.pbf")


@pytest.mark.realdata
def test_osm_data_date_of_the_real_extracts(andorra_pbf, monaco_pbf):
    assert osm_data_date(andorra_pbf) == "2013-05-28"  # header replication timestamp
    assert osm_data_date(monaco_pbf) == "2012-07-06"  # newest edit (no header date)


def test_map_stage_reads_every_layer_by_its_contract(tmp_path, layers):
    paths = write_inputs(layers, tmp_path)
    read = read_layers(paths)
    assert len(read.dead_ends) == 4 and len(read.hexagons) == len(layers.hexagons)
    assert_geodataframe_equal(read.corridors, layers.corridors, check_dtype=False)
    paths["pbf"] = _pbf(tmp_path / "osm" / "extract.osm.pbf", "2024-05-01T00:00:00Z")
    target = run_map_stage(
        paths, {"html": tmp_path / "index.html"}, map=MAP, study=STUDY, speeds=SPEEDS
    )
    assert "2024-05-01" in target.read_text(encoding="utf-8")


def _without_column(table: Table, column: str) -> Table:
    """``table`` minus ``column``: writes a file that breaks the real contract."""
    return dataclasses.replace(table, columns=tuple(c for c in table.columns if c.name != column))


def test_map_stage_refuses_a_dead_ends_layer_that_breaks_its_contract(tmp_path, layers):
    paths = write_inputs(layers, tmp_path)
    paths["pbf"] = _pbf(tmp_path / "osm" / "extract.osm.pbf")
    broken = _without_column(DEAD_ENDS, "minutes_saved_per_trip")
    write_layers(paths["gaps"], {
        broken: layers.dead_ends.drop(columns="minutes_saved_per_trip"),
    })  # fmt: skip
    target = tmp_path / "index.html"
    with pytest.raises(DataError, match=r"dead_ends.*minutes_saved_per_trip.*re-run the gaps step"):
        run_map_stage(paths, {"html": target}, map=MAP, study=STUDY, speeds=SPEEDS)
    assert not target.exists()
    # a missing layer and a units file without names are named too
    write_inputs(layers, tmp_path)
    write_layers(paths["gaps"], {DEAD_ENDS: layers.dead_ends})
    with pytest.raises(DataError, match="class_drops.*gaps step"):
        read_layers(paths)
    write_inputs(layers, tmp_path)
    layers.units.drop(columns="name").to_file(paths["units"], layer="admin_units")
    with pytest.raises(DataError, match="'name'.*admin_units step"):
        read_layers(paths)


def test_map_of_the_demo_run(demo_run):
    """Every layer of the shared demo run draws; no population there: sized per trip."""
    data = demo_run / "data" / "demo"
    paths = {
        "units": data / "network" / "admin_units.gpkg",
        "road_edges": data / "network" / "road_edges.parquet",
        "rail_edges": data / "network" / "rail_edges.parquet",
        "stations": data / "network" / "rail_stations.parquet",
        "origins": data / "access" / "origins.gpkg",
        "isochrones": data / "access" / "isochrones.gpkg",
        "gaps": data / "gaps" / "gaps.gpkg",
        "corridors": data / "integration" / "corridors.gpkg",
    }
    layers = read_layers(paths)
    drawn = drawings(layers)
    names = all_layers(drawn)
    assert {"行政区", "高速铁路", "车站", "中心点", "走廊一体化指数", "断头路"} <= set(names)
    # high and medium in the 断头路 layer, the demo's low decoys in the one switched off
    level = layers.dead_ends["confidence"]
    assert len(names["断头路"].circles) == level.isin(["high", "medium"]).sum() > 0
    assert len(names["断头路（其他可信度）"].circles) == (level == "low").sum() > 0
    # the demo has people (its population raster): circles sized by person-minutes
    assert "圆大小 = 人·分钟节省（每人一次跨界出行）" in legend_texts(drawn)
    html = (demo_run / "maps" / "demo" / "index.html").read_text(encoding="utf-8")
    assert "演示数据：合成区域，并非真实地点" in html  # demo.yaml says synthetic: true


def test_map_script_standalone(demo_run, tmp_path):
    """The thin script, run as a user would (standalone, study from the config folder)."""
    run = clone_run(demo_run, tmp_path / "run")
    (run / "maps" / "demo" / "index.html").unlink()
    shutil.rmtree(run / "workflow" / "scripts" / "__pycache__", ignore_errors=True)
    script = run / "workflow" / "scripts" / "map.py"
    result = subprocess.run(
        [sys.executable, str(script), "demo"], cwd=run, capture_output=True, text=True,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    html = (run / "maps" / "demo" / "index.html").read_text(encoding="utf-8")
    assert "演示数据" in html


@pytest.mark.realdata
def test_map_of_the_real_monaco_extract(monaco_pbf, tmp_path):
    """Units, roads, the railway and its station of the real Monaco extract on the map."""
    from spatialint.network.rail import build_rail_network
    from spatialint.network.roads import build_road_network
    from spatialint.osm.admin import units_from_osm
    from spatialint.settings import study_settings

    settings = study_settings(load_study("monaco"))
    units = units_from_osm(monaco_pbf, levels=settings.admin.levels).units
    border_units = units[units["admin_level"] == settings.admin.border_level]
    roads = build_road_network(
        monaco_pbf, border_units, highway_classes=settings.roads.highway_classes,
        speeds_kph=settings.roads.speeds_kph,
        maxspeed_zones_kph=settings.roads.maxspeed_zones_kph,
    )  # fmt: skip
    rail = build_rail_network(
        monaco_pbf, road_nodes=roads.nodes, units=border_units,
        rail_speeds_kph=settings.rail.rail_speeds_kph,
        highspeed_min_kph=settings.rail.highspeed_min_kph,
        intercity_name_patterns=settings.rail.intercity_name_patterns,
        station_line_max_m=settings.rail.station_line_max_m,
        station_merge_m=settings.rail.station_merge_m,
    )  # fmt: skip
    empty = make_layers()
    layers = replace(
        empty, units=units, roads=roads.edges, rail=rail.edges, stations=rail.stations,
        **{name: getattr(empty, name).iloc[:0] for name in (
            "origins", "isochrones", "hexagons", "dead_ends", "class_drops",
            "missing_crossings", "corridors")},
    )  # fmt: skip
    english = replace(STUDY, title=settings.study.title, language="en")
    drawn = all_layers(drawings(layers, language="en"))
    assert "Stations" in drawn and len(rail.stations) >= 1
    assert {"Conventional rail", "Intercity rail"} & set(drawn)
    assert "Primary roads" in drawn
    assert "Monaco" in [t.text for t in drawn["Administrative units"].labels]
    path = write_map(layers, tmp_path / "index.html", map_settings=MAP, study=english,
                     data_date=osm_data_date(monaco_pbf))  # fmt: skip
    assert path.stat().st_size < 5e6
    assert "OSM data date: 2012-07-06" in path.read_text(encoding="utf-8")


def test_bad_config_ends_the_step_with_one_message(tmp_path, layers, capsys):
    from spatialint.logs import run_step

    target = tmp_path / "index.html"
    settings = replace(MAP, basemap="tianditu", tianditu_token=None)
    with pytest.raises(SystemExit) as stop:
        run_step(lambda: write_map(layers, target, map_settings=settings, study=STUDY,
                                   data_date=None))  # fmt: skip
    assert stop.value.code == 1 and not target.exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "maps.tianditu_token" in err[0] and "Traceback" not in err[0]


def test_each_kind_of_layer_has_its_own_colours():
    """No colour of one kind of layer can be taken for one of another (issue 12, item 16):
    high-speed rail and class drops, motorways and the 3-hour circle, primary roads and the
    2-hour circle were alike."""
    close = [
        (a, x, b, y, round(colour_difference(x, y), 1))
        for (a, xs), (b, ys) in itertools.combinations(PALETTES.items(), 2)
        for x in xs
        for y in ys
        if colour_difference(x, y) < MIN_COLOUR_DIFFERENCE
    ]
    assert not close
    bands = band_colours([60.0, 120.0, 180.0])
    for first, second in (
        (RAIL_STYLE["highspeed"][0], CLASS_DROP_COLOUR),
        (ROAD_STYLE["roads_major"][0], bands[180.0]),
        (ROAD_STYLE["roads_primary"][0], bands[120.0]),
    ):
        assert colour_difference(first, second) >= MIN_COLOUR_DIFFERENCE
    assert colour_difference("#000000", "#ffffff") == pytest.approx(100.0, abs=0.01)


def test_the_map_draws_with_the_palette_only(layers):
    """Every colour on the map comes from :mod:`spatialint.publish.style` (written once)."""
    palette = {c for colours in PALETTES.values() for c in colours} | {OUTLINE_COLOUR}
    used = set()
    for drawing in drawings(layers):
        for layer in drawing.layers:
            for shapes in layer.shapes:
                used |= {shapes.style.get(k) for k in ("color", "fillColor")}
            for circle in layer.circles:
                used |= {circle.style.get(k) for k in ("color", "fill_color")}
    assert used - {None} <= palette, used - palette
    # the time ramp is shared: a circle has the colour of the hexagons of its minutes
    assert band_colours([60.0, 120.0, 180.0])[60.0] == hex_class(60.0, 180.0, "zh")[0]


def test_legend_is_a_control_beside_the_layer_list(layers):
    """The legend sits in the top-right column under the layer list, collapsible, and the
    first view fits the study area in the room the panels leave (checked on screen in
    test_browser.py)."""
    html = render_map(build_map(layers, map_settings=MAP, study=STUDY, data_date=None))
    assert "L.control({position: 'topright'})" in html
    assert "<details open><summary><b>图例</b></summary>" in html
    assert re.search(r"fitBounds\(\[\[28\.1, 112\.8\], \[28\.3, 113\.2\]\]", html)
    assert "paddingBottomRight: [padRight, 30]" in html and "animate: false" in html
