"""Writing OSM files with pyosmium, so that a failed write ends with its message.

When pyosmium's writer fails (a full disk: ``RuntimeError: Write failed: No space left on
device``), libosmium throws again when the writer object is destroyed, and the C++ runtime
aborts the whole process ("terminate called ...", exit status 134) before the step can report.
:func:`osm_writer` closes the writer itself and keeps a writer that failed alive for the rest
of the process, so the error reaches :func:`spatialint.fileio.atomic_path` and the step's log.
"""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Iterator
from pathlib import Path

import osmium


@contextlib.contextmanager
def osm_writer(
    path: str | Path, *, header: osmium.io.Header | None = None
) -> Iterator[osmium.SimpleWriter]:
    """pyosmium's ``SimpleWriter`` for ``path`` (which must not exist, with an optional file
    ``header``), closed on leaving."""
    writer = (
        osmium.SimpleWriter(str(path))
        if header is None
        else osmium.SimpleWriter(str(path), header=header)
    )
    try:
        yield writer
    except BaseException:
        with contextlib.suppress(RuntimeError):  # the first error is the one to report
            _close(writer)
        raise
    _close(writer)


def _close(writer: osmium.SimpleWriter) -> None:
    try:
        writer.close()
    except RuntimeError:
        # never destroyed: its destructor would throw again and abort the process
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(writer))
        raise
