"""The planners' review file: stable ids, strict reading, joining, the template."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from spatialint.errors import DataError
from spatialint.gaps.review import (
    DEFAULT_STATUS,
    STATUSES,
    join_review,
    read_review,
    stable_gap_id,
    write_template,
)

G1 = stable_gap_id((11, 12), (101, 102))
G2 = stable_gap_id((21, 22), (201, 202))
G3 = stable_gap_id((31, 32), (301, 302))


def test_gap_id_is_stable_and_order_free():
    assert stable_gap_id((12, 11), (102, 101)) == G1
    assert stable_gap_id([11, 12], [101, 102]) == G1
    assert G1 != G2 and G1.startswith("G") and len(G1) == 11
    assert stable_gap_id((11, 12), (101, 102), kind="C").startswith("C")
    # pinned: the id must not change between releases, or planners lose their decisions
    assert G1 == "Gbe37fee896"


def _write(path, text, encoding="utf-8-sig"):
    path.write_bytes(text.encode(encoding))
    return path


def test_read_review_normalises_and_keeps_extra_columns(tmp_path):
    path = _write(
        tmp_path / "r.csv",
        f'gap_id,status,comment,name\n{G1},确认,"已核实, 需打通",西四路\n{G2}, confirmed ,,\n\n',
    )
    review = read_review(path)
    assert list(review["gap_id"]) == [G1, G2]
    assert list(review["status"]) == ["确认", "确认"]
    assert review["comment"].iloc[0] == "已核实, 需打通"
    assert review["name"].iloc[0] == "西四路"
    assert list(review["review_row"]) == [2, 3]


def test_read_review_accepts_chinese_headers_and_gb18030(tmp_path):
    path = _write(tmp_path / "r.csv", f"编号,状态,备注\n{G1},误报,河道阻隔\n", "gb18030")
    review = read_review(path)
    assert review["status"].iloc[0] == "误报" and review["comment"].iloc[0] == "河道阻隔"


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        (f"gap_id,status,comment\n{G1},确认,\n{G2},done,x\n", r"row 3: status 'done'.*待核实"),
        (f"gap_id,status,comment\n{G1},,\n", r"row 2: status ''.*已打通"),
        ("gap_id,comment\nG0000000000,x\n", r"no column 'status'.*row 1"),
        (f"gap_id,status,comment\n{G1},确认,\n{G1},误报,\n", r"row 3: gap_id .* row 2"),
        (f"gap_id,status,comment\n{G1},确认,a,b\n", r"row 2: 4 cells but the header has 3"),
        ("gap_id,status,comment\n1.23E+09,确认,\n", r"row 2: gap_id '1.23E\+09' is not"),
        ("", r"is empty"),
        (f"gap_id;status;comment\n{G1};确认;\n", r"not comma-separated"),
    ],
)
def test_bad_review_files_are_rejected_naming_the_row(tmp_path, text, pattern):
    path = _write(tmp_path / "r.csv", text)
    with pytest.raises(DataError, match=pattern):
        read_review(path)


def test_unknown_status_message_lists_every_allowed_value(tmp_path):
    path = _write(tmp_path / "r.csv", f"gap_id,status,comment\n{G1},maybe,\n")
    with pytest.raises(DataError) as err:
        read_review(path)
    for zh, en in STATUSES.items():
        assert zh in str(err.value) and en in str(err.value)


def _gaps():
    return gpd.GeoDataFrame(
        {"gap_id": [G1, G2], "name": ["西四路", "西二路"], "gap_m": [400.0, 600.0]},
        geometry=[shapely.LineString([(0, 0), (1, 1)]), shapely.LineString([(1, 1), (2, 2)])],
        crs="EPSG:4326",
    )


def test_join_without_review_marks_everything_to_verify():
    joined = join_review(_gaps(), None)
    assert list(joined["status"]) == [DEFAULT_STATUS] * 2
    assert joined["found"].all() and list(joined["comment"]) == ["", ""]


def test_join_keeps_decisions_and_gaps_no_longer_found(tmp_path):
    path = _write(
        tmp_path / "r.csv",
        f"gap_id,status,comment,name,gap_m\n{G1},在建,2026 年开工,西四路,400\n"
        f"{G3},已打通,已通车,旧路,250.5\n",
    )
    joined = join_review(_gaps(), read_review(path), keep_columns=["name", "gap_m"])
    assert isinstance(joined, gpd.GeoDataFrame) and joined.crs.to_epsg() == 4326
    by_id = joined.set_index("gap_id")
    assert by_id.loc[G1, "status"] == "在建" and by_id.loc[G1, "comment"] == "2026 年开工"
    assert by_id.loc[G2, "status"] == DEFAULT_STATUS and bool(by_id.loc[G2, "found"])
    assert not bool(by_id.loc[G3, "found"]) and by_id.loc[G3, "status"] == "已打通"
    assert by_id.loc[G3, "name"] == "旧路" and by_id.loc[G3, "gap_m"] == 250.5
    assert by_id.loc[G3, "geometry"] is None
    out = tmp_path / "out.gpkg"
    joined.to_file(out, layer="dead_ends")  # a null geometry row is writable
    assert len(gpd.read_file(out)) == 3


def test_template_has_bom_and_reads_back(tmp_path):
    path = _write(tmp_path / "r.csv", f'gap_id,status,comment\n{G3},误报,"河, 桥"\n')
    joined = join_review(_gaps(), read_review(path), keep_columns=["name"])
    template = tmp_path / "gaps" / "gaps_review_template.csv"
    write_template(template, joined, columns=["found", "name", "gap_m"])
    raw = template.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "西四路" in raw.decode("utf-8-sig")
    back = read_review(template)
    assert list(back["gap_id"]) == [G1, G2, G3]
    assert list(back["status"]) == [DEFAULT_STATUS, DEFAULT_STATUS, "误报"]
    assert back["comment"].iloc[2] == "河, 桥"
    assert list(pd.read_csv(template, encoding="utf-8-sig").columns[:4]) == [
        "gap_id",
        "status",
        "comment",
        "found",
    ]


@pytest.mark.pipeline
def test_snakemake_reruns_gaps_only_when_the_review_file_changes(tmp_path):
    """The review file is an input only when it exists; a run never writes it; editing it
    (not merely touching it) reruns the gaps stage; an unchanged second run does nothing."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import REPO_ROOT
    from tests.test_gaps import build_region, write_region_pbf

    shutil.copy2(REPO_ROOT / "Snakefile", tmp_path / "Snakefile")
    shutil.copytree(REPO_ROOT / "workflow", tmp_path / "workflow")
    (tmp_path / "workflow/config/studies/syn.yaml").write_text(
        "source: {kind: demo}\nadmin: {levels: [5, 6], border_level: 6}\n", encoding="utf-8"
    )
    nodes, edges, units, graph, planned = build_region()
    net = tmp_path / "data/syn/network"
    net.mkdir(parents=True)
    nodes.to_parquet(net / "road_nodes.parquet")
    edges.to_parquet(net / "road_edges.parquet")
    planned.to_parquet(net / "planned_ways.parquet")
    units.to_file(net / "admin_units.gpkg", layer="admin_units")
    graph.save(net / "road_graph.npz")
    write_region_pbf(tmp_path / "data/syn/osm/extract.osm.pbf")

    def snakemake(*args: str) -> str:
        result = subprocess.run(
            [str(Path(sys.executable).parent / "snakemake"), "--cores", "1"]
            + ["--config", "studies=[syn]", "--allowed-rules", "gaps", *args]
            + ["--", "data/syn/gaps/gaps.gpkg"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
        return result.stdout + result.stderr

    snakemake()
    review = tmp_path / "data/syn/review/gaps_review.csv"
    assert not review.exists()
    assert "Nothing to be done" in snakemake("-n")
    review.parent.mkdir(parents=True)
    shutil.copy2(tmp_path / "data/syn/gaps/gaps_review_template.csv", review)
    assert "gaps_review.csv" in snakemake("-n")  # a new input: rerun
    snakemake()
    assert "Nothing to be done" in snakemake("-n")
    text = review.read_text(encoding="utf-8-sig").replace("待核实", "误报", 1)
    review.write_text(text, encoding="utf-8-sig")
    before = review.read_bytes()
    assert "Updated input files" in snakemake("-n")
    snakemake()
    assert review.read_bytes() == before
    statuses = pd.read_csv(tmp_path / "data/syn/gaps/gaps.csv", encoding="utf-8-sig")["status"]
    assert "误报" in set(statuses)
