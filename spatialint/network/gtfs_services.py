"""Services of GTFS routes: high-speed, intercity, conventional rail, metro, bus (or other).

From ``route_type``: the basic GTFS types and the extended (Hierarchical Vehicle Type, HVT)
types Google Transit accepts:

=====================================  ======================================================
service                                route_type
=====================================  ======================================================
``highspeed``                          101 High Speed Rail; 2 (rail) with a train number G/D
``intercity``                          103 Inter Regional, 106 Regional, 108 Rail Shuttle,
                                       109 Suburban Railway; 2 with a train number C (城际)
``conventional``                       2 otherwise, 100 Railway, 102 Long Distance, 104 Car
                                       Transport, 105 Sleeper, 107 Tourist, 110-117 other rail
``metro``                              0 tram, 1 subway, 5 cable tram, 7 funicular,
                                       12 monorail; 400-405 urban railway/metro, 900-906 tram,
                                       1400 funicular
``bus``                                3, 11 trolleybus; 200-209 coach, 700-716 bus, 800 trolleybus
``other``                              everything else (ferry 4/1000/1200, aerial lift 6/1300,
                                       air 1100, taxi 1500+, ...)
=====================================  ======================================================

Chinese train numbers say the class: G (高速动车组) and D (动车组) run on high-speed lines, C
(城际) are intercity trains; a basic ``route_type`` 2 route whose short name starts with one of
them takes that service.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from spatialint.errors import DataError

logger = logging.getLogger(__name__)

SERVICES = ("highspeed", "intercity", "conventional", "metro", "bus", "other")
"""The transit services, in the order they are drawn and listed."""

_EXACT: dict[int, str] = {
    0: "metro", 1: "metro", 2: "conventional", 3: "bus", 5: "metro", 7: "metro", 11: "bus",
    12: "metro", 101: "highspeed", 103: "intercity", 106: "intercity", 108: "intercity",
    109: "intercity", 1400: "metro",
}  # fmt: skip
_RANGES: tuple[tuple[int, int, str], ...] = (
    (100, 117, "conventional"),
    (200, 209, "bus"),
    (400, 405, "metro"),
    (700, 716, "bus"),
    (800, 800, "bus"),
    (900, 906, "metro"),
)
TRAIN_CLASS = {"G": "highspeed", "D": "highspeed", "C": "intercity"}
"""Chinese train-number prefixes of a route_type 2 route, and their service."""


def service_of(route_type: int, short_name: str = "") -> str:
    """The service of one ``route_type`` (and short name, for basic rail)."""
    if route_type == 2 and short_name[:1].upper() in TRAIN_CLASS and short_name[1:2].isdigit():
        return TRAIN_CLASS[short_name[:1].upper()]
    if route_type in _EXACT:
        return _EXACT[route_type]
    for low, high, service in _RANGES:
        if low <= route_type <= high:
            return service
    return "other"


def route_services(routes: pd.DataFrame, *, name: str) -> pd.DataFrame:
    """``route_id``, ``route_name`` (short, else long name, else id), ``route_type`` and
    ``service`` of a feed's routes.

    Raises
    ------
    DataError
        A ``route_type`` that is missing or not a whole number.
    """
    rtype = pd.to_numeric(routes["route_type"], errors="coerce")
    bad = rtype.isna() | (rtype % 1 != 0)
    if bad.any():
        ids = routes.loc[bad, "route_id"].astype(str).tolist()[:5]
        rows = [int(i) + 2 for i in routes.index[bad][:5]]
        raise DataError(
            f"GTFS feed {name}: routes.txt route_type of routes {ids} (lines {rows}) is empty "
            "or not a number; give the GTFS route_type (e.g. 1 subway, 2 rail, 3 bus, 101 "
            "high-speed rail)."
        )
    empty = pd.Series("", index=routes.index, dtype="string")
    short = routes["route_short_name"].astype("string") if "route_short_name" in routes else empty
    long = routes["route_long_name"].astype("string") if "route_long_name" in routes else empty
    short, long = short.fillna(""), long.fillna("")
    label = short.where(short != "", long).where(lambda s: s != "", routes["route_id"])
    rtype = rtype.astype("int64")
    service = [service_of(int(t), str(s)) for t, s in zip(rtype, short, strict=True)]
    other = np.array(service) == "other"
    if other.any():
        logger.info(
            "GTFS feed %s: %d route(s) of route_type %s counted as service 'other'",
            name, int(other.sum()), sorted(set(rtype[other].tolist())),
        )  # fmt: skip
    return pd.DataFrame(
        {
            "route_id": routes["route_id"].astype(str).to_numpy(),
            "route_name": label.astype(str).to_numpy(),
            "route_type": rtype.to_numpy(),
            "service": service,
        }
    )
