"""Map layers of the access stage's tables: origins, 1/2/3-hour circles, hexagon surface."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np

from spatialint.contracts import ISOCHRONES
from spatialint.errors import DataError
from spatialint.geo import WGS84
from spatialint.publish.i18n import band_label, label, mode_label
from spatialint.publish.map.display import Display, outer_rings
from spatialint.publish.map.model import (
    Circle,
    Drawing,
    LegendEntry,
    MapLayer,
    Shapes,
    feature_collection,
)
from spatialint.publish.style import (
    HEX_STEP_MIN,
    HEX_UNREACHED_COLOUR,
    ORIGIN_COLOUR,
    OUTLINE_COLOUR,
    TIME_RAMP,
    time_colour,
)
from spatialint.publish.style import band_colours as band_ramp

MODES = ("road", "multimodal")
ORIGIN_STYLE = {"color": OUTLINE_COLOUR, "weight": 2, "fill": True, "fill_color": ORIGIN_COLOUR,
                "fill_opacity": 1.0}  # fmt: skip
ORIGIN_RADIUS_PX = 7.0
ISOCHRONE_PROPERTIES = ("_band", "origin_name", "area_km2", "population", "population_gained")
HEX_TOP_WITHOUT_BANDS_MIN = 180.0
"""Hexagons beyond this many minutes are 'unreached' when the study has no circles."""


def band_colours(isochrones: gpd.GeoDataFrame) -> dict[float, str]:
    """Fill colour of each travel-time band, by its minutes: the time ramp's colour of its
    minutes (dark green near, light yellow-green for the largest band)."""
    return band_ramp(isochrones["band_min"].unique())


def origin_layer(origins: gpd.GeoDataFrame, *, display: Display, language: str) -> Drawing:
    """The origins as yellow circles, named on hover."""
    if origins.empty:
        return Drawing()
    _, _, lon, lat = display.points(origins)
    circles = tuple(
        Circle(float(y), float(x), ORIGIN_RADIUS_PX, ORIGIN_STYLE, str(name))
        for x, y, name in zip(lon, lat, origins["name"], strict=True)
    )
    layer = MapLayer(label("origins", language), True, circles=circles)
    return Drawing((layer,), (LegendEntry("dot", label("origins", language), (ORIGIN_COLOUR,)),))


def isochrone_layers(
    isochrones: gpd.GeoDataFrame, *, display: Display, shown_origin: object, language: str
) -> Drawing:
    """One layer per origin and mode with its bands, largest first: a light fill (holes stay
    visible) and the outer edge as a line, dashed for road + rail. Only the road circles of
    ``shown_origin`` (an ``origin_id``) start shown."""
    shown = display.frame(isochrones)
    if shown.empty:
        return Drawing()
    colours = band_colours(isochrones)
    layers = []
    for (origin_id, mode), part in shown.groupby(["origin_id", "mode"], sort=False):
        name = (
            f"{label('isochrones', language)}: {part['origin_name'].iloc[0]} – "
            f"{mode_label(mode, language)}"
        )
        part = part.assign(_band=part["band_min"].map(lambda b: band_label(b, language)))
        shapes = []
        for band in sorted(part["band_min"].unique(), reverse=True):
            shapes.extend(_band_shapes(part[part["band_min"] == band], band, mode, colours[band],
                                       language))  # fmt: skip
        show = bool(origin_id == shown_origin and mode == "road")
        layers.append(MapLayer(name, show, tuple(shapes)))
    legend = [LegendEntry("swatch", band_label(b, language), (c,), opacity=0.3)
              for b, c in colours.items()]  # fmt: skip
    legend.append(LegendEntry("line", label("mode_road", language), ("#555",), width=2))
    legend.append(
        LegendEntry("line", label("mode_multimodal", language), ("#555",), dash=True, width=2)
    )
    return Drawing(tuple(layers), tuple(legend))


def _band_shapes(
    rows: gpd.GeoDataFrame, band: float, mode: str, colour: str, language: str
) -> tuple[Shapes, Shapes]:
    """The outline (outer edge only: the holes, areas not reached inside the band, stay visible
    in the fill without a tangle of outlines) and the fill of one band."""
    origin_id = rows["origin_id"].iloc[0]
    outline = rows.set_geometry(outer_rings(rows.geometry.values), crs=WGS84)
    line_style = {"color": colour, "weight": 2, "dashArray": "6 4" if mode != "road" else None}
    fill_style = {"stroke": False, "fillColor": colour, "fillOpacity": 0.14}
    tooltip = (("_band", label("isochrones", language)),) + tuple(
        (c, ISOCHRONES.label(c, language)) for c in ISOCHRONE_PROPERTIES[1:]
    )
    return (
        Shapes(f"{origin_id} {mode} {band} outline", feature_collection(outline, []), line_style),
        Shapes(f"{origin_id} {mode} {band}",
               feature_collection(rows, ISOCHRONE_PROPERTIES, ISOCHRONES, language), fill_style,
               tooltip),
    )  # fmt: skip


def hexagon_layers(
    hexagons: gpd.GeoDataFrame, *, display: Display, bands: Sequence[float], language: str
) -> Drawing:
    """The hexagon surface of each mode, in classes of :data:`HEX_STEP_MIN` minutes up to the
    largest band (beyond it: grey, not reached); hidden at first."""
    if hexagons.empty:
        return Drawing()
    top = max(bands) if len(bands) else HEX_TOP_WITHOUT_BANDS_MIN
    layers = tuple(_hexagon_mode(hexagons, mode, top, display, language) for mode in MODES)
    return Drawing(layers, (LegendEntry("ramp", label("hex_legend", language), TIME_RAMP),))


def hex_class(minutes: float, top: float, language: str) -> tuple[str, str]:
    """Colour and text of a hexagon class: its upper edge in minutes, or -1 beyond ``top``;
    the classes spread over the whole time ramp up to ``top``."""
    if minutes < 0:
        return HEX_UNREACHED_COLOUR, f"> {top:g} {label('minutes', language)}"
    text = f"{minutes - HEX_STEP_MIN:g}–{minutes:g} {label('minutes', language)}"
    return time_colour(minutes, top), text


def _hexagon_mode(
    hexagons: gpd.GeoDataFrame, mode: str, top: float, display: Display, language: str
) -> MapLayer:
    column = f"minutes_{mode}"  # the hex_access contract's minutes_{mode} family
    if column not in hexagons.columns:
        raise DataError(
            f"hex_access has no column {column} (it has "
            f"{', '.join(map(str, hexagons.columns))}); rerun the isochrones step."
        )
    minutes = hexagons[column]
    step = np.ceil(minutes / HEX_STEP_MIN) * HEX_STEP_MIN
    step = step.where(minutes <= top)  # beyond the largest band: unreached
    classes = hexagons.assign(_class=step.fillna(-1.0))
    dissolved = display.frame(classes.dissolve(by="_class", as_index=False)[["_class", "geometry"]])
    mode_text = label(f"mode_{mode}", language)
    shapes = []
    for cls, geometry in zip(dissolved["_class"], dissolved.geometry, strict=True):
        colour, text = hex_class(float(cls), top, language)
        one = gpd.GeoDataFrame({"_text": [text]}, geometry=[geometry], crs=WGS84)
        style = {"color": colour, "weight": 0, "fillColor": colour, "fillOpacity": 0.55}
        shapes.append(Shapes(f"hex {mode} {float(cls)}", feature_collection(one, ["_text"]), style,
                             (("_text", mode_text),)))  # fmt: skip
    return MapLayer(label("hex_surface", language, mode=mode_text), False, tuple(shapes))
