"""The study map: one self-contained, offline Folium/Leaflet HTML page for plan review.

:func:`read_layers` reads every stage's output (admin units, roads, rail, origins, isochrones,
hexagon surface, 断头路 and other gaps, corridors) into a :class:`StudyLayers`;
:func:`build_map` draws them as toggleable Leaflet layers with a legend, the study title, the
OSM data date and the attribution; :func:`write_map` renders the page with Leaflet inlined
(:mod:`spatialint.publish.offline_assets`), so it opens on a closed government network.

Display is not analysis: layers are simplified in metres (``maps.simplify_m``) and only the
main road classes are drawn (``maps.road_classes``), so a region's map stays a few MB; the
full-resolution data stays in ``results/spatialint.gpkg`` (:mod:`spatialint.publish.report`).

On an AMap (Gaode) basemap every overlay is shifted to GCJ-02
(:mod:`spatialint.publish.gcj02`), since AMap's tiles are drawn in that offset datum; links to
openstreetmap.org keep WGS-84.
"""

from __future__ import annotations

import html
import json
import logging
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from branca.element import Element, MacroElement
from jinja2 import Template

from spatialint.errors import ConfigError, DataError
from spatialint.fileio import atomic_path
from spatialint.geo import WGS84, utm_crs_for
from spatialint.publish import offline_assets
from spatialint.publish.gcj02 import gcj02_geometries
from spatialint.publish.i18n import (
    check_language,
    column_label,
    display_value,
    label,
    stage_column_labels,
)

logger = logging.getLogger(__name__)

SIMPLIFY_M = 25.0
"""Default display simplification tolerance in metres (well below a screen pixel at zoom 12)."""
COORD_DECIMALS = 5
"""Decimals of degrees kept in the HTML (1e-5° ≈ 1 m), which halves the page size."""
MAP_SIZE_WARN_MB = 5.0
"""A map above this size loads slowly on office PCs: a warning suggests coarser settings."""
HEX_STEP_MIN = 15.0
"""Class width (minutes) of the hexagon accessibility surface."""
DATE_SCAN_MAX_MB = 50.0
"""A PBF without a header date is scanned for its newest edit only below this size."""
FIT_PAD_RIGHT_PX = 240
"""Room kept for the layer control when the map first fits the study area (pixels)."""
GAP_RADIUS_PX = (5.0, 18.0)
"""Smallest and largest 断头路 circle radius in pixels (radius ∝ √minutes saved)."""

ROAD_GROUPS: dict[str, tuple[str, ...]] = {
    "roads_major": ("motorway", "motorway_link", "trunk", "trunk_link"),
    "roads_primary": ("primary", "primary_link"),
    "roads_secondary": ("secondary", "secondary_link"),
    "roads_tertiary": ("tertiary", "tertiary_link"),
    "roads_minor": ("unclassified", "residential", "living_street", "service", "road"),
}
ROAD_STYLE: dict[str, tuple[str, float]] = {
    "roads_major": ("#c0392b", 3.0),
    "roads_primary": ("#e67e22", 2.2),
    "roads_secondary": ("#b7950b", 1.6),
    "roads_tertiary": ("#7f8c8d", 1.1),
    "roads_minor": ("#aab7b8", 0.7),
}
RAIL_STYLE: dict[str, tuple[str, float, str | None]] = {
    "highspeed": ("#6c3483", 3.5, None),
    "intercity": ("#2471a3", 3.0, None),
    "conventional": ("#17202a", 2.2, "6 3"),
    "metro": ("#148f77", 2.2, None),
}
BAND_COLOURS = ("#1a9850", "#f39c12", "#c0392b", "#8e44ad", "#2c3e50")
"""Fill of the 1st, 2nd, 3rd ... travel-time band (1 h green, 2 h orange, 3 h red)."""
HEX_COLOURS = ("#1a9850", "#66bd63", "#a6d96a", "#d9ef8b", "#fee08b", "#fdae61", "#f46d43",
               "#d73027", "#a50026", "#67001f", "#40004b", "#2d004b")  # fmt: skip
HEX_UNREACHED_COLOUR = "#bdbdbd"
STATUS_COLOURS: dict[str, str] = {
    "open": "#f39c12",
    "opened": "#1a9850",
    "confirmed": "#c0392b",
    "planned": "#2471a3",
    "rejected": "#7f8c8d",
    "other": "#8e44ad",
}
STATUS_SYNONYMS: dict[str, str] = {
    "": "open", "open": "open", "new": "open", "unreviewed": "open", "pending": "open",
    "todo": "open", "待审核": "open", "未审核": "open", "待定": "open",
    "confirmed": "confirmed", "accepted": "confirmed", "gap": "confirmed", "确认": "confirmed",
    "已确认": "confirmed", "是": "confirmed",
    "planned": "planned", "in_plan": "planned", "已规划": "planned", "规划中": "planned",
    "rejected": "rejected", "false_positive": "rejected", "not_a_gap": "rejected",
    "dismissed": "rejected", "no": "rejected", "已排除": "rejected", "排除": "rejected",
    "否": "rejected",
    # the gaps stage's review vocabulary (spatialint.gaps.review.STATUSES)
    "待核实": "open", "to verify": "open", "误报": "rejected",
    "false positive": "rejected", "在建": "planned", "under construction": "planned",
    "已打通": "opened", "opened": "opened",
}  # fmt: skip
CORRIDOR_RAMP = ("#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850")
"""Colour ramp of the integration index, 0 (red, poorly integrated) → 100 (green)."""

BASEMAPS = ("osm", "tianditu", "amap", "none")
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TIANDITU_TILES = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
    "&TILECOL={x}&tk={token}"
)
AMAP_TILES = (
    "https://webrd0{s}.is.autonavi.com/appmaptile?lang={lang}&size=1&scale=1&style=8"
    "&x={x}&y={y}&z={z}"
)

# Columns the map reads, by layer (the README stage contract and the stages' COLUMN_LABELS).
DEAD_END_FIELDS: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    # (label key, candidate columns (first present wins), required)
    ("rank", ("rank",), False),
    ("gap_id", ("gap_id",), True),
    ("review_status", ("status", "review_status"), True),
    ("road_a", ("name", "road_name"), False),
    ("road_b", ("other_name", "other_road_name"), False),
    ("unit_a", ("unit_name",), False),
    ("unit_b", ("other_unit_name",), False),
    ("gap_m", ("gap_m",), True),
    ("detour_min", ("detour_min",), False),
    ("detour_km", ("detour_km",), False),
    ("minutes_saved", ("minutes_saved_mean", "minutes_saved"), True),
    ("minutes_saved_per_trip", ("minutes_saved_per_trip",), False),
    ("planned_link", ("planned", "planned_link"), True),
    ("planned_class", ("planned_class",), False),
    ("found", ("found",), False),
    ("comment", ("comment",), False),
)
BENEFIT_COLUMNS = ("minutes_saved_per_trip", "minutes_saved_mean", "minutes_saved")
"""Column that sizes the 断头路 circles: the gaps stage's ranking key, first present wins."""
CORRIDOR_INDEX_COLUMNS = ("integration_index", "index")
"""The corridor's integration index (0–100); the integration stage writes ``index``."""
CORRIDOR_FIELDS = (
    "name", "kind", "unit_a", "unit_b", "origin_a", "origin_b", "index", "integration_index",
    "index_basis", "road_min", "multimodal_min", "straight_km", "crossings", "border_km",
    "longest_uncrossed_km", "overlap_road", "border_penalty", "open_gaps", "reason", "summary",
)  # fmt: skip
"""Corridor columns shown in the popup (all columns stay in the tables)."""
CLASS_DROP_FIELDS = (
    "gap_id", "status", "unit_high", "unit_low", "class_high", "class_low", "name_high",
    "name_low", "comment",
)  # fmt: skip
MISSING_CROSSING_FIELDS = ("crossing_id", "unit_a_name", "unit_b_name", "length_km")


@dataclass(frozen=True)
class StudyLayers:
    """Every layer the map and the report draw, in EPSG:4326."""

    units: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    rail: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    origins: gpd.GeoDataFrame
    isochrones: gpd.GeoDataFrame
    hexagons: gpd.GeoDataFrame
    dead_ends: gpd.GeoDataFrame
    class_drops: gpd.GeoDataFrame
    missing_crossings: gpd.GeoDataFrame
    corridors: gpd.GeoDataFrame

    def items(self) -> Iterable[tuple[str, gpd.GeoDataFrame]]:
        """(layer name, frame) pairs in drawing order."""
        for field in fields(self):
            yield field.name, getattr(self, field.name)


LAYER_SOURCES: dict[str, tuple[str, str | None]] = {
    # StudyLayers field: (input name in the Snakemake rule, layer name or None for parquet)
    "units": ("units", "admin_units"),
    "roads": ("road_edges", None),
    "rail": ("rail_edges", None),
    "stations": ("stations", None),
    "origins": ("origins", None),
    "isochrones": ("isochrones", "isochrones"),
    "hexagons": ("isochrones", "hex_access"),
    "dead_ends": ("gaps", "dead_ends"),
    "class_drops": ("gaps", "class_drops"),
    "missing_crossings": ("gaps", "missing_crossings"),
    "corridors": ("corridors", "corridors"),
}
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "units": ("unit_id", "name"),
    "roads": ("highway",),
    "rail": ("service",),
    "stations": ("name",),
    "origins": ("origin_id", "name"),
    "isochrones": ("origin_id", "mode", "band_min"),
    "hexagons": (),
    "dead_ends": ("gap_id",),
    "class_drops": (),
    "missing_crossings": (),
    "corridors": (),
}


def _read_one(path: Path, layer: str | None, what: str) -> gpd.GeoDataFrame:
    if not path.exists():
        raise DataError(f"Input {path} ({what}) does not exist; run the stage that makes it first.")
    if layer is None and path.suffix == ".parquet":
        frame = gpd.read_parquet(path)
    else:
        if layer is not None:
            names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
            if layer not in names:
                raise DataError(
                    f"{path} has no layer {layer!r} (it has {', '.join(names) or 'none'}); "
                    "rerun the stage that writes it."
                )
        frame = gpd.read_file(path, layer=layer)
    if frame.crs is None:
        raise DataError(f"{path} ({what}) has no CRS; stage outputs must be EPSG:4326.")
    return frame.to_crs(WGS84) if frame.crs != WGS84 else frame


def check_columns(frame: pd.DataFrame, columns: Sequence[str], *, what: str) -> None:
    """Raise a :class:`DataError` naming the columns of ``what`` that are missing."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{what} lacks column(s) {', '.join(missing)} (it has: "
            f"{', '.join(map(str, frame.columns))}); rerun the stage that writes it."
        )


def read_layers(paths: Mapping[str, str | os.PathLike[str]]) -> StudyLayers:
    """Read every stage output the map needs, from the paths named like the rule's inputs.

    ``paths`` maps ``units``, ``road_edges``, ``rail_edges``, ``stations``, ``origins``,
    ``isochrones``, ``gaps`` and ``corridors`` to files (the README contract).
    """
    frames: dict[str, gpd.GeoDataFrame] = {}
    for name, (key, layer) in LAYER_SOURCES.items():
        if key not in paths:
            raise DataError(f"No path given for input {key!r} (needed for layer {name}).")
        what = f"{Path(paths[key]).name}" + (f" layer {layer}" if layer else "")
        frame = _read_one(Path(paths[key]), layer, what)
        check_columns(frame, REQUIRED_COLUMNS[name], what=what)
        frames[name] = frame
    corridor_index_column(frames["corridors"])
    return StudyLayers(**frames)


def osm_data_date(pbf: str | os.PathLike[str]) -> str | None:
    """The OSM data date (``YYYY-MM-DD``) of a PBF, or ``None`` when it cannot be told.

    Geofabrik and planet extracts carry ``osmosis_replication_timestamp`` in the header, which
    is read without scanning the file. Without it, files below :data:`DATE_SCAN_MAX_MB` are
    scanned for their newest object timestamp (the data cannot be older than its last edit).
    """
    import osmium

    path = Path(pbf)
    if not path.exists():
        raise DataError(f"OSM extract {path} does not exist; run the retrieve stage first.")
    reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
    try:
        header = reader.header()
        for key in ("osmosis_replication_timestamp", "timestamp"):
            value = header.get(key, "")
            if value:
                return value[:10]
    finally:
        reader.close()
    if path.stat().st_size > DATE_SCAN_MAX_MB * 1e6:
        logger.warning("%s has no timestamp in its header; the map shows the date as unknown", path)
        return None
    newest = None
    for obj in osmium.FileProcessor(str(path)):
        stamp = obj.timestamp
        if stamp is not None and stamp.year > 1970 and (newest is None or stamp > newest):
            newest = stamp
    return newest.strftime("%Y-%m-%d") if newest is not None else None


def map_options(study: Mapping[str, Any], *, data_date: str | None = None) -> dict[str, Any]:
    """Keyword options of :func:`build_map` from a validated study config."""
    maps = study.get("maps", {})
    return {
        "title": study.get("title") or study.get("name", ""),
        "language": study.get("language", "zh"),
        "basemap": maps.get("basemap", "osm"),
        "tianditu_token": maps.get("tianditu_token"),
        "synthetic": bool(study.get("synthetic", False)),
        "data_date": data_date,
        "simplify_m": float(maps.get("simplify_m", SIMPLIFY_M)),
        "road_classes": tuple(maps.get("road_classes", ROAD_DEFAULT_CLASSES)),
    }


ROAD_DEFAULT_CLASSES = ("motorway", "trunk", "primary", "secondary", "tertiary")


# --------------------------------------------------------------------------- geometry prep


def _round_coords(geoms: np.ndarray) -> np.ndarray:
    return shapely.transform(geoms, lambda c: np.round(c, COORD_DECIMALS))


def display_frame(
    frame: gpd.GeoDataFrame, *, simplify_m: float, metric_crs: Any, gcj02: bool
) -> gpd.GeoDataFrame:
    """A copy of ``frame`` simplified in metres, optionally shifted to GCJ-02, rounded."""
    out = frame[~frame.geometry.is_empty & frame.geometry.notna()].copy()
    if out.empty:
        return out
    if simplify_m > 0:
        metric = out.geometry.to_crs(metric_crs)
        simple = metric.simplify(simplify_m, preserve_topology=True)
        out = out.set_geometry(simple.to_crs(WGS84))
    geoms = np.asarray(out.geometry.array, dtype=object)
    if gcj02:
        geoms = gcj02_geometries(geoms)
    out = out.set_geometry(gpd.GeoSeries(_round_coords(geoms), index=out.index, crs=WGS84))
    return out[~out.geometry.is_empty]


def _feature_collection(frame: gpd.GeoDataFrame, properties: Sequence[str]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection dict with only ``properties`` (as display strings)."""
    features = []
    geo = shapely.to_geojson(np.asarray(frame.geometry.array, dtype=object))
    for i, (_, row) in enumerate(frame.iterrows()):
        props = {p: display_value(row[p]) for p in properties if p in frame.columns}
        features.append({"type": "Feature", "geometry": json.loads(geo[i]), "properties": props})
    return {"type": "FeatureCollection", "features": features}


def _yes_no(value: Any, language: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return label("no", language)
    if isinstance(value, str):
        truthy = value.strip().lower() in {"yes", "true", "1", "y", "是"}
        return (
            label("yes" if truthy else "no", language) if value.strip() else label("no", language)
        )
    return label("yes" if bool(value) else "no", language)


def status_key(value: Any) -> str:
    """The colour class (open/confirmed/planned/rejected/other) of a review status value."""
    text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    return STATUS_SYNONYMS.get(text.strip().lower(), "other")


def corridor_colour(index: float) -> str:
    """Colour of an integration index (0–100) on :data:`CORRIDOR_RAMP`."""
    if index is None or not np.isfinite(index):
        return "#999999"
    position = min(max(float(index), 0.0), 100.0) / 100.0 * (len(CORRIDOR_RAMP) - 1)
    return CORRIDOR_RAMP[min(int(round(position)), len(CORRIDOR_RAMP) - 1)]


def pick_column(frame: pd.DataFrame, candidates: Sequence[str]) -> str | None:
    """The first of ``candidates`` that is a column of ``frame``."""
    return next((c for c in candidates if c in frame.columns), None)


def corridor_index_column(corridors: pd.DataFrame) -> str:
    """The corridors' integration-index column; a :class:`DataError` when there is none."""
    found = pick_column(corridors, CORRIDOR_INDEX_COLUMNS)
    if found is None:
        raise DataError(
            "corridors.gpkg layer corridors has no integration index column (one of "
            f"{', '.join(CORRIDOR_INDEX_COLUMNS)}; it has {', '.join(map(str, corridors.columns))})"
            "; rerun the integration stage."
        )
    return found


def benefit_column(dead_ends: pd.DataFrame) -> str:
    """The 断头路 benefit column (ranking key); a :class:`DataError` when there is none."""
    found = pick_column(dead_ends, BENEFIT_COLUMNS)
    if found is None:
        raise DataError(
            "gaps.gpkg layer dead_ends has no time-saving column (one of "
            f"{', '.join(BENEFIT_COLUMNS)}; it has {', '.join(map(str, dead_ends.columns))}); "
            "rerun the gaps stage."
        )
    return found


# --------------------------------------------------------------------------- map elements


class _Popup(MacroElement):
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


class _MapExtras(MacroElement):
    """Attribution, offline tile fallback and a JS error flag (read by the browser test)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.setPrefix(false);
        {% if this.attribution %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution(
            {{ this.attribution|tojson }});
        {% endif %}
        {% for tile in this.tile_names %}
        {{ tile }}.on('tileerror', function (e) {
            e.tile.style.visibility = 'hidden';
            var note = document.getElementById('spatialint-basemap-note');
            if (note) { note.style.display = 'block'; }
        });
        {% endfor %}
        {% endmacro %}"""
    )

    def __init__(self, *, attribution: str, tile_names: Sequence[str]):
        super().__init__()
        self._name = "MapExtras"
        self.attribution = attribution
        self.tile_names = list(tile_names)


ERROR_FLAG_JS = (
    "<script>window.addEventListener('error', function (e) {"
    "document.documentElement.setAttribute('data-js-error', String(e.message));});</script>"
)
PAGE_CSS = """<style>
.leaflet-container { background: #f4f2ec; }
.spatialint-panel { position: absolute; z-index: 1000; background: rgba(255,255,255,0.93);
  padding: 8px 10px; border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,0.3);
  font: 12px/1.4 "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei",
  sans-serif; }
.spatialint-title { top: 10px; left: 55px; max-width: 45%; }
.spatialint-title h1 { font-size: 16px; margin: 0 0 2px 0; }
.spatialint-synthetic { color: #b03a2e; font-weight: bold; }
.spatialint-legend { bottom: 48px; left: 10px; max-height: 55%; overflow-y: auto;
  font-size: 11px; line-height: 1.3; }
.spatialint-legend summary { cursor: pointer; }
.spatialint-legend h2 { font-size: 13px; margin: 4px 0 2px 0; }
.spatialint-legend .sw { display: inline-block; width: 18px; height: 10px; margin-right: 5px;
  vertical-align: middle; border: 1px solid #555; }
.spatialint-legend .ln { display: inline-block; width: 18px; height: 0; margin-right: 5px;
  vertical-align: middle; border-top: 3px solid #555; }
.spatialint-legend .dot { display: inline-block; width: 10px; height: 10px; margin-right: 5px;
  border-radius: 50%; vertical-align: middle; border: 1px solid #333; }
.spatialint-label { font: bold 12px sans-serif; color: #333; white-space: nowrap;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff; }
#spatialint-basemap-note { display: none; color: #7f8c8d; }
.leaflet-control-layers-expanded { font-size: 12px; line-height: 1.25; padding: 4px 8px;
  max-height: calc(100vh - 90px); overflow-y: auto; }
.leaflet-control-layers-expanded label { margin: 0; }
.spatialint-popup td { padding: 1px 6px 1px 0; vertical-align: top; }
.spatialint-popup th { text-align: left; padding-right: 8px; color: #555; font-weight: normal; }
</style>"""


def _basemap_layers(
    m: folium.Map, *, basemap: str, language: str, tianditu_token: str | None
) -> list[folium.TileLayer]:
    """Add the configured background tiles; return them (for the offline fallback)."""
    attribution_osm = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
    if basemap == "none":
        return []
    if basemap == "osm":
        tiles = [(OSM_TILES, attribution_osm + " contributors", "OpenStreetMap", None)]
    elif basemap == "tianditu":
        if not tianditu_token:
            raise ConfigError(
                "maps.basemap is 'tianditu' but maps.tianditu_token is not set: get a key at "
                "https://console.tianditu.gov.cn and add it to the study config, or use "
                "basemap: osm / none."
            )
        annotation = "cva" if language == "zh" else "eva"
        tiles = [
            (
                TIANDITU_TILES.replace("{layer}", layer).replace("{token}", tianditu_token),
                "&copy; 天地图 Tianditu (国家地理信息公共服务平台)",
                name,
                "01234567",
            )
            for layer, name in (("vec", "天地图 Tianditu"), (annotation, "天地图注记 labels"))
        ]
    elif basemap == "amap":
        lang = "zh_cn" if language == "zh" else "en"
        tiles = [
            (AMAP_TILES.replace("{lang}", lang), "&copy; 高德地图 AutoNavi", "高德 AMap", "1234")
        ]
    else:
        raise ConfigError(f"maps.basemap {basemap!r} is not one of {', '.join(BASEMAPS)}.")
    layers = []
    for url, attr, name, subdomains in tiles:
        kwargs: dict[str, Any] = {"subdomains": subdomains} if subdomains else {}
        layer = folium.TileLayer(
            tiles=url, attr=attr, name=name, overlay=False, control=False, max_zoom=18, **kwargs
        )
        layer.add_to(m)
        layers.append(layer)
    return layers


def _geojson(
    data: dict[str, Any],
    *,
    name: str,
    style: dict[str, Any],
    tooltip_fields: Sequence[tuple[str, str]] = (),
) -> folium.GeoJson:
    """A GeoJson layer with a constant style and an optional field tooltip."""
    present = [
        (f, a)
        for f, a in tooltip_fields
        if data["features"] and f in data["features"][0]["properties"]
    ]
    tooltip = (
        folium.GeoJsonTooltip(fields=[f for f, _ in present], aliases=[a for _, a in present])
        if present
        else None
    )
    has_points = any(
        f["geometry"] and f["geometry"]["type"] in ("Point", "MultiPoint") for f in data["features"]
    )
    marker = folium.CircleMarker(radius=style.get("radius", 6)) if has_points else None
    if has_points:
        style = {k: v for k, v in style.items() if k != "dashArray"}
    return folium.GeoJson(
        data, name=name, style_function=lambda _feature, s=style: s, tooltip=tooltip,
        marker=marker, embed=True,
    )  # fmt: skip


def _popup_table(rows: Sequence[tuple[str, str]], link: tuple[str, str] | None = None) -> str:
    cells = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows if v != ""
    )
    out = f'<table class="spatialint-popup">{cells}</table>'
    if link:
        href, text = html.escape(link[0]), html.escape(link[1])
        out += f'<a href="{href}" target="_blank" rel="noopener">{text}</a>'
    return out


def osm_link(lon: float, lat: float, *, zoom: int = 17) -> str:
    """openstreetmap.org URL centred on a WGS-84 position with a marker."""
    return (
        f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}"
        f"#map={zoom}/{lat:.6f}/{lon:.6f}"
    )


def outer_rings(geometries: np.ndarray) -> np.ndarray:
    """The exterior rings of (multi)polygons as (multi)linestrings; other geometries as is."""
    geoms = np.asarray(geometries, dtype=object)
    out = geoms.copy()
    for i, geom in enumerate(geoms):
        if geom is None or geom.is_empty:
            continue
        parts = getattr(geom, "geoms", [geom])
        rings = [shapely.LineString(p.exterior.coords) for p in parts if hasattr(p, "exterior")]
        if rings:
            out[i] = rings[0] if len(rings) == 1 else shapely.MultiLineString(rings)
    return out


def road_group(highway: pd.Series) -> pd.Series:
    """The display group (``roads_major`` ...) of each OSM ``highway`` value."""
    lookup = {cls: group for group, classes in ROAD_GROUPS.items() for cls in classes}
    return highway.astype(str).map(lookup).fillna("roads_minor")


def display_roads(
    roads: gpd.GeoDataFrame, *, road_classes: Sequence[str], simplify_m: float, metric_crs: Any,
    gcj02: bool,
) -> gpd.GeoDataFrame:  # fmt: skip
    """The road network for display: main classes only, one feature per class and name.

    Directed edges are deduplicated (a two-way street is stored twice), links go with their
    class (``primary_link`` with ``primary``), and edges of one (group, name, ref) are merged
    into one line before simplification.
    """
    base = {c.removesuffix("_link") for c in road_classes}
    keep = roads["highway"].astype(str).str.removesuffix("_link").isin(base)
    frame = roads.loc[keep, [c for c in ("highway", "name", "ref") if c in roads.columns]]
    frame = gpd.GeoDataFrame(frame, geometry=roads.geometry[keep], crs=roads.crs)
    if frame.empty:
        return frame
    frame = frame.assign(
        _key=shapely.to_wkb(shapely.normalize(np.asarray(frame.geometry.array, dtype=object)))
    )
    frame = frame.drop_duplicates("_key").drop(columns="_key")
    frame["group"] = road_group(frame["highway"])
    for column in ("name", "ref"):
        if column not in frame.columns:
            frame[column] = ""
        frame[column] = frame[column].fillna("").astype(str)
    merged = frame.dissolve(by=["group", "name", "ref"], as_index=False, aggfunc="first")
    merged = merged.set_geometry(
        shapely.line_merge(np.asarray(merged.geometry.array, dtype=object))
    )
    return display_frame(merged, simplify_m=simplify_m, metric_crs=metric_crs, gcj02=gcj02)


def _legend_line(colour: str, text: str, dash: bool = False, width: float = 3) -> str:
    style = f"border-top: {width:.0f}px {'dashed' if dash else 'solid'} {colour};"
    return f'<div><span class="ln" style="{style}"></span>{html.escape(text)}</div>'


def _legend_swatch(colour: str, text: str, opacity: float = 0.5) -> str:
    return (
        f'<div><span class="sw" style="background:{colour};opacity:{opacity + 0.3:.2f}"></span>'
        f"{html.escape(text)}</div>"
    )


def _legend_dot(colour: str, text: str) -> str:
    return f'<div><span class="dot" style="background:{colour}"></span>{html.escape(text)}</div>'


def band_label(minutes: float, language: str) -> str:
    """'1小时圈' / '1-hour circle' for whole hours, else minutes."""
    if float(minutes) % 60 == 0:
        return label("band_hours", language, hours=int(minutes // 60))
    return label("band_minutes", language, minutes=f"{minutes:g}")


# --------------------------------------------------------------------------- the map


def build_map(
    layers: StudyLayers,
    *,
    title: str,
    language: str = "zh",
    basemap: str = "osm",
    tianditu_token: str | None = None,
    data_date: str | None = None,
    synthetic: bool = False,
    simplify_m: float = SIMPLIFY_M,
    road_classes: Sequence[str] = ROAD_DEFAULT_CLASSES,
) -> folium.Map:
    """Draw the study's layers on a Folium map (not yet rendered; see :func:`render_map`).

    Parameters
    ----------
    layers
        The stage outputs, EPSG:4326.
    title
        Study title shown at the top.
    language
        ``zh`` (default) or ``en`` labels.
    basemap
        ``osm``, ``tianditu`` (needs ``tianditu_token``), ``amap`` (overlays shifted to GCJ-02)
        or ``none``.
    data_date
        OSM data date shown under the title; ``synthetic`` data says so instead.
    simplify_m
        Display simplification tolerance in metres.
    road_classes
        OSM highway classes drawn (links follow their class); others stay in the GeoPackage.
    """
    check_language(language)
    if basemap not in BASEMAPS:
        raise ConfigError(f"maps.basemap {basemap!r} is not one of {', '.join(BASEMAPS)}.")
    lang = language
    gcj = basemap == "amap"
    if layers.units.empty:
        raise DataError("admin_units is empty: the map needs the study's admin units.")
    west, south, east, north = layers.units.total_bounds
    metric_crs = utm_crs_for(np.array([west, east]), np.array([south, north]))

    def prep(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        return display_frame(frame, simplify_m=simplify_m, metric_crs=metric_crs, gcj02=gcj)

    def points(frame: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """WGS-84 and display (maybe GCJ-02) lon/lat of each feature's representative point."""
        geoms = np.asarray(frame.geometry.array, dtype=object)
        reps = np.where(
            shapely.get_type_id(geoms) == 0, geoms, shapely.point_on_surface(geoms)
        ).astype(object)
        lines = np.isin(shapely.get_type_id(geoms), (1, 5))
        if lines.any():
            reps[lines] = shapely.line_interpolate_point(geoms[lines], 0.5, normalized=True)
        lon, lat = shapely.get_x(reps), shapely.get_y(reps)
        shown = gcj02_geometries(reps) if gcj else reps
        return lon, lat, shapely.get_x(shown), shapely.get_y(shown)

    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2], tiles=None, control_scale=True,
        zoom_start=10, zoom_snap=0.25,
    )  # fmt: skip
    m.default_js = []
    m.default_css = []
    root = m.get_root()
    root.header.add_child(Element(ERROR_FLAG_JS), name="spatialint_error_flag")
    root.header.add_child(Element(offline_assets.inline_tags()), name="leaflet_inline")
    root.header.add_child(Element(PAGE_CSS), name="spatialint_css")
    tiles = _basemap_layers(m, basemap=basemap, language=lang, tianditu_token=tianditu_token)
    legend: list[str] = []

    # admin units, labelled
    units = prep(layers.units)
    group = folium.FeatureGroup(name=label("admin_units", lang), show=True)
    names = units["name"].fillna("").astype(str)
    if lang == "en" and "name_en" in units.columns:
        names = units["name_en"].where(units["name_en"].notna() & (units["name_en"] != ""), names)
    units = units.assign(_label=names.astype(str))
    level = units["admin_level"] if "admin_level" in units.columns else pd.Series(0, units.index)
    finest = pd.to_numeric(level, errors="coerce").fillna(0).max()
    for lvl, part in units.groupby(pd.to_numeric(level, errors="coerce").fillna(0)):
        fine = lvl == finest
        _geojson(
            _feature_collection(part, ["_label", "unit_id"]),
            name=f"admin {lvl}",
            style={"color": "#34495e", "weight": 1.2 if fine else 2.6, "fill": True,
                   "fillOpacity": 0.0, "dashArray": "4 4" if fine else None},
            tooltip_fields=[("_label", label("name", lang)), ("unit_id", label("unit_id", lang))],
        ).add_to(group)  # fmt: skip
    _, _, lon, lat = points(layers.units)
    for x, y, text in zip(lon, lat, units["_label"], strict=True):
        folium.Marker(
            [y, x],
            icon=folium.DivIcon(
                html=f'<div class="spatialint-label">{html.escape(text)}</div>',
                icon_size=(0, 0),
                icon_anchor=(0, 0),
            ),
        ).add_to(group)
    group.add_to(m)
    legend.append(_legend_line("#34495e", label("admin_units", lang), dash=True, width=2))

    # roads by class
    roads = display_roads(
        layers.roads, road_classes=road_classes, simplify_m=simplify_m, metric_crs=metric_crs,
        gcj02=gcj,
    )  # fmt: skip
    for key in ROAD_GROUPS:
        part = roads[roads["group"] == key] if not roads.empty else roads
        if part.empty:
            continue
        colour, weight = ROAD_STYLE[key]
        group = folium.FeatureGroup(name=label(key, lang), show=True)
        _geojson(
            _feature_collection(part, ["name", "ref", "highway"]),
            name=key,
            style={"color": colour, "weight": weight, "opacity": 0.6},
            tooltip_fields=[("name", label("name", lang)), ("ref", label("ref", lang)),
                            ("highway", label("highway", lang))],
        ).add_to(group)  # fmt: skip
        group.add_to(m)
        legend.append(_legend_line(colour, label(key, lang), width=weight))
    hidden = set(layers.roads["highway"].astype(str).str.removesuffix("_link")) - {
        c.removesuffix("_link") for c in road_classes
    }
    if hidden:
        legend.append(f"<div><i>{html.escape(label('minor_roads_hidden', lang))}</i></div>")

    # rail by service, stations
    if layers.rail.empty:
        legend.append(f"<div><i>{html.escape(label('no_rail', lang))}</i></div>")
    else:
        rail = prep(layers.rail)
        for service, part in rail.groupby(rail["service"].astype(str), sort=False):
            colour, weight, dash = RAIL_STYLE.get(service, ("#555555", 2.0, "2 4"))
            key = f"rail_{service}" if service in RAIL_STYLE else "rail_other"
            text = label(key, lang) if service in RAIL_STYLE else f"{label(key, lang)} ({service})"
            group = folium.FeatureGroup(name=text, show=True)
            _geojson(
                _feature_collection(part, ["name", "service"]),
                name=key,
                style={"color": colour, "weight": weight, "opacity": 0.85, "dashArray": dash},
                tooltip_fields=[("name", label("name", lang)), ("service", label("service", lang))],
            ).add_to(group)
            group.add_to(m)
            legend.append(_legend_line(colour, text, dash=dash is not None, width=weight))
    if not layers.stations.empty:
        group = folium.FeatureGroup(name=label("stations", lang), show=True)
        _, _, lon, lat = points(layers.stations)
        services = layers.stations.get("services")
        for i, (x, y) in enumerate(zip(lon, lat, strict=True)):
            name = display_value(layers.stations["name"].iloc[i])
            tip = name + (f" ({display_value(services.iloc[i])})" if services is not None else "")
            folium.CircleMarker(
                [y, x], radius=4, color="#17202a", weight=1.5, fill=True, fill_color="#ffffff",
                fill_opacity=1.0, tooltip=tip,
            ).add_to(group)  # fmt: skip
        group.add_to(m)
        legend.append(_legend_dot("#ffffff", label("stations", lang)))

    # isochrones per origin and mode, bands coloured
    iso = prep(layers.isochrones)
    bands = sorted(pd.to_numeric(layers.isochrones["band_min"]).unique()) if not iso.empty else []
    band_colour = {b: BAND_COLOURS[i % len(BAND_COLOURS)] for i, b in enumerate(bands)}
    origin_names = _origin_names(layers)
    first_origin = next(iter(origin_names), None)
    if not iso.empty:
        for (origin_id, mode), part in iso.groupby(["origin_id", "mode"], sort=False):
            mode_text = label(f"mode_{mode}", lang) if mode in ("road", "multimodal") else str(mode)
            origin_text = origin_names.get(origin_id, origin_id)
            name = f"{label('isochrones', lang)}: {origin_text} – {mode_text}"
            group = folium.FeatureGroup(
                name=name, show=bool(origin_id == first_origin and mode == "road")
            )
            part = part.assign(_band=part["band_min"].map(lambda b: band_label(b, lang)))
            for band in sorted(part["band_min"].unique(), reverse=True):
                rows = part[part["band_min"] == band]
                # the outline follows the outer edge only: the holes (areas not reached inside
                # the band) stay visible in the fill without a tangle of outlines
                outline = rows.set_geometry(outer_rings(rows.geometry.values), crs=WGS84)
                _geojson(
                    _feature_collection(outline, []),
                    name=f"{origin_id} {mode} {band} outline",
                    style={
                        "color": band_colour[band],
                        "weight": 2,
                        "dashArray": "6 4" if mode != "road" else None,
                    },
                ).add_to(group)
                _geojson(
                    _feature_collection(rows, ["_band", "origin_name", "area_km2", "population"]),
                    name=f"{origin_id} {mode} {band}",
                    style={"stroke": False, "fillColor": band_colour[band],
                           "fillOpacity": 0.14},
                    tooltip_fields=[("_band", label("isochrones", lang)),
                                    ("origin_name", label("origin_name", lang)),
                                    ("area_km2", label("area_km2", lang)),
                                    ("population", label("population", lang))],
                ).add_to(group)  # fmt: skip
            group.add_to(m)
        for band in bands:
            legend.append(_legend_swatch(band_colour[band], band_label(band, lang), 0.3))
        legend.append(_legend_line("#555", label("mode_road", lang), width=2))
        legend.append(_legend_line("#555", label("mode_multimodal", lang), dash=True, width=2))

    # hexagon surface per mode
    _add_hexagons(m, layers.hexagons, prep=prep, bands=bands, lang=lang, legend=legend)

    # origins
    if not layers.origins.empty:
        group = folium.FeatureGroup(name=label("origins", lang), show=True)
        _, _, lon, lat = points(layers.origins)
        for x, y, name in zip(lon, lat, layers.origins["name"].astype(str), strict=True):
            folium.CircleMarker(
                [y, x], radius=7, color="#000000", weight=2, fill=True, fill_color="#f1c40f",
                fill_opacity=1.0, tooltip=name,
            ).add_to(group)  # fmt: skip
        group.add_to(m)
        legend.append(_legend_dot("#f1c40f", label("origins", lang)))

    # corridors by integration index
    if not layers.corridors.empty:
        index_column = corridor_index_column(layers.corridors)
        corridors = prep(layers.corridors)
        values = pd.to_numeric(corridors[index_column], errors="coerce")
        corridors = corridors.assign(_index=values).sort_values("_index", na_position="first")
        group = folium.FeatureGroup(name=label("corridors", lang), show=True)
        for _, row in corridors.iterrows():
            colour = corridor_colour(row["_index"])
            one = gpd.GeoDataFrame([row], geometry=[row.geometry], crs=WGS84)
            geo = folium.GeoJson(
                _feature_collection(one, []),
                style_function=lambda _f, c=colour: {
                    "color": c,
                    "weight": 7,
                    "opacity": 0.85,
                },
            )
            _Popup(_popup_table(_field_rows(row, CORRIDOR_FIELDS, lang))).add_to(geo)
            geo.add_to(group)
        group.add_to(m)
        ramp = ", ".join(CORRIDOR_RAMP)
        legend.append(
            '<div><span class="sw" style="width:60px;'
            f'background:linear-gradient(to right, {ramp})"></span>'
            f"{html.escape(label('corridors', lang))} 0–100</div>"
        )
        if values.isna().any():
            legend.append(_legend_line(corridor_colour(np.nan), label("no_index", lang), width=4))

    # gaps: class drops, missing crossings, dead ends (on top)
    for key, colour, wanted in (
        ("class_drops", "#8e44ad", CLASS_DROP_FIELDS),
        ("missing_crossings", "#d35400", MISSING_CROSSING_FIELDS),
    ):
        frame: gpd.GeoDataFrame = getattr(layers, key)
        shown = prep(frame)
        if shown.empty:
            continue
        stage_labels = stage_column_labels(key)
        props = [c for c in wanted if c in shown.columns] or [
            c for c in shown.columns if c != shown.geometry.name
        ][:8]
        group = folium.FeatureGroup(name=label(key, lang), show=True)
        _geojson(
            _feature_collection(shown, props),
            name=key,
            style={"color": colour, "weight": 5, "opacity": 0.8, "dashArray": "2 6",
                   "fillColor": colour, "fillOpacity": 0.4, "radius": 6},
            tooltip_fields=[(p, column_label(p, lang, extra=stage_labels)) for p in props],
        ).add_to(group)  # fmt: skip
        group.add_to(m)
        legend.append(_legend_line(colour, label(key, lang), dash=True, width=4))

    _add_dead_ends(m, layers.dead_ends, prep=prep, points=points, lang=lang, legend=legend)

    folium.LayerControl(collapsed=False).add_to(m)
    # leave room for the layer control (top right) so the study area starts in view
    m.fit_bounds([[south, west], [north, east]], padding_bottom_right=(FIT_PAD_RIGHT_PX, 0))
    _MapExtras(
        attribution="" if basemap == "osm" else label("attribution", "en"),
        tile_names=[t.get_name() for t in tiles],
    ).add_to(m)
    root.html.add_child(
        Element(
            _title_panel(title, lang, data_date=data_date, synthetic=synthetic, basemap=basemap)
        )
    )
    root.html.add_child(Element(_legend_panel(legend, lang)))
    return m


def _origin_names(layers: StudyLayers) -> dict[Any, str]:
    names = dict(zip(layers.origins["origin_id"], layers.origins["name"].astype(str), strict=True))
    if "origin_name" in layers.isochrones.columns:
        for oid, name in zip(
            layers.isochrones["origin_id"], layers.isochrones["origin_name"], strict=True
        ):
            names.setdefault(oid, str(name))
    return names


def _field_rows(row: pd.Series, fields: Sequence[str], lang: str) -> list[tuple[str, str]]:
    """(label, text) of the wanted columns present in ``row``; all columns when none is."""
    stage_labels = stage_column_labels("corridors")
    columns = [c for c in fields if c in row.index] or [
        c for c in row.index if not str(c).startswith("_") and c != "geometry"
    ]
    return [
        (column_label(str(c), lang, extra=stage_labels), display_value(row[c])) for c in columns
    ]


def _add_hexagons(
    m: folium.Map, hexagons: gpd.GeoDataFrame, *, prep: Any, bands: Sequence[float], lang: str,
    legend: list[str],
) -> None:  # fmt: skip
    if hexagons.empty:
        return
    top = max(bands) if len(bands) else 180.0
    for mode in ("road", "multimodal"):
        column = f"minutes_{mode}"  # written by spatialint.access.hexgrid.hex_access
        if column not in hexagons.columns:
            raise DataError(
                f"hex_access has no column {column} (it has "
                f"{', '.join(map(str, hexagons.columns))}); rerun the access stage."
            )
        minutes = pd.to_numeric(hexagons[column], errors="coerce")
        step = np.ceil(minutes / HEX_STEP_MIN) * HEX_STEP_MIN
        step = step.where(minutes <= top)  # beyond the largest band: unreached
        frame = hexagons.assign(_class=step.fillna(-1.0))
        dissolved = frame.dissolve(by="_class", as_index=False)[["_class", "geometry"]]
        shown = prep(dissolved)
        mode_text = label(f"mode_{mode}", lang)
        group = folium.FeatureGroup(name=label("hex_surface", lang, mode=mode_text), show=False)
        for _, row in shown.iterrows():
            cls = float(row["_class"])
            if cls < 0:
                colour, text = HEX_UNREACHED_COLOUR, f"> {top:g} {label('minutes', lang)}"
            else:
                index = min(int(cls // HEX_STEP_MIN) - 1, len(HEX_COLOURS) - 1)
                colour = HEX_COLOURS[max(index, 0)]
                text = f"{cls - HEX_STEP_MIN:g}–{cls:g} {label('minutes', lang)}"
            one = gpd.GeoDataFrame({"_text": [text]}, geometry=[row.geometry], crs=WGS84)
            _geojson(
                _feature_collection(one, ["_text"]),
                name=f"hex {mode} {cls}",
                style={"color": colour, "weight": 0, "fillColor": colour, "fillOpacity": 0.55},
                tooltip_fields=[("_text", mode_text)],
            ).add_to(group)
        group.add_to(m)
    legend.append(
        '<div><span class="sw" style="width:60px;background:linear-gradient(to right, '
        f'{", ".join(HEX_COLOURS[: max(1, int(top // HEX_STEP_MIN))])})"></span>'
        f"{html.escape(label('hex_legend', lang))}</div>"
    )


def _add_dead_ends(
    m: folium.Map, dead_ends: gpd.GeoDataFrame, *, prep: Any, points: Any, lang: str,
    legend: list[str],
) -> None:  # fmt: skip
    """断头路 as circles coloured by review status, sized by benefit, with a popup; the gap
    itself (dead end → facing road) as a short dashed line beneath."""
    if dead_ends.empty:
        return
    columns: dict[str, str | None] = {}
    for key, candidates, required in DEAD_END_FIELDS:
        columns[key] = pick_column(dead_ends, candidates)
        if required and columns[key] is None:
            raise DataError(
                f"gaps.gpkg layer dead_ends lacks the {key} column (one of "
                f"{', '.join(candidates)}; it has {', '.join(map(str, dead_ends.columns))}); "
                "rerun the gaps stage."
            )
    benefit = pd.to_numeric(dead_ends[benefit_column(dead_ends)], errors="coerce").fillna(0.0)
    located = (dead_ends.geometry.notna() & ~dead_ends.geometry.is_empty).to_numpy()
    if not located.all():
        # reviewed gaps no longer found in the data keep their row in the tables, not on the map
        logger.info("%d 断头路 without geometry are listed in the tables only", (~located).sum())
    dead_ends, benefit = dead_ends[located], benefit[located]
    if dead_ends.empty:
        return
    group = folium.FeatureGroup(name=label("dead_ends", lang), show=True)
    kinds = shapely.get_type_id(np.asarray(dead_ends.geometry.array, dtype=object))
    lines = dead_ends[np.isin(kinds, (1, 5))]
    if not lines.empty:
        _geojson(
            _feature_collection(prep(lines), []),
            name="gap lines",
            style={"color": "#c0392b", "weight": 3, "opacity": 0.9, "dashArray": "3 4"},
        ).add_to(group)
    top = float(benefit.max()) if benefit.max() > 0 else 1.0
    small, large = GAP_RADIUS_PX
    radius = small + (large - small) * np.sqrt(benefit.clip(lower=0) / top)
    lon_wgs, lat_wgs, lon, lat = points(dead_ends)
    if "lon" in dead_ends.columns and "lat" in dead_ends.columns:  # the dead end itself
        lon_col = pd.to_numeric(dead_ends["lon"], errors="coerce").to_numpy(dtype=float)
        lat_col = pd.to_numeric(dead_ends["lat"], errors="coerce").to_numpy(dtype=float)
        lon_wgs = np.where(np.isfinite(lon_col), lon_col, lon_wgs)
        lat_wgs = np.where(np.isfinite(lat_col), lat_col, lat_wgs)
    seen: dict[str, str] = {}
    order = np.argsort(-benefit.to_numpy(), kind="stable")  # small circles drawn last, on top
    for i in order:
        row = dead_ends.iloc[i]
        status_value = row[columns["review_status"]]
        key = status_key(status_value)
        colour = STATUS_COLOURS[key]
        raw_status = display_value(status_value)
        shown_status = raw_status if key == "other" else label(f"status_{key}", lang)
        seen.setdefault(shown_status, colour)
        rows = []
        for field, _, _ in DEAD_END_FIELDS:
            column = columns[field]
            if column is None:
                continue
            value = row[column]
            if field in ("planned_link", "found"):
                text = _yes_no(value, lang)
            elif field == "review_status":
                text = shown_status
            else:
                text = display_value(value)
            rows.append((label(field, lang), text))
        link = (osm_link(lon_wgs[i], lat_wgs[i]), label("osm_link", lang))
        popup = _popup_table(rows, link=link)
        saved = display_value(row[columns["minutes_saved"]])
        marker = folium.CircleMarker(
            [lat[i], lon[i]], radius=float(radius.iloc[i]), color="#222222", weight=1,
            fill=True, fill_color=colour, fill_opacity=0.85,
            tooltip=f"{display_value(row[columns['gap_id']])}: {saved} {label('minutes', lang)}",
        )  # fmt: skip
        _Popup(popup).add_to(marker)
        marker.add_to(group)
    group.add_to(m)
    legend.append(f"<h2>{html.escape(label('dead_ends', lang))}</h2>")
    for text, colour in seen.items():
        legend.append(_legend_dot(colour, text))
    legend.append(f"<div><i>{html.escape(label('size_by_benefit', lang))}</i></div>")


def _title_panel(
    title: str, lang: str, *, data_date: str | None, synthetic: bool, basemap: str
) -> str:
    if synthetic:
        date_text = label("synthetic_date", lang)
    else:
        date_text = data_date or label("unknown_date", lang)
    parts = [f"<h1>{html.escape(title)}</h1>"]
    if synthetic:
        parts.append(
            f'<div class="spatialint-synthetic">{html.escape(label("synthetic", lang))}</div>'
        )
    parts.append(f"<div>{html.escape(label('data_date', lang))}: {html.escape(date_text)}</div>")
    parts.append(f"<div>{html.escape(label('attribution', lang))}</div>")
    if basemap != "none":
        parts.append(
            f'<div id="spatialint-basemap-note">{html.escape(label("basemap_offline", lang))}</div>'
        )
    body = "".join(parts)
    return f'<div class="spatialint-panel spatialint-title" id="spatialint-title">{body}</div>'


def _legend_panel(entries: Sequence[str], lang: str) -> str:
    body = "".join(entries)
    return (
        f'<div class="spatialint-panel spatialint-legend" id="spatialint-legend">'
        f"<details open><summary><b>{html.escape(label('legend', lang))}</b></summary>"
        f"{body}</details></div>"
    )


def render_map(m: folium.Map) -> str:
    """The map's HTML page; checks it loads nothing from the network."""
    page = m.get_root().render()
    external = re.findall(r"<(?:script|link)[^>]+(?:src|href)=[\"'](https?:)?//[^\"']+", page)
    if external:
        raise RuntimeError(f"The map page would load external assets: {external[:3]}")
    return page


def write_map(layers: StudyLayers, path: str | os.PathLike[str], **options: Any) -> Path:
    """Build, render and atomically write the map to ``path``; return the path."""
    page = render_map(build_map(layers, **options))
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


__all__ = [
    "StudyLayers",
    "build_map",
    "check_columns",
    "map_options",
    "osm_data_date",
    "read_layers",
    "render_map",
    "write_map",
]


def run_map_stage(
    inputs: Mapping[str, str | os.PathLike[str]],
    outputs: Mapping[str, str | os.PathLike[str]],
    study: Mapping[str, Any],
) -> Path:
    """Draw a study's map from its stage outputs.

    Parameters
    ----------
    inputs
        Paths by the ``map`` rule's input names (:func:`read_layers`, plus ``pbf`` for the
        OSM data date).
    outputs
        Paths by the rule's output names: ``html``.
    study
        The validated study config (:func:`map_options`).

    Returns
    -------
    pathlib.Path
        The map written.
    """
    layers = read_layers(inputs)
    data_date = osm_data_date(inputs["pbf"])
    return write_map(layers, outputs["html"], **map_options(study, data_date=data_date))
