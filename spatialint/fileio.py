"""Stage files: atomic writes (a file appears complete or not at all) and checked reads."""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from spatialint.errors import DataError

if TYPE_CHECKING:
    import geopandas as gpd


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it onto ``target`` only on success.

    The temporary file lives in the same directory (so the final ``os.replace`` is atomic on
    POSIX) and keeps the target's suffix, because drivers such as GDAL pick the format from it.
    On any exception the temporary file is removed and ``target`` is left untouched; a
    temporary file left by a killed earlier write of ``target`` is removed first.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = suffix if suffix is not None else target.suffix
    # a writer killed without clean-up (SIGKILL, power cut) leaves its temporary file behind;
    # the next write of the same target removes it (one job writes a target at a time). The
    # pattern is exact (mkstemp's 8 random characters) so other targets' files never match.
    pattern = f".{glob.escape(target.name)}.{'?' * 8}{glob.escape(suffix)}"
    for stale in target.parent.glob(pattern):
        with contextlib.suppress(OSError):
            stale.unlink()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers such as GDAL refuse to overwrite an existing empty file
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def read_layer(path: str | os.PathLike[str], layer: str, *, what: str) -> gpd.GeoDataFrame:
    """Read ``layer`` of the GeoPackage a previous stage wrote at ``path``.

    Parameters
    ----------
    path
        The GeoPackage.
    layer
        The layer to read.
    what
        What the file holds, for the message (``"gaps"``, ``"admin units"``).

    Raises
    ------
    DataError
        If the file does not exist or has no such layer, naming what to rebuild.
    """
    import geopandas as gpd
    import pyogrio

    if not Path(path).exists():
        raise DataError(f"{what} {path} does not exist; run the stage that writes it first.")
    layers = [name for name, _ in pyogrio.list_layers(path)]
    if layer not in layers:
        raise DataError(f"{path} has no layer {layer!r} (it has {layers}); rebuild {what}.")
    return gpd.read_file(path, layer=layer)
