"""A SYNTHETIC GTFS feed for the demo region: its HSR, intercity and metro lines and a bus line.

The stops sit exactly on the demo's OSM stations (:mod:`.rail`), so the feed covers each OSM rail
line and its timetable replaces the assumed OSM-rail edges. Every trip runs Monday to Friday
(calendar 2025), in both directions, at a fixed headway all day from 06:00; the times are made
up, round and recorded in ``truth.json`` under ``transit`` so tests can check the travel times
the network gives, to the second:

============  ==================  =====================================  ========  ===========
route         route_type          stops (in-vehicle minutes between)     headway   service
============  ==================  =====================================  ========  ===========
G7001         101 (HSR)           西城站 –40– 东城站                       30 min    highspeed
C7101         2, train number C   东城站 –25– 河东站 –20– 西湖站 (dwell 2)   60 min    intercity
地铁1号线      1 (subway)          站前广场 – 市中心 – 北门 (36 km/h, dwell 1)  6 min     metro
东城1路        3 (bus)             five stops across 东城, 4 min apart      10 min    bus
============  ==================  =====================================  ========  ===========

东城站 (HSR and intercity platforms) and 市中心 (metro and bus) are parent stations, so changing
there is a transfer inside the station. All of it is labelled synthetic (agency, feed_info).
"""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spatialint.demo.frame import km_to_lonlat

START_MIN = 6 * 60
END_MIN = 12 * 60
METRO_KPH = 36.0
METRO_DWELL_MIN = 1.0
BUS_STOPS_KM = ((72.05, 10.05), (73.55, 10.05), (76.55, 10.05), (77.95, 10.05))
BUS_NAMES = ("西环路口", "文化宫", "东湖公园", "东环路口")
ZIP_DATE = (2025, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Line:
    """One demo route: its stops (station names), minutes between them, dwell and headway."""

    route_id: str
    short_name: str
    long_name: str
    route_type: int
    service: str
    stops: tuple[str, ...]
    ride_min: tuple[float, ...]
    dwell_min: float
    headway_min: float


def demo_lines(station_xy: dict[str, tuple[float, float]]) -> list[Line]:
    """The four routes; metro times from the stations' distances (they move with the scale)."""
    metro = ("站前广场", "市中心", "北门")
    metro_min = tuple(
        float(math.ceil(math.dist(station_xy[a], station_xy[b]) / METRO_KPH * 60))
        for a, b in zip(metro[:-1], metro[1:], strict=True)
    )
    bus = (BUS_NAMES[0], BUS_NAMES[1], "市中心", BUS_NAMES[2], BUS_NAMES[3])
    return [
        Line("G7001", "G7001", "东西高铁 西城—东城", 101, "highspeed",
             ("西城站", "东城站"), (40.0,), 0.0, 30.0),
        Line("C7101", "C7101", "东西城际 东城—西湖", 2, "intercity",
             ("东城站", "河东站", "西湖站"), (25.0, 20.0), 2.0, 60.0),
        Line("M1", "1号线", "地铁1号线", 1, "metro", metro, metro_min, METRO_DWELL_MIN, 6.0),
        Line("B1", "东城1路", "东城1路 西环—东环", 3, "bus", bus, (4.0,) * 4, 0.0, 10.0),
    ]  # fmt: skip


def _clock(minutes: float) -> str:
    s = int(round(minutes * 60))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _stop_times(line: Line, direction: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Trips and stop times of one direction of a line, every headway from 06:00 to 12:00."""
    stops = line.stops if direction == 0 else line.stops[::-1]
    ride = line.ride_min if direction == 0 else line.ride_min[::-1]
    trips, rows = [], []
    n = int((END_MIN - START_MIN) // line.headway_min)
    for k in range(n):
        trip = f"{line.route_id}-{direction}-{k:03d}"
        trips.append({"route_id": line.route_id, "service_id": "WEEKDAY", "trip_id": trip,
                      "direction_id": direction, "trip_headsign": stops[-1]})  # fmt: skip
        t = START_MIN + k * line.headway_min
        for seq, stop in enumerate(stops):
            arr = t
            dep = t + (line.dwell_min if 0 < seq < len(stops) - 1 else 0.0)
            rows.append({"trip_id": trip, "arrival_time": _clock(arr),
                         "departure_time": _clock(dep), "stop_id": _platform(stop, line),
                         "stop_sequence": seq + 1})  # fmt: skip
            t = dep + (ride[seq] if seq < len(ride) else 0.0)
    return trips, rows


PARENTS = {"东城站": ("highspeed", "intercity"), "市中心": ("metro", "bus")}
"""Stations with platforms per service: changing there is a transfer inside the station."""


def _platform(stop: str, line: Line) -> str:
    return f"{stop}:{line.service}" if stop in PARENTS else stop


def _stops(station_xy: dict[str, tuple[float, float]]) -> pd.DataFrame:
    rows = []
    for name, (x, y) in station_xy.items():
        lon, lat = km_to_lonlat(np.array([x]), np.array([y]))
        base = {"stop_name": name, "stop_lat": f"{lat[0]:.7f}", "stop_lon": f"{lon[0]:.7f}"}
        if name in PARENTS:
            rows.append({"stop_id": name, **base, "location_type": 1, "parent_station": ""})
            rows += [{"stop_id": f"{name}:{s}", **base, "location_type": 0,
                      "parent_station": name} for s in PARENTS[name]]  # fmt: skip
        else:
            rows.append({"stop_id": name, **base, "location_type": 0, "parent_station": ""})
    return pd.DataFrame(rows)


def demo_feed(station_xy: dict[str, tuple[float, float]]) -> dict[str, pd.DataFrame]:
    """The feed's tables, by file name without ``.txt``."""
    xy = dict(station_xy)
    xy.update(dict(zip(BUS_NAMES, BUS_STOPS_KM, strict=True)))
    lines = demo_lines(xy)
    trips, stop_times = [], []
    for line in lines:
        for direction in (0, 1):
            t, st = _stop_times(line, direction)
            trips += t
            stop_times += st
    agency = "合成演示公交 SYNTHETIC demo transit"
    return {
        "agency": pd.DataFrame([{"agency_id": "DEMO", "agency_name": agency,
                                 "agency_url": "https://example.org/spatialint-demo",
                                 "agency_timezone": "Asia/Shanghai"}]),
        "feed_info": pd.DataFrame([{"feed_publisher_name": "spatialint demo (SYNTHETIC)",
                                    "feed_publisher_url": "https://example.org/spatialint-demo",
                                    "feed_lang": "zh", "feed_version": "synthetic-1"}]),
        "stops": _stops(xy),
        "routes": pd.DataFrame([{"route_id": ln.route_id, "agency_id": "DEMO",
                                 "route_short_name": ln.short_name,
                                 "route_long_name": ln.long_name, "route_type": ln.route_type}
                                for ln in lines]),
        "trips": pd.DataFrame(trips),
        "stop_times": pd.DataFrame(stop_times),
        "calendar": pd.DataFrame([{"service_id": "WEEKDAY", "monday": 1, "tuesday": 1,
                                   "wednesday": 1, "thursday": 1, "friday": 1, "saturday": 0,
                                   "sunday": 0, "start_date": "20250101",
                                   "end_date": "20251231"}]),
    }  # fmt: skip


def station_km(x: np.ndarray, y: np.ndarray, stations: list[dict[str, Any]]) -> dict:
    """Each demo station's position (km, demo frame) by name, from the region's node
    coordinates (:meth:`.region.Region.coords`: id = position + 1)."""
    ids = np.array([s["node_id"] for s in stations]) - 1
    return {s["name"]: (float(x[i]), float(y[i])) for s, i in zip(stations, ids, strict=True)}


def write_demo_gtfs(path: str | Path, station_xy: dict[str, tuple[float, float]]) -> dict:
    """Write the feed as a zip (byte-identical for the same stations) and return its truth:
    the lines with their stops, minutes and headways (``truth.json``'s ``transit``)."""
    tables = demo_feed(station_xy)
    with zipfile.ZipFile(path, "w") as zf:
        for name, frame in tables.items():
            info = zipfile.ZipInfo(f"{name}.txt", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            buffer = io.StringIO()
            frame.to_csv(buffer, index=False, lineterminator="\n")
            zf.writestr(info, buffer.getvalue().encode("utf-8"))
    xy = dict(station_xy) | dict(zip(BUS_NAMES, BUS_STOPS_KM, strict=True))
    return {
        "feed": "demo/gtfs.zip",
        "calendar": "Monday-Friday 2025",
        "lines": [
            {"route_id": ln.route_id, "route_name": ln.short_name, "service": ln.service,
             "route_type": ln.route_type, "stops": list(ln.stops), "ride_min": list(ln.ride_min),
             "dwell_min": ln.dwell_min, "headway_min": ln.headway_min}
            for ln in demo_lines(xy)
        ],
    }  # fmt: skip
