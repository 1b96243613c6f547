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

The file is streamed four times, never loaded whole: (1) relations only; (2) nodes and ways
with pyosmium's node-location index (C++; only tagged nodes reach Python), each candidate way's
geometry built as WKB by pyosmium's C++ factory and decoded in chunks to float32 numpy arrays,
then tested against the area in vectorised shapely 2 calls; (3) :class:`osmium.IdTracker` adds
the nodes of the kept ways; (4) ``osmium.apply`` copies the kept ids to the output through an id
filter and a ``WriteHandler`` (C++ end to end).

Memory: the location index (~16 bytes per node of the source), 8 bytes per node reference of
the wanted ways, and the IdTracker's bitsets, whose size is bounded by the largest id (up to
~1.5 GB for node ids of 1.2e10 when the kept nodes are spread over the whole id range, as they
are in a province extract) — independent of how many objects are kept.
"""

from __future__ import annotations

import difflib
import functools
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
CHUNK_WAYS = 50_000


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
    nodes: int = 0
    ways: int = 0
    relations: int = 0
    seconds: float = 0.0
    area_km2: float | None = None


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
    info: RelationInfo, way_lines: Mapping[int, BaseGeometry], *, source: Path
) -> BaseGeometry:
    """(Multi)polygon of a boundary relation from its member ways' LineStrings.

    Raises
    ------
    DataError
        Member ways are missing from the file or the rings do not close.
    """
    missing = [w for w in info.member_ways if w not in way_lines]
    if missing:
        raise DataError(
            f"The boundary {info.label()} is incomplete in {source}: {len(missing)} of "
            f"{len(info.member_ways)} member ways are missing. Use an extract that covers the "
            "whole unit, or give area.polygon_file / area.bbox instead."
        )

    def rings(way_ids: list[int]) -> BaseGeometry:
        lines = [way_lines[w] for w in way_ids if way_lines[w].geom_type == "LineString"]
        if not lines:
            return shapely.Polygon()
        # node first: ways that cross or overlap (a self-intersecting ring, common in OSM
        # boundaries) then still close into faces instead of being left over as "cuts"
        noded = shapely.get_parts(shapely.union_all(lines))
        polys, _cuts, dangles, invalid = shapely.polygonize_full(noded)
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


@functools.lru_cache(maxsize=64)
def _utm_for_degree(lon: int, lat: int) -> Any:
    return utm_crs_for(lon + 0.5, lat + 0.5)


def _metric_crs(geom: BaseGeometry) -> Any:
    """UTM zone of the centre of ``geom`` (looked up once per 1° cell: the lookup is slow)."""
    centre = geom.centroid
    return _utm_for_degree(int(np.floor(centre.x)), int(np.floor(centre.y)))


def buffer_km(geom: BaseGeometry, km: float) -> BaseGeometry:
    """``geom`` buffered by ``km`` in the UTM zone of its centre, back in WGS-84."""
    if km <= 0:
        return geom
    metric = gpd.GeoSeries([geom], crs=WGS84).to_crs(_metric_crs(geom))
    return metric.buffer(km * 1000.0).to_crs(WGS84).iloc[0]


def area_km2(geom: BaseGeometry) -> float:
    """Area of a WGS-84 geometry in km² (UTM zone of its centre)."""
    metric = gpd.GeoSeries([geom], crs=WGS84).to_crs(_metric_crs(geom))
    return float(metric.area.iloc[0]) / 1e6


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


class _WayGeometries:
    """Node coordinates of many ways as one float32 array plus per-way offsets.

    Ways arrive as WKB from pyosmium's C++ geometry factory; every :data:`CHUNK_WAYS` ways they
    are decoded in one vectorised shapely call and kept as float32 (8 bytes per node
    reference), so memory grows with the number of wanted node references, not with Python
    objects.
    """

    def __init__(self) -> None:
        self.ids: list[int] = []
        self._pending: list[bytes] = []
        self._xy: list[np.ndarray] = []
        self._sizes: list[np.ndarray] = []

    def add(self, way_id: int, wkb: bytes) -> None:
        self.ids.append(way_id)
        self._pending.append(wkb)
        if len(self._pending) >= CHUNK_WAYS:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        geoms = shapely.from_wkb(self._pending)
        xy, index = shapely.get_coordinates(geoms, return_index=True)
        self._xy.append(xy.astype(np.float32))
        self._sizes.append(np.bincount(index, minlength=len(geoms)))
        self._pending = []

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(way ids, xy of all nodes, start offset of each way)."""
        self._flush()
        ids = np.asarray(self.ids, dtype=np.int64)
        xy = np.concatenate(self._xy) if self._xy else np.empty((0, 2), np.float32)
        sizes = np.concatenate(self._sizes) if self._sizes else np.empty(0, np.int64)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]) if len(sizes) else sizes
        return ids, xy, starts


def _way_wkb(factory: osmium.geom.WKBFactory, way: Any) -> bytes | None:
    """WKB of a way with all its nodes; only the located nodes when some are missing."""
    try:
        return bytes.fromhex(factory.create_linestring(way, use_nodes=osmium.geom.ALL))
    except (osmium.InvalidLocationError, RuntimeError):
        xy = [(n.lon, n.lat) for n in way.nodes if n.location.valid()]
    if not xy:
        return None
    geom = shapely.LineString(xy) if len(xy) >= 2 else shapely.Point(xy[0])
    return shapely.to_wkb(geom)


def _has_location(storage: Any, node_id: int) -> bool:
    try:
        return bool(storage.get(node_id).valid())
    except KeyError:
        return False


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
    unit_ids = resolve_units(area.get("admin_units") or [], relations, source=source)
    candidates = {
        r.id: r
        for r in relations.values()
        if wanted_relation_tags(r.tags, levels) or r.id in unit_ids
    }
    member_ways = {w for r in candidates.values() for w in r.member_ways}

    # Pass 2: nodes (C++ location index; only tagged nodes reach Python) and ways, whose
    # geometry pyosmium's C++ factory builds as WKB.
    ways = _WayGeometries()
    member_lines: dict[int, BaseGeometry] = {}
    node_ids: list[int] = []
    node_xy: list[tuple[float, float]] = []
    factory = osmium.geom.WKBFactory()
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
            is_member = obj.id in member_ways
            is_wanted = wanted_way_tags(obj.tags)
            if not (is_member or is_wanted):
                continue
            wkb = _way_wkb(factory, obj)
            if wkb is None:
                continue
            if is_member:
                member_lines[obj.id] = shapely.from_wkb(wkb)
            if is_wanted:
                ways.add(obj.id, wkb)
    except RuntimeError as err:
        raise _osm_error(source, err) from err

    geom = configured_area(area, base_dir=base_dir)
    if unit_ids:
        parts = [assemble_relation(relations[r], member_lines, source=source) for r in unit_ids]
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
        lines = [member_lines[w] for w in rel.member_ways if w in member_lines]
        if not lines:
            continue
        if rel.is_admin:  # kept when its bounding box meets the area
            bounds = shapely.bounds(lines)
            box = shapely.box(*bounds[:, :2].min(axis=0), *bounds[:, 2:].max(axis=0))
            hit = geom is None or shapely.intersects(geom, box)
        else:
            hit = geom is None or bool(shapely.intersects(geom, lines).any())
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
    locations = processor.node_location_storage
    for rel in kept_relations:
        tracker.add_relation(rel.id)
        for way_id in rel.member_ways:
            if way_id in member_lines:  # only ways in the file, so the counts are exact
                tracker.add_way(way_id)
        for node_id in rel.centre_nodes:
            if _has_location(locations, node_id):
                tracker.add_node(node_id)
    for node_id in np.asarray(node_ids, dtype=np.int64)[keep_node]:
        tracker.add_node(int(node_id))
    try:
        tracker.complete_backward_references(str(source), relation_depth=0)
        with atomic_path(target) as tmp:
            writer = osmium.WriteHandler(str(tmp))
            try:  # filter and writer are C++: no kept object passes through Python
                osmium.apply(str(source), tracker.id_filter(), writer)
            finally:
                writer.close()
    except RuntimeError as err:
        raise _osm_error(source, err) from err
    stats.nodes = len(tracker.node_ids())
    stats.ways = len(tracker.way_ids())
    stats.relations = len(tracker.relation_ids())
    stats.seconds = time.perf_counter() - started
    logger.info(
        "clipped %s: kept %d nodes, %d ways, %d relations in %.1f s -> %s",
        source,
        stats.nodes,
        stats.ways,
        stats.relations,
        stats.seconds,
        target,
    )
    return stats
