"""Contract of the retrieve stage's table: the study area, where the study's data stops."""

from __future__ import annotations

from spatialint.contracts.base import Column, Table
from spatialint.contracts.network import POLYGONS

STUDY_AREA = Table(
    "study_area",
    "研究范围",
    "study area",
    stage="retrieve_osm",
    columns=(Column("basis", "str", "范围来源", "taken from", nullable=False),),
    geometry=POLYGONS,
)
"""The study area without its clip buffer (WGS-84), one row, or none when the data cannot say
where it stops. ``basis``: ``area`` (``area.admin_units`` / ``polygon_file`` / ``bbox``) or
``source_bbox`` (no area configured: the bounding box in the source PBF's header). The gaps
stage tells from it where roads end because the data ends
(:mod:`spatialint.gaps.data_edges`)."""
