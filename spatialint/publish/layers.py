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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path

import geopandas as gpd
import pandas as pd

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
from spatialint.contracts.io import read_table
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

    def items(self) -> Iterable[tuple[str, gpd.GeoDataFrame]]:
        """(layer name, frame) pairs in drawing order."""
        for field in fields(self):
            yield field.name, getattr(self, field.name)


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


def read_layers(paths: Mapping[str, str | os.PathLike[str]]) -> StudyLayers:
    """Read every stage output the map and the report need, each checked by its contract.

    Parameters
    ----------
    paths
        Files by the rules' input names: ``units``, ``road_edges``, ``rail_edges``,
        ``stations``, ``origins``, ``isochrones``, ``gaps`` and ``corridors``
        (:data:`LAYER_INPUTS`).

    Raises
    ------
    DataError
        If a file or layer is missing or breaks its contract, naming the step to re-run.
    """
    frames = {}
    for name, (key, table) in LAYER_INPUTS.items():
        if key not in paths:
            raise DataError(f"No path given for input {key!r} (table {table.name}).")
        frames[name] = read_table(paths[key], table)
    return StudyLayers(**frames)


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
