"""The admin stage: a study's admin units and places, from its OSM extract or a user's file.

Units come from the extract's boundary relations (:func:`spatialint.osm.units.units_from_osm`)
or, when ``admin.file`` is set, from that polygon file (:func:`units_from_file`, e.g. official
CGCS2000 boundaries); places always come from the extract. The stage writes
``admin_units.gpkg`` (:data:`~spatialint.contracts.ADMIN_UNITS`, layer ``admin_units``),
``places.parquet`` (:data:`~spatialint.contracts.PLACES`) and ``admin_report.txt`` (the units
per level and every unit that could not be built).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from spatialint.config import REPO_ROOT
from spatialint.contracts import ADMIN_UNITS, PLACES
from spatialint.contracts.io import write_table
from spatialint.errors import ConfigError, DataError
from spatialint.fileio import atomic_path
from spatialint.geo import WGS84
from spatialint.osm.polygons import read_user_polygons
from spatialint.osm.relations import read_relations
from spatialint.osm.units import AdminResult, finish_units, places_frame, units_from_osm
from spatialint.settings import AdminSettings

__all__ = [
    "AdminResult",
    "build_admin",
    "run_admin_stage",
    "units_from_file",
    "units_from_osm",
    "write_outputs",
]


def _read_unit_file(path: Path, *, name_column: str) -> gpd.GeoDataFrame:
    """The polygons of ``admin.file`` in WGS-84, checked (:mod:`spatialint.osm.polygons`) and
    with the name column."""
    frame = read_user_polygons(path, key="admin.file", label_column=name_column)
    if name_column not in frame.columns:
        raise ConfigError(
            f"admin.file {path} has no column {name_column!r} (admin.name_column); its columns "
            f"are: {', '.join(c for c in frame.columns if c != 'geometry')}."
        )
    return frame


def units_from_file(
    path: Path, *, name_column: str, default_level: int, levels: Sequence[int]
) -> AdminResult:
    """Admin units from a user's polygon file (``admin.file``), places left empty.

    The file needs a CRS and ``name_column``; an ``admin_level`` column is used when present
    (otherwise every unit gets ``default_level``), as are ``name_en``. ``unit_id`` is
    ``f<row number>`` (from 1, in file order).

    Raises
    ------
    ConfigError
        The file is missing, unreadable, has no CRS, lacks the name column or holds no polygon.
    """
    frame = _read_unit_file(path, name_column=name_column)
    level = (
        frame["admin_level"].astype("int64")
        if "admin_level" in frame.columns
        else pd.Series(default_level, index=frame.index)
    )
    units = gpd.GeoDataFrame(
        {
            "unit_id": [f"f{i + 1}" for i in range(len(frame))],
            "name": frame[name_column].astype(str).values,
            "name_en": frame["name_en"].values if "name_en" in frame.columns else None,
            "admin_level": level.values,
            "centre_source": None,
        },
        geometry=frame.geometry.values,
        crs=WGS84,
    )
    units = finish_units(units, sorted(set(levels) | set(units["admin_level"])))
    return AdminResult(units=units, places=places_frame([]))


def build_admin(admin: AdminSettings, *, pbf: Path, base_dir: Path = REPO_ROOT) -> AdminResult:
    """Units and places for a study: from ``admin.file`` when given, else from ``pbf``.

    Places always come from ``pbf``.

    Raises
    ------
    DataError
        No unit at ``admin.levels`` can be built from ``pbf``.
    ConfigError
        ``admin.file`` cannot be used (see :func:`units_from_file`).
    """
    levels = list(admin.levels)
    if admin.file:
        path = Path(admin.file)
        path = path if path.is_absolute() else Path(base_dir) / path
        from_file = units_from_file(
            path, name_column=admin.name_column, default_level=admin.border_level, levels=levels
        )
        from_osm = units_from_osm(pbf, levels=[])
        _check_near_extract(from_file.units, from_osm.places, path=path, pbf=pbf)
        return AdminResult(
            units=from_file.units, places=from_osm.places, source=f"admin.file {path}"
        )
    result = units_from_osm(pbf, levels=levels)
    if result.units.empty:
        names = ", ".join(f"{u.name} ({u.reason})" for u in result.incomplete) or "none found"
        hint = (
            " The extract holds no relations at all, and an OSM file cut short loses them "
            "first (they come last): the source file (source.url) looks truncated. Re-download "
            "it (for a cached download, delete the file and run again: it is fetched anew), or "
            "give admin.file."
            if read_relations(pbf).total == 0
            else " Check admin.levels against the data, widen area.buffer_km or the source "
            "extract, or give admin.file."
        )
        raise DataError(
            f"No admin unit at admin_level {levels} could be built from {pbf} (relations at "
            f"those levels: {names}).{hint}"
        )
    return result


def _check_near_extract(
    units: gpd.GeoDataFrame, places: gpd.GeoDataFrame, *, path: Path, pbf: Path
) -> None:
    """Refuse ``admin.file`` units that lie nowhere near the extract's places (a file for
    another region, or a wrong CRS), here rather than in a later step."""
    if units.empty or places.empty:
        return
    west, south, east, north = units.total_bounds
    p_west, p_south, p_east, p_north = places.total_bounds
    if west <= p_east and east >= p_west and south <= p_north and north >= p_south:
        return
    raise ConfigError(
        f"admin.file {path}: its {len(units)} unit(s) lie at {west:.4f}–{east:.4f}°E, "
        f"{south:.4f}–{north:.4f}°N, nowhere near the study extract {pbf}, whose places lie at "
        f"{p_west:.4f}–{p_east:.4f}°E, {p_south:.4f}–{p_north:.4f}°N. The file is for another "
        "region, or its CRS is wrong: check it in QGIS over an OpenStreetMap background."
    )


def write_outputs(
    result: AdminResult, *, units_path: Path, places_path: Path, report_path: Path
) -> None:
    """Write the units GeoPackage and the places GeoParquet through their contracts, and the
    report, each atomically."""
    write_table(result.units, ADMIN_UNITS, units_path)
    write_table(result.places, PLACES, places_path)
    with atomic_path(report_path) as tmp:
        tmp.write_text(result.report(), encoding="utf-8")


def run_admin_stage(
    inputs: Mapping[str, str | Path],
    outputs: Mapping[str, str | Path],
    *,
    admin: AdminSettings,
    base_dir: Path,
) -> AdminResult:
    """Build a study's admin units and places (:func:`build_admin`) and write the outputs.

    Parameters
    ----------
    inputs
        Paths by the ``admin_units`` rule's input names: ``pbf`` (the study's extract) and,
        when the study sets ``admin.file``, ``admin_file``.
    outputs
        Paths by the rule's output names: ``units``, ``places``, ``report``
        (:func:`write_outputs`).
    admin
        The admin settings: levels, border level, and the optional file and its name column.
    base_dir
        Directory that ``admin.file`` resolves against when relative (Snakemake's working
        directory).

    Returns
    -------
    AdminResult
        What was written.
    """
    result = build_admin(admin, pbf=Path(inputs["pbf"]), base_dir=base_dir)
    write_outputs(
        result,
        units_path=Path(outputs["units"]),
        places_path=Path(outputs["places"]),
        report_path=Path(outputs["report"]),
    )
    return result
