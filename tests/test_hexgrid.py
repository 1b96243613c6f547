"""The H3 accessibility surface: minutes to the nearest origin and origins within each band."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest

from spatialint.access.edges import prepare_edges, road_point_times
from spatialint.access.hexgrid import hex_access
from spatialint.contracts import HEX_ACCESS
from spatialint.errors import ConfigError, DataError
from spatialint.network.routing import travel_times
from tests.access_net import grid_network, node_at


def surface(graph, edges, times, **kw):
    es = prepare_edges(edges, graph)
    xy, point_times = road_point_times(es, times, spacing_m=kw.pop("spacing_m", 200.0))
    return hex_access(
        xy[:, 0], xy[:, 1], {"road": point_times, "multimodal": point_times}, crs=es.crs, **kw
    )


def test_hex_surface_minutes_and_counts() -> None:
    nodes, edges, graph = grid_network(12, 8, spacing_m=500, speed_kph=30)
    west, east = node_at(nodes, 0, 0), node_at(nodes, 11, 7)
    times = travel_times(graph, [west, east], cutoff_s=3600)
    frame = surface(graph, edges, times, origin_ids=np.array([10, 20]), bands_min=[5, 20],
                    resolution=8, reach_m=300)  # fmt: skip
    assert frame.crs == "EPSG:4326"
    assert frame["h3"].is_unique
    assert {"minutes_road", "nearest_origin_road", "origins_5min_road",
            "origins_20min_multimodal"} <= set(frame.columns)  # fmt: skip
    assert set(frame.geom_type) == {"Polygon"}
    by_cell = frame.set_index("h3")
    # the cell holding the west origin: 0 minutes, nearest origin 10, one origin within 5 min
    cell = h3.latlng_to_cell(graph.y[west], graph.x[west], 8)
    assert by_cell.loc[cell, "minutes_road"] == 0
    assert by_cell.loc[cell, "nearest_origin_road"] == 10
    assert by_cell.loc[cell, "origins_5min_road"] == 1
    cell_e = h3.latlng_to_cell(graph.y[east], graph.x[east], 8)
    assert by_cell.loc[cell_e, "nearest_origin_road"] == 20
    # a cell's minutes are at most the best time at any node inside it
    node_cells = np.array(
        [h3.latlng_to_cell(la, lo, 8) for lo, la in zip(graph.x, graph.y, strict=True)]
    )
    best = np.fmin(times[0], times[1]) / 60
    for c in set(node_cells):
        inside = node_cells == c
        assert by_cell.loc[c, "minutes_road"] <= np.nanmin(best[inside]) + 0.02
    assert (frame["origins_20min_road"] >= frame["origins_5min_road"]).all()
    assert frame["origins_20min_road"].max() <= 2
    assert set(node_cells) <= set(frame["h3"])  # the surface covers the network
    assert HEX_ACCESS.problems(frame) == []


def test_unreached_cells_and_fractional_bands_keep_the_contract() -> None:
    # 4 km of road at 36 km/h; a cut-off of 3 min leaves the far end unreached
    nodes, edges, graph = grid_network(9, 1, spacing_m=500, speed_kph=36)
    times = travel_times(graph, [node_at(nodes, 0, 0)], cutoff_s=180)
    frame = surface(graph, edges, times, origin_ids=np.array([7]), bands_min=[1.5, 3],
                    resolution=8, reach_m=300)  # fmt: skip
    assert {"origins_1.5min_road", "origins_3min_multimodal"} <= set(frame.columns)
    unreached = frame["minutes_road"].isna()
    assert unreached.any() and not unreached.all()
    assert isinstance(frame["nearest_origin_road"].dtype, pd.Int64Dtype)
    assert frame.loc[unreached, "nearest_origin_road"].isna().all()
    assert (frame.loc[~unreached, "nearest_origin_road"] == 7).all()
    assert HEX_ACCESS.problems(frame) == []


def test_long_road_without_junctions_is_covered() -> None:
    # one 8 km road between two nodes: the cells along it are on the surface, times grow
    nodes, edges, graph = grid_network(2, 1, spacing_m=8000, speed_kph=60)
    times = travel_times(graph, [node_at(nodes, 0, 0, spacing_m=8000)])
    frame = surface(graph, edges, times, origin_ids=np.array([1]), bands_min=[4],
                    resolution=8, reach_m=300)  # fmt: skip
    assert len(frame) >= 8000 / (2 * h3.average_hexagon_edge_length(8, unit="m"))
    assert frame["minutes_road"].max() == pytest.approx(8.0, abs=0.5)
    assert 0.3 < (frame["origins_4min_road"] == 1).mean() < 0.7


def test_bad_resolution_and_shapes() -> None:
    # (the bands are checked once, by the settings: tests/test_access_settings.py)
    nodes, edges, graph = grid_network(3, 3)
    times = travel_times(graph, [0])
    with pytest.raises(ConfigError, match="resolution"):
        surface(graph, edges, times, origin_ids=np.array([1]), bands_min=[60], resolution=16,
                reach_m=300)  # fmt: skip
    with pytest.raises(DataError, match="shape"):
        surface(graph, edges, times, origin_ids=np.array([1, 2]), bands_min=[60], resolution=8,
                reach_m=300)  # fmt: skip
