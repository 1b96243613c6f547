"""The review report: HTML page, XLSX workbook (contract headers) and the all-layers GPKG."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from dataclasses import replace

import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from spatialint.config import REPO_ROOT, load_study
from spatialint.contracts import (
    ADMIN_UNITS,
    COVERAGE,
    DEAD_ENDS,
    ISOCHRONES,
    SUMMARY,
    TABLES,
    ContractError,
)
from spatialint.contracts.io import read_table
from spatialint.errors import DataError
from spatialint.publish.layers import read_layers, unit_names
from spatialint.publish.map.gap_layers import dead_end_popup_rows
from spatialint.publish.report.files import write_geopackage
from spatialint.publish.report.page import top_gap_columns
from spatialint.publish.report.stage import write_report
from spatialint.publish.report.tables import (
    REPORT_CORRIDOR_COLUMNS,
    coverage_table,
    gaps_by_rank,
    study_summary,
    summary_sheet,
)
from spatialint.settings import ReportSettings, StudyInfo
from tests.maps_fixture import make_layers, write_thumbnails
from tests.pipeline_runs import clone_run

REPORT = ReportSettings.from_study(load_study("demo"))  # the schema's defaults
STUDY = StudyInfo(name="test", title="测试区域", synthetic=True, language="zh")
GPKG_LAYERS = ("admin_units", "road_edges", "rail_edges", "rail_stations", "origins",
               "isochrones", "hex_access", "dead_ends", "class_drops", "missing_crossings",
               "corridors")  # fmt: skip
LAYER_FILES = {
    "units": "network/admin_units.gpkg", "road_edges": "network/road_edges.parquet",
    "rail_edges": "network/rail_edges.parquet", "stations": "network/rail_stations.parquet",
    "origins": "access/origins.gpkg", "isochrones": "access/isochrones.gpkg",
    "gaps": "gaps/gaps.gpkg", "corridors": "integration/corridors.gpkg",
}  # fmt: skip
"""The stage outputs the report reads, under ``data/<study>/`` (the rule's inputs)."""
SHEETS = ("summary", "corridors", "dead_ends", "class_drops", "missing_crossings", "coverage",
          "admin_units", "origins")  # fmt: skip


def sheet_name(table: str) -> str:
    """The sheet title the one XLSX writer gives a contract table."""
    return f"{TABLES[table].zh} {TABLES[table].en}"[:31]


def report_files(folder, layers, *, report=REPORT, study=STUDY, data_date=None, with_map=True,
                 thumbnails=None):  # fmt: skip
    paths = {
        "html_path": folder / "maps" / "demo" / "report.html",
        "xlsx_path": folder / "data" / "demo" / "results" / "report.xlsx",
        "gpkg_path": folder / "data" / "demo" / "results" / "spatialint.gpkg",
    }
    map_path = folder / "maps" / "demo" / "index.html" if with_map else None
    write_report(layers, **paths, map_path=map_path, report_settings=report, study=study,
                 data_date=data_date, thumbnails=thumbnails)  # fmt: skip
    return paths


@pytest.fixture(scope="module")
def layers():
    return make_layers()


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, layers):
    settings = replace(REPORT, top_gaps=2, cgcs2000=True)
    folder = tmp_path_factory.mktemp("report")
    thumbnails = write_thumbnails(folder / "data" / "demo" / "gaps" / "thumbnails")
    return {
        **report_files(folder, layers, report=settings, thumbnails=thumbnails),
        "thumbnails": thumbnails,
    }


def test_report_page_for_the_review_meeting(outputs):
    html = outputs["html_path"].read_text(encoding="utf-8")
    assert "测试区域 – 规划审查报告" in html and "演示数据：合成区域" in html
    assert "OSM数据日期: 合成数据" in html and "© OpenStreetMap 贡献者" in html
    # study area, corridor table, top gaps (2 of 4, by rank), coverage per origin and band
    assert "研究范围" in html and "东县" in html
    assert "走廊一体化" in html and "东城–西城" in html and "62.0" in html
    assert "道路通行时间（分钟）" in html  # headers from the corridors contract
    # the first two of high and medium confidence, by rank: the low one is left to the tables
    assert "断头路（按可信度、效益排序） (top 2)" in html
    assert "列出可信度为可信度高、可信度中的前2处；全部4处（含其他可信度）见 report.xlsx" in html
    assert html.index("G001") < html.index("G002") and "G003" not in html
    assert "可信度高：两端断头相向" in html and "<td>需建桥</td>" in html
    assert "mlat=28.150000&amp;mlon=113.000500" in html
    coverage = html[html.index("1/2/3小时圈覆盖") :]
    assert "<th>1小时圈</th><th>2小时圈</th><th>3小时圈</th>" in coverage
    assert coverage.count("<td>西城中心</td><td>公路+铁路</td>") == 1
    assert re.search(r"<td>[\d,]+\.\d km² \(\d+\.\d%\) · 60,000 人</td>", coverage)
    # three figures inline as SVG (their text drawn by the browser), nothing loaded elsewhere
    assert len(re.findall(r"<figure id='fig-\w+'><svg ", html)) == 3
    # links go to openstreetmap.org or to JOSM on the reader's own machine
    local = r"www\.openstreetmap\.org|127\.0\.0\.1:8111/"
    assert not re.search(rf"(src|href)=['\"]https?://(?!{local})", html)
    # links to the map and the tables, relative to the page
    assert "href='index.html'" in html
    assert "href='../../data/demo/results/report.xlsx'" in html


def test_report_shows_each_listed_gap_with_its_thumbnail_and_editor_links(outputs, layers):
    html = outputs["html_path"].read_text(encoding="utf-8")
    pictures = re.findall(r"<img src='data:image/png;base64,([^']+)' alt='(G\d+)'", html)
    assert [gap for _, gap in pictures] == ["G001", "G002"]  # in the page: it stays one file
    for data, gap in pictures:
        assert base64.b64decode(data) == (outputs["thumbnails"] / f"{gap}.png").read_bytes()
    edit = html.index(">iD编辑</a>")
    assert html.count(">iD编辑</a>") == 1 and html.count(">JOSM</a>") == 1  # G001 only
    assert "JOSM链接需先启动JOSM并开启远程控制。" in html
    assert "<th class='wide'>判断依据</th>" in html  # the reasons keep a readable width
    assert "load_and_zoom?left=112.99&amp;right=113.01" in html[edit:]


def test_report_lists_the_confidence_levels_asked_for(tmp_path, layers):
    low_only = replace(REPORT, gap_confidence=("low",))
    thumbnails = write_thumbnails(tmp_path / "gaps" / "thumbnails")
    html = report_files(tmp_path, layers, report=low_only, thumbnails=thumbnails)["html_path"]
    text = html.read_text(encoding="utf-8")
    assert "G003" in text and "G001" not in text and "G002" not in text


def test_a_missing_thumbnail_is_named(tmp_path, layers):
    thumbnails = write_thumbnails(tmp_path / "gaps" / "thumbnails", ("G001",))
    with pytest.raises(DataError, match=r"thumbnail of 断头路 G002 is missing: .*G002\.png.*gaps"):
        report_files(tmp_path, layers, thumbnails=thumbnails)


def test_workbook_has_one_sheet_per_table_with_contract_headers(outputs, layers):
    book = openpyxl.load_workbook(outputs["xlsx_path"], read_only=True)
    assert book.sheetnames == [sheet_name(t) for t in SHEETS]
    rows = list(book[sheet_name("dead_ends")].iter_rows(values_only=True))
    assert list(rows[0]) == [DEAD_ENDS.bilingual(c) for c in DEAD_ENDS.names]
    assert [row[1] for row in rows[1:]] == ["G001", "G002", "G003", "G004"]  # all, by rank
    sheet = openpyxl.load_workbook(outputs["xlsx_path"])[sheet_name("dead_ends")]
    edit = sheet.cell(row=2, column=DEAD_ENDS.names.index("osm_edit_url") + 1)
    assert edit.hyperlink.target == edit.value == layers.dead_ends["osm_edit_url"].iloc[0]
    assert sheet.cell(row=3, column=edit.column).hyperlink is None  # no address, no link
    coverage = list(book[sheet_name("coverage")].iter_rows(values_only=True))
    assert "时间圈（分钟） / band (min)" in coverage[0] and len(coverage) == 1 + 12
    summary = pd.read_excel(outputs["xlsx_path"], sheet_name=sheet_name("summary"))
    assert list(summary.columns) == [SUMMARY.bilingual("item"), SUMMARY.bilingual("value")]
    assert summary.iloc[0].tolist() == ["行政区数量（行政级别6） / units at admin level 6", 2]


def test_one_column_has_one_label(outputs, layers):
    """gap_m on the map, on the report page and in the workbook: the contract's label."""
    zh = DEAD_ENDS.label("gap_m", "zh")
    popup = {r.field: r.label for r in dead_end_popup_rows(layers.dead_ends.iloc[0], "zh")}
    assert popup["gap_m"] == zh == "直线缺口（米）"
    assert f"<th>{zh}</th>" in outputs["html_path"].read_text(encoding="utf-8")
    book = openpyxl.load_workbook(outputs["xlsx_path"], read_only=True)
    header = next(book[sheet_name("dead_ends")].iter_rows(values_only=True))
    assert DEAD_ENDS.bilingual("gap_m") in header and DEAD_ENDS.bilingual("gap_m").startswith(zh)


def test_geopackage_holds_every_layer_full_resolution_and_cgcs2000(outputs, layers):
    listed = {name for name, _ in pyogrio.list_layers(outputs["gpkg_path"])}
    # the layers, their CGCS2000 copies, and the QGIS styles of both (test_qgis_styles.py)
    assert listed == {*GPKG_LAYERS, *(f"{name}_cgcs2000" for name in GPKG_LAYERS), "layer_styles"}
    roads = read_table(outputs["gpkg_path"], TABLES["road_edges"])
    assert len(roads) == len(layers.roads)  # incl. residential
    dead = read_table(outputs["gpkg_path"], DEAD_ENDS)  # each layer keeps its contract
    assert_geodataframe_equal(dead, layers.dead_ends, check_dtype=False, check_less_precise=True)
    cgcs = pyogrio.read_dataframe(outputs["gpkg_path"], layer="dead_ends_cgcs2000")
    assert cgcs.crs.to_epsg() == 4490 and list(cgcs.columns) == list(dead.columns)
    assert cgcs.geometry.isna().sum() == 1  # the gap no longer found keeps its row
    np.testing.assert_allclose(
        shapely.get_coordinates(cgcs.geometry.values),
        shapely.get_coordinates(layers.dead_ends.geometry.values),
        atol=1e-6,
    )


def test_tables(layers):
    shuffled = layers.dead_ends.iloc[::-1]
    ordered = gaps_by_rank(shuffled)
    assert list(ordered["gap_id"]) == ["G001", "G002", "G003", "G004"]  # unranked last
    coverage = coverage_table(layers.isochrones)
    assert list(coverage.columns) == list(COVERAGE.names) and len(coverage) == 12
    pd.testing.assert_frame_equal(COVERAGE.conform(coverage), coverage)
    summary = dict(study_summary(layers).itertuples(index=False))
    assert summary["units_count"] == 2  # the finest admin level
    assert summary["total_area"] == pytest.approx(19.6 * 22.2 * 2, rel=0.05)
    assert summary["road_km"] == pytest.approx(36.0 + 17.8 + 4.5)  # two-way streets once
    sheet = summary_sheet(study_summary(layers), layers.units)
    assert sheet["value"].dtype == float
    assert sheet["item"].iloc[0] == "行政区数量（行政级别6） / units at admin level 6"


def test_top_gaps_list_the_ranking_key(layers):
    assert "person_minutes_saved" not in top_gap_columns(layers.dead_ends, "zh")
    people = layers.dead_ends.assign(person_minutes_saved=[10.0, 200.0, 5000.0, np.nan])
    columns = top_gap_columns(people, "en")
    assert columns[columns.index("minutes_saved_per_trip") + 1] == "person_minutes_saved"
    assert "reasons_en" in columns and "reasons_zh" not in columns


def test_english_report_and_no_rail(tmp_path):
    study = replace(STUDY, title="Test", language="en", synthetic=False)
    paths = report_files(tmp_path, make_layers(with_rail=False), study=study,
                         data_date="2024-05-01", with_map=False)  # fmt: skip
    html = paths["html_path"].read_text(encoding="utf-8")
    assert "Plan review report" in html and "OSM data date: 2024-05-01" in html
    assert "East County" in html and "Dead-end roads by confidence, then benefit" in html
    assert "high: two dead ends face each other" in html and "<img " not in html
    assert "straight-line gap (m)" in html and "Open the interactive map" not in html
    assert "_cgcs2000" not in str(pyogrio.list_layers(paths["gpkg_path"]))
    assert len(read_table(paths["gpkg_path"], TABLES["rail_edges"])) == 0


def test_geopackage_keeps_column_types_with_gaps(tmp_path, layers):
    dead = layers.dead_ends.assign(
        found=pd.array([True, True, None, False], dtype="boolean"),
        way_id=pd.array([11, None, 13, 14], dtype="Int64"),
    )
    write_geopackage(replace(layers, dead_ends=dead), tmp_path / "x.gpkg", cgcs2000=False)
    info = pyogrio.read_info(tmp_path / "x.gpkg", layer="dead_ends")
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert types["planned"] == "bool" and types["way_id"] == "int64"
    back = read_table(tmp_path / "x.gpkg", DEAD_ENDS)
    pd.testing.assert_series_equal(back["way_id"], dead["way_id"])
    pd.testing.assert_series_equal(back["found"], dead["found"])
    # a column no contract knows is our bug, not a file to write
    with pytest.raises(ContractError, match="tags"):
        write_geopackage(
            replace(layers, dead_ends=dead.assign(tags="a")), tmp_path / "y.gpkg", cgcs2000=False
        )
    assert not (tmp_path / "y.gpkg").exists()


def test_text_columns_hold_only_text():
    """A text column holds str (object or string dtype), nothing else."""
    from spatialint.contracts.network import SPEED_FIT

    fit = SPEED_FIT.empty().reindex(range(3))
    wrong = "column 'group' holds values that are not text"
    for group in (pd.Series(["a", "c", "b"], dtype=object), pd.array(["a", "c", "b"], "string")):
        assert wrong not in SPEED_FIT.problems(fit.assign(group=group))
    for group in (["a", 1, "b"], ["a", b"b", "c"], ["a", True, "b"]):
        assert wrong in SPEED_FIT.problems(fit.assign(group=pd.Series(group, dtype=object)))


def test_report_of_the_demo_run(demo_run):
    """The rules ran in Snakemake: the demo's report, workbook and GeoPackage by contract."""
    html = (demo_run / "maps" / "demo" / "report.html").read_text(encoding="utf-8")
    # the three figures, and the speed calibration's scatter (the demo runs calibrated)
    assert "演示区域" in html and "规划审查报告" in html and html.count("<figure") == 4
    assert "<figure id='fig-calibration'>" in html and "速度校准" in html
    assert "通行速度：按400次观测出行校准（中位误差" in html
    results = demo_run / "data" / "demo" / "results"
    book = openpyxl.load_workbook(results / "report.xlsx", read_only=True)
    assert book.sheetnames == [sheet_name(t) for t in SHEETS]
    dead = read_table(results / "spatialint.gpkg", DEAD_ENDS)
    gaps = read_table(demo_run / "data" / "demo" / "gaps" / "gaps.gpkg", DEAD_ENDS)
    assert_geodataframe_equal(dead, gaps)  # full resolution, unchanged
    isochrones = read_table(results / "spatialint.gpkg", ISOCHRONES)
    assert set(isochrones["mode"]) == {"road", "multimodal"}
    assert "Wrote" in (demo_run / "logs" / "demo" / "report.log").read_text(encoding="utf-8")


def test_report_script_standalone(demo_run, tmp_path):
    run = clone_run(demo_run, tmp_path / "run")
    for path in ("maps/demo/report.html", "data/demo/results/report.xlsx",
                 "data/demo/results/spatialint.gpkg"):  # fmt: skip
        (run / path).unlink()
    script = run / "workflow" / "scripts" / "report.py"
    result = subprocess.run(
        [sys.executable, str(script), "demo"], cwd=run, capture_output=True, text=True,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (run / "maps" / "demo" / "report.html").exists()
    assert (run / "data" / "demo" / "results" / "report.xlsx").exists()
    assert (run / "data" / "demo" / "results" / "spatialint.gpkg").exists()


def _study_area(html: str) -> str:
    return html[html.index("<h2>") : html.index("<figure")]


def _table_after(html: str, heading: str) -> list[list[str]]:
    """The rows (cell texts) of the first table after ``heading``."""
    part = html[html.index(heading) :]
    body = part[part.index("<tbody>") : part.index("</tbody>")]
    return [re.findall(r"<td>(.*?)</td>", row) for row in body.split("<tr>")[1:]]


def test_units_without_english_names_show_their_names(tmp_path):
    """Andorra's parishes have no ``name_en``, Monaco's wards only some: the English report
    (and map) falls back to ``name``, never ``None`` or ``nan`` (issue 12, item 11)."""
    layers = make_layers()
    units = layers.units.assign(name_en=pd.Series([None, np.nan, ""], dtype=object))
    layers = replace(layers, units=ADMIN_UNITS.conform(units))
    study = replace(STUDY, title="Test", language="en")
    paths = report_files(tmp_path, layers, study=study, with_map=False)
    area = _study_area(paths["html_path"].read_text(encoding="utf-8"))
    assert "<li>admin level 6 (2): 东县, 西县</li>" in area
    assert "<li>admin level 5 (1): 双城市</li>" in area
    assert "None" not in area and "nan" not in area
    partly = units.assign(name_en=[None, "West", None])  # Monaco: one ward named in English
    assert unit_names(partly, "en") == ["东县", "West", "双城市"]


def test_english_report_of_the_demo_run_without_english_names(demo_run, tmp_path):
    """The real tables of the shared run, with every ``name_en`` removed."""
    data = demo_run / "data" / "demo"
    layers = read_layers({key: data / path for key, path in LAYER_FILES.items()})
    units = ADMIN_UNITS.conform(layers.units.assign(name_en=None))
    study = replace(STUDY, title="Demo", language="en")
    paths = report_files(tmp_path, replace(layers, units=units), study=study, with_map=False)
    area = _study_area(paths["html_path"].read_text(encoding="utf-8"))
    for name in units["name"]:
        assert name in area
    assert "None" not in area and "nan" not in area


def test_key_figures_count_what_they_say(outputs):
    """A count reads as a count, and the unit count names its level and agrees with the list
    of names beside it (issue 12, item 13)."""
    html = outputs["html_path"].read_text(encoding="utf-8")
    area = _study_area(html)
    assert "<li>行政级别6（2个）: 东县、西县</li>" in area
    assert "<li>行政级别5（1个）: 双城市</li>" in area
    assert "<th>行政区数量（行政级别6）</th><td>2</td>" in area
    assert "<th>走廊数量（相邻单元与指定走廊）</th><td>2</td>" in area
    assert "<th>断头路数量</th><td>4</td>" in area and "走廊一体化指数" not in area
    # measures to a tenth of a km (km²), counts whole: no "16.0" beside "9"
    road = re.search(r"<th>道路总长（公里）</th><td>([\d,.]+)</td>", area).group(1)
    assert road == "58.3"
    assert re.search(r"<th>中心点数量</th><td>2</td>", area)


def test_coded_values_are_in_the_pages_language(outputs, tmp_path):
    """Corridor kinds, review statuses, confidence levels and categories in Chinese on a Chinese
    page, English on an English one (issue 12, item 13)."""
    zh = outputs["html_path"].read_text(encoding="utf-8")
    corridors = _table_after(zh, "<h2>走廊一体化</h2>")
    assert [row[2] for row in corridors] == ["指定走廊", "相邻单元"]
    gaps = _table_after(zh, "断头路（按可信度、效益排序）")
    assert [row[2:5] for row in gaps] == [
        ["确认", "可信度高", "道路"],
        ["待核实", "可信度中", "需建桥"],
    ]
    study = replace(STUDY, title="Test", language="en")
    paths = report_files(tmp_path, make_layers(), study=study, with_map=False)
    en = paths["html_path"].read_text(encoding="utf-8")
    corridors = _table_after(en, "<h2>Corridor integration</h2>")
    assert [row[2] for row in corridors] == ["named corridor", "neighbouring units"]
    gaps = _table_after(en, "Dead-end roads by confidence, then benefit")
    assert [row[2:5] for row in gaps] == [
        ["confirmed", "high", "road"], ["to verify", "medium", "bridge needed"]
    ]  # fmt: skip
    assert "确认" not in en and "待核实" not in en


def test_one_number_format_per_column(outputs):
    """Every number of a column has the column's decimals (minutes one, metres none)."""
    html = outputs["html_path"].read_text(encoding="utf-8")
    corridors = _table_after(html, "<h2>走廊一体化</h2>")
    columns = list(REPORT_CORRIDOR_COLUMNS)
    for row in corridors:
        for name in ("index", "road_min", "multimodal_min", "border_km"):
            value = row[columns.index(name)]
            assert value == "" or re.fullmatch(r"[\d,]+\.\d", value), (name, value)
    assert corridors[0][columns.index("road_min")] == "24.0"
    gaps = _table_after(html, "断头路（按可信度、效益排序）")
    columns = top_gap_columns(make_layers().dead_ends, "zh")
    assert [row[columns.index("gap_m")] for row in gaps] == ["180", "420"]  # whole metres
    assert [row[columns.index("detour_min")] for row in gaps] == ["12.5", "6.1"]  # a tenth
