"""Contracts of the tables only the report writes: the study's key figures and the coverage."""

from __future__ import annotations

from spatialint.contracts.access import ISOCHRONES
from spatialint.contracts.base import GENERAL_FORMAT, Column, Table

SUMMARY = Table(
    "summary",
    "概况",
    "summary",
    stage="report",
    columns=(
        Column("item", "str", "项目", "item", nullable=False),
        Column("value", "float", "数值", "value", number_format=GENERAL_FORMAT),
    ),
)
"""The study's key figures (the workbook's first sheet): ``item`` names one in ``中文 / English``
(units, area in km², road and rail length in km, counts of findings), ``value`` is its number."""

COVERAGE = Table(
    "coverage",
    "等时圈覆盖",
    "coverage",
    stage="report",
    columns=ISOCHRONES.columns,
)
"""Area and population within each origin's circles (the isochrones without their polygons)."""
