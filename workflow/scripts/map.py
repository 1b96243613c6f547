"""Draw the study map maps/{study}/index.html (Snakemake rule `map`, or standalone).

Standalone: ``python workflow/scripts/map.py <study>`` reads the study's stage outputs from
their default places under data/<study>/ and writes maps/<study>/index.html.
"""

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from spatialint.logs import run_step
from spatialint.maps import map_options, osm_data_date, read_layers, write_map


def default_inputs(study: str) -> dict[str, str]:
    """The rule's input paths of ``study`` (README stage contract)."""
    base = f"data/{study}"
    return {
        "pbf": f"{base}/osm/extract.osm.pbf",
        "units": f"{base}/network/admin_units.gpkg",
        "road_edges": f"{base}/network/road_edges.parquet",
        "rail_edges": f"{base}/network/rail_edges.parquet",
        "stations": f"{base}/network/rail_stations.parquet",
        "origins": f"{base}/access/origins.gpkg",
        "isochrones": f"{base}/access/isochrones.gpkg",
        "gaps": f"{base}/gaps/gaps.gpkg",
        "corridors": f"{base}/integration/corridors.gpkg",
    }


def main(inputs: Mapping[str, str], html: str, study: Mapping[str, Any]) -> Path:
    layers = read_layers(inputs)
    data_date = osm_data_date(inputs["pbf"])
    return write_map(layers, html, **map_options(study, data_date=data_date))


if __name__ == "__main__":
    if "snakemake" in globals():
        run_step(
            lambda: main(
                dict(snakemake.input.items()), snakemake.output.html, snakemake.params.study
            ),
            log_path=snakemake.log[0],
        )
    else:
        from spatialint.config import load_study

        name = sys.argv[1] if len(sys.argv) > 1 else "demo"
        run_step(lambda: main(default_inputs(name), f"maps/{name}/index.html", load_study(name)))
