"""A tiny study for step-level tests: a two-place extract and a units file over it, which the
admin stage turns into its three outputs in a fraction of a second."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import osmium
import shapely

from spatialint.osm.admin import run_admin_stage
from spatialint.settings import AdminSettings

OUTPUTS = ("admin_units.gpkg", "places.parquet", "admin_report.txt")


def make_tiny_study(folder: Path) -> tuple[Path, Path]:
    """Write the extract (two villages) and the units file (two districts) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    pbf = folder / "extract.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for node_id, (lon, lat, name) in enumerate(
            [(113.1, 28.1, "西村"), (113.3, 28.1, "东村")], start=1
        ):
            writer.add_node(
                osmium.osm.mutable.Node(
                    id=node_id, location=(lon, lat), tags={"place": "village", "name": name}
                )
            )
    units = folder / "units.gpkg"
    gpd.GeoDataFrame(
        {"name": ["西区", "东区"]},
        geometry=[shapely.box(113.0, 28.0, 113.2, 28.2), shapely.box(113.2, 28.0, 113.4, 28.2)],
        crs="EPSG:4490",
    ).to_file(units)
    return pbf, units


def run_admin(pbf: Path, units: Path, folder: Path) -> None:
    """The admin stage of the tiny study, writing :data:`OUTPUTS` into ``folder``."""
    keys = ("units", "places", "report")
    outputs = {key: folder / name for key, name in zip(keys, OUTPUTS, strict=True)}
    settings = AdminSettings.from_config(
        {"levels": [6], "border_levels": 6, "file": str(units), "name_column": "name"}
    )
    run_admin_stage({"pbf": pbf}, outputs, admin=settings, base_dir=folder)
