"""What OSM tags say about a road: drivable or not, which direction, how fast, planned or built.

- Drivable ways are those whose ``highway`` is in ``network.highway_classes`` and that are not
  closed to cars (``access`` / ``motor_vehicle`` / ``motorcar`` = ``no`` or ``private``,
  ``area=yes``).  ``highway=construction|proposed`` ways are planned ways instead.
- Direction per way: ``oneway=yes|true|1`` forward only, ``oneway=-1|reverse`` backward only,
  ``junction=roundabout|circular`` and ``highway=motorway`` forward only unless ``oneway=no``;
  everything else (including ``oneway=reversible|alternating``) both ways.
- Speed per way: the tagged ``maxspeed`` (:func:`spatialint.network.maxspeed.parse_maxspeed`),
  else the class default ``network.speeds_kph``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from spatialint.contracts import PLANNED_WAYS
from spatialint.errors import ConfigError
from spatialint.geo import WGS84
from spatialint.network.maxspeed import parse_maxspeed
from spatialint.osm.ways import WayTable, as_text, read_osm

logger = logging.getLogger(__name__)

PLANNED_HIGHWAY = ("construction", "proposed")
CLOSED_ACCESS = frozenset({"no", "private"})
ONEWAY_FORWARD = frozenset({"yes", "true", "1"})
ONEWAY_BACKWARD = frozenset({"-1", "reverse"})
ONEWAY_BOTH = frozenset({"no", "false", "0"})
ROUNDABOUT = frozenset({"roundabout", "circular"})
#: The tags of a highway way the road network reads.
WAY_KEYS = (
    "highway",
    "name",
    "ref",
    "oneway",
    "junction",
    "maxspeed",
    "access",
    "motor_vehicle",
    "motorcar",
    "area",
    "construction",
    "proposed",
)


def read_road_ways(pbf: str | Path, *, highway_classes: Sequence[str] | None = None) -> WayTable:
    """The ``highway=*`` ways of the PBF with the tags the road network uses.

    With ``highway_classes``, only those classes and planned (construction/proposed) ways are
    kept while reading — footways, paths and service roads (often half the highway nodes of a
    real extract) never reach Python's per-node loop.
    """
    if highway_classes is None:

        def way_test(tags: Mapping[str, str]) -> bool:
            return "highway" in tags

    else:
        wanted = frozenset(highway_classes) | frozenset(PLANNED_HIGHWAY)

        def way_test(tags: Mapping[str, str]) -> bool:
            return tags.get("highway") in wanted

    return read_osm(pbf, filter_keys=["highway"], way_test=way_test, way_keys=WAY_KEYS).ways


def drivable_mask(tags: pd.DataFrame, *, highway_classes: Sequence[str]) -> np.ndarray:
    """Ways of a drivable class that cars may use."""
    closed = np.zeros(len(tags), dtype=bool)
    for key in ("access", "motor_vehicle", "motorcar"):
        closed |= tags[key].isin(CLOSED_ACCESS).to_numpy()
    closed |= (tags["area"] == "yes").to_numpy()
    return tags["highway"].isin(list(highway_classes)).to_numpy() & ~closed


def way_directions(tags: pd.DataFrame) -> np.ndarray:
    """+1 forward only, -1 backward only, 0 both ways, per way (see the module docstring)."""
    oneway = tags["oneway"].fillna("").astype(str).str.strip().str.lower()
    junction = tags["junction"].fillna("").astype(str).str.lower()
    implied = junction.isin(ROUNDABOUT) | (tags["highway"] == "motorway")
    forward = oneway.isin(ONEWAY_FORWARD) | (implied & ~oneway.isin(ONEWAY_BOTH | ONEWAY_BACKWARD))
    backward = oneway.isin(ONEWAY_BACKWARD)
    return np.where(forward, 1, np.where(backward, -1, 0)).astype(np.int8)


def way_speeds_kph(
    highway: pd.Series,
    maxspeed: pd.Series,
    *,
    speeds_kph: Mapping[str, float],
    zones_kph: Mapping[str, float],
) -> np.ndarray:
    """Speed per way: parsed maxspeed, else the class default. Unknown values are logged.

    Raises
    ------
    ConfigError
        A drivable class has no default speed.
    """
    missing = sorted(set(highway.unique()) - set(speeds_kph))
    if missing:
        raise ConfigError(
            f"highway class(es) {missing} are in network.highway_classes but have no default "
            "speed in network.speeds_kph; add a speed (km/h) for each."
        )
    codes, uniques = pd.factorize(maxspeed, use_na_sentinel=True)
    parsed = np.array([parse_maxspeed(u, zones_kph=zones_kph) for u in uniques], dtype=float)
    tagged = np.where(codes >= 0, parsed[np.maximum(codes, 0)] if len(parsed) else np.nan, np.nan)
    bad = (codes >= 0) & np.isnan(tagged)
    if bad.any():
        counts = pd.Series(maxspeed[bad]).value_counts()
        logger.warning(
            "%d way(s) have a maxspeed value not understood (class default used instead): %s",
            int(bad.sum()),
            ", ".join(f"{k!r}×{v}" for k, v in counts.head(8).items()),
        )
    default = highway.map(dict(speeds_kph)).to_numpy(dtype=float)
    return np.where(np.isnan(tagged), default, tagged)


def planned_ways(ways: WayTable) -> gpd.GeoDataFrame:
    """``highway=construction|proposed`` ways with the class they will have
    (:data:`spatialint.contracts.PLANNED_WAYS`)."""
    if ways.n_ways == 0:
        return empty_planned()
    sub = ways.subset(ways.tags["highway"].isin(PLANNED_HIGHWAY).to_numpy())
    t = sub.tags
    planned_class = np.where(t["highway"] == "construction", t["construction"], t["proposed"])
    frame = pd.DataFrame(
        {
            "osmid": t["osmid"].astype("int64"),
            "highway": t["highway"].astype(object),
            "planned_class": pd.Series(planned_class, dtype=object),
            "name": t["name"].astype(object),
            "ref": t["ref"].astype(object),
        }
    )
    gdf = gpd.GeoDataFrame(frame, geometry=sub.linestrings(), crs=WGS84)
    return as_text(gdf[gdf.geometry.notna()].reset_index(drop=True), PLANNED_WAYS.names[1:])


def empty_planned() -> gpd.GeoDataFrame:
    """A planned-ways table with no rows and the contract's column types."""
    frame = pd.DataFrame({c: pd.Series([], dtype="str") for c in PLANNED_WAYS.names})
    frame["osmid"] = frame["osmid"].astype("int64")
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)
