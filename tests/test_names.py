"""An origin or unit name the data does not hold: the message suggests the near names.

On Andorra a planner writes the parish "Escaldes-Engordany" as an origin place: the places
there are "les Escaldes" and "Engordany", and the parish is an admin unit. On the demo, "东城区"
(the district) is not a place ("东城" is), and "东城" is not a unit ("东城区", "东城市" are).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from spatialint.access.origins import locate_origin
from spatialint.errors import DataError
from spatialint.names import did_you_mean, near_matches
from spatialint.osm.admin import build_admin
from spatialint.osm.extract import clip_extract
from spatialint.settings import AdminSettings, AreaSettings, OriginSettings


def test_near_matches() -> None:
    places = ["les Escaldes", "Engordany", "Encamp", "les Bons", "Andorra la Vella"]
    assert near_matches("Escaldes-Engordany", places) == ["Engordany", "les Escaldes"]
    assert near_matches("andora la vela", places) == ["Andorra la Vella"]
    assert near_matches("东城区", ["东城", "西城", "东山镇"]) == ["东城"]
    assert near_matches("东城", ["东城市", "西城市", "东城区", "河东区"]) == ["东城市", "东城区"]
    assert near_matches("Ordino", places) == []
    assert did_you_mean("东城", ["东城区"]) == " Did you mean '东城区'?"
    assert did_you_mean("x", []) == ""


def origin(**spec: str):
    return OriginSettings.from_config(
        {"origins": [{"name": "起点 Origin", **spec}], "snap_max_m": 2000}, where="access"
    ).origins[0]


def network_tables(pbf: Path, folder: Path, *, levels: list[int]) -> dict:
    """Places and admin units as the network stage writes them (clip, then admin step)."""
    extract = folder / "extract.osm.pbf"
    whole = AreaSettings.from_config({"buffer_km": 0}, where="area")
    clip_extract(pbf, extract, area=whole, levels=levels)
    settings = AdminSettings.from_config(
        {"levels": levels, "border_levels": levels[-1], "name_column": "name"}
    )
    result = build_admin(settings, pbf=extract)
    return {"places": result.places, "units": result.units}


@pytest.mark.realdata
def test_andorra_origin_names(andorra_pbf: Path, tmp_path: Path) -> None:
    tables = network_tables(andorra_pbf, tmp_path, levels=[7])
    with pytest.raises(DataError) as place:
        locate_origin(origin(place="Escaldes-Engordany"), **tables)
    message = str(place.value)
    assert "no place named 'Escaldes-Engordany' in places.parquet" in message
    assert "Did you mean 'Engordany' or 'les Escaldes'?" in message
    assert (
        "An admin unit is named 'Escaldes-Engordany': give unit: Escaldes-Engordany instead "
        "of place: Escaldes-Engordany." in message
    )
    with pytest.raises(DataError, match=r"no admin unit named 'Escaldes'.*'Escaldes-Engordany'"):
        locate_origin(origin(unit="Escaldes"), **tables)
    found = locate_origin(origin(unit="Escaldes-Engordany"), **tables)
    assert found.matched == "Escaldes-Engordany"


def test_demo_origin_names_in_chinese(tmp_path: Path) -> None:
    demo = pytest.importorskip("spatialint.demo.generator")
    pbf = tmp_path / "demo.osm.pbf"
    demo.write_demo(pbf, tmp_path / "truth.json", seed=42, scale=1.0)
    tables = network_tables(pbf, tmp_path, levels=[5, 6])
    with pytest.raises(DataError) as place:
        locate_origin(origin(place="东城区"), **tables)
    assert "no place named '东城区'" in str(place.value)
    assert "Did you mean '东城'" in str(place.value)
    assert "give unit: 东城区 instead of place: 东城区" in str(place.value)
    with pytest.raises(DataError) as unit:
        locate_origin(origin(unit="东城"), **tables)
    assert "no admin unit named '东城'" in str(unit.value)
    assert "Did you mean '东城市' or '东城区'?" in str(unit.value)
    assert "A place is named '东城': give place: 东城 instead of unit: 东城." in str(unit.value)
