"""Benchmark: people in 100 circles on a 10,000 × 10,000 population raster.

    nice python benchmarks/zonal_population.py                  # 10k × 10k, 100 circles
    nice python benchmarks/zonal_population.py --side 4000 --circles 30

The raster is GHS-POP-like: 100 m cells of people per cell in Mollweide (ESRI:54009), float32,
tiled, nodata -200, written once to a temporary folder (1,000 km × 1,000 km of central China,
towns as Gaussian blobs over a rural background). The circles are 1/2/3-hour-sized polygons
(radius 10–60 km, wavy outlines) given in WGS-84, as the isochrones stage hands them over.

``ours`` (:class:`spatialint.access.population_raster.RasterPopulation`)
    Open and check the raster against the study area (count, minimum, total over it), then
    reproject the circles to the raster's CRS and sum with exactextract, coverage-fraction
    weighted: what the isochrones stage runs.
``mask loop``
    The common approach: per circle, ``rasterio.mask.mask(src, [geom], crop=True)`` and the sum
    of the cells whose centre lies inside (rasterstats' ``zonal_stats(..., stats="sum")`` does
    the same per feature; it is not installed here).

Prints both times, the ratio, and how far the mask loop's sums are from the exact ones (it
counts a cell whole or not at all).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import rasterio.mask
import shapely
from rasterio.transform import from_origin

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from spatialint.access.population_raster import RasterPopulation  # noqa: E402

CRS = "ESRI:54009"
CELL_M = 100.0
WEST_M, NORTH_M = 10_300_000.0, 3_700_000.0  # Hunan and around, in Mollweide
NODATA = -200.0
BLOCK = 1024


def write_raster(path: Path, side: int, seed: int) -> None:
    """A side × side raster of people per cell, written block by block."""
    rng = np.random.default_rng(seed)
    towns = rng.uniform(0, side, size=(side // 50, 2))
    people = rng.uniform(2e3, 2e5, size=len(towns))
    spread = rng.uniform(10, 60, size=len(towns))  # cells
    profile = {
        "driver": "GTiff", "height": side, "width": side, "count": 1, "dtype": "float32",
        "crs": CRS, "transform": from_origin(WEST_M, NORTH_M, CELL_M, CELL_M),
        "nodata": NODATA, "tiled": True, "blockxsize": 512, "blockysize": 512,
    }  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        for r0 in range(0, side, BLOCK):
            for c0 in range(0, side, BLOCK):
                h, w = min(BLOCK, side - r0), min(BLOCK, side - c0)
                rows, cols = np.mgrid[r0 : r0 + h, c0 : c0 + w]
                block = np.full((h, w), 0.3, dtype=np.float64)  # rural: 30 per km²
                near = np.flatnonzero(
                    (np.abs(towns[:, 0] - (r0 + h / 2)) < h / 2 + 4 * spread)
                    & (np.abs(towns[:, 1] - (c0 + w / 2)) < w / 2 + 4 * spread)
                )
                for t in near:
                    d2 = (rows - towns[t, 0]) ** 2 + (cols - towns[t, 1]) ** 2
                    block += (
                        people[t]
                        / (2 * np.pi * spread[t] ** 2)
                        * np.exp(-d2 / (2 * spread[t] ** 2))
                    )
                dst.write(block.astype(np.float32), 1, window=((r0, r0 + h), (c0, c0 + w)))


def circles(side: int, n: int, seed: int, *, radius_m: tuple[float, float]) -> gpd.GeoSeries:
    """``n`` wavy circles of a radius in ``radius_m`` inside the raster, in WGS-84."""
    rng = np.random.default_rng(seed + 1)
    span = side * CELL_M
    angles = np.linspace(0, 2 * np.pi, 181)[:-1]
    shapes = []
    for _ in range(n):
        radius = rng.uniform(radius_m[0], min(radius_m[1], span / 4))
        cx = WEST_M + rng.uniform(radius, span - radius)
        cy = NORTH_M - rng.uniform(radius, span - radius)
        wobble = 1 + 0.15 * np.sin(angles * rng.integers(3, 9) + rng.uniform(0, 6))
        shapes.append(shapely.Polygon(np.column_stack(
            [cx + radius * wobble * np.cos(angles), cy + radius * wobble * np.sin(angles)]
        )))  # fmt: skip
    return gpd.GeoSeries(shapes, crs=CRS).to_crs("EPSG:4326")


def ours(path: Path, polygons: gpd.GeoSeries) -> np.ndarray:
    """This project: open and check the raster, reproject, exactextract (what the stage runs)."""
    study = shapely.convex_hull(shapely.union_all(polygons.values))
    return RasterPopulation.open(str(path), area=study).sums(polygons)


def timed(run, path: Path, polygons: gpd.GeoSeries, repeats: int) -> tuple[float, np.ndarray]:
    """Best wall time of ``repeats`` runs, and the sums."""
    best, sums = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        sums = run(path, polygons)
        best = min(best, time.perf_counter() - start)
    return best, sums


def mask_loop(path: Path, polygons: gpd.GeoSeries) -> np.ndarray:
    """The common approach: one masked read per polygon, cell centres inside."""
    sums = []
    with rasterio.open(path) as src:
        for geom in polygons.to_crs(src.crs):
            data, _ = rasterio.mask.mask(src, [geom], crop=True, filled=False)
            sums.append(float(data.sum()))
    return np.array(sums)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=10_000, help="raster cells per side")
    parser.add_argument("--circles", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3, help="best of, each alternating")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    cases = {
        "1/2/3-hour circles (radius 10-60 km)": (10_000.0, 60_000.0),
        "hexagon-sized (radius 1.2-1.5 km, H3 res. 7)": (1_200.0, 1_500.0),
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "population.tif"
        start = time.perf_counter()
        write_raster(path, args.side, args.seed)
        took, size_mb = time.perf_counter() - start, path.stat().st_size / 1e6
        print(f"raster {args.side} × {args.side} cells of {CELL_M:g} m ({CRS}, {size_mb:.0f} MB) "
              f"written in {took:.1f} s")  # fmt: skip
        for name, radius in cases.items():
            polygons = circles(args.side, args.circles, args.seed, radius_m=radius)
            t_ours, exact = timed(ours, path, polygons, args.repeats)
            t_common, common = timed(mask_loop, path, polygons, args.repeats)
            rel = np.abs(common - exact) / np.maximum(exact, 1e-9)
            print(f"\n{args.circles} {name}: {exact.sum():,.0f} people in all")
            print(
                f"  ours (open, check, reproject, exactextract coverage fractions): {t_ours:.2f} s"
            )
            print(
                f"  rasterio.mask loop (cells whose centre is inside):             {t_common:.2f} s"
            )
            print(f"  ratio (mask loop time / ours): {t_common / t_ours:.2f}")
            print(
                f"  mask loop's sums vs exact: median {np.median(rel):.2%}, max {rel.max():.2%} off"
            )


if __name__ == "__main__":
    main()
