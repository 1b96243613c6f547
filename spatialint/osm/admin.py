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
    """The polygons of ``admin.file`` in WGS-84, checked for a CRS and the name column."""
    if not path.exists():
        raise ConfigError(f"admin.file {path} does not exist; check the path.")
    try:
        frame = gpd.read_file(path)
    except Exception as err:  # pyogrio's DataSourceError family
        raise ConfigError(f"admin.file {path} could not be read: {err}") from err
    if frame.crs is None:
        raise ConfigError(
            f"admin.file {path} has no coordinate reference system; save it with one "
            "(e.g. EPSG:4490 for CGCS2000) — a missing CRS is never guessed."
        )
    if name_column not in frame.columns:
        raise ConfigError(
            f"admin.file {path} has no column {name_column!r} (admin.name_column); its columns "
            f"are: {', '.join(c for c in frame.columns if c != 'geometry')}."
        )
    frame = frame[frame.geom_type.isin(["Polygon", "MultiPolygon"])].to_crs(WGS84)
    if frame.empty:
        raise ConfigError(f"admin.file {path} holds no polygon.")
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
        return AdminResult(
            units=from_file.units, places=from_osm.places, source=f"admin.file {path}"
        )
    result = units_from_osm(pbf, levels=levels)
    if result.units.empty:
        names = ", ".join(f"{u.name} ({u.reason})" for u in result.incomplete) or "none found"
        raise DataError(
            f"No admin unit at admin_level {levels} could be built from {pbf} (relations at "
            f"those levels: {names}). Check admin.levels against the data, widen area.buffer_km "
            "or the source extract, or give admin.file."
        )
    return result


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
