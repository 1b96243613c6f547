"""The report's static figures (PNG): overview map, coverage per origin, corridor index.

Chinese labels need a font with Chinese glyphs (``fonts-wqy-microhei``, ``fonts-noto-cjk``):
:func:`figure_language` finds one, and without it labels the figures in English, with a warning
(the tables stay Chinese).
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from spatialint.contracts import CORRIDORS, ISOCHRONES  # noqa: E402
from spatialint.gaps.benefit import ranking_column  # noqa: E402
from spatialint.publish.i18n import band_label, label, mode_label  # noqa: E402
from spatialint.publish.layers import StudyLayers  # noqa: E402
from spatialint.publish.map.display import outer_rings  # noqa: E402
from spatialint.publish.report.tables import coverage_table, metric_crs  # noqa: E402
from spatialint.publish.style import (  # noqa: E402
    BAND_COLOURS,
    ORIGIN_COLOUR,
    ROAD_STYLE,
    STATUS_COLOURS,
    UNIT_COLOUR,
    corridor_colour,
    road_group,
    status_key,
)

logger = logging.getLogger(__name__)

FIGURE_DPI = 110
CJK_FONT_HINTS = (
    "noto sans cjk", "noto serif cjk", "source han", "wenquanyi", "wqy", "droid sans fallback",
    "simhei", "simsun", "microsoft yahei", "msyh", "pingfang", "heiti", "ar pl",
)  # fmt: skip
OVERVIEW_ROAD_GROUPS = ("roads_tertiary", "roads_secondary", "roads_primary", "roads_major")
"""Road groups on the overview, drawn minor first so the main roads lie on top."""
RAIL_COLOUR = "#6c3483"


def cjk_font() -> str | None:
    """Family name of an installed font with Chinese glyphs, registered with matplotlib."""
    for path in font_manager.findSystemFonts():
        lower = Path(path).name.lower()
        if any(hint.replace(" ", "") in lower.replace("-", "") for hint in CJK_FONT_HINTS) or (
            "cjk" in lower
        ):
            try:
                font_manager.fontManager.addfont(path)
                return font_manager.FontProperties(fname=path).get_name()
            except (OSError, RuntimeError):  # pragma: no cover - an unreadable font file
                continue
    return None


def figure_language(language: str) -> tuple[str, str | None]:
    """Language and font for figure text: Chinese needs a CJK font, else figures fall back to
    English."""
    font = cjk_font()
    if language == "zh" and font is None:
        logger.warning(
            "No font with Chinese glyphs found (install fonts-wqy-microhei or fonts-noto-cjk): "
            "the report's figures are labelled in English; the tables stay Chinese."
        )
        return "en", None
    return language, font


def _png(fig: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=FIGURE_DPI, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def overview_figure(layers: StudyLayers, *, language: str, title: str) -> bytes:
    """Overview map (PNG): units, main roads, rail, 1/2/3-hour road circles, corridors, 断头路
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
    return _png(fig)


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
        layers.rail.to_crs(crs).plot(ax=ax, color=RAIL_COLOUR, linewidth=1.4)


def _plot_road_circles(ax: plt.Axes, isochrones: gpd.GeoDataFrame, crs: object) -> None:
    """The road circles of every origin: a light fill and the outer edge, by band."""
    road = isochrones[isochrones["mode"] == "road"]
    for i, band in enumerate(sorted(isochrones["band_min"].unique())):
        part = road[road["band_min"] == band]
        if part.empty:
            continue
        colour = BAND_COLOURS[i % len(BAND_COLOURS)]
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
        c=[STATUS_COLOURS[status_key(s)] for s in located["status"]], edgecolors="#222",
        linewidths=0.5, zorder=5,
    )  # fmt: skip


def _plot_origins(ax: plt.Axes, origins: gpd.GeoDataFrame, crs: object) -> None:
    if origins.empty:
        return
    points = origins.to_crs(crs).geometry
    ax.scatter(points.x, points.y, s=60, c=ORIGIN_COLOUR, edgecolors="k", zorder=6)
    for x, y, name in zip(points.x, points.y, origins["name"], strict=True):
        ax.annotate(str(name), (x, y), xytext=(4, 4), textcoords="offset points", fontsize=8)


def coverage_figure(coverage: pd.DataFrame, *, language: str) -> bytes | None:
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
    for i, band in enumerate(table.columns):
        colour = BAND_COLOURS[i % len(BAND_COLOURS)]
        ax.barh(positions + i * height, table[band].to_numpy(dtype=float), height=height,
                color=colour, label=band_label(band, language))  # fmt: skip
    ax.set_yticks(positions + height * (len(table.columns) - 1) / 2, table.index)
    ax.invert_yaxis()
    ax.set_xlabel(ISOCHRONES.label(value, language))
    ax.set_title(label("fig_coverage", language))
    ax.legend(fontsize=8, bbox_to_anchor=(1.01, 1.0), loc="upper left")
    return _png(fig)


def corridor_figure(corridors: gpd.GeoDataFrame, *, language: str) -> bytes | None:
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
    return _png(fig)


def report_figures(layers: StudyLayers, *, language: str, title: str) -> dict[str, bytes | None]:
    """The three figures by name (``overview``, ``coverage``, ``corridors``), in the study's
    language where a CJK font allows it."""
    fig_language, font = figure_language(language)
    style = {"font.family": [font, "DejaVu Sans"]} if font else {}
    with plt.rc_context(style):
        return {
            "overview": overview_figure(layers, language=fig_language, title=title),
            "coverage": coverage_figure(coverage_table(layers.isochrones), language=fig_language),
            "corridors": corridor_figure(layers.corridors, language=fig_language),
        }
