"""The pipeline as a user runs it: snakemake on the demo, and bad configs stopped up front."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO_ROOT

SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


def snakemake(workdir: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SNAKEMAKE, *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def workflow_copy(tmp: Path) -> Path:
    """A copy of the workflow (Snakefile + workflow/) in a fresh folder, outputs kept apart."""
    shutil.copy2(REPO_ROOT / "Snakefile", tmp / "Snakefile")
    shutil.copytree(REPO_ROOT / "workflow", tmp / "workflow")
    return tmp


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Run the default config (the demo study) end to end once for this module."""
    workdir = workflow_copy(tmp_path_factory.mktemp("pipeline"))
    result = snakemake(workdir, "--cores", "2")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    return workdir, output


@pytest.mark.pipeline
def test_demo_run_writes_map_and_results(demo_run: tuple[Path, str]) -> None:
    workdir, _ = demo_run
    index = workdir / "maps" / "demo" / "index.html"
    assert index.stat().st_size > 10_000
    assert "leaflet" in index.read_text(encoding="utf-8").lower()
    for relative in [
        "maps/demo/report.html",
        "data/demo/results/report.xlsx",
        "data/demo/results/spatialint.gpkg",
        "data/demo/access/isochrones.gpkg",
        "data/demo/gaps/gaps.gpkg",
        "data/demo/integration/corridors.gpkg",
    ]:
        assert (workdir / relative).stat().st_size > 0, relative


@pytest.mark.pipeline
def test_second_run_has_nothing_to_do(demo_run: tuple[Path, str]) -> None:
    workdir, _ = demo_run
    result = snakemake(workdir, "--cores", "2", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "Nothing to be done" in result.stdout + result.stderr


@pytest.mark.pipeline
def test_a_script_runs_standalone_on_the_pipeline_outputs(demo_run: tuple[Path, str]) -> None:
    """``python workflow/scripts/map.py demo`` in the run's folder redraws the map from the
    stage outputs, with the paths and log of the rule itself (spatialint.standalone)."""
    workdir, _ = demo_run
    index = workdir / "maps" / "demo" / "index.html"
    log = workdir / "logs" / "demo" / "map.log"
    index.unlink()
    log.unlink()
    result = subprocess.run(
        [sys.executable, str(workdir / "workflow" / "scripts" / "map.py"), "demo"],
        cwd=workdir, capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert index.stat().st_size > 10_000
    assert "leaflet" in index.read_text(encoding="utf-8").lower()
    assert "Wrote" in log.read_text(encoding="utf-8")


def write_bad_study(workdir: Path, study: dict) -> None:
    studies = workdir / "workflow" / "config" / "studies"
    (studies / "bad.yaml").write_text(yaml.safe_dump(study, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(
    ("study", "expected"),
    [
        ({"source": {"kind": "demo"}, "acess": {}}, "unknown key 'acess'"),
        ({"source": {"kind": "demo", "scale": "big"}}, "source.scale"),
        ({"source": {"kind": "demo"}, "access": {"bands_min": []}}, "access.bands_min"),
    ],
    ids=["unknown-key", "wrong-type", "empty-bands"],
)
def test_bad_study_config_stops_with_one_message(
    tmp_path: Path, study: dict, expected: str
) -> None:
    workdir = workflow_copy(tmp_path)
    write_bad_study(workdir, study)
    result = snakemake(workdir, "--dry-run", "--config", "studies=[bad]")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert expected in output
    assert "bad.yaml" in output
    assert "Traceback" not in output and 'File "' not in output, output


def test_unknown_study_is_named(tmp_path: Path) -> None:
    workdir = workflow_copy(tmp_path)
    result = snakemake(workdir, "--dry-run", "--config", "studies=[atlantis]")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Unknown study 'atlantis'" in output and "demo" in output
    assert "Traceback" not in output and 'File "' not in output, output
