"""Stage files are written atomically: a file appears complete or not at all."""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


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
