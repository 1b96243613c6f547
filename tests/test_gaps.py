"""Detection of cross-border dead ends, class drops and missing crossings, and the gaps stage.

Detection runs on the hand-made region of :mod:`tests.gaps_region`; the demo's planted cases
are checked on the session's shared demo run (``demo_run``).
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely

from spatialint.contracts.base import Table
from spatialint.contracts.gaps import CLASS_DROPS, DEAD_ENDS, MISSING_CROSSINGS, REVIEW_TEMPLATE
from spatialint.contracts.io import read_table
from spatialint.errors import DataError
from spatialint.gaps.detect import GapFindings, detect_gaps
from spatialint.gaps.stage import run_gap_stage
from spatialint.osm.study_area import write_study_area
from tests.gaps_region import (
    ROADS,
    UTM,
    X0,
    Y0,
    Region,
    build_region,
    detect,
    gap_settings,
    node_ids,
    stage_settings,
    write_network,
    write_region_pbf,
)
from tests.pipeline_runs import output_of, snakemake, workflow_copy

LAYERS = (DEAD_ENDS, CLASS_DROPS, MISSING_CROSSINGS)


@pytest.fixture(scope="module")
def region() -> Region:
    return build_region()


@pytest.fixture(scope="module")
def findings(region: Region) -> GapFindings:
    return detect(region)


def _ids(coords):
    keys = node_ids()
    return {keys[c] for c in coords}


def test_planted_dead_ends_found_with_both_ends(findings):
    dead = findings.dead_ends
    pairs = {frozenset((a, b)) for a, b in zip(dead["node_id"], dead["other_node_id"], strict=True)}
    assert frozenset(_ids([(-200, 2000), (200, 2000)])) in pairs
    assert frozenset(_ids([(-300, -2000), (300, -2000)])) in pairs
    assert len(dead) == 2  # the stub, the cul-de-sac and the study-edge pair are not gaps
    north = dead[dead["way_id"].isin([106, 107])].iloc[0]
    assert north["gap_m"] == pytest.approx(400, abs=1)
    assert {north["way_id"], north["other_way_id"]} == {106, 107}
    assert {north["unit_name"], north["other_unit_name"]} == {"西县", "东县"}
    assert {north["name"], north["other_name"]} == {"西四路", "东四路"}
    # detour: 4.8 + 2 + 10 + 2 + 4.8 km over the y = 0 crossing
    assert north["detour_km"] == pytest.approx(23.6, abs=0.05)
    assert north["detour_ratio"] == pytest.approx(59.0, abs=0.2)
    assert north["detour_min"] > 23.6 / 60 * 60  # slower than 60 km/h throughout
    south = dead[dead["way_id"].isin([102, 103])].iloc[0]
    assert south["detour_km"] == pytest.approx(7.4, abs=0.05)
    assert south["gap_m"] == pytest.approx(600, abs=1)


def test_planned_way_reported(findings):
    dead = findings.dead_ends.set_index("way_id")
    north = dead.loc[106] if 106 in dead.index else dead.loc[107]
    assert bool(north["planned"]) and north["planned_way_id"] == 900
    assert north["planned_class"] == "secondary"
    south = dead.loc[102] if 102 in dead.index else dead.loc[103]
    assert not bool(south["planned"]) and pd.isna(south["planned_way_id"])


def test_dead_end_geometry_and_crs(findings):
    dead = findings.dead_ends
    assert dead.crs.to_epsg() == 4326
    assert (shapely.get_type_id(dead.geometry.values) == 1).all()
    metric = dead.to_crs(UTM)
    assert sorted(metric.length.round()) == [400, 600]
    assert dead["lon"].between(112, 114).all()


def test_gap_ids_stable_and_orientation_free(region, findings):
    again = detect_gaps(
        region.edges.iloc[::-1].reset_index(drop=True),
        region.units,
        region.graph,
        border_level=6,
        settings=gap_settings(),
        planned=region.planned,
    )
    assert set(again.dead_ends["gap_id"]) == set(findings.dead_ends["gap_id"])
    assert all(g.startswith("G") and len(g) == 11 for g in findings.dead_ends["gap_id"])


def test_study_edge_switch(region):
    found = detect(region, suppress_study_edge=False)
    assert set(found.dead_ends["way_id"]) & {108, 109}
    assert len(found.dead_ends) == 3


def test_detour_ratio_suppresses_connected_stub(region):
    found = detect(region, min_detour_ratio=1.0)
    stub = found.dead_ends[found.dead_ends["way_id"] == 110]
    assert len(stub) == 1
    # measured to the part of the crossing main road inside East, not to its West part
    assert stub["gap_m"].iloc[0] == pytest.approx(np.hypot(100, 500), abs=1)
    assert stub["other_unit_name"].iloc[0] == "东县"


def test_gap_across_a_river_is_kept_and_flagged_unless_suppressed(region):
    """A missing bridge (需建桥) is a gap of its own category by default; the switch drops it."""
    river = gpd.GeoDataFrame(
        geometry=[shapely.LineString([(X0, Y0 + 1000), (X0 + 10, Y0 + 3000)])], crs=UTM
    )
    kept = detect(region, waterways=river)
    assert kept.dead_ends["across_water"].dtype == bool
    assert kept.dead_ends["across_water"].sum() == 1
    assert set(kept.dead_ends["way_id"]) | set(kept.dead_ends["other_way_id"]) == {
        102, 103, 106, 107
    }  # fmt: skip
    found = detect(region, waterways=river, suppress_across_water=True)
    assert set(found.dead_ends["way_id"]) | set(found.dead_ends["other_way_id"]) == {102, 103}


def test_without_waterways_across_water_is_unknown(findings):
    assert findings.dead_ends["across_water"].isna().all()


def test_class_drop_at_border(findings):
    drops = findings.class_drops
    assert len(drops) == 1
    drop = drops.iloc[0]
    assert drop["node_id"] in _ids([(0, 0)])
    assert (drop["class_high"], drop["class_low"], drop["steps"]) == ("primary", "residential", 3)
    assert {drop["way_id_high"], drop["way_id_low"]} == {104, 105}
    assert (drop["unit_high"], drop["unit_low"]) == ("西县", "东县")
    assert drop["gap_id"].startswith("C")


def test_class_drop_needs_two_steps(region):
    ladder = dict(gap_settings().class_ladder, residential=4)  # primary 3 -> 4: one step
    found = detect(region, with_planned=False, class_ladder=ladder)
    assert found.class_drops.empty


def test_missing_crossings_measured_along_border(region):
    found = detect(region, with_planned=False, missing_crossing_min_km=3.0)
    # border inside the extract runs y = -4000 .. 4900; crossings at -4000 and 0
    lengths = sorted(found.missing_crossings["length_km"])
    assert lengths == pytest.approx([4.0, 4.9], abs=0.02)
    assert set(found.missing_crossings["unit_a_name"]) | set(
        found.missing_crossings["unit_b_name"]
    ) == {"西县", "东县"}
    assert detect(region, with_planned=False, missing_crossing_min_km=5).missing_crossings.empty


def test_missing_border_level_is_a_data_error(region):
    with pytest.raises(DataError, match="no unit at admin.border_level 8.*present: \\[5, 6\\]"):
        detect_gaps(
            region.edges, region.units, region.graph, border_level=8, settings=gap_settings()
        )


def test_missing_crs_is_a_data_error(region):
    with pytest.raises(DataError, match="road_edges has no CRS"):
        detect_gaps(
            region.edges.set_crs(None, allow_override=True),
            region.units,
            region.graph,
            border_level=6,
            settings=gap_settings(),
        )


def test_class_drop_just_past_the_border():
    """A primary road crossing into East and becoming residential 200 m later is a drop."""
    extra = [
        (130, "primary", "S130", [(-9000, -1000), (-5000, -1000), (200, -1000)]),
        (131, "residential", "东一路", [(200, -1000), (5000, -1000), (9000, -1000)]),
    ]
    region = build_region(roads=ROADS + extra)
    drops = detect(region, with_planned=False).class_drops.set_index("way_id_high")
    assert set(drops.index) == {104, 130}
    drop = drops.loc[130]
    assert (drop["way_id_low"], drop["class_low"], drop["steps"]) == (131, "residential", 3)
    assert (drop["unit_high"], drop["unit_low"]) == ("西县", "东县")
    assert drop["border_m"] == pytest.approx(200, abs=1)
    too_far = detect(region, with_planned=False, class_drop_distance_m=150)
    assert set(too_far.class_drops["way_id_high"]) == {104}


def test_primary_beside_the_border_with_a_residential_crossing_is_no_drop():
    """A junction where a residential street leaves a primary road and crosses the border is
    not a class drop: the primary road does not continue towards the border."""
    extra = [
        (140, "primary", "", [(-150, 500), (-150, 1000), (-150, 1500)]),
        (142, "residential", "", [(-150, 1000), (5000, 1000)]),
    ]
    found = detect(build_region(roads=ROADS + extra), with_planned=False)
    assert set(found.class_drops["way_id_high"]) == {104}


# ---------------------------------------------------------------------------------- demo truth


@pytest.fixture(scope="module")
def demo_gaps(demo_run: Path) -> tuple[dict, dict[str, pd.DataFrame]]:
    """The demo's truth and its gaps layers, from the session's demo run."""
    truth = json.loads((demo_run / "data/demo/demo/truth.json").read_text(encoding="utf-8"))
    gpkg = demo_run / "data/demo/gaps/gaps.gpkg"
    return truth, {table.name: read_table(gpkg, table) for table in LAYERS}


@pytest.mark.pipeline
def test_demo_every_planted_dead_end_found(demo_gaps):
    truth, layers = demo_gaps
    dead = layers["dead_ends"]
    low_decoys = [d for d in truth["decoys"] if d["expected"] == "low"]
    assert len(dead) == len(truth["border_dead_ends"]) + len(low_decoys)
    for case in truth["border_dead_ends"]:
        ends = dead[
            (dead["node_id"] == case["node_id"]) | (dead["other_node_id"] == case["node_id"])
        ]
        assert len(ends) == 1, case["case_id"]
        row = ends.iloc[0]
        flipped = row["node_id"] != case["node_id"]
        way, other_way = (row["other_way_id"], row["way_id"]) if flipped else (
            row["way_id"], row["other_way_id"])  # fmt: skip
        assert (way, other_way) == (case["way_id"], case["other_way_id"]), case["case_id"]
        units = {row["unit_id"], row["other_unit_id"]}
        assert units == {f"r{case['unit_relation_id']}", f"r{case['other_unit_relation_id']}"}
        # the other node is the facing way's vertex nearest the dead end (the demo's choice
        # may be its neighbour a few metres farther), so compare the gap it spans
        assert row["gap_m"] == pytest.approx(case["gap_m"], abs=10), case["case_id"]
        assert row["detour_km"] > 2 * row["gap_m"] / 1000


@pytest.mark.pipeline
def test_demo_planted_construction_link_reported(demo_gaps):
    truth, layers = demo_gaps
    dead = layers["dead_ends"].set_index("node_id")
    for case in truth["border_dead_ends"]:
        row = dead.loc[case["node_id"]]
        if case["planned_way_id"] is None:
            assert not row["planned"], case["case_id"]
        else:
            assert row["planned"] and row["planned_way_id"] == case["planned_way_id"]


@pytest.mark.pipeline
def test_demo_longest_detour_saves_most_and_leads_its_level(demo_gaps):
    """G1 saves by far the most; the planned link (G3, high confidence) ranks above it."""
    truth, layers = demo_gaps
    case = next(
        c for c in truth["border_dead_ends"] if c["case_id"] == truth["longest_detour_case"]
    )
    dead = layers["dead_ends"].sort_values("rank")
    best = dead.sort_values("minutes_saved_per_trip", ascending=False)
    assert best.iloc[0]["node_id"] == case["node_id"]
    assert best.iloc[0]["minutes_saved_per_trip"] > best.iloc[1]["minutes_saved_per_trip"]
    first_medium = dead[dead["confidence"] == "medium"].iloc[0]
    assert first_medium["node_id"] == case["node_id"]
    planned = next(c for c in truth["border_dead_ends"] if c["planned_way_id"] is not None)
    assert dead.iloc[0]["node_id"] == planned["node_id"] and dead.iloc[0]["confidence"] == "high"


@pytest.mark.pipeline
def test_demo_every_class_drop_found(demo_gaps):
    truth, layers = demo_gaps
    drops = layers["class_drops"].set_index("node_id")
    assert len(drops) == len(truth["class_drops"])
    for case in truth["class_drops"]:
        row = drops.loc[case["border_node_id"]]
        assert {row["way_id_high"], row["way_id_low"]} == set(case["way_ids"])
        assert (row["class_high"], row["class_low"]) == (case["class_before"], case["class_after"])


@pytest.mark.pipeline
def test_demo_no_decoy_flagged(demo_gaps):
    truth, layers = demo_gaps
    flagged = set(layers["dead_ends"]["node_id"]) | set(layers["dead_ends"]["other_node_id"])
    flagged |= set(layers["class_drops"]["node_id"])
    for decoy in truth["decoys"]:
        if decoy["expected"] == "not_flagged":
            assert decoy["node_id"] not in flagged, decoy


@pytest.mark.pipeline
def test_demo_outputs_agree_with_each_other(demo_run, demo_gaps):
    """gaps.csv is the dead-ends layer without geometry; the template lists every finding."""
    _, layers = demo_gaps
    folder = demo_run / "data/demo/gaps"
    table = pd.read_csv(folder / "gaps.csv", encoding="utf-8-sig")
    assert list(table.columns) == list(DEAD_ENDS.names)
    key = ["rank", "gap_id", "gap_m", "minutes_saved_per_trip", "node_id", "other_node_id"]
    pd.testing.assert_frame_equal(
        table[key], pd.DataFrame(layers["dead_ends"][key]), check_dtype=False
    )
    template = pd.read_csv(folder / "gaps_review_template.csv", encoding="utf-8-sig")
    assert list(template.columns) == list(REVIEW_TEMPLATE.names)
    expected = [*layers["dead_ends"]["gap_id"], *layers["class_drops"]["gap_id"]]
    assert list(template["gap_id"]) == expected


def _header_rows(path: Path) -> dict[str, tuple[list, list]]:
    """Every sheet's first two rows."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return {
            sheet.title: tuple(list(row) for row in sheet.iter_rows(max_row=2, values_only=True))
            for sheet in book.worksheets
        }
    finally:
        book.close()


def _expected_headers(table: Table) -> list[str]:
    return [table.bilingual(name) for name in table.names]


@pytest.mark.pipeline
def test_demo_workbook_has_one_bilingual_header_row_from_the_contract(demo_run, demo_gaps):
    _, layers = demo_gaps
    sheets = _header_rows(demo_run / "data/demo/gaps/gaps.xlsx")
    assert list(sheets) == ["断头路 dead ends", "瓶颈路 class drops", "缺失通道 missing crossings"]
    for table, (header, first) in zip(LAYERS, sheets.values(), strict=True):
        assert header == _expected_headers(table)
        assert first[0] == layers[table.name][table.names[0]].iloc[0]  # data from row 2 on
    assert sheets["断头路 dead ends"][0][DEAD_ENDS.names.index("gap_m")] == "直线缺口（米） / " + (
        "straight-line gap (m)"
    )


# ------------------------------------------------------------------------- the gaps stage


def _stage_files(tmp_path: Path, region: Region) -> tuple[dict, dict]:
    inputs = write_network(region, tmp_path / "network")
    inputs["pbf"] = write_region_pbf(tmp_path / "osm" / "extract.osm.pbf")
    inputs["area"] = tmp_path / "osm" / "study_area.gpkg"
    write_study_area(inputs["area"], None, "")  # a source that cannot say where it stops
    del inputs["road_nodes"]  # not read by the gaps stage
    outputs = {
        "gpkg": tmp_path / "gaps" / "gaps.gpkg",
        "csv": tmp_path / "gaps" / "gaps.csv",
        "xlsx": tmp_path / "gaps" / "gaps.xlsx",
        "template": tmp_path / "gaps" / "gaps_review_template.csv",
        "thumbnails": tmp_path / "gaps" / "thumbnails",
    }
    return inputs, outputs


def _read_layers(outputs: dict) -> dict[str, pd.DataFrame]:
    return {table.name: read_table(outputs["gpkg"], table) for table in LAYERS}


def test_stage_writes_outputs_and_never_touches_the_review_file(tmp_path, region):
    inputs, outputs = _stage_files(tmp_path, region)
    settings = stage_settings(review_file=str(tmp_path / "review" / "{study}_review.csv"))
    run_gap_stage(inputs, outputs, **settings)
    layers = _read_layers(outputs)
    dead = layers["dead_ends"]
    assert list(dead["rank"]) == [1, 2]
    assert dead.iloc[0]["way_id"] in (106, 107)  # the longer detour ranks first
    assert (dead["status"] == "待核实").all() and dead["found"].all()
    assert len(layers["class_drops"]) == 1
    csv_bytes = outputs["csv"].read_bytes()
    assert csv_bytes.startswith(b"\xef\xbb\xbf") and "西四路".encode() in csv_bytes
    sheet = openpyxl.load_workbook(outputs["xlsx"])["断头路 dead ends"]
    assert (
        sheet["A1"].value
        == DEAD_ENDS.bilingual("rank")
        == ("排名（可信度、效益） / rank (confidence, then benefit)")
    )
    assert sheet["A2"].value == 1

    # a planner reviews: confirms one gap, records one that the data no longer shows
    review = Path(settings["gaps"].review_file)
    assert review == tmp_path / "review" / "test_review.csv"
    review.parent.mkdir(parents=True)
    template = pd.read_csv(outputs["template"], encoding="utf-8-sig", dtype=str)
    assert set(template["kind"]) == {"断头路 dead end", "瓶颈路 class drop"}
    template.loc[0, "status"] = "确认"
    template.loc[0, "comment"] = "列入 2027 年计划"
    lost = template.iloc[[1]].assign(gap_id="G0123456789", status="已打通", comment="已通车")
    pd.concat([template, lost]).to_csv(review, index=False, encoding="utf-8-sig")
    before = review.read_bytes()
    run_gap_stage({**inputs, "review": review}, outputs, **settings)
    assert review.read_bytes() == before
    by_id = _read_layers(outputs)["dead_ends"].set_index("gap_id")
    assert by_id.loc[template.loc[0, "gap_id"], "status"] == "确认"
    assert by_id.loc[template.loc[0, "gap_id"], "comment"] == "列入 2027 年计划"
    assert not by_id.loc["G0123456789", "found"] and by_id.loc["G0123456789", "status"] == "已打通"
    assert pd.isna(by_id.loc["G0123456789", "node_id"])  # a nullable integer column
    again = pd.read_csv(outputs["template"], encoding="utf-8-sig", dtype=str)
    assert "G0123456789" in set(again["gap_id"]) and "确认" in set(again["status"])


def test_stage_rejects_a_bad_review_file(tmp_path, region):
    inputs, outputs = _stage_files(tmp_path, region)
    review = tmp_path / "review.csv"
    review.write_text("gap_id,status,comment\nG0123456789,ok,\n", encoding="utf-8")
    with pytest.raises(DataError, match="row 2: status 'ok'"):
        run_gap_stage({**inputs, "review": review}, outputs, **stage_settings())
    assert not outputs["gpkg"].exists()


def test_stage_refuses_road_edges_that_break_their_contract(tmp_path, region):
    inputs, outputs = _stage_files(tmp_path, region)
    edges = gpd.read_parquet(inputs["road_edges"])
    edges.drop(columns="travel_time_s").to_parquet(inputs["road_edges"])  # an older version
    with pytest.raises(DataError, match=r"road_edges.*travel_time_s.*re-run the road_network"):
        run_gap_stage(inputs, outputs, **stage_settings())
    assert not outputs["gpkg"].exists()


def test_stage_reads_rivers_from_the_extract(tmp_path, region):
    inputs, outputs = _stage_files(tmp_path, region)
    river = [(950, [(-20, 1000), (-20, 2500), (20, 3200)])]  # between the y = 2000 dead ends
    inputs["pbf"] = write_region_pbf(tmp_path / "river.osm.pbf", rivers=river)
    run_gap_stage(inputs, outputs, **stage_settings())
    dead = _read_layers(outputs)["dead_ends"].set_index("way_id")
    north = dead.loc[106] if 106 in dead.index else dead.loc[107]
    assert north["across_water"] and north["category"] == "bridge"
    assert "需建桥" in north["reasons_zh"] and "bridge" in north["reasons_en"]
    south = dead.loc[102] if 102 in dead.index else dead.loc[103]
    assert not south["across_water"] and south["category"] == "road"
    run_gap_stage(inputs, outputs, **stage_settings(suppress_across_water=True))
    dead = _read_layers(outputs)["dead_ends"]
    assert set(dead["way_id"]) | set(dead["other_way_id"]) == {102, 103}


def test_single_unit_study_has_no_gaps_but_runs(tmp_path, region, caplog):
    one = region.units.assign(admin_level=[6, 7, 5])  # East is at another level: one unit at 6
    inputs, outputs = _stage_files(
        tmp_path, Region(region.nodes, region.edges, one, region.graph, region.planned)
    )
    with caplog.at_level("WARNING"):
        run_gap_stage(inputs, outputs, **stage_settings())
    assert "no two admin units at admin_level 6 share a border" in caplog.text
    for layer in _read_layers(outputs).values():
        assert layer.empty
    assert pd.read_csv(outputs["template"], encoding="utf-8-sig").empty
    assert _header_rows(outputs["xlsx"])["断头路 dead ends"] == ([*_expected_headers(DEAD_ENDS)],)


@pytest.mark.realdata
@pytest.mark.pipeline
@pytest.mark.parametrize("study", ["andorra", "monaco"])
def test_real_extracts_run_through_the_gaps_stage(tmp_path, study, andorra_pbf, monaco_pbf):
    """Andorra (parishes, level 7) gives gaps that obey every rule; Monaco has one unit at its
    border level (the French communes reach beyond the extract), so it has no gaps but runs."""
    workdir = workflow_copy(tmp_path / "run")
    osm_dir = tmp_path / "shared" / "data" / "osm"  # the configs use ../shared/...
    osm_dir.mkdir(parents=True)
    for pbf in (andorra_pbf, monaco_pbf):
        (osm_dir / pbf.name).symlink_to(pbf)
    result = snakemake(
        workdir, "--cores", "2", "--config", f"studies=[{study}]", "--",
        f"data/{study}/gaps/gaps.gpkg",
    )  # fmt: skip
    assert result.returncode == 0, output_of(result)[-5000:]
    dead = read_table(workdir / f"data/{study}/gaps/gaps.gpkg", DEAD_ENDS)
    if study == "monaco":
        assert dead.empty
        return
    settings = gap_settings()
    assert len(dead) > 0
    assert dead["gap_id"].is_unique and list(dead["rank"]) == list(range(1, len(dead) + 1))
    assert (dead["gap_m"] <= settings.gap_max_m).all()
    assert (dead["unit_id"] != dead["other_unit_id"]).all()
    assert (dead["detour_km"] * 1000 >= settings.min_detour_ratio * dead["gap_m"] - 1).all()
    assert dead["confidence"].map(["high", "medium", "low"].index).is_monotonic_increasing
    for _, level in dead.groupby("confidence"):  # by benefit within each level
        assert level["minutes_saved_per_trip"].is_monotonic_decreasing
    assert (dead["category"] == "bridge").eq(dead["across_water"]).all()
