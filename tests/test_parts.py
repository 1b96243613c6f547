"""Large tables read in part (issue 14, item 4): the road edges by columns, rows and Parquet row
groups give exactly what the whole table gives, to the isochrones, the integration and the
report alike."""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from spatialint.access.edges import prepare_edges
from spatialint.contracts import ROAD_EDGES
from spatialint.contracts.io import read_table, read_table_parts, write_table
from spatialint.errors import DataError
from spatialint.integration.levels import MetricStudy
from spatialint.integration.stage import EDGE_COLUMNS, read_metric_edges
from spatialint.publish.layers import road_length_km
from spatialint.publish.report.files import write_geopackage
from tests.access_net import grid_network
from tests.maps_fixture import make_layers

ROW_GROUP = 7
"""Rows per Parquet row group in these tests (GeoPandas writes a million)."""


def road_edges(edges: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The grid's edges with every column of the road_edges contract."""
    n = len(edges)
    frame = edges[["u", "v", "travel_time_s", "geometry"]].copy()
    frame["key"] = 0
    frame["osmid"] = np.arange(n) // 2
    frame["highway"] = np.where(np.arange(n) % 3 == 0, "primary", "residential")
    frame["name"] = [f"路{i}" if i % 4 else None for i in range(n)]
    frame["ref"] = None
    frame["oneway"] = False
    frame["length_m"] = shapely.length(frame.to_crs(32649).geometry.values)
    frame["free_flow_kph"] = frame["speed_kph"] = 36.0
    frame["speed_group"] = "rural"
    frame["unit_id"] = "r1"
    return ROAD_EDGES.conform(frame)


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    """A grid network whose road edges are written in row groups of ROW_GROUP rows."""
    _, edges, graph = grid_network(5, 4)
    frame = road_edges(edges)
    path = tmp_path_factory.mktemp("parts") / "road_edges.parquet"
    write_table(frame, ROAD_EDGES, path)
    whole = read_table(path, ROAD_EDGES)
    whole.to_parquet(path, index=False, row_group_size=ROW_GROUP)
    return path, whole, graph


def test_parts_are_the_table_in_order(grid) -> None:
    path, whole, _ = grid
    parts = list(read_table_parts(path, ROAD_EDGES, columns=["u", "highway"]))
    assert len(parts) == -(-len(whole) // ROW_GROUP) > 1
    assert_geodataframe_equal(
        pd.concat(parts, ignore_index=True), whole[["u", "highway", "geometry"]]
    )
    assert_geodataframe_equal(
        read_table(path, ROAD_EDGES, columns=["u", "highway"]), whole[["u", "highway", "geometry"]]
    )


def test_rows_by_value_keep_the_file_order(grid) -> None:
    path, whole, _ = grid
    primary = read_table(path, ROAD_EDGES, rows=("highway", ["primary", "motorway"]))
    expected = whole[whole["highway"] == "primary"].reset_index(drop=True)
    assert_geodataframe_equal(primary, expected)
    none = read_table(path, ROAD_EDGES, rows=("highway", []))
    assert none.empty and none.dtypes.equals(whole.dtypes)


def test_a_missing_column_is_named(grid, tmp_path) -> None:
    path, whole, _ = grid
    old = tmp_path / "road_edges.parquet"
    whole.drop(columns="osmid").to_parquet(old, index=False, row_group_size=ROW_GROUP)
    with pytest.raises(DataError, match="missing column.*osmid"):
        read_table(old, ROAD_EDGES, columns=["u", "osmid"])


def test_isochrone_edges_from_parts_equal_the_whole(grid) -> None:
    path, whole, graph = grid
    by_parts = prepare_edges(
        read_table_parts(path, ROAD_EDGES, columns=["u", "v", "travel_time_s"]), graph
    )
    at_once = prepare_edges(whole, graph)
    for name in ("u", "v", "time_s", "pair", "reverse", "node_x", "node_y"):
        np.testing.assert_array_equal(getattr(by_parts, name), getattr(at_once, name))
    assert shapely.equals_exact(by_parts.lines, at_once.lines, 0).all()


def test_integration_edges_projected_by_parts(grid) -> None:
    path, whole, graph = grid
    units = make_layers().units
    metric = read_metric_edges(path, graph)
    study = MetricStudy.build(units, whole[[*EDGE_COLUMNS, "geometry"]], graph)
    assert_geodataframe_equal(metric, study.edges)
    again = MetricStudy.build(units, metric, graph).edges  # already metric: kept, not copied
    assert again.geometry.values[0] is metric.geometry.values[0]


def test_road_length_by_parts(grid) -> None:
    path, whole, _ = grid
    parts = read_table_parts(path, ROAD_EDGES, columns=["length_m"])
    assert road_length_km(parts) == road_length_km([whole])
    assert road_length_km([whole.iloc[:0]]) == 0.0
    # the grid's two-way roads are counted once
    assert road_length_km([whole]) == pytest.approx(whole["length_m"].sum() / 2000)


def test_report_geopackage_writes_the_road_file_by_parts(tmp_path) -> None:
    layers = make_layers()
    path = tmp_path / "road_edges.parquet"
    write_table(layers.roads, ROAD_EDGES, path)
    read_table(path, ROAD_EDGES).to_parquet(path, index=False, row_group_size=2)
    main_roads = read_table(path, ROAD_EDGES, rows=("highway", ["motorway"]))
    partial = replace(layers, roads=main_roads, roads_path=path)
    assert partial.road_km == layers.road_km == pytest.approx(36.0 + 17.8 + 4.5)
    whole_gpkg, parts_gpkg = tmp_path / "whole.gpkg", tmp_path / "parts.gpkg"
    write_geopackage(layers, whole_gpkg, cgcs2000=True)
    write_geopackage(partial, parts_gpkg, cgcs2000=True)
    listed = pyogrio.list_layers(whole_gpkg)
    np.testing.assert_array_equal(listed, pyogrio.list_layers(parts_gpkg))
    for name in listed[:, 0]:
        assert pyogrio.read_arrow(whole_gpkg, layer=name)[1].equals(
            pyogrio.read_arrow(parts_gpkg, layer=name)[1]
        ), name
