"""The study map: one self-contained, offline Folium/Leaflet HTML page for plan review.

:func:`map_drawings` turns the stage outputs (:class:`~spatialint.publish.layers.StudyLayers`)
into layer data, one function per layer; :func:`build_map` draws them as toggleable Leaflet
layers with a legend, the study title, the OSM data date and the attribution;
:func:`write_map` renders the page with Leaflet inlined, so it opens on a closed network.
:func:`run_map_stage` is the ``map`` rule's step.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd

from spatialint.contracts.io import read_table
from spatialint.contracts.network import SPEED_FIT
from spatialint.contracts.transit import TRANSIT_LINES
from spatialint.errors import DataError
from spatialint.fileio import atomic_path
from spatialint.publish.i18n import check_language, speeds_note
from spatialint.publish.layers import StudyLayers, osm_data_date, read_layers
from spatialint.publish.map.access_layers import hexagon_layers, isochrone_layers, origin_layer
from spatialint.publish.map.corridor_layer import corridor_layer
from spatialint.publish.map.display import Display
from spatialint.publish.map.draw import add_layer
from spatialint.publish.map.gap_layers import (
    class_drop_layer,
    dead_end_layer,
    missing_crossing_layer,
)
from spatialint.publish.map.model import Drawing
from spatialint.publish.map.network_layers import admin_unit_layer, rail_layers, road_layers
from spatialint.publish.map.page import (
    add_basemap,
    add_page_extras,
    add_panels,
    basemap_tiles,
    legend_panel,
    offline_page,
    title_panel,
)
from spatialint.publish.map.transit_layer import transit_layers
from spatialint.settings import MapSettings, SpeedSettings, StudyInfo

logger = logging.getLogger(__name__)

MAP_SIZE_WARN_MB = 5.0
"""A map above this size loads slowly on office PCs: a warning suggests coarser settings."""
ZOOM_START = 10


def study_title(study: StudyInfo) -> str:
    """The title shown on the map and the report: the study's title, else its name."""
    return study.title or study.name


def map_drawings(
    layers: StudyLayers,
    *,
    map_settings: MapSettings,
    language: str,
    transit_lines: gpd.GeoDataFrame | None = None,
) -> tuple[Drawing, ...]:
    """The map's layer data in drawing order (last on top), each with its legend entries."""
    if layers.units.empty:
        raise DataError("admin_units is empty: the map needs the study's admin units.")
    display = Display.for_area(
        layers.units, simplify_m=map_settings.simplify_m, gcj02=map_settings.basemap == "amap"
    )
    bands = sorted(layers.isochrones["band_min"].unique())
    shown_origin = None if layers.origins.empty else layers.origins["origin_id"].iloc[0]
    common = {"display": display, "language": language}
    return (
        admin_unit_layer(layers.units, **common),
        road_layers(layers.roads, road_classes=map_settings.road_classes, **common),
        rail_layers(layers.rail, layers.stations, **common),
        transit_layers(transit_lines, **common),
        isochrone_layers(layers.isochrones, shown_origin=shown_origin, **common),
        hexagon_layers(layers.hexagons, bands=bands, **common),
        origin_layer(layers.origins, **common),
        corridor_layer(layers.corridors, **common),
        class_drop_layer(layers.class_drops, **common),
        missing_crossing_layer(layers.missing_crossings, **common),
        dead_end_layer(layers.dead_ends, shown_levels=map_settings.gap_confidence, **common),
    )


def build_map(
    layers: StudyLayers,
    *,
    map_settings: MapSettings,
    study: StudyInfo,
    data_date: str | None,
    speeds: SpeedSettings | None = None,
    speed_fit: pd.DataFrame | None = None,
    transit_lines: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """Draw the study's layers on a Folium map (not yet rendered; see :func:`render_map`).

    Parameters
    ----------
    layers
        The stage outputs, EPSG:4326.
    map_settings
        Basemap (``osm``, ``tianditu`` with its token, ``amap`` with overlays shifted to
        GCJ-02, or ``none``), display tolerance and the road classes drawn.
    study
        Title, language and whether the data is synthetic (then said instead of a date).
    data_date
        OSM data date shown under the title.
    speeds, speed_fit
        The speed profile the times come from, said under the date (``None``: not said),
        with the calibration's fit error (the ``speed_fit`` table) when it has one.
    transit_lines
        The GTFS lines (``transit_lines``), drawn by service with their headways; ``None``
        without feeds.
    """
    language = check_language(study.language)
    tile_specs = basemap_tiles(  # a basemap without its key stops here, before any drawing
        map_settings.basemap, language=language, tianditu_token=map_settings.tianditu_token
    )
    drawings = map_drawings(
        layers, map_settings=map_settings, language=language, transit_lines=transit_lines
    )
    west, south, east, north = layers.units.total_bounds
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2], tiles=None, control_scale=True,
        zoom_start=ZOOM_START, zoom_snap=0.25,
    )  # fmt: skip
    offline_page(m)
    tiles = add_basemap(m, tile_specs)
    for drawing in drawings:
        for layer in drawing.layers:
            add_layer(m, layer)
    folium.LayerControl(collapsed=False).add_to(m)
    add_page_extras(m, basemap=map_settings.basemap, tiles=tiles)
    title = title_panel(
        study_title(study), language, data_date=data_date, synthetic=study.synthetic,
        basemap=map_settings.basemap,
        speeds=speeds_note(speeds, language, speed_fit) if speeds is not None else "",
    )  # fmt: skip
    legend = [entry for drawing in drawings for entry in drawing.legend]
    add_panels(m, title=title, legend=legend_panel(legend, language),
               bounds=[[south, west], [north, east]])  # fmt: skip
    return m


def render_map(m: folium.Map) -> str:
    """The map's HTML page; checks it loads nothing from the network."""
    page = m.get_root().render()
    external = re.findall(r"<(?:script|link)[^>]+(?:src|href)=[\"'](https?:)?//[^\"']+", page)
    if external:
        raise RuntimeError(f"The map page would load external assets: {external[:3]}")
    return page


def write_map(
    layers: StudyLayers, path: str | os.PathLike[str], *, map_settings: MapSettings,
    study: StudyInfo, data_date: str | None, speeds: SpeedSettings | None = None,
    speed_fit: pd.DataFrame | None = None, transit_lines: gpd.GeoDataFrame | None = None,
) -> Path:  # fmt: skip
    """Build, render and atomically write the map to ``path``; return the path."""
    page = render_map(build_map(
        layers, map_settings=map_settings, study=study, data_date=data_date, speeds=speeds,
        speed_fit=speed_fit, transit_lines=transit_lines,
    ))  # fmt: skip
    target = Path(path)
    with atomic_path(target) as tmp:
        tmp.write_text(page, encoding="utf-8")
    size_mb = target.stat().st_size / 1e6
    logger.info("Wrote %s (%.2f MB)", target, size_mb)
    if size_mb > MAP_SIZE_WARN_MB:
        logger.warning(
            "The map is %.1f MB (> %.0f MB): raise maps.simplify_m or drop classes from "
            "maps.road_classes so it loads quickly on office PCs.",
            size_mb,
            MAP_SIZE_WARN_MB,
        )
    return target


def run_map_stage(
    inputs: Mapping[str, str | os.PathLike[str]],
    outputs: Mapping[str, str | os.PathLike[str]],
    *,
    map: MapSettings,  # the rule's param name (spatialint.settings.PARAMS)
    study: StudyInfo,
    speeds: SpeedSettings,
) -> Path:
    """Draw a study's map from its stage outputs.

    Parameters
    ----------
    inputs
        Paths by the ``map`` rule's input names
        (:func:`~spatialint.publish.layers.read_layers`, plus ``pbf`` for the OSM data date
        and ``speed_fit``, the road stage's calibration fit; ``transit_lines`` when the
        study has GTFS feeds).
    outputs
        Paths by the rule's output names: ``html``.
    map
        The ``maps`` settings of the map (basemap, tolerance, road classes).
    study
        Title, language and whether the data is synthetic.
    speeds
        The speed profile, said on the title panel.

    Returns
    -------
    pathlib.Path
        The map written.
    """
    layers = read_layers(inputs)
    data_date = osm_data_date(inputs["pbf"])
    return write_map(
        layers, outputs["html"], map_settings=map, study=study, data_date=data_date,
        speeds=speeds, speed_fit=read_table(inputs["speed_fit"], SPEED_FIT),
        transit_lines=(
            read_table(inputs["transit_lines"], TRANSIT_LINES) if "transit_lines" in inputs
            else None
        ),
    )  # fmt: skip
