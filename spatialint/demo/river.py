"""The river 清水河: a meandering line flowing north at x ≈ -30 km, through 西湖县.

Roads cross it only on bridges (:func:`spatialint.demo.intercity.add_road_bridges`), and the
rail lines cross it on viaducts; one rural road ends at its bank (decoy D4).
"""

from __future__ import annotations

import numpy as np

from spatialint.demo.frame import LATTICE_STEP_KM, snap_km
from spatialint.demo.region import Region

#: Half the length of a road bridge (km): the lattice road stops this far from the river.
BRIDGE_HALF_KM = 0.3
RIVER_STEP_KM = 0.3


def river_x_km(y_km: np.ndarray | float) -> np.ndarray:
    """x (km) of the river 清水河 centreline at northing y (a gentle meander, |dx| ≤ 2 km)."""
    y = np.asarray(y_km, float)
    return (
        -30.0
        + 1.5 * np.sin(2 * np.pi * (y + 40.0) / 26.0)
        + 0.4 * np.sin(2 * np.pi * (y + 40.0) / 9.0 + 1.0)
    )


def river_gap(y_km: float) -> tuple[float, float]:
    """x (km) of the lattice nodes either side of a bridge at northing ``y_km``."""
    xr = float(river_x_km(y_km))
    return snap_km(xr - BRIDGE_HALF_KM), snap_km(xr + BRIDGE_HALF_KM)


def bank_end_x_km(y_km: float) -> float:
    """x (km) of the end of a road reaching the east bank from the east at ``y_km``."""
    return snap_km(float(river_x_km(y_km)) + 0.15) + LATTICE_STEP_KM


def add_river(region: Region) -> int:
    """The river's way, from the southern to the northern edge; returns its id."""
    ry = np.arange(-40.0, 40.001, RIVER_STEP_KM)
    river = region.add_nodes(river_x_km(ry), ry)
    return region.add_way(
        river, {"waterway": "river", "name": "清水河", "name:en": "Qingshui River"}
    )
