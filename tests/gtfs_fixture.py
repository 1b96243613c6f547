"""A tiny hand-made GTFS feed on a straight road, whose travel times are known exactly.

Road: nodes R0 … R10 (ids 100 … 110) 1 km apart on an east-west line, both ways, slow on
purpose (1,000 s per km) so transit wins. Stations sit exactly on road nodes (snap 0 m).

- Metro M1 (route_type 1) A (R0) → M (R2) → B1 (R4): departs A 07:00, 07:10 … 08:50 (12 trips
  in the 2-hour window: headway 10 min, wait 5 min); A→M 3 min, dwell at M 1 min, M→B1 2 min.
- Bus 9 (route_type 3) B2 (R4, same parent station SB as B1) → C (R8): departs 07:05, 07:25 …
  08:45 (6 trips: headway 20 min, wait 10 min), 15 min.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from spatialint.demo.frame import km_to_lonlat
from spatialint.network.graph import CSRGraph

ROAD_IDS = np.arange(100, 111)
ROAD_S_PER_KM = 1000.0
STATION_X_KM = {"A": 0, "M": 2, "SB": 4, "B1": 4, "B2": 4, "C": 8}


def road() -> tuple[CSRGraph, pd.DataFrame]:
    """The straight road: its graph and its edges (``u``, ``v``, ``length_m``)."""
    lon, lat = km_to_lonlat(np.arange(11.0), np.zeros(11))
    u, v = ROAD_IDS[:-1], ROAD_IDS[1:]
    edges = pd.DataFrame(
        {"u": np.concatenate([u, v]), "v": np.concatenate([v, u]), "length_m": 1000.0}
    )
    pos_u, pos_v = np.arange(10), np.arange(1, 11)
    graph = CSRGraph.from_arcs(
        ROAD_IDS, lon, lat,
        np.concatenate([pos_u, pos_v]), np.concatenate([pos_v, pos_u]),
        np.full(20, ROAD_S_PER_KM),
    )  # fmt: skip
    # the stations are exactly on road nodes: move them there, to the 1e-7 degree
    return graph, edges


def clock(minutes: float) -> str:
    s = int(round(minutes * 60))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def stop_rows() -> list[dict]:
    rows = []
    for stop, x in STATION_X_KM.items():
        lon, lat = km_to_lonlat(np.array([float(x)]), np.array([0.0]))
        rows.append(
            {
                "stop_id": stop,
                "stop_name": f"Stop {stop}",
                "stop_lat": f"{lat[0]:.7f}",
                "stop_lon": f"{lon[0]:.7f}",
                "location_type": 1 if stop == "SB" else 0,
                "parent_station": "SB" if stop in ("B1", "B2") else "",
            }
        )
    return rows


def stop_time_rows(offset_min: float = 0.0) -> list[dict]:
    rows = []
    for k in range(12):
        t0 = 7 * 60 + 10 * k + offset_min
        trip = f"m{k}"
        for seq, (stop, arr, dep) in enumerate(
            [("A", t0, t0), ("M", t0 + 3, t0 + 4), ("B1", t0 + 6, t0 + 6)]
        ):
            rows.append(
                {
                    "trip_id": trip,
                    "arrival_time": clock(arr),
                    "departure_time": clock(dep),
                    "stop_id": stop,
                    "stop_sequence": seq,
                }
            )
    for k in range(6):
        t0 = 7 * 60 + 5 + 20 * k + offset_min
        for seq, (stop, t) in enumerate([("B2", t0), ("C", t0 + 15)]):
            rows.append(
                {
                    "trip_id": f"b{k}",
                    "arrival_time": clock(t),
                    "departure_time": clock(t),
                    "stop_id": stop,
                    "stop_sequence": seq,
                }
            )
    return rows


def write_feed(folder: Path, *, offset_min: float = 0.0, **replace: pd.DataFrame | None) -> Path:
    """Write the feed as a folder of .txt files; ``replace`` swaps a file's table (None: no
    file)."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "agency": pd.DataFrame([{"agency_id": "T", "agency_name": "Tiny", "agency_url":
                                 "https://example.org", "agency_timezone": "Asia/Shanghai"}]),
        "stops": pd.DataFrame(stop_rows()),
        "routes": pd.DataFrame(
            [
                {"route_id": "M1", "agency_id": "T", "route_short_name": "M1", "route_type": 1},
                {"route_id": "B9", "agency_id": "T", "route_short_name": "9", "route_type": 3},
            ]
        ),
        "trips": pd.DataFrame(
            [{"route_id": "M1", "service_id": "WK", "trip_id": f"m{k}", "direction_id": 0}
             for k in range(12)]
            + [{"route_id": "B9", "service_id": "WK", "trip_id": f"b{k}", "direction_id": 0}
               for k in range(6)]
        ),  # fmt: skip
        "stop_times": pd.DataFrame(stop_time_rows(offset_min)),
        "calendar": pd.DataFrame([{"service_id": "WK", "monday": 1, "tuesday": 1,
                                   "wednesday": 1, "thursday": 1, "friday": 1, "saturday": 0,
                                   "sunday": 0, "start_date": "20250101",
                                   "end_date": "20251231"}]),
    }  # fmt: skip
    tables.update(replace)
    for name, frame in tables.items():
        if frame is not None:
            frame.to_csv(folder / f"{name}.txt", index=False)
    return folder
