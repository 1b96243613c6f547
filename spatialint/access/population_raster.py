"""A gridded population (``access.population_raster``): exact zonal sums and weighted points.

The raster holds PEOPLE PER CELL (counts, as WorldPop's ``ppp`` products and GHS-POP do), not
densities. Band 1 is read; cells equal to the raster's declared nodata value count 0 people
(WorldPop declares -99999, GHS-POP -200). It may be in any CRS it declares.

- :meth:`RasterPopulation.sums`: the people inside polygons, by exactextract's coverage-fraction
  weighting (a cell half inside counts half its people). The polygons are reprojected to the
  raster's CRS (densified first, so their edges stay true lines on the ground); the raster is
  never resampled, so no person is created or lost by a warp.
- :meth:`RasterPopulation.points`: every cell with people inside the study's bounding box, at its
  centre (the gap benefit's catchments and the corridors' population reach count people at
  points).

:meth:`RasterPopulation.open` checks the file once against the study area: unreadable, no CRS,
no overlap and negative counts that are not nodata are each one :class:`DataError` naming the
file and what to do; a raster that covers part of the study is logged with the share it covers
(the rest counts 0 people).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import rasterio
import rasterio.transform
import rasterio.windows
import shapely
from exactextract import exact_extract
from exactextract.raster import RasterioRasterSource
from rasterio.errors import RasterioError

from spatialint.errors import DataError
from spatialint.geo import WGS84

logger = logging.getLogger(__name__)

POPULATION = "population"
FULL_COVER = 0.999
"""Share of the study area on valid cells below which the log warns that the raster covers
only part of it."""
SEGMENT_DEG = 0.01
"""Longest edge (degrees, ~1 km) of the WGS-84 study area before it is reprojected."""
SEGMENT_M = 500.0
"""Longest edge (metres) of a polygon in a metric CRS before it is reprojected."""


def _unreadable(path: str, err: Exception) -> DataError:
    return DataError(
        f"Cannot read the population raster {path}: {err}. Check it is a complete GeoTIFF "
        "(gdalinfo -stats on it must succeed; download it again if it was cut short), or "
        "fix access.population_raster."
    )


def _segmentized(geoms: np.ndarray, crs: pyproj.CRS) -> np.ndarray:
    """Polygons with extra vertices, so that reprojection bends their edges as it should."""
    step = SEGMENT_DEG if crs.is_geographic else SEGMENT_M
    return shapely.segmentize(geoms, step)


@dataclass(frozen=True)
class RasterPopulation:
    """A checked population raster (see the module docstring).

    Attributes
    ----------
    path
        The GeoTIFF.
    crs
        Its CRS.
    study_bounds
        The study area's bounds in the raster's CRS (``points`` reads only this window).
    covered
        Share of the study area on valid (not nodata) cells of the raster, 0–1.
    """

    path: str
    crs: pyproj.CRS
    study_bounds: tuple[float, float, float, float]
    covered: float

    @classmethod
    def open(cls, path: str, *, area: shapely.Geometry) -> RasterPopulation:
        """Open ``path`` and check it against the study ``area`` (a WGS-84 polygon).

        Raises
        ------
        DataError
            Unreadable or corrupt file, no CRS, no valid cell over the study area, or negative
            counts that are not the nodata value.
        """
        try:
            with rasterio.open(path) as src:
                crs = _raster_crs(src, path)
                wgs = pyproj.CRS.from_user_input(WGS84)
                area_r = gpd.GeoSeries(_segmentized(np.array([area]), wgs), crs=wgs).to_crs(crs)
                stats = _stats(src, area_r, ["count", "min", "sum"])
                cell_area = abs(src.transform.determinant)
                nodata, bounds = src.nodata, tuple(src.bounds)
        except RasterioError as err:
            raise _unreadable(path, err) from err
        count, low, total = (
            float(pd.to_numeric(stats[k], errors="coerce").fillna(np.nan).iloc[0])
            for k in ("count", "min", "sum")
        )
        count = 0.0 if np.isnan(count) else count
        area_cells = float(area_r.area.iloc[0]) / cell_area if cell_area else 0.0
        covered = min(count / area_cells, 1.0) if area_cells > 0 else 0.0
        _check_overlap(path, crs, bounds, area_r, covered)
        if np.isfinite(low) and low < 0:
            raise DataError(
                f"Population raster {path} has negative counts over the study (lowest {low:g}) "
                f"that are not its nodata value ({nodata}); declare the nodata value "
                f"(gdal_edit.py -a_nodata {low:g} {path}) or fix those cells."
            )
        logger.info(
            "population raster %s (%s): %.0f people in the study area, %.1f %% of it covered",
            path, crs.to_string(), total, 100 * covered,
        )  # fmt: skip
        if covered < FULL_COVER:
            logger.warning(
                "population raster %s covers only %.1f %% of the study area (the rest is "
                "outside it or nodata and counts 0 people): circles there are undercounted; "
                "use a raster that covers the whole study",
                path, 100 * covered,
            )  # fmt: skip
        return cls(path, crs, tuple(area_r.total_bounds), covered)

    def sums(self, polygons: gpd.GeoSeries) -> np.ndarray:
        """People inside each polygon: coverage-weighted sums of the cells (0 for an empty
        polygon or one on nodata)."""
        out = np.zeros(len(polygons))
        geoms = np.asarray(polygons.array, dtype=object)
        keep = ~(shapely.is_empty(geoms) | shapely.is_missing(geoms))
        if not keep.any():
            return out
        dense = gpd.GeoSeries(_segmentized(geoms[keep], polygons.crs), crs=polygons.crs)
        try:
            with rasterio.open(self.path) as src:
                stats = _stats(src, dense.to_crs(self.crs), ["sum"])
        except RasterioError as err:
            raise _unreadable(self.path, err) from err
        out[keep] = np.nan_to_num(stats["sum"].to_numpy(float))
        return out

    def points(self) -> gpd.GeoDataFrame:
        """The cells with people in the study's bounding box, at their centres, in WGS-84."""
        try:
            with rasterio.open(self.path) as src:
                people, transform = _study_window(src, self.study_bounds)
        except RasterioError as err:
            raise _unreadable(self.path, err) from err
        rows, cols = np.nonzero(people > 0)
        xs, ys = rasterio.transform.xy(transform, rows, cols) if len(rows) else ([], [])
        frame = gpd.GeoDataFrame(
            {POPULATION: people[rows, cols]},
            geometry=gpd.points_from_xy(np.asarray(xs, float), np.asarray(ys, float)),
            crs=self.crs,
        )
        return frame.to_crs(WGS84)


def _study_window(
    src: rasterio.DatasetReader, bounds: tuple[float, float, float, float]
) -> tuple[np.ndarray, rasterio.Affine]:
    """Band 1 over ``bounds`` (nodata as 0 people) and the window's transform."""
    exact = rasterio.windows.from_bounds(*bounds, transform=src.transform)
    col0, row0 = max(math.floor(exact.col_off), 0), max(math.floor(exact.row_off), 0)
    col1 = min(math.ceil(exact.col_off + exact.width), src.width)
    row1 = min(math.ceil(exact.row_off + exact.height), src.height)
    if col1 <= col0 or row1 <= row0:  # checked to overlap when opened; kept for safety
        return np.zeros((0, 0)), src.transform
    window = rasterio.windows.Window(col0, row0, col1 - col0, row1 - row0)
    values = src.read(1, window=window, masked=True)
    return values.filled(0).astype(float), src.window_transform(window)


def _raster_crs(src: rasterio.DatasetReader, path: str) -> pyproj.CRS:
    if src.crs is None:
        raise DataError(
            f"Population raster {path} has no CRS, so its cells cannot be placed; assign the "
            f"one it was made in (e.g. gdal_edit.py -a_srs ESRI:54009 {path} for GHS-POP, "
            "EPSG:4326 for WorldPop)."
        )
    return pyproj.CRS.from_user_input(src.crs.to_wkt())


def _stats(src: rasterio.DatasetReader, polygons: gpd.GeoSeries, ops: list[str]):
    """exactextract's ``ops`` of band 1 over ``polygons`` (in the raster's CRS), as a table."""
    frame = gpd.GeoDataFrame(geometry=polygons.reset_index(drop=True))
    try:
        return exact_extract(RasterioRasterSource(src, band_idx=1), frame, ops, output="pandas")
    except RuntimeError as err:  # GDAL read errors of a damaged file surface here
        raise _unreadable(src.name, err) from err


def _check_overlap(
    path: str,
    crs: pyproj.CRS,
    bounds: tuple[float, ...],
    area_r: gpd.GeoSeries,
    covered: float,
) -> None:
    """Refuse a raster with no valid cell over the study area, saying which case it is."""
    if covered > 0:
        return
    study = ", ".join(f"{v:.6g}" for v in area_r.total_bounds)
    box = ", ".join(f"{v:.6g}" for v in bounds)
    if not shapely.box(*bounds).intersects(area_r.iloc[0]):
        raise DataError(
            f"Population raster {path} does not overlap the study area: the raster spans "
            f"[{box}] and the study [{study}] in {crs.to_string()}. Use a raster of this region "
            "(or check that its CRS is declared right)."
        )
    raise DataError(
        f"Population raster {path} holds only nodata over the study area ([{study}] in "
        f"{crs.to_string()}); use a raster with people in this region."
    )
