"""The review report: HTML page, XLSX workbook (bilingual headers) and the all-layers GPKG."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import osmium
import pandas as pd
import pyogrio
import pytest
import shapely

from spatialint.config import REPO_ROOT
from spatialint.errors import DataError
from spatialint.publish.i18n import stage_column_labels
from spatialint.publish.report import (
    coverage_table,
    gaps_by_benefit,
    header,
    study_summary,
    write_geopackage,
    write_report,
)
from tests.maps_fixture import make_layers, write_inputs


@pytest.fixture(scope="module")
def layers():
    return make_layers()


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, layers):
    root = tmp_path_factory.mktemp("report")
    paths = {
        "html_path": root / "maps" / "demo" / "report.html",
        "xlsx_path": root / "data" / "demo" / "results" / "report.xlsx",
        "gpkg_path": root / "data" / "demo" / "results" / "spatialint.gpkg",
    }
    write_report(
        layers, title="测试区域", synthetic=True, cgcs2000=True, top_n=2,
        map_path=root / "maps" / "demo" / "index.html", **paths,
    )  # fmt: skip
    return paths


def test_report_page_for_the_review_meeting(outputs):
    html = outputs["html_path"].read_text(encoding="utf-8")
    assert "测试区域 – 规划审查报告" in html and "演示数据：合成区域" in html
    assert "OSM数据日期: 合成数据" in html and "© OpenStreetMap 贡献者" in html
    # study area, corridor table, top gaps (2 of 3, by benefit), coverage per origin and band
    assert "研究范围" in html and "东县" in html
    assert "走廊一体化" in html and "东城–西城" in html and "62.0" in html
    assert "(top 2 / 4)" in html
    assert html.index("G001") < html.index("G002") and "G003" not in html
    assert "mlat=28.150000&amp;mlon=113.000500" in html
    coverage = html[html.index("1/2/3小时圈覆盖") :]
    assert "<th>1小时圈</th><th>2小时圈</th><th>3小时圈</th>" in coverage
    assert coverage.count("<td>西城中心</td><td>公路+铁路</td>") == 1
    assert re.search(r"<td>[\d,]+ km² \(\d+ %\) · 60,000 人</td>", coverage)
    # three embedded PNG figures, nothing loaded from elsewhere
    assert len(re.findall(r"src='data:image/png;base64,", html)) == 3
    assert not re.search(r"(src|href)=['\"]https?://(?!www\.openstreetmap\.org)", html)
    # links to the map and the tables, relative to the page
    assert "href='index.html'" in html
    assert "href='../../data/demo/results/report.xlsx'" in html


def test_workbook_has_one_sheet_per_table_with_bilingual_headers(outputs, layers):
    book = openpyxl.load_workbook(outputs["xlsx_path"], read_only=True)
    assert book.sheetnames == [
        "概况 summary", "走廊 corridors", "断头路 dead_ends", "等级骤降 class_drops",
        "缺失通道 missing_crossings", "等时圈覆盖 coverage", "行政区 admin_units", "中心点 origins",
    ]  # fmt: skip
    gaps = list(book["断头路 dead_ends"].iter_rows(values_only=True))
    # headers: the gaps stage's COLUMN_LABELS where it defines them, else the report's own
    labels = stage_column_labels("dead_ends")
    expected = [header(c, labels) for c in ("rank", "gap_id", "status")]
    assert list(gaps[0][:3]) == expected and all(" / " in h for h in expected)
    assert header("minutes_saved_mean", labels) in gaps[0]
    assert [row[1] for row in gaps[1:]] == ["G001", "G002", "G003", "G004"]  # all, by rank
    coverage = list(book["等时圈覆盖 coverage"].iter_rows(values_only=True))
    assert "时间圈（分钟） / band (min)" in coverage[0] and len(coverage) == 1 + 12


def test_geopackage_holds_every_layer_full_resolution_and_cgcs2000(outputs, layers):
    listed = {name: kind for name, kind in pyogrio.list_layers(outputs["gpkg_path"])}
    for name in ("admin_units", "road_edges", "rail_edges", "rail_stations", "origins",
                 "isochrones", "hex_access", "dead_ends", "class_drops", "missing_crossings",
                 "corridors"):  # fmt: skip
        assert name in listed and f"{name}_cgcs2000" in listed
    roads = gpd.read_file(outputs["gpkg_path"], layer="road_edges")
    assert roads.crs.to_epsg() == 4326 and len(roads) == len(layers.roads)  # incl. residential
    cgcs = gpd.read_file(outputs["gpkg_path"], layer="dead_ends_cgcs2000")
    assert cgcs.crs.to_epsg() == 4490
    assert cgcs.geometry.isna().sum() == 1  # the gap no longer found keeps its row
    np.testing.assert_allclose(
        shapely.get_coordinates(cgcs.geometry.values),
        shapely.get_coordinates(layers.dead_ends.geometry.values),
        atol=1e-6,
    )


def test_tables(layers):
    ordered = gaps_by_benefit(layers.dead_ends)
    assert list(ordered["gap_id"]) == ["G001", "G002", "G003", "G004"]
    unranked = gaps_by_benefit(layers.dead_ends.drop(columns=["rank", "lon", "lat"]).iloc[::-1])
    assert list(unranked["gap_id"]) == ["G001", "G002", "G003", "G004"]  # by benefit
    assert unranked["lon"].iloc[0] == pytest.approx(113.0005)  # the dead end, line start
    coverage = coverage_table(layers.isochrones)
    assert len(coverage) == 12 and "geometry" not in coverage
    summary = dict(study_summary(layers).itertuples(index=False))
    assert summary["units_count"] == 2  # the finest admin level
    assert summary["total_area"] == pytest.approx(19.6 * 22.2 * 2, rel=0.05)
    assert summary["road_km"] == pytest.approx(36.0 + 17.8 + 4.5)  # two-way streets once
    with pytest.raises(DataError, match="minutes"):
        gaps_by_benefit(
            layers.dead_ends.drop(columns=["minutes_saved_mean", "minutes_saved_per_trip"])
        )


def test_stage_labels_are_used_when_a_stage_exports_them(monkeypatch):
    module = type(sys)("spatialint.gaps.detect")
    module.COLUMN_LABELS = {"gap_m": ("断口", "gap"), "x": {"zh": "甲", "en": "x-axis"}}
    monkeypatch.setitem(sys.modules, "spatialint.gaps.detect", module)
    labels = stage_column_labels("dead_ends")
    assert labels["gap_m"] == ("断口", "gap") and labels["x"] == ("甲", "x-axis")
    assert stage_column_labels("coverage") == {}


def test_english_report_and_no_rail(tmp_path):
    layers = replace(make_layers(with_rail=False))
    paths = {
        "html_path": tmp_path / "r.html",
        "xlsx_path": tmp_path / "r.xlsx",
        "gpkg_path": tmp_path / "r.gpkg",
    }
    write_report(layers, title="Test", language="en", data_date="2024-05-01", **paths)
    html = paths["html_path"].read_text(encoding="utf-8")
    assert "Plan review report" in html and "OSM data date: 2024-05-01" in html
    assert "East County" in html and "Top dead-end roads by benefit" in html
    assert "_cgcs2000" not in str(pyogrio.list_layers(paths["gpkg_path"]))


def _tiny_pbf(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = osmium.SimpleWriter(str(path))
    writer.add_node(osmium.osm.mutable.Node(id=1, location=(112.9, 28.2), tags={}))
    writer.close()
    return path


def test_report_script_standalone(tmp_path, layers):
    write_inputs(layers, tmp_path / "data" / "demo")
    _tiny_pbf(tmp_path / "data" / "demo" / "osm" / "extract.osm.pbf")
    script = REPO_ROOT / "workflow" / "scripts" / "report.py"
    result = subprocess.run(
        [sys.executable, str(script), "demo"], cwd=tmp_path, capture_output=True, text=True,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "maps" / "demo" / "report.html").exists()
    assert (tmp_path / "data" / "demo" / "results" / "report.xlsx").exists()
    assert (tmp_path / "data" / "demo" / "results" / "spatialint.gpkg").exists()


@pytest.mark.pipeline
def test_map_and_report_rules_run_in_snakemake(tmp_path, layers):
    """The two rules, run by Snakemake itself on stage outputs written by hand."""
    shutil.copy2(REPO_ROOT / "Snakefile", tmp_path / "Snakefile")
    shutil.copytree(REPO_ROOT / "workflow", tmp_path / "workflow")
    write_inputs(layers, tmp_path / "data" / "demo")
    _tiny_pbf(tmp_path / "data" / "demo" / "osm" / "extract.osm.pbf")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "snakemake"), "--cores", "1", "--allowed-rules",
         "map", "report", "maps/demo/index.html", "maps/demo/report.html"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    html = (tmp_path / "maps" / "demo" / "index.html").read_text(encoding="utf-8")
    assert "演示数据" in html and (tmp_path / "data/demo/results/spatialint.gpkg").exists()
    assert "Wrote" in (tmp_path / "logs" / "demo" / "map.log").read_text(encoding="utf-8")


def test_geopackage_keeps_column_types_with_gaps(tmp_path, layers):
    dead = layers.dead_ends.assign(
        found=pd.Series([True, True, None, False], dtype=object),
        way_id=pd.Series([11, None, 13, 14], dtype=object),
        tags=[["a", "b"], None, ["c"], []],
    )
    write_geopackage(replace(layers, dead_ends=dead), tmp_path / "x.gpkg")
    info = pyogrio.read_info(tmp_path / "x.gpkg", layer="dead_ends")
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert types["way_id"] == "float64" and types["tags"] == "object"
    back = gpd.read_file(tmp_path / "x.gpkg", layer="dead_ends")
    assert back["found"].tolist()[:2] == [1, 1] and back["tags"].iloc[0] == "a, b"
