"""Reading and writing contract tables: GeoPackage layers, GeoParquet, CSV and XLSX.

Every write is atomic (:func:`spatialint.fileio.atomic_path`) and passes the frame through its
contract first; every read checks the file against the contract. CSV files are UTF-8 with a
BOM, so Excel shows Chinese correctly; workbooks have one sheet per table under one header row
``中文 / English`` from the contract's labels, frozen, with a filter.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from spatialint.contracts.base import Table
from spatialint.errors import DataError
from spatialint.fileio import atomic_path

PathArg = str | os.PathLike[str]

XLSX_COLUMN_WIDTH = (10, 40)
"""Narrowest and widest column of a workbook sheet, in characters."""


def write_table(frame: pd.DataFrame, table: Table, path: PathArg) -> pd.DataFrame:
    """Write ``frame`` as ``table`` to a GeoParquet/Parquet file or a one-layer GeoPackage.

    Returns the conformed frame that was written.
    """
    frame = table.conform(frame)
    suffix = Path(path).suffix
    with atomic_path(path) as tmp:
        if suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        elif suffix == ".gpkg":
            frame.to_file(tmp, layer=table.name, driver="GPKG")
        elif suffix == ".csv":
            _to_csv(frame, tmp)
        else:
            raise ValueError(f"no writer for {path}")
    return frame


def write_layers(path: PathArg, layers: Mapping[Table, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Write several tables as layers of one GeoPackage, all or none."""
    written = {}
    with atomic_path(path) as tmp:
        for table, frame in layers.items():
            frame = table.conform(frame)
            frame.to_file(tmp, layer=table.name, driver="GPKG")
            written[table.name] = frame
    return written


WKT_DECIMALS = 6
"""Decimals of WKT coordinates in CSV files (1e-6 degree, about 0.1 m)."""
GEOMETRY_WKT_COLUMN = "geometry_wkt"
"""The last column of a CSV written with its geometry: WKT in WGS-84, which QGIS's delimited-text
layer and Excel's Power Query read."""


def write_csv(frame: pd.DataFrame, table: Table, path: PathArg, *, wkt: bool = False) -> None:
    """Write ``table`` as UTF-8-with-BOM CSV under its column names; the geometry is left out,
    or with ``wkt`` written as WKT in a last column ``geometry_wkt``."""
    frame = table.conform(frame)
    with atomic_path(path) as tmp:
        _to_csv(frame, tmp, wkt=wkt)


def _to_csv(frame: pd.DataFrame, path: PathArg, *, wkt: bool = False) -> None:
    geometry = Table._geometry_name(frame)
    plain = pd.DataFrame(frame.drop(columns=geometry or [], errors="ignore"))
    if wkt and geometry:
        geoms = frame[geometry].to_numpy()
        plain[GEOMETRY_WKT_COLUMN] = shapely.to_wkt(geoms, rounding_precision=WKT_DECIMALS)
    plain.to_csv(path, index=False, encoding="utf-8-sig")


def read_table(path: PathArg, table: Table) -> pd.DataFrame:
    """Read ``table`` from the file a stage wrote at ``path`` and check it.

    A GeoPackage is read at the layer named after the table.

    Raises
    ------
    DataError
        If the file or layer is missing, or does not match the contract.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path} does not exist; run the {table.stage} step first.")
    if path.suffix == ".parquet":
        frame = gpd.read_parquet(path) if table.geometry else pd.read_parquet(path)
    elif path.suffix == ".gpkg":
        import pyogrio

        layers = [name for name, _ in pyogrio.list_layers(path)]
        if table.name not in layers:
            raise DataError(
                f"{path} has no layer {table.name!r} (it has {layers}); re-run the "
                f"{table.stage} step."
            )
        frame = gpd.read_file(path, layer=table.name)
        if table.geometry is None:
            frame = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
    elif path.suffix == ".csv":
        frame = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    else:
        raise ValueError(f"no reader for {path}")
    return table.check_read(frame, source=f"{path}" + (f" layer {table.name!r}"
                            if path.suffix == ".gpkg" else ""))  # fmt: skip


def write_workbook(
    path: PathArg, sheets: Mapping[Table, pd.DataFrame], *, checked: bool = True
) -> None:
    """One XLSX workbook: a sheet per table, titled ``中文 English``, one header row
    ``中文 / English`` from the contract, panes frozen below it and an autofilter.

    Geometry is left out (it is in the GeoPackage). With ``checked`` each frame is conformed
    to its contract first; report tables built for reading only pass ``checked=False``.
    """
    from openpyxl.utils import get_column_letter

    with atomic_path(path) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        used: set[str] = set()
        for table, frame in sheets.items():
            if checked:
                frame = table.conform(frame)
            plain = pd.DataFrame(
                frame.drop(columns=Table._geometry_name(frame) or [], errors="ignore")
            )
            headers = [table.bilingual(str(c)) for c in plain.columns]
            sheet = _sheet_name(table, used)
            plain.to_excel(writer, sheet_name=sheet, index=False, header=headers)
            ws = writer.sheets[sheet]
            ws.freeze_panes = "A2"
            if len(plain.columns):
                ws.auto_filter.ref = f"A1:{get_column_letter(len(plain.columns))}{len(plain) + 1}"
            for i, header in enumerate(headers, start=1):
                width = min(max(XLSX_COLUMN_WIDTH[0], len(header) + 2), XLSX_COLUMN_WIDTH[1])
                ws.column_dimensions[get_column_letter(i)].width = width


def _sheet_name(table: Table, used: set[str]) -> str:
    """``中文 English`` title of ``table``, cut to Excel's 31 characters, unique."""
    for name in (f"{table.zh} {table.en}"[:31], table.en[:31], table.name[:31]):
        if name not in used:
            used.add(name)
            return name
    raise ValueError(f"sheet name of {table.name!r} repeats")
