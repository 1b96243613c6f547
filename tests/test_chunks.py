"""Travel times scattered over origin chunks and gathered: the same file as one job writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from spatialint.access.chunks import (
    chunk_slice,
    chunk_slices,
    gather_times,
    origin_chunk_count,
    run_gather_stage,
)
from spatialint.access.origins import resolve_origins, write_origins
from spatialint.access.travel_times import run_travel_time_chunk_stage, run_travel_times_stage
from spatialint.errors import DataError
from spatialint.network.routing import load_times, save_times
from spatialint.settings import ExecutionSettings, OriginSettings, TravelTimeSettings
from tests.access_net import grid_network, lonlat
from tests.pipeline_runs import clone_run, job_stats, output_of, snakemake


def test_chunk_slices_cover_every_origin_once() -> None:
    assert chunk_slices(7, chunk_size=3) == [slice(0, 3), slice(3, 6), slice(6, 7)]
    assert chunk_slices(3, chunk_size=0) == [slice(0, 3)]
    assert chunk_slices(3, chunk_size=5) == [slice(0, 3)]
    for n, size in [(1, 1), (10, 1), (10, 4), (100, 7)]:
        covered = np.concatenate([np.arange(n)[s] for s in chunk_slices(n, chunk_size=size)])
        assert np.array_equal(covered, np.arange(n))
    with pytest.raises(ValueError):
        chunk_slices(3, chunk_size=-1)


def test_chunk_count_follows_the_config() -> None:
    assert origin_chunk_count(3, chunk_size=0) == 0  # the default: not chunked
    assert origin_chunk_count(3, chunk_size=3) == 0  # one chunk is no chunking
    assert origin_chunk_count(3, chunk_size=2) == 2
    assert origin_chunk_count(10, chunk_size=1) == 10
    assert chunk_slice(10, chunk_size=4, chunk=2) == slice(8, 10)
    with pytest.raises(ValueError, match="outside"):
        chunk_slice(10, chunk_size=4, chunk=3)


def test_gather_checks_its_chunks(tmp_path: Path) -> None:
    nodes = np.array([10, 11, 12])
    save_times(tmp_path / "a.npz", origin_ids=np.array([1]), node_ids=nodes,
               seconds=np.array([[0, 5, np.nan]]))  # fmt: skip
    save_times(tmp_path / "b.npz", origin_ids=np.array([2, 3]), node_ids=nodes,
               seconds=np.array([[4, 0, 1], [np.nan, 2, 0]]))  # fmt: skip
    gather_times([tmp_path / "a.npz", tmp_path / "b.npz"], tmp_path / "all.npz")
    origins, node_ids, seconds = load_times(tmp_path / "all.npz")
    assert origins.tolist() == [1, 2, 3] and node_ids.tolist() == [10, 11, 12]
    assert seconds.dtype == np.float32 and np.isnan(seconds[2, 0]) and seconds[1, 0] == 4
    save_times(tmp_path / "c.npz", origin_ids=np.array([4]), node_ids=nodes[::-1],
               seconds=np.zeros((1, 3)))  # fmt: skip
    with pytest.raises(DataError, match="another graph"):
        gather_times([tmp_path / "a.npz", tmp_path / "c.npz"], tmp_path / "bad.npz")
    with pytest.raises(DataError, match="origins repeat"):
        gather_times([tmp_path / "a.npz", tmp_path / "a.npz"], tmp_path / "bad.npz")
    assert not (tmp_path / "bad.npz").exists()


@pytest.mark.pipeline
def test_chunked_run_writes_the_unchunked_files(demo_run: Path, tmp_path: Path) -> None:
    """The demo's 3 origins in chunks of 1: three jobs per mode, gathered bit for bit."""
    workdir = clone_run(demo_run, tmp_path / "run")
    study_file = workdir / "workflow" / "config" / "studies" / "demo.yaml"
    study = yaml.safe_load(study_file.read_text(encoding="utf-8"))
    study["execution"] = {"origin_chunk_size": 1}
    study_file.write_text(yaml.safe_dump(study, allow_unicode=True), encoding="utf-8")
    access = workdir / "data" / "demo" / "access"
    unchunked = {}
    for mode in ("road", "multimodal"):
        path = access / f"travel_times_{mode}.npz"
        unchunked[mode] = load_times(path)
        path.unlink()
    # Only the travel times are redone, from the run's origins and graphs: no other job reads
    # `execution`.
    targets = [f"data/demo/access/travel_times_{m}.npz" for m in ("road", "multimodal")]
    result = snakemake(workdir, "--cores", "2", "--config", "studies=[demo]", "--", *targets)
    output = output_of(result)
    assert result.returncode == 0, output[-4000:]
    assert job_stats(output) == {"travel_times_chunk": 6, "gather_travel_times": 2}
    for mode in ("road", "multimodal"):
        assert len(list((access / "chunks").glob(f"travel_times_{mode}_*.npz"))) == 3
        chunked = load_times(access / f"travel_times_{mode}.npz")
        for a, b in zip(unchunked[mode], chunked, strict=True):
            assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True), mode


def test_chunk_stage_routes_its_rows_of_the_origins(tmp_path: Path) -> None:
    """A chunk job routes exactly its rows, as the one job would; the gather stacks them."""
    _, edges, graph = grid_network(5, 4)
    lon, lat = lonlat(np.array([0.0, 1000.0, 2000.0]), np.array([0.0, 500.0, 1500.0]))
    specs = [{"name": f"o{i}", "lon": lon[i], "lat": lat[i]} for i in range(3)]
    origins = OriginSettings.from_config({"origins": specs, "snap_max_m": 500}, where="access")
    write_origins(resolve_origins(origins, graph=graph, edges=edges), tmp_path / "origins.gpkg")
    graph.save(tmp_path / "road_graph.npz")
    inputs = {"graph": tmp_path / "road_graph.npz", "origins": tmp_path / "origins.gpkg"}
    cutoff = TravelTimeSettings(cutoff_min=10.0)
    run_travel_times_stage(inputs, {"times": tmp_path / "all.npz"}, travel_times=cutoff,
                           mode="road")  # fmt: skip
    chunks = [tmp_path / f"chunk_{i}.npz" for i in range(2)]
    for i, path in enumerate(chunks):
        run_travel_time_chunk_stage(
            inputs, {"times": path}, travel_times=cutoff, origins=origins,
            execution=ExecutionSettings(origin_chunk_size=2), mode="road", chunk=i,
        )  # fmt: skip
    assert [load_times(p)[0].tolist() for p in chunks] == [[1, 2], [3]]
    run_gather_stage({"chunks": chunks}, {"times": tmp_path / "gathered.npz"})
    for a, b in zip(load_times(tmp_path / "all.npz"), load_times(tmp_path / "gathered.npz"),
                    strict=True):  # fmt: skip
        assert np.array_equal(a, b, equal_nan=True)
