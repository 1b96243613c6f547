"""Border levels on real OpenStreetMap data: Andorra's national border and its parish borders.

The Andorra extract (``../shared/data/osm/andorra.osm.pbf``, OSM ~2013, © OpenStreetMap
contributors, ODbL) holds the boundary of Andorra (admin_level 2) and of its seven parishes (7),
but neither Spain nor France, nor their comarcas and arrondissements, is complete in it; of
Andorra and Canillo two ways at Pas de la Casa lie beyond the file. So the study runs on an
``admin.file`` built from the extract (:func:`national_units`):

- the seven parishes (level 7) from their OSM relations; Canillo's ring, like Andorra's, is
  closed by a straight line between the open ends at Pas de la Casa (4.4 km, where the
  extract's box cuts the border);
- Andorra (level 2) from its OSM relation, closed the same way (the parishes tile it exactly);
- the rest of the extract's box, split into Spain and France by the line through the two
  Andorra–France–Spain tripoints of the OSM boundary (Pic de Médécourbe in the west, near
  Pic de la Portelleta in the east) and east/west along their latitudes: each country once at
  level 2 and once at level 7, as one stand-in for its comarcas or arrondissements.

With ``admin.border_level: [2, 7]`` a finding or corridor between a parish and Spain or France
must cross the national border (国界, level 2), one between two parishes a parish border (7).
The answers are marked by the names of the two units, not by the tool's hierarchy.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import pytest
import shapely
from shapely.ops import linemerge

from spatialint.config import load_study
from spatialint.contracts.gaps import CLASS_DROPS, MISSING_CROSSINGS
from spatialint.contracts.integration import CORRIDORS
from spatialint.contracts.io import read_table
from spatialint.contracts.network import ADMIN_UNITS, ROAD_EDGES
from spatialint.integration.table import corridor_table
from spatialint.network.graph import CSRGraph
from spatialint.osm.units import units_from_osm
from spatialint.settings import study_settings
from tests.gaps_realdata import run_fixture

pytestmark = pytest.mark.realdata

ANDORRA, CANILLO = 9407, 2804754
"""OSM relations of Andorra (admin_level 2) and Canillo (7), both open at Pas de la Casa."""
WEST_TRIPOINT = (1.4419886, 42.60372)
EAST_TRIPOINT = (1.7258804, 42.5041819)
"""Where the OSM boundary of Andorra meets France and Spain (ends of the France — Andorra
border relation, r126410)."""
SPAIN, FRANCE = "España (in the extract)", "France (in the extract)"
NATIONAL, PARISH = 2, 7


def _closed_ring(pbf: Path, relation_id: int) -> shapely.Polygon:
    """The relation's member ways in the extract, merged into one line and closed straight."""
    members: list[int] = []
    for rel in osmium.FileProcessor(str(pbf), osmium.osm.RELATION):
        if rel.id == relation_id:
            members = [m.ref for m in rel.members if m.type == "w"]
    lines = [
        shapely.LineString([(n.lon, n.lat) for n in way.nodes])
        for way in osmium.FileProcessor(str(pbf))
        .with_locations()
        .with_filter(osmium.filter.IdFilter(members))
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
    ]
    merged = linemerge(lines)
    assert merged.geom_type == "LineString", f"r{relation_id} is not one open line"
    return shapely.Polygon([*merged.coords, merged.coords[0]])


def national_units(pbf: Path) -> gpd.GeoDataFrame:
    """Parishes (7), Andorra (2), and Spain and France each at levels 2 and 7 (see above)."""
    parishes = units_from_osm(pbf, levels=[PARISH]).units[["name", "geometry"]]
    canillo = gpd.GeoDataFrame({"name": ["Canillo"]}, geometry=[_closed_ring(pbf, CANILLO)])
    andorra = _closed_ring(pbf, ANDORRA)
    box = osmium.io.Reader(str(pbf), osmium.osm.osm_entity_bits.NOTHING).header().box()
    west, south = box.bottom_left.lon, box.bottom_left.lat
    east, north = box.top_right.lon, box.top_right.lat
    north_east = shapely.Polygon(
        [(west - 1, WEST_TRIPOINT[1]), WEST_TRIPOINT, EAST_TRIPOINT, (east + 1, EAST_TRIPOINT[1]),
         (east + 1, north + 1), (west - 1, north + 1)]
    )  # fmt: skip
    outside = shapely.box(west, south, east, north).difference(andorra)
    france, spain = outside.intersection(north_east), outside.difference(north_east)
    named = zip(parishes["name"], parishes.geometry, strict=True)
    rows = [
        *((name, PARISH, geom) for name, geom in named),
        ("Canillo", PARISH, canillo.geometry.iloc[0]),
        ("Andorra", NATIONAL, andorra),
        *((name, level, geom) for name, geom in ((SPAIN, spain), (FRANCE, france))
          for level in (NATIONAL, PARISH)),
    ]  # fmt: skip
    return gpd.GeoDataFrame(
        {"name": [r[0] for r in rows], "admin_level": [r[1] for r in rows]},
        geometry=[r[2] for r in rows],
        crs="EPSG:4326",
    )


def run_levels(pbf: Path, folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The findings of the gaps stage (dead ends, class drops, missing crossings: ``kind``,
    the two units' names ``a``/``b``, ``border_level``, ``border``) and the corridor table
    (neighbouring pairs) of the Andorra study with border levels [2, 7] on
    :func:`national_units`."""
    units_file = folder / "units.gpkg"
    national_units(pbf).to_file(units_file, driver="GPKG")
    admin = {"levels": [NATIONAL, PARISH], "border_level": [NATIONAL, PARISH],
             "file": str(units_file)}  # fmt: skip
    dead = run_fixture(pbf, folder, admin=admin)
    gpkg = folder / "gaps" / "gaps.gpkg"
    findings = pd.concat(
        [
            table[[*names, "border_level", "border"]]
            .set_axis(["a", "b", "border_level", "border"], axis=1)
            .assign(kind=kind)
            for kind, table, names in (
                ("dead_end", dead, ["unit_name", "other_unit_name"]),
                ("class_drop", read_table(gpkg, CLASS_DROPS), ["unit_high", "unit_low"]),
                (
                    "missing_crossing",
                    read_table(gpkg, MISSING_CROSSINGS),
                    ["unit_a_name", "unit_b_name"],
                ),
            )  # fmt: skip
        ],
        ignore_index=True,
    )
    study = load_study("andorra")
    study["admin"].update(admin)
    settings = dataclasses.replace(study_settings(study).integration, corridors=())
    net = folder / "network"
    graph = CSRGraph.load(net / "road_graph.npz")
    corridors = corridor_table(
        read_table(net / "admin_units.gpkg", ADMIN_UNITS),
        read_table(net / "road_edges.parquet", ROAD_EDGES),
        graph,
        graph,
        settings=settings,
        dead_ends=dead,
    )
    return findings, CORRIDORS.conform(corridors)


def expected_level(a: str, b: str) -> int:
    """The answer marked by name: national between a parish and Spain or France."""
    return NATIONAL if {a, b} & {SPAIN, FRANCE} else PARISH


def level_scores(expected: np.ndarray, found: np.ndarray) -> str:
    """Accuracy, and recall and precision of the national level."""
    right = int((expected == found).sum())
    national = expected == NATIONAL
    said = found == NATIONAL
    hits = int((national & said).sum())
    recall = f"{hits / national.sum():.2f}" if national.any() else "n/a"
    precision = f"{hits / said.sum():.2f}" if said.any() else "n/a"
    return (
        f"{right}/{len(expected)} right; national: {int(national.sum())} expected, "
        f"{int(said.sum())} found, recall {recall}, precision {precision}"
    )


@pytest.fixture(scope="module")
def andorra_levels(andorra_pbf: Path, tmp_path_factory: pytest.TempPathFactory):
    return run_levels(andorra_pbf, tmp_path_factory.mktemp("andorra_levels"))


def test_the_parishes_tile_andorra(andorra_pbf: Path):
    units = national_units(andorra_pbf).to_crs("EPSG:32631")
    parishes = shapely.union_all(units.geometry[units["admin_level"] == PARISH].values[:7])
    andorra = units.geometry[units["name"] == "Andorra"].iloc[0]
    assert parishes.symmetric_difference(andorra).area < 1e-6 * andorra.area


def test_national_and_parish_borders_of_every_finding(andorra_levels):
    """Every 断头路, class drop and missing crossing says the border its units' names mark.
    (The extract has no dead end at the national border: its only road across it in the
    network, to Os de Civís, is a through road; a class drop and a missing crossing are
    there.)"""
    findings, _ = andorra_levels
    expected = np.array(
        [expected_level(a, b) for a, b in zip(findings["a"], findings["b"], strict=True)]
    )
    found = findings["border_level"].to_numpy(dtype=float)
    for kind in findings["kind"].unique():
        mine = (findings["kind"] == kind).to_numpy()
        print(f"\nAndorra [2, 7] {kind}: {level_scores(expected[mine], found[mine])}")
    assert (expected == NATIONAL).sum() >= 2 and (findings["kind"] == "dead_end").sum() >= 30
    assert (found == expected).all()
    words = dict(zip(findings["border_level"].astype(int), findings["border"], strict=True))
    assert words == {NATIONAL: "national border", PARISH: "township/parish border"}


def test_national_and_parish_borders_of_every_corridor(andorra_levels):
    _, corridors = andorra_levels
    expected = np.array(
        [
            expected_level(a, b)
            for a, b in zip(corridors["unit_a"], corridors["unit_b"], strict=True)
        ]
    )
    found = corridors["border_level"].to_numpy(dtype=float)
    print(f"\nAndorra [2, 7] corridors: {level_scores(expected, found)}")
    assert (expected == NATIONAL).sum() >= 4 and (found == expected).all()
    pair = corridors[corridors["name"] == "Andorra la Vella–Escaldes-Engordany"]
    assert pair["border"].tolist() == ["township/parish border"]
