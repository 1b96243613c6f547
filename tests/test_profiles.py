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


#: Jobs of changjiang_zhongyou: a downloaded source (no generate_demo), 35 origins in chunks of
#: 12 (execution.origin_chunk_size): three travel-time jobs per mode, then the gather.
#: Jobs of changjiang_zhongyou: no demo to generate, no GTFS feed, travel times in chunks.
ZHONGYOU_JOBS = {
    **{
        rule: n
        for rule, n in STUDY_JOBS.items()
        if rule not in ("generate_demo", "transit_network", "travel_times")
    },
    "travel_times_chunk": 6,
    "gather_travel_times": 2,
}


def _planned_resources(output: str, study: str) -> dict[str, str]:
    """rule -> the resources line Snakemake plans for the job of ``study`` (a dry run's
    ``rule <name>:`` blocks)."""
    planned = {}
    for block in output.split("\nrule ")[1:]:
        rule = block.split(":", 1)[0].strip()
        if f"data/{study}/" in block and "resources: " in block:
            planned[rule] = block.split("resources: ", 1)[1].splitlines()[0]
    return planned


@pytest.mark.pipeline
def test_slurm_profile_plans_every_job_of_three_studies(tmp_path: Path) -> None:
    """A dry run through the SLURM executor: the plan, with per-rule resources, no sbatch; the
    demo twice and the three-province study changjiang_zhongyou (nothing downloaded)."""
    workdir = workflow_copy(tmp_path)
    result = snakemake(
        workdir,
        "-n",
        "--workflow-profile",
        "workflow/profiles/slurm",
        "--config",
        "studies=[demo,demo_large,changjiang_zhongyou]",
        timeout=300,
    )
    output = output_of(result)
    assert result.returncode == 0, output[-4000:]
    stats = job_stats(output)
    expected = {rule: 2 * n for rule, n in STUDY_JOBS.items()}
    for rule, n in ZHONGYOU_JOBS.items():
        expected[rule] = expected.get(rule, 0) + n
    assert stats == {**expected, "all": 1}, stats
    slurm = yaml.safe_load((PROFILES / "slurm" / "config.yaml").read_text(encoding="utf-8"))
    # the per-rule resources of the profile reach the planned jobs of every study
    planned = _planned_resources(output, "changjiang_zhongyou")
    assert set(planned) == set(ZHONGYOU_JOBS), planned
    for rule, line in planned.items():
        resources = slurm["set-resources"][rule]
        assert f"mem_mb={resources['mem_mb']}" in line, (rule, line)
        assert f"runtime={resources['runtime']}" in line, (rule, line)
        assert "slurm_partition=" in line, (rule, line)
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
