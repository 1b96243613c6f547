"""The study area of ``area``: a polygon file or a bbox, buffered in metres, measured in km².

``area.admin_units`` need the source's boundary relations and are assembled where those are
read (:mod:`spatialint.osm.extract` from a PBF, :mod:`spatialint.osm.overpass` from the Overpass
API); this module turns the other two kinds into a WGS-84 geometry and buffers either.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from spatialint.config import REPO_ROOT
from spatialint.errors import ConfigError
from spatialint.geo import WGS84, utm_crs_for
from spatialint.osm.polygons import read_user_polygons
from spatialint.settings import AreaSettings

M_PER_KM = 1000.0
M2_PER_KM2 = 1e6


def read_polygon_file(path: Path) -> BaseGeometry:
    """Union of the polygons of a GeoJSON / GeoPackage / Shapefile, in WGS-84.

    Invalid polygons are repaired (or refused) as :mod:`spatialint.osm.polygons` says.

    Raises
    ------
    ConfigError
        The file does not exist, has no CRS, has coordinates that do not fit its CRS, holds no
        polygon, or holds one that cannot be repaired safely.
    """
    polygons = read_user_polygons(path, key="area.polygon_file")
    return shapely.union_all(polygons.geometry.values)


def bbox_polygon(bbox: Sequence[float]) -> BaseGeometry:
    """Polygon of ``[west, south, east, north]``; a ConfigError for a misordered bbox."""
    west, south, east, north = (float(v) for v in bbox)
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ConfigError(
            f"area.bbox {list(bbox)} is not [west, south, east, north] in degrees with "
            "west < east and south < north."
        )
    return shapely.box(west, south, east, north)


@functools.lru_cache(maxsize=64)
def _utm_for_degree(lon: int, lat: int) -> Any:
    return utm_crs_for(lon + 0.5, lat + 0.5)


def _metric_crs(geom: BaseGeometry) -> Any:
    """UTM zone of the centre of ``geom`` (looked up once per 1° cell: the lookup is slow)."""
    centre = geom.centroid
    return _utm_for_degree(int(np.floor(centre.x)), int(np.floor(centre.y)))


def buffer_km(geom: BaseGeometry, km: float) -> BaseGeometry:
    """``geom`` buffered by ``km`` in the UTM zone of its centre, back in WGS-84."""
    if km <= 0:
        return geom
    metric = gpd.GeoSeries([geom], crs=WGS84).to_crs(_metric_crs(geom))
    return metric.buffer(km * M_PER_KM).to_crs(WGS84).iloc[0]


def area_km2(geom: BaseGeometry) -> float:
    """Area of a WGS-84 geometry in km² (UTM zone of its centre)."""
    metric = gpd.GeoSeries([geom], crs=WGS84).to_crs(_metric_crs(geom))
    return float(metric.area.iloc[0]) / M2_PER_KM2


def check_single_area_kind(area: AreaSettings) -> None:
    """Refuse an area given in more than one way."""
    given = [
        name
        for name, value in (
            ("admin_units", area.admin_units),
            ("polygon_file", area.polygon_file),
            ("bbox", area.bbox),
        )
        if value
    ]
    if len(given) > 1:
        raise ConfigError(
            f"area has {' and '.join(given)}; give only one of admin_units, polygon_file, bbox."
        )


def configured_area(area: AreaSettings, *, base_dir: Path = REPO_ROOT) -> BaseGeometry | None:
    """The area from ``area.polygon_file`` or ``area.bbox`` (``admin_units`` need the PBF);
    ``None`` when neither is given. Relative paths are relative to ``base_dir``."""
    if area.polygon_file:
        path = Path(area.polygon_file)
        return read_polygon_file(path if path.is_absolute() else Path(base_dir) / path)
    if area.bbox:
        return bbox_polygon(area.bbox)
    return None
