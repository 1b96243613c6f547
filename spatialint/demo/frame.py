"""The demo's coordinate frame (km east/north of an origin) and its line geometry helpers.

Everything the generator places is in a local frame: x km east, y km north of 113.5°E 27.9°N.
:func:`km_to_lonlat` turns it into WGS-84 degrees, rounded to OSM's 1e-7. The road raster is a
lattice with :data:`LATTICE_STEP_KM` spacing (:mod:`.region`); :func:`snap_km` puts a value on
it. :func:`polyline` and :func:`winding_line` give the points of free-form ways.
"""

from __future__ import annotations

import math

import numpy as np

ORIGIN_LON_DEG = 113.5
ORIGIN_LAT_DEG = 27.9
# Length of one degree on the WGS-84 ellipsoid at the origin's latitude (series expansion).
_PHI = math.radians(ORIGIN_LAT_DEG)
KM_PER_DEG_LAT = (111_132.954 - 559.822 * math.cos(2 * _PHI) + 1.175 * math.cos(4 * _PHI)) / 1e3
KM_PER_DEG_LON = (111_412.84 * math.cos(_PHI) - 93.5 * math.cos(3 * _PHI)) / 1e3
REGION_KM = (-110.0, -40.0, 110.0, 40.0)  # west, south, east, north
LATTICE_STEP_KM = 0.1


def km_to_lonlat(x_km: np.ndarray, y_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local demo frame (km east/north of the origin) to WGS-84 degrees, rounded to OSM's 1e-7."""
    lon = ORIGIN_LON_DEG + np.asarray(x_km, float) / KM_PER_DEG_LON
    lat = ORIGIN_LAT_DEG + np.asarray(y_km, float) / KM_PER_DEG_LAT
    return np.round(lon, 7), np.round(lat, 7)


def region_bbox_deg() -> list[float]:
    """The region (and extract) boundary ``[west, south, east, north]`` in degrees."""
    w, s, e, n = REGION_KM
    lon_w, lat_s = km_to_lonlat(np.array([w]), np.array([s]))
    lon_e, lat_n = km_to_lonlat(np.array([e]), np.array([n]))
    return [float(lon_w[0]), float(lat_s[0]), float(lon_e[0]), float(lat_n[0])]


def snap_km(v: float) -> float:
    """Nearest lattice coordinate (km)."""
    return round(v / LATTICE_STEP_KM) * LATTICE_STEP_KM


def winding_line(
    p0: tuple[float, float], p1: tuple[float, float], *, amplitude_km: float, step_km: float
) -> tuple[np.ndarray, np.ndarray]:
    """Points of a winding road from p0 to p1: a sine offset across the chord, zero at both ends."""
    dx, dy = p1[0] - p0[0], p1[1] - p0[1]
    length = math.hypot(dx, dy)
    n = max(2, int(math.ceil(length / step_km)) + 1)
    t = np.linspace(0.0, 1.0, n)
    half_waves = max(1, round(length / 2.5))
    offset = amplitude_km * np.sin(np.pi * half_waves * t) * np.sin(np.pi * t) ** 0.3
    nx, ny = -dy / length, dx / length
    return p0[0] + dx * t + nx * offset, p0[1] + dy * t + ny * offset


def polyline(points: list[tuple[float, float]], *, step_km: float) -> tuple[np.ndarray, np.ndarray]:
    """Densify a polyline to points about ``step_km`` apart (vertices kept)."""
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    for (x0, y0), (x1, y1) in zip(points[:-1], points[1:], strict=True):
        n = max(1, int(math.ceil(math.hypot(x1 - x0, y1 - y0) / step_km)))
        t = np.linspace(0.0, 1.0, n + 1)[:-1]
        xs.append(x0 + (x1 - x0) * t)
        ys.append(y0 + (y1 - y0) * t)
    xs.append(np.array([points[-1][0]]))
    ys.append(np.array([points[-1][1]]))
    return np.concatenate(xs), np.concatenate(ys)
