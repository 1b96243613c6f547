"""The demo's observed trips: SYNTHETIC trips from a known congested speed field.

They stand in for the route-planning trips a planner would supply, so the demo can show and
test speed calibration (:mod:`spatialint.network.calibration`): the region's road network is
built in-process at the schema's free-flow speeds, every edge's speed is multiplied by the true
factor of its group (:data:`TRUE_FACTORS`), and each trip's minutes are its fastest time under
those speeds times a seeded noise of ±:data:`NOISE_SHARE`. Calibration must recover the factors
within 5 %.

The trips mix the lengths planners observe (:data:`TRIP_MIX`): inside a city, to a place within
~15 km, and across the region. A few bad rows follow the good ones, each of a kind calibration
must leave out (:data:`BAD_ROWS`): a point far outside the region, a repeated row, a trip faster
than any road allows and one slower than walking.

Edges are grouped by the road stage's own speed groups (:mod:`spatialint.network.speed_profile`:
class group, and urban inside the built-up landuse polygons the demo's PBF carries), so the
trips and the pipeline's calibration see the same groups.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from spatialint.config import load_schema
from spatialint.demo.frame import km_to_lonlat
from spatialint.demo.layout import CENTRE_E, CENTRE_W
from spatialint.demo.scale import ScalePattern
from spatialint.fileio import atomic_path
from spatialint.network.roads import RoadNetwork, build_road_network
from spatialint.network.speed_profile import (
    edge_midpoints,
    group_keys,
    read_osm_urban_areas,
    urban_mask,
)
from spatialint.network.trip_paths import GroupedEdges, trip_group_seconds

TRUE_FACTORS: dict[str, float] = {
    "urban_expressway": 0.70,
    "urban_arterial": 0.45,
    "urban_local": 0.55,
    "rural_expressway": 0.92,
    "rural_arterial": 0.80,
    "rural_local": 0.70,
}
"""The congested speed field of the demo: factor of the free-flow speed per road group (made
up, in the range of peak-hour city speeds; recorded in ``truth.json``). The demo has no
expressway inside its cities, so ``urban_expressway`` cannot be recovered from its trips."""

NOISE_SHARE = 0.03
"""Each trip's minutes are its true time × a uniform factor in 1 ± this."""
TRIP_MIX = {"city": 160, "near": 160, "far": 80}
"""Good trips of each kind: both ends in one city; ends ≤ :data:`NEAR_KM` apart; anywhere."""
NEAR_KM = 15.0
GUESS_KPH = 10.0
"""Straight-line speed (km/h) of a trip's guessed time, where its search may stop: slower than
almost every demo trip (their median is ~19 km/h at the true factors)."""
TRIPS_SEED_OFFSET = 17
"""The trips' random draws use ``seed + this``, apart from the region's own draws."""
BAD_ROWS = ("not_snappable", "duplicate", "too_fast", "too_slow")
"""The bad rows appended after the good trips, in this order."""
OFFSHORE_DEG = 0.5
"""The unsnappable row's destination lies this far south of the region."""
TRIPS_NOTE = (
    "# SYNTHETIC observed trips of the spatialint demo (not observations): minutes routed on the "
    "demo network with known speed factors per road group (truth.json: true_speed_factors) "
    "plus ±3 % noise; the last rows are deliberately bad."
)


def city_areas(scale: float) -> list[shapely.Polygon]:
    """The two cities' street grids as WGS-84 boxes: the demo's urban areas."""
    half = ScalePattern.at(scale).city_half_km
    boxes = []
    for cx, cy in (CENTRE_W, CENTRE_E):
        lon, lat = km_to_lonlat(np.array([cx - half, cx + half]), np.array([cy - half, cy + half]))
        boxes.append(shapely.box(lon[0], lat[0], lon[1], lat[1]))
    return boxes


def urban_polygons(pbf: str | os.PathLike[str]) -> np.ndarray:
    """The built-up areas the road stage reads from the demo's PBF (its landuse polygons, with
    the schema's default ``speeds.urban_landuse``)."""
    speeds = load_schema()["$defs"]["study"]["properties"]["speeds"]["properties"]
    return read_osm_urban_areas(pbf, landuse=speeds["urban_landuse"]["default"])


def edge_groups(edges: gpd.GeoDataFrame, polygons: np.ndarray) -> np.ndarray:
    """The road stage's speed group of each edge (urban when its midpoint lies in one of
    ``polygons``): the trips are made with exactly the pipeline's grouping."""
    urban = urban_mask(*edge_midpoints(edges), polygons)
    return group_keys(edges["highway"].to_numpy(dtype=object), urban).astype(str)


def demo_network(pbf: str | os.PathLike[str], bbox: list[float]) -> RoadNetwork:
    """The demo's road network at the schema's default free-flow speeds (one unit: the
    region)."""
    network = load_schema()["$defs"]["study"]["properties"]["network"]["properties"]
    west, south, east, north = bbox
    units = gpd.GeoDataFrame(
        {"unit_id": ["demo"], "name": ["demo"], "admin_level": [6]},
        geometry=[shapely.box(west, south, east, north)], crs="EPSG:4326",
    )  # fmt: skip
    return build_road_network(
        pbf, units, highway_classes=network["highway_classes"]["default"],
        speeds_kph=network["speeds_kph"]["default"],
        maxspeed_zones_kph=network["maxspeed_zones_kph"]["default"],
    )  # fmt: skip


def _pairs(lon: np.ndarray, lat: np.ndarray, city: np.ndarray, rng: np.random.Generator):
    """Origin and destination node positions of the good trips (:data:`TRIP_MIX`)."""
    km_x = 111.32 * np.cos(np.radians(lat.mean()))
    o_all, d_all = [], []
    for kind, count in TRIP_MIX.items():
        origins, dests = [], []
        while len(origins) < count:
            pool = np.flatnonzero(city >= 0) if kind == "city" else np.arange(lon.size)
            o = rng.choice(pool)
            if kind == "city":
                d = rng.choice(np.flatnonzero(city == city[o]))
            elif kind == "near":
                dist = np.hypot((lon - lon[o]) * km_x, (lat - lat[o]) * 110.57)
                d = rng.choice(np.flatnonzero((dist < NEAR_KM) & (dist > 1.0)))
            else:
                d = rng.integers(lon.size)
            if d != o:
                origins.append(o)
                dests.append(d)
        o_all += origins
        d_all += dests
    return np.array(o_all, dtype=np.int64), np.array(d_all, dtype=np.int64)


def synthetic_trips(
    network: RoadNetwork, areas: list[shapely.Polygon], polygons: np.ndarray, *, seed: int
) -> pd.DataFrame:
    """The good trips (routed under :data:`TRUE_FACTORS`, with noise) and the bad rows: city
    trips start in ``areas`` (the street grids); edges are grouped by the built-up
    ``polygons``."""
    rng = np.random.default_rng(seed + TRIPS_SEED_OFFSET)
    edges, graph = network.edges, network.graph
    groups = tuple(TRUE_FACTORS)
    codes = pd.Series(edge_groups(edges, polygons)).map({g: i for i, g in enumerate(groups)})
    u, v = graph.edge_positions(edges["u"].to_numpy(), edges["v"].to_numpy())
    grouped = GroupedEdges(graph.n_nodes, u, v, edges["travel_time_s"].to_numpy(float),
                           codes.to_numpy(np.int64), groups)  # fmt: skip
    lon, lat = graph.x, graph.y
    city = np.full(lon.size, -1)
    for i, area in enumerate(areas):
        city[shapely.contains_xy(area, lon, lat)] = i
    o, d = _pairs(lon, lat, city, rng)
    factors = np.array([TRUE_FACTORS[g] for g in groups])
    straight_km = np.hypot((lon[d] - lon[o]) * 111.32 * np.cos(np.radians(lat.mean())),
                           (lat[d] - lat[o]) * 110.57)  # fmt: skip
    # each search stops at a generous guess of its trip's time (a trip beyond it is searched
    # again in full: the same paths, far less of the region settled)
    paths = trip_group_seconds(grouped, factors, o, d, limit_s=straight_km / GUESS_KPH * 3600)
    keep = paths.reached
    noise = rng.uniform(1 - NOISE_SHARE, 1 + NOISE_SHARE, keep.sum())
    minutes = np.round(paths.modelled_s(factors)[keep] / 60 * noise, 3)
    o, d = o[keep], d[keep]
    good = pd.DataFrame({"o_lon": lon[o], "o_lat": lat[o], "d_lon": lon[d], "d_lat": lat[d]})
    good = good.round(7).assign(minutes=minutes)
    return pd.concat([good, _bad_rows(good)], ignore_index=True)


def _bad_rows(good: pd.DataFrame) -> pd.DataFrame:
    """One row of each kind of :data:`BAD_ROWS`, made from the first good trips."""
    offshore = good.iloc[[0]].assign(d_lat=good["d_lat"].min() - OFFSHORE_DEG)
    duplicate = good.iloc[[1]]
    too_fast = good.iloc[[2]].assign(minutes=good["minutes"].iloc[2] * 0.2)
    too_slow = good.iloc[[3]].assign(minutes=good["minutes"].iloc[3] * 50)
    return pd.concat([offshore, duplicate, too_fast, too_slow], ignore_index=True)


def write_observed_trips(
    pbf: str | os.PathLike[str], trips_path: str | os.PathLike[str], *, bbox: list[float],
    scale: float, seed: int,
) -> dict[str, float]:  # fmt: skip
    """Write the demo's synthetic trips CSV (atomically) for the region in ``pbf``; returns the
    true factors they were made with."""
    network = demo_network(pbf, bbox)
    trips = synthetic_trips(network, city_areas(scale), urban_polygons(pbf), seed=seed)
    with atomic_path(Path(trips_path)) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        handle.write(TRIPS_NOTE + "\n")
        trips.to_csv(handle, index=False)
    return dict(TRUE_FACTORS)
