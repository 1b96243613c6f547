"""OSM ``maxspeed`` values in km/h: numbers, units, zones and lists.

Shared by the road network (a way's speed) and the rail network (the high-speed threshold).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import numpy as np

MPH_TO_KPH = 1.609344
KNOT_TO_KPH = 1.852
#: Walking pace for ``maxspeed=walk`` (StVO "Schrittgeschwindigkeit", taken as 5 km/h).
WALK_SPEED_KPH = 5.0

_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$", re.IGNORECASE)
_ZONE_NUMBER = re.compile(r"^[A-Z]{2}:zone:?(\d+)$", re.IGNORECASE)


def _parse_one(value: str, zones_kph: Mapping[str, float]) -> float:
    """Speed in km/h of one maxspeed value (no list), NaN when unknown."""
    value = value.strip()
    if value in zones_kph:
        return float(zones_kph[value])
    if value.lower() == "walk":
        return WALK_SPEED_KPH
    match = _NUMBER.match(value)
    if match:
        number = float(match.group(1))
        unit = (match.group(2) or "").lower()
        if unit == "mph":
            number *= MPH_TO_KPH
        elif unit == "knots":
            number *= KNOT_TO_KPH
        return number if number > 0 else math.nan
    match = _ZONE_NUMBER.match(value)
    if match:
        return float(match.group(1))
    return math.nan


def parse_maxspeed(value: str | None, *, zones_kph: Mapping[str, float]) -> float:
    """Parse an OSM ``maxspeed`` value to km/h; NaN when missing or not understood.

    Understands plain numbers (km/h), ``"30 mph"``, ``"10 knots"``, ``"walk"``, zone values
    listed in ``zones_kph`` (``"CN:urban"``, ``"FR:rural"``...), ``"DE:zone30"`` style zones, and
    lists ``"60;80"`` / ``"60|80"`` (mean of the understood parts, as osmnx does).  ``"none"``,
    ``"signals"``, ``"variable"`` and unknown zones give NaN, so the class default applies.
    """
    if value is None:
        return math.nan
    parts = [p for p in re.split(r"[;|]", str(value)) if p.strip()]
    speeds = [s for s in (_parse_one(p, zones_kph) for p in parts) if not math.isnan(s)]
    return float(np.mean(speeds)) if speeds else math.nan
