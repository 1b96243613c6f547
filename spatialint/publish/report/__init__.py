"""The plan-review report: one HTML page, static figures, an XLSX workbook and a GeoPackage.

- :mod:`.stage` – :func:`write_report`, :func:`run_report_stage` (the ``report`` rule)
- :mod:`.page` – the page (``maps/{study}/report.html``, self-contained, opens offline)
- :mod:`.figures` – overview map, coverage and corridor figures (SVG, text drawn by the browser)
- :mod:`.tables` – key figures, 断头路 by rank, coverage per origin and band
- :mod:`.files` – ``results/report.xlsx`` (the one XLSX writer) and ``results/spatialint.gpkg``
  (every layer by its contract, plus ``<layer>_cgcs2000`` copies when ``maps.cgcs2000``)
"""

from spatialint.publish.report.stage import run_report_stage, write_report

__all__ = ["run_report_stage", "write_report"]
