"""Population rasters (``access.population_raster``): exact coverage-weighted zonal sums, correct
reprojection (the polygons go to the raster's CRS: GHS-POP's Mollweide, WorldPop's EPSG:4326),
and one clear message for each bad raster."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

from spatialint.access.population import open_population, study_hull
from spatialint.access.population_raster import RasterPopulation
from spatialint.errors import ConfigError, DataError
from spatialint.settings import PopulationSettings

UTM = "EPSG:32649"
MOLLWEIDE = "ESRI:54009"
NODATA = -99999.0


def write_raster(
    path: Path, data: np.ndarray, *, crs: str | None, transform, nodata=NODATA
) -> Path:
    with rasterio.open(
        path, "w", driver="GTiff", height=data.shape[0], width=data.shape[1], count=1,
        dtype="float32", crs=crs, transform=transform, nodata=nodata,
    ) as dst:  # fmt: skip
        dst.write(data.astype("float32"), 1)
    return path


def wgs84(geom: shapely.Geometry, crs: str) -> shapely.Geometry:
    return gpd.GeoSeries([shapely.segmentize(geom, 10.0)], crs=crs).to_crs("EPSG:4326").iloc[0]


@pytest.fixture
def three_by_three(tmp_path: Path) -> Path:
    """People per 100 m cell in UTM 49N, the lower right cell nodata (WorldPop's -99999)."""
    data = np.array([[1, 2, 3], [4, 5, 6], [7, 8, NODATA]])
    return write_raster(tmp_path / "pop.tif", data, crs=UTM,
                        transform=from_origin(500_000, 3_000_300, 100, 100))  # fmt: skip


def test_exact_sum_by_coverage_fraction(three_by_three: Path) -> None:
    """A square from (50, 50) to (250, 250) m inside the 3×3 grid covers the corner cells a
    quarter, the edge cells half and the centre whole: 0.25·(1+3+7) + 0.5·(2+4+6+8) + 5 = 17.75
    (the nodata corner counts 0)."""
    area = wgs84(shapely.box(500_000, 3_000_000, 500_300, 3_000_300), UTM)
    layer = RasterPopulation.open(str(three_by_three), area=area)
    square = shapely.box(500_050, 3_000_050, 500_250, 3_000_250)
    got = layer.sums(gpd.GeoSeries([square, shapely.Polygon(), square.buffer(1e4)], crs=UTM))
    assert got[0] == pytest.approx(17.75, abs=1e-6)
    assert got[1] == 0.0 and got[2] == pytest.approx(36.0)
    # the same square given in WGS-84 is reprojected to the raster's CRS: the same people
    again = layer.sums(gpd.GeoSeries([wgs84(square, UTM)], crs="EPSG:4326"))
    assert again[0] == pytest.approx(17.75, rel=1e-4)
    points = layer.points()
    assert points.crs == "EPSG:4326" and points["population"].sum() == pytest.approx(36.0)


@pytest.mark.parametrize("crs", [MOLLWEIDE, "EPSG:4326"])
def test_reprojection_from_ghs_pop_and_worldpop_crs(tmp_path: Path, crs: str) -> None:
    """A 40×40 raster of varied counts in Mollweide (GHS-POP's CRS, 100 m) or in degrees
    (WorldPop's, 3 arc-seconds). A polygon drawn on the raster's own grid, handed over in UTM,
    gets exactly what the grid says it covers: 2.5 × 3 cells of known counts."""
    rng = np.random.default_rng(1)
    data = rng.integers(0, 500, size=(40, 40)).astype(float)
    if crs == MOLLWEIDE:
        x0, y0, res = 10_700_000.0, 3_300_000.0, 100.0  # central Hunan in Mollweide
    else:
        x0, y0, res = 113.0, 28.0, 1 / 1200
    path = write_raster(
        tmp_path / "pop.tif", data, crs=crs, transform=from_origin(x0, y0, res, res)
    )
    col, row = 10, 20  # cells [row .. row+3) × [col .. col+2.5)
    box = shapely.box(x0 + col * res, y0 - (row + 3) * res, x0 + (col + 2.5) * res, y0 - row * res)
    expected = data[row : row + 3, col : col + 2].sum() + 0.5 * data[row : row + 3, col + 2].sum()
    given = gpd.GeoSeries([shapely.segmentize(box, res / 20)], crs=crs).to_crs(UTM)
    area = gpd.GeoSeries([shapely.box(x0, y0 - 40 * res, x0 + 40 * res, y0)], crs=crs)
    layer = RasterPopulation.open(str(path), area=area.to_crs("EPSG:4326").iloc[0].buffer(-1e-4))
    assert layer.sums(given)[0] == pytest.approx(expected, rel=2e-4)
    assert layer.covered == pytest.approx(1.0)


def test_partial_cover_is_said_with_its_share(three_by_three: Path, caplog) -> None:
    study_m = shapely.box(500_000, 3_000_000, 500_600, 3_000_300)  # twice the raster
    with caplog.at_level(logging.WARNING):
        layer = RasterPopulation.open(str(three_by_three), area=wgs84(study_m, UTM))
        assert layer.sums(gpd.GeoSeries([study_m], crs=UTM))[0] == pytest.approx(36.0)
    assert layer.covered == pytest.approx(0.5, rel=1e-3)
    assert "covers only 50.0 % of the study area" in caplog.text
    # 8 valid cells of the 18 under the polygon: the nodata corner and the 9 outside
    assert "55.6 % of the polygons' area lies on nodata cells" in caplog.text


def test_bad_rasters_one_message_each(tmp_path: Path, three_by_three: Path) -> None:
    area = wgs84(shapely.box(500_000, 3_000_000, 500_300, 3_000_300), UTM)
    no_crs = write_raster(tmp_path / "nocrs.tif", np.ones((3, 3)), crs=None,
                          transform=from_origin(500_000, 3_000_300, 100, 100))  # fmt: skip
    with pytest.raises(DataError, match=r"nocrs.tif has no CRS.*gdal_edit.py -a_srs"):
        RasterPopulation.open(str(no_crs), area=area)
    far = wgs84(shapely.box(800_000, 3_500_000, 800_300, 3_500_300), UTM)
    with pytest.raises(DataError, match=r"pop.tif does not overlap the study area"):
        RasterPopulation.open(str(three_by_three), area=far)
    negative = write_raster(tmp_path / "neg.tif", -np.ones((3, 3)), crs=UTM, nodata=None,
                            transform=from_origin(500_000, 3_000_300, 100, 100))  # fmt: skip
    square = gpd.GeoSeries([shapely.box(500_050, 3_000_050, 500_250, 3_000_250)], crs=UTM)
    with pytest.raises(DataError, match=r"neg.tif has negative counts.*-a_nodata -1"):
        RasterPopulation.open(str(negative), area=area).sums(square)
    with pytest.raises(DataError, match=r"neg.tif has negative counts"):
        RasterPopulation.open(str(negative), area=area).points()
    all_nodata = write_raster(tmp_path / "empty.tif", np.full((3, 3), NODATA), crs=UTM,
                              transform=from_origin(500_000, 3_000_300, 100, 100))  # fmt: skip
    with pytest.raises(DataError, match=r"empty.tif holds only nodata"):
        RasterPopulation.open(str(all_nodata), area=area).sums(square)
    whole = write_raster(tmp_path / "whole.tif", np.arange(90_000.0).reshape(300, 300), crs=UTM,
                         transform=from_origin(500_000, 3_000_300, 1, 1))  # fmt: skip
    corrupt = tmp_path / "corrupt.tif"  # a download cut short: header and half the cells
    corrupt.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(DataError, match=r"Cannot read the population raster .*corrupt.tif"):
        RasterPopulation.open(str(corrupt), area=area).sums(square)
    text = tmp_path / "text.tif"
    text.write_text("not a raster")
    with pytest.raises(DataError, match=r"Cannot read the population raster .*text.tif"):
        RasterPopulation.open(str(text), area=area)


def test_one_source_per_study(three_by_three: Path) -> None:
    """The raster is its own key; the same function opens either source for every stage."""
    with pytest.raises(ConfigError, match="both set; keep one"):
        PopulationSettings(population_file="p.gpkg", population_column="population",
                           population_raster="p.tif")  # fmt: skip
    with pytest.raises(ConfigError, match="is a raster; give it as access.population_raster"):
        PopulationSettings(population_file="p.TIF", population_column="population",
                           population_raster=None)  # fmt: skip
    settings = PopulationSettings(population_file=None, population_column="population",
                                  population_raster=str(three_by_three))  # fmt: skip
    hull = study_hull(np.array([112.9, 112.91]), np.array([27.1, 27.1]))  # a line: padded
    assert hull.area > 0
    area = wgs84(shapely.box(500_000, 3_000_000, 500_300, 3_000_300), UTM)
    layer = open_population({"population": str(three_by_three)}, settings, area=area)
    assert isinstance(layer, RasterPopulation)
    none = PopulationSettings(population_file=None, population_column="population",
                              population_raster=None)  # fmt: skip
    assert open_population({}, none, area=area) is None
