"""Speed profiles: free-flow road speeds scaled by road class group and urban or rural.

The road stage builds the free-flow network (class defaults and ``maxspeed``), then
:func:`profile_road_edges` gives every edge

- ``speed_group``: ``f"{area}_{group}"`` with area ``urban`` (the edge's midpoint lies in a
  built-up area, :func:`urban_mask`) or ``rural`` and group from :func:`speed_group`;
- ``free_flow_kph``: the free-flow speed;
- ``speed_kph`` / ``travel_time_s``: the profile's (``speeds.profile``): free flow unchanged,
  or free flow times the group's factor (:func:`apply_speed_factors`), with a unit's own
  factors (``speeds.city_factors``) on the edges whose midpoint lies in it.

Built-up areas are the extract's ``landuse`` and ``place`` polygons (assembled by pyosmium,
:func:`read_osm_urban_areas`) and the polygons of ``speeds.urban_areas_file``; the point-in-
polygon test is one vectorised shapely 2 STRtree query.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import shapely

from spatialint.errors import ConfigError
from spatialint.osm.polygons import read_user_polygons
from spatialint.osm.relations import osm_file_error
from spatialint.osm.urban_tags import PLACE_AREA_VALUES
from spatialint.settings import CityFactors, SpeedSettings

logger = logging.getLogger(__name__)

KPH_PER_M_PER_S = 3.6
AREAS = ("urban", "rural")
CLASS_GROUPS = ("expressway", "arterial", "local")
GROUP_KEYS = tuple(f"{area}_{group}" for area in AREAS for group in CLASS_GROUPS)
"""The six speed groups, e.g. ``urban_arterial``."""
_CLASS_GROUP = {
    **dict.fromkeys(("motorway", "motorway_link", "trunk", "trunk_link"), "expressway"),
    **dict.fromkeys(("primary", "primary_link", "secondary", "secondary_link"), "arterial"),
}


def speed_group(highway: Any) -> Any:
    """The class group of an OSM ``highway`` value, or of each value of an array.

    ``expressway``: motorway, trunk (and their links); ``arterial``: primary, secondary (and
    their links); ``local``: every other class.
    """
    if isinstance(highway, str):
        return _CLASS_GROUP.get(highway, "local")
    values = pd.Series(np.asarray(highway, dtype=object))
    return values.map(_CLASS_GROUP).fillna("local").to_numpy(dtype=object)


def read_osm_urban_areas(pbf: str | Path, *, landuse: Iterable[str]) -> np.ndarray:
    """The built-up polygons of an OSM file: closed ways and multipolygons tagged ``landuse``
    = one of ``landuse`` or ``place`` = one of :data:`PLACE_AREA_VALUES`, as shapely geometries
    (WGS-84). Polygons pyosmium cannot assemble (broken rings) are skipped and counted.
    """
    tags = [("landuse", v) for v in sorted(landuse)] + [
        ("place", v) for v in sorted(PLACE_AREA_VALUES)
    ]
    if not tags:
        return np.zeros(0, dtype=object)
    wanted = osmium.filter.TagFilter(*tags)
    processor = (
        osmium.FileProcessor(str(pbf))
        .with_areas(wanted)
        .with_filter(osmium.filter.EntityFilter(osmium.osm.AREA))
        .with_filter(wanted)
    )
    factory = osmium.geom.WKBFactory()
    wkb: list[str] = []
    broken = 0
    try:
        for area in processor:
            try:
                wkb.append(factory.create_multipolygon(area))
            except (osmium.InvalidLocationError, RuntimeError):
                broken += 1
    except RuntimeError as err:
        raise osm_file_error(Path(pbf), err) from err
    if broken:
        logger.warning("%d built-up polygons of %s could not be assembled; skipped", broken, pbf)
    geoms = shapely.from_wkb(wkb) if wkb else np.zeros(0, dtype=object)
    return np.asarray(geoms, dtype=object)


def urban_mask(
    lon: np.ndarray, lat: np.ndarray, polygons: Sequence[Any] | np.ndarray
) -> np.ndarray:
    """True for each point (WGS-84) inside or on the edge of one of ``polygons``."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    mask = np.zeros(len(lon), dtype=bool)
    polygons = np.asarray(polygons, dtype=object)
    if len(lon) == 0 or len(polygons) == 0:
        return mask
    tree = shapely.STRtree(polygons)
    hits = tree.query(shapely.points(lon, lat), predicate="intersects")
    mask[hits[0]] = True
    return mask


def edge_midpoints(edges: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat of the point halfway along each edge's line."""
    mid = shapely.line_interpolate_point(edges.geometry.to_numpy(), 0.5, normalized=True)
    return shapely.get_x(mid), shapely.get_y(mid)


def group_keys(highway: Any, urban: np.ndarray) -> np.ndarray:
    """``f"{area}_{group}"`` of each edge from its class and its urban flag."""
    area = np.where(np.asarray(urban, dtype=bool), "urban_", "rural_").astype(object)
    return area + speed_group(highway)


def flat_factors(by_area: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """``{urban: {arterial: 0.5}}`` → ``{"urban_arterial": 0.5}`` (the keys given)."""
    return {f"{area}_{group}": float(f) for area, gs in by_area.items() for group, f in gs.items()}


def unit_overrides(
    city_factors: Sequence[CityFactors], units: pd.DataFrame
) -> dict[str, dict[str, float]]:
    """``speeds.city_factors`` by ``unit_id`` (each entry's unit matched by unit_id, name or
    name_en).

    Raises
    ------
    ConfigError
        An entry names no admin unit at the border level, or two entries name the same unit.
    """
    overrides: dict[str, dict[str, float]] = {}
    ids = units["unit_id"].astype(str).to_numpy()
    names = [units[c].astype("string").fillna("").to_numpy() for c in ("name", "name_en")
             if c in units.columns]  # fmt: skip
    for i, entry in enumerate(city_factors):
        match = ids == entry.unit
        for column in names:
            match |= column == entry.unit
        found = np.unique(ids[match])
        if len(found) != 1:
            known = ", ".join(sorted(units["name"].astype(str)))
            what = "no admin unit" if len(found) == 0 else f"{len(found)} admin units"
            raise ConfigError(
                f"speeds.city_factors[{i}].unit {entry.unit!r} names {what} at "
                f"admin.border_level; use a name or unit_id of one of: {known}."
            )
        if found[0] in overrides:
            raise ConfigError(
                f"speeds.city_factors[{i}].unit {entry.unit!r} is given twice; merge the entries."
            )
        overrides[str(found[0])] = flat_factors(entry.factors)
    return overrides


def apply_speed_factors(
    edges: pd.DataFrame,
    factors_by_group: Mapping[str, float],
    per_unit_overrides: Mapping[str, Mapping[str, float]] | None = None,
) -> pd.DataFrame:
    """A copy of ``edges`` with ``speed_kph = free_flow_kph × factor`` and its travel time.

    ``edges`` needs ``speed_group``, ``free_flow_kph``, ``length_m`` and (with overrides)
    ``unit_id``. ``factors_by_group`` gives every group present; ``per_unit_overrides`` maps a
    unit_id to the factors of the groups it overrides.

    Raises
    ------
    ConfigError
        A factor is not positive, or a group present has no factor.
    """
    groups = edges["speed_group"].to_numpy(dtype=object)
    missing = sorted(set(groups) - set(factors_by_group))
    if missing:
        raise ConfigError(f"no speed factor for the groups {missing}")
    all_factors = [factors_by_group, *(per_unit_overrides or {}).values()]
    bad = sorted({k for f in all_factors for k, v in f.items() if not v > 0})
    if bad:
        raise ConfigError(f"speed factors of {bad} are not positive; give factors above 0.")
    factor = pd.Series(groups).map(dict(factors_by_group)).to_numpy(dtype=float, copy=True)
    if per_unit_overrides:
        unit = edges["unit_id"].astype("string").fillna("").to_numpy(dtype=object)
        for unit_id, overrides in per_unit_overrides.items():
            in_unit = unit == unit_id
            for group, value in overrides.items():
                factor[in_unit & (groups == group)] = value
    out = edges.copy()
    speed = out["free_flow_kph"].to_numpy(dtype=float) * factor
    out["speed_kph"] = speed
    out["travel_time_s"] = out["length_m"].to_numpy(dtype=float) / (speed / KPH_PER_M_PER_S)
    return out


def node_speed_factor(node_ids: np.ndarray, edges: pd.DataFrame) -> np.ndarray:
    """The speed profile's factor (``speed_kph / free_flow_kph``) at each node: the smallest of
    the edges that start or end there; 1 at a node no edge touches.

    A new link at a dead end (the gaps stage) runs at its class's free-flow speed times this
    factor, so its time is on the same footing as the profiled detour it replaces.
    """
    ratio = edges["speed_kph"].to_numpy(dtype=float) / edges["free_flow_kph"].to_numpy(dtype=float)
    ends = np.concatenate(
        [edges["u"].to_numpy(dtype=np.int64), edges["v"].to_numpy(dtype=np.int64)]
    )
    by_node = pd.Series(np.concatenate([ratio, ratio])).groupby(ends).min()
    wanted = np.asarray(node_ids, dtype=np.int64)
    return by_node.reindex(wanted).fillna(1.0).to_numpy(dtype=float)


def built_up_areas(
    pbf: str | Path, *, speeds: SpeedSettings, urban_areas_file: str | Path | None
) -> np.ndarray:
    """The study's built-up polygons: the extract's and those of ``speeds.urban_areas_file``.

    Raises
    ------
    ConfigError
        The urban areas file is missing, unreadable, has no CRS or holds no polygon.
    """
    polygons = read_osm_urban_areas(pbf, landuse=speeds.urban_landuse)
    if urban_areas_file is not None:
        user = read_user_polygons(Path(urban_areas_file), key="speeds.urban_areas_file")
        polygons = np.concatenate([polygons, user.geometry.to_numpy()])
    return polygons


def profile_road_edges(
    edges: gpd.GeoDataFrame,
    *,
    speeds: SpeedSettings,
    units: pd.DataFrame,
    urban_polygons: np.ndarray,
) -> gpd.GeoDataFrame:
    """The free-flow ``edges`` with ``speed_group`` and ``free_flow_kph``, timed by the profile.

    ``free_flow`` leaves ``speed_kph`` and ``travel_time_s`` as they are (bit for bit), and so
    does ``calibrated`` (its fitted factors are applied afterwards with
    :func:`apply_speed_factors`); ``peak`` applies ``speeds.peak_factors`` and
    ``speeds.city_factors``.

    Raises
    ------
    ConfigError
        A ``city_factors`` unit that names no admin unit (:func:`unit_overrides`).
    """
    out = edges.copy()
    lon, lat = edge_midpoints(out)
    urban = urban_mask(lon, lat, urban_polygons)
    # beside the speed and time columns, in the order of the ROAD_EDGES contract
    out.insert(int(out.columns.get_loc("speed_kph")), "free_flow_kph", out["speed_kph"].copy())
    groups = group_keys(out["highway"].to_numpy(dtype=object), urban)
    out.insert(int(out.columns.get_loc("travel_time_s")) + 1, "speed_group", groups)
    logger.info(
        "speed groups (edges): %s; %.0f %% of the road length urban",
        out["speed_group"].value_counts().sort_index().to_dict(),
        100 * out["length_m"][urban].sum() / max(out["length_m"].sum(), 1e-9),
    )
    overrides = unit_overrides(speeds.city_factors, units)  # checked whatever the profile
    if speeds.profile != "peak":  # free flow, or before a calibration
        return out
    base = flat_factors(speeds.peak_factors)
    logger.info("speed profile %s: factors %s; per unit %s", speeds.profile, base, overrides)
    return apply_speed_factors(out, base, overrides)
