"""Rule ``report``: the review report, workbook and result GeoPackage.

Standalone (see :mod:`spatialint.standalone`)::

    python workflow/scripts/report.py <study>
"""

import sys

from spatialint.logs import run_step
from spatialint.report import run_report_stage
from spatialint.standalone import mock_snakemake

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake("report", study=sys.argv[1] if len(sys.argv) > 1 else "demo")
    run_step(
        lambda: run_report_stage(
            dict(snakemake.input.items()), dict(snakemake.output.items()), snakemake.params.study
        ),
        log_path=snakemake.log[0],
    )
