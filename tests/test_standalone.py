"""Standalone script runs: mock_snakemake gives a script what Snakemake itself would give."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from spatialint.errors import ConfigError
from tests.conftest import REPO_ROOT

from _helpers import mock_snakemake, standalone_config  # isort: skip (workflow/scripts)

SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


def planned_jobs(workdir: Path, study: str) -> list[dict[str, str]]:
    """Every job of ``snakemake --dry-run --forceall`` with the fields Snakemake prints."""
    result = subprocess.run(
        [SNAKEMAKE, "--dry-run", "--forceall", "--nolock", "--cores", "2",
         "--config", f"studies=[{study}]"],
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


@pytest.mark.parametrize("chunked", [False, True], ids=["demo", "demo-chunked"])
def test_mock_snakemake_resolves_what_the_dry_run_plans(tmp_path, monkeypatch, chunked):
    """For every job of the demo, the rule's input, output, log, wildcards and threads; with
    its origins in chunks of 1 also the scatter and gather rules."""
    shutil.copy2(REPO_ROOT / "Snakefile", tmp_path / "Snakefile")
    shutil.copytree(REPO_ROOT / "workflow", tmp_path / "workflow")
    if chunked:
        study_file = tmp_path / "workflow" / "config" / "studies" / "demo.yaml"
        study = yaml.safe_load(study_file.read_text(encoding="utf-8"))
        study["execution"] = {"origin_chunk_size": 1}
        study_file.write_text(yaml.safe_dump(study, allow_unicode=True), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    jobs = [job for job in planned_jobs(tmp_path, "demo") if job["rule"] != "all"]
    rules = {"travel_times_chunk", "gather_travel_times"} if chunked else {"travel_times"}
    assert {job["rule"] for job in jobs} >= rules | {"gaps", "map"}
    for job in jobs:
        wildcards = dict(w.split("=") for w in job["wildcards"].split(", "))
        smk = mock_snakemake(job["rule"], snakefile=tmp_path / "Snakefile", cores=2, **wildcards)
        assert list(smk.input) == _files(job.get("input")), job["rule"]
        assert list(smk.output) == _files(job.get("output")), job["rule"]
        assert list(smk.log) == _files(job.get("log")), job["rule"]
        assert dict(smk.wildcards.items()) == wildcards
        assert smk.threads == int(job.get("threads", 1)), job["rule"]
        study = smk.params.get("study")
        assert study is None or study["name"] == wildcards["study"]


def test_mock_snakemake_names_inputs_as_the_rule_does(monkeypatch):
    monkeypatch.chdir(REPO_ROOT)
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


# ------------------------------------------------------- checks that moved from the scripts


def test_multimodal_stage_rejects_nodes_of_another_road_build(tmp_path):
    import geopandas as gpd
    import numpy as np
    import shapely

    from spatialint.config import load_study
    from spatialint.contracts import ROAD_NODES
    from spatialint.contracts.io import write_table
    from spatialint.errors import DataError
    from spatialint.network.graph import CSRGraph
    from spatialint.network.multimodal import run_multimodal_stage
    from spatialint.settings import MultimodalSettings

    graph = CSRGraph.from_arcs(
        np.array([1, 2]), np.array([0.0, 0.01]), np.array([0.0, 0.0]),
        np.array([0]), np.array([1]), np.array([60.0]),
    )  # fmt: skip
    graph.save(tmp_path / "road_graph.npz")
    nodes = gpd.GeoDataFrame(
        {"node_id": [1, 3], "x": [0.0, 0.01], "y": [0.0, 0.0], "unit_id": None,
         "street_count": [1, 1]},
        geometry=shapely.points([0.0, 0.01], [0.0, 0.0]), crs="EPSG:4326",
    )  # fmt: skip
    write_table(nodes, ROAD_NODES, tmp_path / "road_nodes.parquet")
    inputs = {
        "road_graph": tmp_path / "road_graph.npz",
        "road_nodes": tmp_path / "road_nodes.parquet",
    }
    with pytest.raises(DataError, match="different runs: re-run the road_network step"):
        costs = MultimodalSettings.from_study(load_study("demo"))
        run_multimodal_stage(inputs, {"graph": tmp_path / "m.npz"}, multimodal=costs)
    assert not (tmp_path / "m.npz").exists()


def test_retrieve_names_a_missing_demo_pbf(tmp_path):
    from spatialint.config import load_study
    from spatialint.errors import DataError
    from spatialint.osm.retrieve import run_retrieve_stage
    from spatialint.settings import study_settings

    target = tmp_path / "extract.osm.pbf"
    settings = study_settings(load_study("demo"))
    with pytest.raises(DataError, match="run the generate_demo rule first"):
        run_retrieve_stage(
            {"demo_pbf": tmp_path / "none.pbf"}, {"pbf": target}, source=settings.source,
            area=settings.area, admin_levels=settings.admin_levels, base_dir=tmp_path,
        )  # fmt: skip
    assert not target.exists()
