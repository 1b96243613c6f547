"""The report's static figures: overview map, coverage per origin, corridor index, as SVG.

The figures' text stays text (``svg.fonttype: none``): the report page embeds the SVG inline, so
the reader's browser draws the Chinese labels with its own fonts, whatever fonts the machine
that ran the pipeline has. matplotlib lays the text out with the DejaVu Sans it ships, measuring
a character DejaVu lacks as a glyph of its width (a Chinese character as a full em, like a
"W"), so the layout does not depend on that machine's fonts either and matplotlib never warns
about missing glyphs (:func:`font_free_metrics`). The dense map layers of the overview are
embedded as one image at :data:`FIGURE_DPI`, so a large study's figure stays small.
"""

from __future__ import annotations

import html
import io
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.backends.backend_svg import RendererSVG  # noqa: E402

from spatialint.contracts import CORRIDORS, ISOCHRONES  # noqa: E402
from spatialint.gaps.benefit import ranking_column  # noqa: E402
from spatialint.publish.i18n import band_label, label, mode_label  # noqa: E402
from spatialint.publish.layers import StudyLayers  # noqa: E402
from spatialint.publish.map.display import outer_rings  # noqa: E402
from spatialint.publish.report.tables import coverage_table, metric_crs  # noqa: E402
from spatialint.publish.style import (  # noqa: E402
    ORIGIN_COLOUR,
    OUTLINE_COLOUR,
    RAIL_OTHER_STYLE,
    RAIL_STYLE,
    ROAD_GROUPS,
    ROAD_STYLE,
    STATUS_COLOURS,
    UNIT_COLOUR,
    band_colours,
    corridor_colour,
    road_group,
    status_key,
)

FIGURE_DPI = 150
"""Resolution of the overview's embedded map image (its text stays text)."""
LAYOUT_FONT = "DejaVu Sans"
"""The font matplotlib measures text with (shipped with matplotlib, on every machine)."""
BROWSER_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
                 "WenQuanYi Micro Hei")  # fmt: skip
"""Fonts with Chinese glyphs the SVG names after DejaVu Sans, for the browser to draw with
(it falls back per character to any font that has the glyph)."""
FIGURE_STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "spatialint",
    "font.family": ["sans-serif"],
    "font.sans-serif": [LAYOUT_FONT, *BROWSER_FONTS],
}
"""matplotlib settings of every figure: text as text, ids the same on every run."""
OVERVIEW_ROAD_GROUPS = ("roads_tertiary", "roads_secondary", "roads_primary", "roads_major")
"""Road groups on the overview, drawn minor first so the main roads lie on top."""
OVERVIEW_ROAD_CLASSES = tuple(c for group in OVERVIEW_ROAD_GROUPS for c in ROAD_GROUPS[group])
"""The ``highway`` classes of the overview's roads: the only road edges the report reads whole
(the others it writes to the GeoPackage part by part)."""


@lru_cache(maxsize=1)
def _layout_glyphs() -> frozenset[int]:
    """Code points the layout font has a glyph for."""
    path = font_manager.findfont(font_manager.FontProperties(family=LAYOUT_FONT))
    return frozenset(font_manager.get_font(path).get_charmap())


def stand_in(text: str) -> str:
    """``text`` with each character the layout font lacks replaced by one of its width: "W"
    (a full em) for an East Asian wide character, "o" for any other."""
    glyphs = _layout_glyphs()
    return "".join(
        ch if ord(ch) in glyphs or ch in "\n\t"
        else ("W" if unicodedata.east_asian_width(ch) in "WF" else "o")
        for ch in text
    )  # fmt: skip


@contextmanager
def font_free_metrics() -> Iterator[None]:
    """While active, SVG figures measure text by :func:`stand_in`: Chinese as wide as the
    browser will draw it, and no glyph lookup (so no missing-glyph warning) for a character
    the layout font lacks. Only the measuring changes; the SVG keeps the real text."""
    measure = RendererSVG.get_text_width_height_descent

    def measured(self, s, prop, ismath):  # noqa: ANN001, ANN202 - matplotlib's signature
        return measure(self, s if ismath else stand_in(s), prop, ismath)

    RendererSVG.get_text_width_height_descent = measured  # type: ignore[method-assign]
    try:
        yield
    finally:
        RendererSVG.get_text_width_height_descent = measure  # type: ignore[method-assign]


def figure_svg(fig: plt.Figure) -> str:
    """The figure as SVG markup (no XML prolog), to inline in the page."""
    buffer = io.StringIO()
    with font_free_metrics():
        fig.savefig(buffer, format="svg", dpi=FIGURE_DPI, bbox_inches="tight",
                    metadata={"Date": None})  # fmt: skip
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def inline_svg(svg: str, prefix: str) -> str:
    """``svg`` with its element ids (and the references to them) prefixed, so several
    figures on one page keep their clip paths apart."""
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", svg)
    return re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', svg)


def figure_html(svg: str, name: str, caption: str) -> str:
    """``<figure id='fig-<name>'>`` holding ``svg`` inline (ids prefixed, :func:`inline_svg`)
    with ``caption`` as its accessible name; the browser draws its text."""
    caption = html.escape(caption)
    svg = inline_svg(svg, f"fig-{name}").replace(
        "<svg ", f"<svg role='img' aria-label='{caption}' ", 1
    )
    return f"<figure id='fig-{name}'>{svg}</figure>"


def overview_figure(layers: StudyLayers, *, language: str, title: str) -> str:
    """Overview map (SVG): units, main roads, rail, 1/2/3-hour road circles, corridors, 断头路
    (sized by the gaps stage's ranking key) and origins."""
    crs = metric_crs(layers.units)
    fig, ax = plt.subplots(figsize=(9, 7.5))
    _plot_units(ax, layers.units.to_crs(crs))
    _plot_network(ax, layers, crs)
    _plot_road_circles(ax, layers.isochrones, crs)
    if not layers.corridors.empty:
        corridors = layers.corridors.to_crs(crs)
        colours = [corridor_colour(v) for v in corridors["index"]]
        corridors.plot(ax=ax, color=colours, linewidth=4, alpha=0.9)
    _plot_dead_ends(ax, layers.dead_ends, crs)
    _plot_origins(ax, layers.origins, crs)
    ax.set_title(f"{title} – {label('fig_overview', language)}")
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.text(0.0, -0.02, "© OpenStreetMap contributors", transform=ax.transAxes, fontsize=7,
            va="top")  # fmt: skip
    for artist in (*ax.collections, *ax.lines, *ax.patches):
        artist.set_rasterized(True)  # the map itself as one image; titles and names as text
    return figure_svg(fig)


def _plot_units(ax: plt.Axes, units: gpd.GeoDataFrame) -> None:
    """Unit outlines: the finest level thin and dashed, coarser levels bold."""
    finest = units["admin_level"].max()
    for level, part in units.groupby("admin_level"):
        fine = level == finest
        part.boundary.plot(ax=ax, color=UNIT_COLOUR, linewidth=0.6 if fine else 1.6,
                           linestyle="--" if fine else "-")  # fmt: skip


def _plot_network(ax: plt.Axes, layers: StudyLayers, crs: object) -> None:
    if not layers.roads.empty:
        groups = road_group(layers.roads["highway"])
        for key in OVERVIEW_ROAD_GROUPS:
            part = layers.roads[groups == key]
            if not part.empty:
                colour, weight = ROAD_STYLE[key]
                part.to_crs(crs).plot(ax=ax, color=colour, linewidth=weight * 0.5, alpha=0.7)
    if not layers.rail.empty:
        rail = layers.rail.to_crs(crs)
        colours = [RAIL_STYLE.get(s, RAIL_OTHER_STYLE)[0] for s in rail["service"].astype(str)]
        rail.plot(ax=ax, color=colours, linewidth=1.4)


def _plot_road_circles(ax: plt.Axes, isochrones: gpd.GeoDataFrame, crs: object) -> None:
    """The road circles of every origin: a light fill and the outer edge, by band."""
    road = isochrones[isochrones["mode"] == "road"]
    for band, colour in band_colours(isochrones["band_min"].unique()).items():
        part = road[road["band_min"] == band]
        if part.empty:
            continue
        metric = part.to_crs(crs)
        metric.plot(ax=ax, color=colour, alpha=0.12, linewidth=0)
        gpd.GeoSeries(outer_rings(metric.geometry.values), crs=crs).plot(
            ax=ax, color=colour, linewidth=1.2
        )


def _plot_dead_ends(ax: plt.Axes, dead_ends: gpd.GeoDataFrame, crs: object) -> None:
    """断头路 as dots coloured by review status, area ∝ √ranking key."""
    located = dead_ends[dead_ends.geometry.notna() & ~dead_ends.geometry.is_empty]
    if located.empty:
        return
    saved = located[ranking_column(dead_ends)].fillna(0).clip(lower=0).to_numpy(dtype=float)
    points = located.to_crs(crs).geometry.representative_point()
    ax.scatter(
        points.x, points.y, s=20 + 200 * np.sqrt(saved / max(saved.max(), 1e-9)),
        c=[STATUS_COLOURS[status_key(s)] for s in located["status"]], edgecolors=OUTLINE_COLOUR,
        linewidths=0.5, zorder=5,
    )  # fmt: skip


def _plot_origins(ax: plt.Axes, origins: gpd.GeoDataFrame, crs: object) -> None:
    if origins.empty:
        return
    points = origins.to_crs(crs).geometry
    ax.scatter(points.x, points.y, s=60, c=ORIGIN_COLOUR, edgecolors=OUTLINE_COLOUR, zorder=6)
    for x, y, name in zip(points.x, points.y, origins["name"], strict=True):
        ax.annotate(str(name), (x, y), xytext=(4, 4), textcoords="offset points", fontsize=8)


def coverage_figure(coverage: pd.DataFrame, *, language: str) -> str | None:
    """Bars of population (where the study has it, else area) reached per origin, mode and
    band."""
    if coverage.empty:
        return None
    value = "population" if coverage["population"].notna().any() else "area_km2"
    keys = [f"{n}\n{mode_label(m, language)}"
            for n, m in zip(coverage["origin_name"], coverage["mode"], strict=True)]  # fmt: skip
    table = coverage.assign(_key=keys).pivot_table(
        index="_key", columns="band_min", values=value, aggfunc="sum", sort=False
    )
    fig, ax = plt.subplots(figsize=(9, 0.5 + 0.45 * len(table) * max(1, len(table.columns)) / 2))
    height = 0.8 / max(1, len(table.columns))
    positions = np.arange(len(table))
    colours = band_colours(table.columns)
    for i, band in enumerate(table.columns):
        colour = colours[float(band)]
        ax.barh(positions + i * height, table[band].to_numpy(dtype=float), height=height,
                color=colour, label=band_label(band, language))  # fmt: skip
    ax.set_yticks(positions + height * (len(table.columns) - 1) / 2, table.index)
    ax.invert_yaxis()
    ax.set_xlabel(ISOCHRONES.label(value, language))
    ax.set_title(label("fig_coverage", language))
    ax.legend(fontsize=8, bbox_to_anchor=(1.01, 1.0), loc="upper left")
    return figure_svg(fig)


def corridor_figure(corridors: gpd.GeoDataFrame, *, language: str) -> str | None:
    """Horizontal bars of the integration index per corridor (those with an index)."""
    indexed = corridors[corridors["index"].notna()]
    if indexed.empty:
        return None
    values = indexed["index"].to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(8, 0.8 + 0.4 * len(indexed)))
    ax.barh(indexed["name"].astype(str), values, color=[corridor_colour(v) for v in values],
            edgecolor="#333")  # fmt: skip
    ax.set_xlim(0, 100)
    ax.invert_yaxis()
    ax.set_xlabel(CORRIDORS.label("index", language))
    ax.set_title(label("fig_corridors", language))
    return figure_svg(fig)


def report_figures(layers: StudyLayers, *, language: str, title: str) -> dict[str, str | None]:
    """The three figures by name (``overview``, ``coverage``, ``corridors``) as SVG markup in
    the study's language, ``None`` where there is nothing to show."""
    with plt.rc_context(FIGURE_STYLE):
        return {
            "overview": overview_figure(layers, language=language, title=title),
            "coverage": coverage_figure(coverage_table(layers.isochrones), language=language),
            "corridors": corridor_figure(layers.corridors, language=language),
        }
