"""The H3 accessibility surface: minutes to the nearest origin and origins within each band."""

from __future__ import annotations

import h3
import numpy as np
import pytest

from spatialint.errors import ConfigError, DataError
from spatialint.hexgrid import hex_access
from spatialint.routing import travel_times
from tests.access_net import grid_network, node_at


def test_hex_surface_minutes_and_counts() -> None:
    nodes, _, graph = grid_network(12, 8, spacing_m=500, speed_kph=30)
    west, east = node_at(nodes, 0, 0), node_at(nodes, 11, 7)
    times = travel_times(graph, [west, east], cutoff_s=3600)
    bands = [5, 20]
    with pytest.raises(DataError, match="shape"):
        hex_access(graph.x, graph.y, {"road": times[:1]}, origin_ids=np.array([10, 20]),
                   bands_min=bands, resolution=8, reach_m=300)  # fmt: skip
    frame = hex_access(
        graph.x, graph.y, {"road": times, "multimodal": times},
        origin_ids=np.array([10, 20]), bands_min=bands, resolution=8, reach_m=300,
    )  # fmt: skip
    assert frame.crs == "EPSG:4326"
    assert frame["h3"].is_unique
    assert {
        "minutes_road",
        "nearest_origin_road",
        "origins_5min_road",
        "origins_20min_multimodal",
    } <= set(frame.columns)
    assert set(frame.geom_type) == {"Polygon"}
    # the cell holding the west origin: 0 minutes, nearest origin 10, one origin within 5 min
    cell = h3.latlng_to_cell(graph.y[west], graph.x[west], 8)
    row = frame.set_index("h3").loc[cell]
    assert row["minutes_road"] == 0 and row["nearest_origin_road"] == 10
    assert row["origins_5min_road"] == 1
    cell_e = h3.latlng_to_cell(graph.y[east], graph.x[east], 8)
    assert frame.set_index("h3").loc[cell_e, "nearest_origin_road"] == 20
    # minutes agree with the minimum node time over the cell's nodes
    node_cells = np.array(
        [h3.latlng_to_cell(la, lo, 8) for lo, la in zip(graph.x, graph.y, strict=True)]
    )
    best = np.fmin(times[0], times[1]) / 60
    for c in frame["h3"].sample(10, random_state=0):
        inside = node_cells == c
        if inside.any():
            assert frame.set_index("h3").loc[c, "minutes_road"] == pytest.approx(
                np.nanmin(best[inside]), abs=0.02
            )
    # counts never exceed the number of origins and grow with the band
    assert (frame["origins_20min_road"] >= frame["origins_5min_road"]).all()
    assert frame["origins_20min_road"].max() <= 2
    # the surface covers the network: every node's cell is present
    assert set(node_cells) <= set(frame["h3"])


def test_bad_bands_and_resolution() -> None:
    nodes, _, graph = grid_network(3, 3)
    times = travel_times(graph, [0])
    with pytest.raises(ConfigError, match="empty"):
        hex_access(graph.x, graph.y, {"road": times}, origin_ids=np.array([1]), bands_min=[],
                   resolution=8, reach_m=300)  # fmt: skip
    with pytest.raises(ConfigError, match="resolution"):
        hex_access(graph.x, graph.y, {"road": times}, origin_ids=np.array([1]), bands_min=[60],
                   resolution=16, reach_m=300)  # fmt: skip
