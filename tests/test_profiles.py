"""Execution profiles: the local default, SLURM (planned, not submitted) and a generic cluster.

The cluster run goes through snakemake-executor-plugin-cluster-generic with a submit command
that starts each jobscript as a separate background process: every job is its own Snakemake
process that shares nothing with the scheduler but the file system, as on a cluster node.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO_ROOT
from tests.pipeline_runs import (
    job_stats,
    output_of,
    shared_two_study_run,
    snakemake,
    workflow_copy,
)

PROFILES = REPO_ROOT / "workflow" / "profiles"
#: Jobs of one study (travel_times runs once per mode: road and multimodal).
STUDY_JOBS = {
    "generate_demo": 1,
    "retrieve_osm": 1,
    "admin_units": 1,
    "road_network": 1,
    "rail_network": 1,
    "transit_network": 1,
    "multimodal_network": 1,
    "origins": 1,
    "travel_times": 2,
    "isochrones": 1,
    "gaps": 1,
    "integration": 1,
    "map": 1,
    "report": 1,
}


def _rules() -> set[str]:
    names = set()
    for smk in (REPO_ROOT / "workflow" / "rules").glob("*.smk"):
        for line in smk.read_text(encoding="utf-8").splitlines():
            if line.startswith("rule "):
                names.add(line.split()[1].rstrip(":"))
    return names


def test_profiles_are_valid_yaml_with_the_settings_runs_rely_on() -> None:
    default = yaml.safe_load((PROFILES / "default" / "config.yaml").read_text(encoding="utf-8"))
    assert default["keep-going"] is True  # one failing study does not stop the others
    assert default["rerun-incomplete"] is True  # a killed run resumes without a flag
    slurm = yaml.safe_load((PROFILES / "slurm" / "config.yaml").read_text(encoding="utf-8"))
    assert slurm["executor"] == "slurm"
    assert {"mem_mb", "runtime"} <= set(slurm["default-resources"])
    unknown = set(slurm["set-resources"]) - _rules()
    assert not unknown, f"set-resources names rules that do not exist: {unknown}"
    for rule, resources in slurm["set-resources"].items():
        assert set(resources) <= {"mem_mb", "runtime", "cpus_per_task", "slurm_partition"}, rule
        assert all(isinstance(v, int | str) for v in resources.values()), rule


@pytest.mark.pipeline
def test_slurm_profile_plans_every_job_of_two_studies(tmp_path: Path) -> None:
    """A dry run through the SLURM executor: the plan, with per-rule resources, no sbatch."""
    workdir = workflow_copy(tmp_path)
    result = snakemake(
        workdir,
        "-n",
        "--workflow-profile",
        "workflow/profiles/slurm",
        "--config",
        "studies=[demo,demo_large]",
        timeout=300,
    )
    output = output_of(result)
    assert result.returncode == 0, output[-4000:]
    stats = job_stats(output)
    assert stats == {**{rule: 2 * n for rule, n in STUDY_JOBS.items()}, "all": 1}, stats
    slurm = yaml.safe_load((PROFILES / "slurm" / "config.yaml").read_text(encoding="utf-8"))
    # the per-rule resources of the profile reach the planned jobs
    mem = slurm["set-resources"]["travel_times"]["mem_mb"]
    assert f"mem_mb={mem}" in output
    assert "slurm_partition=" in output
    assert not list(workdir.glob("data/*/*")), "a dry run must not write outputs"


@pytest.mark.pipeline
def test_demo_runs_through_a_generic_cluster(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    workdir, result = shared_two_study_run(tmp_path_factory)
    output = output_of(result)
    # the default profile (keep-going, rerun-incomplete) was found without being named
    assert "Using workflow specific profile profiles/default" in output
    # each job was submitted and ran as its own process
    assert output.count("Submitted job") >= sum(STUDY_JOBS.values()), output[-4000:]
    assert (workdir / "maps" / "demo" / "index.html").stat().st_size > 10_000
    assert (workdir / "maps" / "demo" / "report.html").stat().st_size > 1_000
    for step in STUDY_JOBS:
        stem = "travel_times_road" if step == "travel_times" else step
        assert (workdir / "benchmarks" / "results" / "demo" / f"{stem}.tsv").exists(), step
