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

:meth:`RasterPopulation.open` checks the file against the study area without reading a cell:
unreadable, no CRS and an extent that misses the study are each one :class:`DataError` naming
the file and what to do; a raster that covers part of the study is logged with the share it
covers (the rest counts 0 people). The cells are checked where they are read (in the same pass
as the sums): negative counts that are not nodata, and nodata only, are refused the same way;
the share of the polygons on nodata is logged.
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
        Share of the study area inside the raster's extent, 0–1.
    cell_area
        Area of one cell in the raster's CRS units (m², or deg² for a raster in degrees).
    """

    path: str
    crs: pyproj.CRS
    study_bounds: tuple[float, float, float, float]
    covered: float
    cell_area: float

    @classmethod
    def open(cls, path: str, *, area: shapely.Geometry) -> RasterPopulation:
        """Open ``path`` and check it against the study ``area`` (a WGS-84 polygon): a CRS,
        and an extent that overlaps the area (the share it covers is logged). Reading no cell,
        this is cheap; the cells are checked where they are summed or read.

        Raises
        ------
        DataError
            Unreadable or corrupt file, no CRS, or an extent that misses the study area.
        """
        try:
            with rasterio.open(path) as src:
                crs = _raster_crs(src, path)
                cell_area = abs(src.transform.determinant)
                bounds = tuple(src.bounds)
        except RasterioError as err:
            raise _unreadable(path, err) from err
        wgs = pyproj.CRS.from_user_input(WGS84)
        area_r = gpd.GeoSeries(_segmentized(np.array([area]), wgs), crs=wgs).to_crs(crs)
        study = area_r.iloc[0]
        inside = study.intersection(shapely.box(*bounds)).area
        covered = inside / study.area if study.area > 0 else 0.0
        if covered <= 0:
            raise DataError(
                f"Population raster {path} does not overlap the study area: the raster spans "
                f"[{_text(bounds)}] and the study [{_text(area_r.total_bounds)}] in "
                f"{crs.to_string()}. Use a raster of this region (or check that its CRS is "
                "declared right)."
            )
        logger.info("population raster %s (%s, cells of %g m² or deg²) covers %.1f %% of the "
                    "study area", path, crs.to_string(), cell_area, 100 * covered)  # fmt: skip
        if covered < FULL_COVER:
            logger.warning(
                "population raster %s covers only %.1f %% of the study area (the rest counts "
                "0 people): circles there are undercounted; use a raster that covers the whole "
                "study", path, 100 * covered,
            )  # fmt: skip
        return cls(path, crs, tuple(area_r.total_bounds), covered, cell_area)

    def sums(self, polygons: gpd.GeoSeries) -> np.ndarray:
        """People inside each polygon: coverage-weighted sums of the cells (0 for an empty
        polygon or one on nodata).

        Raises
        ------
        DataError
            Negative counts that are not nodata under the polygons, or only nodata there.
        """
        out = np.zeros(len(polygons))
        geoms = np.asarray(polygons.array, dtype=object)
        keep = ~(shapely.is_empty(geoms) | shapely.is_missing(geoms))
        if not keep.any():
            return out
        dense = gpd.GeoSeries(_segmentized(geoms[keep], polygons.crs), crs=polygons.crs)
        dense = dense.to_crs(self.crs)
        try:
            with rasterio.open(self.path) as src:
                stats = _stats(src, dense, ["sum", "count", "min"])
        except RasterioError as err:
            raise _unreadable(self.path, err) from err
        counts = pd.to_numeric(stats["count"], errors="coerce").fillna(0).to_numpy(float)
        self._check_cells(pd.to_numeric(stats["min"], errors="coerce").min(), counts.sum())
        valid = counts.sum() * self.cell_area / shapely.area(dense.values).sum()  # raster units
        if valid < FULL_COVER:
            logger.warning(
                "%.1f %% of the polygons' area lies on nodata cells of %s or outside it, "
                "counted as 0 people", 100 * (1 - valid), self.path,
            )  # fmt: skip
        out[keep] = np.nan_to_num(pd.to_numeric(stats["sum"], errors="coerce").to_numpy(float))
        return out

    def _check_cells(self, lowest: float, valid_cells: float) -> None:
        """Refuse negative counts that are not nodata, and polygons on nodata only."""
        if valid_cells <= 0:
            raise DataError(
                f"Population raster {self.path} holds only nodata over the study area; use a "
                "raster with people in this region (or check its nodata value: gdalinfo)."
            )
        if np.isfinite(lowest) and lowest < 0:
            raise DataError(
                f"Population raster {self.path} has negative counts over the study (lowest "
                f"{lowest:g}) that are not its nodata value; declare the nodata value "
                f"(gdal_edit.py -a_nodata {lowest:g} {self.path}) or fix those cells."
            )

    def points(self) -> gpd.GeoDataFrame:
        """The cells with people in the study's bounding box, at their centres, in WGS-84."""
        try:
            with rasterio.open(self.path) as src:
                people, transform = _study_window(src, self.study_bounds)
                valid = people.count()
        except RasterioError as err:
            raise _unreadable(self.path, err) from err
        self._check_cells(float(people.min()) if people.size else np.nan, float(valid))
        people = people.filled(0).astype(float)
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
    """Band 1 over ``bounds`` (nodata masked) and the window's transform."""
    exact = rasterio.windows.from_bounds(*bounds, transform=src.transform)
    col0, row0 = max(math.floor(exact.col_off), 0), max(math.floor(exact.row_off), 0)
    col1 = min(math.ceil(exact.col_off + exact.width), src.width)
    row1 = min(math.ceil(exact.row_off + exact.height), src.height)
    if col1 <= col0 or row1 <= row0:  # checked to overlap when opened; kept for safety
        return np.ma.masked_all((0, 0)), src.transform
    window = rasterio.windows.Window(col0, row0, col1 - col0, row1 - row0)
    return src.read(1, window=window, masked=True), src.window_transform(window)


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


def _text(bounds) -> str:
    return ", ".join(f"{v:.6g}" for v in bounds)
