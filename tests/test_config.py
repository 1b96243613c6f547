"""Study configuration: schema validation, defaults and the errors a planner sees."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from spatialint.config import STUDY_DIR, load_studies, load_study
from spatialint.errors import ConfigError


def write_study(folder: Path, name: str, data: dict) -> None:
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize("path", sorted(STUDY_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_studies_validate(path: Path) -> None:
    study = load_study(path.stem)
    assert study["name"] == path.stem
    assert study["access"]["bands_min"] == sorted(study["access"]["bands_min"])


def test_defaults_are_filled(tmp_path: Path) -> None:
    write_study(tmp_path, "tiny", {"source": {"kind": "demo"}})
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
