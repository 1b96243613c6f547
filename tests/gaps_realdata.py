"""A real-data truth for the gaps stage: the Andorra extract with planted gaps and marked
cul-de-sacs.

The real extract (``../shared/data/osm/andorra.osm.pbf``, OSM ~2013, © OpenStreetMap
contributors, ODbL) is read where it lies and a modified copy written to a temporary folder
(:func:`build_fixture`), so the answers are known exactly:

- **planted gaps** (:data:`PLANTS`): real roads that cross a parish border, cut with pyosmium
  - two facing stubs: the crossing stretch of a road removed, both sides kept;
  - a stub facing a through road: the road removed from before the border up to the junction
    where it meets a through road of the other parish;
  - across a river: the bridge that crosses the river at the border removed;
- **marked cul-de-sacs** (:data:`CUL_DE_SACS`): real dead ends near a parish border that no
  reviewer would call a missing link (housing-estate and hillside streets, a turning circle).

:func:`run_fixture` runs the retrieve, admin-units, road-network and gaps stages on the copy
in-process and returns the dead ends; :mod:`tests.gaps_quality` scores them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import osmium
import pandas as pd
from osmium.osm import mutable

from spatialint.config import load_study
from spatialint.contracts.gaps import DEAD_ENDS
from spatialint.contracts.io import read_table
from spatialint.gaps.stage import STAGE_SETTINGS, run_gap_stage
from spatialint.network.roads import run_road_stage
from spatialint.osm.admin import run_admin_stage
from spatialint.osm.retrieve import run_retrieve_stage
from spatialint.osm.ways import haversine_m
from spatialint.settings import study_settings

#: First id of the ways the fixture adds (the far side of a cut road); above every id of 2013.
NEW_WAY_ID = 9_000_000_000


@dataclass(frozen=True)
class Plant:
    """A planted gap: how real border-crossing roads are cut.

    ``cut`` removes the stretch ``(from, to)`` (metres along way ``way_id``) and keeps both
    sides (``stub_to_road``: only the first; the far end stays a node of the through road);
    ``remove`` deletes whole ways (a bridge and the carriageways leading to it).
    """

    name: str
    kind: str  # "facing_stubs" | "stub_to_road" | "across_river"
    way_id: int = 0
    cut: tuple[float, float] = (0.0, 0.0)
    remove: tuple[int, ...] = ()


# Border crossings of Andorra's parishes (admin_level 7) in the 2013 extract. Most crossings
# of the towns' main roads are one-way carriageways (a cut leaves one-way stubs, which the
# network stage drops), and the CG-1 and CG-2 carry all traffic of a direction (a cut splits
# the network); these are two-way crossings whose cut leaves the network in one piece.
PLANTS = (
    # CG-3, the main road up the valley (primary, La Massana–Ordino; the border at 131 m of
    # 217 m): 60–180 m removed, two primary stubs face each other across ~130 m
    Plant("CG-3", "facing_stubs", 6197721, cut=(60.0, 180.0)),
    # Carretera de Beixalis (secondary, Encamp–La Massana; the border at 4050 m of 4152 m):
    # removed from 200 m before the border to its junction in Encamp, so the stub faces the
    # roads of Encamp
    Plant("Beixalis", "stub_to_road", 24456592, cut=(3850.0, 4152.0)),
    # The two-way bridge of the primary road over the Valira del Nord, which is the border of
    # Andorra la Vella and Escaldes-Engordany there, and the one-way slip road beside it: the
    # link needs a bridge
    Plant("Valira del Nord bridge", "across_river", remove=(24405095, 24413471)),
)

#: Real dead ends within 500 m of a parish border that are cul-de-sacs, by their OSM end node,
#: judged on the map (the thumbnails) and on SRTM heights, not by the tool's rules.
CUL_DE_SACS = {
    266619909: "Carrer de la Pleta, La Massana: ends in a turning circle",
    264495544: "Urbanització Giberga (a housing estate), La Massana: across the river",
    264495938: "Urbanització Giberga (a housing estate), La Massana: across the river",
    259986460: "Camí de les Molleres, La Massana: hillside street, across the river",
    53309380: "La Massana: hillside street ending beside its turning circle",
    53327629: "Carrer Coma del Colat, La Massana: switchback street up the hillside",
    51414414: "Escaldes-Engordany: switchback street up the hillside",
    2188646306: "Escaldes-Engordany: estate street curling away from the river",
    2042735463: "Ordino: street ending on the ridge, 70 m above the road it would join",
}


@dataclass(frozen=True)
class PlantedGap:
    """A plant as cut: the end nodes it leaves (either may be a finding's node)."""

    plant: Plant
    ends: tuple[int, ...]


def _cumulative_m(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    steps = haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:])
    return np.concatenate([[0.0], np.cumsum(steps)])


def _road_ways(source: Path) -> dict[int, tuple[list[int], np.ndarray]]:
    """Node ids and (lon, lat) of every road way."""
    found = {}
    for way in osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY).with_locations():
        if way.is_way() and "highway" in way.tags:
            found[way.id] = (
                [n.ref for n in way.nodes],
                np.array([(n.lon, n.lat) for n in way.nodes]),
            )
    return found


def _cut(plant: Plant, refs: list[int], xy: np.ndarray) -> tuple[list[list[int]], tuple[int, ...]]:
    """The pieces of the way that remain and the end nodes the cut leaves."""
    along = _cumulative_m(xy[:, 0], xy[:, 1])
    start, stop = plant.cut
    before = [r for r, s in zip(refs, along, strict=True) if s < start]
    after = [r for r, s in zip(refs, along, strict=True) if s > stop]
    if plant.kind == "stub_to_road":  # the far end stays a node of the through road
        return [before], (before[-1],)
    return [before, after], (before[-1], after[0])


def _removal_ends(plant: Plant, ways: dict[int, tuple[list[int], np.ndarray]]) -> tuple[int, ...]:
    """Nodes of the removed ways that stay on a kept road."""
    removed = {n for w in plant.remove for n in ways[w][0]}
    kept = {n for w, (refs, _) in ways.items() if w not in plant.remove for n in refs}
    return tuple(sorted(removed & kept))


def build_fixture(source: Path, target: Path) -> list[PlantedGap]:
    """Write the extract with every plant cut to ``target`` (its header box kept)."""
    ways = _road_ways(source)
    pieces: dict[int, list[list[int]]] = {w: [] for p in PLANTS for w in p.remove}
    planted = []
    for plant in PLANTS:
        if plant.remove:
            planted.append(PlantedGap(plant, _removal_ends(plant, ways)))
            continue
        parts, ends = _cut(plant, *ways[plant.way_id])
        pieces[plant.way_id] = parts
        planted.append(PlantedGap(plant, ends))
    _write(source, target, pieces)
    return planted


def _write(source: Path, target: Path, pieces: dict[int, list[list[int]]]) -> None:
    """Copy ``source`` with the ways of ``pieces`` replaced by their pieces (the first keeps
    the way's id, the others get new ids after the last way)."""
    reader = osmium.io.Reader(str(source), osmium.osm.NOTHING)
    header = reader.header()
    reader.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    writer = osmium.SimpleWriter(str(target), header=header)
    extra: list[tuple[list[int], dict[str, str]]] = []
    try:
        for obj in osmium.FileProcessor(str(source)):
            if obj.is_way() and obj.id in pieces:
                tags = dict(obj.tags)
                for k, part in enumerate(pieces[obj.id]):
                    if k == 0:
                        writer.add_way(mutable.Way(id=obj.id, nodes=part, tags=tags, version=1))
                    else:
                        extra.append((part, tags))
                continue
            if obj.is_relation() and extra:  # ways before relations, as in a sorted file
                for k, (part, tags) in enumerate(extra):
                    writer.add_way(mutable.Way(id=NEW_WAY_ID + k, nodes=part, tags=tags, version=1))
                extra = []
            writer.add(obj)
    finally:
        writer.close()


def run_fixture(
    pbf: Path | tuple[Path, ...], folder: Path, *, admin: dict | None = None, **gaps: object
) -> pd.DataFrame:
    """The andorra study's retrieve, admin, road and gaps stages on ``pbf`` (or several PBFs,
    merged), its ``admin`` and ``gaps`` keys updated with ``admin`` and ``gaps``; the dead
    ends."""
    study = load_study("andorra")
    study["admin"].update(admin or {})
    study["gaps"].update(gaps)
    every = study_settings(study)
    url = str(pbf) if isinstance(pbf, Path) else tuple(str(p) for p in pbf)
    source = dataclasses.replace(every.source, url=url)
    osm = {"pbf": folder / "osm" / "extract.osm.pbf", "area": folder / "osm" / "study_area.gpkg"}
    run_retrieve_stage(
        {}, osm, source=source, area=every.area, admin_levels=every.admin_levels, base_dir=folder
    )
    net = folder / "network"
    admin = {"units": net / "admin_units.gpkg", "places": net / "places.parquet",
             "report": net / "admin_report.txt"}  # fmt: skip
    run_admin_stage({"pbf": osm["pbf"]}, admin, admin=every.admin, base_dir=folder)
    names = {"nodes": "road_nodes.parquet", "edges": "road_edges.parquet",
             "planned": "planned_ways.parquet", "graph": "road_graph.npz",
             "speed_fit": "speed_fit.csv", "speed_samples": "speed_samples.csv"}  # fmt: skip
    roads = {key: net / name for key, name in names.items()}
    run_road_stage(
        {"pbf": osm["pbf"], "units": admin["units"], "places": admin["places"]},
        roads,
        roads=every.roads,
        admin=every.admin,
        speeds=every.speeds,
    )
    out = folder / "gaps"
    outputs = {"gpkg": out / "gaps.gpkg", "csv": out / "gaps.csv", "xlsx": out / "gaps.xlsx",
               "template": out / "gaps_review_template.csv",
               "thumbnails": out / "thumbnails"}  # fmt: skip
    inputs = {"pbf": osm["pbf"], "area": osm["area"], "road_edges": roads["edges"],
              "planned": roads["planned"], "road_graph": roads["graph"],
              "units": admin["units"]}  # fmt: skip
    run_gap_stage(inputs, outputs, **{n: getattr(every, n) for n in STAGE_SETTINGS})
    return read_table(outputs["gpkg"], DEAD_ENDS)
