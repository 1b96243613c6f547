"""Clip and filter an OSM PBF to a study area with pyosmium, keeping what later stages use.

What is kept (:func:`wanted_way_tags`, :func:`wanted_node_tags`, :func:`wanted_relation_tags`):

- ways with ``highway=*`` (including ``construction`` / ``proposed``), railway track ways
  (:data:`RAIL_WAY_VALUES`), ``waterway=river|canal`` and ``natural=water``;
- nodes with ``place=*`` and ``railway=station|halt``;
- ``boundary=administrative`` relations at the configured admin levels (and the units that make
  up the area), with all their member ways and their ``admin_centre`` / ``label`` nodes;
- ``natural=water`` multipolygon relations with their member ways;
- every node referenced by a kept way ("complete ways"), so each way keeps its full geometry.

A way is in the area when any of its nodes is; a boundary relation when its bounding box meets
the area (so the units *containing* a small area are kept for the parent look-up too).

The file is streamed four times, never loaded whole: (1) relations, (2) nodes and ways with
pyosmium's node-location index (C++; only tagged nodes reach Python), with each candidate way's
coordinates kept as float32 numpy arrays and tested against the area in vectorised shapely 2
calls, (3) :class:`osmium.IdTracker` adds the nodes of the kept ways, (4) the kept ids are
copied to the output with :class:`osmium.SimpleWriter`.
"""

from __future__ import annotations

import difflib
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import shapely
from shapely.geometry.base import BaseGeometry

from spatialint.config import REPO_ROOT
from spatialint.errors import ConfigError, DataError
from spatialint.fileio import atomic_path
from spatialint.geo import WGS84, utm_crs_for

logger = logging.getLogger(__name__)

RAIL_WAY_VALUES = frozenset(
    {
        "rail",
        "light_rail",
        "subway",
        "narrow_gauge",
        "monorail",
        "tram",
        "funicular",
        "construction",
        "proposed",
    }
)
RAIL_NODE_VALUES = frozenset({"station", "halt"})
WATERWAY_VALUES = frozenset({"river", "canal"})
CENTRE_ROLES = ("admin_centre", "label")


def wanted_way_tags(tags: Any) -> bool:
    """True for the ways later stages use (roads, rail track, rivers/canals, water areas)."""
    return (
        "highway" in tags
        or tags.get("railway") in RAIL_WAY_VALUES
        or tags.get("waterway") in WATERWAY_VALUES
        or tags.get("natural") == "water"
    )


def wanted_node_tags(tags: Any) -> bool:
    """True for place nodes and railway stations/halts."""
    return "place" in tags or tags.get("railway") in RAIL_NODE_VALUES


def wanted_relation_tags(tags: Any, levels: Iterable[int]) -> bool:
    """True for admin boundaries at ``levels`` and water multipolygons."""
    if tags.get("boundary") == "administrative":
        return parse_level(tags.get("admin_level")) in set(levels)
    return tags.get("natural") == "water" and tags.get("type") == "multipolygon"


def parse_level(value: str | None) -> int | None:
    """``admin_level`` as int, ``None`` when missing or not a plain integer (e.g. ``"4;6"``)."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


@dataclass
class RelationInfo:
    """What the clip needs to know about a relation of the source file."""

    id: int
    tags: dict[str, str]
    outer_ways: list[int] = field(default_factory=list)
    inner_ways: list[int] = field(default_factory=list)
    centres: dict[str, list[int]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.tags.get("name") or self.tags.get("name:zh") or self.tags.get("name:en") or ""

    @property
    def admin_level(self) -> int | None:
        return parse_level(self.tags.get("admin_level"))

    @property
    def is_admin(self) -> bool:
        return self.tags.get("boundary") == "administrative"

    @property
    def centre_nodes(self) -> list[int]:
        """Member nodes with role ``admin_centre`` or ``label``, in that order."""
        return [n for role in CENTRE_ROLES for n in self.centres.get(role, [])]

    @property
    def member_ways(self) -> list[int]:
        return self.outer_ways + self.inner_ways

    def label(self) -> str:
        return f"{self.name or '(unnamed)'} (admin_level {self.admin_level}, relation {self.id})"


@dataclass
class ClipStats:
    """Counts and timing of one clip."""

    source: Path
    objects_read: int = 0
    nodes: int = 0
    ways: int = 0
    relations: int = 0
    seconds: float = 0.0
    area_km2: float | None = None

    @property
    def objects_per_s(self) -> float:
        return self.objects_read / self.seconds if self.seconds > 0 else float("nan")


def _osm_error(path: Path, err: Exception) -> DataError:
    return DataError(
        f"The OSM file {path} is truncated or corrupt ({err}); delete it and download it again "
        "(for a cached download, delete the file and re-run: it is fetched anew)."
    )


def read_relations(path: Path) -> dict[int, RelationInfo]:
    """Boundary and water relations of ``path`` with their member ways and centre nodes."""
    relations: dict[int, RelationInfo] = {}
    try:
        for rel in osmium.FileProcessor(str(path), osmium.osm.RELATION):
            tags = rel.tags
            if tags.get("boundary") != "administrative" and tags.get("natural") != "water":
                continue
            info = RelationInfo(id=rel.id, tags=dict(tags))
            for member in rel.members:
                if member.type == "w":
                    (info.inner_ways if member.role == "inner" else info.outer_ways).append(
                        member.ref
                    )
                elif member.type == "n" and member.role in CENTRE_ROLES:
                    info.centres.setdefault(member.role, []).append(member.ref)
            relations[rel.id] = info
    except RuntimeError as err:
        raise _osm_error(path, err) from err
    return relations


def resolve_units(
    refs: Sequence[Mapping[str, Any]], relations: Mapping[int, RelationInfo], *, source: Path
) -> list[int]:
    """Relation ids of the ``area.admin_units`` references (relation_id or name + admin_level).

    Names match the ``name``, ``name:zh``, ``name:en`` and ``official_name`` tags exactly.

    Raises
    ------
    ConfigError
        A reference matches no boundary relation (the message lists similar names), or a name
        matches several relations (the message lists their ids).
    """
    admin = [r for r in relations.values() if r.is_admin]
    ids: list[int] = []
    for ref in refs:
        if "relation_id" in ref:
            rid = int(ref["relation_id"])
            if rid not in relations or not relations[rid].is_admin:
                raise ConfigError(
                    f"area.admin_units: relation {rid} is not a boundary=administrative relation "
                    f"in {source}; check the id on openstreetmap.org/relation/{rid} and that the "
                    "extract covers it."
                )
            ids.append(rid)
            continue
        name, level = str(ref["name"]), int(ref["admin_level"])
        found = [
            r
            for r in admin
            if r.admin_level == level
            and name in {r.tags.get(k) for k in ("name", "name:zh", "name:en", "official_name")}
        ]
        if not found:
            names = sorted({r.name for r in admin if r.name})
            close = difflib.get_close_matches(name, names, n=6, cutoff=0.4)
            at_level = sorted(r.name for r in admin if r.admin_level == level and r.name)
            hint = (
                f"similar names: {', '.join(repr(c) for c in close)}"
                if close
                else "no similar names"
            )
            raise ConfigError(
                f"area.admin_units: no boundary relation named {name!r} at admin_level {level} in "
                f"{source} ({hint}; names at admin_level {level}: "
                f"{', '.join(at_level[:20]) or 'none'}). Fix the name or level, or give "
                "relation_id."
            )
        if len(found) > 1:
            raise ConfigError(
                f"area.admin_units: {name!r} at admin_level {level} matches relations "
                f"{', '.join(str(r.id) for r in found)}; give relation_id instead."
            )
        ids.append(found[0].id)
    return ids


def assemble_relation(
    info: RelationInfo, way_coords: Mapping[int, np.ndarray], *, source: Path
) -> BaseGeometry:
    """(Multi)polygon of a boundary relation from its member ways' coordinates.

    Raises
    ------
    DataError
        Member ways are missing from the file or the rings do not close.
    """
    missing = [w for w in info.member_ways if w not in way_coords]
    if missing:
        raise DataError(
            f"The boundary {info.label()} is incomplete in {source}: {len(missing)} of "
            f"{len(info.member_ways)} member ways are missing. Use an extract that covers the "
            "whole unit, or give area.polygon_file / area.bbox instead."
        )

    def rings(way_ids: list[int]) -> BaseGeometry:
        lines = [shapely.linestrings(way_coords[w]) for w in way_ids if len(way_coords[w]) >= 2]
        if not lines:
            return shapely.Polygon()
        polys, cuts, dangles, invalid = shapely.polygonize_full(lines)
        if not shapely.is_empty(dangles) or not shapely.is_empty(invalid):
            raise DataError(
                f"The boundary {info.label()} in {source} has rings that do not close; fix it in "
                "OSM or give area.polygon_file / area.bbox instead."
            )
        return shapely.union_all(shapely.get_parts(polys))

    geom = shapely.difference(rings(info.outer_ways), rings(info.inner_ways))
    if geom.is_empty:
        raise DataError(f"The boundary {info.label()} in {source} has no area.")
    return geom


def read_polygon_file(path: Path) -> BaseGeometry:
    """Union of the polygons of a GeoJSON / GeoPackage / Shapefile, in WGS-84.

    Raises
    ------
    ConfigError
        The file does not exist, has no CRS, or holds no polygon.
    """
    if not path.exists():
        raise ConfigError(f"area.polygon_file {path} does not exist; check the path.")
    try:
        frame = gpd.read_file(path)
    except Exception as err:  # pyogrio raises its own DataSourceError family
        raise ConfigError(f"area.polygon_file {path} could not be read: {err}") from err
    if frame.crs is None:
        raise ConfigError(
            f"area.polygon_file {path} has no coordinate reference system; save it with one "
            "(e.g. EPSG:4326 or EPSG:4490) — a missing CRS is never guessed."
        )
    polygons = frame[frame.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polygons.empty:
        raise ConfigError(f"area.polygon_file {path} holds no polygon.")
    return shapely.union_all(polygons.to_crs(WGS84).geometry.values)


def bbox_polygon(bbox: Sequence[float]) -> BaseGeometry:
    """Polygon of ``[west, south, east, north]``; a ConfigError for a misordered bbox."""
    west, south, east, north = (float(v) for v in bbox)
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ConfigError(
            f"area.bbox {list(bbox)} is not [west, south, east, north] in degrees with "
            "west < east and south < north."
        )
    return shapely.box(west, south, east, north)


def buffer_km(geom: BaseGeometry, km: float) -> BaseGeometry:
    """``geom`` buffered by ``km`` in the UTM zone of its centre, back in WGS-84."""
    if km <= 0:
        return geom
    centre = geom.centroid
    crs = utm_crs_for(centre.x, centre.y)
    metric = gpd.GeoSeries([geom], crs=WGS84).to_crs(crs)
    return metric.buffer(km * 1000.0).to_crs(WGS84).iloc[0]


def area_km2(geom: BaseGeometry) -> float:
    """Area of a WGS-84 geometry in km² (UTM zone of its centre)."""
    centre = geom.centroid
    crs = utm_crs_for(centre.x, centre.y)
    return float(gpd.GeoSeries([geom], crs=WGS84).to_crs(crs).area.iloc[0]) / 1e6


def configured_area(area: Mapping[str, Any], *, base_dir: Path = REPO_ROOT) -> BaseGeometry | None:
    """The area from ``area.polygon_file`` or ``area.bbox`` (``admin_units`` need the PBF)."""
    if area.get("polygon_file"):
        path = Path(area["polygon_file"])
        return read_polygon_file(path if path.is_absolute() else Path(base_dir) / path)
    if area.get("bbox"):
        return bbox_polygon(area["bbox"])
    return None


def _check_single_area_kind(area: Mapping[str, Any]) -> None:
    given = [k for k in ("admin_units", "polygon_file", "bbox") if area.get(k)]
    if len(given) > 1:
        raise ConfigError(
            f"area has {' and '.join(given)}; give only one of admin_units, polygon_file, bbox."
        )


class _WayCoords:
    """Node coordinates of many ways, as one float32 array plus offsets (bounded memory)."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self._chunks: list[np.ndarray] = []
        self._sizes: list[int] = []

    def add(self, way_id: int, coords: list[tuple[float, float]]) -> None:
        self.ids.append(way_id)
        self._chunks.append(np.asarray(coords, dtype=np.float32).reshape(-1, 2))
        self._sizes.append(len(coords))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(way ids, xy of all nodes, start offset of each way)."""
        ids = np.asarray(self.ids, dtype=np.int64)
        xy = np.concatenate(self._chunks) if self._chunks else np.empty((0, 2), np.float32)
        sizes = np.asarray(self._sizes, dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]) if len(sizes) else sizes
        return ids, xy, starts


def _way_xy(way: Any) -> list[tuple[float, float]]:
    try:
        return [(n.lon, n.lat) for n in way.nodes]
    except osmium.InvalidLocationError:  # node missing from the extract: keep the rest
        return [(n.lon, n.lat) for n in way.nodes if n.location.valid()]


def points_in(geom: BaseGeometry | None, xy: np.ndarray) -> np.ndarray:
    """Boolean mask of the points inside (or on) ``geom``; all True when ``geom`` is None."""
    if geom is None:
        return np.ones(len(xy), dtype=bool)
    mask = np.zeros(len(xy), dtype=bool)
    if len(xy) == 0:
        return mask
    west, south, east, north = geom.bounds
    x, y = xy[:, 0].astype(float), xy[:, 1].astype(float)
    cand = np.flatnonzero((x >= west) & (x <= east) & (y >= south) & (y <= north))
    shapely.prepare(geom)
    mask[cand] = shapely.intersects_xy(geom, x[cand], y[cand])
    return mask


def clip_extract(
    source: Path,
    target: Path,
    *,
    area: Mapping[str, Any],
    levels: Sequence[int],
    base_dir: Path = REPO_ROOT,
) -> ClipStats:
    """Write the part of ``source`` in the study area that later stages use to ``target``.

    Parameters
    ----------
    source
        OSM PBF (or any format pyosmium reads) of a region containing the study area.
    target
        Output ``.osm.pbf``; written atomically.
    area
        The study config's ``area`` section (``admin_units`` | ``polygon_file`` | ``bbox``,
        ``buffer_km``); with none of the first three the whole source is kept.
    levels
        ``admin.levels``: the boundary relations kept.
    base_dir
        Folder that relative ``polygon_file`` paths are relative to.

    Raises
    ------
    DataError
        ``source`` is missing, truncated or corrupt; an area unit is incomplete; the clip is
        empty.
    ConfigError
        The area configuration is inconsistent or names an unknown unit.
    """
    started = time.perf_counter()
    source = Path(source)
    if not source.is_file():
        raise DataError(f"The OSM file {source} does not exist.")
    _check_single_area_kind(area)
    stats = ClipStats(source=source)

    relations = read_relations(source)
    stats.objects_read += len(relations)
    unit_ids = resolve_units(area.get("admin_units") or [], relations, source=source)
    candidates = {
        r.id: r
        for r in relations.values()
        if wanted_relation_tags(r.tags, levels) or r.id in unit_ids
    }
    member_ways = {w for r in candidates.values() for w in r.member_ways}

    # Pass 2: nodes (C++ location index; only tagged nodes reach Python) and ways.
    ways = _WayCoords()
    member_coords: dict[int, np.ndarray] = {}
    node_ids: list[int] = []
    node_xy: list[tuple[float, float]] = []
    node_filter = osmium.filter.KeyFilter("place", "railway").enable_for(osmium.osm.NODE)
    try:
        processor = (
            osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(node_filter)
        )
        for obj in processor:
            if obj.is_node():
                if wanted_node_tags(obj.tags) and obj.location.valid():
                    node_ids.append(obj.id)
                    node_xy.append((obj.location.lon, obj.location.lat))
                continue
            stats.objects_read += 1
            is_member = obj.id in member_ways
            if not (is_member or wanted_way_tags(obj.tags)):
                continue
            xy = _way_xy(obj)
            if is_member:
                member_coords[obj.id] = np.asarray(xy, dtype=float).reshape(-1, 2)
            if wanted_way_tags(obj.tags):
                ways.add(obj.id, xy)
    except RuntimeError as err:
        raise _osm_error(source, err) from err

    geom = configured_area(area, base_dir=base_dir)
    if unit_ids:
        parts = [assemble_relation(relations[r], member_coords, source=source) for r in unit_ids]
        geom = shapely.union_all(parts)
        logger.info("study area: %s", "; ".join(relations[r].label() for r in unit_ids))
    if geom is not None:
        geom = buffer_km(geom, float(area.get("buffer_km", 0)))
        stats.area_km2 = area_km2(geom)
        logger.info(
            "clip area incl. %s km buffer: %.0f km²", area.get("buffer_km", 0), stats.area_km2
        )
    else:
        logger.info("no area configured: keeping the whole extract %s", source)

    # Decide what to keep, vectorised.
    way_ids, way_xy, starts = ways.arrays()
    inside = points_in(geom, way_xy)
    keep_way = np.logical_or.reduceat(inside, starts) if len(starts) else np.zeros(0, dtype=bool)
    keep_node = points_in(geom, np.asarray(node_xy, dtype=float).reshape(-1, 2))
    kept_relations = []
    for rel in candidates.values():
        coords = [member_coords[w] for w in rel.member_ways if w in member_coords]
        if not coords:
            continue
        xy = np.concatenate(coords)
        if rel.is_admin:
            box = shapely.box(*xy.min(axis=0), *xy.max(axis=0))
            hit = geom is None or shapely.intersects(geom, box)
        else:
            hit = bool(points_in(geom, xy).any())
        if hit:
            kept_relations.append(rel)
    stats.seconds = time.perf_counter() - started

    if not keep_way.any() and not keep_node.any():
        raise DataError(
            f"Clipping {source} to the study area left no roads, railways or places: the area "
            "does not overlap the extract (check area.bbox is [west, south, east, north] in "
            "WGS-84, the polygon file's CRS, and that source.url covers the study region)."
        )

    # Pass 3 + 4: complete the kept ways with their nodes and copy the kept objects.
    tracker = osmium.IdTracker()
    for way_id in way_ids[keep_way]:
        tracker.add_way(int(way_id))
    for rel in kept_relations:
        tracker.add_relation(rel.id)
        for way_id in rel.member_ways:
            tracker.add_way(way_id)
        for node_id in rel.centre_nodes:
            tracker.add_node(node_id)
    for node_id in np.asarray(node_ids, dtype=np.int64)[keep_node]:
        tracker.add_node(int(node_id))
    counts = {"n": 0, "w": 0, "r": 0}
    try:
        tracker.complete_backward_references(str(source), relation_depth=0)
        with atomic_path(target) as tmp, osmium.SimpleWriter(str(tmp)) as writer:
            for obj in osmium.FileProcessor(str(source)).with_filter(tracker.id_filter()):
                writer.add(obj)
                counts[obj.type_str()] += 1
    except RuntimeError as err:
        raise _osm_error(source, err) from err
    stats.nodes, stats.ways, stats.relations = counts["n"], counts["w"], counts["r"]
    stats.seconds = time.perf_counter() - started
    logger.info(
        "clipped %s: read %d ways/relations, kept %d nodes, %d ways, %d relations in %.1f s "
        "(%.0f ways+relations/s) -> %s",
        source,
        stats.objects_read,
        stats.nodes,
        stats.ways,
        stats.relations,
        stats.seconds,
        stats.objects_per_s,
        target,
    )
    return stats
