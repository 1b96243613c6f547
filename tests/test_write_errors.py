"""A step that cannot write its output: one message naming the file and what to do, nothing lost.

A full disk, a folder without write permission (or read-only), a file where a folder should be:
the step ends with one log line from ``run_step`` (no traceback), the previous output keeps its
bytes, and no temporary file is left beside it (``spatialint.fileio.atomic_path``).
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest

from spatialint.errors import WriteError
from spatialint.fileio import atomic_path
from spatialint.logs import run_step
from tests.conftest import REPO_ROOT
from tests.tiny_study import OUTPUTS, make_tiny_study, run_admin


@pytest.fixture
def study(tmp_path: Path) -> tuple[Path, Path]:
    """The tiny study's extract and units file (inputs of the admin stage)."""
    return make_tiny_study(tmp_path / "inputs")


def contents(folder: Path) -> dict[str, bytes]:
    """Every file in ``folder`` (hidden ones too) with its bytes."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def one_error(capsys: pytest.CaptureFixture, step) -> str:
    """Run ``step`` as a pipeline step; it must end with exit status 1 and one ERROR line."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        run_step(step)
    assert exited.value.code == 1
    lines = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in lines if " ERROR " in line]
    assert len(errors) == 1, lines
    assert "Traceback" not in "\n".join(lines)
    return errors[0]


def test_full_disk_while_a_stage_writes(
    study: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    pbf, units = study
    folder = tmp_path / "network"
    run_admin(pbf, units, folder)
    before = contents(folder)
    assert sorted(before) == sorted(OUTPUTS)

    def half_written(self, path, *args, **kwargs):  # GDAL got part of the way
        Path(path).write_bytes(b"SQLite format 3\x00" + b"\x00" * 1000)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", half_written)
    error = one_error(capsys, lambda: run_admin(pbf, units, folder))
    target = folder / "admin_units.gpkg"
    assert f"Could not write {target}: the disk holding {folder} is full" in error
    assert "the previous admin_units.gpkg is unchanged" in error and "Free space" in error
    assert contents(folder) == before  # the old output intact, no temporary file left


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody may write in: chmod, or (as root, whom chmod does not stop) the
    immutable attribute; skipped where neither works."""
    folder = tmp_path / "network"
    folder.mkdir()
    (folder / "admin_report.txt").write_text("from the last run\n", encoding="utf-8")
    folder.chmod(0o555)
    immutable = False
    if os.access(folder, os.W_OK) and shutil.which("chattr"):
        immutable = subprocess.run(["chattr", "+i", str(folder)], check=False).returncode == 0
    try:
        (folder / "probe").touch()
    except OSError:
        yield folder
    else:
        (folder / "probe").unlink()
        pytest.skip("no way to make a folder read-only here")
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


def test_read_only_folder(
    study: tuple[Path, Path], read_only_folder: Path, capsys: pytest.CaptureFixture
) -> None:
    pbf, units = study
    before = contents(read_only_folder)
    error = one_error(capsys, lambda: run_admin(pbf, units, read_only_folder))
    assert f"Could not write {read_only_folder / 'admin_units.gpkg'}" in error
    assert f"there is no permission to write in {read_only_folder}" in error
    assert f"chmod u+w {read_only_folder}" in error
    assert contents(read_only_folder) == before


def test_a_file_where_the_output_folder_should_be(
    study: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    pbf, units = study
    blocker = tmp_path / "data"
    blocker.write_text("not a folder", encoding="utf-8")
    error = one_error(capsys, lambda: run_admin(pbf, units, blocker / "demo" / "network"))
    assert f"{blocker} is a file where a folder is needed" in error
    assert "Move or rename that file" in error
    assert blocker.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (RuntimeError("Write failed: No space left on device"), "is full"),  # pyosmium
        (OSError(errno.EROFS, os.strerror(errno.EROFS)), "read-only file system"),
        (OSError(errno.EDQUOT, os.strerror(errno.EDQUOT)), "is full"),
    ],
)
def test_write_failures_as_libraries_report_them(
    tmp_path: Path, raised: Exception, expected: str
) -> None:
    target = tmp_path / "extract.osm.pbf"
    target.write_bytes(b"the last good extract")
    with pytest.raises(WriteError, match=expected) as failed, atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise raised
    assert str(target) in str(failed.value)
    assert failed.value.errno in {errno.ENOSPC, errno.EROFS, errno.EDQUOT}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["extract.osm.pbf"]
    assert target.read_bytes() == b"the last good extract"


def test_other_errors_pass_through_untouched(tmp_path: Path) -> None:
    source = tmp_path / "elsewhere" / "input.gpkg"
    with pytest.raises(PermissionError), atomic_path(tmp_path / "out.gpkg"):
        raise PermissionError(errno.EACCES, "Permission denied", str(source))  # an input
    with pytest.raises(ValueError, match="a bug"), atomic_path(tmp_path / "out.gpkg"):
        raise ValueError("a bug")
    assert list(tmp_path.iterdir()) == []


_ON_A_FULL_DISK = """
import sys
from pathlib import Path
from spatialint.logs import run_step
from spatialint.osm.extract import clip_extract
from spatialint.settings import AreaSettings

area = AreaSettings.from_config({"buffer_km": 0}, where="area")
run_step(lambda: clip_extract(Path(sys.argv[1]), Path(sys.argv[2]), area=area, levels=[8]))
"""


@pytest.mark.realdata
def test_osm_writer_on_a_really_full_disk(monaco_pbf: Path, tmp_path: Path) -> None:
    """pyosmium's writer on a full disk: one message and exit status 1, not a C++ abort."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here")
    try:
        target = disk / "osm" / "extract.osm.pbf"
        result = subprocess.run(
            [sys.executable, "-c", _ON_A_FULL_DISK, str(monaco_pbf), str(target)],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        )
        errors = [line for line in result.stderr.splitlines() if " ERROR " in line]
        assert result.returncode == 1, result.stderr
        assert len(errors) == 1 and f"Could not write {target}" in errors[0], result.stderr
        assert "is full" in errors[0] and "terminate called" not in result.stderr
        assert list((disk / "osm").iterdir()) == []
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_a_log_file_that_cannot_be_written(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    blocker = tmp_path / "logs"
    blocker.write_text("a file named like the log folder", encoding="utf-8")
    capsys.readouterr()
    ran = []
    with pytest.raises(SystemExit) as exited:
        run_step(lambda: ran.append(1), log_path=blocker / "demo" / "gaps.log")
    assert exited.value.code == 1 and ran == []
    errors = [line for line in capsys.readouterr().err.splitlines() if " ERROR " in line]
    assert len(errors) == 1 and f"Could not write {blocker / 'demo' / 'gaps.log'}" in errors[0]
