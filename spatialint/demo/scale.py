"""How the demo grows with ``scale``: the same pattern, denser and larger.

``scale`` grows the city grids (half-size 3 km × √scale, at most 9 km), the rural meshes
(spacing 5 km / √scale, at least 1 km) and the number (20 × scale) and size (half-width
0.5 km × scale^0.4, at most 2.5 km) of villages, so road nodes grow roughly linearly: ≈28k at
``scale=1``, ≈90k at 4, ≈208k at 8.5, ≈518k at 22 (``benchmarks/demo_scale.py``). From ≈50 on
villages fill the rural zones and growth levels off near 1M road nodes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from spatialint.demo.frame import snap_km

MAX_SCALE = 100.0  # villages saturate the rural zones from ~50 on (~0.9-1.0M road nodes)
#: Approximate scale needed for a number of road nodes (measured, see benchmarks/demo_scale.py).
SCALE_FOR_NODES = {200_000: 8.5, 500_000: 22.0}

CITY_HALF_KM = 3.0  # at scale 1; grows with sqrt(scale)
CITY_HALF_MAX_KM = 9.0
MESH_SPACING_KM = 5.0  # at scale 1; shrinks with sqrt(scale)
MESH_SPACING_MIN_KM = 1.0
VILLAGES_PER_SCALE = 20
VILLAGE_HALF_KM = 0.5  # at scale 1; grows with scale ** 0.4
VILLAGE_HALF_MAX_KM = 2.5


@dataclass(frozen=True)
class ScalePattern:
    """The sizes of the pattern at one scale (lengths on the lattice, in km)."""

    city_half_km: float  # half-size of each city's street grid
    mesh_spacing_km: float  # spacing of the rural road meshes
    n_villages: int  # villages wanted (at most one per inner mesh crossing)
    village_half_km: float  # half-width of a village's street grid

    @classmethod
    def at(cls, scale: float) -> ScalePattern:
        """The pattern at ``scale`` (> 0)."""
        root = math.sqrt(scale)
        return cls(
            city_half_km=snap_km(min(CITY_HALF_KM * root, CITY_HALF_MAX_KM)),
            mesh_spacing_km=max(MESH_SPACING_MIN_KM, MESH_SPACING_KM / root),
            n_villages=round(VILLAGES_PER_SCALE * scale),
            village_half_km=snap_km(min(VILLAGE_HALF_KM * scale**0.4, VILLAGE_HALF_MAX_KM)),
        )
