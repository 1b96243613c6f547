"""QGIS styles as data, written as QML and SLD, and stored in a GeoPackage's ``layer_styles``.

A :class:`LayerStyle` is a list of :class:`Rule`\\ s (a filter on the layer's columns and a
:class:`Symbol`), the shape of QGIS's rule-based renderer. :func:`qml` writes it as the QML QGIS
reads (both the ``Option`` map of QGIS ≥ 3.26 and the ``prop`` list of earlier 3.x),
:func:`sld` as an SLD 1.1 document (what QGIS exports, for GeoServer and other tools), and
:func:`write_layer_styles` stores them in the ``layer_styles`` table, exactly as QGIS's own
"Save as default" does: one row per layer, ``useAsDefault`` true, so a layer opens styled.
"""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from spatialint.publish.style import rgba

MM_PER_PX = 0.26
"""Millimetres of a screen pixel (96 dpi), for QGIS's symbol sizes in mm."""
QGIS_VERSION = "3.28.0-Firenze"
"""The QGIS version written in the QML (an LTR; every QGIS 3 reads these styles)."""
Geometry = Literal["point", "line", "polygon"]
GEOMETRY_TYPE_IDS: dict[str, int] = {"point": 0, "line": 1, "polygon": 2}
"""QGIS's ``layerGeometryType`` of each geometry."""
LAYER_STYLES_DDL = """CREATE TABLE layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256),
    f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT,
    useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), update_time DATETIME
)"""
"""The ``layer_styles`` table as QGIS creates it in a GeoPackage (through GDAL)."""
SLD_NS = {
    "": "http://www.opengis.net/sld",
    "se": "http://www.opengis.net/se",
    "ogc": "http://www.opengis.net/ogc",
    "xlink": "http://www.w3.org/1999/xlink",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
OGC_OPERATORS = {
    "=": "PropertyIsEqualTo",
    ">": "PropertyIsGreaterThan",
    ">=": "PropertyIsGreaterThanOrEqualTo",
    "<": "PropertyIsLessThan",
    "<=": "PropertyIsLessThanOrEqualTo",
}


@dataclass(frozen=True)
class Symbol:
    """How a feature is drawn: ``colour`` is the line of a line, the fill of a point or
    polygon; ``outline`` the edge of a point or polygon (``None``: no edge)."""

    colour: str
    width_px: float = 1.0
    dash: str | None = None
    opacity: float = 1.0
    outline: str | None = None
    size_px: float = 8.0


@dataclass(frozen=True)
class Condition:
    """``column`` compared with ``values``: ``in`` (any of them), ``=``, ``<`` ... (the
    first), or ``is null``."""

    column: str
    op: Literal["in", "=", ">", ">=", "<", "<=", "is null"]
    values: tuple[object, ...] = ()

    def expression(self) -> str:
        """The condition as a QGIS expression."""
        name = f'"{self.column}"'
        if self.op == "is null":
            return f"{name} IS NULL"
        if self.op == "in":
            return f"{name} IN ({', '.join(_literal(v) for v in self.values)})"
        return f"{name} {self.op} {_literal(self.values[0])}"


@dataclass(frozen=True)
class Rule:
    """Features meeting every condition (none: every feature; ``otherwise``: the features no
    other rule takes) drawn with ``symbol``, named ``label`` in the legend."""

    label: str
    symbol: Symbol
    conditions: tuple[Condition, ...] = ()
    otherwise: bool = False

    def expression(self) -> str:
        if self.otherwise:
            return "ELSE"
        return " AND ".join(f"({c.expression()})" for c in self.conditions)


@dataclass(frozen=True)
class LayerStyle:
    """The default style of one layer."""

    layer: str
    title: str
    geometry: Geometry
    rules: tuple[Rule, ...]


def _literal(value: object) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return f"{float(value):g}" if isinstance(value, float) else str(value)


def _mm(px: float) -> str:
    return f"{px * MM_PER_PX:.2f}"


# ---------------------------------------------------------------------------------- QML


def _symbol_properties(symbol: Symbol, geometry: Geometry) -> tuple[str, dict[str, str]]:
    """QGIS symbol layer class and its properties."""
    if geometry == "line":
        props = {
            "line_color": rgba(symbol.colour, symbol.opacity),
            "line_width": _mm(symbol.width_px),
            "line_width_unit": "MM",
            "line_style": "solid",
            "capstyle": "round",
            "joinstyle": "round",
            "use_custom_dash": "1" if symbol.dash else "0",
            "customdash": (symbol.dash or "5 2").replace(" ", ";"),
            "customdash_unit": "Pixel",
        }
        return "SimpleLine", props
    edge = {"outline_color": rgba(symbol.outline or symbol.colour),
            "outline_style": ("dash" if symbol.dash else "solid") if symbol.outline else "no",
            "outline_width": _mm(symbol.width_px), "outline_width_unit": "MM"}  # fmt: skip
    if geometry == "point":
        props = {"name": "circle", "color": rgba(symbol.colour, symbol.opacity),
                 "size": _mm(symbol.size_px), "size_unit": "MM", **edge}  # fmt: skip
        return "SimpleMarker", props
    props = {"color": rgba(symbol.colour, symbol.opacity),
             "style": "solid" if symbol.opacity > 0 else "no", **edge}  # fmt: skip
    return "SimpleFill", props


def _qml_symbol(parent: ET.Element, name: str, symbol: Symbol, geometry: Geometry) -> None:
    kind = {"point": "marker", "line": "line", "polygon": "fill"}[geometry]
    element = ET.SubElement(parent, "symbol", type=kind, name=name, alpha="1",
                            clip_to_extent="1", force_rhr="0")  # fmt: skip
    layer_class, props = _symbol_properties(symbol, geometry)
    layer = ET.SubElement(element, "layer", {"class": layer_class, "enabled": "1", "locked": "0",
                                             "pass": "0"})  # fmt: skip
    options = ET.SubElement(layer, "Option", type="Map")
    for key, value in props.items():
        ET.SubElement(options, "Option", name=key, value=value, type="QString")
    for key, value in props.items():  # QGIS 3.0–3.24 read these
        ET.SubElement(layer, "prop", k=key, v=value)


def qml(style: LayerStyle) -> str:
    """The style as a QGIS QML document (rule-based renderer)."""
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="Symbology")
    renderer = ET.SubElement(root, "renderer-v2", type="RuleRenderer", symbollevels="0",
                             enableorderby="0", forceraster="0")  # fmt: skip
    rules = ET.SubElement(renderer, "rules", key="{root}")
    symbols = ET.SubElement(renderer, "symbols")
    for i, rule in enumerate(style.rules):
        attributes = {"key": f"{{rule-{i}}}", "symbol": str(i), "label": rule.label}
        expression = rule.expression()
        if expression:
            attributes["filter"] = expression
        ET.SubElement(rules, "rule", attributes)
        _qml_symbol(symbols, str(i), rule.symbol, style.geometry)
    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerGeometryType").text = str(GEOMETRY_TYPE_IDS[style.geometry])
    body = ET.tostring(root, encoding="unicode")
    return f"<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n{body}\n"


# ---------------------------------------------------------------------------------- SLD


def _se(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{SLD_NS['se']}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def _parameter(parent: ET.Element, name: str, value: str) -> None:
    _se(parent, "SvgParameter", value, name=name)


def _stroke(parent: ET.Element, colour: str, width_px: float, dash: str | None) -> None:
    stroke = _se(parent, "Stroke")
    _parameter(stroke, "stroke", colour)
    _parameter(stroke, "stroke-width", f"{width_px:g}")
    if dash:
        _parameter(stroke, "stroke-dasharray", dash)


def _fill(parent: ET.Element, colour: str, opacity: float) -> None:
    fill = _se(parent, "Fill")
    _parameter(fill, "fill", colour)
    _parameter(fill, "fill-opacity", f"{opacity:g}")


def _sld_symbolizer(rule: ET.Element, symbol: Symbol, geometry: Geometry) -> None:
    if geometry == "line":
        _stroke(_se(rule, "LineSymbolizer"), symbol.colour, symbol.width_px, symbol.dash)
        return
    if geometry == "polygon":
        polygon = _se(rule, "PolygonSymbolizer")
        if symbol.opacity > 0:
            _fill(polygon, symbol.colour, symbol.opacity)
        if symbol.outline:
            _stroke(polygon, symbol.outline, symbol.width_px, symbol.dash)
        return
    graphic = _se(_se(rule, "PointSymbolizer"), "Graphic")
    mark = _se(graphic, "Mark")
    _se(mark, "WellKnownName", "circle")
    _fill(mark, symbol.colour, symbol.opacity)
    if symbol.outline:
        _stroke(mark, symbol.outline, symbol.width_px, None)
    _se(graphic, "Size", f"{symbol.size_px:g}")


def _ogc(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{SLD_NS['ogc']}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _ogc_condition(parent: ET.Element, condition: Condition) -> None:
    if condition.op == "is null":
        _ogc(_ogc(parent, "PropertyIsNull"), "PropertyName", condition.column)
        return
    values = condition.values if condition.op == "in" else condition.values[:1]
    operator = OGC_OPERATORS["=" if condition.op == "in" else condition.op]
    target = _ogc(parent, "Or") if len(values) > 1 else parent
    for value in values:
        comparison = _ogc(target, operator)
        _ogc(comparison, "PropertyName", condition.column)
        _ogc(comparison, "Literal", value if isinstance(value, str) else _literal(value))


def _sld_filter(element: ET.Element, rule: Rule) -> None:
    if rule.otherwise:
        _se(element, "ElseFilter")
        return
    if not rule.conditions:
        return
    target = _ogc(element, "Filter")
    if len(rule.conditions) > 1:
        target = _ogc(target, "And")
    for condition in rule.conditions:
        _ogc_condition(target, condition)


def sld(style: LayerStyle) -> str:
    """The style as an SLD 1.1 document (Symbology Encoding), as QGIS exports it."""
    for prefix, uri in SLD_NS.items():
        ET.register_namespace(prefix, uri)
    root = ET.Element(f"{{{SLD_NS['']}}}StyledLayerDescriptor", {
        "version": "1.1.0",
        f"{{{SLD_NS['xsi']}}}schemaLocation": "http://www.opengis.net/sld "
        "http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd",
    })  # fmt: skip
    layer = ET.SubElement(root, f"{{{SLD_NS['']}}}NamedLayer")
    _se(layer, "Name", style.layer)
    user_style = ET.SubElement(layer, f"{{{SLD_NS['']}}}UserStyle")
    _se(user_style, "Name", style.layer)
    feature_style = _se(user_style, "FeatureTypeStyle")
    for rule in style.rules:
        element = _se(feature_style, "Rule")
        _se(element, "Name", rule.label)
        _se(_se(element, "Description"), "Title", rule.label)
        _sld_filter(element, rule)
        _sld_symbolizer(element, rule.symbol, style.geometry)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


# ---------------------------------------------------------------------------- the table


def write_layer_styles(path: str | Path, styles: Sequence[LayerStyle]) -> None:
    """Store ``styles`` in the GeoPackage at ``path`` as each layer's default QGIS style
    (table ``layer_styles``, registered in ``gpkg_contents`` as attributes), replacing the
    rows of those layers. A layer's geometry column is read from the GeoPackage."""
    with sqlite3.connect(path) as db:
        columns = dict(db.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
        exists = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'layer_styles'"
        ).fetchone()
        if not exists:
            db.execute(LAYER_STYLES_DDL)
            db.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) "
                "VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles')"
            )
        rows = [
            ("", "", s.layer, columns.get(s.layer, "geom"), s.layer, qml(s), sld(s), True,
             f"spatialint: {s.title}", "spatialint", None)
            for s in styles
        ]  # fmt: skip
        db.executemany("DELETE FROM layer_styles WHERE f_table_name = ?", [(r[2],) for r in rows])
        db.executemany(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
            "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
            "owner, ui) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    db.close()
