"""Detection of cross-border dead ends, class drops and missing crossings on a hand-made region.

The region (UTM 49N metres, placed near Changsha) has two county-level units West (x < 0) and
East (x > 0) inside one prefecture, and:

- a primary road crossing the border at y = -4000 and a primary → residential road at y = 0
  (a class drop at the border node (0, 0));
- two planted gaps: facing dead ends at y = 2000 (400 m apart, a long detour, bridged by a
  planned way) and at y = -2000 (600 m, a shorter detour over local connectors);
- decoys: a stub 200 m off the main road 100 m from the border (already connected), an interior
  cul-de-sac, and a pair of dead ends on the edge of the extract (y = 4900).
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from spatialint.config import load_schema, study_schema, validate
from spatialint.errors import DataError
from spatialint.gaps.detect import COLUMN_LABELS, GapSettings, detect_gaps
from spatialint.gaps.review import review_path
from spatialint.gaps.stage import run_gap_stage
from spatialint.network.graph import CSRGraph

UTM = "EPSG:32649"
X0, Y0 = 600_000.0, 3_120_000.0
SPEED_KPH = {"primary": 60, "secondary": 50, "residential": 25, "tertiary": 40}

# (way id, highway, name, [(x, y), ...]) in metres relative to (X0, Y0)
ROADS = [
    (101, "primary", "S101", [(-9000, -4000), (-5000, -4000), (-1000, -4000), (-100, -4000),
                              (1000, -4000), (5000, -4000), (9000, -4000)]),
    (102, "residential", "西二路", [(-9000, -2000), (-5000, -2000), (-1000, -2000), (-300, -2000)]),
    (103, "residential", "东二路", [(300, -2000), (1000, -2000), (5000, -2000), (9000, -2000)]),
    (104, "primary", "S104", [(-9000, 0), (-5000, 0), (0, 0)]),
    (105, "residential", "东零路", [(0, 0), (5000, 0), (9000, 0)]),
    (106, "residential", "西四路", [(-9000, 2000), (-5000, 2000), (-200, 2000)]),
    (107, "residential", "东四路", [(200, 2000), (5000, 2000), (9000, 2000)]),
    (108, "residential", "", [(-3000, 4900), (-100, 4900)]),
    (109, "residential", "", [(100, 4900), (3000, 4900)]),
    (110, "residential", "", [(-100, -4000), (-100, -3500)]),  # stub next to the main road
    (111, "residential", "", [(-5000, 2000), (-5000, 3000)]),  # interior cul-de-sac
    (120, "tertiary", "", [(-9000, -4000), (-9000, -2000), (-9000, 0), (-9000, 2000)]),
    (121, "tertiary", "", [(-5000, -4000), (-5000, -2000), (-5000, 0), (-5000, 2000)]),
    (122, "tertiary", "", [(-1000, -4000), (-1000, -2000)]),
    (123, "tertiary", "", [(1000, -4000), (1000, -2000)]),
    (124, "tertiary", "", [(5000, -4000), (5000, -2000), (5000, 0), (5000, 2000)]),
    (125, "tertiary", "", [(9000, -4000), (9000, -2000), (9000, 0), (9000, 2000)]),
]  # fmt: skip
PLANNED = [(900, "construction", "secondary", [(-200, 2000), (200, 2000)])]


def _lonlat(coords: list[tuple[float, float]]) -> np.ndarray:
    pts = gpd.GeoSeries(shapely.points(np.array(coords) + [X0, Y0]), crs=UTM).to_crs(4326)
    return np.column_stack([pts.x, pts.y])


def build_region(roads=ROADS, planned=PLANNED):
    """Nodes, edges, units, graph and planned ways in the network stage's formats."""
    coords: dict[tuple[float, float], int] = {}
    for _, _, _, pts in roads:
        for pt in pts:
            coords.setdefault(pt, 1000 + len(coords))
    keys = list(coords)
    lonlat = _lonlat(keys)
    nodes = gpd.GeoDataFrame(
        {
            "node_id": [coords[k] for k in keys],
            "x": lonlat[:, 0],
            "y": lonlat[:, 1],
            "unit_id": "",
            "street_count": 0,
        },
        geometry=shapely.points(lonlat),
        crs="EPSG:4326",
    )
    pos = {coords[k]: i for i, k in enumerate(keys)}
    rows = []
    for way, highway, name, pts in roads:
        for a, b in zip(pts[:-1], pts[1:], strict=True):
            length = float(np.hypot(b[0] - a[0], b[1] - a[1]))
            for s, t in ((a, b), (b, a)):
                line = shapely.LineString(np.array([s, t]) + [X0, Y0])
                rows.append(
                    {
                        "u": coords[s],
                        "v": coords[t],
                        "key": 0,
                        "osmid": way,
                        "highway": highway,
                        "name": name,
                        "ref": "",
                        "oneway": False,
                        "length_m": length,
                        "speed_kph": SPEED_KPH[highway],
                        "travel_time_s": length / (SPEED_KPH[highway] / 3.6),
                        "unit_id": "",
                        "geometry": line,
                    }
                )
    edges = gpd.GeoDataFrame(rows, geometry="geometry", crs=UTM).to_crs(4326)
    graph = CSRGraph.from_arcs(
        nodes["node_id"].to_numpy(),
        nodes["x"].to_numpy(),
        nodes["y"].to_numpy(),
        np.array([pos[u] for u in edges["u"]]),
        np.array([pos[v] for v in edges["v"]]),
        edges["travel_time_s"].to_numpy(),
    )
    units = gpd.GeoDataFrame(
        {
            "unit_id": ["r1", "r2", "r3"],
            "name": ["西县", "东县", "市"],
            "admin_level": [6, 6, 5],
            "parent_id": ["r3", "r3", ""],
        },
        geometry=[
            shapely.box(X0 - 10000, Y0 - 5000, X0, Y0 + 5000),
            shapely.box(X0, Y0 - 5000, X0 + 10000, Y0 + 5000),
            shapely.box(X0 - 10000, Y0 - 5000, X0 + 10000, Y0 + 5000),
        ],
        crs=UTM,
    ).to_crs(4326)
    planned_gdf = gpd.GeoDataFrame(
        {
            "osmid": [p[0] for p in planned],
            "highway": [p[1] for p in planned],
            "planned_class": [p[2] for p in planned],
            "name": "",
            "ref": "",
        },
        geometry=[shapely.LineString(np.array(p[3]) + [X0, Y0]) for p in planned],
        crs=UTM,
    ).to_crs(4326)
    return nodes, edges, units, graph, planned_gdf


def write_region_pbf(path, roads=ROADS, rivers=()):
    """The region's roads (and river lines, in metres) as a real OSM PBF."""
    from spatialint.osm.ways import write_osm

    coords: dict[tuple[float, float], int] = {}
    for _, _, _, pts in roads:
        for pt in pts:
            coords.setdefault(pt, 1000 + len(coords))
    for _, pts in rivers:
        for pt in pts:
            coords.setdefault(pt, 1000 + len(coords))
    lonlat = _lonlat(list(coords))
    nodes = [(i, lon, lat, {}) for i, (lon, lat) in zip(coords.values(), lonlat, strict=True)]
    ways = [(w, [coords[p] for p in pts], {"highway": h, "name": n}) for w, h, n, pts in roads]
    ways += [(w, [coords[p] for p in pts], {"waterway": "river"}) for w, pts in rivers]
    return write_osm(path, nodes=nodes, ways=ways)


def gap_settings(**overrides) -> GapSettings:
    """The schema's defaults for the gaps section, with overrides."""
    schema = study_schema(load_schema())
    section = validate({}, schema["properties"]["gaps"], source="test")
    section.update(overrides)
    return GapSettings.from_config(section)


@pytest.fixture(scope="module")
def region():
    return build_region()


@pytest.fixture(scope="module")
def findings(region):
    nodes, edges, units, graph, planned = region
    return detect_gaps(
        nodes, edges, units, graph, border_level=6, settings=gap_settings(), planned=planned
    )


def _ids(coords):
    keys = {}
    for _, _, _, pts in ROADS:
        for pt in pts:
            keys.setdefault(pt, 1000 + len(keys))
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
    nodes, edges, units, graph, planned = region
    again = detect_gaps(
        nodes.iloc[::-1].reset_index(drop=True),
        edges.iloc[::-1].reset_index(drop=True),
        units,
        graph,
        border_level=6,
        settings=gap_settings(),
        planned=planned,
    )
    assert set(again.dead_ends["gap_id"]) == set(findings.dead_ends["gap_id"])
    assert all(g.startswith("G") and len(g) == 11 for g in findings.dead_ends["gap_id"])


def test_study_edge_switch(region):
    nodes, edges, units, graph, planned = region
    found = detect_gaps(
        nodes,
        edges,
        units,
        graph,
        border_level=6,
        settings=gap_settings(suppress_study_edge=False),
        planned=planned,
    )
    assert set(found.dead_ends["way_id"]) & {108, 109}
    assert len(found.dead_ends) == 3


def test_detour_ratio_suppresses_connected_stub(region):
    nodes, edges, units, graph, planned = region
    found = detect_gaps(
        nodes,
        edges,
        units,
        graph,
        border_level=6,
        settings=gap_settings(min_detour_ratio=1.0),
        planned=planned,
    )
    stub = found.dead_ends[found.dead_ends["way_id"] == 110]
    assert len(stub) == 1
    # measured to the part of the crossing main road inside East, not to its West part
    assert stub["gap_m"].iloc[0] == pytest.approx(np.hypot(100, 500), abs=1)
    assert stub["other_unit_name"].iloc[0] == "东县"


def test_waterway_suppresses_river_bank_gap(region):
    nodes, edges, units, graph, planned = region
    river = gpd.GeoDataFrame(
        geometry=[shapely.LineString([(X0, Y0 + 1000), (X0 + 10, Y0 + 3000)])], crs=UTM
    )
    found = detect_gaps(
        nodes,
        edges,
        units,
        graph,
        border_level=6,
        settings=gap_settings(),
        planned=planned,
        waterways=river,
    )
    assert set(found.dead_ends["way_id"]) | set(found.dead_ends["other_way_id"]) == {102, 103}
    kept = detect_gaps(
        nodes,
        edges,
        units,
        graph,
        border_level=6,
        settings=gap_settings(suppress_across_water=False),
        planned=planned,
        waterways=river,
    )
    assert kept.dead_ends["across_water"].sum() == 1


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
    nodes, edges, units, graph, planned = region
    ladder = dict(gap_settings().class_ladder, residential=4)  # primary 3 -> 4: one step
    found = detect_gaps(
        nodes, edges, units, graph, border_level=6, settings=gap_settings(class_ladder=ladder)
    )
    assert found.class_drops.empty


def test_missing_crossings_measured_along_border(region):
    nodes, edges, units, graph, planned = region
    found = detect_gaps(
        nodes,
        edges,
        units,
        graph,
        border_level=6,
        settings=gap_settings(missing_crossing_min_km=3.0),
    )
    # border inside the extract runs y = -4000 .. 4900; crossings at -4000 and 0
    lengths = sorted(found.missing_crossings["length_km"])
    assert lengths == pytest.approx([4.0, 4.9], abs=0.02)
    assert set(found.missing_crossings["unit_a_name"]) | set(
        found.missing_crossings["unit_b_name"]
    ) == {"西县", "东县"}
    none = detect_gaps(
        nodes, edges, units, graph, border_level=6, settings=gap_settings(missing_crossing_min_km=5)
    )
    assert none.missing_crossings.empty


def test_missing_border_level_is_a_data_error(region):
    nodes, edges, units, graph, planned = region
    with pytest.raises(DataError, match="no unit at admin.border_level 8.*present: \\[5, 6\\]"):
        detect_gaps(nodes, edges, units, graph, border_level=8, settings=gap_settings())


def test_missing_crs_is_a_data_error(region):
    nodes, edges, units, graph, planned = region
    with pytest.raises(DataError, match="road_edges has no CRS"):
        detect_gaps(
            nodes,
            edges.set_crs(None, allow_override=True),
            units,
            graph,
            border_level=6,
            settings=gap_settings(),
        )


def test_column_labels_cover_outputs(findings):
    for column in ("gap_id", "gap_m", "detour_min", "planned", "node_id", "other_way_id"):
        zh, en = COLUMN_LABELS[column]
        assert zh and en


# ---------------------------------------------------------------------------------- demo truth


@pytest.fixture(scope="module")
def demo_gaps(tmp_path_factory):
    """The gaps stage of the demo, run by Snakemake in a copy of the workflow, and its truth."""
    import shutil
    import subprocess
    import sys

    from tests.conftest import REPO_ROOT

    work = tmp_path_factory.mktemp("demo_gaps")
    shutil.copy2(REPO_ROOT / "Snakefile", work / "Snakefile")
    shutil.copytree(REPO_ROOT / "workflow", work / "workflow")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "snakemake"), "--cores", "2"]
        + ["data/demo/gaps/gaps.gpkg"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    truth = json.loads((work / "data/demo/demo/truth.json").read_text(encoding="utf-8"))
    gpkg = work / "data/demo/gaps/gaps.gpkg"
    layers = {
        layer: gpd.read_file(gpkg, layer=layer)
        for layer in ("dead_ends", "class_drops", "missing_crossings")
    }
    return truth, layers


@pytest.mark.pipeline
def test_demo_every_planted_dead_end_found(demo_gaps):
    truth, layers = demo_gaps
    dead = layers["dead_ends"]
    assert len(dead) == len(truth["border_dead_ends"])
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
def test_demo_longest_detour_ranks_first(demo_gaps):
    truth, layers = demo_gaps
    case = next(
        c for c in truth["border_dead_ends"] if c["case_id"] == truth["longest_detour_case"]
    )
    dead = layers["dead_ends"].sort_values("rank")
    assert dead.iloc[0]["node_id"] == case["node_id"]
    assert dead.iloc[0]["minutes_saved_per_trip"] > dead.iloc[1]["minutes_saved_per_trip"]


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
        assert decoy["node_id"] not in flagged, decoy


# ------------------------------------------------------------------------- the gaps stage


def _stage_files(tmp_path, region):
    nodes, edges, units, graph, planned = region
    net = tmp_path / "network"
    net.mkdir()
    nodes.to_parquet(net / "road_nodes.parquet")
    edges.to_parquet(net / "road_edges.parquet")
    planned.to_parquet(net / "planned_ways.parquet")
    units.to_file(net / "admin_units.gpkg", layer="admin_units")
    graph.save(net / "road_graph.npz")
    inputs = {
        "pbf": write_region_pbf(tmp_path / "osm" / "extract.osm.pbf"),
        "road_nodes": net / "road_nodes.parquet",
        "road_edges": net / "road_edges.parquet",
        "planned": net / "planned_ways.parquet",
        "road_graph": net / "road_graph.npz",
        "units": net / "admin_units.gpkg",
    }
    outputs = {
        "gpkg": tmp_path / "gaps" / "gaps.gpkg",
        "csv": tmp_path / "gaps" / "gaps.csv",
        "xlsx": tmp_path / "gaps" / "gaps.xlsx",
        "template": tmp_path / "gaps" / "gaps_review_template.csv",
    }
    return inputs, outputs


def _study(tmp_path):
    schema = study_schema(load_schema())
    study = validate({"source": {"kind": "demo"}}, schema, source="test")
    study["name"] = "test"
    study["admin"]["border_level"] = 6
    study["gaps"]["review_file"] = str(tmp_path / "review" / "{study}_review.csv")
    return study


def test_stage_writes_outputs_and_never_touches_the_review_file(tmp_path, region):
    import openpyxl

    inputs, outputs = _stage_files(tmp_path, region)
    study = _study(tmp_path)
    run_gap_stage(inputs, outputs, study)
    layers = {
        layer: gpd.read_file(outputs["gpkg"], layer=layer)
        for layer in ("dead_ends", "class_drops", "missing_crossings")
    }
    dead = layers["dead_ends"]
    assert list(dead["rank"]) == [1, 2]
    assert dead.iloc[0]["way_id"] in (106, 107)  # the longer detour ranks first
    assert (dead["status"] == "待核实").all() and dead["found"].all()
    assert len(layers["class_drops"]) == 1
    csv_bytes = outputs["csv"].read_bytes()
    assert csv_bytes.startswith(b"\xef\xbb\xbf") and "西四路".encode() in csv_bytes
    sheet = openpyxl.load_workbook(outputs["xlsx"])["断头路 dead ends"]
    assert sheet["A1"].value == "效益排名" and sheet["A2"].value == "benefit rank"
    assert sheet["A3"].value == 1

    # a planner reviews: confirms one gap, records one that the data no longer shows
    review = review_path(study)
    review.parent.mkdir(parents=True)
    template = pd.read_csv(outputs["template"], encoding="utf-8-sig", dtype=str)
    assert set(template["kind"]) == {"断头路 dead end", "瓶颈路 class drop"}
    template.loc[0, "status"] = "确认"
    template.loc[0, "comment"] = "列入 2027 年计划"
    lost = template.iloc[[1]].assign(gap_id="G0123456789", status="已打通", comment="已通车")
    pd.concat([template, lost]).to_csv(review, index=False, encoding="utf-8-sig")
    before = review.read_bytes()
    run_gap_stage({**inputs, "review": review}, outputs, study)
    assert review.read_bytes() == before
    dead = gpd.read_file(outputs["gpkg"], layer="dead_ends")
    by_id = dead.set_index("gap_id")
    assert by_id.loc[template.loc[0, "gap_id"], "status"] == "确认"
    assert by_id.loc[template.loc[0, "gap_id"], "comment"] == "列入 2027 年计划"
    assert not by_id.loc["G0123456789", "found"] and by_id.loc["G0123456789", "status"] == "已打通"
    again = pd.read_csv(outputs["template"], encoding="utf-8-sig", dtype=str)
    assert "G0123456789" in set(again["gap_id"]) and "确认" in set(again["status"])


def test_stage_rejects_a_bad_review_file(tmp_path, region):
    inputs, outputs = _stage_files(tmp_path, region)
    review = tmp_path / "review.csv"
    review.write_text("gap_id,status,comment\nG0123456789,ok,\n", encoding="utf-8")
    with pytest.raises(DataError, match="row 2: status 'ok'"):
        run_gap_stage({**inputs, "review": review}, outputs, _study(tmp_path))
    assert not outputs["gpkg"].exists()


def test_stage_reads_rivers_from_the_extract(tmp_path, region):
    inputs, outputs = _stage_files(tmp_path, region)
    river = [(950, [(-20, 1000), (-20, 2500), (20, 3200)])]  # between the y = 2000 dead ends
    inputs["pbf"] = write_region_pbf(tmp_path / "river.osm.pbf", rivers=river)
    run_gap_stage(inputs, outputs, _study(tmp_path))
    dead = gpd.read_file(outputs["gpkg"], layer="dead_ends")
    assert set(dead["way_id"]) | set(dead["other_way_id"]) == {102, 103}


def test_single_unit_study_has_no_gaps_but_runs(tmp_path, region, caplog):
    nodes, edges, units, graph, planned = region
    one = units.assign(admin_level=[6, 7, 5])  # East is at another level: one unit at 6
    inputs, outputs = _stage_files(tmp_path, (nodes, edges, one, graph, planned))
    with caplog.at_level("WARNING"):
        run_gap_stage(inputs, outputs, _study(tmp_path))
    assert "no two admin units at admin_level 6 share a border" in caplog.text
    for layer in ("dead_ends", "class_drops", "missing_crossings"):
        assert gpd.read_file(outputs["gpkg"], layer=layer).empty
    assert pd.read_csv(outputs["template"], encoding="utf-8-sig").empty


def test_class_drop_just_past_the_border(region):
    """A primary road crossing into East and becoming residential 200 m later is a drop."""
    extra = [
        (130, "primary", "S130", [(-9000, -1000), (-5000, -1000), (200, -1000)]),
        (131, "residential", "东一路", [(200, -1000), (5000, -1000), (9000, -1000)]),
    ]
    nodes, edges, units, graph, planned = build_region(roads=ROADS + extra)
    found = detect_gaps(nodes, edges, units, graph, border_level=6, settings=gap_settings())
    drops = found.class_drops.set_index("way_id_high")
    assert set(drops.index) == {104, 130}
    drop = drops.loc[130]
    assert (drop["way_id_low"], drop["class_low"], drop["steps"]) == (131, "residential", 3)
    assert (drop["unit_high"], drop["unit_low"]) == ("西县", "东县")
    assert drop["border_m"] == pytest.approx(200, abs=1)
    too_far = detect_gaps(
        nodes,
        edges,
        units,
        graph,
        border_level=6,
        settings=gap_settings(class_drop_distance_m=150),
    )
    assert set(too_far.class_drops["way_id_high"]) == {104}


def test_primary_beside_the_border_with_a_residential_crossing_is_no_drop(region):
    """A junction where a residential street leaves a primary road and crosses the border is
    not a class drop: the primary road does not continue towards the border."""
    extra = [
        (140, "primary", "", [(-150, 500), (-150, 1000), (-150, 1500)]),
        (142, "residential", "", [(-150, 1000), (5000, 1000)]),
    ]
    nodes, edges, units, graph, planned = build_region(roads=ROADS + extra)
    found = detect_gaps(nodes, edges, units, graph, border_level=6, settings=gap_settings())
    assert set(found.class_drops["way_id_high"]) == {104}


@pytest.mark.realdata
@pytest.mark.pipeline
@pytest.mark.parametrize("study", ["andorra", "monaco"])
def test_real_extracts_run_through_the_gaps_stage(tmp_path, study, andorra_pbf, monaco_pbf):
    """Andorra (parishes, level 7) gives gaps that obey every rule; Monaco has one unit at its
    border level (the French communes reach beyond the extract), so it has no gaps but runs."""
    import shutil
    import subprocess
    import sys

    from tests.conftest import REPO_ROOT

    shutil.copy2(REPO_ROOT / "Snakefile", tmp_path / "Snakefile")
    shutil.copytree(REPO_ROOT / "workflow", tmp_path / "workflow")
    osm_dir = tmp_path.parent / "shared" / "data" / "osm"  # the configs use ../shared/...
    if not osm_dir.exists():
        osm_dir.mkdir(parents=True)
        for pbf in (andorra_pbf, monaco_pbf):
            (osm_dir / pbf.name).symlink_to(pbf)
    result = subprocess.run(
        [str(Path(sys.executable).parent / "snakemake"), "--cores", "2"]
        + ["--config", f"studies=[{study}]", "--", f"data/{study}/gaps/gaps.gpkg"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    gpkg = tmp_path / f"data/{study}/gaps/gaps.gpkg"
    dead = gpd.read_file(gpkg, layer="dead_ends")
    if study == "monaco":
        assert dead.empty
        return
    settings = gap_settings()
    assert len(dead) > 0
    assert dead["gap_id"].is_unique and list(dead["rank"]) == list(range(1, len(dead) + 1))
    assert (dead["gap_m"] <= settings.gap_max_m).all()
    assert (dead["unit_id"] != dead["other_unit_id"]).all()
    assert (dead["detour_km"] * 1000 >= settings.min_detour_ratio * dead["gap_m"] - 1).all()
    assert dead["minutes_saved_per_trip"].is_monotonic_decreasing
