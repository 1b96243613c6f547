"""Links that open a finding where reviewers check and fix OSM: the web editor and JOSM.

As the OSM quality-assurance tools (Osmose, KeepRight) do, every finding gets

``osm_edit_url``
    ``https://www.openstreetmap.org/edit?editor=id&node=<id>#map=<zoom>/<lat>/<lon>``: the iD
    editor on openstreetmap.org, at the middle of the finding, with its node selected;
``josm_url``
    ``http://127.0.0.1:8111/load_and_zoom?left=..&right=..&top=..&bottom=..&select=way1,node2``:
    JOSM's remote control (enable it in JOSM's preferences) loads the area around both ends
    and selects their ways and nodes.

Coordinates are WGS-84 (OSM's own; never the GCJ-02 shift of a Chinese basemap).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

OSM_EDIT = "https://www.openstreetmap.org/edit?editor=id&node={node}#map={zoom}/{lat:.6f}/{lon:.6f}"
JOSM_LOAD = (
    "http://127.0.0.1:8111/load_and_zoom?left={left:.6f}&right={right:.6f}&top={top:.6f}"
    "&bottom={bottom:.6f}&select={select}"
)
#: Margin (metres) around both ends of a finding in the area JOSM loads.
JOSM_MARGIN_M = 150.0
#: Web-editor zoom: 17 shows about 1.2 km across a laptop screen; 16 for longer gaps.
ZOOM_CLOSE, ZOOM_WIDE, WIDE_GAP_M = 17, 16, 500.0
M_PER_DEG_LAT = 111_320.0


def dead_end_links(dead: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """``osm_edit_url`` and ``josm_url`` of each dead end (empty where it has no location)."""
    mid_lon = (dead["lon"] + dead["other_lon"]) / 2
    mid_lat = (dead["lat"] + dead["other_lat"]) / 2
    zoom = np.where(dead["gap_m"].fillna(0) > WIDE_GAP_M, ZOOM_WIDE, ZOOM_CLOSE)
    select = [
        dead["way_id"].map(lambda v: f"way{v}"),
        dead["node_id"].map(lambda v: f"node{v}"),
        dead["other_way_id"].map(lambda v: f"way{v}"),
        dead["other_node_id"].map(lambda v: f"node{v}"),
    ]
    return _links(
        dead, mid_lon, mid_lat, zoom, select, lons=["lon", "other_lon"], lats=["lat", "other_lat"]
    )


def class_drop_links(drops: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """``osm_edit_url`` and ``josm_url`` of each class drop (its border node and both ways)."""
    zoom = np.full(len(drops), ZOOM_CLOSE)
    select = [
        drops["way_id_high"].map(lambda v: f"way{v}"),
        drops["way_id_low"].map(lambda v: f"way{v}"),
        drops["node_id"].map(lambda v: f"node{v}"),
    ]
    return _links(drops, drops["lon"], drops["lat"], zoom, select, lons=["lon"], lats=["lat"])


def _links(
    frame: pd.DataFrame,
    mid_lon: pd.Series,
    mid_lat: pd.Series,
    zoom: np.ndarray,
    select: list[pd.Series],
    *,
    lons: list[str],
    lats: list[str],
) -> tuple[pd.Series, pd.Series]:
    lat_margin = JOSM_MARGIN_M / M_PER_DEG_LAT
    lon_margin = lat_margin / np.cos(np.radians(mid_lat.to_numpy(float)))
    left = frame[lons].min(axis=1) - lon_margin
    right = frame[lons].max(axis=1) + lon_margin
    bottom = frame[lats].min(axis=1) - lat_margin
    top = frame[lats].max(axis=1) + lat_margin
    edit, josm = [], []
    for i in range(len(frame)):
        if not np.isfinite(mid_lon.iloc[i]) or not np.isfinite(mid_lat.iloc[i]):
            edit.append(None)
            josm.append(None)
            continue
        node = frame["node_id"].iloc[i]
        edit.append(
            OSM_EDIT.format(node=node, zoom=zoom[i], lat=mid_lat.iloc[i], lon=mid_lon.iloc[i])
        )
        chosen = [s.iloc[i] for s in select if "<NA>" not in str(s.iloc[i])]
        josm.append(
            JOSM_LOAD.format(
                left=left.iloc[i],
                right=right.iloc[i],
                top=top.iloc[i],
                bottom=bottom.iloc[i],
                select=",".join(dict.fromkeys(chosen)),
            )
        )
    return (
        pd.Series(edit, index=frame.index, dtype=object),
        pd.Series(josm, index=frame.index, dtype=object),
    )
