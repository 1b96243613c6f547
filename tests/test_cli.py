"""The spatialint command line: validate a study, travel times from an ad-hoc point."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from spatialint import cli
from spatialint.contracts import PLACES, ROAD_EDGES
from spatialint.contracts.io import write_table
from spatialint.geo import WGS84
from tests.access_net import grid_network, lonlat
from tests.conftest import AN_ORIGIN


def write_study(folder: Path, name: str, data: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_validate_ok_and_bad(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    studies = tmp_path / "studies"
    origins = [{"name": "A", "place": "东城"}, {"name": "B", "lon": 113.0, "lat": 28.0}]
    write_study(studies, "good", {"source": {"kind": "demo"}, "access": {"origins": origins}})
    assert cli.main(["validate", "good", "--study-dir", str(studies)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "good: OK — source demo, 2 origin(s)",
        "  origin A (place)",
        "  origin B (point)",
        "  bands 60, 120, 180 min; buffer 500 m",
    ]
    access = {"origins": [AN_ORIGIN], "bands_min": [120, 60]}
    write_study(studies, "bands", {"source": {"kind": "demo"}, "access": access})
    assert cli.main(["validate", "bands", "--study-dir", str(studies)]) == cli.EXIT_USER_ERROR
    assert "strictly increasing" in capsys.readouterr().err
    write_study(studies, "two", {"source": {"kind": "demo"}, "access": {
        "origins": [{"name": "A", "place": "x", "unit": "y"}]}})  # fmt: skip
    assert cli.main(["validate", "two", "--study-dir", str(studies)]) == cli.EXIT_USER_ERROR
    assert "exactly one of place, unit, station or lon+lat" in capsys.readouterr().err
    write_study(studies, "pop", {"source": {"kind": "demo"}, "access": {
        "origins": [AN_ORIGIN], "population_file": "nowhere/pop.gpkg"}})  # fmt: skip
    assert cli.main(["validate", "pop", "--study-dir", str(studies)]) == cli.EXIT_USER_ERROR
    assert "nowhere/pop.gpkg' does not exist" in capsys.readouterr().err
    write_study(studies, "grid", {"source": {"kind": "demo"}, "access": {
        "origins": [AN_ORIGIN], "population_raster": "nowhere/{study}.tif"}})  # fmt: skip
    assert cli.main(["validate", "grid", "--study-dir", str(studies)]) == cli.EXIT_USER_ERROR
    assert "access.population_raster 'nowhere/grid.tif' does not exist" in capsys.readouterr().err


def test_times_from_a_point(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    studies = tmp_path / "studies"
    access = {"origins": [AN_ORIGIN], "bands_min": [2, 10]}
    write_study(studies, "tiny", {"source": {"kind": "demo"}, "access": access})
    nodes, edges, graph = grid_network(6, 6, spacing_m=500, speed_kph=36)
    net = tmp_path / "data" / "tiny" / "network"
    net.mkdir(parents=True)
    graph.save(net / "road_graph.npz")
    graph.save(net / "multimodal_graph.npz")
    roads = edges.assign(osmid=edges.index, name=None, ref=None, oneway=False,
                         speed_kph=36.0, free_flow_kph=36.0, speed_group="rural_local",
                         unit_id="u1")  # fmt: skip
    write_table(roads, ROAD_EDGES, net / "road_edges.parquet")
    places = nodes.iloc[[35]].assign(name="Far", name_en=None, place="town", population=100.0)
    write_table(places.drop(columns=["x", "y"]).set_crs(WGS84), PLACES, net / "places.parquet")
    lon, lat = lonlat(np.array([10.0]), np.array([0.0]))
    csv = tmp_path / "times.csv"
    code = cli.main(["times", "tiny", "--lon", str(lon[0]), "--lat", str(lat[0]),
                     "--data-dir", str(tmp_path / "data"), "--study-dir", str(studies),
                     "--csv", str(csv)])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "within 2 min" in out and "within 10 min" in out
    # 10 m along a 500 m / 50 s edge from the corner: the far corner is 10 edges away
    assert "Far" in out and "8.3" in out
    rows = csv.read_text().splitlines()
    assert rows[0] == "node_id,lon,lat,minutes" and len(rows) > 10
    sea_lon, sea_lat = lonlat(np.array([-9000.0]), np.array([0.0]))
    data = str(tmp_path / "data")
    code = cli.main(["times", "tiny", "--lon", str(sea_lon[0]), "--lat", str(sea_lat[0]),
                     "--data-dir", data, "--study-dir", str(studies)])  # fmt: skip
    assert code == cli.EXIT_USER_ERROR
    assert re.search(r"is 9,0\d\d m from the nearest road", capsys.readouterr().err)
    # a places file of another version is refused, naming the step that writes it
    places.drop(columns="node_id").to_parquet(net / "places.parquet")
    code = cli.main(["times", "tiny", "--lon", str(lon[0]), "--lat", str(lat[0]),
                     "--data-dir", data, "--study-dir", str(studies)])  # fmt: skip
    assert code == cli.EXIT_USER_ERROR
    assert "re-run the admin_units step" in capsys.readouterr().err


def test_times_without_network_says_what_to_run(tmp_path: Path, capsys) -> None:
    studies = tmp_path / "studies"
    write_study(studies, "empty", {"source": {"kind": "demo"}, "access": {"origins": [AN_ORIGIN]}})
    data = str(tmp_path / "data")
    code = cli.main(["times", "empty", "--lon", "113", "--lat", "28",
                     "--data-dir", data, "--study-dir", str(studies)])  # fmt: skip
    assert code == cli.EXIT_USER_ERROR
    assert "run the network stage first" in capsys.readouterr().err
