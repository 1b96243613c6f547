"""A hand-made region for the gaps tests, in the network stage's formats, and its settings.

The region (UTM 49N metres, placed near Changsha) has two county-level units West (x < 0) and
East (x > 0) inside one prefecture, and:

- a primary road crossing the border at y = -4000 and a primary → residential road at y = 0
  (a class drop at the border node (0, 0));
- two planted gaps: facing dead ends at y = 2000 (400 m apart, a long detour, bridged by a
  planned way) and at y = -2000 (600 m, a shorter detour over local connectors);
- decoys: a stub 200 m off the main road 100 m from the border (already connected), an interior
  cul-de-sac, and a pair of dead ends on the edge of the extract (y = 4900).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from spatialint.config import load_schema, study_schema, validate
from spatialint.contracts.io import write_table
from spatialint.contracts.network import ADMIN_UNITS, PLANNED_WAYS, ROAD_EDGES, ROAD_NODES
from spatialint.gaps.detect import GapFindings, detect_gaps
from spatialint.gaps.stage import STAGE_SETTINGS
from spatialint.network.graph import CSRGraph
from spatialint.network.speed_profile import speed_group
from spatialint.settings import GapSettings, Settings, study_settings
from tests.conftest import AN_ORIGIN

UTM = "EPSG:32649"
X0, Y0 = 600_000.0, 3_120_000.0
SPEED_KPH = {"primary": 60, "secondary": 50, "residential": 25, "tertiary": 40}

# (way id, highway, name, [(x, y), ...]) in metres relative to (X0, Y0)
ROADS = [
    (101, "primary", "S101", [(-9000, -4000), (-5000, -4000), (-1000, -4000), (-100, -4000),
                              (1000, -4000), (5000, -4000), (9000, -4000)]),
    (102, "residential", "西二路", [(-9000, -2000), (-5000, -2000), (-1000, -2000), (-300, -2000)]),
    (103, "residential", "东二路", [(300, -2000), (1000, -2000), (5000, -2000), (9000, -2000)]),
    (104, "primary", "S104", [(-9000, 0), (-5000, 0), (0, 0)]),
    (105, "residential", "东零路", [(0, 0), (5000, 0), (9000, 0)]),
    (106, "residential", "西四路", [(-9000, 2000), (-5000, 2000), (-200, 2000)]),
    (107, "residential", "东四路", [(200, 2000), (5000, 2000), (9000, 2000)]),
    (108, "residential", "", [(-3000, 4900), (-100, 4900)]),
    (109, "residential", "", [(100, 4900), (3000, 4900)]),
    (110, "residential", "", [(-100, -4000), (-100, -3500)]),  # stub next to the main road
    (111, "residential", "", [(-5000, 2000), (-5000, 3000)]),  # interior cul-de-sac
    (120, "tertiary", "", [(-9000, -4000), (-9000, -2000), (-9000, 0), (-9000, 2000)]),
    (121, "tertiary", "", [(-5000, -4000), (-5000, -2000), (-5000, 0), (-5000, 2000)]),
    (122, "tertiary", "", [(-1000, -4000), (-1000, -2000)]),
    (123, "tertiary", "", [(1000, -4000), (1000, -2000)]),
    (124, "tertiary", "", [(5000, -4000), (5000, -2000), (5000, 0), (5000, 2000)]),
    (125, "tertiary", "", [(9000, -4000), (9000, -2000), (9000, 0), (9000, 2000)]),
]  # fmt: skip
PLANNED = [(900, "construction", "secondary", [(-200, 2000), (200, 2000)])]


@dataclasses.dataclass(frozen=True)
class Region:
    """The network stage's tables of the region."""

    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    units: gpd.GeoDataFrame
    graph: CSRGraph
    planned: gpd.GeoDataFrame


def _lonlat(coords: list[tuple[float, float]]) -> np.ndarray:
    pts = gpd.GeoSeries(shapely.points(np.array(coords) + [X0, Y0]), crs=UTM).to_crs(4326)
    return np.column_stack([pts.x, pts.y])


def node_ids(roads=ROADS) -> dict[tuple[float, float], int]:
    """Node id of every road vertex (metres relative to the origin)."""
    coords: dict[tuple[float, float], int] = {}
    for _, _, _, pts in roads:
        for pt in pts:
            coords.setdefault(pt, 1000 + len(coords))
    return coords


def _edges(roads, coords: dict[tuple[float, float], int]) -> gpd.GeoDataFrame:
    rows = []
    for way, highway, name, pts in roads:
        for a, b in zip(pts[:-1], pts[1:], strict=True):
            length = float(np.hypot(b[0] - a[0], b[1] - a[1]))
            for s, t in ((a, b), (b, a)):
                rows.append(
                    {
                        "u": coords[s],
                        "v": coords[t],
                        "key": 0,
                        "osmid": way,
                        "highway": highway,
                        "name": name,
                        "ref": "",
                        "oneway": False,
                        "length_m": length,
                        "free_flow_kph": float(SPEED_KPH[highway]),
                        "speed_kph": float(SPEED_KPH[highway]),
                        "travel_time_s": length / (SPEED_KPH[highway] / 3.6),
                        "speed_group": f"rural_{speed_group(highway)}",
                        "unit_id": "",
                        "geometry": shapely.LineString(np.array([s, t]) + [X0, Y0]),
                    }
                )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=UTM).to_crs(4326)


def _units() -> gpd.GeoDataFrame:
    boxes = [
        shapely.box(X0 - 10000, Y0 - 5000, X0, Y0 + 5000),
        shapely.box(X0, Y0 - 5000, X0 + 10000, Y0 + 5000),
        shapely.box(X0 - 10000, Y0 - 5000, X0 + 10000, Y0 + 5000),
    ]
    centres = gpd.GeoSeries(boxes, crs=UTM).centroid.to_crs(4326)
    return gpd.GeoDataFrame(
        {
            "unit_id": ["r1", "r2", "r3"],
            "name": ["西县", "东县", "市"],
            "name_en": ["West County", "East County", "City"],
            "admin_level": [6, 6, 5],
            "parent_id": ["r3", "r3", ""],
            "centre_lon": centres.x.to_numpy(),
            "centre_lat": centres.y.to_numpy(),
            "centre_source": "centroid",
        },
        geometry=boxes,
        crs=UTM,
    ).to_crs(4326)


def build_region(roads=ROADS, planned=PLANNED) -> Region:
    """Nodes, edges, units, graph and planned ways in the network stage's formats."""
    coords = node_ids(roads)
    keys = list(coords)
    lonlat = _lonlat(keys)
    nodes = gpd.GeoDataFrame(
        {
            "node_id": [coords[k] for k in keys],
            "x": lonlat[:, 0],
            "y": lonlat[:, 1],
            "unit_id": "",
            "street_count": 0,
        },
        geometry=shapely.points(lonlat),
        crs="EPSG:4326",
    )
    pos = {coords[k]: i for i, k in enumerate(keys)}
    edges = _edges(roads, coords)
    graph = CSRGraph.from_arcs(
        nodes["node_id"].to_numpy(),
        nodes["x"].to_numpy(),
        nodes["y"].to_numpy(),
        np.array([pos[u] for u in edges["u"]]),
        np.array([pos[v] for v in edges["v"]]),
        edges["travel_time_s"].to_numpy(),
    )
    planned_gdf = gpd.GeoDataFrame(
        {
            "osmid": [p[0] for p in planned],
            "highway": [p[1] for p in planned],
            "planned_class": [p[2] for p in planned],
            "name": "",
            "ref": "",
        },
        geometry=[shapely.LineString(np.array(p[3]) + [X0, Y0]) for p in planned],
        crs=UTM,
    ).to_crs(4326)
    return Region(nodes, edges, _units(), graph, planned_gdf)


def write_region_pbf(path: Path, roads=ROADS, rivers=()) -> Path:
    """The region's roads (and river lines, in metres) as a real OSM PBF."""
    from spatialint.osm.ways import write_osm

    coords = node_ids(roads)
    for _, pts in rivers:
        for pt in pts:
            coords.setdefault(pt, 1000 + len(coords))
    lonlat = _lonlat(list(coords))
    nodes = [(i, lon, lat, {}) for i, (lon, lat) in zip(coords.values(), lonlat, strict=True)]
    ways = [(w, [coords[p] for p in pts], {"highway": h, "name": n}) for w, h, n, pts in roads]
    ways += [(w, [coords[p] for p in pts], {"waterway": "river"}) for w, pts in rivers]
    return write_osm(path, nodes=nodes, ways=ways)


def write_network(region: Region, folder: Path) -> dict[str, Path]:
    """The region's network stage outputs in ``folder``, by the gaps rule's input names."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "road_nodes": folder / "road_nodes.parquet",
        "road_edges": folder / "road_edges.parquet",
        "planned": folder / "planned_ways.parquet",
        "units": folder / "admin_units.gpkg",
        "road_graph": folder / "road_graph.npz",
    }
    write_table(region.nodes, ROAD_NODES, paths["road_nodes"])
    write_table(region.edges, ROAD_EDGES, paths["road_edges"])
    write_table(region.planned, PLANNED_WAYS, paths["planned"])
    write_table(region.units, ADMIN_UNITS, paths["units"])
    region.graph.save(paths["road_graph"])
    return paths


def region_study(**sections: dict[str, Any]) -> dict[str, Any]:
    """A validated study named ``test`` (the schema's defaults) with border level 6 and the
    given sections' values on top."""
    schema = study_schema(load_schema())
    study = validate(
        {"source": {"kind": "demo"}, "access": {"origins": [AN_ORIGIN]}}, schema, source="test"
    )
    study["name"] = "test"
    study["admin"]["border_level"] = 6
    for section, values in sections.items():
        study[section].update(values)
    return study


def gap_settings(**overrides: Any) -> GapSettings:
    """The schema's defaults for the gaps section, with overrides."""
    return dataclasses.replace(GapSettings.from_study(region_study()), **overrides)


def stage_settings(**gaps: Any) -> dict[str, Settings]:
    """The settings ``run_gap_stage`` takes, of :func:`region_study` with ``gaps`` values."""
    every = study_settings(region_study(gaps=gaps))
    return {name: getattr(every, name) for name in STAGE_SETTINGS}


def detect(region: Region, *, with_planned: bool = True, **options: Any) -> GapFindings:
    """detect_gaps on the region at border level 6 with the schema's settings; ``options`` are
    detect_gaps' own keywords (``waterways``, ``end_tags``, ``extent``) or gaps settings."""
    own = {k: options.pop(k) for k in ("waterways", "end_tags", "extent") if k in options}
    return detect_gaps(
        region.edges,
        region.units,
        region.graph,
        border_level=6,
        settings=gap_settings(**options),
        planned=region.planned if with_planned else None,
        **own,
    )
