"""A lock left by a killed run: the run it stops says exactly what to run; no lock is removed.

The real thing (a SIGKILLed run, then the blocked rerun) is in test_resume.py; here the lock
files are written as Snakemake writes them (``.snakemake/locks/<n>.input.lock`` and
``<n>.output.lock``, one file path a line) into a copy of the shared demo run.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from spatialint.runlock import (
    LOCK_DIR,
    commands,
    is_snakemake_command,
    lock_files,
    other_snakemake_running,
    watch_for_stale_lock,
)
from tests.pipeline_runs import SNAKEMAKE, clone_run, output_of, snakemake

HINT = "spatialint: Snakemake's lock from an earlier run that was killed"


def write_killed_runs_lock(workdir: Path) -> dict[str, str]:
    """The locks a demo run killed during its map and report jobs leaves (as Snakemake writes
    them: the inputs of the run's jobs, and the outputs of the jobs it had to run)."""
    locks = workdir / LOCK_DIR
    locks.mkdir(parents=True, exist_ok=True)  # a dry run leaves the folder, empty
    files = {
        "0.input.lock": "\n".join(
            ["maps/demo/index.html", "maps/demo/report.html", "data/demo/osm/extract.osm.pbf"]
        )
        + "\n",
        "0.output.lock": "maps/demo/report.html\ndata/demo/results/report.xlsx\n"
        "data/demo/results/spatialint.gpkg\nmaps/demo/index.html\n",
    }
    for name, text in files.items():
        (locks / name).write_text(text, encoding="utf-8")
    return files


@pytest.mark.pipeline
def test_a_stale_lock_is_explained_and_left_to_snakemake(demo_run: Path, tmp_path: Path) -> None:
    workdir = clone_run(demo_run, tmp_path / "run")
    files = write_killed_runs_lock(workdir)

    blocked = snakemake(workdir, "--cores", "1", "--config", "studies=[demo]", timeout=300)
    output = output_of(blocked)
    assert blocked.returncode != 0
    assert "Directory cannot be locked" in output  # Snakemake's own refusal
    assert output.count(HINT) == 1, output[-3000:]
    unlock, again = commands([SNAKEMAKE, "--cores", "1", "--config", "studies=[demo]"])
    assert f"    {unlock}\n    {again}\n" in output
    assert unlock.endswith("snakemake --unlock --config 'studies=[demo]'"), unlock
    assert "Traceback" not in output
    # the lock is Snakemake's to remove: untouched
    assert {p.name: p.read_text(encoding="utf-8") for p in (workdir / LOCK_DIR).iterdir()} == files

    # a dry run it does not cover says nothing; one it covers says it too
    other = snakemake(workdir, "-n", "--config", "studies=[broken]", timeout=300)
    assert HINT not in output_of(other)
    assert HINT in output_of(snakemake(workdir, "-n", timeout=300))

    unlocked = snakemake(workdir, "--unlock", timeout=300)
    assert unlocked.returncode == 0 and HINT not in output_of(unlocked)
    assert not (workdir / LOCK_DIR).exists()
    done = snakemake(workdir, "--cores", "1", timeout=300)
    assert done.returncode == 0 and HINT not in output_of(done)
    assert "Nothing to be done" in output_of(done)


def test_commands_repeat_what_locates_the_workflow() -> None:
    snakemake_on_path = shutil.which("snakemake")
    program = snakemake_on_path or "/opt/venv/bin/snakemake"
    name = "snakemake" if snakemake_on_path else program
    assert commands([program, "--cores", "2"]) == (f"{name} --unlock", f"{name} --cores 2")
    unlock, again = commands(
        [program, "--cores", "2", "-s", "../repo/Snakefile", "--config", "studies=[a,b]", "x=1",
         "-n", "--directory=/data/run"]
    )  # fmt: skip
    assert unlock == (
        f"{name} --unlock -s ../repo/Snakefile --config 'studies=[a,b]' x=1 --directory=/data/run"
    )
    assert again == (
        f"{name} --cores 2 -s ../repo/Snakefile --config 'studies=[a,b]' x=1 -n "
        "--directory=/data/run"
    )
    main = "/venv/lib/python3.11/site-packages/snakemake/__main__.py"
    assert commands([main, "-n"]) == ("python -m snakemake --unlock", "python -m snakemake -n")
    assert is_snakemake_command([main]) and not is_snakemake_command(["/usr/bin/pytest"])


def test_a_lock_of_a_running_snakemake_is_not_stale(tmp_path: Path) -> None:
    write_killed_runs_lock(tmp_path)
    assert lock_files(tmp_path)
    assert not other_snakemake_running(tmp_path)
    # a process whose program is called snakemake, working in the folder
    program = tmp_path / "bin" / "snakemake"
    program.parent.mkdir()
    program.write_text("import time\ntime.sleep(60)\n", encoding="utf-8")
    running = subprocess.Popen([sys.executable, str(program)], cwd=tmp_path)
    try:
        assert other_snakemake_running(tmp_path)
        assert not other_snakemake_running(tmp_path / "bin")
    finally:
        running.kill()
        running.wait()


def test_no_lock_no_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registered = []
    monkeypatch.setattr("atexit.register", registered.append)
    assert not watch_for_stale_lock(tmp_path, ["snakemake", "--cores", "2"])
    write_killed_runs_lock(tmp_path)
    assert not watch_for_stale_lock(tmp_path, ["/usr/bin/python", "workflow/scripts/gaps.py"])
    assert registered == []
    assert watch_for_stale_lock(tmp_path, ["snakemake", "-n"], locked=lambda: False)
    assert len(registered) == 1
