"""Fingerprints of a study's pipeline outputs, to prove a refactoring left the results unchanged.

``fingerprint(root, study)`` reads every table, layer, array and workbook the pipeline writes for
``study`` under ``root`` (``data/<study>/``) and reduces it to plain JSON: small tables value by
value (numbers rounded to what the outputs mean, so a diff is readable), large ones and
geometries as digests of their rounded values. Maps and the report page are left out: they
carry a generation time and Folium's random element ids; their layer data is tested in
``test_maps.py``.

The golden file ``tests/golden/<study>.json`` is the fingerprint of a run of ``main`` before the
change it guards. Regenerate it only for an intended change of the results, and say which in
the commit::

    python -m tests.golden <run folder> demo > tests/golden/demo.json
    python -m tests.golden <run folder> demo --compare tests/golden/demo.json   # what differs
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: Tables with at most this many rows are kept value by value; longer ones as digests.
SMALL_TABLE_ROWS = 40
#: Decimals kept of floating-point values (metres, minutes, shares, degrees: 1e-4 of each).
FLOAT_DECIMALS = 4
#: Decimals kept of coordinates in geometry digests (1e-6 degree, about 0.1 m).
COORD_DECIMALS = 6
#: Files whose content is not a result (or carries a run's time).
SKIPPED_SUFFIXES = (".html", ".log", ".txt")


def _digest(values: Any) -> str:
    return hashlib.sha256(json.dumps(values, ensure_ascii=False).encode()).hexdigest()[:16]


def _plain(value: Any) -> Any:
    """A cell as JSON: floats rounded, missing values None, numpy scalars unwrapped."""
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return None
        return round(float(value), FLOAT_DECIMALS) + 0.0  # + 0.0: no "-0.0"
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _geometry_values(geoms: Any) -> list[Any]:
    import shapely

    arr = np.asarray(geoms, dtype=object)
    rounded = shapely.transform(arr, lambda xy: np.round(xy, COORD_DECIMALS))
    return [None if g is None else g.wkt for g in rounded]


def _column(series: pd.Series) -> list[Any]:
    from shapely.geometry.base import BaseGeometry

    first = series.dropna().head(1)
    if len(first) and isinstance(first.iloc[0], BaseGeometry | bytes):
        geoms = series
        if isinstance(first.iloc[0], bytes):
            import shapely

            geoms = pd.Series(shapely.from_wkb(series.to_numpy()), index=series.index)
        return _geometry_values(geoms.to_numpy())
    return [_plain(v) for v in series.tolist()]


def table_fingerprint(frame: pd.DataFrame) -> dict[str, Any]:
    """Rows, columns and each column's (rounded) values or their digest."""
    out: dict[str, Any] = {"rows": len(frame), "columns": [str(c) for c in frame.columns]}
    values = {str(c): _column(frame[c]) for c in frame.columns}
    if len(frame) <= SMALL_TABLE_ROWS:
        out["values"] = {
            c: (v if c != "geometry" else [_digest(g) for g in v]) for c, v in values.items()
        }
    else:
        out["digests"] = {c: _digest(v) for c, v in values.items()}
    return out


def _array_fingerprint(array: np.ndarray) -> dict[str, Any]:
    if array.dtype.kind == "f":
        rounded = np.round(array.astype(np.float64), FLOAT_DECIMALS)
        payload = [None if np.isnan(v) else float(v) for v in rounded.ravel()]
    else:
        payload = array.ravel().tolist()
    return {"shape": list(array.shape), "digest": _digest(payload)}


def file_fingerprint(path: Path) -> Any:
    """The fingerprint of one output file, by its kind."""
    import openpyxl
    import pyogrio

    name = path.name
    if name.endswith(".parquet"):
        return table_fingerprint(pd.read_parquet(path))
    if name.endswith(".gpkg"):
        return {
            layer: table_fingerprint(pyogrio.read_dataframe(path, layer=layer))
            for layer in sorted(pyogrio.list_layers(path)[:, 0])
        }
    if name.endswith(".csv"):
        return table_fingerprint(pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False))
    if name.endswith(".npz"):
        with np.load(path, allow_pickle=False) as arrays:
            return {key: _array_fingerprint(arrays[key]) for key in sorted(arrays.files)}
    if name.endswith(".xlsx"):
        book = openpyxl.load_workbook(path, read_only=True)
        try:
            sheets = {}
            for sheet in book.worksheets:
                rows = [[_plain(v) for v in row] for row in sheet.iter_rows(values_only=True)]
                sheets[sheet.title] = {
                    "header": rows[0] if rows else [],
                    "rows": len(rows) - 1,
                    "digest": _digest(rows[1:]),
                }
            return sheets
        finally:
            book.close()
    if name.endswith(".json"):
        return json.loads(path.read_text(encoding="utf-8"))
    if name.endswith(".tif"):
        import rasterio

        with rasterio.open(path) as src:
            return {
                "crs": src.crs.to_string(), "transform": list(src.transform)[:6],
                "nodata": src.nodata, "band1": _array_fingerprint(src.read(1)),
            }  # fmt: skip
    if name.endswith(".zip"):  # the demo's GTFS feed: each member's bytes
        import hashlib
        import zipfile

        with zipfile.ZipFile(path) as archive:
            return {
                member: hashlib.sha256(archive.read(member)).hexdigest()[:16]
                for member in sorted(archive.namelist())
            }
    if name.endswith(".png"):
        return "png"  # a picture: that it is there (its pixels follow matplotlib and fonts)
    if name.endswith(".osm.pbf"):
        import osmium

        counts = {"n": 0, "w": 0, "r": 0}  # nodes, ways, relations
        for obj in osmium.FileProcessor(str(path)):
            counts[obj.type_str()] += 1
        return counts
    raise ValueError(f"no fingerprint for {path}")


def fingerprint(root: Path, study: str) -> dict[str, Any]:
    """Fingerprint of every result file of ``study`` under ``root/data/<study>``."""
    base = Path(root) / "data" / study
    out: dict[str, Any] = {}
    for path in sorted(base.rglob("*")):
        if not path.is_file() or path.name.startswith(".") or path.suffix in SKIPPED_SUFFIXES:
            continue
        out[str(path.relative_to(base))] = file_fingerprint(path)
    return out


def differences(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Where two fingerprints differ, as readable paths (``file/layer/column[row]``)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for key in sorted(set(expected) | set(actual), key=str):
            if key not in actual:
                out.append(f"{where}/{key}: missing")
            elif key not in expected:
                out.append(f"{where}/{key}: unexpected")
            else:
                out.extend(differences(expected[key], actual[key], f"{where}/{key}"))
        return out
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        out = []
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            out.extend(differences(e, a, f"{where}[{i}]"))
        return out
    return [] if expected == actual else [f"{where}: expected {expected!r}, got {actual!r}"]


def main(argv: list[str]) -> int:
    """``python -m tests.golden RUN STUDY`` prints the fingerprint; with ``--compare GOLDEN`` the
    differences from a golden file instead (exit status 1 when there are any)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tests.golden")
    parser.add_argument("run", type=Path, help="folder of a pipeline run (holds data/<study>)")
    parser.add_argument("study")
    parser.add_argument("--compare", type=Path, help="golden JSON to compare the run with")
    args = parser.parse_args(argv)
    found = fingerprint(args.run, args.study)
    if args.compare is None:
        json.dump(found, sys.stdout, ensure_ascii=False, indent=1, sort_keys=True)
        sys.stdout.write("\n")
        return 0
    diff = differences(json.loads(args.compare.read_text(encoding="utf-8")), found)
    print("\n".join(diff) if diff else "no differences")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
