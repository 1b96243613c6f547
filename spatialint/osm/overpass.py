"""Small study areas straight from the Overpass API, through osmnx, written as an OSM PBF.

``source.kind: overpass`` fetches the same object families :mod:`spatialint.osm.extract` keeps from
a PBF (roads incl. construction/proposed, railway track and stations, admin boundaries at the
configured levels, places, rivers/canals and water) for the buffered study area, using osmnx's
Overpass machinery (``osmnx._overpass``: polygon subdivision, server slot pauses, on-disk
response cache, retries on 429/504).  The answer (``out body`` JSON with ``(._;>;)`` recursion,
so ways are complete) is written as ``extract.osm.pbf`` with pyosmium, so every later stage reads
one format.

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
from spatialint.osm.extract import (
    RAIL_NODE_VALUES,
    RAIL_WAY_VALUES,
    WATERWAY_VALUES,
    RelationInfo,
    assemble_relation,
    buffer_km,
    configured_area,
)

logger = logging.getLogger(__name__)

_SETTING_NAMES = (
    "overpass_url",
    "requests_timeout",
    "cache_folder",
    "use_cache",
    "log_console",
    "overpass_rate_limit",
)


def overpass_base_url(url: str) -> str:
    """osmnx wants the API base (``.../api``); accept ``.../api/interpreter`` too."""
    url = url.rstrip("/")
    return url[: -len("/interpreter")] if url.endswith("/interpreter") else url


@contextlib.contextmanager
def osmnx_settings(source: Mapping[str, Any], *, base_dir: Path = REPO_ROOT) -> Iterator[None]:
    """Set osmnx's Overpass URL, timeout and cache folder from ``source``; restore on exit."""
    saved = {name: getattr(ox.settings, name) for name in _SETTING_NAMES}
    cache_dir = Path(source.get("cache_dir", "data/raw"))
    cache_dir = cache_dir if cache_dir.is_absolute() else Path(base_dir) / cache_dir
    try:
        ox.settings.overpass_url = overpass_base_url(
            source.get("overpass_url", "https://overpass-api.de/api")
        )
        ox.settings.requests_timeout = int(source.get("timeout_s", 180))
        ox.settings.cache_folder = str(cache_dir / "overpass")
        ox.settings.use_cache = True
        ox.settings.log_console = False
        yield
    finally:
        for name, value in saved.items():
            setattr(ox.settings, name, value)


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
    containing = ""
    if centre is not None:
        containing = (
            f"is_in({centre[1]:.6f},{centre[0]:.6f})->.containing;"
            f'rel(pivot.containing)["boundary"="administrative"]["admin_level"~"{level_re}"];'
        )
    return (
        f"{_overpass._make_overpass_settings()};({containing}"
        f'way["highway"]{p};'
        f'way["railway"~"{_alternation(sorted(RAIL_WAY_VALUES))}"]{p};'
        f'way["waterway"~"{_alternation(sorted(WATERWAY_VALUES))}"]{p};'
        f'way["natural"="water"]{p};'
        f'node["place"]{p};'
        f'node["railway"~"{_alternation(sorted(RAIL_NODE_VALUES))}"]{p};'
        f'relation["boundary"="administrative"]["admin_level"~"{level_re}"]{p};'
        f'relation["natural"="water"]["type"="multipolygon"]{p};'
        ");(._;>;);out body;"
    )


def units_query(refs: Sequence[Mapping[str, Any]]) -> str:
    """Overpass QL for the boundary relations named in ``area.admin_units``, with members."""
    parts = []
    for ref in refs:
        if "relation_id" in ref:
            parts.append(f"relation({int(ref['relation_id'])});")
        else:
            name = str(ref["name"]).replace('"', '\\"')
            parts.append(
                f'relation["boundary"="administrative"]["admin_level"="{int(ref["admin_level"])}"]'
                f'["name"="{name}"];'
            )
    return f"{_overpass._make_overpass_settings()};({''.join(parts)});(._;>;);out body;"


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


def _merge(responses: Sequence[Mapping[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    merged: dict[tuple[str, int], dict[str, Any]] = {}
    for response in responses:
        for element in response.get("elements", []):
            merged[(element["type"], int(element["id"]))] = element
    return merged


def _unit_area(refs: Sequence[Mapping[str, Any]], *, source_label: str) -> BaseGeometry:
    """Union of the admin units of ``refs``, assembled from an Overpass answer."""
    elements = _merge([_request(units_query(refs))])
    nodes = {i: (e["lon"], e["lat"]) for (t, i), e in elements.items() if t == "node"}
    way_lines = {
        i: shapely.LineString([nodes[n] for n in e["nodes"] if n in nodes])
        for (t, i), e in elements.items()
        if t == "way" and sum(n in nodes for n in e["nodes"]) >= 2
    }
    relations = []
    for ref in refs:
        matches = [
            e
            for (t, i), e in elements.items()
            if t == "relation"
            and (
                i == int(ref["relation_id"])
                if "relation_id" in ref
                else e.get("tags", {}).get("name") == ref["name"]
                and str(e.get("tags", {}).get("admin_level")) == str(ref["admin_level"])
            )
        ]
        if not matches:
            raise ConfigError(
                f"area.admin_units: the Overpass API at {source_label} has no boundary relation "
                f"{dict(ref)}; check the name, admin_level or relation id on openstreetmap.org."
            )
        relations.extend(m for m in matches if m not in relations)
    parts = []
    for element in relations:
        info = RelationInfo(id=int(element["id"]), tags=dict(element.get("tags", {})))
        for member in element.get("members", []):
            if member["type"] == "way":
                target = info.inner_ways if member.get("role") == "inner" else info.outer_ways
                target.append(int(member["ref"]))
        parts.append(assemble_relation(info, way_lines, source=Path(source_label)))
    return shapely.union_all(parts)


def write_elements(elements: Mapping[tuple[str, int], Mapping[str, Any]], target: Path) -> dict:
    """Write Overpass JSON elements as a sorted OSM PBF; return counts per type.

    Ways referring to nodes absent from the answer are dropped with a warning (Overpass's
    ``(._;>;)`` recursion normally makes them complete).
    """
    nodes = sorted((i, e) for (t, i), e in elements.items() if t == "node")
    node_ids = {i for i, _ in nodes}
    ways = sorted((i, e) for (t, i), e in elements.items() if t == "way")
    relations = sorted((i, e) for (t, i), e in elements.items() if t == "relation")
    broken = [i for i, e in ways if not set(e.get("nodes", [])) <= node_ids]
    if broken:
        logger.warning(
            "dropping %d way(s) whose nodes Overpass did not return: %s", len(broken), broken[:10]
        )
    member_type = {"node": "n", "way": "w", "relation": "r"}
    counts = {"nodes": 0, "ways": 0, "relations": 0}
    with atomic_path(target) as tmp, osmium.SimpleWriter(str(tmp)) as writer:
        for node_id, e in nodes:
            writer.add_node(
                osmium.osm.mutable.Node(
                    id=node_id,
                    location=(e["lon"], e["lat"]),
                    tags=e.get("tags", {}),
                    version=1,
                )
            )
            counts["nodes"] += 1
        dropped = set(broken)
        for way_id, e in ways:
            if way_id in dropped:
                continue
            writer.add_way(
                osmium.osm.mutable.Way(
                    id=way_id, nodes=e["nodes"], tags=e.get("tags", {}), version=1
                )
            )
            counts["ways"] += 1
        for rel_id, e in relations:
            members = [
                (member_type[m["type"]], int(m["ref"]), m.get("role", ""))
                for m in e.get("members", [])
            ]
            writer.add_relation(
                osmium.osm.mutable.Relation(
                    id=rel_id, members=members, tags=e.get("tags", {}), version=1
                )
            )
            counts["relations"] += 1
    return counts


def fetch_extract(
    study: Mapping[str, Any], target: Path, *, base_dir: Path = REPO_ROOT
) -> dict[str, int]:
    """Fetch the study's extract from Overpass and write it to ``target`` (an ``.osm.pbf``).

    Raises
    ------
    ConfigError
        No area is configured (Overpass needs one) or an admin unit is not found.
    DownloadError
        The Overpass API failed or stopped the query.
    DataError
        The answer holds no roads, railways or places.
    """
    area = study.get("area", {})
    source = study["source"]
    levels = list(study.get("admin", {}).get("levels", [5, 6]))
    with osmnx_settings(source, base_dir=base_dir):
        if area.get("admin_units"):
            geom = _unit_area(area["admin_units"], source_label=ox.settings.overpass_url)
        else:
            geom = configured_area(area, base_dir=base_dir)
        if geom is None:
            raise ConfigError(
                "source.kind: overpass needs a study area: give area.admin_units, "
                "area.polygon_file or area.bbox (the whole planet is not an option)."
            )
        geom = buffer_km(geom, float(area.get("buffer_km", 0)))
        coord_strs = _overpass._make_overpass_polygon_coord_strs(geom)
        logger.info("querying %s in %d request(s)", ox.settings.overpass_url, len(coord_strs))
        point = geom.representative_point()
        elements = _merge(
            [
                _request(features_query(p, levels=levels, centre=(point.x, point.y)))
                for p in coord_strs
            ]
        )
    if not any(t in {"way", "node"} and "tags" in e for (t, _), e in elements.items()):
        raise DataError(
            f"The Overpass API returned no roads, railways or places for the study area "
            f"(bounds {tuple(round(v, 4) for v in geom.bounds)}); check the area settings."
        )
    counts = write_elements(elements, target)
    logger.info("wrote %s from Overpass: %s", target, counts)
    return counts
