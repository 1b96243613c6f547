"""Map layers of the network stage's tables: admin units, roads by class, rail and stations."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd

from spatialint.contracts import ADMIN_UNITS, RAIL_EDGES, ROAD_EDGES
from spatialint.publish.i18n import display_value, label
from spatialint.publish.layers import unit_names
from spatialint.publish.map.display import Display
from spatialint.publish.map.model import (
    Circle,
    Drawing,
    LegendEntry,
    MapLayer,
    Shapes,
    TextLabel,
    feature_collection,
)
from spatialint.publish.style import (
    RAIL_OTHER_STYLE,
    RAIL_STYLE,
    ROAD_GROUPS,
    ROAD_STYLE,
    STATION_COLOURS,
    UNIT_COLOUR,
)

STATION_STYLE = {"color": STATION_COLOURS[0], "weight": 1.5, "fill": True,
                 "fill_color": STATION_COLOURS[1], "fill_opacity": 1.0}  # fmt: skip
STATION_RADIUS_PX = 4.0


def admin_unit_layer(units: gpd.GeoDataFrame, *, display: Display, language: str) -> Drawing:
    """The admin units: outlines (the finest level dashed) and a name label on each."""
    shown = display.frame(units)
    shown = shown.assign(_label=unit_names(shown, language))
    finest = shown["admin_level"].max()
    tooltip = (
        ("_label", ADMIN_UNITS.label("name", language)),
        ("unit_id", ADMIN_UNITS.label("unit_id", language)),
    )
    shapes = []
    for level, part in shown.groupby("admin_level"):
        fine = level == finest
        style = {"color": UNIT_COLOUR, "weight": 1.2 if fine else 2.6, "fill": True,
                 "fillOpacity": 0.0, "dashArray": "4 4" if fine else None}  # fmt: skip
        features = feature_collection(part, ["_label", "unit_id"])
        shapes.append(Shapes(f"admin {level}", features, style, tooltip))
    located = units[~units.geometry.is_empty & units.geometry.notna()]
    _, _, lon, lat = display.points(located)
    names = unit_names(located, language)
    labels = tuple(
        TextLabel(float(y), float(x), n) for x, y, n in zip(lon, lat, names, strict=True)
    )
    layer = MapLayer(label("admin_units", language), True, tuple(shapes), labels=labels)
    legend = LegendEntry("line", label("admin_units", language), (UNIT_COLOUR,), dash=True, width=2)
    return Drawing((layer,), (legend,))


def road_layers(
    roads: gpd.GeoDataFrame, *, display: Display, road_classes: Sequence[str], language: str
) -> Drawing:
    """One layer per road group (motorways and trunk roads, primary ...) of the classes drawn;
    the legend says when classes are left out (they are in the GeoPackage)."""
    shown = display.roads(roads, road_classes)
    tooltip = tuple((c, ROAD_EDGES.label(c, language)) for c in ("name", "ref", "highway"))
    layers, legend = [], []
    for key in ROAD_GROUPS:
        part = shown[shown["group"] == key]
        if part.empty:
            continue
        colour, weight = ROAD_STYLE[key]
        features = feature_collection(part, ["name", "ref", "highway"], ROAD_EDGES, language)
        style = {"color": colour, "weight": weight, "opacity": 0.6}
        layers.append(
            MapLayer(label(key, language), True, (Shapes(key, features, style, tooltip),))
        )
        legend.append(LegendEntry("line", label(key, language), (colour,), width=weight))
    drawn = {c.removesuffix("_link") for c in road_classes}
    if set(roads["highway"].astype(str).str.removesuffix("_link")) - drawn:
        legend.append(LegendEntry("note", label("minor_roads_hidden", language)))
    return Drawing(tuple(layers), tuple(legend))


def rail_layers(
    rail: gpd.GeoDataFrame, stations: gpd.GeoDataFrame, *, display: Display, language: str
) -> Drawing:
    """One layer per rail service (high-speed, intercity ...) and one of the stations; the
    legend says when the study area has no railway."""
    if rail.empty:
        legend = [LegendEntry("note", label("no_rail", language))]
        layers = []
    else:
        layers, legend = _rail_lines(display.frame(rail), language)
    if not stations.empty:
        layers.append(station_layer(stations, display=display, language=language))
        legend.append(LegendEntry("dot", label("stations", language), (STATION_COLOURS[1],)))
    return Drawing(tuple(layers), tuple(legend))


def _rail_lines(rail: gpd.GeoDataFrame, language: str) -> tuple[list, list]:
    layers, legend = [], []
    tooltip = tuple((c, RAIL_EDGES.label(c, language)) for c in ("name", "service"))
    for service, part in rail.groupby(rail["service"].astype(str), sort=False):
        known = service in RAIL_STYLE
        colour, weight, dash = RAIL_STYLE[service] if known else RAIL_OTHER_STYLE
        key = f"rail_{service}" if known else "rail_other"
        text = label(key, language) if known else f"{label(key, language)} ({service})"
        style = {"color": colour, "weight": weight, "opacity": 0.85, "dashArray": dash}
        features = feature_collection(part, ["name", "service"])
        layers.append(MapLayer(text, True, (Shapes(key, features, style, tooltip),)))
        legend.append(LegendEntry("line", text, (colour,), dash=dash is not None, width=weight))
    return layers, legend


def station_layer(stations: gpd.GeoDataFrame, *, display: Display, language: str) -> MapLayer:
    """The rail stations as small white circles, named (and their services) on hover."""
    _, _, lon, lat = display.points(stations)
    circles = []
    for x, y, name, services in zip(lon, lat, stations["name"], stations["services"], strict=True):
        tip = display_value(name)
        if display_value(services):
            tip += f" ({display_value(services)})"
        circles.append(Circle(float(y), float(x), STATION_RADIUS_PX, STATION_STYLE, tip))
    return MapLayer(label("stations", language), True, circles=tuple(circles))
