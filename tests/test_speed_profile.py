"""Speed profiles: class groups, urban areas, factors and per-city overrides
(spatialint.network.speed_profile), the ``speeds`` settings, and the road stage's use of them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import yaml
from pandas.testing import assert_series_equal

from spatialint.config import load_study
from spatialint.contracts import ROAD_EDGES
from spatialint.contracts.io import read_table
from spatialint.errors import ConfigError
from spatialint.gaps.benefit import link_times
from spatialint.network import roads
from spatialint.network.graph import CSRGraph
from spatialint.network.speed_profile import (
    GROUP_KEYS,
    apply_speed_factors,
    built_up_areas,
    group_keys,
    node_speed_factor,
    profile_road_edges,
    read_osm_urban_areas,
    speed_group,
    unit_overrides,
    urban_mask,
)
from spatialint.publish.i18n import speeds_note
from spatialint.settings import CityFactors, study_settings

DEMO = study_settings(load_study("demo"))
FREE_FLOW = dataclasses.replace(DEMO.speeds, profile="free_flow")  # the demo runs calibrated
PEAK = dataclasses.replace(FREE_FLOW, profile="peak")
#: A 2 km square around (0.01, 0.01) as the one built-up area of the hand-made cases.
TOWN = shapely.box(0.0, 0.0, 0.02, 0.02)
UNITS = pd.DataFrame(
    {"unit_id": ["r1", "r2"], "name": ["西城区", "东城区"], "name_en": ["West", "East"]}
)


def test_class_groups():
    assert speed_group("motorway") == speed_group("trunk_link") == "expressway"
    assert speed_group("primary_link") == speed_group("secondary") == "arterial"
    assert speed_group("tertiary") == speed_group("residential") == "local"
    groups = speed_group(np.array(["motorway", "secondary", "living_street", "unknown"]))
    assert groups.tolist() == ["expressway", "arterial", "local", "local"]
    assert group_keys(["trunk", "tertiary"], np.array([True, False])).tolist() == [
        "urban_expressway",
        "rural_local",
    ]
    assert len(GROUP_KEYS) == 6


def test_urban_mask_on_a_hand_made_town():
    """Inside and on the outline count as urban; outside, and with no polygons, rural."""
    lon = np.array([0.01, 0.02, 0.03, -0.001])
    lat = np.array([0.01, 0.01, 0.01, 0.01])
    assert urban_mask(lon, lat, [TOWN]).tolist() == [True, True, False, False]
    assert not urban_mask(lon, lat, []).any()


def _edges() -> gpd.GeoDataFrame:
    """Four 1 km edges: two in the town (unit r1, r2), two outside it."""
    lines = [
        shapely.LineString([(0.005, 0.005), (0.015, 0.005)]),  # urban, r1
        shapely.LineString([(0.005, 0.015), (0.015, 0.015)]),  # urban, r2
        shapely.LineString([(0.05, 0.0), (0.06, 0.0)]),  # rural, r1
        shapely.LineString([(0.05, 0.01), (0.06, 0.01)]),  # rural, r2
    ]
    return gpd.GeoDataFrame(
        {
            "highway": ["primary", "residential", "motorway", "primary"],
            "length_m": [1000.0, 1000.0, 1000.0, 1000.0],
            "speed_kph": [60.0, 25.0, 100.0, 60.0],
            "travel_time_s": [60.0, 144.0, 36.0, 60.0],
            "unit_id": ["r1", "r2", "r1", "r2"],
        },
        geometry=lines,
        crs="EPSG:4326",
    )


def test_free_flow_adds_the_groups_and_keeps_the_times():
    edges = _edges()
    out = profile_road_edges(edges, speeds=FREE_FLOW, units=UNITS, urban_polygons=[TOWN])
    assert out["speed_group"].tolist() == [
        "urban_arterial",
        "urban_local",
        "rural_expressway",
        "rural_arterial",
    ]
    assert_series_equal(out["free_flow_kph"], edges["speed_kph"], check_names=False)
    assert_series_equal(out["speed_kph"], edges["speed_kph"])
    assert_series_equal(out["travel_time_s"], edges["travel_time_s"])


def test_peak_factors_and_a_city_override():
    """Peak: free flow × the group's factor; 东城区 (by name) overrides its urban local factor
    only, so its other groups keep the defaults."""
    city = CityFactors(unit="东城区", factors={"urban": {"local": 0.3}})
    speeds = dataclasses.replace(PEAK, city_factors=(city,))
    out = profile_road_edges(_edges(), speeds=speeds, units=UNITS, urban_polygons=[TOWN])
    assert out["speed_kph"].tolist() == pytest.approx([60 * 0.5, 25 * 0.3, 100 * 0.9, 60 * 0.8])
    assert out["travel_time_s"].tolist() == pytest.approx(
        [1000 / (s / 3.6) for s in out["speed_kph"]]
    )
    assert out["free_flow_kph"].tolist() == [60.0, 25.0, 100.0, 60.0]
    fitted = dict.fromkeys(GROUP_KEYS, 0.75)  # e.g. a calibration's: no city override then
    out = apply_speed_factors(out, fitted)
    assert out["speed_kph"].tolist() == pytest.approx([45.0, 18.75, 75.0, 45.0])


def test_apply_speed_factors_with_given_factors():
    edges = _edges().assign(
        speed_group=["urban_arterial", "urban_local", "rural_expressway", "rural_arterial"],
        free_flow_kph=[60.0, 25.0, 100.0, 60.0],
    )
    factors = dict.fromkeys(GROUP_KEYS, 1.0) | {"rural_arterial": 0.5}
    out = apply_speed_factors(edges, factors, {"r1": {"urban_arterial": 0.25}})
    assert out["speed_kph"].tolist() == [15.0, 25.0, 100.0, 30.0]
    assert out["travel_time_s"].iloc[3] == pytest.approx(120.0)
    assert edges["speed_kph"].tolist() == [60.0, 25.0, 100.0, 60.0]  # the input is not changed
    with pytest.raises(ConfigError, match=r"\['rural_arterial'\] are not positive"):
        apply_speed_factors(edges, factors | {"rural_arterial": 0.0})
    with pytest.raises(ConfigError, match=r"no speed factor for the groups \['urban_local'\]"):
        apply_speed_factors(edges, {k: v for k, v in factors.items() if k != "urban_local"})


def test_city_factors_name_a_unit_by_id_or_name():
    entries = (
        CityFactors(unit="West", factors={"urban": {"local": 0.4}}),
        CityFactors(unit="r2", factors={"rural": {"arterial": 0.7}}),
    )
    assert unit_overrides(entries, UNITS) == {
        "r1": {"urban_local": 0.4},
        "r2": {"rural_arterial": 0.7},
    }
    unknown = (CityFactors(unit="北城区", factors={"urban": {"local": 0.4}}),)
    with pytest.raises(
        ConfigError,
        match=r"speeds.city_factors\[0\].unit '北城区' names no admin unit.*东城区, 西城区",
    ):
        unit_overrides(unknown, UNITS)
    with pytest.raises(ConfigError, match=r"city_factors\[1\].unit 'r1' is given twice"):
        unit_overrides((entries[0], CityFactors(unit="r1", factors={})), UNITS)
    free_flow = dataclasses.replace(FREE_FLOW, city_factors=unknown)  # a typo shows at once
    with pytest.raises(ConfigError, match="北城区"):
        profile_road_edges(_edges(), speeds=free_flow, units=UNITS, urban_polygons=[TOWN])


def _study(tmp_path: Path, speeds: dict) -> None:
    study = {
        "source": {"kind": "demo"},
        "access": {"origins": [{"name": "A", "lon": 113.0, "lat": 28.0}]},
        "speeds": speeds,
    }
    text = yaml.safe_dump(study, allow_unicode=True)
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("speeds", "message"),
    [
        ({"profile": "calibrated"}, r"speeds.profile is calibrated but speeds.observed_trips"),
        ({"peak_factors": {"urban": {"local": 0}}}, r"speeds.peak_factors.urban.local.*0"),
        (
            {"city_factors": [{"unit": "x", "factors": {"rural": {"local": -1}}}]},
            r"speeds.city_factors.0.factors.rural.local.*-1",
        ),
        ({"factor_bounds": [1.2, 0.2]}, r"speeds.factor_bounds is \[1.2, 0.2\]"),
        ({"trip_hours": [8, 8]}, r"speeds.trip_hours is \[8.0, 8.0\]: an empty window"),
        ({"urban_landuse": ["farmland"]}, r"urban_landuse names \['farmland'\].*not keep"),
        ({"profile": "rush"}, r"speeds.profile.*'rush'"),
    ],
)
def test_bad_speed_settings_stop_the_study(tmp_path: Path, speeds: dict, message: str):
    _study(tmp_path, speeds)
    with pytest.raises(ConfigError, match=message):
        study_settings(load_study("s", study_dir=tmp_path))


def test_calibrated_profile_with_trips_is_accepted(tmp_path: Path):
    _study(tmp_path, {"profile": "calibrated", "observed_trips": "data/{study}/trips.csv"})
    speeds = study_settings(load_study("s", study_dir=tmp_path)).speeds
    assert speeds.observed_trips == "data/{study}/trips.csv"
    assert speeds.factor_bounds == (0.2, 1.2)
    assert speeds.min_trips_per_group == 10


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_urban_areas_file(tmp_path: Path):
    """A user's file adds its polygons; a file without a CRS is refused, naming the key."""
    pbf = tmp_path / "empty.osm.pbf"
    from spatialint.osm.ways import write_osm

    write_osm(pbf, nodes=[(1, 0.1, 0.1, {})], ways=[])
    good = tmp_path / "urban.gpkg"
    gpd.GeoDataFrame({"name": ["town"]}, geometry=[TOWN], crs="EPSG:4326").to_file(good)
    polygons = built_up_areas(pbf, speeds=FREE_FLOW, urban_areas_file=good)
    assert urban_mask([0.01], [0.01], polygons).tolist() == [True]
    no_crs = tmp_path / "no_crs.gpkg"
    gpd.GeoDataFrame({"name": ["town"]}, geometry=[TOWN]).to_file(no_crs)
    with pytest.raises(
        ConfigError, match=r"speeds.urban_areas_file .*no_crs.gpkg.*(CRS|coordinate)"
    ):
        built_up_areas(pbf, speeds=FREE_FLOW, urban_areas_file=no_crs)


def test_andorra_la_vella_is_urban_and_a_mountain_road_rural(andorra_pbf: Path):
    """On the real extract: the centre of Andorra la Vella (Plaça del Poble) and every edge of
    its main street (Avinguda Meritxell) lie in its landuse polygons; every edge of the
    Carretera d'Engolasters (CS-200, from Escaldes up to the Engolasters lake) is rural."""
    from tests.test_roads import pbf_units, settings

    polygons = read_osm_urban_areas(andorra_pbf, landuse=FREE_FLOW.urban_landuse)
    assert urban_mask([1.5218], [42.5075], polygons).tolist() == [True]
    network = roads.build_road_network(andorra_pbf, pbf_units(andorra_pbf), **settings())
    edges = profile_road_edges(
        network.edges, speeds=FREE_FLOW, units=UNITS, urban_polygons=polygons
    )
    meritxell = edges.loc[edges["name"] == "Avinguda Meritxell", "speed_group"]
    mountain = edges.loc[edges["name"] == "Carretera d'Engolasters", "speed_group"]
    assert len(meritxell) > 0 and set(meritxell) <= {"urban_arterial", "urban_local"}
    assert len(mountain) > 0 and set(mountain) == {"rural_arterial"}
    urban = edges["speed_group"].str.startswith("urban").to_numpy()
    assert 0.1 < edges["length_m"][urban].sum() / edges["length_m"].sum() < 0.5


def _stage_inputs(run: Path) -> dict[str, Path]:
    data = run / "data" / "demo"
    return {
        "pbf": data / "osm" / "extract.osm.pbf",
        "units": data / "network" / "admin_units.gpkg",
        "places": data / "network" / "places.parquet",
    }


def _outputs(folder: Path) -> dict[str, Path]:
    names = [("nodes", "parquet"), ("edges", "parquet"), ("planned", "parquet"), ("graph", "npz"),
             ("speed_fit", "csv"), ("speed_samples", "csv")]  # fmt: skip
    return {k: folder / f"{k}.{ext}" for k, ext in names}


def _graph_arrays(graph: CSRGraph) -> dict[str, np.ndarray]:
    m = graph.matrix
    return {"node_ids": graph.node_ids, "x": graph.x, "y": graph.y, "data": m.data,
            "indices": m.indices, "indptr": m.indptr}  # fmt: skip


@pytest.fixture(scope="module")
def demo_stage(demo_run: Path, tmp_path_factory: pytest.TempPathFactory):
    """The road stage on the demo with free_flow and with peak, and the free-flow network it
    built before the profile (what the stage wrote before speed profiles)."""
    seen = []
    real = roads.apply_speed_profile

    def spy(network, **kwargs):
        seen.append(network)
        return real(network, **kwargs)

    folder = tmp_path_factory.mktemp("speeds")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(roads, "apply_speed_profile", spy)
        for speeds in (FREE_FLOW, PEAK):
            roads.run_road_stage(
                _stage_inputs(demo_run),
                _outputs(folder / speeds.profile),
                roads=DEMO.roads,
                admin=DEMO.admin,
                speeds=speeds,
            )
    return folder, seen[0]


def test_free_flow_writes_the_times_and_graph_of_before(demo_stage):
    folder, before = demo_stage
    out = _outputs(folder / "free_flow")
    edges = read_table(out["edges"], ROAD_EDGES)
    for column in ("speed_kph", "travel_time_s"):
        assert_series_equal(edges[column], before.edges[column])
    assert_series_equal(edges["free_flow_kph"], edges["speed_kph"], check_names=False)
    written = _graph_arrays(CSRGraph.load(out["graph"]))
    for name, array in _graph_arrays(before.graph).items():
        np.testing.assert_array_equal(written[name], array, err_msg=name)
    # the demo's city grids are urban (their landuse polygons), the rural lattice is not
    groups = set(edges["speed_group"])
    assert {"urban_arterial", "urban_local", "rural_local", "rural_expressway"} <= groups


def test_peak_slows_urban_roads_and_the_graph_follows(demo_stage):
    folder, before = demo_stage
    out = _outputs(folder / "peak")
    edges = read_table(out["edges"], ROAD_EDGES)
    factors = {f"{a}_{g}": f for a, gs in PEAK.peak_factors.items() for g, f in gs.items()}
    expected = edges["free_flow_kph"] * edges["speed_group"].map(factors)
    assert_series_equal(edges["speed_kph"], expected, check_names=False)
    assert_series_equal(edges["free_flow_kph"], before.edges["speed_kph"], check_names=False)
    graph = CSRGraph.load(out["graph"])
    rebuilt = roads.graph_from_tables(read_table(out["nodes"], roads.ROAD_NODES), edges)
    np.testing.assert_array_equal(graph.matrix.data, rebuilt.matrix.data)
    assert graph.matrix.data.sum() > before.graph.matrix.data.sum() * 1.1


def test_the_map_and_report_say_which_speeds():
    assert speeds_note(FREE_FLOW, "zh") == "通行速度：自由流"
    assert speeds_note(FREE_FLOW, "en") == "Travel speeds: free flow"
    fit = pd.DataFrame(
        {
            "group": ["urban_local", "all"],
            "trips": [90, 400],
            "median_error_before_min": [2.0, 1.14],
            "median_error_after_min": [0.3, 0.2],
        }
    )
    calibrated = DEMO.speeds  # the demo's profile
    assert (
        speeds_note(calibrated, "zh", fit)
        == "通行速度：按400次观测出行校准（中位误差 1.1→0.2 分钟）"
    )
    assert speeds_note(calibrated, "en", fit) == (
        "Travel speeds: calibrated to 400 observed trips (median error 1.1 → 0.2 min)"
    )
    assert speeds_note(calibrated, "zh") == "通行速度：按观测出行校准"  # no fit to quote
    city = CityFactors(unit="东城区", factors={"urban": {"local": 0.3}})
    note = speeds_note(dataclasses.replace(PEAK, city_factors=(city,)), "zh")
    assert note.startswith("通行速度：高峰（系数 城区快速路 0.55, 城区干路 0.5, 城区其他道路 0.6")
    assert note.endswith("；东城区 另设系数")
    assert "rural arterial 0.8" in speeds_note(PEAK, "en")
    calibrated = dataclasses.replace(PEAK, profile="calibrated", observed_trips="t.csv")
    assert speeds_note(calibrated, "zh") == "通行速度：按观测出行校准"


def test_a_new_link_runs_at_the_factor_of_the_road_it_extends():
    """Gap benefit: the link closing a gap gets the profile's factor at its dead end (the
    smallest of the edges there), so it is not free-flow beside a peak-hour detour."""
    edges = pd.DataFrame(
        {
            "u": [1, 2, 2],
            "v": [2, 1, 3],
            "speed_kph": [30.0, 30.0, 45.0],
            "free_flow_kph": [60.0, 60.0, 50.0],
        }
    )
    assert node_speed_factor(np.array([1, 2, 3, 99]), edges).tolist() == [0.5, 0.5, 0.9, 1.0]
    dead_ends = pd.DataFrame(
        {"planned_class": [None, "primary"], "highway": ["secondary", "tertiary"], "gap_m": 500.0}
    )
    speeds = {"primary": 60.0, "secondary": 50.0, "tertiary": 40.0}
    free = link_times(dead_ends, speeds_kph=speeds)
    peak = link_times(dead_ends, speeds_kph=speeds, speed_factor=np.array([0.5, 0.9]))
    assert free["link_time_s"].tolist() == pytest.approx([36.0, 30.0])
    assert peak["link_time_s"].tolist() == pytest.approx([72.0, 30.0 / 0.9])
    assert peak["link_class"].tolist() == ["secondary", "primary"]
