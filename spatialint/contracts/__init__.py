"""One contract per output table: columns, dtypes, units and Chinese/English labels.

Producers write through :mod:`spatialint.contracts.io` (``write_table``, ``write_layers``,
``write_csv``, ``write_workbook``), which conforms each frame to its :class:`Table`; consumers
read with ``read_table`` by the same contract. The tables, by stage:

- retrieve (:mod:`.osm`): ``STUDY_AREA``
- network (:mod:`.network`): ``ADMIN_UNITS``, ``PLACES``, ``ROAD_NODES``, ``ROAD_EDGES``,
  ``PLANNED_WAYS``, ``RAIL_EDGES``, ``RAIL_STATIONS``; speed calibration: ``SPEED_FIT``,
  ``SPEED_SAMPLES``; transit (:mod:`.transit`): ``TRANSIT_LINES``, ``TRANSIT_STOPS``
- access (:mod:`.access`): ``ORIGINS``, ``ISOCHRONES``, ``HEX_ACCESS``
- gaps (:mod:`.gaps`): ``DEAD_ENDS``, ``CLASS_DROPS``, ``MISSING_CROSSINGS``, ``REVIEW_TEMPLATE``
- integration (:mod:`.integration`): ``CORRIDORS``
- report (:mod:`.publish`): ``SUMMARY``, ``COVERAGE``
"""

from spatialint.contracts.access import HEX_ACCESS, ISOCHRONES, ORIGINS
from spatialint.contracts.base import Column, ColumnFamily, ContractError, Table
from spatialint.contracts.gaps import CLASS_DROPS, DEAD_ENDS, MISSING_CROSSINGS, REVIEW_TEMPLATE
from spatialint.contracts.integration import CORRIDORS
from spatialint.contracts.network import (
    ADMIN_UNITS,
    PLACES,
    PLANNED_WAYS,
    RAIL_EDGES,
    RAIL_STATIONS,
    ROAD_EDGES,
    ROAD_NODES,
    SPEED_FIT,
    SPEED_SAMPLES,
)
from spatialint.contracts.osm import STUDY_AREA
from spatialint.contracts.publish import COVERAGE, SUMMARY
from spatialint.contracts.transit import TRANSIT_LINES, TRANSIT_STOPS

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        STUDY_AREA,
        ADMIN_UNITS,
        PLACES,
        ROAD_NODES,
        ROAD_EDGES,
        PLANNED_WAYS,
        RAIL_EDGES,
        RAIL_STATIONS,
        SPEED_FIT,
        SPEED_SAMPLES,
        TRANSIT_LINES,
        TRANSIT_STOPS,
        ORIGINS,
        ISOCHRONES,
        HEX_ACCESS,
        DEAD_ENDS,
        CLASS_DROPS,
        MISSING_CROSSINGS,
        REVIEW_TEMPLATE,
        CORRIDORS,
        SUMMARY,
        COVERAGE,
    )  # fmt: skip
}
"""Every output table by name."""

__all__ = [
    "ADMIN_UNITS", "CLASS_DROPS", "CORRIDORS", "COVERAGE", "DEAD_ENDS", "HEX_ACCESS",
    "ISOCHRONES", "MISSING_CROSSINGS", "ORIGINS", "PLACES", "PLANNED_WAYS", "RAIL_EDGES",
    "RAIL_STATIONS", "REVIEW_TEMPLATE", "ROAD_EDGES", "ROAD_NODES", "SPEED_FIT", "SPEED_SAMPLES",
    "STUDY_AREA", "SUMMARY", "TABLES", "TRANSIT_LINES", "TRANSIT_STOPS",
    "Column", "ColumnFamily", "ContractError", "Table",
]  # fmt: skip
