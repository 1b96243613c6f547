"""Isochrones: reached and partly reached edges, holes kept (lake, unbridged river), bands."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from spatialint.access.edges import EdgeSet, cut_lines, prepare_edges, reached_lines
from spatialint.access.isochrones import IsochroneBuilder, isochrone_table
from spatialint.access.origins import read_origins
from spatialint.access.population import VectorPopulation, load_population, population_within
from spatialint.contracts import HEX_ACCESS, ISOCHRONES
from spatialint.contracts.io import read_table, write_layers
from spatialint.errors import DataError
from spatialint.network.routing import load_times, travel_times
from tests.access_net import grid_network, lonlat, metric_point, node_at
from tests.conftest import REPO_ROOT
from tests.pipeline_runs import output_of, snakemake, workflow_copy

SPACING_M = 500.0


def builder(
    edges: EdgeSet,
    *,
    buffer_m: float,
    method: str = "auto",
    grid_cell_m: float = 100.0,
    min_hole_km2: float = 0.1,
) -> IsochroneBuilder:
    """A polygon builder with this test module's usual settings."""
    return IsochroneBuilder(
        edges, buffer_m=buffer_m, min_hole_km2=min_hole_km2, method=method, grid_cell_m=grid_cell_m
    )


def lake(c: int, r: int) -> bool:
    """Nodes within 2.2 km of (6 km, 5 km) are under water."""
    return bool(np.hypot(c * SPACING_M - 6000, r * SPACING_M - 5000) < 2200)


@pytest.fixture(scope="module")
def lake_net():
    nodes, edges, graph = grid_network(25, 21, drop_node=lake)
    return nodes, edges, graph, prepare_edges(edges, graph)


@pytest.mark.parametrize("method", ["vector", "grid"])
def test_lake_stays_a_hole_not_a_hull(lake_net, method: str) -> None:
    nodes, _, graph, edges = lake_net
    times = travel_times(graph, [node_at(nodes, 0, 10)])[0]
    (poly,) = builder(edges, buffer_m=300, method=method, grid_cell_m=60).polygons(
        times, [np.nanmax(times) + 1]
    )
    assert poly.geom_type == "MultiPolygon" and poly.is_valid
    lake_centre = metric_point(6000, 5000, edges.crs)
    assert not poly.contains(lake_centre)
    assert poly.convex_hull.contains(lake_centre)  # a hull would have swallowed the lake
    holes = [shapely.Polygon(r) for p in poly.geoms for r in p.interiors]
    assert len(holes) == 1 and holes[0].contains(lake_centre)
    # the hole is the lake minus the buffer: radius ~ 2.2 km - 0.5 km spacing - 0.3 km buffer
    assert 4e6 < holes[0].area < 15e6
    assert poly.contains(metric_point(3000, 5000, edges.crs))


@pytest.mark.parametrize("method", ["vector", "grid"])
def test_river_without_bridge_leaves_a_gap(method: str) -> None:
    # A river between columns 10 and 11; the only bridge is in the top row.
    def no_bridge(c0, r0, c1, r1):
        return c0 == 10 and c1 == 11 and r0 != 16

    nodes, edges_gdf, graph = grid_network(22, 17, drop_edge=no_bridge)
    edges = prepare_edges(edges_gdf, graph)
    times = travel_times(graph, [node_at(nodes, 0, 0)])[0]
    (poly,) = builder(edges, buffer_m=200, method=method, grid_cell_m=40).polygons(
        times, [np.nanmax(times) + 1]
    )
    river = metric_point(10.5 * SPACING_M, 4 * SPACING_M, edges.crs)
    assert not poly.contains(river)
    assert poly.contains(metric_point(10 * SPACING_M, 4 * SPACING_M, edges.crs))
    assert poly.contains(metric_point(11 * SPACING_M, 4 * SPACING_M, edges.crs))
    assert poly.convex_hull.contains(river)


def test_vector_and_grid_agree(lake_net) -> None:
    nodes, _, graph, edges = lake_net
    times = travel_times(graph, [node_at(nodes, 2, 3)])[0]
    bands = [400.0, 900.0, 1500.0]
    vec = builder(edges, buffer_m=300, method="vector").polygons(times, bands)
    grid = builder(edges, buffer_m=300, method="grid", grid_cell_m=60).polygons(times, bands)
    for v, g in zip(vec, grid, strict=True):
        assert v.symmetric_difference(g).area / v.area < 0.01
        # boundaries within one grid cell (the grid rounds the notches between two buffers)
        assert v.boundary.hausdorff_distance(g.boundary) < 60
    areas = [p.area for p in vec]
    assert areas == sorted(areas)  # bands nest


def test_partly_reached_edge_is_cut_at_its_time_fraction() -> None:
    # A straight road of 3 edges, 500 m / 50 s each; band 125 s reaches 2.5 edges.
    nodes, edges_gdf, graph = grid_network(4, 1, speed_kph=36.0)
    edges = prepare_edges(edges_gdf, graph)
    times = travel_times(graph, [node_at(nodes, 0, 0)])[0]
    band = times[node_at(nodes, 2, 0)] + 0.5 * (
        times[node_at(nodes, 3, 0)] - times[node_at(nodes, 2, 0)]
    )
    lines = reached_lines(edges, times, band)
    reach = shapely.union_all(lines)
    end = metric_point(2.5 * SPACING_M, 0, edges.crs)
    beyond = metric_point(2.75 * SPACING_M, 0, edges.crs)
    assert reach.distance(end) < 30  # the kinked edge bulges ~12 m sideways at its middle
    assert reach.distance(beyond) > 100
    total = sum(shapely.length(lines))
    assert total == pytest.approx(2.5 * edges.lines[0].length, rel=0.02)


def test_oneway_is_drawn_only_downstream() -> None:
    # Row of 3 nodes; edge (1,0)->(2,0) is oneway towards (2,0). From (2,0) nothing goes west.
    nodes, edges_gdf, graph = grid_network(3, 1, oneway_edge=lambda c0, r0, c1, r1: c0 == 1)
    edges = prepare_edges(edges_gdf, graph)
    times = travel_times(graph, [node_at(nodes, 2, 0)])[0]
    lines = reached_lines(edges, times, 10_000.0)
    assert len(lines) == 1 and lines[0].geom_type == "Point"  # only the origin itself


def test_cut_lines_vectorised() -> None:
    lines = np.array(
        [shapely.LineString([(0, 0), (10, 0), (10, 10)]), shapely.LineString([(0, 0), (4, 0)])]
    )
    cut = cut_lines(lines, np.array([0.75, 0.5]))
    assert cut[0].equals(shapely.LineString([(0, 0), (10, 0), (10, 5)]))
    assert cut[1].equals(shapely.LineString([(0, 0), (2, 0)]))


def test_table_with_population(lake_net) -> None:
    nodes, _, graph, edges = lake_net
    origins = pd.DataFrame({"origin_id": [1, 2], "name": ["west", "east"]})
    times = travel_times(graph, [node_at(nodes, 0, 10), node_at(nodes, 24, 10)])
    lon, lat = lonlat(np.array([0.0, 12000.0, 6000.0]), np.array([5000.0, 5000.0, 5000.0]))
    pop = gpd.GeoDataFrame(
        {"population": [100, 200, 999]}, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326"
    )  # the third person lives on the lake: never inside
    polygons = builder(edges, buffer_m=300)
    table = isochrone_table(
        polygons, origins, {"road": times, "multimodal": times}, bands_min=[5, 60],
        population=VectorPopulation("pop.gpkg", pop, "population"),
    )  # fmt: skip
    assert len(table) == 2 * 2 * 2 and table.crs == "EPSG:4326"
    assert ISOCHRONES.problems(table) == []
    assert set(table.geom_type) == {"MultiPolygon"}
    big = table[(table.band_min == 60) & (table["mode"] == "road")]
    assert big["population"].tolist() == [300.0, 300.0]
    small = table[(table.band_min == 5) & (table.origin_id == 1)]
    assert small["population"].iloc[0] == 100.0
    # the same times by both modes: road + rail gains no one; road rows have no gain
    gained = table.set_index("mode")["population_gained"]
    assert gained["road"].isna().all() and (gained["multimodal"] == 0).all()
    none = isochrone_table(polygons, origins, {"road": times}, bands_min=[60])
    assert none["population"].isna().all()
    with pytest.raises(DataError, match="origins"):
        isochrone_table(polygons, origins.head(1), {"road": times}, bands_min=[60])


def test_population_column_checked() -> None:
    pop = gpd.GeoDataFrame({"people": [1]}, geometry=[shapely.Point(0, 0)], crs="EPSG:4326")
    with pytest.raises(DataError, match="population_column"):
        population_within([shapely.box(-1, -1, 1, 1)], pop, column="population")


def test_parallel_table_equals_serial(lake_net) -> None:
    nodes, _, graph, edges = lake_net
    origins = pd.DataFrame({"origin_id": [1, 2, 3], "name": ["a", "b", "c"]})
    times = travel_times(graph, [node_at(nodes, 0, 10), node_at(nodes, 24, 10), 5])
    polygons = builder(edges, buffer_m=300)
    one = isochrone_table(polygons, origins, {"road": times}, bands_min=[10, 20])
    two = isochrone_table(polygons, origins, {"road": times}, bands_min=[10, 20], workers=2)
    assert_geodataframe_equal(one, two)


# --- the pipeline on the demo and on the real extracts ------------------------------------------


@pytest.mark.pipeline
def test_demo_hsr_three_hour_circle_reaches_the_far_city(demo_run: Path) -> None:
    base = demo_run / "data" / "demo"
    truth = json.loads((base / "demo" / "truth.json").read_text(encoding="utf-8"))
    expected = truth["expected"]
    far = next(p for p in truth["places"] if p["name"] == expected["far_place"])
    far_point = shapely.Point(far["lon"], far["lat"])
    origins = read_origins(base / "access" / "origins.gpkg")
    station = origins[
        (origins["kind"] == "station") & (origins["matched"] == expected["hsr_origin_station"])
    ]
    assert len(station) == 1
    iso = read_table(base / "access" / "isochrones.gpkg", ISOCHRONES)
    # every configured origin has every band in both modes
    assert len(iso) == len(origins) * 2 * 3
    assert set(iso["mode"]) == {"road", "multimodal"}
    assert (iso["area_km2"] > 0).all()
    three_h = iso[(iso["origin_id"] == station["origin_id"].iloc[0]) & (iso["band_min"] == 180)]
    by_mode = three_h.set_index("mode").geometry
    assert by_mode["multimodal"].contains(far_point)
    assert not by_mode["road"].contains(far_point)
    # bands nest
    for _, group in iso.groupby(["origin_id", "mode"]):
        areas = group.sort_values("band_min")["area_km2"].to_numpy()
        assert np.all(np.diff(areas) >= 0)
    hexes = read_table(base / "access" / "isochrones.gpkg", HEX_ACCESS)
    assert hexes["h3"].is_unique and len(hexes) > 100
    # road + rail is never slower; a cell road alone does not reach in time is NaN by road
    multimodal, road = hexes["minutes_multimodal"].fillna(np.inf), hexes["minutes_road"]
    assert (multimodal <= road.fillna(np.inf) + 1e-6).all()
    origin_ids, _, seconds = load_times(base / "access" / "travel_times_road.npz")
    assert origin_ids.tolist() == origins["origin_id"].tolist()
    assert seconds.dtype == np.float32
    assert np.nanmax(seconds) <= 180 * 60


def test_isochrones_file_that_breaks_the_contract_names_the_step(tmp_path: Path) -> None:
    circle = shapely.MultiPolygon([shapely.box(113.0, 28.0, 113.1, 28.1)])
    table = gpd.GeoDataFrame(
        {"origin_id": [1], "origin_name": ["a"], "mode": ["road"], "band_min": [60.0],
         "area_km2": [100.0], "population": [np.nan], "population_gained": [np.nan]},
        geometry=[circle], crs="EPSG:4326",
    )  # fmt: skip
    hexes = gpd.GeoDataFrame(
        {"h3": ["8841a92c89fffff"], "population": [12.5], "minutes_road": [3.5],
         "nearest_origin_road": pd.array([1], dtype="Int64"), "origins_60min_road": [1]},
        geometry=[shapely.box(113.0, 28.0, 113.01, 28.01)], crs="EPSG:4326",
    )  # fmt: skip
    path = tmp_path / "isochrones.gpkg"
    write_layers(path, {ISOCHRONES: table, HEX_ACCESS: hexes})
    assert_geodataframe_equal(read_table(path, ISOCHRONES), ISOCHRONES.conform(table))
    # an older version's file: its band column was named otherwise
    table.rename(columns={"band_min": "band"}).to_file(path, layer="isochrones")
    with pytest.raises(DataError, match=r"missing column.*'band_min'.*re-run the isochrones step"):
        read_table(path, ISOCHRONES)
    hexes.assign(minutes_road="3.5").to_file(path, layer="hex_access")
    with pytest.raises(DataError, match=r"'minutes_road' is .*not float.*isochrones step"):
        read_table(path, HEX_ACCESS)


def run_access(workdir: Path, studies: list[str]) -> Path:
    """Run snakemake up to the isochrones of ``studies`` in a copy of the workflow."""
    workflow_copy(workdir)
    shared = REPO_ROOT.parent / "shared"  # the real-data studies read ../shared/data/osm
    if shared.exists() and not (workdir.parent / "shared").exists():
        (workdir.parent / "shared").symlink_to(shared)
    targets = [f"data/{s}/access/isochrones.gpkg" for s in studies]
    config = f"studies=[{','.join(studies)}]"
    result = snakemake(workdir, "--cores", "2", "--config", config, "--", *targets, timeout=1200)
    assert result.returncode == 0, output_of(result)[-5000:]
    return workdir


@pytest.mark.pipeline
@pytest.mark.realdata
@pytest.mark.parametrize("study", ["andorra", "monaco"])
def test_real_extracts_have_isochrones(
    study: str, tmp_path: Path, andorra_pbf: Path, monaco_pbf: Path
) -> None:
    access = run_access(tmp_path / "repo", [study]) / "data" / study / "access"
    iso = read_table(access / "isochrones.gpkg", ISOCHRONES)
    origins = read_origins(access / "origins.gpkg")
    assert len(origins) >= 3
    assert len(iso) == len(origins) * 2 * 3
    assert (iso["area_km2"] > 0).all() and iso.geometry.is_valid.all()
    for origin in origins.itertuples():
        polys = iso[(iso["origin_id"] == origin.origin_id) & (iso["mode"] == "road")]
        # the origin lies within its snap distance of each of its circles
        gap_m = polys.to_crs(polys.estimate_utm_crs()).distance(
            gpd.GeoSeries([origin.geometry], crs=4326).to_crs(polys.estimate_utm_crs()).iloc[0]
        )
        assert (gap_m <= origin.snap_m + 1).all()


def test_population_file_checks_and_polygons(tmp_path: Path) -> None:
    blocks = gpd.GeoDataFrame(
        {"pop": [10, 20]},
        geometry=[shapely.box(0, 0, 2, 2), shapely.box(10, 10, 12, 12)],
        crs="EPSG:3857",
    )
    path = tmp_path / "pop.gpkg"
    blocks.to_file(path)
    frame = load_population(str(path), column="pop")
    # areas count at a point inside them
    got = population_within([shapely.box(-1, -1, 3, 3)], frame, column="pop")
    assert got.tolist() == [10.0]
    with pytest.raises(DataError, match="no column 'people'"):
        load_population(str(path), column="people")
    no_crs = tmp_path / "nocrs.parquet"
    blocks.set_crs(None, allow_override=True).to_parquet(no_crs)
    with pytest.raises(DataError, match="no CRS"):
        load_population(str(no_crs), column="pop")
    with pytest.raises(DataError, match="Cannot read"):
        load_population(str(tmp_path / "missing.gpkg"), column="pop")


@pytest.mark.parametrize("bad", ["约3000", "1,200", -5])
def test_head_counts_that_are_not_numbers_are_refused(tmp_path: Path, bad) -> None:
    """A head count the file's author mistyped stops the run, naming the feature: it is never
    silently counted as 0 people."""
    frame = gpd.GeoDataFrame(
        {"pop": [100, bad, None]},
        geometry=[shapely.Point(0, 0), shapely.Point(1, 1), shapely.Point(2, 2)],
        crs="EPSG:4326",
    )
    path = tmp_path / "pop.gpkg"
    frame.to_file(path)
    with pytest.raises(DataError, match=r"feature 2: head count .* not a number of people"):
        load_population(str(path), column="pop")
    frame["pop"] = [100, "250", None]
    frame.to_file(path)
    assert load_population(str(path), column="pop")["pop"].tolist() == [100.0, 250.0, 0.0]
