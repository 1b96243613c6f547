"""Standalone script runs: mock_snakemake gives a script what Snakemake itself would give."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from spatialint.errors import ConfigError
from spatialint.standalone import mock_snakemake, standalone_config
from tests.conftest import REPO_ROOT

SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


def planned_jobs(workdir: Path) -> list[dict[str, str]]:
    """Every job of ``snakemake --dry-run --forceall`` with the fields Snakemake prints."""
    result = subprocess.run(
        [SNAKEMAKE, "--dry-run", "--forceall", "--nolock", "--cores", "2"],
        cwd=workdir, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = []
    for block in re.split(r"\n(?=\S*\s*rule \w+:)", result.stdout + result.stderr):
        name = re.search(r"rule (\w+):", block)
        if not name:
            continue
        fields = dict(re.findall(r"^ {4}(\w+): (.*)$", block, flags=re.MULTILINE))
        jobs.append({"rule": name.group(1), **fields})
    return jobs


def _files(line: str | None) -> list[str]:
    return [] if not line else [p.strip() for p in line.split(",")]


def test_mock_snakemake_resolves_what_the_dry_run_plans(monkeypatch):
    """For every job of the demo, the rule's input, output, log, wildcards and threads."""
    monkeypatch.chdir(REPO_ROOT)
    jobs = [job for job in planned_jobs(REPO_ROOT) if job["rule"] != "all"]
    assert {job["rule"] for job in jobs} >= {"gaps", "map", "travel_times", "isochrones"}
    for job in jobs:
        wildcards = dict(w.split("=") for w in job["wildcards"].split(", "))
        smk = mock_snakemake(job["rule"], cores=2, **wildcards)
        assert sorted(smk.input) == sorted(_files(job.get("input"))), job["rule"]
        assert sorted(smk.output) == sorted(_files(job.get("output"))), job["rule"]
        assert list(smk.log) == _files(job.get("log")), job["rule"]
        assert dict(smk.wildcards.items()) == wildcards
        assert smk.threads == int(job.get("threads", 1)), job["rule"]
        study = smk.params.get("study")
        assert study is None or study["name"] == wildcards["study"]
    gaps = mock_snakemake("gaps", study="demo")
    assert gaps.input.road_graph == "data/demo/network/road_graph.npz"  # named as in the rule
    assert gaps.output.template == "data/demo/gaps/gaps_review_template.csv"


def test_mock_snakemake_names_an_unknown_rule_or_a_missing_wildcard(monkeypatch):
    monkeypatch.chdir(REPO_ROOT)
    with pytest.raises(ConfigError, match=r"no rule 'gap'.*gaps"):
        mock_snakemake("gap", study="demo")
    with pytest.raises(ConfigError, match="needs the wildcard.*mode"):
        mock_snakemake("travel_times", study="demo")


def test_standalone_config_finds_the_studies_outside_the_repository(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = standalone_config("andorra", REPO_ROOT / "Snakefile")
    assert config["studies"] == ["andorra"]
    assert Path(config["study_dir"]) == REPO_ROOT / "workflow" / "config" / "studies"
    monkeypatch.chdir(REPO_ROOT)
    assert standalone_config("demo", REPO_ROOT / "Snakefile")["study_dir"] == (
        "workflow/config/studies"
    )
