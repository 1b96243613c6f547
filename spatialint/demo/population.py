"""The demo's SYNTHETIC population raster: people per 1 km cell, concentrated in its places.

It depicts no real population. Every ``place=*`` node of the region carries a ``population``
tag (:mod:`.places`); the raster spreads each one over the cells around it as a Gaussian as
wide as its street grid (:data:`SPREAD_SHARE`), normalised so that the place's people are all
counted, over a rural background of :data:`RURAL_PER_KM2`. Cells hold counts (people per
cell, as WorldPop and GHS-POP do), float32, in :data:`POPULATION_CRS`, a projected CRS other
than the study's UTM zone, so the pipeline's reprojection of polygons is exercised on every
demo run. Cells whose centre lies outside the region hold no one; beyond
:data:`MARGIN_KM` around it they are nodata (:data:`NODATA`, WorldPop's value).

``truth.json`` records the file's CRS, cell size and total (:func:`write_population_raster`).
"""

from __future__ import annotations

import os

import numpy as np
import pyproj
import rasterio
from rasterio.transform import from_origin

from spatialint.demo.frame import (
    KM_PER_DEG_LAT,
    KM_PER_DEG_LON,
    ORIGIN_LAT_DEG,
    ORIGIN_LON_DEG,
    REGION_KM,
    km_to_lonlat,
)
from spatialint.demo.region import Region
from spatialint.demo.scale import ScalePattern

POPULATION_CRS = "EPSG:4547"
"""CGCS2000 / 3-degree Gauss-Kruger CM 114E: a CRS of Chinese planning GIS, not the UTM zone the
pipeline works in."""
CELL_M = 1000.0
SPREAD_SHARE = 0.7
"""Standard deviation of the Gaussian a place is spread by, as a share of the half-size of its
street grid (cities and villages grow with the demo's scale, :mod:`.scale`)."""
TOWN_SPREAD_KM = 1.0
RURAL_PER_KM2 = 30.0
MARGIN_KM = 3.0
NODATA = -99999.0
PLACE_CHUNK = 64
"""Places spread at once (bounds the memory of the distance matrix)."""


def _grid(region_km: tuple[float, float, float, float]) -> tuple[float, float, int, int]:
    """West and north edge (metres, in :data:`POPULATION_CRS`) and the columns and rows of a
    grid of whole kilometres covering the region and its margin."""
    w, s, e, n = region_km
    xs = np.concatenate(
        [np.linspace(w, e, 50), np.full(50, e), np.linspace(e, w, 50), np.full(50, w)]
    )
    ys = np.concatenate(
        [np.full(50, s), np.linspace(s, n, 50), np.full(50, n), np.linspace(n, s, 50)]
    )
    xs = np.where(xs > 0, xs + MARGIN_KM, xs - MARGIN_KM)
    ys = np.where(ys > 0, ys + MARGIN_KM, ys - MARGIN_KM)
    lon, lat = km_to_lonlat(xs, ys)
    to_grid = pyproj.Transformer.from_crs("EPSG:4326", POPULATION_CRS, always_xy=True)
    gx, gy = to_grid.transform(lon, lat)
    west, east = np.floor(gx.min() / CELL_M) * CELL_M, np.ceil(gx.max() / CELL_M) * CELL_M
    south, north = np.floor(gy.min() / CELL_M) * CELL_M, np.ceil(gy.max() / CELL_M) * CELL_M
    return float(west), float(north), int((east - west) / CELL_M), int((north - south) / CELL_M)


def _cell_centres_km(west: float, north: float, cols: int, rows: int) -> tuple[np.ndarray, ...]:
    """Cell centres in the demo's km frame (rows × cols each)."""
    gx, gy = np.meshgrid(west + (np.arange(cols) + 0.5) * CELL_M,
                         north - (np.arange(rows) + 0.5) * CELL_M)  # fmt: skip
    to_wgs = pyproj.Transformer.from_crs(POPULATION_CRS, "EPSG:4326", always_xy=True)
    lon, lat = to_wgs.transform(gx, gy)
    return (lon - ORIGIN_LON_DEG) * KM_PER_DEG_LON, (lat - ORIGIN_LAT_DEG) * KM_PER_DEG_LAT


def _places(region: Region, scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x, y (km), population and spread (km) of every place node with a population."""
    pattern = ScalePattern.at(scale)
    spread_km = {
        "city": SPREAD_SHARE * pattern.city_half_km,
        "town": TOWN_SPREAD_KM,
        "village": SPREAD_SHARE * pattern.village_half_km,
    }
    x, y = region.coords()
    rows = [(nid, tags) for nid, tags in sorted(region.node_tags.items())
            if tags and tags.get("place") in spread_km and "population" in tags]  # fmt: skip
    ids = np.array([nid for nid, _ in rows], dtype=np.int64)
    people = np.array([float(t["population"]) for _, t in rows])
    spread = np.array([spread_km[t["place"]] for _, t in rows])
    return x[ids - 1], y[ids - 1], people, spread


def population_grid(region: Region, scale: float) -> tuple[np.ndarray, object]:
    """The raster (float32 rows × cols, :data:`NODATA` outside) and its affine transform."""
    west, north, cols, rows = _grid(REGION_KM)
    cx, cy = _cell_centres_km(west, north, cols, rows)
    w, s, e, n = REGION_KM
    inside = (cx >= w) & (cx <= e) & (cy >= s) & (cy <= n)
    margin = (
        (cx >= w - MARGIN_KM)
        & (cx <= e + MARGIN_KM)
        & (cy >= s - MARGIN_KM)
        & (cy <= n + MARGIN_KM)
    )
    people = np.where(inside, RURAL_PER_KM2 * (CELL_M / 1000.0) ** 2, 0.0)
    px, py, pop, spread = _places(region, scale)
    ix, iy = cx[inside], cy[inside]
    spread_people = np.zeros(ix.size)
    for start in range(0, pop.size, PLACE_CHUNK):
        part = slice(start, start + PLACE_CHUNK)
        d2 = (ix[None, :] - px[part, None]) ** 2 + (iy[None, :] - py[part, None]) ** 2
        weight = np.exp(-d2 / (2 * spread[part, None] ** 2))
        weight /= weight.sum(axis=1, keepdims=True)
        spread_people += (pop[part, None] * weight).sum(axis=0)
    people[inside] += spread_people
    data = np.where(margin, people, NODATA).astype(np.float32)
    return data, from_origin(west, north, CELL_M, CELL_M)


def write_population_raster(
    path: str | os.PathLike[str], region: Region, *, scale: float
) -> dict[str, object]:
    """Write the raster as a GeoTIFF; returns its ``truth.json`` entry (file, CRS, cell size,
    total people, synthetic)."""
    data, transform = population_grid(region, scale)
    profile = {
        "driver": "GTiff", "height": data.shape[0], "width": data.shape[1], "count": 1,
        "dtype": "float32", "crs": POPULATION_CRS, "transform": transform, "nodata": NODATA,
        "compress": "deflate",
    }  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
        dst.update_tags(description="SYNTHETIC spatialint demo population (people per cell)")
    valid = data[data != NODATA]
    return {
        "file": "population.tif",
        "crs": POPULATION_CRS,
        "cell_m": CELL_M,
        "total": float(valid.astype(np.float64).sum()),
        "synthetic": True,
    }
