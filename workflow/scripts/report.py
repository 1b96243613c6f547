"""Rule ``report``: the review report, workbook and result GeoPackage.

Standalone (see ``_helpers.mock_snakemake``)::

    python workflow/scripts/report.py <study>
"""

import sys

from _helpers import mock_snakemake, run_rule

from spatialint.publish.report import run_report_stage

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = mock_snakemake("report", study=sys.argv[1] if len(sys.argv) > 1 else "demo")
    run_rule(snakemake, run_report_stage)
