"""Map page size and build time: spatialint's display layers vs. the common Folium approach.

The common approach draws the road edges as they come (``folium.GeoJson(edges)``: every directed
edge, every class, full precision). spatialint draws main classes only, one feature per
(class, name, ref) after deduplicating two-way edges, simplified in metres and rounded to 1e-5°.

    python benchmarks/map_size.py [data/demo/network/road_edges.parquet]

Prints both page sizes, times and the ratios, measured in the same run.
"""

import sys
import time
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np

from spatialint.config import load_study
from spatialint.geo import utm_crs_for
from spatialint.publish.map.display import display_roads
from spatialint.settings import MapSettings


def main(path: Path) -> None:
    edges = gpd.read_parquet(path)
    west, south, east, north = edges.total_bounds
    centre = [(south + north) / 2, (west + east) / 2]

    start = time.perf_counter()
    naive = folium.Map(location=centre, tiles=None)
    folium.GeoJson(edges[["highway", "name", "geometry"]].to_json()).add_to(naive)
    naive_html = naive.get_root().render()
    naive_s = time.perf_counter() - start

    settings = MapSettings.from_study(load_study("demo"))  # the schema's defaults
    start = time.perf_counter()
    crs = utm_crs_for(np.array([west, east]), np.array([south, north]))
    shown = display_roads(
        edges, road_classes=settings.road_classes, simplify_m=settings.simplify_m,
        metric_crs=crs, gcj02=False,
    )  # fmt: skip
    ours = folium.Map(location=centre, tiles=None)
    folium.GeoJson(shown[["highway", "name", "geometry"]].to_json()).add_to(ours)
    ours_html = ours.get_root().render()
    ours_s = time.perf_counter() - start

    naive_mb, ours_mb = len(naive_html.encode()) / 1e6, len(ours_html.encode()) / 1e6
    print(f"road edges: {len(edges)}  drawn features: naive {len(edges)}, spatialint {len(shown)}")
    print(f"page size: naive {naive_mb:.2f} MB, spatialint {ours_mb:.2f} MB, "
          f"ratio {naive_mb / ours_mb:.1f}x smaller")  # fmt: skip
    print(f"build time: naive {naive_s:.2f} s, spatialint {ours_s:.2f} s, "
          f"ratio {naive_s / ours_s:.2f}")  # fmt: skip


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "data/demo/network/road_edges.parquet"))
