"""The Folium map: layers, offline assets, languages, basemaps (GCJ-02 on AMap), bad input."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace

import numpy as np
import osmium
import pyproj
import pytest

from spatialint.config import REPO_ROOT
from spatialint.errors import ConfigError, DataError
from spatialint.publish.maps import (
    build_map,
    display_roads,
    osm_data_date,
    read_layers,
    render_map,
    write_map,
)
from spatialint.publish.offline_assets import leaflet_version
from tests.maps_fixture import make_layers, write_inputs

GEOD = pyproj.Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def layers():
    return make_layers()


def page(layers, **options):
    """The rendered map with JSON \\uXXXX escapes decoded, as a reader would see the text."""
    options.setdefault("title", "测试区域")
    html = render_map(build_map(layers, **options))
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), html)


def in_layer_control(html: str, name: str) -> bool:
    """True if ``name`` is an entry of the layer control (JSON-encoded in the page)."""
    control = html[html.rindex("overlays", 0, html.index("L.control.layers")) :]
    return f'"{name}" :' in control


def marker_position(html: str, gap_id: str) -> tuple[float, float]:
    """(lat, lon) of the CircleMarker whose tooltip starts with ``gap_id``."""
    for match in re.finditer(r"L\.circleMarker\(\s*\[([-\d.]+),\s*([-\d.]+)\]", html):
        tail = html[match.end() : match.end() + 3000]
        tip = re.search(r"bindTooltip\(\s*`<div>\s*([^<]*?)\s*</div>`", tail)
        if tip and tip.group(1).startswith(gap_id):
            return float(match.group(1)), float(match.group(2))
    raise AssertionError(f"no marker for {gap_id}")


def test_map_has_every_layer_offline_and_labelled(layers):
    html = page(layers, synthetic=True)
    names = ["行政区", "高速公路/快速路", "主干道", "高速铁路", "普速铁路", "车站",
             "等时圈: 西城中心 – 公路", "等时圈: 东城中心 – 公路+铁路",
             "可达性网格（公路，分钟）", "中心点", "走廊一体化指数", "等级骤降",
             "缺失的跨界通道", "断头路"]  # fmt: skip
    for name in names:
        assert in_layer_control(html, name), name
    assert "L.control.layers" in html
    # Leaflet inlined, nothing fetched from the network
    assert f't.version="{leaflet_version()}"' in html and ".leaflet-control-layers" in html
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']https?://", html)
    assert "cdn.jsdelivr" not in html and "jquery" not in html.lower()
    # unit labels, synthetic note, attribution, legend
    assert "spatialint-label" in html and "东县" in html
    assert "演示数据：合成区域" in html
    assert "© OpenStreetMap 贡献者" in html and "OpenStreetMap</a> contributors" in html
    assert "图例" in html and "1小时圈" in html and "3小时圈" in html


def test_dead_end_popup_answers_a_reviewer(layers):
    html = page(layers)
    popup = html[html.index("G001") - 200 : html.index("G001") + 3000]
    for text in ["东环路", "西环路", "东县", "180", "12.5", "8.2", "14.5", "3.1", "是", "确认",
                 "纳入2026年计划"]:  # fmt: skip
        assert text in popup, text
    # a reviewed gap no longer in the data has no place on the map (it stays in the tables)
    assert "G004" not in html
    # link to openstreetmap.org at the WGS-84 position
    assert "https://www.openstreetmap.org/?mlat=28.150000&amp;mlon=113.000500" in html
    # sized by benefit: G001 (14.5 min) larger than G003 (0.8 min)
    radii = {
        gid: float(re.search(r'"radius": ([\d.]+)', html[html.index(f"{gid}:") - 900 :]).group(1))
        for gid in ("G001", "G003")
    }
    assert radii["G001"] > radii["G003"]


def test_english_labels(layers):
    zh = page(layers)
    en = page(layers, language="en")
    assert "Administrative units" in en and "Administrative units" not in zh
    assert "Dead-end roads" in en and "行政区" in zh and "行政区" not in en
    assert "East County" in en and "1-hour circle" in en


def test_basemaps_change_tiles_and_amap_shifts_overlays(layers):
    osm = page(layers)
    assert "tile.openstreetmap.org" in osm
    none = page(layers, basemap="none")
    assert "L.tileLayer" not in none
    tianditu = page(layers, basemap="tianditu", tianditu_token="abc123")
    assert "tianditu.gov.cn/vec_w" in tianditu and "tk=abc123" in tianditu
    assert "cva_w" in tianditu and "eva_w" in page(
        layers, basemap="tianditu", tianditu_token="abc123", language="en"
    )
    with pytest.raises(ConfigError, match="tianditu_token"):
        page(layers, basemap="tianditu")
    amap = page(layers, basemap="amap")
    assert "autonavi.com" in amap and "tile.openstreetmap.org" not in amap
    lat0, lon0 = marker_position(osm, "G001")
    lat1, lon1 = marker_position(amap, "G001")
    _, _, shift_m = GEOD.inv(lon0, lat0, lon1, lat1)
    assert 300 < shift_m < 700
    # Tianditu is CGCS2000 ≈ WGS-84: no shift
    assert marker_position(tianditu, "G001") == (lat0, lon0)
    # the OSM link keeps WGS-84 even on AMap
    assert "mlat=28.150000&amp;mlon=113.000500" in amap


def test_no_rail_is_said_in_the_legend():
    html = page(make_layers(with_rail=False))
    assert "研究区内无铁路" in html
    assert '"高速铁路"' not in html and "车站" not in html


def test_display_roads_dedupes_directed_edges_and_drops_minor_classes(layers):
    roads = display_roads(
        layers.roads, road_classes=("motorway", "primary"), simplify_m=25.0,
        metric_crs="EPSG:32649", gcj02=False,
    )  # fmt: skip
    assert sorted(roads["highway"]) == ["motorway", "primary"]
    assert set(roads["group"]) == {"roads_major", "roads_primary"}
    coords = np.asarray(roads.geometry.iloc[0].coords)
    assert (np.round(coords, 5) == coords).all()


def test_missing_columns_and_layers_are_named(tmp_path, layers):
    benefit = ["minutes_saved_mean", "minutes_saved_per_trip"]
    broken = replace(layers, dead_ends=layers.dead_ends.drop(columns=benefit))
    with pytest.raises(DataError, match="minutes_saved"):
        page(broken)
    broken = replace(layers, corridors=layers.corridors.drop(columns="index"))
    with pytest.raises(DataError, match="integration index"):
        page(broken)
    # the README's name for the index works as well as the integration stage's
    renamed = layers.corridors.rename(columns={"index": "integration_index"})
    assert "东城–西城" in page(replace(layers, corridors=renamed))
    paths = write_inputs(layers, tmp_path)
    read = read_layers(paths)
    assert len(read.dead_ends) == 4 and len(read.hexagons) == len(layers.hexagons)
    layers.units.drop(columns="name").to_file(paths["units"], layer="admin_units")
    with pytest.raises(DataError, match="name"):
        read_layers(paths)
    layers.units.to_file(paths["units"], layer="admin_units")
    paths["gaps"].unlink()
    layers.dead_ends.to_file(paths["gaps"], layer="dead_ends")
    with pytest.raises(DataError, match="class_drops"):
        read_layers(paths)


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


def test_write_map_and_script_standalone(tmp_path, layers):
    target = write_map(layers, tmp_path / "maps" / "index.html", title="t", data_date="2024-05-01")
    text = target.read_text(encoding="utf-8")
    assert "2024-05-01" in text and target.stat().st_size < 5e6
    # the thin script, run as a user would (standalone, study from the config folder)
    study_dir = tmp_path / "data" / "demo"
    write_inputs(layers, study_dir)
    _pbf(study_dir / "osm" / "extract.osm.pbf", "2025-01-02T00:00:00Z")
    script = REPO_ROOT / "workflow" / "scripts" / "map.py"
    result = subprocess.run(
        [sys.executable, str(script), "demo"], cwd=tmp_path, capture_output=True, text=True,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "maps" / "demo" / "index.html").read_text(encoding="utf-8")
    assert "演示数据" in html  # demo.yaml says synthetic: true


@pytest.mark.realdata
def test_map_of_the_real_monaco_extract(monaco_pbf, tmp_path):
    """Units, roads, the railway and its station of the real Monaco extract on the map."""
    from spatialint.config import load_study
    from spatialint.network.rail import build_rail_network
    from spatialint.network.roads import build_road_network
    from spatialint.osm.admin import units_from_osm

    study = load_study("monaco")
    network = study["network"]
    units = units_from_osm(monaco_pbf, levels=study["admin"]["levels"]).units
    border_units = units[units["admin_level"] == study["admin"]["border_level"]]
    roads = build_road_network(
        monaco_pbf, border_units, highway_classes=network["highway_classes"],
        speeds_kph=network["speeds_kph"], maxspeed_zones_kph=network["maxspeed_zones_kph"],
    )  # fmt: skip
    rail = build_rail_network(
        monaco_pbf, road_nodes=roads.nodes, units=border_units,
        rail_speeds_kph=network["rail_speeds_kph"],
        highspeed_min_kph=network["highspeed_min_kph"],
        intercity_name_patterns=network["intercity_name_patterns"],
        station_line_max_m=network["station_line_max_m"],
        station_merge_m=network["station_merge_m"],
    )  # fmt: skip
    empty = make_layers()
    layers = replace(
        empty,
        units=units,
        roads=roads.edges,
        rail=rail.edges,
        stations=rail.stations,
        origins=empty.origins.iloc[:0],
        isochrones=empty.isochrones.iloc[:0],
        hexagons=empty.hexagons.iloc[:0],
        dead_ends=empty.dead_ends.iloc[:0],
        class_drops=empty.class_drops.iloc[:0],
        missing_crossings=empty.missing_crossings.iloc[:0],
        corridors=empty.corridors.iloc[:0],
    )
    path = write_map(
        layers, tmp_path / "index.html", title=study["title"], language="en",
        data_date=osm_data_date(monaco_pbf),
    )  # fmt: skip
    html = re.sub(
        r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), path.read_text("utf-8")
    )
    assert path.stat().st_size < 5e6
    assert "OSM data date: 2012-07-06" in html and "Monaco" in html
    assert in_layer_control(html, "Stations") and len(rail.stations) >= 1
    assert any(in_layer_control(html, name) for name in ("Conventional rail", "Intercity rail"))
    assert in_layer_control(html, "Primary roads")


def test_road_classes_and_simplification_follow_the_config(layers):
    default = page(layers)
    assert not in_layer_control(default, "其他道路") and "地图仅显示主要道路" in default
    everything = page(layers, road_classes=("motorway", "primary", "residential"))
    assert in_layer_control(everything, "其他道路") and "地图仅显示主要道路" not in everything
    coarse = page(layers, simplify_m=2000.0)
    assert len(coarse) < len(default)  # isochrone circles lose vertices


def test_bad_config_ends_the_step_with_one_message(tmp_path, layers, capsys):
    from spatialint.logs import run_step

    target = tmp_path / "index.html"
    with pytest.raises(SystemExit) as stop:
        run_step(lambda: write_map(layers, target, title="t", basemap="tianditu"))
    assert stop.value.code == 1 and not target.exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "maps.tianditu_token" in err[0] and "Traceback" not in err[0]
