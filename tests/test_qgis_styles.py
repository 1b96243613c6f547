"""Default QGIS styles in ``spatialint.gpkg`` (issue 12, item 18), read back as QGIS reads them.

The ``layer_styles`` table has one default row per layer (and per ``_cgcs2000`` copy) with a QML
QGIS loads and an SLD, both in the map's colours. Where QGIS's Python bindings are installed
(Debian's ``python3-qgis``), a last test loads the layers in QGIS itself.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import replace

import pyogrio
import pytest

from spatialint.publish.qgis_xml import Condition, LayerStyle, Rule, Symbol, qml, sld
from spatialint.publish.report.files import write_geopackage
from spatialint.publish.style import (
    CORRIDOR_RAMP,
    NO_INDEX_COLOUR,
    RAIL_STYLE,
    ROAD_STYLE,
    STATUS_COLOURS,
    UNIT_COLOUR,
    band_colours,
    rgba,
)
from tests.maps_fixture import make_layers

LAYERS = ("admin_units", "road_edges", "rail_edges", "rail_stations", "origins", "isochrones",
          "hex_access", "dead_ends", "class_drops", "missing_crossings", "corridors")  # fmt: skip
COLUMNS = ["id", "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column",
           "styleName", "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui",
           "update_time"]  # fmt: skip
SE = "{http://www.opengis.net/se}"
OGC = "{http://www.opengis.net/ogc}"


@pytest.fixture(scope="module")
def gpkg(tmp_path_factory):
    path = tmp_path_factory.mktemp("styles") / "spatialint.gpkg"
    return write_geopackage(make_layers(), path, cgcs2000=True)


def styles(path) -> dict[str, dict]:
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        rows = [dict(r) for r in db.execute("SELECT * FROM layer_styles")]
        geometry_columns = dict(
            db.execute("SELECT table_name, column_name FROM gpkg_geometry_columns")
        )
        contents = db.execute(
            "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'"
        ).fetchone()
    assert tuple(contents) == ("attributes",)  # a table GDAL and QGIS list, as QGIS makes it
    for row in rows:
        assert row["f_geometry_column"] == geometry_columns[row["f_table_name"]]
    return {row["f_table_name"]: row for row in rows}


def symbol_colours(style_qml: str) -> list[str]:
    """The first colour of each symbol of a QML (line colour, else fill colour)."""
    root = ET.fromstring(style_qml.split("\n", 1)[1])
    out = []
    for layer in root.iter("layer"):
        props = {o.get("name"): o.get("value") for o in layer.find("Option")}
        out.append(props.get("line_color") or props["color"])
    return out


def test_one_default_style_per_layer(gpkg):
    found = styles(gpkg)
    assert set(found) == {*LAYERS, *(f"{name}_cgcs2000" for name in LAYERS)}
    with sqlite3.connect(gpkg) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(layer_styles)")]
    assert columns == COLUMNS
    for name, row in found.items():
        assert row["useAsDefault"] == 1 and row["f_table_schema"] == ""
        assert row["styleName"] == name and row["description"].startswith("spatialint: ")
    # GDAL reads the table too (QGIS reads it through GDAL)
    table = pyogrio.read_dataframe(gpkg, layer="layer_styles")
    assert table["useAsDefault"].dtype == bool and table["useAsDefault"].all()


def test_qml_is_a_rule_renderer_in_the_maps_colours(gpkg):
    found = styles(gpkg)
    for name in LAYERS:
        root = ET.fromstring(found[name]["styleQML"].split("\n", 1)[1])
        assert root.tag == "qgis" and root.get("version", "").startswith("3.")
        renderer = root.find("renderer-v2")
        assert renderer.get("type") == "RuleRenderer"
        rules = renderer.find("rules").findall("rule")
        symbols = renderer.find("symbols").findall("symbol")
        assert [r.get("symbol") for r in rules] == [s.get("name") for s in symbols]
        geometry = root.find("layerGeometryType").text
        kinds = {s.get("type") for s in symbols}
        assert kinds == {{"0": "marker", "1": "line", "2": "fill"}[geometry]}, name
    roads = symbol_colours(found["road_edges"]["styleQML"])
    assert roads == [rgba(colour) for colour, _ in ROAD_STYLE.values()]
    rail = symbol_colours(found["rail_edges"]["styleQML"])
    assert rail[: len(RAIL_STYLE)] == [rgba(colour) for colour, _, _ in RAIL_STYLE.values()]
    dead = symbol_colours(found["dead_ends"]["styleQML"])
    assert rgba(STATUS_COLOURS["open"]) in dead and rgba(STATUS_COLOURS["confirmed"]) in dead
    corridors = symbol_colours(found["corridors"]["styleQML"])
    assert corridors == [rgba(c) for c in (*CORRIDOR_RAMP, NO_INDEX_COLOUR)]
    circles = symbol_colours(found["isochrones"]["styleQML"])
    assert rgba(band_colours([60.0, 120.0, 180.0])[180.0], 0.2) in circles
    assert symbol_colours(found["admin_units"]["styleQML"])[0] == rgba(UNIT_COLOUR, 0.0)
    filters = [r.get("filter") for r in ET.fromstring(
        found["dead_ends"]["styleQML"].split("\n", 1)[1]).iter("rule")]  # fmt: skip
    assert filters[0] == "(\"status\" = '待核实')" and filters[-1] == "ELSE"


def test_sld_carries_the_same_rules(gpkg):
    found = styles(gpkg)
    root = ET.fromstring(found["corridors"]["styleSLD"].encode())
    rules = root.findall(f".//{SE}Rule")
    assert len(rules) == len(CORRIDOR_RAMP) + 1
    strokes = [p.text for p in root.iter(f"{SE}SvgParameter") if p.get("name") == "stroke"]
    assert strokes == [*CORRIDOR_RAMP, NO_INDEX_COLOUR]
    assert rules[-1].find(f".//{OGC}PropertyIsNull") is not None
    dead = ET.fromstring(found["dead_ends"]["styleSLD"].encode())
    assert dead.find(f".//{SE}ElseFilter") is not None


def test_rules_write_filters_qgis_and_sld_read():
    style = LayerStyle("t", "t", "point", (
        Rule("a", Symbol("#112233", outline="#000000"), (Condition("k", "in", ("x", "o'k")),
                                                         Condition("n", ">", (1.5,)))),
        Rule("rest", Symbol("#445566"), otherwise=True),
    ))  # fmt: skip
    assert style.rules[0].expression() == "(\"k\" IN ('x', 'o''k')) AND (\"n\" > 1.5)"
    root = ET.fromstring(qml(style).split("\n", 1)[1])
    assert [layer.get("class") for layer in root.iter("layer")] == ["SimpleMarker"] * 2
    document = ET.fromstring(sld(style).encode())
    equal = document.findall(f".//{OGC}And/{OGC}Or/{OGC}PropertyIsEqualTo/{OGC}Literal")
    assert [e.text for e in equal] == ["x", "o'k"]
    assert document.find(f".//{SE}PointSymbolizer//{SE}Size").text == "8"


def test_styles_are_rewritten_with_the_geopackage(tmp_path):
    """A new run writes a new file: one row per layer, never duplicates."""
    path = tmp_path / "x.gpkg"
    write_geopackage(make_layers(), path, cgcs2000=False)
    write_geopackage(replace(make_layers(), rail=make_layers(with_rail=False).rail), path,
                     cgcs2000=False)  # fmt: skip
    assert sorted(styles(path)) == sorted(LAYERS)


QGIS_CHECK = """
import os, sys
from qgis.core import QgsApplication, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
for name in sys.argv[2:]:
    layer = QgsVectorLayer(f"{sys.argv[1]}|layername={name}", name, "ogr")
    message, ok = layer.loadDefaultStyle()
    rules = layer.renderer().rootRule().children()
    print(name, ok, layer.renderer().type(), len(rules), rules[0].symbol().color().name())
sys.stdout.flush()
os._exit(0)  # QGIS may crash tearing down its application object; the answers are out
"""


def test_qgis_opens_the_layers_styled(gpkg, tmp_path):
    python = shutil.which("python3", path="/usr/bin")
    probe = subprocess.run([python or "python3", "-c", "import qgis.core"], capture_output=True)
    if python is None or probe.returncode != 0:
        pytest.skip("QGIS's Python bindings are not installed (apt-get install python3-qgis)")
    result = subprocess.run(
        [python, "-c", QGIS_CHECK, str(gpkg), "road_edges", "dead_ends", "corridors"],
        capture_output=True, text=True, timeout=120,
        env={"QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    lines = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()}
    assert lines["road_edges"] == ["True", "RuleRenderer", "5", ROAD_STYLE["roads_major"][0]]
    assert lines["dead_ends"][:3] == ["True", "RuleRenderer", "6"]
    assert lines["corridors"] == ["True", "RuleRenderer", "6", CORRIDOR_RAMP[0]]
