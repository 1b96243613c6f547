"""Contracts of the tables only the report writes: the study's key figures and the coverage."""

from __future__ import annotations

from spatialint.contracts.access import ISOCHRONES
from spatialint.contracts.base import Column, Table

SUMMARY = Table(
    "summary",
    "概况",
    "summary",
    stage="report",
    columns=(Column("item", "str", "项目", "item"), Column("value", "float", "数值", "value")),
)

COVERAGE = Table(
    "coverage",
    "等时圈覆盖",
    "coverage",
    stage="report",
    columns=ISOCHRONES.columns,
)
"""Area and population within each origin's circles (the isochrones without their polygons)."""
