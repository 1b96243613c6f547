"""The result files beside the report: ``report.xlsx`` and ``spatialint.gpkg``.

Both are written through :mod:`spatialint.contracts.io` with each table's contract: the
workbook by the one XLSX writer (a sheet per table, one header row ``中文 / English`` from the
contract), the GeoPackage as one layer per table at full resolution in WGS-84, plus CGCS2000
(EPSG:4490) copies named ``<layer>_cgcs2000`` for official planning GIS when
``maps.cgcs2000`` is set. Each layer of the GeoPackage carries its default QGIS style in the
map's colours (:mod:`spatialint.publish.qgis_styles`), so it opens styled in QGIS.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from spatialint.contracts import (
    ADMIN_UNITS,
    CLASS_DROPS,
    CORRIDORS,
    COVERAGE,
    DEAD_ENDS,
    HEX_ACCESS,
    ISOCHRONES,
    MISSING_CROSSINGS,
    ORIGINS,
    RAIL_EDGES,
    RAIL_STATIONS,
    ROAD_EDGES,
    SUMMARY,
)
from spatialint.contracts.base import Table
from spatialint.contracts.io import write_workbook
from spatialint.errors import DataError
from spatialint.fileio import atomic_path
from spatialint.geo import CGCS2000
from spatialint.publish.layers import StudyLayers
from spatialint.publish.qgis_styles import write_default_styles
from spatialint.publish.report.tables import (
    coverage_table,
    gaps_by_rank,
    summary_sheet,
)

CGCS2000_SUFFIX = "_cgcs2000"


def write_report_workbook(
    layers: StudyLayers, summary: pd.DataFrame, path: str | os.PathLike[str]
) -> Path:
    """``report.xlsx``: key figures (``summary``, :func:`~.tables.study_summary`), corridors,
    断头路 by rank, class drops, missing crossings, coverage, admin units and origins, one sheet
    each."""
    write_workbook(
        path,
        {
            SUMMARY: summary_sheet(summary, layers.units),
            CORRIDORS: layers.corridors,
            DEAD_ENDS: gaps_by_rank(layers.dead_ends),
            CLASS_DROPS: layers.class_drops,
            MISSING_CROSSINGS: layers.missing_crossings,
            COVERAGE: coverage_table(layers.isochrones),
            ADMIN_UNITS: layers.units,
            ORIGINS: layers.origins,
        },
    )
    return Path(path)


def write_geopackage(layers: StudyLayers, path: str | os.PathLike[str], *, cgcs2000: bool) -> Path:
    """Every layer at full resolution in WGS-84 (+ ``<layer>_cgcs2000`` copies) with its default
    QGIS style, atomically."""
    tables = {
        ADMIN_UNITS: layers.units,
        ROAD_EDGES: layers.roads,
        RAIL_EDGES: layers.rail,
        RAIL_STATIONS: layers.stations,
        ORIGINS: layers.origins,
        ISOCHRONES: layers.isochrones,
        HEX_ACCESS: layers.hexagons,
        DEAD_ENDS: layers.dead_ends,
        CLASS_DROPS: layers.class_drops,
        MISSING_CROSSINGS: layers.missing_crossings,
        CORRIDORS: layers.corridors,
    }
    target = Path(path)
    with atomic_path(target) as tmp:
        for table, frame in tables.items():
            parts = layers.road_parts() if table is ROAD_EDGES else [frame]
            _write_parts(tmp, table, parts, cgcs2000=False)
        if cgcs2000:  # the conformed WGS-84 layers, reprojected: same columns, same dtypes
            for table, frame in tables.items():
                parts = layers.road_parts() if table is ROAD_EDGES else [frame]
                _write_parts(tmp, table, parts, cgcs2000=True)
        suffixes = ("", CGCS2000_SUFFIX) if cgcs2000 else ("",)
        write_default_styles(tmp, layers, suffixes=suffixes)  # QGIS opens each layer styled
    return target


def _write_parts(
    path: Path, table: Table, parts: Iterable[pd.DataFrame], *, cgcs2000: bool
) -> None:
    """Write ``table`` as a layer of the GeoPackage ``path`` part after part (the road edges
    of a large study are read and written a million at a time), conformed to its contract;
    with ``cgcs2000`` as its ``<layer>_cgcs2000`` copy in EPSG:4490."""
    name = f"{table.name}{CGCS2000_SUFFIX}" if cgcs2000 else table.name
    for i, part in enumerate(parts):
        frame = table.conform(part)
        if cgcs2000:
            frame = frame.to_crs(CGCS2000)
        frame.to_file(path, layer=name, driver="GPKG", mode="a" if i else "w", use_arrow=True)


def thumbnail_uris(gaps: pd.DataFrame, folder: str | os.PathLike[str]) -> dict[str, str]:
    """The thumbnail of each of ``gaps`` (its ``thumbnail`` column: a path relative to the
    gaps folder, the parent of ``folder``) as a ``data:`` URI, so the report page stays one
    file; gaps without one (no longer found) are left out.

    Raises
    ------
    DataError
        A thumbnail the gaps stage names is not there.
    """
    gaps_folder = Path(folder).parent
    uris = {}
    for gap_id, name in zip(gaps["gap_id"], gaps["thumbnail"], strict=True):
        if not isinstance(name, str) or not name:
            continue
        path = gaps_folder / name
        if not path.is_file():
            raise DataError(
                f"The thumbnail of 断头路 {gap_id} is missing: {path}. Rerun the gaps step "
                "(snakemake --forcerun gaps), which draws them."
            )
        uris[gap_id] = "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()
    return uris
