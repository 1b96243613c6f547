"""The study area as the retrieve stage writes it: where the study's data stops.

Later stages need to know whether a road ends because the road ends or because the data does
(:mod:`spatialint.gaps.data_edges`). The clip keeps whole ways with a node in the area plus its
buffer, so a road cut by the clip ends outside the study area; the study area without its
buffer is therefore written beside the extract (``osm/study_area.gpkg``, contract
:data:`spatialint.contracts.osm.STUDY_AREA`): the configured area, or, with none, the bounding
box in the source PBF's header (what ``osmium extract`` and Geofabrik write).
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import geopandas as gpd
import osmium
import shapely
from shapely.geometry.base import BaseGeometry

from spatialint.contracts.io import write_table
from spatialint.contracts.osm import STUDY_AREA
from spatialint.geo import WGS84

#: ``basis`` of a configured area and of a PBF header's bounding box.
AREA_BASIS = "area"
BBOX_BASIS = "source_bbox"


def source_bbox(path: str | PathLike[str]) -> BaseGeometry | None:
    """The bounding box in the header of an OSM file, or None when it has none."""
    reader = osmium.io.Reader(str(path), osmium.osm.NOTHING)
    try:
        box = reader.header().box()
    finally:
        reader.close()
    if not box.valid():
        return None
    return shapely.box(box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon,
                       box.top_right.lat)  # fmt: skip


def write_study_area(path: str | PathLike[str], geom: BaseGeometry | None, basis: str) -> None:
    """Write the study area (WGS-84; no row when ``geom`` is None) as ``study_area``."""
    rows = [] if geom is None else [shapely.make_valid(geom)]
    frame = gpd.GeoDataFrame(
        {"basis": [basis] * len(rows)}, geometry=gpd.GeoSeries(rows, crs=WGS84), crs=WGS84
    )
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_table(frame.astype({"basis": "str"}), STUDY_AREA, path)
