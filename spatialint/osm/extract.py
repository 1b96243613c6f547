"""Clip and filter an OSM PBF to a study area with pyosmium, keeping what later stages use.

What is kept (:func:`wanted_way_tags`, :func:`wanted_node_tags`, :func:`wanted_relation_tags`):

- ways with ``highway=*`` (including ``construction`` / ``proposed``), railway track ways
  (:data:`RAIL_WAY_VALUES`), ``waterway=river|canal``, ``natural=water`` and built-up areas
  (:func:`spatialint.osm.urban_tags.is_built_up_area`: urban ``landuse`` and ``place`` polygons);
- nodes with ``place=*`` and ``railway=station|halt``;
- ``boundary=administrative`` relations at the configured admin levels (and the units that make
  up the area), with all their member ways and their ``admin_centre`` / ``label`` nodes;
- ``natural=water`` and built-up area multipolygon relations with their member ways;
- every node referenced by a kept way ("complete ways"), so each way keeps its full geometry.

A way is in the area when any of its nodes is; a boundary relation when its bounding box meets
the area (so the units *containing* a small area are kept for the parent look-up too).

The file is streamed four times, never loaded whole: (1) relations only
(:func:`spatialint.osm.relations.read_relations`); (2) nodes and ways with pyosmium's
node-location index (C++; only tagged nodes reach Python), each candidate way's geometry built
as WKB by pyosmium's C++ factory and decoded in chunks to float32 numpy arrays, then tested
against the area in vectorised shapely 2 calls; (3) :class:`osmium.IdTracker` adds the nodes of
the kept ways; (4) ``osmium.apply`` copies the kept ids to the output through an id filter and a
``WriteHandler`` (C++ end to end).

Memory: the location index (~16 bytes per node of the source), 8 bytes per node reference of
the wanted ways, and the IdTracker's bitsets, whose size is bounded by the largest id (up to
~1.5 GB for node ids of 1.2e10 when the kept nodes are spread over the whole id range, as they
are in a province extract) — independent of how many objects are kept.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import osmium
import pyproj
import shapely
import shapely.ops
from shapely.geometry.base import BaseGeometry

from spatialint.config import REPO_ROOT
from spatialint.errors import DataError
from spatialint.fileio import atomic_path
from spatialint.osm.area import area_km2, buffer_km, check_single_area_kind, configured_area
from spatialint.osm.blocks import truncation_reason
from spatialint.osm.relations import (
    RelationIndex,
    RelationInfo,
    assemble_relation,
    osm_file_error,
    parse_level,
    read_relations,
    resolve_units,
)
from spatialint.osm.study_area import AREA_BASIS, BBOX_BASIS, source_bbox
from spatialint.osm.urban_tags import is_built_up_area
from spatialint.osm.writer import osm_writer
from spatialint.settings import AreaSettings

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
#: Ways decoded from WKB per vectorised shapely call.
CHUNK_WAYS = 50_000
_GEOD = pyproj.Geod(ellps="WGS84")
#: Points measured exactly when looking for the road nearest an area that holds none.
NEAREST_CANDIDATES = 1000


def wanted_way_tags(tags: Any) -> bool:
    """True for the ways later stages use (roads, rail track, rivers/canals, water areas,
    built-up areas)."""
    return (
        "highway" in tags
        or tags.get("railway") in RAIL_WAY_VALUES
        or tags.get("waterway") in WATERWAY_VALUES
        or tags.get("natural") == "water"
        or is_built_up_area(tags)
    )


def wanted_node_tags(tags: Any) -> bool:
    """True for place nodes and railway stations/halts."""
    return "place" in tags or tags.get("railway") in RAIL_NODE_VALUES


def wanted_relation_tags(tags: Any, levels: Iterable[int]) -> bool:
    """True for admin boundaries at ``levels`` and water and built-up area multipolygons."""
    if tags.get("boundary") == "administrative":
        return parse_level(tags.get("admin_level")) in set(levels)
    multipolygon = tags.get("type") == "multipolygon"
    return multipolygon and (tags.get("natural") == "water" or is_built_up_area(tags))


@dataclass
class ClipStats:
    """Counts and timing of one clip."""

    source: Path
    nodes: int = 0
    ways: int = 0
    relations: int = 0
    seconds: float = 0.0
    area_km2: float | None = None
    #: The study area without its buffer (WGS-84), or the source's header box when no area is
    #: configured; None when neither is known. ``study_area_basis`` says which.
    study_area: BaseGeometry | None = None
    study_area_basis: str = ""


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


@dataclass
class _Scan:
    """What pass 2 found: the wanted ways' geometries, the boundary member ways' lines, the
    wanted tagged nodes, and pyosmium's node-location index (for the centre nodes)."""

    ways: _WayGeometries = field(default_factory=_WayGeometries)
    member_lines: dict[int, BaseGeometry] = field(default_factory=dict)
    node_ids: list[int] = field(default_factory=list)
    node_xy: list[tuple[float, float]] = field(default_factory=list)
    locations: Any = None


@dataclass(frozen=True)
class _Selection:
    """What the clip keeps, before the kept ways' nodes are added."""

    way_ids: np.ndarray
    node_ids: np.ndarray
    relations: list[RelationInfo]


def _scan_nodes_and_ways(source: Path, member_ways: set[int]) -> _Scan:
    """Pass 2: located tagged nodes (only these reach Python) and the geometry of every wanted
    way and boundary member way, built as WKB by pyosmium's C++ factory."""
    scan = _Scan()
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
                    scan.node_ids.append(obj.id)
                    scan.node_xy.append((obj.location.lon, obj.location.lat))
                continue
            is_member = obj.id in member_ways
            is_wanted = wanted_way_tags(obj.tags)
            if not (is_member or is_wanted):
                continue
            wkb = _way_wkb(factory, obj)
            if wkb is None:
                continue
            if is_member:
                scan.member_lines[obj.id] = shapely.from_wkb(wkb)
            if is_wanted:
                scan.ways.add(obj.id, wkb)
    except RuntimeError as err:
        raise osm_file_error(source, err) from err
    scan.locations = processor.node_location_storage
    return scan


def _study_area(
    area: AreaSettings,
    unit_ids: Sequence[int],
    relations: Mapping[int, RelationInfo],
    scan: _Scan,
    *,
    source: Path,
    base_dir: Path,
) -> BaseGeometry | None:
    """The study area without its buffer: the admin units' union, the polygon file or the
    bbox; ``None`` (the whole extract) when the area names none of them."""
    geom = configured_area(area, base_dir=base_dir)
    if unit_ids:
        parts = [
            assemble_relation(relations[r], scan.member_lines, source=source) for r in unit_ids
        ]
        geom = shapely.union_all(parts)
        logger.info("study area: %s", "; ".join(relations[r].label() for r in unit_ids))
    if geom is None:
        logger.info("no area configured: keeping the whole extract %s", source)
    return geom


def _relation_in_area(
    rel: RelationInfo, geom: BaseGeometry | None, member_lines: Mapping[int, BaseGeometry]
) -> bool:
    """A boundary relation is kept when its bounding box meets the area, a water or built-up
    area relation when one of its member ways does."""
    lines = [member_lines[w] for w in rel.member_ways if w in member_lines]
    if not lines:
        return False
    if geom is None:
        return True
    if rel.is_admin:
        bounds = shapely.bounds(lines)
        box = shapely.box(*bounds[:, :2].min(axis=0), *bounds[:, 2:].max(axis=0))
        return bool(shapely.intersects(geom, box))
    return bool(shapely.intersects(geom, lines).any())


def _select(
    geom: BaseGeometry | None, scan: _Scan, candidates: Iterable[RelationInfo], *, source: Path
) -> _Selection:
    """The ways with a node in the area, the tagged nodes in it and the relations meeting it.

    Raises
    ------
    DataError
        When no way and no tagged node is in the area.
    """
    way_ids, way_xy, starts = scan.ways.arrays()
    inside = points_in(geom, way_xy)
    keep_way = np.logical_or.reduceat(inside, starts) if len(starts) else np.zeros(0, dtype=bool)
    node_xy = np.asarray(scan.node_xy, dtype=float).reshape(-1, 2)
    keep_node = points_in(geom, node_xy)
    if not keep_way.any() and not keep_node.any():
        raise _empty_clip_error(source, geom, np.vstack([way_xy, node_xy]))
    relations = [r for r in candidates if _relation_in_area(r, geom, scan.member_lines)]
    node_ids = np.asarray(scan.node_ids, dtype=np.int64)[keep_node]
    return _Selection(way_ids=way_ids[keep_way], node_ids=node_ids, relations=relations)


def _empty_clip_error(source: Path, geom: BaseGeometry | None, xy: np.ndarray) -> DataError:
    """The error for a clip that kept nothing: an area away from the data, or too small."""
    start = f"Clipping {source} to the study area left no roads, railways or places"
    if geom is None or len(xy) == 0:
        return DataError(f"{start}: the file holds none; check source.url.")
    west, south, east, north = geom.bounds
    data_west, data_south = xy.min(axis=0)
    data_east, data_north = xy.max(axis=0)
    where = (
        f"the study area spans {_span(west, east, 'E')}, {_span(south, north, 'N')}; the "
        f"extract's roads and places span {_span(data_west, data_east, 'E')}, "
        f"{_span(data_south, data_north, 'N')}"
    )
    if west > data_east or east < data_west or south > data_north or north < data_south:
        return DataError(
            f"{start}: the area does not overlap the extract ({where}). Check that area.bbox is "
            "[west, south, east, north] in WGS-84 degrees, that the polygon file's CRS is "
            "right, and that source.url covers the study region."
        )
    nearest_m = _nearest_m(geom, xy)
    return DataError(
        f"{start}: the area is too small to hold any ({_area_text(geom)} incl. the buffer; "
        f"the nearest road or place is {nearest_m:,.0f} m outside it). Make the area "
        "larger (area.bbox, area.polygon_file) or set area.buffer_km."
    )


def _area_text(geom: BaseGeometry) -> str:
    km2 = area_km2(geom)
    return f"{km2:,.1f} km²" if km2 >= 1 else f"{km2 * 1e6:,.0f} m²"


def _span(low: float, high: float, axis: str) -> str:
    return f"{low:.4f}–{high:.4f}°{axis}"


def _nearest_m(geom: BaseGeometry, xy: np.ndarray) -> float:
    """Metres from ``geom`` to the nearest of the points ``xy`` (WGS-84), on the ellipsoid.

    Only the points nearest ``geom``'s bounding box are measured exactly (a province has tens
    of millions of way nodes)."""
    west, south, east, north = geom.bounds
    x, y = xy[:, 0].astype(float), xy[:, 1].astype(float)
    dx = np.maximum(np.maximum(west - x, x - east), 0.0)
    dy = np.maximum(np.maximum(south - y, y - north), 0.0)
    box_d2 = dx * dx + dy * dy
    near = np.argpartition(box_d2, min(NEAREST_CANDIDATES, len(xy) - 1))[:NEAREST_CANDIDATES]
    points = shapely.points(xy[near].astype(float))
    nearest = points[int(np.argmin(shapely.distance(geom, points)))]
    near_area = shapely.ops.nearest_points(geom, nearest)[0]
    _, _, metres = _GEOD.inv(near_area.x, near_area.y, nearest.x, nearest.y)
    return float(metres)


def _write_kept(source: Path, target: Path, selection: _Selection, scan: _Scan) -> osmium.IdTracker:
    """Passes 3 and 4: complete the kept ways with their nodes and copy the kept objects."""
    tracker = osmium.IdTracker()
    for way_id in selection.way_ids:
        tracker.add_way(int(way_id))
    for rel in selection.relations:
        tracker.add_relation(rel.id)
        for way_id in rel.member_ways:
            if way_id in scan.member_lines:  # only ways in the file, so the counts are exact
                tracker.add_way(way_id)
        for node_id in rel.centre_nodes:
            if _has_location(scan.locations, node_id):
                tracker.add_node(node_id)
    for node_id in selection.node_ids:
        tracker.add_node(int(node_id))
    try:
        tracker.complete_backward_references(str(source), relation_depth=0)
        with atomic_path(target) as tmp, osm_writer(tmp) as writer:
            # filter and writer are C++: no kept object passes through Python
            osmium.apply(str(source), tracker.id_filter(), writer)
    except RuntimeError as err:
        raise osm_file_error(source, err) from err
    return tracker


def _check_not_truncated(source: Path, relations: RelationIndex) -> None:
    """Refuse a source cut on a block boundary before its relations; warn when it looks cut
    among them (:func:`spatialint.osm.blocks.truncation_reason`)."""
    reason = truncation_reason(source)
    if reason is None:
        return
    if relations.total == 0:
        raise DataError(
            f"The OSM file {source} looks truncated: {reason}, and it holds no relations at "
            "all (a PBF lists them last). Re-download it (for a cached download, delete the "
            "file and run again: it is fetched anew)."
        )
    logger.warning(
        "The OSM file %s may be truncated: %s. If units or roads are missing from the results, "
        "re-download it.",
        source,
        reason,
    )


def clip_extract(
    source: Path,
    target: Path,
    *,
    area: AreaSettings,
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
        The study area (``admin_units`` | ``polygon_file`` | ``bbox``, ``buffer_km``); with
        none of the first three the whole source is kept.
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
    check_single_area_kind(area)
    stats = ClipStats(source=source)

    relations = read_relations(source)  # pass 1
    _check_not_truncated(source, relations)
    unit_ids = resolve_units(area.admin_units or (), relations, source=source)
    candidates = [
        r for r in relations.values() if wanted_relation_tags(r.tags, levels) or r.id in unit_ids
    ]
    scan = _scan_nodes_and_ways(source, {w for r in candidates for w in r.member_ways})
    study = _study_area(area, unit_ids, relations, scan, source=source, base_dir=base_dir)
    geom = None if study is None else buffer_km(study, area.buffer_km)
    stats.study_area, stats.study_area_basis = (
        (study, AREA_BASIS) if study is not None else (source_bbox(source), BBOX_BASIS)
    )
    if geom is not None:
        stats.area_km2 = area_km2(geom)
        logger.info("clip area incl. %s km buffer: %.0f km²", area.buffer_km, stats.area_km2)
    selection = _select(geom, scan, candidates, source=source)
    tracker = _write_kept(source, target, selection, scan)
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
