"""The pipeline as a user runs it: snakemake on the demo, and bad configs stopped up front."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import AN_ORIGIN, REPO_ROOT
from tests.pipeline_runs import clone_run, output_of, snakemake, workflow_copy


@pytest.mark.pipeline
def test_demo_run_writes_map_and_results(demo_run: Path) -> None:
    index = demo_run / "maps" / "demo" / "index.html"
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
        assert (demo_run / relative).stat().st_size > 0, relative


@pytest.mark.pipeline
def test_second_run_has_nothing_to_do(demo_run: Path) -> None:
    result = snakemake(demo_run, "--cores", "2", "--dry-run", "--config", "studies=[demo]")
    assert result.returncode == 0, result.stderr
    assert "Nothing to be done" in output_of(result)


@pytest.mark.pipeline
def test_a_script_runs_standalone_on_the_pipeline_outputs(demo_run: Path, tmp_path: Path) -> None:
    """``python workflow/scripts/map.py demo`` in the run's folder redraws the map from the
    stage outputs, with the paths and log of the rule itself (``_helpers.mock_snakemake``)."""
    workdir = clone_run(demo_run, tmp_path / "run")
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
        (
            {"source": {"kind": "demo"}, "access": {"origins": [AN_ORIGIN], "bands_min": []}},
            "access.bands_min",
        ),
        (
            {"source": {"kind": "demo"}, "access": {"origins": [AN_ORIGIN], "bands_min": [60, 30]}},
            "access.bands_min",
        ),
        ({"source": {"kind": "demo"}, "access": {"origins": [AN_ORIGIN, AN_ORIGIN]}}, "twice"),
        ({"source": {"kind": "demo"}, "access": {"origins": []}}, "access.origins is empty"),
        (
            {
                "source": {"kind": "demo"},
                "access": {"origins": [AN_ORIGIN]},
                "area": {"bbox": [114, 27, 113, 28]},
            },
            "area.bbox",
        ),  # fmt: skip
    ],
    ids=[
        "unknown-key",
        "wrong-type",
        "empty-bands",
        "bands-down",
        "same-origin-twice",
        "no-origin",
        "inverted-bbox",
    ],  # fmt: skip
)
def test_bad_study_config_stops_with_one_message(
    tmp_path: Path, study: dict, expected: str
) -> None:
    workdir = workflow_copy(tmp_path)
    write_bad_study(workdir, study)
    result = snakemake(workdir, "--dry-run", "--config", "studies=[bad]")
    output = output_of(result)
    assert result.returncode != 0
    assert expected in output
    assert "bad.yaml" in output
    assert "Traceback" not in output and 'File "' not in output, output


def test_unknown_study_is_named(tmp_path: Path) -> None:
    workdir = workflow_copy(tmp_path)
    result = snakemake(workdir, "--dry-run", "--config", "studies=[atlantis]")
    output = output_of(result)
    assert result.returncode != 0
    assert "Unknown study 'atlantis'" in output and "demo" in output
    assert "Traceback" not in output and 'File "' not in output, output
