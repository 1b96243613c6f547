"""WGS-84 → GCJ-02 ("Mars coordinates"), so overlays line up with AMap/Gaode tiles.

Chinese commercial basemaps (AMap/Gaode, Tencent) are drawn in GCJ-02, an obfuscated datum
required by Chinese surveying regulations: it moves WGS-84 positions by a smooth, non-linear
offset of ~300–600 m inside China (none outside). OpenStreetMap data, GPS and every layer
spatialint writes are WGS-84, so on an AMap basemap they would sit visibly beside the roads
underneath. :func:`gcj02_geometries` therefore shifts every overlay geometry into GCJ-02 before
it is drawn over AMap tiles; the files on disk stay WGS-84.

The forward transform is the published algorithm (Krasovsky 1940 ellipsoid constants plus two
trigonometric perturbation series); it agrees with the widely used ``coordtransform`` library
to 1e-12 degrees. The inverse is iterated to below a centimetre, enough to read back a position.
"""

from __future__ import annotations

import numpy as np
import shapely

KRASOVSKY_A_M = 6378245.0
"""Semi-major axis of the Krasovsky 1940 ellipsoid used by GCJ-02 (metres)."""
KRASOVSKY_EE = 0.00669342162296594323
"""First eccentricity squared of the Krasovsky 1940 ellipsoid."""

CHINA_BBOX = (73.66, 3.86, 135.05, 53.55)
"""Coarse [west, south, east, north] box inside which GCJ-02 applies (degrees)."""


def out_of_china(lon: np.ndarray | float, lat: np.ndarray | float) -> np.ndarray:
    """True where a WGS-84 position lies outside the box where GCJ-02 is applied."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    west, south, east, north = CHINA_BBOX
    return ~((lon >= west) & (lon <= east) & (lat >= south) & (lat <= north))


def _transform_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 offset (degrees) at WGS-84 positions; zero outside China."""
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    rad_lat = np.radians(lat)
    magic = 1 - KRASOVSKY_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((KRASOVSKY_A_M * (1 - KRASOVSKY_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (KRASOVSKY_A_M / sqrt_magic * np.cos(rad_lat) * np.pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(
    lon: np.ndarray | float, lat: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS-84 longitude/latitude (degrees, arrays or scalars) to GCJ-02.

    Positions outside China are returned unchanged, as AMap does.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(
    lon: np.ndarray | float, lat: np.ndarray | float, *, iterations: int = 6
) -> tuple[np.ndarray, np.ndarray]:
    """Invert :func:`wgs84_to_gcj02` by fixed-point iteration (error < 1 cm after 6 steps)."""
    glon = np.asarray(lon, dtype=float)
    glat = np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(iterations):
        dlon, dlat = _offset(wlon, wlat)
        wlon, wlat = glon - dlon, glat - dlat
    return wlon, wlat


def gcj02_geometries(geometries: np.ndarray | object) -> np.ndarray:
    """Shift an array of WGS-84 shapely geometries (or a GeoSeries' values) into GCJ-02.

    Every vertex is moved by the offset at its own position, so long lines bend exactly as
    AMap's tiles do.
    """

    def shift(coords: np.ndarray) -> np.ndarray:
        x, y = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geometries, dtype=object), shift)
