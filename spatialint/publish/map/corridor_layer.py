"""Map layer of the integration stage's table: corridors coloured by their integration index."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from spatialint.contracts import CORRIDORS
from spatialint.geo import WGS84
from spatialint.publish.i18n import column_text, label
from spatialint.publish.map.display import Display
from spatialint.publish.map.model import (
    Drawing,
    LegendEntry,
    MapLayer,
    Popup,
    PopupRow,
    Shapes,
    feature_collection,
)
from spatialint.publish.style import CORRIDOR_RAMP, NO_INDEX_COLOUR, corridor_colour

CORRIDOR_POPUP = (
    "name", "kind", "unit_a", "unit_b", "border", "origin_a", "origin_b", "index", "index_basis",
    "road_min", "multimodal_min", "straight_km", "crossings", "border_km",
    "longest_uncrossed_km", "overlap_road", "border_penalty", "open_gaps", "reason", "summary",
)  # fmt: skip
"""Columns of the corridors contract in a corridor's popup (all stay in the tables)."""


def corridor_popup_rows(row: pd.Series, language: str) -> tuple[PopupRow, ...]:
    """The popup lines of one corridor (:data:`CORRIDOR_POPUP`), labelled by the contract."""
    return tuple(
        PopupRow(c, CORRIDORS.label(c, language), column_text(CORRIDORS, c, row[c], language))
        for c in CORRIDOR_POPUP
    )


def corridor_layer(corridors: gpd.GeoDataFrame, *, display: Display, language: str) -> Drawing:
    """Each corridor as a thick line coloured by its index (red 0 → green 100; grey without
    an index), the best drawn last, with its measures in a popup."""
    shown = display.frame(corridors)
    if shown.empty:
        return Drawing()
    shown = shown.sort_values("index", na_position="first", kind="stable")
    shapes = []
    for (_, row), geometry in zip(shown.iterrows(), shown.geometry, strict=True):
        one = gpd.GeoDataFrame(geometry=[geometry], crs=WGS84)
        style = {"color": corridor_colour(row["index"]), "weight": 7, "opacity": 0.85}
        shapes.append(Shapes(f"corridor {row['corridor_id']}", feature_collection(one, []), style,
                             popup=Popup(corridor_popup_rows(row, language))))  # fmt: skip
    layer = MapLayer(label("corridors", language), True, tuple(shapes))
    legend = [LegendEntry("ramp", f"{label('corridors', language)} 0–100", CORRIDOR_RAMP)]
    if corridors["index"].isna().any():
        legend.append(LegendEntry("line", label("no_index", language), (NO_INDEX_COLOUR,), width=4))
    return Drawing((layer,), tuple(legend))
