"""Border levels (``admin.border_level`` as one level or a list): settings, the unit hierarchy
by area overlap, the level of every finding and corridor, the report's groups, and the demo's
planted gaps against their expected level."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from spatialint.contracts.gaps import DEAD_ENDS
from spatialint.contracts.integration import CORRIDORS
from spatialint.contracts.io import read_table
from spatialint.contracts.network import border_word
from spatialint.errors import ConfigError, DataError
from spatialint.publish.report.tables import by_border
from spatialint.settings import AdminSettings, IntegrationSettings
from spatialint.unit_hierarchy import UnitHierarchy, check_levels_present, containing_units


def admin(levels: list[int], border_level: object) -> AdminSettings:
    return AdminSettings.from_config(
        {"levels": levels, "border_levels": border_level, "name_column": "name"}
    )


def test_one_level_and_its_one_item_list_are_one_param():
    study = {"admin": {"levels": [5, 6], "border_level": 6, "file": None, "name_column": "n"}}
    as_list = {"admin": {**study["admin"], "border_level": [6]}}
    assert AdminSettings.select(study) == AdminSettings.select(as_list)
    assert IntegrationSettings.config_keys()["border_levels"] == "admin.border_level"
    assert admin([5, 6], 6).border_levels == (6,) and admin([5, 6], 6).border_level == 6


def test_levels_are_sorted_coarse_to_fine_and_the_finest_assigns_units():
    study = {"admin": {"levels": [4, 5, 6], "border_level": [6, 4, 5], "name_column": "n"}}
    assert AdminSettings.select(study)["border_levels"] == [4, 5, 6]
    settings = AdminSettings.from_study(study)
    assert settings.border_levels == (4, 5, 6) and settings.border_level == 6


def test_a_border_level_outside_admin_levels_or_repeated_is_refused():
    with pytest.raises(ConfigError, match=r"admin.border_level \[4, 6\] names \[4\], not in "
                       r"admin.levels \[5, 6\]: add \[4\] to admin.levels"):  # fmt: skip
        admin([5, 6], [4, 6])
    with pytest.raises(ConfigError, match=r"repeats \[6\]; list each admin level once"):
        admin([5, 6], [6, 6])
    with pytest.raises(ConfigError, match="names \\[7\\], not in admin.levels"):
        admin([5, 6], 7)


def test_a_level_no_unit_has_is_named_with_its_list():
    units = pd.DataFrame({"admin_level": [5, 6, 6]})
    check_levels_present(units, (5, 6))
    with pytest.raises(DataError, match=r"no unit at admin.border_level 7. Levels present: "
                       r"\[5, 6\]. Set admin.border_level to one of them"):  # fmt: skip
        check_levels_present(units, (7,))
    with pytest.raises(DataError, match=r"no unit at admin_level \[4\] of admin.border_level "
                       r"\[4, 5, 6\]. Levels present: \[5, 6\]. Remove \[4\]"):  # fmt: skip
        check_levels_present(units, (4, 5, 6))


def _box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(x0, y0, x1, y1)


def three_levels() -> gpd.GeoDataFrame:
    """Two provinces (4), three prefectures (5), five counties (6) in metres; county K5 lies
    outside every province, and K2 reaches 100 m (10 %) into its neighbouring prefecture."""
    rows = [
        ("P1", 4, _box(0, 0, 2000, 1000)), ("P2", 4, _box(2000, 0, 3000, 1000)),
        ("C1", 5, _box(0, 0, 1000, 1000)), ("C2", 5, _box(1000, 0, 2000, 1000)),
        ("C3", 5, _box(2000, 0, 3000, 1000)),
        ("K1", 6, _box(0, 0, 500, 1000)), ("K2", 6, _box(500, 0, 1100, 1000)),
        ("K3", 6, _box(1100, 0, 2000, 1000)), ("K4", 6, _box(2000, 0, 3000, 1000)),
        ("K5", 6, _box(5000, 0, 6000, 1000)),
    ]  # fmt: skip
    return gpd.GeoDataFrame(
        {"unit_id": [r[0] for r in rows], "name": [f"{r[0]}县" for r in rows],
         "admin_level": [r[1] for r in rows]},
        geometry=[r[2] for r in rows], crs="EPSG:32649",
    )  # fmt: skip


def test_each_unit_lies_in_the_coarser_unit_covering_most_of_it():
    units = three_levels()
    found = containing_units(units, [5, 6, 7, 8, 9], [2, 3, 4])
    assert units["unit_id"].to_numpy()[found[:4]].tolist() == ["C1", "C1", "C2", "C3"]
    assert found[4] == -1  # K5: in no prefecture


def test_the_coarsest_differing_level_is_the_border_crossed(caplog):
    with caplog.at_level(logging.WARNING, logger="spatialint.unit_hierarchy"):
        tree = UnitHierarchy.build(three_levels(), [6, 4, 5])
    assert tree.levels == (4, 5, 6)
    pairs = [("K1", "K2"), ("K2", "K3"), ("K3", "K4"), ("K1", "K4"), ("K4", "K5"), ("K1", "K1")]
    assert [tree.separating_level(a, b) for a, b in pairs] == [6, 5, 4, 4, 6, None]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "K5县" in warnings[0].getMessage()
    assert tree.unplaced_note("K4", "K5", "zh") == "边界级别：K5县不在上级行政区内，按县界计"
    assert "K5县 lies in no coarser unit, counted as county border" in tree.unplaced_note(
        "K5", "K4", "en"
    )
    columns = tree.border_columns(["K1", "K3", ""], ["K2", "K4", "K1"], "zh")
    assert columns["border_level"].tolist() == [6, 4, pd.NA]
    assert columns["border"].tolist() == ["县界", "省界", ""]


def test_one_border_level_gives_every_pair_that_level():
    tree = UnitHierarchy.build(three_levels(), [6])
    assert tree.separating_level("K1", "K4") == 6 and not tree.unplaced("K5")
    assert tree.border_columns(["K1"], ["K4"], "en")["border"].tolist() == ["county border"]


def test_border_words():
    assert [border_word(v, "zh") for v in (2, 4, 5, 6, 8)] == [
        "国界",
        "省界",
        "市界",
        "县界",
        "乡镇界",
    ]
    assert border_word(7, "en") == "township/parish border"
    assert (
        border_word(10, "zh") == "10级行政界" and border_word(10, "en") == "admin level 10 border"
    )


def test_the_report_groups_coarse_first_with_counts_and_no_empty_group():
    frame = pd.DataFrame(
        {"border_level": pd.array([6, 4, 6, None, 5], dtype="Int64"),
         "border": ["县界", "省界", "县界", "", "市界"], "rank": [1, 2, 3, 4, 5]}
    )  # fmt: skip
    groups = by_border(frame, "zh")
    assert [h for h, _ in groups] == ["省界（1）", "市界（1）", "县界（2）", "不跨界（1）"]
    assert groups[2][1]["rank"].tolist() == [1, 3]  # the table's order kept inside a group
    one = by_border(frame[frame["border_level"] == 6], "en")
    assert [h for h, _ in one] == ["县界 (2)"]


@pytest.mark.pipeline
def test_every_planted_demo_gap_crosses_its_expected_border(demo_run: Path):
    """The demo has border levels [5, 6]: the planted gaps between 西湖县 (西城市) and 河东区
    (东城市) cross the 市界, those inside one city a 县界."""
    truth = json.loads((demo_run / "data/demo/demo/truth.json").read_text(encoding="utf-8"))
    dead = read_table(demo_run / "data/demo/gaps/gaps.gpkg", DEAD_ENDS)
    expected = {g["case_id"]: g["border_level"] for g in truth["border_dead_ends"]}
    assert expected == {"G1": 5, "G2": 5, "G3": 5, "G4": 6, "G5": 6, "G6": 6}
    for gap in truth["border_dead_ends"]:
        rows = dead[dead["node_id"] == gap["node_id"]]
        assert len(rows) == 1, gap["case_id"]
        assert rows["border_level"].iloc[0] == gap["border_level"], gap["case_id"]
        assert rows["border"].iloc[0] == border_word(gap["border_level"], "zh")
    assert set(dead["border"]) == {"市界", "县界"}
    corridors = read_table(demo_run / "data/demo/integration/corridors.gpkg", CORRIDORS)
    level = dict(zip(corridors["name"], corridors["border_level"], strict=True))
    assert level["河东区–西湖县"] == 5 and level["东城–西城"] == 5 and level["东城区–东山县"] == 6
    report = (demo_run / "maps/demo/report.html").read_text(encoding="utf-8")
    assert report.index("<h3>市界（") < report.index("<h3>县界（")


def test_a_finding_of_a_unit_in_no_coarser_unit_is_at_the_finest_level_and_says_so():
    from spatialint.gaps.stage import with_border_levels

    tree = UnitHierarchy.build(three_levels(), [4, 5, 6])
    dead = pd.DataFrame(
        {"unit_id": ["K3", "K4"], "other_unit_id": ["K4", "K5"],
         "reasons_zh": ["可信度高", "可信度中"], "reasons_en": ["high", "medium"]},
        index=[7, 3],
    )  # fmt: skip
    out = with_border_levels(dead, tree, ("unit_id", "other_unit_id"), "en")
    assert out["border_level"].tolist() == [4, 6] and out.index.tolist() == [7, 3]
    assert out["border"].tolist() == ["provincial border", "county border"]
    assert out["reasons_zh"].tolist() == [
        "可信度高",
        "可信度中；边界级别：K5县不在上级行政区内，按县界计",
    ]
    assert (
        out["reasons_en"].iloc[1].endswith("K5县 lies in no coarser unit, counted as county border")
    )
