"""Map layers of the gaps stage's tables: 断头路 (dead ends), class drops, missing crossings.

The 断头路 are circles coloured by review status and sized by the gaps stage's ranking key
(:func:`spatialint.gaps.benefit.ranking_column`: person-minutes saved where the study has
population, else minutes saved per sampled trip; the legend names it), with a popup that
answers a reviewer (confidence, category, the reasons) and links to openstreetmap.org, the OSM
editor and JOSM; the gap itself (dead end → facing road) is a short dashed line beneath. The
断头路 layer holds the confidence levels of ``maps.gap_confidence`` (high and medium by
default); the others are in a second layer, switched off at start.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from spatialint.contracts import CLASS_DROPS, DEAD_ENDS, MISSING_CROSSINGS, Table
from spatialint.gaps.benefit import ranking_column
from spatialint.publish.i18n import column_text, display_value, label, value_word, word_list
from spatialint.publish.map.display import LINESTRING, MULTILINESTRING, Display
from spatialint.publish.map.model import (
    Circle,
    Drawing,
    LegendEntry,
    MapLayer,
    Popup,
    PopupRow,
    Shapes,
    feature_collection,
    osm_link,
)
from spatialint.publish.style import (
    CLASS_DROP_COLOUR,
    GAP_LINE_COLOUR,
    MISSING_CROSSING_COLOUR,
    OUTLINE_COLOUR,
    STATUS_COLOURS,
    status_key,
)

logger = logging.getLogger(__name__)

GAP_RADIUS_PX = (5.0, 18.0)
"""Smallest and largest 断头路 circle radius in pixels (radius ∝ √ranking key)."""
DEAD_END_POPUP = (
    "rank", "gap_id", "status", "confidence", "category", "reasons", "name", "other_name",
    "unit_name", "other_unit_name", "border", "gap_m",
    "detour_min", "detour_km", "minutes_saved_mean", "minutes_saved_per_trip",
    "person_minutes_saved", "planned", "planned_class", "found", "comment",
)  # fmt: skip
"""Columns of the dead_ends contract in a 断头路's popup (all stay in the tables); ``reasons``
is ``reasons_zh`` or ``reasons_en`` by the study's language."""
CLASS_DROP_TOOLTIP = (
    "gap_id", "status", "unit_high", "unit_low", "border", "class_high", "class_low",
    "name_high", "name_low", "comment",
)  # fmt: skip
MISSING_CROSSING_TOOLTIP = ("crossing_id", "unit_a_name", "unit_b_name", "border", "length_km")
FINDING_STYLE = {"weight": 5, "opacity": 0.8, "dashArray": "2 6", "fillOpacity": 0.4}
GAP_LINE_STYLE = {"color": GAP_LINE_COLOUR, "weight": 3, "opacity": 0.9, "dashArray": "3 4"}


def yes_no(value: Any, language: str) -> str:
    """``是``/``否`` (``yes``/``no``) of a flag; a missing flag is no."""
    return label("yes" if not pd.isna(value) and bool(value) else "no", language)


def status_text(value: Any, language: str) -> str:
    """A review status in words of ``language`` (the raw value when it is not one we know),
    as the report and the workbook's review file name it."""
    word = value_word(DEAD_ENDS, "status", value, language)
    return display_value(value) if word is None else word


def class_drop_layer(class_drops: gpd.GeoDataFrame, *, display: Display, language: str) -> Drawing:
    """Road class drops at a border, dashed purple, with their findings on hover."""
    return _finding_layer(class_drops, CLASS_DROPS, CLASS_DROP_TOOLTIP, CLASS_DROP_COLOUR,
                          display=display, language=language)  # fmt: skip


def missing_crossing_layer(
    missing: gpd.GeoDataFrame, *, display: Display, language: str
) -> Drawing:
    """Border stretches without a crossing, dashed orange, with their length on hover."""
    return _finding_layer(missing, MISSING_CROSSINGS, MISSING_CROSSING_TOOLTIP,
                          MISSING_CROSSING_COLOUR, display=display, language=language)  # fmt: skip


def _finding_layer(
    frame: gpd.GeoDataFrame, table: Table, properties: tuple[str, ...], colour: str, *,
    display: Display, language: str,
) -> Drawing:  # fmt: skip
    shown = display.frame(frame)
    if shown.empty:
        return Drawing()
    style = {"color": colour, "fillColor": colour, **FINDING_STYLE}
    tooltip = tuple((p, table.label(p, language)) for p in properties)
    features = feature_collection(shown, properties, table, language)
    shapes = Shapes(table.name, features, style, tooltip)
    layer = MapLayer(label(table.name, language), True, (shapes,))
    legend = LegendEntry("line", label(table.name, language), (colour,), dash=True, width=4)
    return Drawing((layer,), (legend,))


def circle_radii(benefit: pd.Series) -> np.ndarray:
    """Circle radius (pixels) of each 断头路: ∝ √benefit between :data:`GAP_RADIUS_PX`."""
    values = benefit.fillna(0.0).clip(lower=0).to_numpy(dtype=float)
    top = values.max() if len(values) and values.max() > 0 else 1.0
    small, large = GAP_RADIUS_PX
    return small + (large - small) * np.sqrt(values / top)


def dead_end_layer(
    dead_ends: gpd.GeoDataFrame, *, display: Display, language: str, shown_levels: Sequence[str]
) -> Drawing:
    """The 断头路: a circle each (largest benefit drawn first, so small ones stay on top) with
    its popup, the gap lines beneath. Those of a confidence in ``shown_levels``
    (``maps.gap_confidence``) are in the 断头路 layer; the others in a layer switched off at
    start. The legend lists the review statuses shown, what sizes the circles and which
    levels each layer holds."""
    key = ranking_column(dead_ends)
    located = (dead_ends.geometry.notna() & ~dead_ends.geometry.is_empty).to_numpy()
    if not located.all():
        # reviewed gaps no longer found in the data keep their row in the tables, not on the map
        logger.info("%d 断头路 without geometry are listed in the tables only", (~located).sum())
    dead_ends = dead_ends[located]
    if dead_ends.empty:
        return Drawing()
    radius = pd.Series(circle_radii(dead_ends[key]), index=dead_ends.index)
    in_shown = dead_ends["confidence"].isin(shown_levels).to_numpy()
    statuses: dict[str, str] = {}
    layers = []
    for name, frame, visible in (
        (label("dead_ends", language), dead_ends[in_shown], True),
        (label("dead_ends_other", language), dead_ends[~in_shown], False),
    ):
        if frame.empty:
            continue
        circles = _dead_end_circles(frame, key, radius[frame.index], display, language, statuses)
        layers.append(MapLayer(name, visible, _gap_lines(frame, display), circles))
    legend = [LegendEntry("heading", label("dead_ends", language))]
    legend += [LegendEntry("dot", text, (colour,)) for text, colour in statuses.items()]
    size_text = f"{label('circle_size', language)} = {DEAD_ENDS.label(key, language)}"
    legend.append(LegendEntry("note", size_text))
    if not in_shown.all():
        note = label(
            "dead_ends_shown", language, layer=label("dead_ends", language),
            levels=word_list((confidence_text(v, language) for v in shown_levels), language),
            other=int((~in_shown).sum()), other_layer=label("dead_ends_other", language),
        )  # fmt: skip
        legend.append(LegendEntry("note", note))
    return Drawing(tuple(layers), tuple(legend))


def confidence_text(value: Any, language: str) -> str:
    """A confidence level in words of ``language``."""
    return column_text(DEAD_ENDS, "confidence", value, language)


def _gap_lines(dead_ends: gpd.GeoDataFrame, display: Display) -> tuple[Shapes, ...]:
    kinds = shapely.get_type_id(np.asarray(dead_ends.geometry.array, dtype=object))
    lines = dead_ends[np.isin(kinds, (LINESTRING, MULTILINESTRING))]
    if lines.empty:
        return ()
    return (Shapes("gap lines", feature_collection(display.frame(lines), []), GAP_LINE_STYLE),)


def _dead_end_circles(
    dead_ends: gpd.GeoDataFrame, key: str, radius: pd.Series, display: Display, language: str,
    statuses: dict[str, str],
) -> tuple[Circle, ...]:  # fmt: skip
    """The circles, largest first; adds the colour of each review status drawn to
    ``statuses``."""
    lon_wgs, lat_wgs, lon, lat = display.points(dead_ends)
    # the OSM link points at the dead end itself, where the gaps stage says where it is
    lon_wgs = np.where(
        dead_ends["lon"].notna(), dead_ends["lon"].to_numpy(float, na_value=np.nan), lon_wgs
    )
    lat_wgs = np.where(
        dead_ends["lat"].notna(), dead_ends["lat"].to_numpy(float, na_value=np.nan), lat_wgs
    )
    circles = []
    for i in np.argsort(-dead_ends[key].fillna(0.0).to_numpy(dtype=float), kind="stable"):
        row = dead_ends.iloc[i]
        colour = STATUS_COLOURS[status_key(row["status"])]
        statuses.setdefault(status_text(row["status"], language), colour)
        saved = column_text(DEAD_ENDS, "minutes_saved_mean", row["minutes_saved_mean"], language)
        level = confidence_text(row["confidence"], language)
        tooltip = f"{display_value(row['gap_id'])} · {level}: {saved} {label('minutes', language)}"
        circles.append(Circle(
            float(lat[i]), float(lon[i]), float(radius.iloc[i]),
            {"color": OUTLINE_COLOUR, "weight": 1, "fill": True, "fill_color": colour,
             "fill_opacity": 0.85},
            tooltip,
            Popup(dead_end_popup_rows(row, language),
                  dead_end_links(row, lon_wgs[i], lat_wgs[i], language)),
        ))  # fmt: skip
    return tuple(circles)


def dead_end_links(
    row: pd.Series, lon: float, lat: float, language: str
) -> tuple[tuple[str, str], ...]:
    """The popup's links: the spot on openstreetmap.org, in the OSM editor (iD) and in JOSM
    (remote control, JOSM running), as the gaps stage wrote them."""
    links = [(osm_link(lon, lat), label("osm_link", language))]
    for column, text in (("osm_edit_url", "osm_edit_link"), ("josm_url", "josm_link")):
        if isinstance(row.get(column), str) and row[column]:
            links.append((row[column], label(text, language)))
    return tuple(links)


def dead_end_popup_rows(row: pd.Series, language: str) -> tuple[PopupRow, ...]:
    """The popup lines of one 断头路 (:data:`DEAD_END_POPUP`), labelled by the contract."""
    rows = []
    for name in DEAD_END_POPUP:
        column = f"reasons_{language}" if name == "reasons" else name
        value = row[column]
        if column in ("planned", "found"):
            text = yes_no(value, language)
        else:
            text = column_text(DEAD_ENDS, column, value, language)
        rows.append(PopupRow(column, DEAD_ENDS.label(column, language), text))
    return tuple(rows)
