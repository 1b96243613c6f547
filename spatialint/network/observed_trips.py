"""Observed trips for speed calibration: a CSV of origin/destination points and minutes, or a
GeoPackage of trip lines, read into one WGS-84 table.

Planners have such trips from route-planning services (AMap, Baidu) or GPS surveys. A CSV has
the columns ``o_lon, o_lat, d_lon, d_lat, minutes`` and optionally ``time_of_day`` and ``crs``
(``wgs84`` | ``gcj02`` per row); Chinese headers are understood too (起点经度, 起点纬度, 终点经度,
终点纬度, 分钟/时长/用时, 时段, 坐标系), a unit in brackets after a header is ignored
(``时长（分钟）``), lines starting with ``#`` are comments, and a file Excel saved as GBK reads
as well as UTF-8. A GeoPackage holds one line per trip (first vertex: origin, last: destination)
and a minutes column. GCJ-02 coordinates (AMap, Tencent) are converted to WGS-84
(:func:`spatialint.publish.gcj02.gcj02_to_wgs84`).

A row with a missing or non-numeric coordinate or minutes, or minutes ≤ 0, stays in the table
with NaN; calibration lists it as ``invalid``. A file that cannot be used at all is one
:class:`~spatialint.errors.DataError` naming what is wrong.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from spatialint.errors import DataError
from spatialint.publish.gcj02 import gcj02_to_wgs84

TRIP_COLUMNS = ("trip", "o_lon", "o_lat", "d_lon", "d_lat", "minutes", "time_of_day")
"""Columns of the table :func:`read_observed_trips` returns (``trip``: row number from 1)."""

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "o_lon": ("o_lon", "origin_lon", "from_lon", "起点经度", "出发地经度"),
    "o_lat": ("o_lat", "origin_lat", "from_lat", "起点纬度", "出发地纬度"),
    "d_lon": ("d_lon", "destination_lon", "dest_lon", "to_lon", "终点经度", "目的地经度"),
    "d_lat": ("d_lat", "destination_lat", "dest_lat", "to_lat", "终点纬度", "目的地纬度"),
    "minutes": ("minutes", "minute", "min", "duration_min", "travel_min", "分钟", "时长",
                "用时", "耗时", "行程时间", "通行时间"),
    "time_of_day": ("time_of_day", "time", "hour", "时段", "出发时间", "时间"),
    "crs": ("crs", "坐标系"),
}  # fmt: skip
"""Accepted headers of each column (compared without case, spaces and a bracketed unit)."""

CRS_NAMES: dict[str, str] = {
    "wgs84": "wgs84", "wgs-84": "wgs84", "wgs 84": "wgs84", "epsg:4326": "wgs84",
    "4326": "wgs84", "gps": "wgs84",
    "gcj02": "gcj02", "gcj-02": "gcj02", "gcj": "gcj02", "火星坐标": "gcj02",
    "amap": "gcj02", "高德": "gcj02",
}  # fmt: skip
"""Names of the coordinate systems a trips file may be in (lower case)."""

CSV_ENCODINGS = ("utf-8-sig", "gb18030")
"""Encodings tried in turn: UTF-8 (with or without BOM), then GBK/GB18030 as Excel saves it
on a Chinese Windows."""


def check_crs(name: object, *, where: str) -> str:
    """``wgs84`` or ``gcj02`` for a coordinate-system name; :class:`DataError` otherwise."""
    key = str(name).strip().lower()
    if key not in CRS_NAMES:
        raise DataError(
            f"{where}: unknown coordinate system {name!r}; use wgs84 (GPS, OSM, Tianditu) or "
            "gcj02 (AMap/Gaode, Tencent). Baidu's BD-09 must be converted to GCJ-02 first."
        )
    return CRS_NAMES[key]


def _header_key(header: object) -> str:
    text = re.sub(r"[（(][^）)]*[）)]\s*$", "", str(header))
    return re.sub(r"\s+", "", text).lower()


def _rename(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The frame with its columns renamed to the canonical names it has an alias of."""
    lookup = {_header_key(a): name for name, aliases in HEADER_ALIASES.items() for a in aliases}
    renamed: dict[str, str] = {}
    for column in frame.columns:
        name = lookup.get(_header_key(column))
        if name is not None and name not in renamed.values():
            renamed[column] = name
    frame = frame.rename(columns=renamed)
    missing = [c for c in ("o_lon", "o_lat", "d_lon", "d_lat") if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: no trip coordinates (missing {', '.join(missing)}; it has "
            f"{', '.join(map(str, frame.columns)) or 'no columns'}); give o_lon, o_lat, d_lon, "
            "d_lat (or 起点经度, 起点纬度, 终点经度, 终点纬度)."
        )
    if "minutes" not in frame.columns:
        raise DataError(
            f"{path}: no minutes column (it has {', '.join(map(str, frame.columns))}); give the "
            "observed travel time in minutes as 'minutes' (or 分钟, 时长)."
        )
    return frame


def _read_csv(path: Path) -> pd.DataFrame:
    for encoding in CSV_ENCODINGS:
        try:
            return pd.read_csv(path, comment="#", encoding=encoding, skipinitialspace=True)
        except UnicodeDecodeError:
            continue
        except pd.errors.EmptyDataError:
            raise DataError(f"{path}: the trips file is empty.") from None
        except (pd.errors.ParserError, ValueError) as err:
            raise DataError(f"{path}: not a readable CSV ({err}).") from err
    raise DataError(f"{path}: neither UTF-8 nor GBK text; save the CSV as UTF-8.")


def _read_lines(path: Path) -> pd.DataFrame:
    """Trip lines of a GeoPackage as a frame of end points (lon/lat as stored, or WGS-84 when
    the layer has a projected CRS) and the other columns."""
    import geopandas as gpd
    import shapely

    try:
        lines = gpd.read_file(path)
    except Exception as err:  # noqa: BLE001 - pyogrio raises several kinds
        raise DataError(f"{path}: not a readable GeoPackage of trip lines ({err}).") from err
    if lines.crs is not None and not lines.crs.is_geographic:
        lines = lines.to_crs(4326)
    geometry = lines.geometry.to_numpy()
    kinds = set(shapely.get_type_id(geometry[~shapely.is_missing(geometry)]).tolist())
    if not geometry.size or not kinds <= {1}:  # 1: LineString
        raise DataError(
            f"{path}: no trip coordinates: the trips GeoPackage must hold one LineString per "
            "trip (origin → destination)."
        )
    start = shapely.get_point(geometry, 0)
    end = shapely.get_point(geometry, -1)
    frame = pd.DataFrame(lines.drop(columns=lines.geometry.name))
    frame = frame.drop(columns=[c for c in frame.columns if _header_key(c) in
                                {"o_lon", "o_lat", "d_lon", "d_lat"}])  # fmt: skip
    return frame.assign(o_lon=shapely.get_x(start), o_lat=shapely.get_y(start),
                        d_lon=shapely.get_x(end), d_lat=shapely.get_y(end))  # fmt: skip


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    return np.array(pd.to_numeric(frame[column], errors="coerce"), dtype=float)


def read_observed_trips(path: str | Path, crs: str = "wgs84") -> pd.DataFrame:
    """Read observed trips (CSV or GeoPackage, see the module docstring) as WGS-84.

    Parameters
    ----------
    path
        The trips file (``.csv``, or ``.gpkg`` of lines).
    crs
        Coordinate system of the file's coordinates: ``wgs84`` or ``gcj02``
        (``speeds.observed_crs``); a ``crs`` column overrides it row by row.

    Returns
    -------
    pandas.DataFrame
        :data:`TRIP_COLUMNS`, one row per trip in file order; NaN where a coordinate or the
        minutes are missing, not a number, out of range, or (minutes) not positive.

    Raises
    ------
    DataError
        The file is missing, unreadable or empty; it has no coordinates or no minutes column;
        it names an unknown coordinate system; or no row has usable numbers.
    """
    path = Path(path)
    default_crs = check_crs(crs, where=f"{path}")
    if not path.exists():
        raise DataError(f"{path} does not exist; give the observed trips file (CSV or GPKG).")
    raw = _read_lines(path) if path.suffix.lower() == ".gpkg" else _read_csv(path)
    frame = _rename(raw, path)
    if frame.empty:
        raise DataError(f"{path}: the trips file has a header but no trips.")
    o_lon, o_lat, d_lon, d_lat = (_numbers(frame, c) for c in ("o_lon", "o_lat", "d_lon", "d_lat"))
    minutes = _numbers(frame, "minutes")
    bad = ~((np.abs(o_lon) <= 180) & (np.abs(d_lon) <= 180)
            & (np.abs(o_lat) <= 90) & (np.abs(d_lat) <= 90) & (minutes > 0))  # fmt: skip
    if bad.all():
        raise DataError(
            f"{path}: no row has usable numbers (longitude/latitude in degrees and minutes > 0); "
            "check the columns and the decimal separator."
        )
    row_crs = (
        frame["crs"].fillna(default_crs).map(lambda v: check_crs(v, where=f"{path}, column crs"))
        if "crs" in frame.columns
        else pd.Series(default_crs, index=frame.index)
    ).to_numpy()
    gcj = row_crs == "gcj02"
    for lon, lat in ((o_lon, o_lat), (d_lon, d_lat)):
        lon[gcj], lat[gcj] = gcj02_to_wgs84(lon[gcj], lat[gcj])
    values = np.column_stack([o_lon, o_lat, d_lon, d_lat, minutes])
    values[bad] = np.nan
    time_of_day = (frame["time_of_day"].astype("string") if "time_of_day" in frame.columns
                   else pd.Series(pd.NA, index=frame.index, dtype="string"))  # fmt: skip
    return pd.DataFrame(
        {
            "trip": np.arange(1, len(frame) + 1, dtype=np.int64),
            **{c: values[:, i] for i, c in enumerate(("o_lon", "o_lat", "d_lon", "d_lat"))},
            "minutes": values[:, 4],
            "time_of_day": time_of_day.to_numpy(),
        }
    )
