"""The report page: one self-contained HTML file for the joint review meeting.

It answers, on one page: which area and data date, how integrated each corridor is, which
断头路 to review first (by confidence, then time saved; each with its reasons, thumbnail and
editor links), and what share of the region each origin reaches within 1, 2 and 3 hours by
road and by road + rail. Figures are inline SVG whose text the
browser draws (Chinese renders wherever the reader has a Chinese font, whatever the machine
that made the report had), so the page opens offline beside the map; column headers come from
the tables' contracts, values are shown in their columns' formats.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence

import pandas as pd

from spatialint.contracts import CORRIDORS, DEAD_ENDS, Table
from spatialint.gaps.benefit import ranking_column
from spatialint.publish.i18n import (
    check_language,
    column_text,
    display_value,
    label,
    word_list,
)
from spatialint.publish.layers import StudyLayers, unit_names
from spatialint.publish.map.model import osm_link
from spatialint.publish.report.figures import figure_html
from spatialint.publish.report.tables import (
    REPORT_CORRIDOR_COLUMNS,
    TOP_GAP_COLUMNS,
    by_border,
    coverage_matrix,
    coverage_table,
    people_gained_sentences,
    summary_label,
    summary_text,
)

CORRIDOR_ROWS_MAX = 200
THUMBNAIL_PX = 140
"""Width and height of a 断头路's thumbnail in the report (the PNG is 240 px: sharp on
high-DPI screens and in print)."""
COVERAGE_ROWS_MAX = 1000
REPORT_CSS = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei",
  sans-serif; margin: 24px auto; max-width: 1280px; color: #222; font-size: 14px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 26px;
  border-bottom: 1px solid #ccc; }
.synthetic { color: #b03a2e; font-weight: bold; }
table { border-collapse: collapse; margin: 6px 0; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
th.wide { min-width: 15em; }
figure { margin: 6px 0; }
figure svg { max-width: 100%; height: auto; border: 1px solid #ddd; }
.meta { color: #555; }
@media print { h2 { page-break-after: avoid; } figure { page-break-inside: avoid; } }
"""


def _esc(text: str) -> str:
    return html.escape(text)


def html_table(
    frame: pd.DataFrame, *, table: Table | None, language: str, max_rows: int,
    extra: Mapping[str, Sequence[str]] | None = None, wide: Sequence[str] = (),
) -> str:  # fmt: skip
    """The first ``max_rows`` rows as an HTML table, headed by ``table``'s labels (the column
    names themselves when ``table`` is ``None``); lon/lat become a link to openstreetmap.org.
    ``extra`` adds columns of ready HTML (header -> one cell per row); the columns ``wide``
    (text) keep a readable width however many columns the table has."""
    if frame.empty:
        return f"<p>{_esc(label('no_rows', language))}</p>"
    shown = pd.DataFrame(frame.head(max_rows))
    extra = dict(extra or {})
    if {"lon", "lat"} <= set(shown.columns):
        extra["OpenStreetMap"] = [
            f"<a href='{_esc(osm_link(x, y))}'>{_esc(label('osm_link', language))}</a>"
            for x, y in zip(shown["lon"], shown["lat"], strict=True)
        ]
        shown = shown.drop(columns=["lon", "lat"])
    names = [table.label(str(c), language) if table else str(c) for c in shown.columns]
    classes = [" class='wide'" if str(c) in wide else "" for c in shown.columns]
    head = "".join(
        f"<th{cls}>{_esc(n)}</th>"
        for n, cls in zip([*names, *extra], [*classes, *[""] * len(extra)], strict=True)
    )
    body = []
    for i, row in enumerate(shown.itertuples(index=False)):
        cells = "".join(
            f"<td>{_esc(_cell(table, str(name), v, language))}</td>"
            for name, v in zip(shown.columns, row, strict=True)
        )
        cells += "".join(f"<td>{column[i]}</td>" for column in extra.values())
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _cell(table: Table | None, column: str, value: object, language: str) -> str:
    """A cell of a contract table by its column (format, coded values in words); of another
    table as display text."""
    if table is None:
        return display_value(value)
    return column_text(table, column, value, language)


def _figure(figures: Mapping[str, str | None], name: str, language: str) -> list[str]:
    """A figure (SVG markup) inline in the page, its text drawn by the browser."""
    svg = figures[name]
    return [figure_html(svg, name, label(f"fig_{name}", language))] if svg else []


def _head(
    title: str,
    lang: str,
    *,
    data_date: str | None,
    synthetic: bool,
    links: Mapping[str, str],
    speeds: str = "",
) -> list[str]:
    """Page head, title, synthetic-data warning, data date, the speed profile (``speeds``) and
    the links to the other files."""
    heading = f"{_esc(title)} – {_esc(label('report_title', lang))}"
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{heading}</title>",
        f"<style>{REPORT_CSS}</style></head><body>",
        f"<h1>{heading}</h1>",
    ]
    if synthetic:
        parts.append(f"<p class='synthetic'>{_esc(label('synthetic', lang))}</p>")
    date_text = label("synthetic_date", lang) if synthetic else (
        data_date or label("unknown_date", lang))  # fmt: skip
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts.append(
        f"<p class='meta'>{_esc(label('data_date', lang))}: {_esc(date_text)} · "
        + (f"{_esc(speeds)} · " if speeds else "")
        + f"{_esc(label('generated', lang))}: {generated} · {_esc(label('attribution', lang))}</p>"
    )
    items = "".join(f"<li><a href='{_esc(href)}'>{_esc(text)}</a></li>"
                    for text, href in links.items())  # fmt: skip
    parts.append(f"<ul>{items}</ul>")
    return parts


def _study_area(layers: StudyLayers, summary: pd.DataFrame, lang: str) -> list[str]:
    """The units' names by admin level, finest first (the level the key figures count), and
    the key figures."""
    units = layers.units
    rows = "".join(
        f"<tr><th>{_esc(summary_label(k, units, lang))}</th>"
        f"<td>{_esc(summary_text(k, v))}</td></tr>"
        for k, v in summary.itertuples(index=False)
    )
    names = unit_names(units, lang)
    levels = []
    for level in sorted(units["admin_level"].unique(), reverse=True):
        shown = [n for n, lv in zip(names, units["admin_level"], strict=True) if lv == level]
        heading = label("units_at_level", lang, level=int(level), count=len(shown))
        levels.append(f"<li>{_esc(heading)}: {_esc(word_list(shown, lang))}</li>")
    return [
        f"<h2>{_esc(label('study_area', lang))}</h2>",
        f"<ul>{''.join(levels)}</ul><table>{rows}</table>",
    ]


def _corridor_section(corridors: pd.DataFrame, lang: str) -> list[str]:
    """The corridor table by the border its rows cross (省界 first), and each corridor's
    one-line summary."""
    parts = [f"<h2>{_esc(label('corridor_table', lang))}</h2>"]
    if corridors.empty:
        parts.append(html_table(corridors, table=CORRIDORS, language=lang, max_rows=0))
    for heading, group in by_border(corridors, lang):
        table = html_table(group[list(REPORT_CORRIDOR_COLUMNS)], table=CORRIDORS,
                           language=lang, max_rows=CORRIDOR_ROWS_MAX)  # fmt: skip
        parts += [f"<h3>{_esc(heading)}</h3>", table]
    items = [
        f"<li><b>{_esc(display_value(name))}</b>: {_esc(display_value(summary))}</li>"
        for name, summary in zip(corridors["name"], corridors["summary"], strict=True)
        if display_value(summary)
    ]
    return parts + ([f"<ul>{''.join(items)}</ul>"] if items else [])


def top_gap_columns(dead_ends: pd.DataFrame, language: str) -> list[str]:
    """:data:`TOP_GAP_COLUMNS` in ``language`` (its reasons), with the person-minutes where the
    gaps stage ranks by them."""
    columns = [f"reasons_{language}" if c == "reasons" else c for c in TOP_GAP_COLUMNS]
    key = ranking_column(dead_ends)
    if key not in columns:
        columns.insert(columns.index("minutes_saved_per_trip") + 1, key)
    return columns


def _gap_section(
    dead_ends: pd.DataFrame, listed: pd.DataFrame, lang: str, *, shown_levels: Sequence[str],
    thumbnails: Mapping[str, str],
) -> list[str]:  # fmt: skip
    """The 断头路 the report lists (``listed``, :func:`listed_gaps` of ``dead_ends``), each with
    its thumbnail (``thumbnails``: gap id -> image address) and its links to
    openstreetmap.org, the OSM editor (iD) and JOSM, in one column."""
    heading = f"{_esc(label('top_gaps', lang))} (top {len(listed)})"
    levels = word_list((column_text(DEAD_ENDS, "confidence", v, lang) for v in shown_levels), lang)
    note = label("gaps_listed", lang, levels=levels, listed=len(listed), total=len(dead_ends))
    note += " " + label("josm_note", lang)
    parts = [f"<h2>{heading}</h2>", f"<p class='meta'>{_esc(note)}</p>"]
    if listed.empty:
        parts.append(html_table(listed, table=DEAD_ENDS, language=lang, max_rows=0))
    for group_heading, group in by_border(listed, lang):
        parts += [f"<h3>{_esc(group_heading)}</h3>", _gap_table(dead_ends, group, lang, thumbnails)]
    return parts


def _gap_table(
    dead_ends: pd.DataFrame, listed: pd.DataFrame, lang: str, thumbnails: Mapping[str, str]
) -> str:
    """The table of ``listed`` 断头路 with their thumbnails and editor links."""
    pictures = [
        f"<img src='{_esc(thumbnails[g])}' alt='{_esc(g)}' width='{THUMBNAIL_PX}' "
        f"height='{THUMBNAIL_PX}'>" if g in thumbnails else ""
        for g in listed["gap_id"]
    ]  # fmt: skip
    views = [osm_link(x, y) for x, y in zip(listed["lon"], listed["lat"], strict=True)]
    editors = [
        " · ".join(
            f"<a href='{_esc(url)}'>{_esc(label(text, lang))}</a>"
            for url, text in ((view, "osm_view_short"), (edit, "osm_edit_short"),
                              (josm, "josm_short"))
            if isinstance(url, str) and url
        )
        for view, edit, josm in zip(views, listed["osm_edit_url"], listed["josm_url"], strict=True)
    ]  # fmt: skip
    return html_table(
        listed[top_gap_columns(dead_ends, lang)], table=DEAD_ENDS,
        language=lang, max_rows=len(listed), wide=[f"reasons_{lang}"],
        extra={label("thumbnail", lang): pictures, label("edit_links", lang): editors},
    )  # fmt: skip


def _coverage_section(layers: StudyLayers, area_km2: float, lang: str) -> list[str]:
    table = coverage_table(layers.isochrones)
    coverage = coverage_matrix(table, language=lang, area_km2=area_km2)
    gained = people_gained_sentences(table, language=lang)
    return [
        f"<h2>{_esc(label('coverage', lang))}</h2>",
        html_table(coverage, table=None, language=lang, max_rows=COVERAGE_ROWS_MAX),
        *(f"<p>{_esc(sentence)}</p>" for sentence in gained),
        f"<p class='meta'>{_esc(label('coverage_note', lang))}</p>",
    ]


def build_report_html(
    layers: StudyLayers, *, summary: pd.DataFrame, title: str, language: str,
    data_date: str | None, synthetic: bool,
    listed_gaps: pd.DataFrame, gap_confidence: Sequence[str], thumbnails: Mapping[str, str],
    figures: Mapping[str, str | None], links: Mapping[str, str], speeds: str = "",
    calibration: Sequence[str] = (),
) -> str:  # fmt: skip
    """The report page as HTML text (figures embedded as data: URIs).

    Parameters
    ----------
    layers
        The stage outputs.
    summary
        The study's key figures (:func:`~spatialint.publish.report.tables.study_summary`).
    title, language, data_date, synthetic
        The study's title and language; the OSM data date, or that the data is synthetic.
    listed_gaps, gap_confidence
        The 断头路 listed (:func:`~spatialint.publish.report.tables.listed_gaps`: the first
        ``maps.top_gaps`` of the confidence levels ``maps.gap_confidence``) and those levels.
    thumbnails
        Image address (a ``data:`` URI) of each listed 断头路's thumbnail, by gap id.
    figures
        SVG figures by name (``overview``, ``corridors``, ``coverage``), ``None`` when empty.
    links
        Link text -> relative address of the map and the result files.
    speeds
        Which speeds the times come from (:func:`~spatialint.publish.i18n.speeds_note`).
    calibration
        The speed calibration's section (HTML parts,
        :func:`~spatialint.publish.report.calibration.calibration_section`), after coverage.
    """
    lang = check_language(language)
    area_km2 = float(dict(summary.itertuples(index=False))["total_area"])
    parts: Sequence[str] = [
        *_head(title, lang, data_date=data_date, synthetic=synthetic, links=links, speeds=speeds),
        *_study_area(layers, summary, lang),
        *_figure(figures, "overview", lang),
        *_corridor_section(layers.corridors, lang),
        *_figure(figures, "corridors", lang),
        *_gap_section(
            layers.dead_ends, listed_gaps, lang, shown_levels=gap_confidence, thumbnails=thumbnails
        ),  # fmt: skip
        *_coverage_section(layers, area_km2, lang),
        *_figure(figures, "coverage", lang),
        *calibration,
        "</body></html>",
    ]
    return "\n".join(parts)
