"""The demo's circles carry people from its SYNTHETIC population raster: the raster's total is
in the truth, a circle's count is checked against an independent computation, and the
people gained by road + rail are in the workbook, the report and the map."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely

from spatialint.access.population_raster import RasterPopulation
from spatialint.contracts import ADMIN_UNITS, HEX_ACCESS, ISOCHRONES
from spatialint.contracts.io import read_table
from spatialint.publish.report.tables import people_gained_sentences

pytestmark = pytest.mark.pipeline

SUBCELLS = 20
"""Sub-cell points per cell side of the independent count (400 per cell)."""


@pytest.fixture(scope="module")
def demo(demo_run: Path) -> dict:
    data = demo_run / "data" / "demo"
    truth = json.loads((data / "demo" / "truth.json").read_text(encoding="utf-8"))
    return {
        "data": data,
        "raster": data / "demo" / "population.tif",
        "truth": truth,
        "circles": read_table(data / "access" / "isochrones.gpkg", ISOCHRONES),
        "hexes": read_table(data / "access" / "isochrones.gpkg", HEX_ACCESS),
        "units": read_table(data / "network" / "admin_units.gpkg", ADMIN_UNITS),
    }


def independent_count(raster: Path, polygon: shapely.Geometry, crs: str) -> float:
    """People in ``polygon`` by sampling each cell at SUBCELLS² points (no exactextract)."""
    with rasterio.open(raster) as src:
        values = src.read(1, masked=True).filled(0).astype(float)
        shape = gpd.GeoSeries([shapely.segmentize(polygon, 200.0)], crs=crs).to_crs(src.crs)
        shape = shape.iloc[0]
        w, s, e, n = shape.bounds
        rows, cols = rasterio.transform.rowcol(src.transform, [w, e], [n, s])
        total = 0.0
        offsets = (np.arange(SUBCELLS) + 0.5) / SUBCELLS
        for r in range(max(min(rows), 0), min(max(rows) + 1, src.height)):
            for c in range(max(min(cols), 0), min(max(cols) + 1, src.width)):
                if values[r, c] == 0:
                    continue
                gx, gy = np.meshgrid(c + offsets, r + offsets)
                x, y = src.transform * (gx.ravel(), gy.ravel())
                total += values[r, c] * shapely.contains_xy(shape, x, y).mean()
    return total


def test_demo_raster_is_synthetic_and_its_total_in_the_truth(demo) -> None:
    people = demo["truth"]["population"]
    assert people["synthetic"] and people["crs"] == "EPSG:4547" and people["cell_m"] == 1000
    with rasterio.open(demo["raster"]) as src:
        assert src.crs.to_string() == "EPSG:4547" and src.nodata == -99999
        data = src.read(1, masked=True)
        assert "SYNTHETIC" in src.tags()["description"]
    assert float(data.sum()) == pytest.approx(people["total"], rel=1e-6)
    # a polygon around the whole raster, in WGS-84, reprojected back: every person counted
    with rasterio.open(demo["raster"]) as src:
        box = gpd.GeoSeries([shapely.box(*src.bounds).buffer(5000)], crs=src.crs)
    study = demo["units"].to_crs("EPSG:4326").union_all()
    layer = RasterPopulation.open(str(demo["raster"]), area=study)
    assert layer.covered == pytest.approx(1.0)
    assert layer.sums(box.to_crs("EPSG:4326"))[0] == pytest.approx(people["total"], rel=1e-6)
    # people live only inside the region: the study area holds them all, but for the parts
    # of its edge cells that lie outside (a rural background of 30 per km²)
    whole = layer.sums(gpd.GeoSeries([study], crs="EPSG:4326"))[0]
    assert whole == pytest.approx(people["total"], rel=5e-3) and whole <= people["total"]


def test_a_circle_counts_what_an_independent_computation_counts(demo) -> None:
    circles = demo["circles"]
    assert circles["population"].notna().all() and (circles["population"] > 0).all()
    one = circles[(circles["mode"] == "road") & (circles["band_min"] == 60)].iloc[0]
    expected = independent_count(demo["raster"], one.geometry, "EPSG:4326")
    assert one["population"] == pytest.approx(expected, rel=2e-3)
    # bands nest: more people within 2 h than within 1 h
    for _, part in circles.groupby(["origin_id", "mode"]):
        assert part.sort_values("band_min")["population"].is_monotonic_increasing
    hexes = demo["hexes"]
    assert hexes["population"].notna().all()
    assert hexes["population"].sum() <= demo["truth"]["population"]["total"]


def test_people_gained_by_road_and_rail(demo, demo_run: Path) -> None:
    circles = demo["circles"]
    key = ["origin_id", "band_min"]
    road = circles[circles["mode"] == "road"].set_index(key)["population"]
    rail = circles[circles["mode"] == "multimodal"].set_index(key)
    pd.testing.assert_series_equal(
        rail["population_gained"], rail["population"] - road.loc[rail.index], check_names=False
    )
    assert circles.loc[circles["mode"] == "road", "population_gained"].isna().all()
    station = rail.xs(3, level="origin_id")  # 东城高铁站: the HSR gains people within 2 and 3 h
    assert (station.loc[[120.0, 180.0], "population_gained"] > 100_000).all()
    sentences = people_gained_sentences(pd.DataFrame(circles.drop(columns="geometry")),
                                        language="en")  # fmt: skip
    assert len(sentences) == 3
    assert sentences[2].startswith("东城高铁站 East HSR station: road + rail reaches ")
    assert "people within the 3-hour circle more than road alone." in sentences[2]
    report = (demo_run / "maps" / "demo" / "report.html").read_text(encoding="utf-8")
    assert "公路+轨道比仅公路多覆盖" in report
    sheet = pd.read_excel(
        demo["data"] / "results" / "report.xlsx", sheet_name="等时圈覆盖 coverage"
    )
    assert "比仅公路多覆盖人口 / people gained over road only" in sheet.columns
    page = (demo_run / "maps" / "demo" / "index.html").read_text(encoding="utf-8")
    # the circles' popups: the label (escaped in the page's JSON) and a count of people
    assert "比仅公路多覆盖人口".encode("unicode_escape").decode() in page
    assert re.search(r'"population_gained": "\d{1,3}(,\d{3})+"', page)
