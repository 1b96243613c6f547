"""Administrative units and places from an OSM file.

Units are the ``boundary=administrative`` relations at the given admin levels, assembled into
MultiPolygons by pyosmium's area assembler. A relation pyosmium rejects is tried again by noding
its ways (:func:`spatialint.osm.relations.assemble_relation`), which repairs self-intersecting
boundaries; one whose member ways are not all in the extract, or whose rings do not close,
cannot be built: it is listed by name in a warning and in the admin report, never silently
dropped.

The tables follow :data:`spatialint.contracts.ADMIN_UNITS` and
:data:`spatialint.contracts.PLACES`: ``unit_id`` is ``r<relation id>``; ``parent_id`` the unit
of the next coarser level containing the unit's representative point; the centre is the
relation's ``admin_centre`` / ``label`` member node, else the representative point. Places are
the ``place=*`` nodes, ``population`` NaN when untagged or unreadable.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import osmium
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from spatialint.contracts import ADMIN_UNITS, PLACES
from spatialint.errors import DataError
from spatialint.geo import WGS84
from spatialint.osm.relations import (
    CENTRE_ROLES,
    RelationInfo,
    assemble_relation,
    parse_level,
    read_relations,
)

logger = logging.getLogger(__name__)

#: ``centre_source`` of a unit without a centre node.
REPRESENTATIVE_POINT = "representative_point"
_NUMBER = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*$")


@dataclass
class IncompleteUnit:
    """A boundary relation at a configured level that could not be assembled."""

    unit_id: str
    name: str
    admin_level: int
    reason: str

    def line(self) -> str:
        return f"  {self.unit_id}\t{self.name}\tadmin_level {self.admin_level}\t{self.reason}"


@dataclass
class AdminResult:
    """Units, places and the units that could not be built."""

    units: gpd.GeoDataFrame
    places: gpd.GeoDataFrame
    incomplete: list[IncompleteUnit] = field(default_factory=list)
    repaired: list[IncompleteUnit] = field(default_factory=list)
    source: str = "the study extract's boundary relations"

    def report(self) -> str:
        """Plain-text run report: units per level and every unit that could not be built."""
        lines = [f"Admin units built from {self.source}", ""]
        for level, group in self.units.groupby("admin_level"):
            lines.append(f"admin_level {level}: {len(group)} unit(s): {', '.join(group['name'])}")
        if self.units.empty:
            lines.append("no admin unit could be built")
        lines.append("")
        if self.incomplete:
            lines.append(
                f"NOT BUILT ({len(self.incomplete)}) — these units are missing from "
                "admin_units.gpkg:"
            )
            lines.extend(unit.line() for unit in self.incomplete)
        elif self.source.startswith("the study extract"):
            lines.append("every boundary relation at the configured levels was built")
        if self.repaired:
            lines.append(f"\nREPAIRED ({len(self.repaired)}) — built, but check their outline:")
            lines.extend(unit.line() for unit in self.repaired)
        lines.append(f"\nplaces: {len(self.places)} place=* node(s)")
        return "\n".join(lines) + "\n"


def _name(tags: Mapping[str, str]) -> str | None:
    return tags.get("name") or tags.get("name:zh") or tags.get("name:en") or None


def parse_population(value: str | None) -> float:
    """``population`` tag as float; NaN when absent or not a plain number (``"1,234"`` is ok)."""
    if value is None:
        return float("nan")
    match = _NUMBER.match(value.replace(" ", ""))
    if match is None:
        return float("nan")
    text = match.group(1)
    # "24,678" / "24.678" with three trailing digits is a thousands separator
    if re.fullmatch(r"\d{1,3}[.,]\d{3}", text):
        return float(text.replace(",", "").replace(".", ""))
    return float(text.replace(",", "."))


def _place_row(node: Any) -> dict[str, Any]:
    tags = node.tags
    return {
        "node_id": node.id,
        "name": _name(tags),
        "name_en": tags.get("name:en"),
        "place": tags["place"],
        "population": parse_population(tags.get("population")),
        "geometry": shapely.Point(node.location.lon, node.location.lat),
    }


def _unit_row(relation_id: int, tags: Mapping[str, str], level: int, geom: BaseGeometry) -> dict:
    return {
        "relation_id": relation_id,
        "name": _name(tags) or None,
        "name_en": tags.get("name:en"),
        "admin_level": level,
        "geometry": geom,
    }


def _centre_locations(storage: Any, node_ids: set[int]) -> dict[int, tuple[float, float]]:
    """Locations of the (possibly untagged) centre nodes, from pyosmium's location index."""
    centres: dict[int, tuple[float, float]] = {}
    for node_id in node_ids:
        try:
            location = storage.get(node_id)
        except KeyError:  # centre node outside the extract
            continue
        if location.valid():
            centres[node_id] = (location.lon, location.lat)
    return centres


def _read_osm(
    pbf: Path, *, levels: Sequence[int], centre_nodes: set[int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[int, tuple[float, float]]]:
    """One pyosmium pass with area assembly: unit rows, place rows, centre node locations.

    Only tagged nodes and assembled areas reach Python; the locations of the centre nodes are
    read from pyosmium's node-location index afterwards.
    """
    wanted = set(levels)
    wkb = osmium.geom.WKBFactory()
    units: list[dict[str, Any]] = []
    places: list[dict[str, Any]] = []
    processor = (
        osmium.FileProcessor(str(pbf))
        .with_areas(osmium.filter.TagFilter(("boundary", "administrative")))
        .with_filter(osmium.filter.EntityFilter(osmium.osm.NODE | osmium.osm.AREA))
        .with_filter(osmium.filter.KeyFilter("place").enable_for(osmium.osm.NODE))
    )
    try:
        for obj in processor:
            if obj.is_node():
                if obj.location.valid():
                    places.append(_place_row(obj))
                continue
            if obj.from_way() or obj.tags.get("boundary") != "administrative":
                continue
            level = parse_level(obj.tags.get("admin_level"))
            if level not in wanted:
                continue
            try:
                geom = shapely.from_wkb(wkb.create_multipolygon(obj))
            except RuntimeError:  # rings that do not close: reported as not built
                continue
            units.append(_unit_row(obj.orig_id(), obj.tags, level, geom))
        centres = _centre_locations(processor.node_location_storage, centre_nodes)
    except RuntimeError as err:
        raise DataError(
            f"The OSM file {pbf} is truncated or corrupt ({err}); delete it and re-run the "
            "retrieve_osm step."
        ) from err
    return units, places, centres


def _member_lines(pbf: Path, way_ids: set[int]) -> dict[int, BaseGeometry]:
    """LineStrings of the given ways (an empty Point for a way with < 2 located nodes)."""
    factory = osmium.geom.WKBFactory()
    lines: dict[int, BaseGeometry] = {}
    processor = (
        osmium.FileProcessor(str(pbf), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.IdFilter(way_ids))
    )
    for way in processor:
        try:
            lines[way.id] = shapely.from_wkb(bytes.fromhex(factory.create_linestring(way)))
        except RuntimeError:  # fewer than two located nodes
            lines[way.id] = shapely.Point()
    return lines


def _repair(
    rel: RelationInfo, lines: Mapping[int, BaseGeometry], *, pbf: Path
) -> tuple[IncompleteUnit, BaseGeometry | None]:
    """Try to build a relation pyosmium rejected; the unit (with why) and its polygon or None."""
    unit = IncompleteUnit(f"r{rel.id}", rel.name or "(unnamed)", int(rel.admin_level or 0), "")
    absent = [w for w in rel.member_ways if w not in lines]
    if not rel.member_ways:
        unit.reason = "the relation has no member ways"
        return unit, None
    if absent:
        unit.reason = (
            f"incomplete in the extract: {len(absent)} of {len(rel.member_ways)} member "
            "ways missing (the unit reaches beyond the source extract)"
        )
        return unit, None
    try:
        geom = assemble_relation(rel, lines, source=pbf)
    except DataError:
        unit.reason = "its rings do not close into a polygon (broken boundary in OSM)"
        return unit, None
    unit.reason = (
        "its boundary intersects itself (pyosmium rejects it); built by noding its ways — "
        "check the unit's outline"
    )
    return unit, geom


def _unbuilt_units(
    pbf: Path, relations: Mapping[int, RelationInfo], built: set[int], levels: Sequence[int]
) -> tuple[list[dict[str, Any]], list[IncompleteUnit], list[IncompleteUnit]]:
    """Boundary relations at ``levels`` that pyosmium could not assemble.

    Returns the repaired unit rows, the repaired units (for the report) and the units that
    stay unbuilt, with reasons.
    """
    missing = sorted(
        (
            r
            for r in relations.values()
            if r.is_admin and r.admin_level in set(levels) and r.id not in built
        ),
        key=lambda r: (r.admin_level or 0, r.name),
    )
    if not missing:
        return [], [], []
    lines = _member_lines(pbf, {w for r in missing for w in r.member_ways})
    rows, repaired, unbuilt = [], [], []
    for rel in missing:
        unit, geom = _repair(rel, lines, pbf=pbf)
        if geom is None:
            unbuilt.append(unit)
            continue
        repaired.append(unit)
        rows.append(_unit_row(rel.id, rel.tags, int(rel.admin_level or 0), geom))
    return rows, repaired, unbuilt


def _set_centre(row: dict[str, Any], rel: RelationInfo, centres: Mapping[int, Any]) -> None:
    """``unit_id`` and the centre of a unit row: its first located centre member node."""
    row["unit_id"] = f"r{rel.id}"
    row["centre_source"] = REPRESENTATIVE_POINT
    for role in CENTRE_ROLES:
        nodes = [n for n in rel.centres.get(role, []) if n in centres]
        if nodes:
            row["centre_lon"], row["centre_lat"] = centres[nodes[0]]
            row["centre_source"] = role
            return


def units_from_osm(pbf: Path, *, levels: Sequence[int]) -> AdminResult:
    """Admin units at ``levels`` and ``place=*`` nodes of the OSM file ``pbf``.

    Raises
    ------
    DataError
        ``pbf`` is missing, truncated or corrupt.
    """
    pbf = Path(pbf)
    if not pbf.is_file():
        raise DataError(f"The OSM file {pbf} does not exist; run the retrieve_osm step first.")
    relations = read_relations(pbf)
    wanted = [r for r in relations.values() if r.is_admin and r.admin_level in set(levels)]
    centre_ids = {n for r in wanted for n in r.centre_nodes}
    rows, place_rows, centres = _read_osm(pbf, levels=levels, centre_nodes=centre_ids)
    repaired_rows, repaired, incomplete = _unbuilt_units(
        pbf, relations, {row["relation_id"] for row in rows}, levels
    )
    rows += repaired_rows
    for row in rows:
        _set_centre(row, relations[row.pop("relation_id")], centres)
    units = finish_units(_frame(rows, ADMIN_UNITS.names), levels)
    places = places_frame(place_rows)
    for unit in repaired:
        logger.warning("admin unit %s %s (admin_level %d) repaired: %s", *_fields(unit))
    for unit in incomplete:
        logger.warning("admin unit %s %s (admin_level %d) not built: %s", *_fields(unit))
    logger.info(
        "built %d admin unit(s) at levels %s and %d place(s) from %s",
        len(units),
        list(levels),
        len(places),
        pbf,
    )
    return AdminResult(units=units, places=places, incomplete=incomplete, repaired=repaired)


def _fields(unit: IncompleteUnit) -> tuple[str, str, int, str]:
    return unit.unit_id, unit.name, unit.admin_level, unit.reason


def _frame(rows: list[dict[str, Any]], columns: Sequence[str]) -> gpd.GeoDataFrame:
    if rows:
        return gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)
    return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=WGS84)


def places_frame(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """The places table of ``rows`` (none: an empty table), sorted by node id."""
    places = _frame(rows, PLACES.names)[[*PLACES.names, "geometry"]]
    places = places.astype({"node_id": "int64", "population": "float64"})
    return places.sort_values("node_id").reset_index(drop=True)


def assign_parents(units: gpd.GeoDataFrame, levels: Sequence[int]) -> pd.Series:
    """``parent_id`` of each unit: the unit of the next coarser configured level containing
    the unit's representative point (null when none does)."""
    parent = pd.Series([None] * len(units), index=units.index, dtype=object)
    ordered = sorted(set(levels))
    points = units.geometry.representative_point()
    for coarse, fine in zip(ordered[:-1], ordered[1:], strict=True):
        children = units[units["admin_level"] == fine]
        parents = units[units["admin_level"] == coarse]
        if children.empty or parents.empty:
            continue
        left = gpd.GeoDataFrame(geometry=points[children.index], crs=units.crs)
        right = parents[["unit_id", "geometry"]]
        joined = gpd.sjoin(left, right, how="left", predicate="within")
        joined = joined[~joined.index.duplicated(keep="first")]
        parent.loc[joined.index] = joined["unit_id"].where(joined["unit_id"].notna(), None)
    return parent


def finish_units(units: gpd.GeoDataFrame, levels: Sequence[int]) -> gpd.GeoDataFrame:
    """Sort, fill centres and parents, fix column order, dtypes and MultiPolygon geometry."""
    for column in ADMIN_UNITS.names:
        if column not in units:
            units[column] = pd.Series([None] * len(units), index=units.index, dtype=object)
    if not units.empty:
        units = units.sort_values(["admin_level", "name"], kind="stable").reset_index(drop=True)
        rep = units.geometry.representative_point()
        no_centre = units["centre_source"].isna() | (units["centre_source"] == REPRESENTATIVE_POINT)
        units.loc[no_centre, "centre_lon"] = rep[no_centre].x
        units.loc[no_centre, "centre_lat"] = rep[no_centre].y
        units.loc[no_centre, "centre_source"] = REPRESENTATIVE_POINT
        units["parent_id"] = assign_parents(units, levels)
    units = units[[*ADMIN_UNITS.names, "geometry"]].copy()
    units["admin_level"] = units["admin_level"].astype("int64")
    units["centre_lon"] = units["centre_lon"].astype("float64")
    units["centre_lat"] = units["centre_lat"].astype("float64")
    geoms = [shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g for g in units.geometry]
    return gpd.GeoDataFrame(units.drop(columns="geometry"), geometry=geoms, crs=WGS84)
