"""Several source extracts merged before the clip (``source.url`` as a list).

The real Andorra extract split into three overlapping strips (every way with a node in a strip
goes into it complete, as Geofabrik's regional extracts do; relations into every part) must give
the same road graph and the same dead ends as the single file. Hand-made files check the
newest-version rule, a corrupt part and the md5_url refusal.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import osmium
import pandas as pd
import pytest
import yaml
from osmium.osm import mutable

from spatialint.config import REPO_ROOT, STUDY_DIR, load_study
from spatialint.errors import ConfigError, DataError
from spatialint.osm.merge import merge_extracts
from spatialint.osm.study_area import source_bbox
from spatialint.settings import SourceSettings
from tests.gaps_realdata import run_fixture
from tests.test_extract import cut_on_a_block_boundary

PARTS = 3


def _split(source: Path, folder: Path) -> tuple[Path, ...]:
    """``source`` cut into PARTS longitude strips with complete, overlapping ways."""
    lon = {n.id: n.location.lon for n in osmium.FileProcessor(str(source), osmium.osm.NODE)}
    edges = np.quantile(np.fromiter(lon.values(), float), np.linspace(0, 1, PARTS + 1)[1:-1])
    strip = {nid: int(np.searchsorted(edges, x)) for nid, x in lon.items()}
    nodes: list[set[int]] = [set() for _ in range(PARTS)]
    ways: list[set[int]] = [set() for _ in range(PARTS)]
    for nid, part in strip.items():
        nodes[part].add(nid)
    for way in osmium.FileProcessor(str(source), osmium.osm.WAY):
        refs = [r.ref for r in way.nodes]
        for part in {strip[r] for r in refs if r in strip}:
            ways[part].add(way.id)
            nodes[part].update(refs)
    paths = tuple(folder / f"part{i}.osm.pbf" for i in range(PARTS))
    writers = [osmium.SimpleWriter(str(p)) for p in paths]
    try:
        for obj in osmium.FileProcessor(str(source)):
            for part, writer in enumerate(writers):
                kept = nodes[part] if obj.is_node() else ways[part] if obj.is_way() else None
                if kept is None or obj.id in kept:
                    writer.add(obj)
    finally:
        for writer in writers:
            writer.close()
    return paths


def _read_sorted(path: Path) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    return frame.sort_values(list(frame.columns[:2])).reset_index(drop=True)


def test_split_extract_gives_the_single_file_graph_and_dead_ends(
    andorra_pbf: Path, tmp_path: Path
) -> None:
    parts = _split(andorra_pbf, tmp_path)
    sizes = [sum(1 for _ in osmium.FileProcessor(str(p), osmium.osm.WAY)) for p in parts]
    whole = sum(1 for _ in osmium.FileProcessor(str(andorra_pbf), osmium.osm.WAY))
    assert sum(sizes) > whole  # the strips share the ways that cross them
    single = run_fixture(andorra_pbf, tmp_path / "single")
    merged = run_fixture(parts, tmp_path / "merged")
    assert not (tmp_path / "merged" / "osm" / "source_merged.osm.pbf").exists()
    for name in ("road_nodes.parquet", "road_edges.parquet"):
        pd.testing.assert_frame_equal(
            _read_sorted(tmp_path / "merged" / "network" / name),
            _read_sorted(tmp_path / "single" / "network" / name),
        )
    assert len(single) > 0
    pd.testing.assert_frame_equal(merged, single)


def _node(nid: int, version: int, day: int) -> mutable.Node:
    stamp = datetime(2024, 1, day, tzinfo=UTC)
    return mutable.Node(id=nid, version=version, timestamp=stamp, location=(1.5, 42.5))


def _write(path: Path, *nodes: mutable.Node, box: tuple[float, ...] | None = None) -> Path:
    header = osmium.io.Header()
    if box is not None:
        header.add_box(osmium.osm.Box(osmium.osm.Location(*box[:2]), osmium.osm.Location(*box[2:])))
    writer = osmium.SimpleWriter(str(path), header=header)
    try:
        for node in nodes:
            writer.add_node(node)
    finally:
        writer.close()
    return path


def test_conflicting_versions_keep_the_newest_and_say_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    old = _write(tmp_path / "hubei.osm.pbf", _node(1, 1, 1), _node(2, 3, 1), _node(5, 1, 1))
    new = _write(tmp_path / "hunan.osm.pbf", _node(1, 2, 2), _node(2, 3, 5), _node(7, 1, 1))
    with caplog.at_level(logging.WARNING, logger="spatialint.osm.merge"):
        stats = merge_extracts([old, new], tmp_path / "merged.osm.pbf")
    kept = {
        n.id: (n.version, n.timestamp.day)
        for n in osmium.FileProcessor(str(tmp_path / "merged.osm.pbf"))
    }
    assert kept == {1: (2, 2), 2: (3, 5), 5: (1, 1), 7: (1, 1)}
    assert (stats.written, stats.shared, stats.conflicts) == (4, 2, ["n1", "n2"])
    (record,) = caplog.records
    assert "2 objects differ" in record.message
    assert "hunan.osm.pbf 2" in record.message and "n1, n2" in record.message


def test_the_merged_header_box_covers_every_part(tmp_path: Path) -> None:
    """A study without an area is the whole extract: the header box of all parts together."""
    west = _write(tmp_path / "w.osm.pbf", _node(1, 1, 1), box=(1, 42, 2, 43))
    east = _write(tmp_path / "e.osm.pbf", _node(2, 1, 1), box=(2, 42.5, 3, 44))
    merge_extracts([west, east], tmp_path / "m.osm.pbf")
    assert source_bbox(tmp_path / "m.osm.pbf").bounds == (1, 42, 3, 44)


def test_a_corrupt_or_unsorted_part_is_named(tmp_path: Path) -> None:
    good = _write(tmp_path / "good.osm.pbf", _node(1, 1, 1))
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"\x00\x00\x00\x0dnot an OSM file at all" * 50)
    with pytest.raises(DataError, match=r"The OSM file .*bad\.osm\.pbf is truncated or corrupt"):
        merge_extracts([good, bad], tmp_path / "merged.osm.pbf")
    assert not (tmp_path / "merged.osm.pbf").exists()
    unsorted = _write(tmp_path / "unsorted.osm.pbf", _node(2, 1, 1), _node(1, 1, 1))
    with pytest.raises(DataError, match=r"unsorted\.osm\.pbf is not sorted .*osmium sort"):
        merge_extracts([good, unsorted], tmp_path / "merged.osm.pbf")


def test_a_part_cut_on_a_block_boundary_is_refused(andorra_pbf: Path, tmp_path: Path) -> None:
    """A cut part reads without error and the merged file would not look cut: checked per part."""
    good = _write(tmp_path / "good.osm.pbf", _node(1, 1, 1))
    cut = cut_on_a_block_boundary(andorra_pbf, tmp_path / "cut.osm.pbf", blocks_kept=9)
    with pytest.raises(DataError, match=r"cut\.osm\.pbf looks truncated.*no relations"):
        merge_extracts([good, cut], tmp_path / "merged.osm.pbf")
    assert not (tmp_path / "merged.osm.pbf").exists()


def test_a_list_of_urls_loads_and_md5_url_with_it_is_refused(tmp_path: Path) -> None:
    study = yaml.safe_load((STUDY_DIR / "andorra.yaml").read_text(encoding="utf-8"))
    study["source"]["url"] = ["a.osm.pbf", "b.osm.pbf"]
    (tmp_path / "andorra.yaml").write_text(yaml.safe_dump(study), encoding="utf-8")
    loaded = SourceSettings.from_study(load_study("andorra", study_dir=tmp_path))
    assert loaded.url == ("a.osm.pbf", "b.osm.pbf")
    study["source"]["md5_url"] = "https://example.org/a.osm.pbf.md5"
    (tmp_path / "andorra.yaml").write_text(yaml.safe_dump(study), encoding="utf-8")
    with pytest.raises(ConfigError, match="source.md5_url is set but source.url names 2 files"):
        load_study("andorra", study_dir=tmp_path)
    single = SourceSettings.from_study(load_study("andorra"))
    assert isinstance(single.url, tuple) and len(single.url) == 1


@pytest.mark.pipeline
def test_retrieve_rule_plans_with_a_list_of_local_files(tmp_path: Path) -> None:
    """Each local part is an input of retrieve_osm: the study plans, and a missing part is
    named before anything runs."""
    shutil.copy2(REPO_ROOT / "Snakefile", tmp_path / "Snakefile")
    shutil.copytree(REPO_ROOT / "workflow", tmp_path / "workflow")
    parts = [_write(tmp_path / f"p{i}.osm.pbf", _node(i + 1, 1, 1)) for i in range(2)]
    study_file = tmp_path / "workflow/config/studies/andorra.yaml"
    study = yaml.safe_load(study_file.read_text(encoding="utf-8"))
    study["source"]["url"] = [p.name for p in parts]
    study_file.write_text(yaml.safe_dump(study, allow_unicode=True), encoding="utf-8")

    def dry_run() -> subprocess.CompletedProcess[str]:
        snakemake = str(Path(sys.executable).parent / "snakemake")
        target = "data/andorra/osm/extract.osm.pbf"
        return subprocess.run(
            [snakemake, "-n", "--cores", "1", target, "--config", "studies=[andorra]"],
            cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip

    planned = dry_run()
    assert planned.returncode == 0, (planned.stdout + planned.stderr)[-3000:]
    assert "retrieve_osm" in planned.stdout
    parts[1].unlink()
    missing = dry_run()
    assert missing.returncode != 0
    assert "p1.osm.pbf" in missing.stdout + missing.stderr
