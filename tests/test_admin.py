"""Admin units and places from the real extracts (after the retrieve stage), and from files."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import yaml
from geopandas.testing import assert_geodataframe_equal

from spatialint.contracts import ADMIN_UNITS, PLACES
from spatialint.contracts.io import read_table
from spatialint.errors import ConfigError, DataError
from spatialint.osm.admin import (
    build_admin,
    run_admin_stage,
    units_from_file,
    units_from_osm,
    write_outputs,
)
from spatialint.osm.extract import clip_extract
from spatialint.osm.units import parse_population
from spatialint.osm.ways import as_text
from spatialint.settings import AdminSettings, AreaSettings
from tests.conftest import AN_ORIGIN, REPO_ROOT

UNIT_COLUMNS = list(ADMIN_UNITS.names)


def whole(buffer_km: float) -> AreaSettings:
    """The whole source extract as the study area."""
    return AreaSettings(admin_units=None, polygon_file=None, bbox=None, buffer_km=buffer_km)


def admin(levels: list[int], border_level: int, **values: object) -> AdminSettings:
    """``admin`` settings: the given levels, no admin file unless given."""
    return AdminSettings.from_config(
        {"levels": levels, "border_levels": border_level, "name_column": "name", **values}
    )


ANDORRA_PARISHES = {
    "Andorra la Vella",
    "Encamp",
    "Escaldes-Engordany",
    "La Massana",
    "Ordino",
    "Sant Julià de Lòria",
}


@pytest.fixture(scope="module")
def andorra_extract(andorra_pbf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The retrieve stage's output for the andorra study (whole file, levels [7])."""
    out = tmp_path_factory.mktemp("andorra") / "extract.osm.pbf"
    clip_extract(andorra_pbf, out, area=whole(5), levels=[7])
    return out


@pytest.fixture(scope="module")
def monaco_extract(monaco_pbf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("monaco") / "extract.osm.pbf"
    clip_extract(monaco_pbf, out, area=whole(2), levels=[8, 10])
    return out


@pytest.mark.realdata
def test_andorra_parishes(andorra_extract: Path) -> None:
    result = units_from_osm(andorra_extract, levels=[7])
    units = result.units
    assert list(units.columns) == [*UNIT_COLUMNS, "geometry"]
    assert set(units["name"]) == ANDORRA_PARISHES
    assert set(units["unit_id"]) == {
        f"r{i}" for i in (2804753, 2804755, 2804756, 2804757, 2804758, 2804759)
    }
    assert (units["admin_level"] == 7).all() and units["parent_id"].isna().all()
    assert (units.geom_type == "MultiPolygon").all() and units.crs.to_epsg() == 4326
    # every parish has its admin_centre node; the seat of Andorra la Vella is the town node
    assert (units["centre_source"] == "admin_centre").all()
    alv = units.set_index("name").loc["Andorra la Vella"]
    assert (round(alv["centre_lon"], 4), round(alv["centre_lat"], 4)) == (1.5212, 42.5069)
    assert shapely.Point(alv["centre_lon"], alv["centre_lat"]).within(alv["geometry"])
    # parishes tile the country without overlaps: pairwise overlap area is ~0
    utm = units.to_crs(32631)
    assert 350 < utm.area.sum() / 1e6 < 420  # OSM's six parishes; Canillo (~120 km²) missing
    overlap = gpd.overlay(utm, utm, how="intersection", keep_geom_type=True)
    overlap = overlap[overlap["unit_id_1"] != overlap["unit_id_2"]]
    assert overlap.area.sum() < 1e3
    # Canillo and the cross-border comarcas/arrondissements are reported, not dropped
    reported = {u.name: u.reason for u in result.incomplete}
    assert "2 of 7 member ways missing" in reported["Canillo"]
    assert {"Alt Urgell", "Cerdanya", "Foix", "Pallars Sobirà", "Prades"} <= set(reported)
    assert "Canillo" in result.report() and "NOT BUILT (6)" in result.report()


@pytest.mark.realdata
def test_andorra_places(andorra_extract: Path) -> None:
    places = units_from_osm(andorra_extract, levels=[7]).places
    assert list(places.columns) == ["node_id", "name", "name_en", "place", "population", "geometry"]
    assert len(places) == 68
    assert places["population"].dtype == "float64" and places["node_id"].dtype == "int64"
    alv = places.set_index("name").loc["Andorra la Vella"]
    assert alv["place"] == "town" and alv["population"] == 24678
    assert places.set_index("name").loc["Andorra", "population"] == 83888
    assert places["population"].isna().sum() == 66
    for origin in ("Andorra la Vella", "Encamp", "Sant Julià de Lòria", "La Massana"):
        assert origin in set(places["name"])  # the andorra study's origins resolve


@pytest.mark.realdata
def test_monaco_units_parents_and_report(monaco_extract: Path) -> None:
    result = units_from_osm(monaco_extract, levels=[8, 10])
    units = result.units.set_index("unit_id")
    assert units.loc["r2220322", "name"] == "Monaco"
    assert units.loc["r2220322", "name_en"] == "Monaco"
    assert pd.isna(units.loc["r2220322", "parent_id"])
    wards = units[units["admin_level"] == 10]
    assert set(wards["name"]) == {"La Condamine", "Monaco-Ville", "Fontvieille"}
    assert set(wards["parent_id"]) == {"r2220322"}
    # Fontvieille's boundary crosses itself: pyosmium rejects it, noding its ways repairs it
    # (0.33 km², the ward's official area) and the report says so
    fontvieille = result.units[result.units["name"] == "Fontvieille"].to_crs(32632)
    assert 0.32 < fontvieille.area.iloc[0] / 1e6 < 0.34
    assert [u.name for u in result.repaired] == ["Fontvieille"]
    assert "REPAIRED (1)" in result.report() and "intersects itself" in result.report()
    reasons = {u.name: u.reason for u in result.incomplete}
    assert set(reasons) == {"Beausoleil", "Cap-d'Ail", "La Turbie", "Roquebrune-Cap-Martin"}
    assert "3 of 4 member ways missing" in reasons["Beausoleil"]
    names = set(result.places["name"])
    assert {"Monaco", "Monte-Carlo", "Fontvieille"} <= names


@pytest.mark.realdata
def test_stage_writes_tables_that_keep_their_contracts(
    monaco_extract: Path, tmp_path: Path
) -> None:
    network = tmp_path / "network"
    outputs = {
        "units": network / "admin_units.gpkg",
        "places": network / "places.parquet",
        "report": network / "admin_report.txt",
    }
    result = run_admin_stage(
        {"pbf": monaco_extract}, outputs, admin=admin([8, 10], 8), base_dir=tmp_path
    )
    units = read_table(outputs["units"], ADMIN_UNITS)
    assert list(units.columns) == [*UNIT_COLUMNS, "geometry"]
    assert units.crs.to_epsg() == 4326 and (units.geom_type == "MultiPolygon").all()
    assert units["admin_level"].dtype == "int64"
    text = [c.name for c in ADMIN_UNITS.columns if c.dtype == "str"]
    assert_geodataframe_equal(units, as_text(result.units, text), check_less_precise=True)
    places = read_table(outputs["places"], PLACES)
    assert_geodataframe_equal(places, PLACES.conform(result.places))
    assert math.isnan(places.set_index("name").loc["Fontvieille", "population"])
    assert len(units) == 4
    assert "Beausoleil" in outputs["report"].read_text(encoding="utf-8")
    assert sorted(p.name for p in network.iterdir()) == [
        "admin_report.txt",
        "admin_units.gpkg",
        "places.parquet",
    ]


@pytest.mark.realdata
def test_write_outputs_refuses_a_table_that_breaks_its_contract(
    monaco_extract: Path, tmp_path: Path
) -> None:
    from spatialint.contracts import ContractError

    result = units_from_osm(monaco_extract, levels=[8, 10])
    result.units = result.units.drop(columns="centre_source")
    paths = {
        "units_path": tmp_path / "admin_units.gpkg",
        "places_path": tmp_path / "places.parquet",
        "report_path": tmp_path / "admin_report.txt",
    }
    with pytest.raises(
        ContractError, match=r"admin_units.*missing column\(s\) \['centre_source'\]"
    ):
        write_outputs(result, **paths)
    assert not paths["units_path"].exists()


@pytest.mark.realdata
def test_no_buildable_unit_is_an_error(andorra_extract: Path) -> None:
    assert len(build_admin(admin([7, 8], 7), pbf=andorra_extract).units) == 6
    with pytest.raises(DataError, match=r"No admin unit at admin_level \[4\].*admin.levels"):
        build_admin(admin([4], 4), pbf=andorra_extract)


def test_corrupt_or_missing_extract(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="run the retrieve_osm step first"):
        units_from_osm(tmp_path / "extract.osm.pbf", levels=[6])
    broken = tmp_path / "extract.osm.pbf"
    broken.write_bytes(b"\x00\x00\x00\x0dgarbage" * 100)
    with pytest.raises(DataError, match=r"extract.osm.pbf is truncated or corrupt"):
        units_from_osm(broken, levels=[6])


def _two_level_file(
    path: Path, *, crs: str | None, west: float = 112.0, south: float = 27.0, size: float = 1.0
) -> None:
    """A city and its two districts, side by side, from ``west``/``south`` (degrees)."""
    east, north, middle = west + size, south + size, west + size / 2
    frame = gpd.GeoDataFrame(
        {
            "NAME": ["市", "西区", "东区"],
            "admin_level": [5, 6, 6],
        },
        geometry=[
            shapely.box(west, south, east, north),
            shapely.box(west, south, middle, north),
            shapely.box(middle, south, east, north),
        ],
        crs="EPSG:4490",
    )
    frame = frame.set_crs(None, allow_override=True) if crs is None else frame.to_crs(crs)
    frame.to_file(path)


def test_units_from_file_with_parents(tmp_path: Path) -> None:
    path = tmp_path / "units.gpkg"
    _two_level_file(path, crs="EPSG:3857")
    units = units_from_file(path, name_column="NAME", default_level=6, levels=[5, 6]).units
    assert set(units["unit_id"]) == {"f1", "f2", "f3"}
    by_name = units.set_index("name")
    assert by_name.loc["西区", "parent_id"] == by_name.loc["市", "unit_id"]
    assert by_name.loc["东区", "parent_id"] == by_name.loc["市", "unit_id"]
    assert by_name.loc["西区", "centre_source"] == "representative_point"
    assert units.crs.to_epsg() == 4326
    assert abs(by_name.loc["西区", "geometry"].bounds[0] - 112.0) < 1e-6


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
@pytest.mark.filterwarnings("ignore:Column names longer than 10")
@pytest.mark.filterwarnings("ignore:Normalized/laundered field name")
def test_units_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "units.shp"
    _two_level_file(path, crs=None)
    with pytest.raises(ConfigError, match="has no coordinate reference system"):
        units_from_file(path, name_column="NAME", default_level=6, levels=[6])
    good = tmp_path / "units.gpkg"
    _two_level_file(good, crs="EPSG:4490")
    with pytest.raises(ConfigError, match=r"no column 'name'.*columns are: NAME, admin_level"):
        units_from_file(good, name_column="name", default_level=6, levels=[6])
    with pytest.raises(ConfigError, match="does not exist"):
        units_from_file(tmp_path / "nope.gpkg", name_column="name", default_level=6, levels=[6])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24678", 24678.0),
        ("1,234", 1234.0),
        ("1.234", 1234.0),
        ("2.5", 2.5),
        ("12 000", 12000.0),
        ("about 5000", math.nan),
        (None, math.nan),
        ("", math.nan),
    ],
)
def test_parse_population(text: str | None, expected: float) -> None:
    value = parse_population(text)
    assert (math.isnan(value) and math.isnan(expected)) or value == expected


@pytest.fixture(scope="module")
def demo_extract(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The demo region after the retrieve stage (whole extract, levels [5, 6])."""
    demo_module = pytest.importorskip("spatialint.demo.generator")
    out = tmp_path_factory.mktemp("demo")
    demo_module.write_demo(out / "demo.osm.pbf", out / "truth.json", seed=42, scale=1.0)
    clip_extract(out / "demo.osm.pbf", out / "extract.osm.pbf", area=whole(5), levels=[5, 6])
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    return out / "extract.osm.pbf", truth


def test_demo_units_match_truth(demo_extract: tuple[Path, dict]) -> None:
    pbf, truth = demo_extract
    result = build_admin(admin([5, 6], 6), pbf=pbf)
    assert result.incomplete == []
    units = result.units.set_index("unit_id")
    expected = {
        f"r{u['relation_id']}": (
            u["name"],
            u["name_en"],
            u["admin_level"],
            None if u["parent_relation_id"] is None else f"r{u['parent_relation_id']}",
        )
        for u in truth["units"]
    }
    got = {
        uid: (
            row["name"],
            row["name_en"],
            row["admin_level"],
            None if pd.isna(row["parent_id"]) else row["parent_id"],
        )
        for uid, row in units.iterrows()
    }
    assert got == expected
    # centres are the seats (admin_centre place nodes), inside their units
    seats = {(round(p["lon"], 6), round(p["lat"], 6)) for p in truth["places"]}
    for _, row in units.iterrows():
        assert row["centre_source"] == "admin_centre"
        assert (round(row["centre_lon"], 6), round(row["centre_lat"], 6)) in seats
        assert row["geometry"].contains(shapely.Point(row["centre_lon"], row["centre_lat"]))
    # the counties tile their cities
    utm = result.units.to_crs(32649)
    for city in ("r1", "r2"):
        city_area = utm.loc[utm["unit_id"] == city].area.sum()
        parts = utm.loc[utm["parent_id"] == city].area.sum()
        assert abs(parts - city_area) / city_area < 1e-6


def test_demo_places_match_truth(demo_extract: tuple[Path, dict]) -> None:
    pbf, truth = demo_extract
    places = units_from_osm(pbf, levels=[5, 6]).places.set_index("node_id")
    assert set(places.index) == {p["node_id"] for p in truth["places"]}
    for p in truth["places"]:
        row = places.loc[p["node_id"]]
        assert (row["name"], row["name_en"], row["place"]) == (p["name"], p["name_en"], p["place"])
        assert abs(row.geometry.x - p["lon"]) < 1e-7 and abs(row.geometry.y - p["lat"]) < 1e-7
    for name in ("东城", "西城"):  # the demo study's origins resolve
        assert name in set(places["name"])


def _workflow_copy(tmp: Path) -> Path:
    shutil.copy2(REPO_ROOT / "Snakefile", tmp / "Snakefile")
    shutil.copytree(REPO_ROOT / "workflow", tmp / "workflow")
    return tmp


def _snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "snakemake"), "--cores", "1", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.pipeline
@pytest.mark.realdata
def test_rules_retrieve_and_admin_units(andorra_pbf: Path, tmp_path: Path) -> None:
    """The two rules through Snakemake, on the andorra study with the PBF given by file:// URL."""
    workdir = _workflow_copy(tmp_path)
    study = yaml.safe_load((REPO_ROOT / "workflow/config/studies/andorra.yaml").read_text())
    study["source"]["url"] = andorra_pbf.as_uri()
    (workdir / "workflow/config/studies/andorra.yaml").write_text(
        yaml.safe_dump(study, allow_unicode=True), encoding="utf-8"
    )
    result = _snakemake(
        workdir, "data/andorra/network/admin_units.gpkg", "--config", "studies=[andorra]"
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    network = workdir / "data/andorra/network"
    units = gpd.read_file(network / "admin_units.gpkg", layer="admin_units")
    assert set(units["name"]) == ANDORRA_PARISHES
    assert len(gpd.read_parquet(network / "places.parquet")) == 68
    assert "Canillo" in (network / "admin_report.txt").read_text(encoding="utf-8")
    assert (workdir / "data/andorra/osm/extract.osm.pbf").stat().st_size > 100_000
    assert "Canillo" in (workdir / "logs/andorra/admin_units.log").read_text(encoding="utf-8")


@pytest.mark.pipeline
def test_rule_with_corrupt_source_fails_with_one_message(tmp_path: Path) -> None:
    workdir = _workflow_copy(tmp_path)
    (workdir / "broken.osm.pbf").write_bytes(b"\x00\x00\x00\x0dOSMHeader" + b"\xff" * 4000)
    study = {"source": {"kind": "pbf", "url": "broken.osm.pbf"}, "admin": {"levels": [6]},
             "access": {"origins": [AN_ORIGIN]}}  # fmt: skip
    (workdir / "workflow/config/studies/broken.yaml").write_text(yaml.safe_dump(study))
    result = _snakemake(workdir, "data/broken/osm/extract.osm.pbf", "--config", "studies=[broken]")
    assert result.returncode != 0
    log = (workdir / "logs/broken/retrieve_osm.log").read_text(encoding="utf-8")
    assert "broken.osm.pbf is truncated or corrupt" in log and "delete it" in log
    assert "Traceback" not in log
    assert not (workdir / "data/broken/osm/extract.osm.pbf").exists()


@pytest.mark.realdata
def test_build_admin_from_file_keeps_osm_places(monaco_extract: Path, tmp_path: Path) -> None:
    path = tmp_path / "units.gpkg"
    _two_level_file(path, crs="EPSG:4490", west=7.40, south=43.71, size=0.04)  # over Monaco
    settings = admin([5, 6], 6, file="units.gpkg", name_column="NAME")
    result = build_admin(settings, pbf=monaco_extract, base_dir=tmp_path)
    assert set(result.units["name"]) == {"市", "西区", "东区"}
    assert "Monte-Carlo" in set(result.places["name"])
    assert result.report().startswith(f"Admin units built from admin.file {path}")


# --- admin.file and the extract checked in this step, not ten steps later (issue 12) -------


def test_admin_file_in_metres_is_refused_by_the_admin_step(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from spatialint.logs import run_step
    from tests.tiny_study import make_tiny_study, run_admin

    pbf, _ = make_tiny_study(tmp_path / "inputs")
    metres = gpd.GeoSeries([shapely.box(113.0, 28.0, 113.4, 28.2)], crs=4326).to_crs(32649)
    units = tmp_path / "units.geojson"  # what "save as GeoJSON" in a metric project writes
    units.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "区"},
                        "geometry": metres.iloc[0].__geo_interface__,
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    capsys.readouterr()
    with pytest.raises(SystemExit):
        run_step(lambda: run_admin(pbf, units, tmp_path / "network"))
    errors = [line for line in capsys.readouterr().err.splitlines() if " ERROR " in line]
    assert len(errors) == 1, errors
    assert f"admin.file {units} is read as WGS 84 (degrees)" in errors[0]
    assert "look like metres" in errors[0] and "EPSG:4326" in errors[0]
    assert not (tmp_path / "network").exists()


def test_admin_file_nowhere_near_the_extract(tmp_path: Path) -> None:
    from tests.tiny_study import make_tiny_study

    pbf, _ = make_tiny_study(tmp_path / "inputs")
    _two_level_file(tmp_path / "units.gpkg", crs="EPSG:4490", west=100.0, south=10.0)
    settings = admin([5, 6], 6, file="units.gpkg", name_column="NAME")
    with pytest.raises(
        ConfigError,
        match=r"units.gpkg: its 3 unit\(s\) lie at 100.0000–101.0000°E, 10.0000–11.0000°N, "
        r"nowhere near the study extract .* places lie at 113.1000–113.3000°E.*CRS is wrong",
    ):
        build_admin(settings, pbf=pbf, base_dir=tmp_path)


def test_admin_file_with_a_bow_tie_is_repaired(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "units.gpkg"
    gpd.GeoDataFrame(
        {"NAME": ["领结区"]},
        geometry=[shapely.Polygon([(112, 27), (113, 28), (113, 27), (112, 28)])],
        crs="EPSG:4490",
    ).to_file(path)
    with caplog.at_level("WARNING", logger="spatialint"):
        units = units_from_file(path, name_column="NAME", default_level=6, levels=[6]).units
    assert len(caplog.records) == 1
    assert (
        "admin.file" in caplog.text and "feature 1 (领结区) is not a valid polygon" in caplog.text
    )
    assert units.geometry.is_valid.all()
    assert units.geometry.iloc[0].area == pytest.approx(0.5)  # both lobes, in degrees²


@pytest.mark.realdata
def test_extract_of_a_source_cut_before_its_relations(monaco_pbf: Path, tmp_path: Path) -> None:
    from spatialint.osm.blocks import data_blocks, truncation_reason

    # Monaco's blocks end at each kind of object, so a cut before the relations block does not
    # end on a full block; the file reads, holds nodes and ways, and no relation at all
    offset, size = data_blocks(monaco_pbf)[-2]
    cut = tmp_path / "monaco.osm.pbf"
    cut.write_bytes(monaco_pbf.read_bytes()[: offset + size])
    assert truncation_reason(cut) is None
    extract = tmp_path / "extract.osm.pbf"
    clip_extract(cut, extract, area=whole(1), levels=[8, 10])
    with pytest.raises(
        DataError,
        match=r"No admin unit at admin_level \[8, 10\].*The extract holds no relations at all.*"
        r"the source file \(source.url\) looks truncated. Re-download it",
    ):
        build_admin(admin([8, 10], 8), pbf=extract)
