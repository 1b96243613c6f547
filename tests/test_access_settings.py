"""The access stage's settings: bands checked once, the routing cut-off, origin specs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from spatialint.config import load_study
from spatialint.errors import ConfigError
from spatialint.settings import (
    IsochroneSettings,
    OriginSettings,
    OriginSpec,
    TravelTimeSettings,
    study_settings,
)
from tests.conftest import AN_ORIGIN


def write_study(folder: Path, name: str, access: dict) -> None:
    study = {"source": {"kind": "demo"}, "access": {"origins": [AN_ORIGIN], **access}}
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(study), encoding="utf-8")


def test_travel_times_select_only_the_largest_band(tmp_path: Path) -> None:
    write_study(tmp_path, "circles", {"bands_min": [30, 45.5, 90]})
    study = load_study("circles", study_dir=tmp_path)
    assert TravelTimeSettings.select(study) == {"cutoff_min": 90.0}
    # a smaller band is no param of the routing jobs: editing it does not rerun them
    smaller = {**study, "access": {**study["access"], "bands_min": [20, 45.5, 90]}}
    assert TravelTimeSettings.select(smaller) == TravelTimeSettings.select(study)
    settings = study_settings(study)
    assert settings.travel_times == TravelTimeSettings(cutoff_min=90.0)
    assert settings.isochrones.bands_min == (30.0, 45.5, 90.0)


@pytest.mark.parametrize("bands", [[120, 60], [60, 60, 120]])
def test_bands_that_do_not_increase_are_refused_once(
    tmp_path: Path, bands: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_study(tmp_path, "bad", {"bands_min": bands})
    checks = []
    original = IsochroneSettings.__post_init__

    def counted(self: IsochroneSettings) -> None:
        checks.append(self.bands_min)
        original(self)

    monkeypatch.setattr(IsochroneSettings, "__post_init__", counted)
    with pytest.raises(ConfigError) as info:
        load_study("bad", study_dir=tmp_path)
    message = str(info.value)
    assert message.count("access.bands_min") == 1 and "strictly increasing" in message
    assert "bad.yaml" in message
    assert len(checks) == 1  # one check, one error: not once per settings class or rule


def test_origin_specs_are_checked_at_load_time(tmp_path: Path) -> None:
    write_study(tmp_path, "two", {"origins": [{"name": "A", "place": "x", "unit": "y"}]})
    with pytest.raises(ConfigError, match=r"two.yaml.*'A' must give exactly one of place, unit"):
        load_study("two", study_dir=tmp_path)
    write_study(tmp_path, "twice", {"origins": [{"name": "A", "place": "x"},
                                                {"name": "A", "lon": 1, "lat": 2}]})  # fmt: skip
    with pytest.raises(ConfigError, match="'A' is used twice in access.origins"):
        load_study("twice", study_dir=tmp_path)


@pytest.mark.parametrize(
    ("spec", "kind"),
    [({"name": "a", "place": "东城"}, "place"), ({"name": "a", "unit": "东区"}, "unit"),
     ({"name": "a", "station": "东站"}, "station"), ({"name": "a", "lon": 1, "lat": 2}, "point")],
)  # fmt: skip
def test_origin_kind(spec: dict, kind: str) -> None:
    assert OriginSpec.from_config(spec).kind == kind
    settings = OriginSettings.from_config({"origins": [spec], "snap_max_m": 100}, where="access")
    assert settings.origins[0].kind == kind
