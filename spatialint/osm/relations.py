"""Boundary relations of an OSM file: read them, find the configured units, build their polygons.

The clip (:mod:`spatialint.osm.extract`), the Overpass path (:mod:`spatialint.osm.overpass`) and
the admin stage (:mod:`spatialint.osm.admin`) share this: a :class:`RelationInfo` per
``boundary=administrative`` (or water) relation with its member ways and centre nodes, the
lookup of ``area.admin_units`` by id or by name, and the assembly of a relation's rings into a
(Multi)Polygon that also repairs self-intersecting boundaries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import osmium
import shapely
from shapely.geometry.base import BaseGeometry

from spatialint.errors import ConfigError, DataError
from spatialint.names import near_matches
from spatialint.osm.blocks import truncation_reason
from spatialint.osm.urban_tags import is_built_up_area
from spatialint.settings import UnitRef

#: Roles of the member node that marks a unit's centre, in order of preference.
CENTRE_ROLES = ("admin_centre", "label")
#: Tags a unit name is matched against in ``area.admin_units``.
NAME_TAGS = ("name", "name:zh", "name:en", "official_name")


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

    def matches(self, ref: UnitRef) -> bool:
        """True when this relation is the unit ``ref`` names (by id, or by name and level)."""
        if ref.relation_id is not None:
            return self.id == ref.relation_id
        names = {self.tags.get(key) for key in NAME_TAGS}
        return self.is_admin and self.admin_level == ref.admin_level and ref.name in names


def describe_unit(ref: UnitRef) -> str:
    """An ``area.admin_units`` entry in words: ``relation 123`` or ``'Name' at admin_level 6``."""
    if ref.relation_id is not None:
        return f"relation {ref.relation_id}"
    return f"{ref.name!r} at admin_level {ref.admin_level}"


def osm_file_error(path: Path, err: Exception) -> DataError:
    """The error for an OSM file pyosmium cannot read."""
    return DataError(
        f"The OSM file {path} is truncated or corrupt ({err}); delete it and download it again "
        "(for a cached download, delete the file and re-run: it is fetched anew)."
    )


class RelationIndex(dict[int, RelationInfo]):
    """The boundary and water relations of a file by id, and how many relations of any kind
    the file holds (``total``: none at all is a sign of a file cut short)."""

    total: int = 0


def read_relations(path: Path) -> RelationIndex:
    """Boundary, water and built-up area relations of ``path`` with their member ways and
    centre nodes."""
    relations = RelationIndex()
    try:
        for rel in osmium.FileProcessor(str(path), osmium.osm.RELATION):
            relations.total += 1
            tags = rel.tags
            if not (
                tags.get("boundary") == "administrative"
                or tags.get("natural") == "water"
                or is_built_up_area(tags)
            ):
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
        raise osm_file_error(path, err) from err
    return relations


def truncation_hint(path: Path, relations: RelationIndex) -> str:
    """A sentence for messages about missing relations when ``path`` looks cut short, else
    ``""``: a PBF lists its relations last, so a cut file loses them first."""
    reason = truncation_reason(path)
    if reason is not None:
        return (
            f" The file looks truncated ({reason}): re-download it (for a cached download, "
            "delete the file and run again: it is fetched anew)."
        )
    if relations.total == 0:
        return (
            f" {path} holds no relations at all; an OSM file cut short loses them first "
            "(they come last), so if it is a download it looks truncated: re-download it."
        )
    return ""


def resolve_units(
    refs: Sequence[UnitRef], relations: Mapping[int, RelationInfo], *, source: Path
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
        found = [r for r in admin if r.matches(ref)]
        if not found and ref.relation_id is not None:
            rid = ref.relation_id
            raise ConfigError(
                f"area.admin_units: relation {rid} is not a boundary=administrative relation "
                f"in {source}; check the id on openstreetmap.org/relation/{rid} and that the "
                f"extract covers it.{_truncated(source, relations)}"
            )
        if not found:
            raise _unknown_unit_name(ref, relations, source=source)
        if len(found) > 1:
            raise ConfigError(
                f"area.admin_units: {ref.name!r} at admin_level {ref.admin_level} matches "
                f"relations {', '.join(str(r.id) for r in found)}; give relation_id instead."
            )
        ids.append(found[0].id)
    return ids


def _unknown_unit_name(
    ref: UnitRef, relations: Mapping[int, RelationInfo], *, source: Path
) -> ConfigError:
    """The error for a unit name that matches no relation, with the names that come close
    (:func:`spatialint.names.near_matches`), the levels where the name exists, and a hint when
    the file looks cut short."""
    admin = [r for r in relations.values() if r.is_admin]
    name, level = str(ref.name), ref.admin_level
    other_levels = sorted({r.admin_level for r in admin if r.name == name and r.admin_level})
    close = near_matches(name, sorted({r.name for r in admin if r.name}))
    at_level = sorted(r.name for r in admin if r.admin_level == level and r.name)
    hint = f"similar names: {', '.join(repr(c) for c in close)}" if close else "no similar names"
    if other_levels:
        hint = f"{name!r} is at admin_level {', '.join(map(str, other_levels))}; {hint}"
    return ConfigError(
        f"area.admin_units: no boundary relation named {name!r} at admin_level {level} in "
        f"{source} ({hint}; names at admin_level {level}: "
        f"{', '.join(at_level[:20]) or 'none'}). Fix the name or level, or give relation_id."
        f"{_truncated(source, relations)}"
    )


def _truncated(source: Path, relations: Mapping[int, RelationInfo]) -> str:
    return truncation_hint(source, relations) if isinstance(relations, RelationIndex) else ""


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
    outer = _rings(info, [way_lines[w] for w in info.outer_ways], source=source)
    inner = _rings(info, [way_lines[w] for w in info.inner_ways], source=source)
    geom = shapely.difference(outer, inner)
    if geom.is_empty:
        raise DataError(f"The boundary {info.label()} in {source} has no area.")
    return geom


def _rings(info: RelationInfo, ways: Sequence[BaseGeometry], *, source: Path) -> BaseGeometry:
    """The polygons the ways of one role close into."""
    lines = [way for way in ways if way.geom_type == "LineString"]
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
