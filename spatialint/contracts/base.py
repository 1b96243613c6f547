"""What an output table is: its columns, their dtypes, units and Chinese/English labels.

A :class:`Table` is the contract between the stage that writes a table and every stage, map,
report and workbook that reads it. The producer passes its frame through :meth:`Table.conform`
(exactly the contract's columns, in its order, with its dtypes; anything else is a bug of ours
and raises :class:`ContractError`); a consumer reads the file through
:func:`spatialint.contracts.io.read_table`, which checks it against the same contract and names
the step to re-run when an older or foreign file does not match (:class:`DataError`). Headers
of the workbooks and the report come from the labels here, so one column has one label.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from spatialint.errors import DataError

Dtype = Literal["int", "Int", "float", "str", "bool"]
"""Column kinds: ``int`` (int64, no missing value), ``Int`` (nullable Int64), ``float``
(float64 or float32; NaN = not measured), ``str`` (text; missing allowed where ``nullable``),
``bool`` (nullable as pandas ``boolean`` where ``nullable``)."""

UNIT_ZH: dict[str, str] = {
    "m": "米",
    "km": "公里",
    "km²": "平方公里",
    "min": "分钟",
    "s": "秒",
    "km/h": "公里/小时",
    "°": "度",
    "person-min": "人·分钟",
    "min/trip": "分钟/次",
}
"""Chinese of each unit, appended to the Chinese label: ``直线缺口（米）``."""

UNIT_FORMATS: dict[str, str] = {
    "m": "#,##0",
    "km": "#,##0.0",
    "km²": "#,##0.0",
    "min": "#,##0.0",
    "s": "#,##0",
    "km/h": "#,##0",
    "°": "0.000000",
    "person-min": "#,##0",
    "min/trip": "#,##0.0",
}
"""How a number of each unit is shown (an Excel number format code), in workbooks and on the
report page alike: whole metres, seconds, km/h and person-minutes; tenths of km, km² and
minutes; degrees to 1e-6 (about 0.1 m). The stored value keeps its full precision."""
INT_FORMAT = "0"
"""Integers (ids, counts, ranks): no decimals and no thousands separator (an id reads whole)."""
FLOAT_FORMAT = "#,##0.00"
"""A float without unit (a ratio, a factor) unless its column says otherwise."""
SHARE_FORMAT = "0.0%"
"""A share of 0–1 (of an area, of a population), shown as a percentage."""
TENTHS_FORMAT = "#,##0.0"
"""A value to a tenth: the 0–100 integration index, crossings per 10 km of border."""
COUNT_FORMAT = "#,##0"
"""A count kept as float (people, weighted crossings summed to whole numbers)."""
GENERAL_FORMAT = "General"
"""Text, flags, and values of mixed kinds: shown as stored."""

MODE_LABELS: dict[str, tuple[str, str]] = {
    "road": ("公路", "road"),
    "multimodal": ("公路+铁路", "road + rail"),
}
"""Travel modes, for the labels of per-mode columns."""

WGS84_EPSG = 4326


class ContractError(RuntimeError):
    """A stage produced a table that breaks its own contract: a bug of spatialint, not of the
    user's data (deliberately not a SpatialintError, so it keeps its traceback)."""


PANDAS_DTYPES = {"int": "int64", "Int": "Int64", "float": "float64", "str": object, "bool": bool}
"""The pandas dtype of each column dtype, for an empty table."""


@dataclass(frozen=True)
class Column:
    """One column of a table."""

    name: str
    dtype: Dtype
    zh: str
    en: str
    unit: str = ""
    nullable: bool = True
    number_format: str | None = None
    """Excel number format code of the column; ``None``: by its kind and unit
    (:meth:`display_format`)."""
    link: bool = False
    """The values are web addresses: workbooks make them clickable."""

    def display_format(self) -> str:
        """How the column's values are shown (an Excel number format code): its own
        ``number_format``, else :data:`INT_FORMAT` for integers, the unit's format
        (:data:`UNIT_FORMATS`) or :data:`FLOAT_FORMAT` for floats, ``General`` otherwise."""
        if self.number_format is not None:
            return self.number_format
        if self.dtype in ("int", "Int"):
            return INT_FORMAT
        if self.dtype == "float":
            return UNIT_FORMATS.get(self.unit, FLOAT_FORMAT)
        return GENERAL_FORMAT

    def label(self, language: str) -> str:
        """The header in ``zh`` or ``en``, with the unit: ``直线缺口（米）`` / ``gap (m)``."""
        if language == "zh":
            return f"{self.zh}（{UNIT_ZH.get(self.unit, self.unit)}）" if self.unit else self.zh
        return f"{self.en} ({self.unit})" if self.unit else self.en

    def bilingual(self) -> str:
        """``中文 / English`` header of a workbook."""
        zh, en = self.label("zh"), self.label("en")
        return en if zh == en else f"{zh} / {en}"


@dataclass(frozen=True)
class ColumnFamily:
    """Columns named by a pattern, one per travel mode and/or band: ``minutes_{mode}``.

    ``{mode}`` matches ``road`` or ``multimodal``; ``{band}`` a number of minutes. The labels
    use the same fields (the mode in words).
    """

    pattern: str
    dtype: Dtype
    zh: str
    en: str
    unit: str = ""
    nullable: bool = True
    number_format: str | None = None

    @property
    def regex(self) -> re.Pattern[str]:
        text = re.escape(self.pattern).replace(r"\{mode\}", "(?P<mode>road|multimodal)")
        return re.compile("^" + text.replace(r"\{band\}", r"(?P<band>\d+(?:\.\d+)?)") + "$")

    def column(self, name: str) -> Column | None:
        """The column ``name`` as a member of this family, or ``None``."""
        match = self.regex.match(name)
        if match is None:
            return None
        fields = match.groupdict()
        mode = fields.get("mode")
        zh_fields = {**fields, "mode": MODE_LABELS[mode][0]} if mode else fields
        en_fields = {**fields, "mode": MODE_LABELS[mode][1]} if mode else fields
        return Column(
            name,
            self.dtype,
            self.zh.format(**zh_fields),
            self.en.format(**en_fields),
            self.unit,
            self.nullable,
            self.number_format,
        )


@dataclass(frozen=True)
class Table:
    """The contract of one output table (a GeoPackage layer, a Parquet or CSV file, a sheet).

    Parameters
    ----------
    name
        The table's name: its GeoPackage layer and its key in :data:`spatialint.contracts.TABLES`.
    zh, en
        Its title (workbook sheet, report heading).
    stage
        The rule that writes it, named in messages about a file that does not match.
    columns
        Its fixed columns, in order.
    families
        Columns that depend on the study (per mode, per band), after the fixed ones.
    geometry
        Allowed geometry types (WGS-84), or ``None`` for a table without geometry.
    """

    name: str
    zh: str
    en: str
    stage: str
    columns: tuple[Column, ...]
    families: tuple[ColumnFamily, ...] = ()
    geometry: tuple[str, ...] | None = None

    # ---------------------------------------------------------------------------- lookup

    @property
    def names(self) -> tuple[str, ...]:
        """The fixed columns' names, in order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        """The column ``name`` (fixed, or a member of a family)."""
        for c in self.columns:
            if c.name == name:
                return c
        for family in self.families:
            member = family.column(name)
            if member is not None:
                return member
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    def label(self, name: str, language: str) -> str:
        """Header of column ``name`` in ``language``."""
        return self.column(name).label(language)

    def bilingual(self, name: str) -> str:
        """``中文 / English`` header of column ``name``."""
        return self.column(name).bilingual()

    def title(self, language: str) -> str:
        return self.zh if language == "zh" else self.en

    def _frame_columns(self, frame: pd.DataFrame) -> Iterator[str]:
        geometry = self._geometry_name(frame)
        return (str(c) for c in frame.columns if c != geometry)

    @staticmethod
    def _geometry_name(frame: pd.DataFrame) -> str | None:
        try:
            return frame.geometry.name  # type: ignore[attr-defined]
        except AttributeError:
            return None

    # ---------------------------------------------------------------------------- checks

    def problems(self, frame: pd.DataFrame) -> list[str]:
        """Every way ``frame`` breaks the contract, in words (empty when it keeps it)."""
        found = list(self._frame_columns(frame))
        out = []
        missing = [c for c in self.names if c not in found]
        if missing:
            out.append(f"missing column(s) {missing}")
        extra = [c for c in found if c not in self.names and not self._in_family(c)]
        if extra:
            out.append(f"unexpected column(s) {extra}")
        for name in found:
            if name in extra:
                continue
            problem = _dtype_problem(frame[name], self.column(name))
            if problem:
                out.append(f"column {name!r} {problem}")
        out.extend(self._geometry_problems(frame))
        return out

    def _in_family(self, name: str) -> bool:
        return any(f.column(name) is not None for f in self.families)

    def _geometry_problems(self, frame: pd.DataFrame) -> list[str]:
        geometry = self._geometry_name(frame)
        if self.geometry is None:
            return [] if geometry is None else ["has a geometry column; the table has none"]
        if geometry is None:
            return ["has no geometry column"]
        out = []
        crs = frame.crs  # type: ignore[attr-defined]
        if crs is None or crs.to_epsg() != WGS84_EPSG:
            out.append(f"is in {crs}, not WGS-84 (EPSG:4326)")
        types = set(frame.geometry.dropna().geom_type.unique())  # type: ignore[attr-defined]
        wrong = sorted(types - set(self.geometry))
        if wrong:
            out.append(f"has {wrong} geometries; expected {list(self.geometry)}")
        return out

    def empty(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """A frame without rows holding ``columns`` (default: all) with their dtypes."""
        names = self.names if columns is None else columns
        return pd.DataFrame(
            {c: pd.Series(dtype=PANDAS_DTYPES[self.column(c).dtype]) for c in names}
        )

    def conform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with the contract's columns in order and its dtypes, for writing.

        Integer columns that are nullable become Int64, float columns float; nothing is
        added, dropped or coerced from text.

        Raises
        ------
        ContractError
            If a column is missing or unexpected, or holds values of another kind.
        """
        frame = normalise_dtypes(frame, self)
        problems = self.problems(frame)
        if problems:
            raise ContractError(
                f"spatialint bug: the {self.stage} step produced table {self.name!r} that "
                f"breaks its contract: {'; '.join(problems)}."
            )
        family = [c for c in self._frame_columns(frame) if c not in self.names]
        geometry = self._geometry_name(frame)
        return frame[[*self.names, *family, *([geometry] if geometry else [])]]

    def check_read(self, frame: pd.DataFrame, *, source: str) -> pd.DataFrame:
        """``frame`` read from ``source``, checked and with the contract's dtypes.

        Raises
        ------
        DataError
            If the file does not match the contract (an older version wrote it, or it was
            edited), naming the step to re-run.
        """
        frame = normalise_dtypes(frame, self)
        problems = self.problems(frame)
        if problems:
            raise DataError(
                f"{source} does not hold the table {self.name!r} this version of spatialint "
                f"expects ({'; '.join(problems)}). It was written by another version or "
                f"edited: delete it and re-run the {self.stage} step."
            )
        return frame


def normalise_dtypes(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Lossless dtype fixes for what file formats change: nullable integers read back as
    float, integral floats of an ``Int`` column, ints in a ``float`` column, nullable booleans
    read back as 1.0 / 0.0 / NaN."""
    frame = frame.copy()
    for name in table._frame_columns(frame):
        try:
            column = table.column(name)
        except KeyError:
            continue
        series = frame[name]
        if column.dtype == "Int" and not isinstance(series.dtype, pd.Int64Dtype):
            values = series.to_numpy(dtype=float, na_value=np.nan) if _numeric(series) else None
            if values is not None and np.all(np.isnan(values) | (values == np.round(values))):
                frame[name] = pd.array(values, dtype="Int64")
        elif column.dtype == "float" and pd.api.types.is_integer_dtype(series.dtype):
            if not series.isna().any():
                frame[name] = series.astype(float)
        elif column.dtype == "bool" and series.dtype == object:
            if pd.api.types.infer_dtype(series, skipna=True) in ("boolean", "empty"):
                frame[name] = series.astype("boolean" if series.isna().any() else bool)
        elif column.dtype == "bool" and pd.api.types.is_float_dtype(series.dtype):
            # a GeoPackage boolean field with missing values reads back as 1.0 / 0.0 / NaN
            values = series.to_numpy(dtype=float)
            if np.isin(values[~np.isnan(values)], (0.0, 1.0)).all():
                frame[name] = pd.array(values, dtype="boolean")
        elif (
            column.dtype == "str"
            and len(series)
            and series.isna().all()
            and not isinstance(series.dtype, pd.StringDtype)  # a text column stays text
        ):
            frame[name] = series.astype(object)
    return frame


def _numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
        series.dtype
    )


def _dtype_problem(series: pd.Series, column: Column) -> str | None:
    """Why ``series`` does not hold ``column``'s kind of values, or ``None``."""
    dtype = series.dtype
    if not column.nullable and series.isna().any():
        return "has missing values"
    if column.dtype in ("int", "Int"):
        if not pd.api.types.is_integer_dtype(dtype):
            return f"is {dtype}, not integer"
        if column.dtype == "int" and series.isna().any():
            return "has missing values (integer column without NA)"
        return None
    if column.dtype == "float":
        return None if pd.api.types.is_float_dtype(dtype) else f"is {dtype}, not float"
    if column.dtype == "bool":
        return None if pd.api.types.is_bool_dtype(dtype) else f"is {dtype}, not bool"
    # text: a string dtype, or objects that are all text or missing
    if isinstance(dtype, pd.StringDtype):
        return None
    if pd.api.types.is_string_dtype(dtype):
        # pandas' C type inference, not a Python call per value (3.7M edges: 0.1 s, not 9 s)
        if pd.api.types.infer_dtype(series, skipna=True) not in ("string", "empty"):
            return "holds values that are not text"
        return None
    return f"is {dtype}, not text"
