"""The default QGIS style of each layer of ``results/spatialint.gpkg``, in the map's colours.

Planners open the GeoPackage in QGIS; :func:`write_default_styles` stores a style for every
layer (and its ``_cgcs2000`` copy) in the ``layer_styles`` table QGIS reads, so each layer opens
drawn as on the web map: roads in greys by class, rail in blues by service, the 1/2/3-hour
circles and the hexagons on the time ramp, 断头路 by review status, corridors by their index.
Colours and widths come from :mod:`spatialint.publish.style`; legend labels are bilingual,
``中文 / English``, from :mod:`spatialint.publish.i18n`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import geopandas as gpd

from spatialint.gaps.review import STATUSES
from spatialint.publish.i18n import band_label, bilingual, mode_label
from spatialint.publish.layers import StudyLayers
from spatialint.publish.qgis_xml import Condition, Geometry, LayerStyle, Rule, Symbol
from spatialint.publish.qgis_xml import write_layer_styles as _write_rows
from spatialint.publish.style import (
    CLASS_DROP_COLOUR,
    CORRIDOR_RAMP,
    HEX_STEP_MIN,
    HEX_UNREACHED_COLOUR,
    MISSING_CROSSING_COLOUR,
    NO_INDEX_COLOUR,
    ORIGIN_COLOUR,
    OUTLINE_COLOUR,
    RAIL_OTHER_STYLE,
    RAIL_STYLE,
    ROAD_GROUPS,
    ROAD_STYLE,
    STATION_COLOURS,
    STATUS_CLASSES,
    STATUS_COLOURS,
    UNIT_COLOUR,
    band_colours,
    time_colour,
)

CIRCLE_FILL_OPACITY = 0.2
HEX_FILL_OPACITY = 0.6
CORRIDOR_WIDTH_PX = 7.0
GAP_WIDTH_PX = 4.0
HEX_TOP_WITHOUT_BANDS_MIN = 180.0


def _both(zh: str, en: str) -> str:
    return zh if zh == en else f"{zh} / {en}"


def unit_style(units: gpd.GeoDataFrame) -> tuple[Rule, ...]:
    """Outlines only: the finest level thin and dashed, coarser levels bold."""
    levels = sorted({int(v) for v in units["admin_level"].dropna()}, reverse=True)
    return tuple(
        Rule(f"admin_level {level}",
             Symbol(UNIT_COLOUR, 1.2 if i == 0 else 2.6, "4 4" if i == 0 else None, opacity=0.0,
                    outline=UNIT_COLOUR),
             (Condition("admin_level", "=", (level,)),))
        for i, level in enumerate(levels)
    )  # fmt: skip


def road_style(_: gpd.GeoDataFrame) -> tuple[Rule, ...]:
    """Greys by class group; a class of no group draws as a minor road."""
    rules = [
        Rule(bilingual(group), Symbol(*ROAD_STYLE[group]),
             (Condition("highway", "in", classes),))
        for group, classes in ROAD_GROUPS.items() if group != "roads_minor"
    ]  # fmt: skip
    rules.append(Rule(bilingual("roads_minor"), Symbol(*ROAD_STYLE["roads_minor"]), otherwise=True))
    return tuple(rules)


def rail_style(_: gpd.GeoDataFrame) -> tuple[Rule, ...]:
    rules = [
        Rule(bilingual(f"rail_{service}"), Symbol(colour, width, dash),
             (Condition("service", "=", (service,)),))
        for service, (colour, width, dash) in RAIL_STYLE.items()
    ]  # fmt: skip
    colour, width, dash = RAIL_OTHER_STYLE
    rules.append(Rule(bilingual("rail_other"), Symbol(colour, width, dash), otherwise=True))
    return tuple(rules)


def station_style(_: gpd.GeoDataFrame) -> tuple[Rule, ...]:
    edge, fill = STATION_COLOURS
    return (Rule(bilingual("stations"), Symbol(fill, 1.5, outline=edge, size_px=8.0)),)


def origin_style(_: gpd.GeoDataFrame) -> tuple[Rule, ...]:
    symbol = Symbol(ORIGIN_COLOUR, 2.0, outline=OUTLINE_COLOUR, size_px=14.0)
    return (Rule(bilingual("origins"), symbol),)


def isochrone_style(isochrones: gpd.GeoDataFrame) -> tuple[Rule, ...]:
    """A translucent fill per band on the time ramp, edged solid by road, dashed by road +
    rail."""
    rules = []
    for band, colour in band_colours(isochrones["band_min"].unique()).items():
        for mode in ("road", "multimodal"):
            text = _both(f"{band_label(band, 'zh')}（{mode_label(mode, 'zh')}）",
                         f"{band_label(band, 'en')} ({mode_label(mode, 'en')})")  # fmt: skip
            symbol = Symbol(colour, 2.0, None if mode == "road" else "6 4",
                            CIRCLE_FILL_OPACITY, outline=colour)  # fmt: skip
            conditions = (Condition("band_min", "=", (band,)), Condition("mode", "=", (mode,)))
            rules.append(Rule(text, symbol, conditions))
    return tuple(rules)


def hexagon_style(hexagons: gpd.GeoDataFrame, bands: Sequence[float]) -> tuple[Rule, ...]:
    """Minutes by road to the nearest origin in classes of :data:`HEX_STEP_MIN` up to the
    largest band (as on the map); beyond it, not reached."""
    top = max(bands) if len(bands) else HEX_TOP_WITHOUT_BANDS_MIN
    rules = []
    edge = HEX_STEP_MIN
    while edge <= top:
        colour = time_colour(edge, top)
        conditions = [Condition("minutes_road", "<=", (edge,))]
        if edge > HEX_STEP_MIN:
            conditions.insert(0, Condition("minutes_road", ">", (edge - HEX_STEP_MIN,)))
        text = f"{edge - HEX_STEP_MIN:g}–{edge:g} min"
        rules.append(Rule(text, Symbol(colour, 0.0, opacity=HEX_FILL_OPACITY), tuple(conditions)))
        edge += HEX_STEP_MIN
    unreached = Symbol(HEX_UNREACHED_COLOUR, 0.0, opacity=HEX_FILL_OPACITY)
    rules.append(Rule(f"> {top:g} min", unreached, otherwise=True))
    return tuple(rules)


def status_style(width_px: float) -> Callable[[gpd.GeoDataFrame], tuple[Rule, ...]]:
    """Review statuses in their colours (dead ends, class drops); an unknown one brown."""

    def rules(_: gpd.GeoDataFrame) -> tuple[Rule, ...]:
        out = [
            Rule(_both(status, STATUSES[status]),
                 Symbol(STATUS_COLOURS[key], width_px, outline=OUTLINE_COLOUR, size_px=12.0),
                 (Condition("status", "=", (status,)),))
            for status, key in STATUS_CLASSES.items()
        ]  # fmt: skip
        other = Symbol(STATUS_COLOURS["other"], width_px, outline=OUTLINE_COLOUR, size_px=12.0)
        out.append(Rule(_both("其他", "other"), other, otherwise=True))
        return tuple(out)

    return rules


def class_drop_style(_: gpd.GeoDataFrame) -> tuple[Rule, ...]:
    symbol = Symbol(CLASS_DROP_COLOUR, 2.0, "2 6", outline=OUTLINE_COLOUR, size_px=10.0)
    return (Rule(bilingual("class_drops"), symbol),)


def missing_crossing_style(_: gpd.GeoDataFrame) -> tuple[Rule, ...]:
    return (Rule(bilingual("missing_crossings"), Symbol(MISSING_CROSSING_COLOUR, 5.0, "2 6")),)


def corridor_style(_: gpd.GeoDataFrame) -> tuple[Rule, ...]:
    """The index in the ramp's classes (as :func:`~spatialint.publish.style.corridor_colour`
    rounds it); no index pink."""
    step = 100.0 / (len(CORRIDOR_RAMP) - 1)
    rules = []
    for i, colour in enumerate(CORRIDOR_RAMP):
        low, high = max(0.0, (i - 0.5) * step), min(100.0, (i + 0.5) * step)
        conditions = [Condition("index", ">=", (low,))] if i else []
        if i < len(CORRIDOR_RAMP) - 1:
            conditions.append(Condition("index", "<", (high,)))
        rules.append(
            Rule(f"{low:g}–{high:g}", Symbol(colour, CORRIDOR_WIDTH_PX), tuple(conditions))
        )
    rules.append(Rule(bilingual("no_index"), Symbol(NO_INDEX_COLOUR, CORRIDOR_WIDTH_PX),
                      (Condition("index", "is null"),)))  # fmt: skip
    return tuple(rules)


def layer_styles(layers: StudyLayers, *, suffixes: Sequence[str] = ("",)) -> list[LayerStyle]:
    """The default style of every layer of the result GeoPackage (each also for the layer
    named with each of ``suffixes``, e.g. ``_cgcs2000``)."""
    bands = sorted(float(b) for b in layers.isochrones["band_min"].unique())
    specs: list[tuple[str, str, Geometry, gpd.GeoDataFrame, Callable]] = [
        ("admin_units", "admin_units", "polygon", layers.units, unit_style),
        ("road_edges", "roads", "line", layers.roads, road_style),
        ("rail_edges", "rail", "line", layers.rail, rail_style),
        ("rail_stations", "stations", "point", layers.stations, station_style),
        ("origins", "origins", "point", layers.origins, origin_style),
        ("isochrones", "isochrones", "polygon", layers.isochrones, isochrone_style),
        ("hex_access", "hex_legend", "polygon", layers.hexagons,
         lambda frame: hexagon_style(frame, bands)),
        ("dead_ends", "dead_ends", _geometry(layers.dead_ends, "line"), layers.dead_ends,
         status_style(GAP_WIDTH_PX)),
        ("class_drops", "class_drops", _geometry(layers.class_drops, "point"),
         layers.class_drops, class_drop_style),
        ("missing_crossings", "missing_crossings", "line", layers.missing_crossings,
         missing_crossing_style),
        ("corridors", "corridors", "line", layers.corridors, corridor_style),
    ]  # fmt: skip
    return [
        LayerStyle(f"{name}{suffix}", bilingual(title), geometry, rules(frame))
        for name, title, geometry, frame, rules in specs
        for suffix in suffixes
    ]


def _geometry(frame: gpd.GeoDataFrame, default: Geometry) -> Geometry:
    """Point or line, by what the layer holds (the gaps tables allow both)."""
    kinds = set(frame.geometry.dropna().geom_type)
    if kinds and kinds <= {"Point", "MultiPoint"}:
        return "point"
    if kinds and kinds <= {"LineString", "MultiLineString"}:
        return "line"
    return default


def write_default_styles(
    path: str | os.PathLike[str], layers: StudyLayers, *, suffixes: Sequence[str] = ("",)
) -> None:
    """Store the default style of every layer in the GeoPackage at ``path``."""
    _write_rows(path, layer_styles(layers, suffixes=suffixes))
