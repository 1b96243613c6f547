"""Folium objects of a :class:`~spatialint.publish.map.model.Drawing`: the one module that
knows how the layer data becomes Leaflet layers, markers, tooltips and popups."""

from __future__ import annotations

import html
from typing import Any

import folium
from branca.element import MacroElement
from jinja2 import Template

from spatialint.publish.map.model import Circle, MapLayer, Popup, Shapes, TextLabel

POINT_TYPES = ("Point", "MultiPoint")


class PopupElement(MacroElement):
    """A Leaflet popup bound to its parent, without folium.Popup's jQuery dependency."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.bindPopup({{ this.html|tojson }}, {maxWidth: 360});"
        "{% endmacro %}"
    )

    def __init__(self, html_text: str):
        super().__init__()
        self._name = "Popup"
        self.html = html_text


def popup_html(popup: Popup) -> str:
    """A popup as an HTML table of its non-empty rows, then its links."""
    cells = "".join(
        f"<tr><th>{html.escape(r.label)}</th><td>{html.escape(r.text)}</td></tr>"
        for r in popup.rows
        if r.text != ""
    )
    links = " · ".join(
        f'<a href="{html.escape(href)}" target="_blank" rel="noopener">{html.escape(text)}</a>'
        for href, text in popup.links
    )
    return f'<table class="spatialint-popup">{cells}</table>{links}'


def geojson(shapes: Shapes) -> folium.GeoJson:
    """A GeoJson layer with a constant style, the tooltip and popup of ``shapes``; points are
    drawn as circle markers."""
    features = shapes.features["features"]
    present = [(f, a) for f, a in shapes.tooltip if features and f in features[0]["properties"]]
    tooltip = (
        folium.GeoJsonTooltip(fields=[f for f, _ in present], aliases=[a for _, a in present])
        if present
        else None
    )
    style: dict[str, Any] = dict(shapes.style)
    has_points = any(f["geometry"] and f["geometry"]["type"] in POINT_TYPES for f in features)
    marker = None
    if has_points:
        marker = folium.CircleMarker(radius=shapes.point_radius_px)
        style.pop("dashArray", None)
    layer = folium.GeoJson(
        shapes.features, name=shapes.name, style_function=lambda _feature, s=style: s,
        tooltip=tooltip, marker=marker, embed=True,
    )  # fmt: skip
    if shapes.popup is not None:
        PopupElement(popup_html(shapes.popup)).add_to(layer)
    return layer


def circle_marker(circle: Circle) -> folium.CircleMarker:
    marker = folium.CircleMarker(
        [circle.lat, circle.lon], radius=circle.radius, tooltip=circle.tooltip, **circle.style
    )
    if circle.popup is not None:
        PopupElement(popup_html(circle.popup)).add_to(marker)
    return marker


def text_label(text: TextLabel) -> folium.Marker:
    return folium.Marker(
        [text.lat, text.lon],
        icon=folium.DivIcon(
            html=f'<div class="spatialint-label">{html.escape(text.text)}</div>',
            icon_size=(0, 0),
            icon_anchor=(0, 0),
        ),
    )


def add_layer(m: folium.Map, layer: MapLayer) -> folium.FeatureGroup:
    """Add ``layer`` to the map as one entry of its layer control."""
    group = folium.FeatureGroup(name=layer.name, show=layer.show)
    for shapes in layer.shapes:
        geojson(shapes).add_to(group)
    for circle in layer.circles:
        circle_marker(circle).add_to(group)
    for text in layer.labels:
        text_label(text).add_to(group)
    group.add_to(m)
    return group
