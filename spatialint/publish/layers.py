"""What the map and the report draw: every stage's output, read by its contract.

:func:`read_layers` reads the admin units, roads, rail, origins, isochrones, hexagon surface,
断头路 and other gaps, and corridors into a :class:`StudyLayers`, each through
:func:`spatialint.contracts.io.read_table` with its contract: a file an older version wrote, or
one edited by hand, stops the step with a :class:`~spatialint.errors.DataError` that names the
step to re-run, instead of a map that silently leaves a column out.

:func:`osm_data_date` tells the date of the OSM data, shown under the map's and report's title.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from hashlib import blake2b
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from spatialint.contracts import (
    ADMIN_UNITS,
    CLASS_DROPS,
    CORRIDORS,
    DEAD_ENDS,
    HEX_ACCESS,
    ISOCHRONES,
    MISSING_CROSSINGS,
    ORIGINS,
    RAIL_EDGES,
    RAIL_STATIONS,
    ROAD_EDGES,
    Table,
)
from spatialint.contracts.io import read_table, read_table_parts
from spatialint.errors import DataError

logger = logging.getLogger(__name__)

DATE_SCAN_MAX_MB = 50.0
"""A PBF without a header date is scanned for its newest edit only below this size."""


@dataclass(frozen=True)
class StudyLayers:
    """Every layer the map and the report draw, in EPSG:4326, each keeping its contract."""

    units: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    rail: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    origins: gpd.GeoDataFrame
    isochrones: gpd.GeoDataFrame
    hexagons: gpd.GeoDataFrame
    dead_ends: gpd.GeoDataFrame
    class_drops: gpd.GeoDataFrame
    missing_crossings: gpd.GeoDataFrame
    corridors: gpd.GeoDataFrame
    roads_path: Path | None = None
    """Set when ``roads`` holds only some classes (:func:`read_layers` with ``road_classes``):
    the road edges file, which what needs every road (the report's GeoPackage and road length)
    reads part by part."""

    def items(self) -> Iterable[tuple[str, gpd.GeoDataFrame]]:
        """(layer name, frame) pairs in drawing order."""
        for field in fields(self):
            if field.name != "roads_path":
                yield field.name, getattr(self, field.name)

    @cached_property
    def road_km(self) -> float:
        """Length of the road network in km, a two-way street (two directed edges) counted
        once (:func:`road_length_km` of :meth:`road_parts`; computed once)."""
        return road_length_km(self.road_parts(["length_m"]))

    def road_parts(self, columns: Sequence[str] = ROAD_EDGES.names) -> Iterator[gpd.GeoDataFrame]:
        """Every road edge (``columns`` and the geometry), part by part: from ``roads_path``
        when ``roads`` holds only some classes, else ``roads`` in one part."""
        if self.roads_path is None:
            yield self.roads[[*columns, self.roads.geometry.name]]
        else:
            yield from read_table_parts(self.roads_path, ROAD_EDGES, columns=columns)


def road_length_km(parts: Iterable[gpd.GeoDataFrame]) -> float:
    """Road length in km of road edges given in parts, a two-way street (two directed edges
    with the same normalised geometry) counted once.

    Each edge's normalised geometry is compared by a 128-bit digest of its WKB, so millions of
    edges are compared without holding their geometries.
    """
    keys, lengths = [], []
    for part in parts:
        wkb = shapely.to_wkb(shapely.normalize(np.asarray(part.geometry.array, dtype=object)))
        keys.append(np.array([blake2b(k, digest_size=16).digest() for k in wkb], dtype="S16"))
        lengths.append(part["length_m"].to_numpy(dtype=float))
    if not sum(k.size for k in keys):
        return 0.0
    _, first = np.unique(np.concatenate(keys), return_index=True)  # first of each geometry
    return float(np.concatenate(lengths)[np.sort(first)].sum()) / 1000


LAYER_INPUTS: dict[str, tuple[str, Table]] = {
    # StudyLayers field: (input name of the map and report rules, contract of the table)
    "units": ("units", ADMIN_UNITS),
    "roads": ("road_edges", ROAD_EDGES),
    "rail": ("rail_edges", RAIL_EDGES),
    "stations": ("stations", RAIL_STATIONS),
    "origins": ("origins", ORIGINS),
    "isochrones": ("isochrones", ISOCHRONES),
    "hexagons": ("isochrones", HEX_ACCESS),
    "dead_ends": ("gaps", DEAD_ENDS),
    "class_drops": ("gaps", CLASS_DROPS),
    "missing_crossings": ("gaps", MISSING_CROSSINGS),
    "corridors": ("corridors", CORRIDORS),
}
"""Where each layer comes from; a GeoPackage is read at the layer named after the table."""


def read_layers(
    paths: Mapping[str, str | os.PathLike[str]], *, road_classes: Sequence[str] | None = None
) -> StudyLayers:
    """Read every stage output the map and the report need, each checked by its contract.

    Parameters
    ----------
    paths
        Files by the rules' input names: ``units``, ``road_edges``, ``rail_edges``,
        ``stations``, ``origins``, ``isochrones``, ``gaps`` and ``corridors``
        (:data:`LAYER_INPUTS`).
    road_classes
        Read only the road edges of these ``highway`` classes (the millions of minor roads of
        a large study stay on disk; :attr:`StudyLayers.roads_path` says where they are).
        ``None``: every road edge.

    Raises
    ------
    DataError
        If a file or layer is missing or breaks its contract, naming the step to re-run.
    """
    frames = {}
    for name, (key, table) in LAYER_INPUTS.items():
        if key not in paths:
            raise DataError(f"No path given for input {key!r} (table {table.name}).")
        if name == "roads" and road_classes is not None:
            frames[name] = read_table(paths[key], table, rows=("highway", list(road_classes)))
        else:
            frames[name] = read_table(paths[key], table)
    roads_path = None if road_classes is None else Path(paths["road_edges"])
    return StudyLayers(**frames, roads_path=roads_path)


def unit_names(units: gpd.GeoDataFrame, language: str) -> list[str]:
    """Each unit's name to show: on an English map or report its English name where it has
    one, else its name, else its id (a unit OSM gives no name)."""
    names = _present(units["name"]).fillna(units["unit_id"]).astype(str)
    if language == "en":
        names = _present(units["name_en"]).fillna(names).astype(str)
    return names.tolist()


def _present(values: pd.Series) -> pd.Series:
    """``values`` with blank text (``""``, spaces) as missing."""
    text = values.astype(object)
    blank = text.map(lambda v: isinstance(v, str) and not v.strip())
    return text.where(text.notna() & ~blank)


def osm_data_date(pbf: str | os.PathLike[str]) -> str | None:
    """The OSM data date (``YYYY-MM-DD``) of a PBF, or ``None`` when it cannot be told.

    Geofabrik and planet extracts carry ``osmosis_replication_timestamp`` in the header, which
    is read without scanning the file. Without it, files below :data:`DATE_SCAN_MAX_MB` are
    scanned for their newest object timestamp (the data cannot be older than its last edit).
    """
    import osmium

    path = Path(pbf)
    if not path.exists():
        raise DataError(f"OSM extract {path} does not exist; run the retrieve stage first.")
    reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
    try:
        header = reader.header()
        for key in ("osmosis_replication_timestamp", "timestamp"):
            value = header.get(key)  # "" when the header has no such key
            if value:
                return value[:10]
    finally:
        reader.close()
    if path.stat().st_size > DATE_SCAN_MAX_MB * 1e6:
        logger.warning("%s has no timestamp in its header; the map shows the date as unknown", path)
        return None
    newest = None
    for obj in osmium.FileProcessor(str(path)):
        stamp = obj.timestamp
        if stamp is not None and stamp.year > 1970 and (newest is None or stamp > newest):
            newest = stamp
    return newest.strftime("%Y-%m-%d") if newest is not None else None
