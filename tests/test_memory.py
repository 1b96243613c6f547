"""Memory safety: a job estimates its memory from its inputs' headers and stops, with one message
naming what to raise, when the estimate exceeds its ``mem_mb`` (``spatialint.memory``)."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from spatialint.errors import ResourceError
from spatialint.memory import (
    BENCHMARK,
    MIN_BASE_MB,
    STEP_MODELS,
    Estimate,
    InputSize,
    check_memory,
    estimate_step,
    job_memory,
    measure_inputs,
    npz_shape,
    suggested_mem_mb,
)
from spatialint.network.routing import save_times
from tests.pipeline_runs import clone_run, output_of, snakemake, snapshot


def _nodes_parquet(path: Path, rows: int) -> Path:
    pd.DataFrame({"node_id": np.arange(rows), "x": np.zeros(rows)}).to_parquet(path)
    return path


def _origins_gpkg(path: Path, rows: int) -> Path:
    points = shapely.points(np.arange(rows, dtype=float), np.zeros(rows))
    gpd.GeoDataFrame({"name": [f"o{i}" for i in range(rows)]}, geometry=points, crs=4326).to_file(
        path, layer="origins"
    )
    return path


def _graph_npz(path: Path, nodes: int) -> Path:
    np.savez_compressed(path, node_ids=np.arange(nodes), x=np.zeros(nodes), y=np.zeros(nodes))
    return path


def test_input_sizes_come_from_headers(tmp_path: Path, monaco_pbf: Path) -> None:
    times = tmp_path / "chunk_0.npz"
    save_times(times, origin_ids=np.arange(4), node_ids=np.arange(7), seconds=np.zeros((4, 7)))
    assert npz_shape(times, "seconds") == (4, 7)
    size = measure_inputs(
        {
            "pbf": str(monaco_pbf),  # 4 data blocks
            "road_nodes": str(_nodes_parquet(tmp_path / "nodes.parquet", 123)),
            "road_graph": str(_graph_npz(tmp_path / "graph.npz", 999)),
            "road_edges": str(_nodes_parquet(tmp_path / "edges.parquet", 456)),
            "origins": str(_origins_gpkg(tmp_path / "origins.gpkg", 5)),
        }
    )
    assert size == InputSize(osm_objects=32_000, road_nodes=123, road_edges=456, origins=5)
    # without the nodes table, the graph's node array header says; chunks give their origins
    assert measure_inputs({"graph": str(tmp_path / "graph.npz")}).road_nodes == 999
    gathered = measure_inputs({"chunks": [str(times), str(times)]})
    assert (gathered.origins, gathered.road_nodes) == (8, 7)
    # missing or unreadable inputs leave the size unknown: the step reports them itself
    (tmp_path / "broken.npz").write_bytes(b"not a zip")
    assert measure_inputs({"graph": str(tmp_path / "broken.npz")}) == InputSize()
    assert measure_inputs({"pbf": str(tmp_path / "nowhere.pbf")}) == InputSize()


def test_the_models_go_through_the_benchmark_points() -> None:
    for step, model in STEP_MODELS.items():
        measured = BENCHMARK.max_pss_mb[model.calibrated_on or step]
        for i, mb in enumerate(measured):
            values = {"road_nodes": BENCHMARK.road_nodes[i], "origins": BENCHMARK.origins}
            size = InputSize(**{**values, model.basis: getattr(BENCHMARK, model.basis)[i]})
            share = model.bytes_per_origin_node * BENCHMARK.origins * size.road_nodes / 1e6
            expected = max(mb - share, MIN_BASE_MB) + share
            assert model.estimate_mb(size) == pytest.approx(expected), (step, i)


def test_estimates_grow_with_nodes_and_origins() -> None:
    model = STEP_MODELS["isochrones"]
    # below the smallest run: its figure; between two runs: the line through them
    (x0, y0), (x1, y1) = model.points[:2]
    small = estimate_step("isochrones", InputSize(road_nodes=1_000, origins=1))
    per_origin = model.bytes_per_origin_node
    assert small is not None and small.mb == pytest.approx(y0 + per_origin * 1_000 / 1e6)
    middle = estimate_step("isochrones", InputSize(road_nodes=int((x0 + x1) / 2), origins=0))
    assert middle is not None and middle.mb == pytest.approx((y0 + y1) / 2, rel=1e-4)
    # never below a bare process's memory
    assert estimate_step("admin_units", InputSize(osm_objects=10)).mb == MIN_BASE_MB
    big = estimate_step("isochrones", InputSize(road_nodes=3_000_000, origins=50))
    expected = model.base_mb + model.mb_per_unit * 3e6 + per_origin * 50 * 3e6 / 1e6
    assert big is not None and big.mb == pytest.approx(expected)
    # no estimate without the basis (a source still to download), nor for the demo generator
    assert estimate_step("road_network", InputSize(road_nodes=10)) is None
    assert estimate_step("generate_demo", InputSize(osm_objects=10)) is None
    assert suggested_mem_mb(7_900) == 10_000  # 25 % room, rounded up to 500 MB


def test_over_mem_mb_names_the_step_the_size_and_what_to_raise() -> None:
    estimate = Estimate("isochrones", 9_840.0, InputSize(road_nodes=3_000_000, origins=50))
    check_memory(estimate, rule="isochrones", mem_mb=None)  # no mem_mb: no check
    check_memory(estimate, rule="isochrones", mem_mb=10_000)
    with pytest.raises(ResourceError) as raised:
        check_memory(estimate, rule="isochrones", mem_mb=8_000)
    message = str(raised.value)
    for part in (
        "Step isochrones needs about 9,840 MB for 3,000,000 road nodes, 50 origins",
        "more than its mem_mb of 8,000",
        "--set-resources isochrones:mem_mb=12500",
        "set-resources in your profile",
    ):
        assert part in message, message
    assert "origin_chunk_size" not in message


def test_travel_times_over_mem_mb_suggest_a_chunk_size() -> None:
    size = InputSize(road_nodes=3_000_000, origins=200)
    estimate = estimate_step("travel_times", size)
    assert estimate is not None
    with pytest.raises(ResourceError, match=r"set execution.origin_chunk_size to (\d+)") as raised:
        check_memory(estimate, rule="travel_times", mem_mb=4_000)
    found = re.search(r"origin_chunk_size to (\d+)", str(raised.value))
    assert found is not None
    chunk = int(found.group(1))
    fits = estimate_step("travel_times", InputSize(road_nodes=3_000_000, origins=chunk))
    assert fits is not None and fits.mb * 1.25 <= 4_000 < estimate.mb
    chunk_estimate = Estimate("travel_times_chunk", estimate.mb, size)
    with pytest.raises(ResourceError, match="lower execution.origin_chunk_size"):
        check_memory(chunk_estimate, rule="travel_times_chunk", mem_mb=4_000)


def test_estimates_from_osm_objects_only_warn(caplog: pytest.LogCaptureFixture) -> None:
    """The PBF steps' estimates are upper bounds on real extracts: said, never refused."""
    estimate = estimate_step("road_network", InputSize(osm_objects=20_000_000))
    assert estimate is not None and estimate.mb > 8_000
    with caplog.at_level(logging.WARNING, logger="spatialint"):
        check_memory(estimate, rule="road_network", mem_mb=8_000)
    assert "Step road_network may need up to" in caplog.text
    assert "an upper bound" in caplog.text and "--set-resources road_network:mem_mb=" in caplog.text


def test_job_memory_logs_its_estimate(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    inputs = {"road_nodes": str(_nodes_parquet(tmp_path / "nodes.parquet", 50))}
    with caplog.at_level(logging.INFO, logger="spatialint"):
        estimate = job_memory("multimodal_network", inputs, mem_mb=8000)
        job_memory("retrieve_osm", {}, mem_mb=None)
    assert estimate is not None
    said = r"memory: multimodal_network needs about [\d,]+ MB for 50 road nodes \(mem_mb 8,000\)"
    assert re.search(said, caplog.text), caplog.text
    assert "memory: no estimate for retrieve_osm (no measurable input; no mem_mb)" in caplog.text


def _mock_job(tmp_path: Path, rule: str, inputs: dict, mem_mb: int | None) -> SimpleNamespace:
    named = SimpleNamespace(items=lambda: inputs.items())
    return SimpleNamespace(
        rule=rule,
        input=named,
        output=SimpleNamespace(items=lambda: {}.items()),
        params=SimpleNamespace(items=lambda: {}.items()),
        wildcards=SimpleNamespace(study="demo"),
        resources=SimpleNamespace(mem_mb=mem_mb) if mem_mb is not None else SimpleNamespace(),
        log=[str(tmp_path / f"{rule}.log")],
    )


def test_run_rule_stops_before_the_stage_when_mem_mb_is_too_small(tmp_path: Path) -> None:
    from _helpers import run_rule  # workflow/scripts, on the path (conftest)

    inputs = {"road_nodes": str(_nodes_parquet(tmp_path / "nodes.parquet", 50))}
    calls: list[str] = []

    def stage(inputs, outputs) -> None:
        calls.append("ran")

    with pytest.raises(SystemExit) as exited:
        run_rule(_mock_job(tmp_path, "multimodal_network", inputs, 100), stage)
    assert exited.value.code == 1 and calls == []
    lines = (tmp_path / "multimodal_network.log").read_text(encoding="utf-8").splitlines()
    errors = [line for line in lines if " ERROR " in line]
    assert len(errors) == 1 and "mem_mb of 100" in errors[0], lines
    # enough memory, or no mem_mb at all (a standalone call): the stage runs
    run_rule(_mock_job(tmp_path, "multimodal_network", inputs, 2000), stage)
    run_rule(_mock_job(tmp_path, "multimodal_network", inputs, None), stage)
    assert "memory: multimodal_network needs about" in (
        (tmp_path / "multimodal_network.log").read_text(encoding="utf-8")
    )
    bare = _mock_job(tmp_path, "multimodal_network", inputs, 100)
    del bare.rule, bare.wildcards, bare.resources  # a hand-made stand-in: nothing to check
    run_rule(bare, stage)
    assert calls == ["ran", "ran", "ran"]


def test_every_step_of_the_demo_run_logged_its_estimate(demo_run: Path) -> None:
    logs = sorted((demo_run / "logs" / "demo").glob("*.log"))
    assert logs
    for log in logs:
        text = log.read_text(encoding="utf-8")
        assert " memory: " in text, log.name
        if log.stem not in ("generate_demo",):
            assert "needs about" in text, (log.name, text[:2000])


@pytest.mark.pipeline
def test_a_job_with_too_little_memory_stops_with_the_message(
    demo_run: Path, tmp_path: Path
) -> None:
    workdir = clone_run(demo_run, tmp_path / "run")
    data = workdir / "data" / "demo"
    # Snakemake removes the outputs of the job it starts; every other file must stay as it is
    before = {k: v for k, v in snapshot(data).items() if k != "network/multimodal_graph.npz"}
    result = snakemake(
        workdir,
        "data/demo/network/multimodal_graph.npz",
        "--cores",
        "1",
        "--forcerun",
        "multimodal_network",
        "--set-resources",
        "multimodal_network:mem_mb=10",
    )
    output = output_of(result)
    assert result.returncode != 0, output[-3000:]
    assert "Traceback" not in output, output[-5000:]
    log = (workdir / "logs" / "demo" / "multimodal_network.log").read_text(encoding="utf-8")
    errors = [line for line in log.splitlines() if " ERROR " in line]
    assert len(errors) == 1, log
    assert "Step multimodal_network needs about" in errors[0], errors
    assert "road nodes, more than its mem_mb of 10;" in errors[0], errors
    assert "--set-resources multimodal_network:mem_mb=" in errors[0]
    # stopped before the work: the estimate and the error are all it logged, nothing else changed
    assert len(log.strip().splitlines()) == 2 and " memory: multimodal_network needs" in log, log
    assert {k: v for k, v in snapshot(data).items() if k in before} == before


def test_the_slurm_profile_covers_a_three_province_run() -> None:
    """The profile's mem_mb of every graph step holds the model's estimate, with its room, for
    changjiang_zhongyou's size: 3 M road nodes, 50 origins, chunks of 12 (memory_table)."""
    import yaml

    from spatialint.memory import UPPER_BOUND_BASES, memory_table
    from tests.conftest import REPO_ROOT

    profile = REPO_ROOT / "workflow" / "profiles" / "slurm" / "config.yaml"
    resources = yaml.safe_load(profile.read_text(encoding="utf-8"))["set-resources"]
    rows = {step: need for step, _, _, need in memory_table(3_000_000, 50, chunk_size=12)}
    graph_steps = [s for s, m in STEP_MODELS.items() if m.basis not in UPPER_BOUND_BASES]
    assert set(graph_steps) <= set(rows)
    for step in graph_steps:
        assert resources[step]["mem_mb"] >= rows[step], (step, rows[step])


def test_retrieve_counts_the_downloads_already_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, monaco_pbf: Path
) -> None:
    from dataclasses import replace

    from _helpers import cached_downloads  # workflow/scripts, on the path (conftest)

    from spatialint.config import load_study
    from spatialint.osm.sources import cache_path
    from spatialint.settings import SourceSettings

    monkeypatch.chdir(tmp_path)  # Snakemake's working directory: cache_dir is relative to it
    urls = ("https://example.org/a.osm.pbf", "https://example.org/b.osm.pbf", str(monaco_pbf))
    source = replace(
        SourceSettings.from_study(load_study("demo")), kind="pbf", url=urls, cache_dir="raw"
    )
    assert cached_downloads(source) == []  # nothing downloaded yet: no estimate before the run
    cached = cache_path(urls[0], cache_dir=tmp_path / "raw")
    cached.parent.mkdir(parents=True)
    cached.write_bytes(monaco_pbf.read_bytes())
    assert cached_downloads(source) == [str(cached)]
    size = measure_inputs({"cached_pbfs": cached_downloads(source), "source_pbfs": [urls[2]]})
    assert size.osm_objects == 2 * 32_000  # the cached download and the local file
