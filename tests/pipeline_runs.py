"""Running the workflow in throw-away folders.

The whole suite shares one pipeline run (:func:`shared_two_study_run`, the ``demo_run``
fixture of ``conftest.py``): the demo plus a study whose PBF is corrupt, run through the
generic cluster executor, so that one run also proves the studies are independent branches and
the rules share nothing but files. Tests that only *read* outputs use it as it is; tests that
*change* a run work on a copy of it (:func:`clone_run`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import AN_ORIGIN, REPO_ROOT

SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
#: A "cluster" whose submit command starts the jobscript in the background and prints its pid:
#: every job runs in its own process, sharing nothing with Snakemake but the file system.
SUBMIT_SCRIPT = """#!/bin/bash
nohup bash "$1" > "$1.out" 2>&1 &
echo $!
"""
_RUNS: dict[str, tuple[Path, subprocess.CompletedProcess[str]]] = {}


def snakemake(
    workdir: Path, *args: str, timeout: int = 900, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run snakemake in ``workdir`` (niced: the machine is shared) and capture its output."""
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})}
    return subprocess.run(
        ["nice", "-n", "10", SNAKEMAKE, *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=environment,
    )


def output_of(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def workflow_copy(folder: Path) -> Path:
    """A copy of the workflow (Snakefile + workflow/) in ``folder``; outputs land there."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO_ROOT / "Snakefile", folder / "Snakefile")
    shutil.copytree(REPO_ROOT / "workflow", folder / "workflow")
    # profiles/ -> workflow/profiles: where Snakemake looks for the default workflow profile
    # when the Snakefile is at the top (it searches profiles/default beside the Snakefile)
    shutil.copy2(REPO_ROOT / "profiles", folder / "profiles", follow_symlinks=False)
    return folder


def clone_run(source: Path, target: Path) -> Path:
    """A copy of a finished run (files, mtimes and Snakemake's metadata) to change freely."""
    shutil.copytree(source, target, symlinks=True)
    return target


def write_study(workdir: Path, name: str, study: dict) -> Path:
    path = workdir / "workflow" / "config" / "studies" / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"name": name, **study}, allow_unicode=True), encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its (mtime in ns, size): to prove nothing was touched."""
    return {
        str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def job_stats(output: str) -> dict[str, int]:
    """The 'Job stats' table Snakemake prints before running: rule -> number of jobs."""
    match = re.search(r"Job stats:\n(.*?)\n\s*total\s+\d+", output, flags=re.S)
    if match is None:
        return {}
    stats: dict[str, int] = {}
    for line in match.group(1).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            stats[parts[0]] = int(parts[1])
    return stats


CORRUPT_STUDY = {
    "title": "A study whose PBF is corrupt",
    "source": {"kind": "pbf", "url": ""},  # url filled in with an absolute path
    "access": {"origins": [AN_ORIGIN]},
}


def shared_two_study_run(
    factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The demo and a broken second study, run once per session through cluster-generic.

    The broken study ``broken`` reads a PBF of random bytes, so its first step fails; the
    default profile's ``keep-going`` lets the demo's branch of the DAG finish.
    """
    if "two" not in _RUNS:
        workdir = workflow_copy(factory.mktemp("two_studies"))
        corrupt = workdir / "corrupt.osm.pbf"
        corrupt.write_bytes(b"\x00\x00\x00\x0dnot a PBF at all" + os.urandom(4000))
        write_study(
            workdir,
            "broken",
            {**CORRUPT_STUDY, "source": {"kind": "pbf", "url": str(corrupt)}},
        )
        submit = workdir / "submit.sh"
        submit.write_text(SUBMIT_SCRIPT, encoding="utf-8")
        submit.chmod(0o755)
        result = snakemake(
            workdir,
            "--executor",
            "cluster-generic",
            "--cluster-generic-submit-cmd",
            str(submit),
            "--jobs",
            "2",
            "--seconds-between-status-checks",
            "1",
            "--config",
            "studies=[demo,broken]",
            timeout=1500,
        )
        _RUNS["two"] = (workdir, result)
    return _RUNS["two"]


def check_outputs_valid(workdir: Path, study: str) -> list[Path]:
    """Open every output of ``study`` with its reader; return the files checked.

    Hidden files (``.<name>.*``, the temporary files of :func:`spatialint.fileio.atomic_path`)
    are not outputs and are skipped.
    """
    import json

    import numpy as np
    import openpyxl
    import osmium
    import pandas as pd
    import pyogrio

    checked = []
    for folder in (workdir / "data" / study, workdir / "maps" / study):
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or path.name.startswith("."):
                continue
            suffix = "".join(path.suffixes[-2:]) if path.name.endswith(".osm.pbf") else path.suffix
            if suffix == ".parquet":
                pd.read_parquet(path)
            elif suffix == ".gpkg":
                layers = pyogrio.list_layers(path)
                assert len(layers), path
                for layer in layers[:, 0]:
                    pyogrio.read_dataframe(path, layer=layer)
            elif suffix == ".npz":
                with np.load(path, allow_pickle=False) as arrays:
                    for key in arrays.files:
                        arrays[key]
            elif suffix == ".csv":
                pd.read_csv(path, encoding="utf-8-sig")
            elif suffix == ".xlsx":
                openpyxl.load_workbook(path, read_only=True).close()
            elif suffix == ".html":
                assert path.read_text(encoding="utf-8").rstrip().endswith("</html>"), path
            elif suffix == ".json":
                json.loads(path.read_text(encoding="utf-8"))
            elif suffix == ".osm.pbf":
                assert sum(1 for _ in osmium.FileProcessor(str(path))) > 0, path
            else:
                assert path.stat().st_size > 0, path
            checked.append(path)
    return checked
