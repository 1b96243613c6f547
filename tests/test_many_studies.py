"""Several studies in one run: independent branches of the DAG; one failing spares the others.

The shared run (tests/pipeline_runs.py) asks for the demo and ``broken``, a study whose PBF is
random bytes, in one ``snakemake`` call with the default profile (``keep-going``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from spatialint.config import load_studies
from spatialint.errors import ConfigError
from tests.pipeline_runs import (
    check_outputs_valid,
    output_of,
    shared_two_study_run,
    snakemake,
    snapshot,
    workflow_copy,
)

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def two_studies(tmp_path_factory: pytest.TempPathFactory):
    return shared_two_study_run(tmp_path_factory)


def test_the_broken_study_fails_with_one_clear_message(two_studies) -> None:
    workdir, result = two_studies
    output = output_of(result)
    assert result.returncode != 0  # the run reports the failure ...
    assert "Error in rule retrieve_osm" in output
    # on a cluster a job's stderr goes to the cluster's job output; Snakemake points at the log
    assert "logs/broken/retrieve_osm.log" in output
    assert output.count("is truncated or corrupt") <= 1
    assert "Traceback" not in output, output[-4000:]
    # ... and keeps nothing of the broken study's step: no extract, nothing downstream
    assert not (workdir / "data" / "broken" / "osm" / "extract.osm.pbf").exists()
    assert not (workdir / "maps" / "broken").exists()
    log = (workdir / "logs" / "broken" / "retrieve_osm.log").read_text(encoding="utf-8")
    # one line, after the job's memory estimate (spatialint.memory: none for an unreadable PBF)
    said = [line for line in log.strip().splitlines() if " memory: " not in line]
    assert len(said) == 1 and "ERROR" in said[0], log
    assert "is truncated or corrupt" in log


def test_the_demo_finishes_intact_beside_it(two_studies) -> None:
    workdir, _ = two_studies
    checked = check_outputs_valid(workdir, "demo")
    names = {p.name for p in checked}
    assert {"index.html", "report.html", "report.xlsx", "spatialint.gpkg"} <= names
    assert {"travel_times_road.npz", "isochrones.gpkg", "gaps.gpkg", "corridors.gpkg"} <= names


def test_the_demo_is_up_to_date_and_the_broken_study_is_retried(two_studies) -> None:
    workdir, _ = two_studies
    before = snapshot(workdir / "data" / "demo")
    result = snakemake(workdir, "-n", "--config", "studies=[demo,broken]", timeout=300)
    output = output_of(result)
    assert result.returncode == 0, output[-3000:]
    assert "study=demo" not in output  # nothing of the demo is planned again
    assert "study=broken" in output
    assert snapshot(workdir / "data" / "demo") == before


def test_each_study_is_its_own_branch(tmp_path: Path) -> None:
    """The plan for [demo, demo_large] holds every job twice, one per study, no shared file."""
    workdir = workflow_copy(tmp_path)
    result = snakemake(
        workdir, "-n", "--summary", "--config", "studies=[demo,demo_large]", timeout=300
    )
    assert result.returncode == 0, output_of(result)[-3000:]
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("output_file\t"))
    rows = [line.split("\t")[0] for line in lines[header + 1 :] if "\t" in line]
    by_study: dict[str, set[str]] = {}
    for row in rows:
        by_study.setdefault(Path(row).parts[1], set()).add(row)
    demo, large = by_study.pop("demo"), by_study.pop("demo_large")
    assert not by_study, f"files outside the two study folders: {by_study}"
    assert len(demo) == len(large) > 20
    assert {r.replace("/demo_large/", "/demo/", 1) for r in large} == demo


def test_duplicate_study_names_are_refused_up_front(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="listed twice"):
        load_studies({"studies": ["demo", "demo_large", "demo"]})
    workdir = workflow_copy(tmp_path)
    result = snakemake(workdir, "-n", "--config", "studies=[demo,demo]", timeout=300)
    output = output_of(result)
    assert result.returncode != 0
    assert output.count("Study 'demo' is listed twice in 'studies'") == 1, output
    assert "Traceback" not in output
