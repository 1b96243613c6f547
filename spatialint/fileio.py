"""Stage files are written atomically: a file appears complete or not at all.

A write that fails for a reason the user can fix (a full disk, a folder without write
permission, a read-only file system, a file standing where a folder is needed) ends with one
:class:`~spatialint.errors.WriteError` naming the file and what to do; the temporary file, and
any file a driver made beside it, is removed and the target keeps its previous content.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from spatialint.errors import WriteError

#: errno values of a disk (or quota) that is full.
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
#: errno values of a folder the process may not write in (EPERM: e.g. an immutable folder).
NO_PERMISSION_ERRNOS = frozenset({errno.EACCES, errno.EPERM})
#: errno values of a path whose folder is a file.
NOT_A_FOLDER_ERRNOS = frozenset({errno.ENOTDIR, errno.EEXIST})
WRITE_ERRNOS = DISK_FULL_ERRNOS | NO_PERMISSION_ERRNOS | NOT_A_FOLDER_ERRNOS | {errno.EROFS}
#: Free bytes under which a failed write is taken for a full disk. GDAL reports a full disk as
#: "Failed to commit transaction", without an errno; 1 MiB is less than any GeoPackage needs.
LOW_SPACE_BYTES = 1 << 20
#: Files SQLite (GeoPackage) may leave beside a database it was writing.
SIDECAR_SUFFIXES = ("", "-journal", "-wal", "-shm")


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it onto ``target`` only on success.

    The temporary file lives in the same directory (so the final ``os.replace`` is atomic on
    POSIX) and keeps the target's suffix, because drivers such as GDAL pick the format from it.
    On any exception the temporary file (and any SQLite sidecar of it) is removed and
    ``target`` is left untouched; a temporary file left by a killed earlier write of ``target``
    is removed first.

    Raises
    ------
    WriteError
        The write failed for want of space or permission, on a read-only file system, or
        because a file stands where the target's folder should be (see :func:`write_failure`).
    """
    target = Path(target)
    suffix = suffix if suffix is not None else target.suffix
    try:
        tmp = _fresh_temporary(target, suffix)
    except OSError as err:
        failure = write_failure(err, target)
        if failure is None:
            raise
        raise failure from err
    try:
        yield tmp
        os.replace(tmp, target)
    except (OSError, RuntimeError) as err:  # RuntimeError: GDAL's and pyosmium's I/O errors
        failure = None if isinstance(err, WriteError) else write_failure(err, target)
        if failure is None:
            raise
        raise failure from err
    finally:
        for sidecar in SIDECAR_SUFFIXES:
            with contextlib.suppress(OSError):
                Path(f"{tmp}{sidecar}").unlink()


def _fresh_temporary(target: Path, suffix: str) -> Path:
    """A new temporary path beside ``target`` (not created), after removing stale ones."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # a writer killed without clean-up (SIGKILL, power cut) leaves its temporary file behind;
    # the next write of the same target removes it (one job writes a target at a time). The
    # pattern is exact (mkstemp's 8 random characters) so other targets' files never match.
    pattern = f".{glob.escape(target.name)}.{'?' * 8}{glob.escape(suffix)}"
    for sidecar in SIDECAR_SUFFIXES:
        for stale in target.parent.glob(pattern + sidecar):
            with contextlib.suppress(OSError):
                stale.unlink()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers such as GDAL refuse to overwrite an existing empty file
    return tmp


def _os_error(err: BaseException) -> OSError | None:
    """The operating system's error behind ``err``: itself, its cause, or (for libraries that
    report it as text, such as pyosmium's ``Write failed: No space left on device``) one made
    from the ``strerror`` its message quotes."""
    for candidate in (err, err.__cause__, err.__context__):
        if isinstance(candidate, OSError) and candidate.errno in WRITE_ERRNOS:
            return candidate
    text = str(err)
    for code in sorted(DISK_FULL_ERRNOS | {errno.EROFS}):
        if os.strerror(code) in text:
            return OSError(code, os.strerror(code))
    return None


def _concerns(os_err: OSError, target: Path) -> bool:
    """True when ``os_err`` is about ``target``, its folder or a file beside it (not, say, an
    input the writer was reading)."""
    if os_err.filename is None:
        return True
    failed = Path(os.path.abspath(os_err.filename))
    folder = Path(os.path.abspath(target.parent))
    return failed == folder or failed.parent == folder or folder.is_relative_to(failed)


def _disk_is_full(folder: Path) -> bool:
    existing = next((p for p in (folder, *folder.parents) if p.is_dir()), None)
    if existing is None:
        return False
    try:
        return shutil.disk_usage(existing).free < LOW_SPACE_BYTES
    except OSError:
        return False


def write_failure(err: BaseException, target: str | os.PathLike[str]) -> WriteError | None:
    """The :class:`WriteError` for ``err`` raised while writing ``target``.

    ``None`` when ``err`` is not a failure of the write itself (a bug, unusable data, an input
    that could not be read). A failure on a disk with less than :data:`LOW_SPACE_BYTES` free is
    a full disk, whatever the library said.
    """
    target = Path(target)
    os_err = _os_error(err)
    if os_err is not None and not _concerns(os_err, target):
        return None
    if os_err is None:
        if not _disk_is_full(target.parent):
            return None
        os_err = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    return WriteError(_message(os_err, target), cause=os_err)


def _message(os_err: OSError, target: Path) -> str:
    folder = target.parent
    kept = (
        f"the previous {target.name} is unchanged"
        if target.exists()
        else "no partial file was left"
    )
    code, reason = os_err.errno, os_err.strerror or "error"
    if code in DISK_FULL_ERRNOS:
        problem = f"the disk holding {folder} is full ({reason})"
        todo = "Free space on that disk (or run from a folder on a disk with room)"
    elif code == errno.EROFS:
        problem = f"{folder} is on a read-only file system"
        todo = "Run from a copy of the workflow on a writable disk"
    elif code in NOT_A_FOLDER_ERRNOS:
        problem = f"{_blocking_file(folder)} is a file where a folder is needed"
        todo = "Move or rename that file"
    else:
        problem = f"there is no permission to write in {folder} ({reason})"
        todo = (
            f"Make the folder writable for you (e.g. chmod u+w {folder}) or run from a folder "
            "you may write in"
        )
    return f"Could not write {target}: {problem}; {kept}. {todo}, then run the same command again."


def _blocking_file(folder: Path) -> Path:
    """The file standing in ``folder``'s path (the folder itself when none is found)."""
    for part in (folder, *folder.parents):
        if part.exists() and not part.is_dir():
            return part
    return folder
