"""The plan-review report: one HTML page, static figures, an XLSX workbook and a GeoPackage.

For a joint review meeting the report answers, on one page: which area and data date, how
integrated each corridor is, which 断头路 would save the most time if linked, and what share
of the region each origin reaches within 1, 2 and 3 hours by road and by road + rail.

Outputs (:func:`write_report`):

- ``maps/{study}/report.html`` – self-contained (figures embedded as PNG, no external assets),
  so it opens offline beside the map;
- ``results/report.xlsx`` – one sheet per table, headers ``中文 / English``; labels come from
  the stages' ``COLUMN_LABELS`` (``spatialint.gaps.detect``,
  ``spatialint.integration.corridors``) where they define them, else from
  :mod:`spatialint.publish.i18n`;
- ``results/spatialint.gpkg`` – every layer at full resolution in WGS-84 for QGIS/ArcGIS, plus
  CGCS2000 (EPSG:4490) copies named ``<layer>_cgcs2000`` when ``maps.cgcs2000`` is true.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from spatialint.fileio import atomic_path  # noqa: E402
from spatialint.geo import CGCS2000, WGS84, utm_crs_for  # noqa: E402
from spatialint.publish.i18n import (  # noqa: E402
    LABELS,
    check_language,
    display_value,
    label,
    stage_column_labels,
)
from spatialint.publish.maps import (  # noqa: E402
    BAND_COLOURS,
    ROAD_STYLE,
    STATUS_COLOURS,
    StudyLayers,
    band_label,
    benefit_column,
    corridor_colour,
    corridor_index_column,
    osm_data_date,
    osm_link,
    outer_rings,
    pick_column,
    read_layers,
    road_group,
    status_key,
)

logger = logging.getLogger(__name__)

TOP_GAPS = 20
"""Default number of 断头路 listed in the report (the workbook lists all)."""
FIGURE_DPI = 110
GPKG_LAYERS: dict[str, str] = {
    # StudyLayers field: GeoPackage layer name
    "units": "admin_units",
    "roads": "road_edges",
    "rail": "rail_edges",
    "stations": "rail_stations",
    "origins": "origins",
    "isochrones": "isochrones",
    "hexagons": "hex_access",
    "dead_ends": "dead_ends",
    "class_drops": "class_drops",
    "missing_crossings": "missing_crossings",
    "corridors": "corridors",
}
SHEETS: dict[str, tuple[str, str]] = {
    "summary": ("概况", "summary"),
    "corridors": ("走廊", "corridors"),
    "dead_ends": ("断头路", "dead_ends"),
    "class_drops": ("等级骤降", "class_drops"),
    "missing_crossings": ("缺失通道", "missing_crossings"),
    "coverage": ("等时圈覆盖", "coverage"),
    "admin_units": ("行政区", "admin_units"),
    "origins": ("中心点", "origins"),
}
CJK_FONT_HINTS = (
    "noto sans cjk", "noto serif cjk", "source han", "wenquanyi", "wqy", "droid sans fallback",
    "simhei", "simsun", "microsoft yahei", "msyh", "pingfang", "heiti", "ar pl",
)  # fmt: skip


# --------------------------------------------------------------------------- labels


def _pair(column: str, extra: Mapping[str, tuple[str, str]]) -> tuple[str, str] | None:
    if column in extra:
        return extra[column]
    if column in LABELS:
        return LABELS[column]
    return None


def header(column: str, extra: Mapping[str, tuple[str, str]]) -> str:
    """``中文 / English`` header of ``column`` (the column name when no label is known)."""
    pair = _pair(column, extra)
    if pair is None:
        return column
    zh, en = pair
    return f"{zh} / {en}" if zh != en else en


def column_text(column: str, language: str, extra: Mapping[str, tuple[str, str]]) -> str:
    """The column's label in one language (the column name when no label is known)."""
    pair = _pair(column, extra)
    if pair is None:
        return column
    return pair[0] if check_language(language) == "zh" else pair[1]


# --------------------------------------------------------------------------- tables


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop the geometry; lists and arrays become comma-separated text."""
    out = pd.DataFrame(frame.drop(columns=frame.geometry.name, errors="ignore")).copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].map(_cell)
    return out


def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple | np.ndarray):
        return ", ".join(str(v) for v in value)
    return value


def gaps_by_benefit(dead_ends: gpd.GeoDataFrame) -> pd.DataFrame:
    """All 断头路, best first (by ``rank`` when the gaps stage ranked them, else by benefit),
    with lon/lat of the dead end and the geometry dropped."""
    if dead_ends.empty:
        return _plain(dead_ends)
    saved = benefit_column(dead_ends)
    table = _plain(dead_ends)
    if not {"lon", "lat"} <= set(table.columns):
        geoms = np.asarray(dead_ends.geometry.array, dtype=object)
        located = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        start = np.full(len(geoms), None, dtype=object)
        start[located] = shapely.get_point(geoms[located], 0)
        points = np.where(shapely.get_type_id(geoms) == 0, geoms, start)
        table = table.assign(
            lon=np.round(shapely.get_x(points), 6), lat=np.round(shapely.get_y(points), 6)
        )
    if "rank" in table.columns:
        key = pd.to_numeric(table["rank"], errors="coerce").fillna(np.inf)
        order = key.sort_values(kind="stable").index
    else:
        key = pd.to_numeric(table[saved], errors="coerce").fillna(-np.inf)
        order = key.sort_values(ascending=False, kind="stable").index
    return table.loc[order].reset_index(drop=True)


REPORT_CORRIDOR_COLUMNS = (
    "rank", "name", "kind", "index", "integration_index", "road_min", "multimodal_min",
    "crossings", "border_km", "open_gaps",
)  # fmt: skip
"""Columns of the report's corridor table; each corridor's summary follows as text."""
TOP_GAP_COLUMNS = (
    "rank", "gap_id", "status", "unit_name", "name", "other_unit_name", "other_name", "gap_m",
    "detour_min", "minutes_saved_mean", "minutes_saved_per_trip", "planned", "comment", "lon",
    "lat",
)  # fmt: skip
"""Columns of the report's top-断头路 table (the workbook keeps every column)."""


def _subset(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    keep = [c for c in columns if c in table.columns]
    return table[keep] if len(keep) >= 3 else table


def coverage_table(isochrones: gpd.GeoDataFrame) -> pd.DataFrame:
    """Area and population reached per origin, mode and band (one row each)."""
    columns = [
        c
        for c in ("origin_id", "origin_name", "mode", "band_min", "area_km2", "population")
        if c in isochrones.columns
    ]
    table = _plain(isochrones)[columns]
    return table.sort_values(["origin_id", "mode", "band_min"]).reset_index(drop=True)


def coverage_matrix(coverage: pd.DataFrame, *, language: str, area_km2: float) -> pd.DataFrame:
    """One row per origin and mode, one column per band: area (share of the study area) and
    population reached, as display text."""
    if coverage.empty:
        return coverage
    lang = check_language(language)
    rows = []
    keys = (
        ["origin_id", "origin_name", "mode"] if "origin_name" in coverage else ["origin_id", "mode"]
    )
    for key, part in coverage.groupby(keys, sort=False):
        values = dict(zip(keys, key, strict=True))
        mode = values["mode"]
        row = {
            label("origin_name", lang): values.get("origin_name", values["origin_id"]),
            label("mode", lang): label(f"mode_{mode}", lang)
            if mode in ("road", "multimodal")
            else mode,
        }
        for band, band_rows in part.groupby("band_min", sort=True):
            area = pd.to_numeric(band_rows["area_km2"], errors="coerce").sum()
            text = f"{area:,.0f} km²"
            if area_km2 > 0:
                text += f" ({100 * area / area_km2:.0f} %)"
            if "population" in band_rows:
                population = pd.to_numeric(band_rows["population"], errors="coerce")
                if population.notna().any():
                    text += f" · {population.sum():,.0f} {label('people', lang)}"
            row[band_label(band, lang)] = text
        rows.append(row)
    return pd.DataFrame(rows)


def _road_km(roads: gpd.GeoDataFrame) -> float:
    """Road length in km, counting a two-way street once."""
    if roads.empty:
        return 0.0
    keys = shapely.to_wkb(shapely.normalize(np.asarray(roads.geometry.array, dtype=object)))
    unique = ~pd.Series(keys).duplicated().to_numpy()
    if "length_m" in roads.columns:
        return float(pd.to_numeric(roads["length_m"], errors="coerce")[unique].sum()) / 1000
    metric = roads.geometry[unique].to_crs(utm_crs_for(*_lonlat(roads)))
    return float(metric.length.sum()) / 1000


def _lonlat(frame: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    west, south, east, north = frame.total_bounds
    return np.array([west, east]), np.array([south, north])


def study_summary(layers: StudyLayers) -> pd.DataFrame:
    """Key figures of the study area as (key, value) rows."""
    units = layers.units
    crs = utm_crs_for(*_lonlat(units))
    area_km2 = float(shapely.union_all(units.to_crs(crs).geometry.values).area) / 1e6
    levels = pd.to_numeric(units.get("admin_level"), errors="coerce")
    finest = units if levels is None or levels.isna().all() else units[levels == levels.max()]
    rail_km = 0.0
    if not layers.rail.empty:
        rail_km = float(layers.rail.to_crs(crs).length.sum()) / 1000
    rows = [
        ("units_count", len(finest)),
        ("total_area", round(area_km2, 1)),
        ("road_km", round(_road_km(layers.roads), 1)),
        ("rail_km", round(rail_km, 1)),
        ("origins", len(layers.origins)),
        ("dead_ends", len(layers.dead_ends)),
        ("class_drops", len(layers.class_drops)),
        ("missing_crossings", len(layers.missing_crossings)),
        ("corridors", len(layers.corridors)),
    ]
    return pd.DataFrame(rows, columns=["key", "value"], dtype=object)


# --------------------------------------------------------------------------- figures


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


def _figure_language(language: str) -> tuple[str, str | None]:
    """Language for figure text: Chinese needs a CJK font, else figures fall back to English."""
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
    """Overview map (PNG): units, main roads, rail, 1/2/3-hour road circles, gaps, corridors."""
    units = layers.units
    crs = utm_crs_for(*_lonlat(units))
    fig, ax = plt.subplots(figsize=(9, 7.5))
    levels = pd.to_numeric(units.get("admin_level"), errors="coerce")
    finest = levels.max() if levels is not None else None
    for lvl, part in units.to_crs(crs).groupby(levels.fillna(0) if levels is not None else 0):
        part.boundary.plot(
            ax=ax, color="#34495e", linewidth=0.6 if lvl == finest else 1.6,
            linestyle="--" if lvl == finest else "-",
        )  # fmt: skip
    if not layers.roads.empty:
        roads = layers.roads.assign(group=road_group(layers.roads["highway"]))
        for key in ("roads_tertiary", "roads_secondary", "roads_primary", "roads_major"):
            part = roads[roads["group"] == key]
            if not part.empty:
                colour, weight = ROAD_STYLE[key]
                part.to_crs(crs).plot(ax=ax, color=colour, linewidth=weight * 0.5, alpha=0.7)
    if not layers.rail.empty:
        layers.rail.to_crs(crs).plot(ax=ax, color="#6c3483", linewidth=1.4)
    iso = layers.isochrones
    if not iso.empty:
        road = iso[iso["mode"] == "road"]
        bands = sorted(pd.to_numeric(iso["band_min"]).unique())
        for i, band in enumerate(bands):
            part = road[road["band_min"] == band]
            if not part.empty:
                colour = BAND_COLOURS[i % len(BAND_COLOURS)]
                metric = part.to_crs(crs)
                metric.plot(ax=ax, color=colour, alpha=0.12, linewidth=0)
                rings = gpd.GeoSeries(outer_rings(metric.geometry.values), crs=crs)
                rings.plot(ax=ax, color=colour, linewidth=1.2)
    if not layers.corridors.empty:
        corridors = layers.corridors.to_crs(crs)
        index = pd.to_numeric(corridors[corridor_index_column(corridors)], errors="coerce")
        colours = [corridor_colour(v) for v in index]
        corridors.plot(ax=ax, color=colours, linewidth=4, alpha=0.9)
    if not layers.dead_ends.empty:
        located = layers.dead_ends[layers.dead_ends.geometry.notna()]
        saved = pd.to_numeric(located[benefit_column(located)], errors="coerce")
        saved = saved.fillna(0).clip(lower=0)
        status_column = pick_column(located, ("status", "review_status"))
        statuses = located[status_column] if status_column else pd.Series("", saved.index)
        pts = located.to_crs(crs).geometry.representative_point()
        ax.scatter(
            pts.x, pts.y, s=20 + 200 * np.sqrt(saved / max(saved.max(), 1e-9)),
            c=[STATUS_COLOURS[status_key(s)] for s in statuses], edgecolors="#222",
            linewidths=0.5, zorder=5,
        )  # fmt: skip
    if not layers.origins.empty:
        origins = layers.origins.to_crs(crs)
        ax.scatter(origins.geometry.x, origins.geometry.y, s=60, c="#f1c40f", edgecolors="k",
                   zorder=6)  # fmt: skip
        for x, y, name in zip(origins.geometry.x, origins.geometry.y, origins["name"], strict=True):
            ax.annotate(str(name), (x, y), xytext=(4, 4), textcoords="offset points", fontsize=8)
    ax.set_title(f"{title} – {label('fig_overview', language)}")
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.text(0.0, -0.02, "© OpenStreetMap contributors", transform=ax.transAxes, fontsize=7,
            va="top")  # fmt: skip
    return _png(fig)


def coverage_figure(coverage: pd.DataFrame, *, language: str) -> bytes | None:
    """Bars of population (or area) reached per origin, mode and band."""
    if coverage.empty:
        return None
    value = "population"
    if (
        value not in coverage.columns
        or pd.to_numeric(coverage[value], errors="coerce").isna().all()
    ):
        value = "area_km2"
    names = coverage["origin_name"] if "origin_name" in coverage else coverage["origin_id"]
    modes = {m: label(f"mode_{m}", language) if m in ("road", "multimodal") else m
             for m in coverage["mode"].unique()}  # fmt: skip
    keys = [f"{n}\n{modes[m]}" for n, m in zip(names, coverage["mode"], strict=True)]
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
    ax.set_xlabel(label(value, language))
    ax.set_title(label("fig_coverage", language))
    ax.legend(fontsize=8, bbox_to_anchor=(1.01, 1.0), loc="upper left")
    return _png(fig)


def corridor_figure(corridors: gpd.GeoDataFrame, *, language: str) -> bytes | None:
    """Horizontal bars of the integration index per corridor."""
    if corridors.empty:
        return None
    name_column = pick_column(corridors, ("name", "corridor", "corridor_name", "corridor_id"))
    names = corridors[name_column].astype(str) if name_column else corridors.index.astype(str)
    values = pd.to_numeric(corridors[corridor_index_column(corridors)], errors="coerce")
    corridors, values = corridors[values.notna()], values[values.notna()]
    if corridors.empty:
        return None
    fig, ax = plt.subplots(figsize=(8, 0.8 + 0.4 * len(corridors)))
    ax.barh(names, values, color=[corridor_colour(v) for v in values], edgecolor="#333")
    ax.set_xlim(0, 100)
    ax.invert_yaxis()
    ax.set_xlabel(label("integration_index", language))
    ax.set_title(label("fig_corridors", language))
    return _png(fig)


# --------------------------------------------------------------------------- writers


def _html_table(
    frame: pd.DataFrame, *, language: str, extra: Mapping[str, tuple[str, str]], max_rows: int
) -> str:
    if frame.empty:
        return f"<p>{html.escape(label('no_rows', language))}</p>"
    shown = frame.head(max_rows)
    link = {"lon", "lat"} <= set(shown.columns)
    if link:
        links = [osm_link(x, y) for x, y in zip(shown["lon"], shown["lat"], strict=True)]
        shown = shown.drop(columns=["lon", "lat"])
    head = "".join(f"<th>{html.escape(column_text(str(c), language, extra))}</th>" for c in shown)
    if link:
        head += "<th>OpenStreetMap</th>"
    body = []
    for i, row in enumerate(shown.itertuples(index=False)):
        cells = "".join(f"<td>{html.escape(display_value(v))}</td>" for v in row)
        if link:
            text = html.escape(label("osm_link", language))
            cells += f"<td><a href='{html.escape(links[i])}'>{text}</a></td>"
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


REPORT_CSS = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei",
  sans-serif; margin: 24px auto; max-width: 1100px; color: #222; font-size: 14px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 26px;
  border-bottom: 1px solid #ccc; }
.synthetic { color: #b03a2e; font-weight: bold; }
table { border-collapse: collapse; margin: 6px 0; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
img { max-width: 100%; border: 1px solid #ddd; margin: 6px 0; }
.meta { color: #555; }
@media print { h2 { page-break-after: avoid; } img { page-break-inside: avoid; } }
"""


def _relative(target: Path, start: Path) -> str:
    return Path(os.path.relpath(target, start)).as_posix()


def build_report_html(
    layers: StudyLayers,
    *,
    title: str,
    language: str,
    data_date: str | None,
    synthetic: bool,
    top_n: int,
    figures: Mapping[str, bytes | None],
    links: Mapping[str, str],
) -> str:
    """The report page as HTML text (figures embedded as data: URIs)."""
    lang = check_language(language)
    date_text = (
        label("synthetic_date", lang) if synthetic else (data_date or label("unknown_date", lang))
    )
    summary = study_summary(layers)
    summary_rows = "".join(
        f"<tr><th>{html.escape(label(k, lang))}</th><td>{html.escape(display_value(v))}</td></tr>"
        for k, v in summary.itertuples(index=False)
    )
    units = layers.units
    unit_names = ", ".join(
        str(n) for n in (units["name_en"] if lang == "en" and "name_en" in units else units["name"])
    )
    area_km2 = float(dict(summary.itertuples(index=False))["total_area"])
    coverage = coverage_matrix(coverage_table(layers.isochrones), language=lang, area_km2=area_km2)
    gaps = gaps_by_benefit(layers.dead_ends)
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)} – {html.escape(label('report_title', lang))}</title>",
        f"<style>{REPORT_CSS}</style></head><body>",
        f"<h1>{html.escape(title)} – {html.escape(label('report_title', lang))}</h1>",
    ]
    if synthetic:
        parts.append(f"<p class='synthetic'>{html.escape(label('synthetic', lang))}</p>")
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts.append(
        f"<p class='meta'>{html.escape(label('data_date', lang))}: {html.escape(date_text)} · "
        f"{html.escape(label('generated', lang))}: {generated} · "
        f"{html.escape(label('attribution', lang))}</p>"
    )
    link_items = "".join(
        f"<li><a href='{html.escape(href)}'>{html.escape(text)}</a></li>"
        for text, href in links.items()
    )
    parts.append(f"<ul>{link_items}</ul>")
    parts.append(f"<h2>{html.escape(label('study_area', lang))}</h2>")
    parts.append(f"<p>{html.escape(unit_names)}</p><table>{summary_rows}</table>")
    if figures.get("overview"):
        parts.append(_img(figures["overview"], label("fig_overview", lang)))
    parts.append(f"<h2>{html.escape(label('corridor_table', lang))}</h2>")
    parts.append(
        _html_table(
            _subset(_plain(layers.corridors), REPORT_CORRIDOR_COLUMNS),
            language=lang,
            extra=stage_column_labels("corridors"),
            max_rows=200,
        )
    )
    parts.append(_corridor_summaries(layers.corridors))
    if figures.get("corridors"):
        parts.append(_img(figures["corridors"], label("fig_corridors", lang)))
    parts.append(
        f"<h2>{html.escape(label('top_gaps', lang))} (top {min(top_n, len(gaps))} / {len(gaps)})"
        "</h2>"
    )
    parts.append(
        _html_table(
            _subset(gaps, TOP_GAP_COLUMNS),
            language=lang,
            extra=stage_column_labels("dead_ends"),
            max_rows=top_n,
        )
    )
    parts.append(f"<h2>{html.escape(label('coverage', lang))}</h2>")
    parts.append(_html_table(coverage, language=lang, extra={}, max_rows=1000))
    parts.append(f"<p class='meta'>{html.escape(label('coverage_note', lang))}</p>")
    if figures.get("coverage"):
        parts.append(_img(figures["coverage"], label("fig_coverage", lang)))
    parts.append("</body></html>")
    return "\n".join(parts)


def _corridor_summaries(corridors: pd.DataFrame) -> str:
    """Each corridor's one-line summary (the integration stage's ``summary``) as a list."""
    if corridors.empty or "summary" not in corridors.columns:
        return ""
    name_column = pick_column(corridors, ("name", "corridor", "corridor_id"))
    items = []
    for _, row in corridors.iterrows():
        summary = display_value(row["summary"])
        if summary:
            name = display_value(row[name_column]) if name_column else ""
            items.append(f"<li><b>{html.escape(name)}</b>: {html.escape(summary)}</li>")
    return f"<ul>{''.join(items)}</ul>" if items else ""


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{data}'>"


def workbook_tables(layers: StudyLayers) -> dict[str, pd.DataFrame]:
    """The workbook's tables by sheet key (see :data:`SHEETS`)."""
    summary = study_summary(layers)
    summary = summary.assign(key=summary["key"].map(lambda k: f"{LABELS[k][0]} / {LABELS[k][1]}"))
    return {
        "summary": summary.rename(columns={"key": "item", "value": "value"}),
        "corridors": _plain(layers.corridors),
        "dead_ends": gaps_by_benefit(layers.dead_ends),
        "class_drops": _plain(layers.class_drops),
        "missing_crossings": _plain(layers.missing_crossings),
        "coverage": coverage_table(layers.isochrones),
        "admin_units": _plain(layers.units),
        "origins": _plain(layers.origins),
    }


def write_workbook(
    tables: Mapping[str, pd.DataFrame],
    path: str | os.PathLike[str],
    *,
    stage_labels: Mapping[str, Mapping[str, tuple[str, str]]] | None = None,
) -> Path:
    """Write one sheet per table with ``中文 / English`` headers, atomically."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    target = Path(path)
    with atomic_path(target) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        for key, table in tables.items():
            zh, en = SHEETS[key]
            sheet = f"{zh} {en}"[:31]
            extra = (stage_labels or {}).get(key) or stage_column_labels(key)
            headed = table.rename(columns={c: header(str(c), extra) for c in table})
            headed.to_excel(writer, sheet_name=sheet, index=False)
            ws = writer.sheets[sheet]
            ws.freeze_panes = "A2"
            for cell in ws[1]:
                cell.font = Font(bold=True)
            for i, column in enumerate(headed.columns, start=1):
                width = max([len(str(column))] + [len(str(v)) for v in headed[column].head(200)])
                ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 60)
    return target


def _gpkg_ready(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns GDAL stores with their type: booleans with gaps become nullable booleans,
    numbers with gaps numbers, lists and other mixed objects text."""
    out = frame.copy()
    for column in out.columns:
        if column == out.geometry.name or out[column].dtype != object:
            continue
        values = out[column].map(_cell)
        present = [v for v in values if v is not None and not pd.isna(v)]
        if present and all(isinstance(v, bool | np.bool_) for v in present):
            out[column] = values.astype("boolean")
        elif present and all(
            isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in present
        ):
            out[column] = pd.to_numeric(values, errors="coerce")
        elif all(isinstance(v, str) for v in present):
            out[column] = values
        else:
            out[column] = values.map(lambda v: None if v is None or pd.isna(v) else str(v))
    return out


def write_geopackage(
    layers: StudyLayers, path: str | os.PathLike[str], *, cgcs2000: bool = False
) -> Path:
    """Every layer at full resolution in WGS-84 (+ ``<layer>_cgcs2000`` copies), atomically."""
    target = Path(path)
    with atomic_path(target) as tmp:
        for field, name in GPKG_LAYERS.items():
            frame = _gpkg_ready(getattr(layers, field))
            frame.to_crs(WGS84).to_file(tmp, layer=name, driver="GPKG")
            if cgcs2000:
                frame.to_crs(CGCS2000).to_file(tmp, layer=f"{name}_cgcs2000", driver="GPKG")
    return target


def write_report(
    layers: StudyLayers,
    *,
    html_path: str | os.PathLike[str],
    xlsx_path: str | os.PathLike[str],
    gpkg_path: str | os.PathLike[str],
    title: str,
    language: str = "zh",
    data_date: str | None = None,
    synthetic: bool = False,
    cgcs2000: bool = False,
    top_n: int = TOP_GAPS,
    map_path: str | os.PathLike[str] | None = None,
) -> dict[str, Path]:
    """Write report.html, report.xlsx and spatialint.gpkg; return their paths by kind."""
    lang = check_language(language)
    fig_lang, font = _figure_language(lang)
    style = {"font.family": [font, "DejaVu Sans"]} if font else {}
    with plt.rc_context(style):
        figures = {
            "overview": overview_figure(layers, language=fig_lang, title=title),
            "coverage": coverage_figure(coverage_table(layers.isochrones), language=fig_lang),
            "corridors": corridor_figure(layers.corridors, language=fig_lang),
        }
    html_target = Path(html_path)
    links = {}
    if map_path is not None:
        links[label("open_map", lang)] = _relative(Path(map_path), html_target.parent)
    links["report.xlsx"] = _relative(Path(xlsx_path), html_target.parent)
    links["spatialint.gpkg"] = _relative(Path(gpkg_path), html_target.parent)
    page = build_report_html(
        layers, title=title, language=lang, data_date=data_date, synthetic=synthetic,
        top_n=top_n, figures=figures, links=links,
    )  # fmt: skip
    write_workbook(workbook_tables(layers), xlsx_path)
    write_geopackage(layers, gpkg_path, cgcs2000=cgcs2000)
    with atomic_path(html_target) as tmp:
        tmp.write_text(page, encoding="utf-8")
    logger.info("Wrote %s, %s and %s", html_target, xlsx_path, gpkg_path)
    return {"html": html_target, "xlsx": Path(xlsx_path), "gpkg": Path(gpkg_path)}


__all__ = [
    "coverage_table",
    "gaps_by_benefit",
    "study_summary",
    "write_geopackage",
    "write_report",
    "write_workbook",
]


def run_report_stage(
    inputs: Mapping[str, str | os.PathLike[str]],
    outputs: Mapping[str, str | os.PathLike[str]],
    study: Mapping[str, Any],
) -> dict[str, Path]:
    """Write a study's review report, workbook and GeoPackage from its stage outputs.

    Parameters
    ----------
    inputs
        Paths by the ``report`` rule's input names
        (:func:`spatialint.publish.maps.read_layers`, plus
        ``pbf`` for the OSM data date).
    outputs
        Paths by the rule's output names: ``html``, ``xlsx``, ``gpkg``.  The report links the
        map ``index.html`` beside ``html``.
    study
        The validated study config (``title``, ``language``, ``synthetic``, ``maps``).

    Returns
    -------
    dict
        The written paths by kind (:func:`write_report`).
    """
    maps = study.get("maps", {})
    return write_report(
        read_layers(inputs),
        html_path=outputs["html"],
        xlsx_path=outputs["xlsx"],
        gpkg_path=outputs["gpkg"],
        map_path=Path(outputs["html"]).with_name("index.html"),
        title=study.get("title") or study["name"],
        language=study.get("language", "zh"),
        data_date=osm_data_date(inputs["pbf"]),
        synthetic=bool(study.get("synthetic", False)),
        cgcs2000=bool(maps.get("cgcs2000", False)),
        top_n=int(maps.get("top_gaps", TOP_GAPS)),
    )
