"""Administrative units and places from a study's OSM extract (or a user's boundary file).

Units are the ``boundary=administrative`` relations at the configured ``admin.levels``,
assembled into MultiPolygons by pyosmium's area assembler.  A relation whose member ways are not
all in the extract, or whose rings do not close, cannot be assembled: it is listed by name in a
warning and in the admin report (``admin_report.txt`` beside ``admin_units.gpkg``), never
silently dropped.

Columns of the units table (``admin_units.gpkg``, layer ``admin_units``, EPSG:4326):
``unit_id`` (``r<relation id>``; ``f<row number>`` for units from ``admin.file``), ``name``,
``name_en``, ``admin_level`` (int), ``parent_id`` (the unit of the next coarser configured
level containing this unit's representative point, or null), ``centre_lon``, ``centre_lat``
and ``centre_source`` (``admin_centre`` / ``label`` member node of the relation, else
``representative_point``).

Places (``places.parquet``): every ``place=*`` node with ``node_id``, ``name``, ``name_en``,
``place``, ``population`` (float, NaN when untagged or unreadable), Point.
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

from spatialint.config import REPO_ROOT
from spatialint.errors import ConfigError, DataError
from spatialint.fileio import atomic_path
from spatialint.geo import WGS84
from spatialint.osm.extract import (
    CENTRE_ROLES,
    RelationInfo,
    assemble_relation,
    parse_level,
    read_relations,
)

logger = logging.getLogger(__name__)

UNIT_COLUMNS = [
    "unit_id",
    "name",
    "name_en",
    "admin_level",
    "parent_id",
    "centre_lon",
    "centre_lat",
    "centre_source",
]
PLACE_COLUMNS = ["node_id", "name", "name_en", "place", "population"]
_NUMBER = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*$")


@dataclass
class IncompleteUnit:
    """A boundary relation at a configured level that could not be assembled."""

    unit_id: str
    name: str
    admin_level: int
    reason: str


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
            for unit in self.incomplete:
                lines.append(
                    f"  {unit.unit_id}\t{unit.name}\tadmin_level {unit.admin_level}\t{unit.reason}"
                )
        elif self.source.startswith("the study extract"):
            lines.append("every boundary relation at the configured levels was built")
        if self.repaired:
            lines.append(f"\nREPAIRED ({len(self.repaired)}) — built, but check their outline:")
            for unit in self.repaired:
                lines.append(
                    f"  {unit.unit_id}\t{unit.name}\tadmin_level {unit.admin_level}\t{unit.reason}"
                )
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


def _read_osm(
    pbf: Path, *, levels: Sequence[int], centre_nodes: set[int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[int, tuple[float, float]]]:
    """One pyosmium pass with area assembly: unit rows, place rows, centre node locations.

    Only tagged nodes and assembled areas reach Python; the locations of the (possibly
    untagged) centre nodes are read from pyosmium's node-location index afterwards.
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
                    places.append(
                        {
                            "node_id": obj.id,
                            "name": _name(obj.tags),
                            "name_en": obj.tags.get("name:en"),
                            "place": obj.tags["place"],
                            "population": parse_population(obj.tags.get("population")),
                            "geometry": shapely.Point(obj.location.lon, obj.location.lat),
                        }
                    )
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
            units.append(
                {
                    "relation_id": obj.orig_id(),
                    "name": _name(obj.tags),
                    "name_en": obj.tags.get("name:en"),
                    "admin_level": level,
                    "geometry": geom,
                }
            )
        storage = processor.node_location_storage
        centres: dict[int, tuple[float, float]] = {}
        for node_id in centre_nodes:
            try:
                location = storage.get(node_id)
            except KeyError:  # centre node outside the extract
                continue
            if location.valid():
                centres[node_id] = (location.lon, location.lat)
    except RuntimeError as err:
        raise DataError(
            f"The OSM file {pbf} is truncated or corrupt ({err}); delete it and re-run the "
            "retrieve_osm step."
        ) from err
    return units, places, centres


def _assign_parents(units: gpd.GeoDataFrame, levels: Sequence[int]) -> pd.Series:
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


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> gpd.GeoDataFrame:
    if rows:
        return gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)
    return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=WGS84)


def _unbuilt_units(
    pbf: Path, relations: Mapping[int, RelationInfo], built: set[int], levels: Sequence[int]
) -> tuple[list[dict[str, Any]], list[IncompleteUnit], list[IncompleteUnit]]:
    """Boundary relations at ``levels`` that pyosmium could not assemble.

    A relation with every member way in the file is tried again with
    :func:`spatialint.osm.extract.assemble_relation`, which nodes the ways before forming rings and
    so repairs self-intersecting boundaries (pyosmium rejects them). Returns the repaired unit
    rows, the repaired units (for the report) and the units that stay unbuilt, with reasons.
    """
    missing_rel = sorted(
        (
            r
            for r in relations.values()
            if r.is_admin and r.admin_level in set(levels) and r.id not in built
        ),
        key=lambda r: (r.admin_level or 0, r.name),
    )
    if not missing_rel:
        return [], [], []
    way_ids = {w for r in missing_rel for w in r.member_ways}
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
    rows, repaired, unbuilt = [], [], []
    for rel in missing_rel:
        unit = IncompleteUnit(f"r{rel.id}", rel.name or "(unnamed)", int(rel.admin_level or 0), "")
        absent = [w for w in rel.member_ways if w not in lines]
        if not rel.member_ways:
            unit.reason = "the relation has no member ways"
        elif absent:
            unit.reason = (
                f"incomplete in the extract: {len(absent)} of {len(rel.member_ways)} member "
                "ways missing (the unit reaches beyond the source extract)"
            )
        else:
            try:
                geom = assemble_relation(rel, lines, source=pbf)
            except DataError:
                unit.reason = "its rings do not close into a polygon (broken boundary in OSM)"
            else:
                unit.reason = (
                    "its boundary intersects itself (pyosmium rejects it); built by noding its "
                    "ways — check the unit's outline"
                )
                repaired.append(unit)
                rows.append(
                    {
                        "relation_id": rel.id,
                        "name": rel.name or None,
                        "name_en": rel.tags.get("name:en"),
                        "admin_level": rel.admin_level,
                        "geometry": geom,
                    }
                )
                continue
        unbuilt.append(unit)
    return rows, repaired, unbuilt


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
        rel = relations[row.pop("relation_id")]
        row["unit_id"] = f"r{rel.id}"
        row["centre_source"] = "representative_point"
        for role in CENTRE_ROLES:
            nodes = [n for n in rel.centres.get(role, []) if n in centres]
            if nodes:
                row["centre_lon"], row["centre_lat"] = centres[nodes[0]]
                row["centre_source"] = role
                break
    units = _finish_units(_frame(rows, UNIT_COLUMNS), levels)
    places = _frame(place_rows, PLACE_COLUMNS)[[*PLACE_COLUMNS, "geometry"]]
    places = places.astype({"node_id": "int64", "population": "float64"})
    places = places.sort_values("node_id").reset_index(drop=True)
    for unit in repaired:
        logger.warning(
            "admin unit %s %s (admin_level %d) repaired: %s",
            unit.unit_id,
            unit.name,
            unit.admin_level,
            unit.reason,
        )
    for unit in incomplete:
        logger.warning(
            "admin unit %s %s (admin_level %d) not built: %s",
            unit.unit_id,
            unit.name,
            unit.admin_level,
            unit.reason,
        )
    logger.info(
        "built %d admin unit(s) at levels %s and %d place(s) from %s",
        len(units),
        list(levels),
        len(places),
        pbf,
    )
    return AdminResult(units=units, places=places, incomplete=incomplete, repaired=repaired)


def _finish_units(units: gpd.GeoDataFrame, levels: Sequence[int]) -> gpd.GeoDataFrame:
    """Sort, fill centres and parents, fix column order, dtypes and MultiPolygon geometry."""
    for column in UNIT_COLUMNS:
        if column not in units:
            units[column] = pd.Series([None] * len(units), index=units.index, dtype=object)
    if not units.empty:
        units = units.sort_values(["admin_level", "name"], kind="stable").reset_index(drop=True)
        rep = units.geometry.representative_point()
        no_centre = units["centre_source"].isna() | (
            units["centre_source"] == "representative_point"
        )
        units.loc[no_centre, "centre_lon"] = rep[no_centre].x
        units.loc[no_centre, "centre_lat"] = rep[no_centre].y
        units.loc[no_centre, "centre_source"] = "representative_point"
        units["parent_id"] = _assign_parents(units, levels)
    units = units[[*UNIT_COLUMNS, "geometry"]].copy()
    units["admin_level"] = units["admin_level"].astype("int64")
    units["centre_lon"] = units["centre_lon"].astype("float64")
    units["centre_lat"] = units["centre_lat"].astype("float64")
    geoms = [shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g for g in units.geometry]
    return gpd.GeoDataFrame(units.drop(columns="geometry"), geometry=geoms, crs=WGS84)


def units_from_file(
    path: Path, *, name_column: str, default_level: int, levels: Sequence[int]
) -> AdminResult:
    """Admin units from a user's polygon file (``admin.file``), places left empty.

    The file needs a CRS and ``name_column``; an ``admin_level`` column is used when present
    (otherwise every unit gets ``default_level``), as are ``name_en``. ``unit_id`` is
    ``f<row number>`` (from 1, in file order).

    Raises
    ------
    ConfigError
        The file is missing, unreadable, has no CRS, lacks the name column or holds no polygon.
    """
    if not path.exists():
        raise ConfigError(f"admin.file {path} does not exist; check the path.")
    try:
        frame = gpd.read_file(path)
    except Exception as err:  # pyogrio's DataSourceError family
        raise ConfigError(f"admin.file {path} could not be read: {err}") from err
    if frame.crs is None:
        raise ConfigError(
            f"admin.file {path} has no coordinate reference system; save it with one "
            "(e.g. EPSG:4490 for CGCS2000) — a missing CRS is never guessed."
        )
    if name_column not in frame.columns:
        raise ConfigError(
            f"admin.file {path} has no column {name_column!r} (admin.name_column); its columns "
            f"are: {', '.join(c for c in frame.columns if c != 'geometry')}."
        )
    frame = frame[frame.geom_type.isin(["Polygon", "MultiPolygon"])].to_crs(WGS84)
    if frame.empty:
        raise ConfigError(f"admin.file {path} holds no polygon.")
    level = (
        frame["admin_level"].astype("int64")
        if "admin_level" in frame.columns
        else pd.Series(default_level, index=frame.index)
    )
    units = gpd.GeoDataFrame(
        {
            "unit_id": [f"f{i + 1}" for i in range(len(frame))],
            "name": frame[name_column].astype(str).values,
            "name_en": frame["name_en"].values if "name_en" in frame.columns else None,
            "admin_level": level.values,
            "centre_source": None,
        },
        geometry=frame.geometry.values,
        crs=WGS84,
    )
    units = _finish_units(units, sorted(set(levels) | set(units["admin_level"])))
    places = _frame([], PLACE_COLUMNS)
    return AdminResult(units=units, places=places)


def write_outputs(
    result: AdminResult, *, units_path: Path, places_path: Path, report_path: Path
) -> None:
    """Write the units GeoPackage, the places GeoParquet and the report, each atomically."""
    with atomic_path(units_path) as tmp:
        result.units.to_file(tmp, layer="admin_units", driver="GPKG")
    with atomic_path(places_path) as tmp:
        result.places.to_parquet(tmp, index=False)
    with atomic_path(report_path) as tmp:
        tmp.write_text(result.report(), encoding="utf-8")


def build_admin(study: Mapping[str, Any], *, pbf: Path, base_dir: Path = REPO_ROOT) -> AdminResult:
    """Units and places for a study: from ``admin.file`` when given, else from ``pbf``.

    Places always come from ``pbf``.
    """
    admin = study["admin"]
    levels = list(admin["levels"])
    if admin.get("file"):
        path = Path(admin["file"])
        path = path if path.is_absolute() else Path(base_dir) / path
        from_file = units_from_file(
            path,
            name_column=admin.get("name_column", "name"),
            default_level=int(admin["border_level"]),
            levels=levels,
        )
        from_osm = units_from_osm(pbf, levels=[])
        return AdminResult(
            units=from_file.units, places=from_osm.places, source=f"admin.file {path}"
        )
    result = units_from_osm(pbf, levels=levels)
    if result.units.empty:
        names = ", ".join(f"{u.name} ({u.reason})" for u in result.incomplete) or "none found"
        raise DataError(
            f"No admin unit at admin_level {levels} could be built from {pbf} (relations at "
            f"those levels: {names}). Check admin.levels against the data, widen area.buffer_km "
            "or the source extract, or give admin.file."
        )
    return result


def run_admin_stage(
    outputs: Mapping[str, str | Path],
    study: Mapping[str, Any],
    *,
    pbf: str | Path,
    base_dir: Path,
) -> AdminResult:
    """Build a study's admin units and places (:func:`build_admin`) and write the outputs.

    Parameters
    ----------
    outputs
        Paths by the ``admin_units`` rule's output names: ``units``, ``places``, ``report``
        (:func:`write_outputs`).
    study
        The validated study config.
    pbf
        The study's OSM extract.
    base_dir
        Directory that ``admin.file`` resolves against when relative (Snakemake's working
        directory).

    Returns
    -------
    AdminResult
        What was written.
    """
    result = build_admin(study, pbf=Path(pbf), base_dir=base_dir)
    write_outputs(
        result,
        units_path=Path(outputs["units"]),
        places_path=Path(outputs["places"]),
        report_path=Path(outputs["report"]),
    )
    return result
