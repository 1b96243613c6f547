"""Small study areas straight from the Overpass API, through osmnx, written as an OSM PBF.

``source.kind: overpass`` fetches the same object families :mod:`spatialint.osm.extract` keeps
from a PBF (roads incl. construction/proposed, railway track and stations, admin boundaries at
the configured levels, places, rivers/canals and water) for the buffered study area. The answer
(``out body`` JSON with ``(._;>;)`` recursion, so ways are complete) is written as
``extract.osm.pbf`` with pyosmium, so every later stage reads one format.

Why osmnx's private Overpass functions: the later stages need the raw elements — node ids
shared between ways (the road graph's topology), way node lists, relation members. osmnx's
public API (``ox.features.features_from_polygon``, ``ox.graph.graph_from_polygon``) returns
geometries or a simplified graph and drops exactly those, and it cannot send our query (the
``is_in`` look-up of the units containing the area). What we reuse is osmnx's Overpass client:
polygon subdivision by ``ox.settings.max_query_area_size``, the pause for a free server slot,
the on-disk response cache and the retry on 429/504. Those live in ``osmnx._overpass``; their
signatures changed between osmnx 2.0 and 2.1, so ``pyproject.toml`` pins osmnx to the minor
versions checked here (``>=2.0,<2.2``) and ``tests/test_overpass.py`` checks that the two
functions used (:data:`OSMNX_PRIVATE_API`) still take what we pass.

osmnx keeps its settings in module globals; :func:`osmnx_settings` sets them from the study
config for the duration of a call and restores them afterwards.
"""

from __future__ import annotations

import contextlib
import logging
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import osmium
import osmnx as ox
import requests
import shapely
from osmnx import _errors as ox_errors
from osmnx import _overpass
from shapely.geometry.base import BaseGeometry

from spatialint.config import REPO_ROOT
from spatialint.errors import ConfigError, DataError, DownloadError
from spatialint.fileio import atomic_path
from spatialint.osm.area import buffer_km, configured_area
from spatialint.osm.extract import RAIL_NODE_VALUES, RAIL_WAY_VALUES, WATERWAY_VALUES
from spatialint.osm.relations import RelationInfo, assemble_relation, describe_unit
from spatialint.osm.urban_tags import PLACE_AREA_VALUES, URBAN_LANDUSE
from spatialint.osm.writer import osm_writer
from spatialint.settings import AreaSettings, SourceSettings, UnitRef

logger = logging.getLogger(__name__)

#: The private osmnx functions this module calls (see the module docstring).
OSMNX_PRIVATE_API = ("_overpass_request", "_make_overpass_polygon_coord_strs")

_SETTING_NAMES = (
    "overpass_url",
    "requests_timeout",
    "cache_folder",
    "use_cache",
    "log_console",
    "overpass_rate_limit",
)

#: An Overpass answer's elements by (type, id).
Elements = dict[tuple[str, int], dict[str, Any]]


def overpass_base_url(url: str) -> str:
    """osmnx wants the API base (``.../api``); accept ``.../api/interpreter`` too."""
    url = url.rstrip("/")
    return url[: -len("/interpreter")] if url.endswith("/interpreter") else url


@contextlib.contextmanager
def osmnx_settings(source: SourceSettings, *, base_dir: Path = REPO_ROOT) -> Iterator[None]:
    """Set osmnx's Overpass URL, timeout and cache folder from ``source``; restore on exit."""
    saved = {name: getattr(ox.settings, name) for name in _SETTING_NAMES}
    cache_dir = Path(source.cache_dir)
    cache_dir = cache_dir if cache_dir.is_absolute() else Path(base_dir) / cache_dir
    try:
        ox.settings.overpass_url = overpass_base_url(source.overpass_url)
        ox.settings.requests_timeout = source.timeout_s
        ox.settings.cache_folder = str(cache_dir / "overpass")
        ox.settings.use_cache = True
        ox.settings.log_console = False
        yield
    finally:
        for name, value in saved.items():
            setattr(ox.settings, name, value)


def query_settings() -> str:
    """The ``[out:json][timeout:...]`` head of a query, from osmnx's public settings."""
    memory = ox.settings.overpass_memory
    maxsize = "" if memory is None else f"[maxsize:{memory}]"
    return ox.settings.overpass_settings.format(
        timeout=ox.settings.requests_timeout, maxsize=maxsize
    )


def _alternation(values: Sequence[str]) -> str:
    return "^(" + "|".join(values) + ")$"


def features_query(
    poly: str, *, levels: Sequence[int], centre: tuple[float, float] | None = None
) -> str:
    """Overpass QL for every object family of the extract inside ``poly`` ("lat lon ...").

    With ``centre`` (lon, lat) the admin units *containing* that point are added too (their
    boundaries may lie wholly outside a small area, but the admin stage needs them as parents).
    """
    p = f'(poly:"{poly}")'
    level_re = _alternation([str(v) for v in sorted(set(levels))])
    landuse_re = _alternation(sorted(URBAN_LANDUSE))
    place_re = _alternation(sorted(PLACE_AREA_VALUES))
    containing = ""
    if centre is not None:
        containing = (
            f"is_in({centre[1]:.6f},{centre[0]:.6f})->.containing;"
            f'rel(pivot.containing)["boundary"="administrative"]["admin_level"~"{level_re}"];'
        )
    return (
        f"{query_settings()};({containing}"
        f'way["highway"]{p};'
        f'way["railway"~"{_alternation(sorted(RAIL_WAY_VALUES))}"]{p};'
        f'way["waterway"~"{_alternation(sorted(WATERWAY_VALUES))}"]{p};'
        f'way["natural"="water"]{p};'
        f'way["landuse"~"{landuse_re}"]{p};'
        f'way["place"~"{place_re}"]{p};'
        f'node["place"]{p};'
        f'node["railway"~"{_alternation(sorted(RAIL_NODE_VALUES))}"]{p};'
        f'relation["boundary"="administrative"]["admin_level"~"{level_re}"]{p};'
        f'relation["natural"="water"]["type"="multipolygon"]{p};'
        f'relation["landuse"~"{landuse_re}"]["type"="multipolygon"]{p};'
        f'relation["place"~"{place_re}"]["type"="multipolygon"]{p};'
        ");(._;>;);out body;"
    )


def units_query(refs: Sequence[UnitRef]) -> str:
    """Overpass QL for the boundary relations named in ``area.admin_units``, with members."""
    parts = []
    for ref in refs:
        if ref.relation_id is not None:
            parts.append(f"relation({ref.relation_id});")
        else:
            name = str(ref.name).replace('"', '\\"')
            parts.append(
                f'relation["boundary"="administrative"]["admin_level"="{ref.admin_level}"]'
                f'["name"="{name}"];'
            )
    return f"{query_settings()};({''.join(parts)});(._;>;);out body;"


def _request(query: str) -> dict[str, Any]:
    """One Overpass request through osmnx, with its failures as :class:`DownloadError`."""
    url = ox.settings.overpass_url
    try:
        response = _overpass._overpass_request(OrderedDict(data=query))
    except (ox_errors.InsufficientResponseError, ox_errors.ResponseStatusCodeError) as err:
        raise DownloadError(
            f"The Overpass API at {url} gave no usable answer ({err}); check source.overpass_url, "
            "try again later, or use source.kind: pbf for this area."
        ) from err
    except requests.RequestException as err:
        raise DownloadError(
            f"Could not reach the Overpass API at {url} ({err}); check source.overpass_url and "
            "your network, or use source.kind: pbf."
        ) from err
    remark = str(response.get("remark", ""))
    if "error" in remark.lower():
        raise DownloadError(
            f"The Overpass API at {url} stopped the query: {remark}. Raise source.timeout_s, "
            "shrink the area, or use source.kind: pbf for large areas."
        )
    return response


def _merge(responses: Sequence[Mapping[str, Any]]) -> Elements:
    merged: Elements = {}
    for response in responses:
        for element in response.get("elements", []):
            merged[(element["type"], int(element["id"]))] = element
    return merged


def _way_lines(elements: Elements) -> dict[int, BaseGeometry]:
    """LineString of every way with at least two nodes in the answer."""
    nodes = {i: (e["lon"], e["lat"]) for (t, i), e in elements.items() if t == "node"}
    return {
        i: shapely.LineString([nodes[n] for n in e["nodes"] if n in nodes])
        for (t, i), e in elements.items()
        if t == "way" and sum(n in nodes for n in e["nodes"]) >= 2
    }


def _relation_info(element: Mapping[str, Any]) -> RelationInfo:
    """A relation of the answer with its outer and inner member ways."""
    info = RelationInfo(id=int(element["id"]), tags=dict(element.get("tags", {})))
    for member in element.get("members", []):
        if member["type"] == "way":
            target = info.inner_ways if member.get("role") == "inner" else info.outer_ways
            target.append(int(member["ref"]))
    return info


def _unit_area(refs: Sequence[UnitRef], *, source_label: str) -> BaseGeometry:
    """Union of the admin units of ``refs``, assembled from an Overpass answer."""
    elements = _merge([_request(units_query(refs))])
    relations = [_relation_info(e) for (t, _), e in elements.items() if t == "relation"]
    chosen: list[RelationInfo] = []
    for ref in refs:
        matches = [r for r in relations if r.matches(ref)]
        if not matches:
            raise ConfigError(
                f"area.admin_units: the Overpass API at {source_label} has no boundary relation "
                f"{describe_unit(ref)}; check the name, admin_level or relation id on "
                "openstreetmap.org."
            )
        chosen.extend(r for r in matches if r not in chosen)
    lines = _way_lines(elements)
    return shapely.union_all(
        [assemble_relation(r, lines, source=Path(source_label)) for r in chosen]
    )


def write_elements(elements: Mapping[tuple[str, int], Mapping[str, Any]], target: Path) -> dict:
    """Write Overpass JSON elements as a sorted OSM PBF; return counts per type.

    Ways referring to nodes absent from the answer are dropped with a warning (Overpass's
    ``(._;>;)`` recursion normally makes them complete).
    """
    by_type: dict[str, list[tuple[int, Mapping[str, Any]]]] = {
        "node": [],
        "way": [],
        "relation": [],
    }
    for (kind, element_id), element in sorted(elements.items(), key=lambda item: item[0][1]):
        by_type[kind].append((element_id, element))
    node_ids = {i for i, _ in by_type["node"]}
    broken = {i for i, e in by_type["way"] if not set(e.get("nodes", [])) <= node_ids}
    if broken:
        logger.warning(
            "dropping %d way(s) whose nodes Overpass did not return: %s",
            len(broken),
            sorted(broken)[:10],
        )
    ways = [(i, e) for i, e in by_type["way"] if i not in broken]
    with atomic_path(target) as tmp, osm_writer(tmp) as writer:
        for node_id, e in by_type["node"]:
            writer.add_node(_mutable_node(node_id, e))
        for way_id, e in ways:
            writer.add_way(
                osmium.osm.mutable.Way(
                    id=way_id, nodes=e["nodes"], tags=e.get("tags", {}), version=1
                )
            )
        for rel_id, e in by_type["relation"]:
            writer.add_relation(_mutable_relation(rel_id, e))
    return {"nodes": len(by_type["node"]), "ways": len(ways), "relations": len(by_type["relation"])}


def _mutable_node(node_id: int, e: Mapping[str, Any]) -> osmium.osm.mutable.Node:
    return osmium.osm.mutable.Node(
        id=node_id, location=(e["lon"], e["lat"]), tags=e.get("tags", {}), version=1
    )


def _mutable_relation(rel_id: int, e: Mapping[str, Any]) -> osmium.osm.mutable.Relation:
    member_type = {"node": "n", "way": "w", "relation": "r"}
    members = [
        (member_type[m["type"]], int(m["ref"]), m.get("role", "")) for m in e.get("members", [])
    ]
    return osmium.osm.mutable.Relation(
        id=rel_id, members=members, tags=e.get("tags", {}), version=1
    )


def unbuffered_area(area: AreaSettings, *, source: SourceSettings, base_dir: Path) -> BaseGeometry:
    """The study area without its buffer (admin units from the cached Overpass answers)."""
    with osmnx_settings(source, base_dir=base_dir):
        return _unbuffered(area, base_dir=base_dir)


def _study_area(area: AreaSettings, *, base_dir: Path) -> BaseGeometry:
    """The buffered study area; Overpass needs one (the planet is not an option)."""
    return buffer_km(_unbuffered(area, base_dir=base_dir), area.buffer_km)


def _unbuffered(area: AreaSettings, *, base_dir: Path) -> BaseGeometry:
    """The study area without buffer; Overpass needs one (the planet is not an option)."""
    if area.admin_units:
        geom = _unit_area(area.admin_units, source_label=ox.settings.overpass_url)
    else:
        geom = configured_area(area, base_dir=base_dir)
    if geom is None:
        raise ConfigError(
            "source.kind: overpass needs a study area: give area.admin_units, "
            "area.polygon_file or area.bbox (the whole planet is not an option)."
        )
    return geom


def fetch_extract(
    target: Path,
    *,
    source: SourceSettings,
    area: AreaSettings,
    levels: Sequence[int],
    base_dir: Path = REPO_ROOT,
) -> dict[str, int]:
    """Fetch the study's extract from Overpass and write it to ``target`` (an ``.osm.pbf``).

    Parameters
    ----------
    target
        The extract to write.
    source
        ``overpass_url``, ``timeout_s`` and ``cache_dir`` (the Overpass answers are cached in
        its ``overpass`` folder).
    area
        The study area: admin units (looked up on Overpass), a polygon file or a bbox.
    levels
        ``admin.levels``: the boundary relations fetched.
    base_dir
        Folder that relative paths of the config resolve against.

    Raises
    ------
    ConfigError
        No area is configured (Overpass needs one) or an admin unit is not found.
    DownloadError
        The Overpass API failed or stopped the query.
    DataError
        The answer holds no roads, railways or places.
    """
    with osmnx_settings(source, base_dir=base_dir):
        geom = _study_area(area, base_dir=base_dir)
        coord_strs = _overpass._make_overpass_polygon_coord_strs(geom)
        logger.info("querying %s in %d request(s)", ox.settings.overpass_url, len(coord_strs))
        point = geom.representative_point()
        queries = [features_query(p, levels=levels, centre=(point.x, point.y)) for p in coord_strs]
        elements = _merge([_request(query) for query in queries])
    if not any(t in {"way", "node"} and "tags" in e for (t, _), e in elements.items()):
        raise DataError(
            f"The Overpass API returned no roads, railways or places for the study area "
            f"(bounds {tuple(round(v, 4) for v in geom.bounds)}); check the area settings."
        )
    counts = write_elements(elements, target)
    logger.info("wrote %s from Overpass: %s", target, counts)
    return counts
