"""The planners' review file: stable ids, strict reading, joining, the template."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from spatialint.contracts.base import Table
from spatialint.contracts.gaps import CLASS_DROPS, DEAD_ENDS, REVIEW_COLUMNS, REVIEW_TEMPLATE
from spatialint.contracts.io import write_csv
from spatialint.errors import DataError
from spatialint.gaps.review import (
    DEFAULT_STATUS,
    STATUSES,
    check_kinds,
    join_review,
    of_kind,
    read_review,
    review_template,
    stable_gap_id,
)
from tests.pipeline_runs import clone_run, job_stats, output_of, snakemake, snapshot

G1 = stable_gap_id((11, 12), (101, 102))
G2 = stable_gap_id((21, 22), (201, 202))
G3 = stable_gap_id((31, 32), (301, 302))
C1 = stable_gap_id((41,), (401, 402), kind="C")


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


#: pandas dtype of each contract dtype, for findings made up in a test.
PANDAS_DTYPES = {
    "int": "int64",
    "Int": "Int64",
    "float": "float64",
    "str": "object",
    "bool": "boolean",
}


def _detected(table: Table, **values: list) -> pd.DataFrame:
    """Findings of ``table`` as detection gives them (no review columns yet): ``values`` for
    some columns, missing values in the others."""
    rows = len(values["gap_id"])
    review = {c.name for c in REVIEW_COLUMNS} - {"gap_id"}
    return pd.DataFrame(
        {
            c.name: pd.Series(values.get(c.name, [None] * rows), dtype=PANDAS_DTYPES[c.dtype])
            for c in table.columns
            if c.name not in review
        }
    )


def test_template_lists_every_finding_and_reads_back(tmp_path):
    path = _write(tmp_path / "r.csv", f'gap_id,status,comment\n{G3},误报,"河, 桥"\n')
    review = read_review(path)
    dead = join_review(
        _detected(DEAD_ENDS, gap_id=[G1, G2], name=["西四路", "西二路"], rank=[1, 2]),
        of_kind(review, "G"),
        keep_columns=REVIEW_TEMPLATE.names,
    )
    drops = join_review(
        _detected(CLASS_DROPS, gap_id=[C1], class_high=["primary"]),
        of_kind(review, "C"),
        keep_columns=REVIEW_TEMPLATE.names,
    )
    template = tmp_path / "gaps" / "gaps_review_template.csv"
    write_csv(review_template(dead, drops), REVIEW_TEMPLATE, template)
    raw = template.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "西四路" in raw.decode("utf-8-sig")
    back = read_review(template)
    assert list(back["gap_id"]) == [G1, G2, G3, C1]
    assert list(back["status"]) == [DEFAULT_STATUS, DEFAULT_STATUS, "误报", DEFAULT_STATUS]
    assert back["comment"].iloc[2] == "河, 桥"
    assert list(back["found"]) == ["是 yes", "是 yes", "否 no", "是 yes"]
    assert list(back["kind"]) == ["断头路 dead end"] * 3 + ["瓶颈路 class drop"]
    assert list(back.columns[:-1]) == list(REVIEW_TEMPLATE.names)  # and review_row
    written = pd.read_csv(template, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(written["rank"]) == ["1", "2", "", ""]  # integers, not 1.0


def test_review_rows_of_an_unknown_kind_are_refused(tmp_path):
    path = _write(tmp_path / "r.csv", f"gap_id,status,comment\n{G1},确认,\nX0123456789,误报,\n")
    with pytest.raises(DataError, match=r"row 3: gap_id X0123456789 does not start with one of"):
        check_kinds(read_review(path), path)


@pytest.mark.pipeline
def test_snakemake_reruns_gaps_only_when_the_review_file_changes(demo_run, tmp_path):
    """The review file is an input only when it exists; a run never writes it; editing it
    (not merely touching it) reruns the gaps stage; an unchanged second run does nothing. A
    file at the old place under data/ is read until it is moved, with the command that moves
    it; moving it (the same bytes) changes no decision."""
    import shutil

    workdir = clone_run(demo_run, tmp_path / "run")

    def run(*args: str) -> str:
        result = snakemake(
            workdir, "--cores", "1", "--config", "studies=[demo]", *args, "--",
            "data/demo/gaps/gaps.gpkg",
        )  # fmt: skip
        assert result.returncode == 0, output_of(result)[-4000:]
        return output_of(result)

    review = workdir / "reviews/demo/gaps_review.csv"
    old = workdir / "data/demo/review/gaps_review.csv"
    assert not review.exists() and not old.exists()
    assert "Nothing to be done" in run("-n")
    old.parent.mkdir(parents=True)
    shutil.copy2(workdir / "data/demo/gaps/gaps_review_template.csv", old)
    planned = run("-n")
    assert "data/demo/review/gaps_review.csv" in planned  # a new input: rerun
    move = (
        "mkdir -p reviews/demo && mv data/demo/review/gaps_review.csv reviews/demo/gaps_review.csv"
    )
    assert planned.count(move) == 1, planned[-3000:]
    review.parent.mkdir(parents=True)
    shutil.move(old, review)  # what the planner is told to do
    assert "reviews/demo/gaps_review.csv" in run("-n")  # the input moved: rerun
    run()
    assert "Nothing to be done" in run("-n")
    text = review.read_text(encoding="utf-8-sig").replace("待核实", "误报", 1)
    review.write_text(text, encoding="utf-8-sig")
    before = review.read_bytes()
    assert "Updated input files" in run("-n")
    run()
    assert review.read_bytes() == before
    statuses = pd.read_csv(workdir / "data/demo/gaps/gaps.csv", encoding="utf-8-sig")["status"]
    assert "误报" in set(statuses)


OLD_REVIEW = Path(__file__).parent / "data" / "demo_review_before_issue13.csv"
"""A planner's review of the demo made on the template before 断头路 had a confidence (issue
13): six dead ends and a class drop decided, in that template's columns."""


def test_a_review_from_before_the_confidence_change_keeps_every_decision(demo_run, tmp_path):
    """The gap ids did not change with the evidence and confidence of issue 13: a review file
    written on the old template is read as it is, every decision and comment lands on the same
    finding, the new decoys wait for review, and the run leaves the file untouched."""
    workdir = clone_run(demo_run, tmp_path / "run")
    review = workdir / "reviews/demo/gaps_review.csv"
    review.parent.mkdir(parents=True)
    review.write_bytes(OLD_REVIEW.read_bytes())
    result = snakemake(workdir, "--cores", "1", "--config", "studies=[demo]", "--",
                       "data/demo/gaps/gaps.gpkg")  # fmt: skip
    assert result.returncode == 0, output_of(result)[-4000:]
    assert review.read_bytes() == OLD_REVIEW.read_bytes()
    old = pd.read_csv(OLD_REVIEW, encoding="utf-8-sig", dtype={"comment": str})
    new = pd.read_csv(workdir / "data/demo/gaps/gaps.csv", encoding="utf-8-sig",
                      dtype={"comment": str})  # fmt: skip
    old_dead = old[old["kind"].str.startswith("断头路")].set_index("gap_id")
    joined = new.set_index("gap_id").loc[old_dead.index]
    assert (joined["found"]).all()  # every reviewed dead end still found, under its old id
    assert joined["status"].tolist() == old_dead["status"].tolist()
    assert joined["comment"].fillna("").tolist() == old_dead["comment"].fillna("").tolist()
    for column in ("unit_name", "other_unit_name"):  # the same place
        assert joined[column].tolist() == old_dead[column].tolist()
    for column in ("lon", "lat", "gap_m"):
        np.testing.assert_allclose(joined[column], old_dead[column])
    assert joined["confidence"].notna().all()  # reviewed gaps got their confidence too
    unreviewed = new[~new["gap_id"].isin(old["gap_id"])]
    assert len(unreviewed) == 3 and set(unreviewed["status"]) == {"待核实"}  # the new decoys
    drops = pd.read_csv(workdir / "data/demo/gaps/gaps_review_template.csv", encoding="utf-8-sig")
    decided = drops.set_index("gap_id").loc["C60a10c21c2"]
    assert decided["status"] == "确认" and decided["comment"] == "省道降级明显，建议提级"


@pytest.mark.pipeline
def test_a_refused_review_file_stops_the_run_before_any_job_and_keeps_every_output(
    demo_run, tmp_path
):
    """A review file whose rows do not parse cleanly stops snakemake while it plans: one
    message naming the file, the row and what to do, no traceback, no job run, every file
    under data/demo and maps/demo unchanged. Fixed, it is picked up by gaps and what follows."""
    import json

    workdir = clone_run(demo_run, tmp_path / "run")
    before = {folder: snapshot(workdir / folder) for folder in ("data/demo", "maps/demo")}
    template = pd.read_csv(
        workdir / "data/demo/gaps/gaps_review_template.csv",
        encoding="utf-8-sig",
        dtype=str,
        keep_default_na=False,
    )
    # the planner kept the columns they need (no quoted reasons or links to close the quote)
    template = template[["gap_id", "status", "comment", "kind", "unit_name", "gap_m"]]
    comment = "已上报,计划2026年开工"
    template.loc[0:2, "status"] = ["确认", "在建", "误报"]
    template.loc[0, "comment"] = comment
    review = workdir / "reviews/demo/gaps_review.csv"
    review.parent.mkdir(parents=True)
    template.to_csv(review, index=False, encoding="utf-8-sig")
    good = review.read_bytes()
    bad = good.replace(f'"{comment}"'.encode(), f'"{comment}'.encode())  # the quote left open
    assert bad != good
    review.write_bytes(bad)

    result = snakemake(workdir, "--cores", "1")
    output = output_of(result)
    assert result.returncode != 0, output[-3000:]
    first = template.loc[0, "gap_id"]
    message = f"reviews/demo/gaps_review.csv, row 2, gap {first}: the cell starting"
    assert output.count(message) == 1, output[-3000:]
    assert "never closed" in output and "correct the file and run again" in output
    assert "Traceback" not in output and "Error in rule" not in output, output[-3000:]
    assert {f: snapshot(workdir / f) for f in before} == before
    assert review.read_bytes() == bad

    review.write_bytes(good)  # the planner closes the quote
    result = snakemake(workdir, "--cores", "1")
    assert result.returncode == 0, output_of(result)[-4000:]
    assert job_stats(output_of(result)) == {
        "all": 1, "gaps": 1, "integration": 1, "map": 1, "report": 1
    }  # fmt: skip
    gaps = pd.read_csv(workdir / "data/demo/gaps/gaps.csv", encoding="utf-8-sig")
    by_id = gaps.set_index("gap_id")
    assert list(by_id.loc[template.loc[0:2, "gap_id"], "status"]) == ["确认", "在建", "误报"]
    assert by_id.loc[first, "comment"] == comment
    assert comment in (workdir / "maps/demo/report.html").read_text(encoding="utf-8")
    escaped = json.dumps(comment)[1:-1]  # the map's popups are JSON
    assert escaped in (workdir / "maps/demo/index.html").read_text(encoding="utf-8")
    assert review.read_bytes() == good
