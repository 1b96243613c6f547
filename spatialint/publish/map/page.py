"""The page around the layers: basemap tiles, title panel, legend, inlined Leaflet, CSS.

Leaflet is inlined (:mod:`spatialint.publish.offline_assets`) so the page opens on a closed
government network; when the tiles cannot load there, the page says so and keeps its
background. A small script flags JavaScript errors on the page (read by the browser test).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import folium
from branca.element import Element, MacroElement
from jinja2 import Template

from spatialint.errors import ConfigError
from spatialint.publish import offline_assets
from spatialint.publish.i18n import label
from spatialint.publish.map.model import LegendEntry

BASEMAPS = ("osm", "tianditu", "amap", "none")
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
TIANDITU_TILES = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
    "&TILECOL={x}&tk={token}"
)
AMAP_TILES = (
    "https://webrd0{s}.is.autonavi.com/appmaptile?lang={lang}&size=1&scale=1&style=8"
    "&x={x}&y={y}&z={z}"
)
MAX_ZOOM = 18
LEGEND_OPEN_MIN_PX = 600
"""The legend starts shut in a window narrower or lower than this (pixels)."""
TileSpec = tuple[str, str, str, str | None]
"""(URL template, attribution, name, subdomains) of one tile layer."""

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
.spatialint-legend { position: static; max-height: 40vh; overflow-y: auto; font-size: 11px;
  line-height: 1.3; max-width: 300px; }
.spatialint-legend summary { cursor: pointer; }
.spatialint-legend details:not([open]) summary { margin: 0; }
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
  max-height: 45vh; overflow-y: auto; }
.leaflet-control-layers-expanded label { margin: 0; }
.spatialint-popup td { padding: 1px 6px 1px 0; vertical-align: top; }
.spatialint-popup th { text-align: left; padding-right: 8px; color: #555; font-weight: normal; }
</style>"""


class LegendControl(MacroElement):
    """The legend (:func:`legend_panel`) as a Leaflet control under the layer list (top
    right), shut on small screens, and the first view fitted to the study area in the room the
    title (top left) and that column (right) leave, so no data starts under a panel."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function (map) {
            var legend = document.getElementById('spatialint-legend');
            if (legend) {
                var control = L.control({position: 'topright'});
                control.onAdd = function () {
                    L.DomEvent.disableClickPropagation(legend);
                    L.DomEvent.disableScrollPropagation(legend);
                    return legend;
                };
                control.addTo(map);
                if (window.innerHeight < {{ this.open_min_px }}
                        || window.innerWidth < {{ this.open_min_px }}) {
                    legend.querySelector('details').open = false;
                }
            }
            var size = map.getSize();
            var right = map.getContainer().querySelector('.leaflet-top.leaflet-right');
            var title = document.getElementById('spatialint-title');
            var padRight = right ? Math.min(right.offsetWidth + 10, size.x / 2) : 10;
            var padTop = title ? Math.min(title.offsetTop + title.offsetHeight + 10, size.y / 3)
                               : 10;
            map.fitBounds({{ this.bounds|tojson }},
                          {paddingTopLeft: [10, padTop], paddingBottomRight: [padRight, 30],
                           animate: false});
        })({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, bounds: Sequence[Sequence[float]]):
        super().__init__()
        self._name = "LegendControl"
        self.bounds = [list(map(float, corner)) for corner in bounds]
        self.open_min_px = LEGEND_OPEN_MIN_PX


class MapExtras(MacroElement):
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


def offline_page(m: folium.Map) -> None:
    """Inline Leaflet and the page's CSS into ``m``'s page; load nothing from a CDN."""
    m.default_js = []
    m.default_css = []
    root = m.get_root()
    root.header.add_child(Element(ERROR_FLAG_JS), name="spatialint_error_flag")
    root.header.add_child(Element(offline_assets.inline_tags()), name="leaflet_inline")
    root.header.add_child(Element(PAGE_CSS), name="spatialint_css")


def basemap_tiles(basemap: str, *, language: str, tianditu_token: str | None) -> list[TileSpec]:
    """The tile layers of ``basemap``; a :class:`ConfigError` when Tianditu has no token."""
    if basemap == "none":
        return []
    if basemap == "osm":
        return [(OSM_TILES, OSM_ATTRIBUTION, "OpenStreetMap", None)]
    if basemap == "tianditu":
        if not tianditu_token:
            raise ConfigError(
                "maps.basemap is 'tianditu' but maps.tianditu_token is not set: get a key at "
                "https://console.tianditu.gov.cn and add it to the study config, or use "
                "basemap: osm / none."
            )
        annotation = "cva" if language == "zh" else "eva"
        return [
            (
                TIANDITU_TILES.replace("{layer}", layer).replace("{token}", tianditu_token),
                "&copy; 天地图 Tianditu (国家地理信息公共服务平台)",
                name,
                "01234567",
            )
            for layer, name in (("vec", "天地图 Tianditu"), (annotation, "天地图注记 labels"))
        ]
    if basemap == "amap":
        lang = "zh_cn" if language == "zh" else "en"
        return [
            (AMAP_TILES.replace("{lang}", lang), "&copy; 高德地图 AutoNavi", "高德 AMap", "1234")
        ]
    raise ConfigError(f"maps.basemap {basemap!r} is not one of {', '.join(BASEMAPS)}.")


def add_basemap(m: folium.Map, tiles: Sequence[TileSpec]) -> list[folium.TileLayer]:
    """Add the background tiles (:func:`basemap_tiles`); return them (for the offline
    fallback)."""
    layers = []
    for url, attr, name, subdomains in tiles:
        kwargs: dict[str, Any] = {"subdomains": subdomains} if subdomains else {}
        layer = folium.TileLayer(
            tiles=url, attr=attr, name=name, overlay=False, control=False, max_zoom=MAX_ZOOM,
            **kwargs,
        )  # fmt: skip
        layer.add_to(m)
        layers.append(layer)
    return layers


def add_page_extras(m: folium.Map, *, basemap: str, tiles: Sequence[folium.TileLayer]) -> None:
    """The attribution (OSM's own tiles carry it already) and the offline tile fallback."""
    MapExtras(
        attribution="" if basemap == "osm" else label("attribution", "en"),
        tile_names=[t.get_name() for t in tiles],
    ).add_to(m)


def title_panel(
    title: str,
    language: str,
    *,
    data_date: str | None,
    synthetic: bool,
    basemap: str,
    speeds: str = "",
) -> str:
    """The title panel: title, the synthetic-data warning, OSM data date, which speeds the
    times come from (``speeds``, :func:`~spatialint.publish.i18n.speeds_note`), attribution and
    the note shown when the basemap cannot load."""
    if synthetic:
        date_text = label("synthetic_date", language)
    else:
        date_text = data_date or label("unknown_date", language)
    parts = [f"<h1>{html.escape(title)}</h1>"]
    if synthetic:
        parts.append(
            f'<div class="spatialint-synthetic">{html.escape(label("synthetic", language))}</div>'
        )
    parts.append(
        f"<div>{html.escape(label('data_date', language))}: {html.escape(date_text)}</div>"
    )
    if speeds:
        parts.append(f'<div class="spatialint-speeds">{html.escape(speeds)}</div>')
    parts.append(f"<div>{html.escape(label('attribution', language))}</div>")
    if basemap != "none":
        note = html.escape(label("basemap_offline", language))
        parts.append(f'<div id="spatialint-basemap-note">{note}</div>')
    body = "".join(parts)
    return f'<div class="spatialint-panel spatialint-title" id="spatialint-title">{body}</div>'


def legend_entry_html(entry: LegendEntry) -> str:
    """One legend line as HTML."""
    text = html.escape(entry.text)
    if entry.kind == "heading":
        return f"<h2>{text}</h2>"
    if entry.kind == "note":
        return f"<div><i>{text}</i></div>"
    if entry.kind == "line":
        style = f"border-top: {entry.width:.0f}px {'dashed' if entry.dash else 'solid'} "
        return f'<div><span class="ln" style="{style}{entry.colours[0]};"></span>{text}</div>'
    if entry.kind == "swatch":
        style = f"background:{entry.colours[0]};opacity:{entry.opacity + 0.3:.2f}"
        return f'<div><span class="sw" style="{style}"></span>{text}</div>'
    if entry.kind == "dot":
        return f'<div><span class="dot" style="background:{entry.colours[0]}"></span>{text}</div>'
    ramp = ", ".join(entry.colours)
    return (
        '<div><span class="sw" style="width:60px;'
        f'background:linear-gradient(to right, {ramp})"></span>{text}</div>'
    )


def legend_panel(entries: Sequence[LegendEntry], language: str) -> str:
    """The legend (collapsible), one line per entry."""
    body = "".join(legend_entry_html(e) for e in entries)
    return (
        f'<div class="spatialint-panel spatialint-legend" id="spatialint-legend">'
        f"<details open><summary><b>{html.escape(label('legend', language))}</b></summary>"
        f"{body}</details></div>"
    )


def add_panels(
    m: folium.Map, *, title: str, legend: str, bounds: Sequence[Sequence[float]]
) -> None:
    """Put the title panel (top left) and the legend (a control under the layer list) on the
    page, and fit the first view to ``bounds`` (``[[south, west], [north, east]]``) clear of
    both. Call it after the layer control is added."""
    root = m.get_root()
    root.html.add_child(Element(title))
    root.html.add_child(Element(legend))
    LegendControl(bounds).add_to(m)
