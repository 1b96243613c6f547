"""Map layers of the gaps stage's tables: 断头路 (dead ends), class drops, missing crossings.

The 断头路 are circles coloured by review status and sized by the gaps stage's ranking key
(:func:`spatialint.gaps.benefit.ranking_column`: person-minutes saved where the study has
population, else minutes saved per sampled trip; the legend names it), with a popup that
answers a reviewer and links to openstreetmap.org; the gap itself (dead end → facing road) is
a short dashed line beneath.
"""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from spatialint.contracts import CLASS_DROPS, DEAD_ENDS, MISSING_CROSSINGS, Table
from spatialint.gaps.benefit import ranking_column
from spatialint.publish.i18n import column_text, display_value, label, value_word
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
    "rank", "gap_id", "status", "name", "other_name", "unit_name", "other_unit_name", "gap_m",
    "detour_min", "detour_km", "minutes_saved_mean", "minutes_saved_per_trip",
    "person_minutes_saved", "planned", "planned_class", "found", "comment",
)  # fmt: skip
"""Columns of the dead_ends contract in a 断头路's popup (all stay in the tables)."""
CLASS_DROP_TOOLTIP = (
    "gap_id", "status", "unit_high", "unit_low", "class_high", "class_low", "name_high",
    "name_low", "comment",
)  # fmt: skip
MISSING_CROSSING_TOOLTIP = ("crossing_id", "unit_a_name", "unit_b_name", "length_km")
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


def dead_end_layer(dead_ends: gpd.GeoDataFrame, *, display: Display, language: str) -> Drawing:
    """The 断头路: a circle each (largest benefit drawn first, so small ones stay on top) with
    its popup, the gap lines beneath; the legend lists the review statuses shown and what
    sizes the circles."""
    key = ranking_column(dead_ends)
    located = (dead_ends.geometry.notna() & ~dead_ends.geometry.is_empty).to_numpy()
    if not located.all():
        # reviewed gaps no longer found in the data keep their row in the tables, not on the map
        logger.info("%d 断头路 without geometry are listed in the tables only", (~located).sum())
    dead_ends = dead_ends[located]
    if dead_ends.empty:
        return Drawing()
    shapes = _gap_lines(dead_ends, display)
    circles, statuses = _dead_end_circles(dead_ends, key, display, language)
    layer = MapLayer(label("dead_ends", language), True, shapes, circles)
    legend = [LegendEntry("heading", label("dead_ends", language))]
    legend += [LegendEntry("dot", text, (colour,)) for text, colour in statuses.items()]
    size_text = f"{label('circle_size', language)} = {DEAD_ENDS.label(key, language)}"
    legend.append(LegendEntry("note", size_text))
    return Drawing((layer,), tuple(legend))


def _gap_lines(dead_ends: gpd.GeoDataFrame, display: Display) -> tuple[Shapes, ...]:
    kinds = shapely.get_type_id(np.asarray(dead_ends.geometry.array, dtype=object))
    lines = dead_ends[np.isin(kinds, (LINESTRING, MULTILINESTRING))]
    if lines.empty:
        return ()
    return (Shapes("gap lines", feature_collection(display.frame(lines), []), GAP_LINE_STYLE),)


def _dead_end_circles(
    dead_ends: gpd.GeoDataFrame, key: str, display: Display, language: str
) -> tuple[tuple[Circle, ...], dict[str, str]]:
    """The circles, largest first, and the colour of each review status shown."""
    benefit = dead_ends[key]
    radius = circle_radii(benefit)
    lon_wgs, lat_wgs, lon, lat = display.points(dead_ends)
    # the OSM link points at the dead end itself, where the gaps stage says where it is
    lon_wgs = np.where(
        dead_ends["lon"].notna(), dead_ends["lon"].to_numpy(float, na_value=np.nan), lon_wgs
    )
    lat_wgs = np.where(
        dead_ends["lat"].notna(), dead_ends["lat"].to_numpy(float, na_value=np.nan), lat_wgs
    )
    statuses: dict[str, str] = {}
    circles = []
    for i in np.argsort(-benefit.fillna(0.0).to_numpy(dtype=float), kind="stable"):
        row = dead_ends.iloc[i]
        colour = STATUS_COLOURS[status_key(row["status"])]
        statuses.setdefault(status_text(row["status"], language), colour)
        link = (osm_link(lon_wgs[i], lat_wgs[i]), label("osm_link", language))
        saved = column_text(DEAD_ENDS, "minutes_saved_mean", row["minutes_saved_mean"], language)
        circles.append(Circle(
            float(lat[i]), float(lon[i]), float(radius[i]),
            {"color": OUTLINE_COLOUR, "weight": 1, "fill": True, "fill_color": colour,
             "fill_opacity": 0.85},
            f"{display_value(row['gap_id'])}: {saved} {label('minutes', language)}",
            Popup(dead_end_popup_rows(row, language), link),
        ))  # fmt: skip
    return tuple(circles), statuses


def dead_end_popup_rows(row: pd.Series, language: str) -> tuple[PopupRow, ...]:
    """The popup lines of one 断头路 (:data:`DEAD_END_POPUP`), labelled by the contract."""
    rows = []
    for column in DEAD_END_POPUP:
        value = row[column]
        if column in ("planned", "found"):
            text = yes_no(value, language)
        else:
            text = column_text(DEAD_ENDS, column, value, language)
        rows.append(PopupRow(column, DEAD_ENDS.label(column, language), text))
    return tuple(rows)
