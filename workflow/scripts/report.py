"""Write the review report, workbook and GeoPackage (Snakemake rule `report`, or standalone).

Standalone: ``python workflow/scripts/report.py <study>`` reads data/<study>/ and writes
maps/<study>/report.html, data/<study>/results/report.xlsx and spatialint.gpkg.
"""

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from spatialint.logs import run_step
from spatialint.maps import osm_data_date, read_layers
from spatialint.report import TOP_GAPS, write_report


def main(
    inputs: Mapping[str, str], outputs: Mapping[str, str], study: Mapping[str, Any]
) -> dict[str, Path]:
    layers = read_layers(inputs)
    maps = study.get("maps", {})
    return write_report(
        layers,
        html_path=outputs["html"],
        xlsx_path=outputs["xlsx"],
        gpkg_path=outputs["gpkg"],
        map_path=Path(outputs["html"]).with_name("index.html"),
        title=study.get("title") or study["name"],
        language=study.get("language", "zh"),
        data_date=osm_data_date(inputs["pbf"]),
        synthetic=bool(study.get("synthetic", False)),
        cgcs2000=bool(maps.get("cgcs2000", False)),
        top_n=int(maps.get("top_gaps", TOP_GAPS)),
    )


if __name__ == "__main__":
    if "snakemake" in globals():
        run_step(
            lambda: main(
                dict(snakemake.input.items()),
                dict(snakemake.output.items()),
                snakemake.params.study,
            ),
            log_path=snakemake.log[0],
        )
    else:
        sys.path.insert(0, str(Path(__file__).parent))
        from map import default_inputs

        from spatialint.config import load_study

        name = sys.argv[1] if len(sys.argv) > 1 else "demo"
        outputs = {
            "html": f"maps/{name}/report.html",
            "xlsx": f"data/{name}/results/report.xlsx",
            "gpkg": f"data/{name}/results/spatialint.gpkg",
        }
        run_step(lambda: main(default_inputs(name), outputs, load_study(name)))
