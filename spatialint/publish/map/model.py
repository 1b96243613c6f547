"""What a map layer holds, as plain data: GeoJSON features, markers, popups, legend entries.

Each layer function of :mod:`spatialint.publish.map` returns a :class:`Drawing` (its layers of
the layer control and its legend entries); :mod:`spatialint.publish.map.draw` turns that into
Folium/Leaflet objects and :mod:`spatialint.publish.map.page` the legend into HTML. Keeping the
content apart from Folium lets the tests check what a reviewer sees (features, properties,
popup fields, legend) without depending on the HTML a Folium version writes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import shapely

from spatialint.contracts import Table
from spatialint.publish.i18n import column_text, display_value


@dataclass(frozen=True)
class PopupRow:
    """One line of a popup: the column it shows, its label and the value as text."""

    field: str
    label: str
    text: str


@dataclass(frozen=True)
class Popup:
    """A feature's popup: a two-column table and its links ``(href, text)``."""

    rows: tuple[PopupRow, ...]
    links: tuple[tuple[str, str], ...] = ()

    @property
    def fields(self) -> tuple[str, ...]:
        """The columns the popup shows (rows with a value)."""
        return tuple(r.field for r in self.rows if r.text != "")


@dataclass(frozen=True)
class Shapes:
    """Features drawn with one style, as a GeoJSON FeatureCollection.

    ``tooltip`` lists ``(property, label)`` pairs shown on hover; ``popup`` is bound to the
    whole collection (one corridor, say); points are drawn as circles of ``point_radius_px``.
    """

    name: str
    features: dict[str, Any]
    style: Mapping[str, Any]
    tooltip: tuple[tuple[str, str], ...] = ()
    popup: Popup | None = None
    point_radius_px: float = 6.0


@dataclass(frozen=True)
class Circle:
    """A circle marker of a fixed size in pixels at a display position."""

    lat: float
    lon: float
    radius: float
    style: Mapping[str, Any]
    tooltip: str
    popup: Popup | None = None


@dataclass(frozen=True)
class TextLabel:
    """A text label at a display position (a unit's name)."""

    lat: float
    lon: float
    text: str


@dataclass(frozen=True)
class MapLayer:
    """One entry of the layer control: what it draws and whether it starts shown."""

    name: str
    show: bool
    shapes: tuple[Shapes, ...] = ()
    circles: tuple[Circle, ...] = ()
    labels: tuple[TextLabel, ...] = ()


LegendKind = Literal["line", "swatch", "dot", "ramp", "note", "heading"]


@dataclass(frozen=True)
class LegendEntry:
    """One line of the legend: a line, fill swatch, dot or colour ramp; a note or a heading."""

    kind: LegendKind
    text: str
    colours: tuple[str, ...] = ()
    dash: bool = False
    width: float = 3.0
    opacity: float = 0.5


@dataclass(frozen=True)
class Drawing:
    """What one layer function draws: its layers (in order) and its legend entries."""

    layers: tuple[MapLayer, ...] = ()
    legend: tuple[LegendEntry, ...] = ()


def feature_collection(
    frame: gpd.GeoDataFrame,
    properties: Sequence[str],
    table: Table | None = None,
    language: str = "zh",
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of ``frame`` with only ``properties``, as display text:
    by ``table``'s columns (:func:`~spatialint.publish.i18n.column_text`) where given."""
    geo = shapely.to_geojson(np.asarray(frame.geometry.array, dtype=object))
    columns = {p: frame[p].tolist() for p in properties}
    known = set(table.names) if table is not None else set()

    def text(column: str, value: Any) -> str:
        if table is not None and column in known:
            return column_text(table, column, value, language)
        return display_value(value)

    features = [
        {
            "type": "Feature",
            "geometry": json.loads(geo[i]),
            "properties": {p: text(p, values[i]) for p, values in columns.items()},
        }
        for i in range(len(frame))
    ]
    return {"type": "FeatureCollection", "features": features}


def osm_link(lon: float, lat: float, *, zoom: int = 17) -> str:
    """openstreetmap.org URL centred on a WGS-84 position with a marker."""
    return (
        f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}"
        f"#map={zoom}/{lat:.6f}/{lon:.6f}"
    )
