"""Study configuration: schema validation, defaults and the errors a planner sees."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from spatialint.config import STUDY_DIR, load_studies, load_study
from spatialint.errors import ConfigError

ORIGIN = {"name": "东城", "place": "东城"}


def write_study(folder: Path, name: str, data: dict) -> None:
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize("path", sorted(STUDY_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_studies_validate(path: Path) -> None:
    study = load_study(path.stem)
    assert study["name"] == path.stem
    assert study["access"]["bands_min"] == sorted(study["access"]["bands_min"])


def test_defaults_are_filled(tmp_path: Path) -> None:
    write_study(tmp_path, "tiny", {"source": {"kind": "demo"}, "access": {"origins": [ORIGIN]}})
    study = load_study("tiny", study_dir=tmp_path)
    assert study["access"]["bands_min"] == [60, 120, 180]
    assert study["network"]["speeds_kph"]["motorway"] == 100
    assert study["network"]["rail_speeds_kph"]["highspeed"] == 250
    assert study["language"] == "zh"
    assert study["source"]["seed"] == 42


def test_unknown_key_is_named(tmp_path: Path) -> None:
    write_study(tmp_path, "bad", {"source": {"kind": "demo"}, "acess": {}})
    with pytest.raises(ConfigError, match=r"unknown key 'acess'.*allowed keys are: .*access"):
        load_study("bad", study_dir=tmp_path)


def test_wrong_type_names_key_value_and_expectation(tmp_path: Path) -> None:
    write_study(tmp_path, "bad", {"source": {"kind": "demo"}, "access": {"snap_max_m": "far"}})
    with pytest.raises(ConfigError) as info:
        load_study("bad", study_dir=tmp_path)
    message = str(info.value)
    assert "access.snap_max_m" in message
    assert "'far'" in message
    assert "number" in message
    assert "bad.yaml" in message


def test_wrong_enum_value(tmp_path: Path) -> None:
    write_study(tmp_path, "bad", {"source": {"kind": "wget"}})
    with pytest.raises(ConfigError, match=r"source\.kind.*'wget'.*one of"):
        load_study("bad", study_dir=tmp_path)


def test_unknown_study_lists_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"Unknown study 'atlantis'.*Known studies: .*demo"):
        load_studies({"studies": ["atlantis"], "study_dir": str(STUDY_DIR)})


def test_duplicate_study_is_rejected() -> None:
    with pytest.raises(ConfigError, match="listed twice"):
        load_studies({"studies": ["demo", "demo"], "study_dir": str(STUDY_DIR)})


def test_single_study_string_is_accepted() -> None:
    assert list(load_studies({"studies": "demo", "study_dir": str(STUDY_DIR)})) == ["demo"]


def test_broken_yaml_is_reported(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("source: {kind: demo\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_study("broken", study_dir=tmp_path)


def test_name_mismatch(tmp_path: Path) -> None:
    write_study(tmp_path, "one", {"name": "two", "source": {"kind": "demo"}})
    with pytest.raises(ConfigError, match="file is named one.yaml"):
        load_study("one", study_dir=tmp_path)


#: Values JSON Schema lets through that must still stop a run before it starts (issue 12).
REFUSED_UP_FRONT = [
    ({"access": {"origins": [ORIGIN], "bands_min": [60, 30, 120]}}, "access.bands_min"),
    ({"access": {"origins": [ORIGIN], "bands_min": [60, 60]}}, "access.bands_min"),
    ({"access": {"origins": [{"name": "x", "place": "东城", "lon": 113.0, "lat": 28.0}]}},
     "must give exactly one of place, unit, station or lon+lat"),
    ({"access": {"origins": [{"name": "x", "lon": 113.0}]}}, "gives only lon"),
    ({"access": {"origins": [ORIGIN, {"name": "东城", "station": "东城站"}]}}, "used twice"),
    ({"access": {"origins": []}}, "access.origins is empty"),
    ({"access": {"origins": [ORIGIN]}, "area": {"bbox": [114, 27, 113, 28]}}, "area.bbox"),
    ({"access": {"origins": [ORIGIN]}, "gaps": {"review_file": "reviews/{name}.csv"}},
     "only placeholder is {study}"),
    ({"access": {"origins": [ORIGIN]}, "integration": {"border_penalty": {"bands_km": [1, 1]}}},
     "bands_km"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "expected"), REFUSED_UP_FRONT, ids=[e for _, e in REFUSED_UP_FRONT]
)
def test_semantic_faults_are_refused_when_the_config_loads(
    tmp_path: Path, changes: dict, expected: str
) -> None:
    write_study(tmp_path, "bad", {"source": {"kind": "demo"}, **changes})
    with pytest.raises(ConfigError) as info:
        load_study("bad", study_dir=tmp_path)
    assert expected in str(info.value) and "bad.yaml" in str(info.value)


def test_validate_command_runs_the_same_checks(tmp_path: Path, capsys) -> None:
    from spatialint.cli import main

    write_study(tmp_path, "bad", {"source": {"kind": "demo"}, **REFUSED_UP_FRONT[0][0]})
    assert main(["validate", "bad", "--study-dir", str(tmp_path)]) == 2
    assert "access.bands_min" in capsys.readouterr().err


def test_repeated_yaml_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "twice.yaml").write_text(
        "source: {kind: demo}\naccess:\n  bands_min: [60]\naccess:\n  snap_max_m: 10\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"twice.yaml is not valid YAML.*'access' is given twice"):
        load_study("twice", study_dir=tmp_path)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030"])
def test_chinese_windows_encodings_are_read(tmp_path: Path, encoding: str) -> None:
    text = "\n".join(["title: 长株潭都市圈", "source: {kind: demo}", "access:",
                      "  origins: [{name: 长沙, place: 长沙}]"])  # fmt: skip
    (tmp_path / "cn.yaml").write_bytes(text.encode(encoding))
    study = load_study("cn", study_dir=tmp_path)
    assert study["title"] == "长株潭都市圈"
    assert study["access"]["origins"][0]["name"] == "长沙"


def test_undecodable_file_is_refused_with_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "binary.yaml").write_bytes(b"title: \xff\xfe\x00\x81\x30\n")
    with pytest.raises(ConfigError, match="save it as UTF-8"):
        load_study("binary", study_dir=tmp_path)


def test_unit_reference_without_level_says_what_to_give(tmp_path: Path) -> None:
    write_study(
        tmp_path,
        "bad",
        {"source": {"kind": "demo"}, "area": {"admin_units": [{"name": "长沙市"}]}},
    )
    with pytest.raises(ConfigError) as info:
        load_study("bad", study_dir=tmp_path)
    message = str(info.value)
    assert "area.admin_units.0" in message and "relation_id; or name and admin_level" in message
    assert "is not valid under any of the given schemas" not in message


def test_missing_study_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"study folder .*nowhere does not exist"):
        load_studies({"studies": ["demo"], "study_dir": str(tmp_path / "nowhere")})


def test_middle_yangtze_study_names_the_plan_cities_and_their_seats() -> None:
    """changjiang_zhongyou: the 31 cities of the 2015 plan in the area, one origin per city
    seat plus the HSR stations of the three capitals, all WGS-84 points inside the three
    provinces, and the three capital corridors."""
    study = load_study("changjiang_zhongyou")
    cities = [unit["name"] for unit in study["area"]["admin_units"]]
    assert len(cities) == len(set(cities)) == 31
    assert {u["admin_level"] for u in study["area"]["admin_units"]} == {5, 6}
    assert study["admin"]["levels"] == [4, 5] and study["access"]["bands_min"] == [60, 120, 180]
    origins = study["access"]["origins"]
    for city in cities:
        assert any(o["name"].startswith(city.removesuffix("市")) for o in origins), city
    for origin in origins:  # Hubei, Hunan and Jiangxi lie within 108.3-118.5 E, 24.6-33.3 N
        assert 108.3 < origin["lon"] < 118.5 and 24.6 < origin["lat"] < 33.3, origin
    points = {(o["lon"], o["lat"]) for o in origins}
    assert len(points) == len(origins) == 35
    corridors = {c["name"] for c in study["integration"]["corridors"]}
    assert corridors == {"武汉–长沙", "长沙–南昌", "南昌–武汉"}
