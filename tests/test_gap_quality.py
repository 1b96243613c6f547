"""The quality of the 断头路 list against known answers: a real-data fixture and the demo.

The fixture (:mod:`tests.gaps_realdata`) cuts real parish-border crossings of the Andorra
extract; the demo plants six gaps and seven decoys. Each test prints its recall and
precision@10 (:mod:`tests.gaps_quality`) and fails when recall drops below today's value, a
planted gap ranks below a cul-de-sac, or a cul-de-sac reaches high or medium.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spatialint.contracts.gaps import DEAD_ENDS
from spatialint.contracts.io import read_table
from tests.gaps_quality import score
from tests.gaps_realdata import CUL_DE_SACS, build_fixture, run_fixture

#: Recall and precision@10 measured when these tests were written (a drop fails them).
FIXTURE_RECALL, FIXTURE_PRECISION_AT_10 = 1.0, 0.3
DEMO_RECALL, DEMO_SHOWN_PRECISION = 1.0, 1.0


@pytest.fixture(scope="module")
def andorra_fixture(andorra_pbf: Path, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("andorra_cut")
    planted = build_fixture(andorra_pbf, folder / "andorra_cut.osm.pbf")
    return planted, run_fixture(folder / "andorra_cut.osm.pbf", folder)


@pytest.mark.realdata
def test_every_planted_gap_found_and_ranked_above_every_cul_de_sac(andorra_fixture):
    planted, dead = andorra_fixture
    quality = score(dead, {p.plant.name: p.ends for p in planted}, CUL_DE_SACS)
    print(f"\nAndorra fixture: {quality.line()}")
    assert quality.recall >= FIXTURE_RECALL
    assert quality.precision_at_10 >= FIXTURE_PRECISION_AT_10
    assert set(quality.decoy_levels.values()) <= {"low"}, quality.decoy_levels
    assert max(quality.planted_ranks.values()) < min(quality.decoy_ranks.values(), default=10**9)


@pytest.mark.realdata
def test_fixture_gaps_carry_the_evidence_of_their_kind(andorra_fixture):
    planted, dead = andorra_fixture
    for gap in planted:
        rows = dead[dead["node_id"].isin(gap.ends) | dead["other_node_id"].isin(gap.ends)]
        best = rows.sort_values("rank").iloc[0]
        assert best["confidence"] in {"high", "medium"}, best["reasons_en"]
        if gap.plant.kind == "facing_stubs":  # paired with each other, the clearest case
            assert {best["node_id"], best["other_node_id"]} == set(gap.ends)
            assert best["facing_stubs"] and best["confidence"] == "high"
        elif gap.plant.kind == "across_river":
            assert best["category"] == "bridge" and "需建桥" in best["reasons_zh"]
        else:
            assert best["node_id"] in gap.ends and not best["facing_stubs"]


@pytest.mark.realdata
def test_fixture_outputs_reviewer_evidence(andorra_fixture):
    _, dead = andorra_fixture
    located = dead[dead["found"].astype(bool)]
    assert located["osm_edit_url"].str.startswith("https://www.openstreetmap.org/edit?").all()
    assert located["josm_url"].str.contains("load_and_zoom?left=", regex=False).all()
    assert located["thumbnail"].str.match(r"^thumbnails/G[0-9a-f]{10}\.png$").all()


@pytest.mark.pipeline
def test_demo_planted_gaps_lead_and_border_decoys_are_low(demo_run: Path):
    truth = json.loads((demo_run / "data/demo/demo/truth.json").read_text(encoding="utf-8"))
    dead = read_table(demo_run / "data/demo/gaps/gaps.gpkg", DEAD_ENDS)
    planted = {c["case_id"]: {c["node_id"], c["other_node_id"]} for c in truth["border_dead_ends"]}
    low = {d["node_id"] for d in truth["decoys"] if d["expected"] == "low"}
    quality = score(dead, planted, low)
    print(f"\ndemo: {quality.line()}")
    assert quality.recall >= DEMO_RECALL
    assert quality.shown_precision >= DEMO_SHOWN_PRECISION
    assert sorted(quality.decoy_levels) == sorted(low)  # found, so reviewers see them
    assert set(quality.decoy_levels.values()) == {"low"}
    assert max(quality.planted_ranks.values()) < min(quality.decoy_ranks.values())
    never = {d["node_id"] for d in truth["decoys"] if d["expected"] == "not_flagged"}
    assert not never & (set(dead["node_id"]) | set(dead["other_node_id"]))
