"""A frequency-based transit network from timetables, as UrbanAccess builds one.

For the analysis window [start, end) of the day, every trip that departs a stop inside the
window counts. A *line* is a route in one direction (``direction_id``, else towards one
terminus: :func:`spatialint.network.gtfs_feed.read_feed`); a *line stop* is a stop of a line.

Nodes (positions, in this order)
    - ``in`` of each station (where a rider enters it: from the road, or changing lines),
      ``out`` of each station (where a rider who alighted stands); a station is a stop's
      ``parent_station``, else the stop itself;
    - ``arr`` and ``dep`` of each line stop.

Arcs (seconds)
    - ride ``dep(line, a) → arr(line, b)`` for consecutive stops a, b of the line's trips: the
      mean over those trips of arrival at b − departure from a (the in-vehicle time);
    - dwell ``arr → dep`` of a line stop: the mean of departure − arrival there;
    - board ``in(station) → dep(line, stop)``: ``boarding_min[service]`` + **half the headway**,
      headway = window length ÷ the line's departures from the stop within the window (equal to
      the mean gap for evenly spaced trips; one departure: the window length). Only line stops
      with a departure in the window can be boarded;
    - alight ``arr(line, stop) → out(station)``: 0;
    - transfer ``out(station) → in(station)``: ``transfer_penalty_min`` (then the next line's
      wait and boarding time as above).

Walks between the roads and the stations are added by :mod:`spatialint.network.gtfs_walk`.
All of it is grouped and joined with pandas/numpy: no Python loop over trips or stops.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spatialint.errors import DataError
from spatialint.network.gtfs_feed import Timetable

SECONDS_PER_MIN = 60.0


@dataclass(frozen=True)
class TransitNetwork:
    """The transit part of the multimodal graph (node positions as in the module doc).

    Attributes
    ----------
    stations
        ``station_key``, ``feed``, ``station_id``, ``name``, ``lon``, ``lat``, ``services``
        (comma-separated), ``lines`` (count).
    line_stops
        ``line_key``, ``stop_key``, ``station`` (position in ``stations``), ``service``,
        ``route_name``, ``departures``, ``headway_s`` (NaN without departures), ``lon``,
        ``lat``.
    segments
        ``a``, ``b`` (positions in ``line_stops``), ``trips``, ``ride_s``.
    src, dst, weight_s
        The arcs among the transit nodes.
    """

    stations: pd.DataFrame
    line_stops: pd.DataFrame
    segments: pd.DataFrame
    src: np.ndarray
    dst: np.ndarray
    weight_s: np.ndarray

    @property
    def n_nodes(self) -> int:
        return 2 * len(self.stations) + 2 * len(self.line_stops)

    def node_xy(self) -> tuple[np.ndarray, np.ndarray]:
        """Longitude and latitude of every transit node."""
        s, ls = self.stations, self.line_stops
        x = np.concatenate([s["lon"], s["lon"], ls["lon"], ls["lon"]]).astype(float)
        y = np.concatenate([s["lat"], s["lat"], ls["lat"], ls["lat"]]).astype(float)
        return x, y


def _combined(tables: Sequence[Timetable]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Stop times, stops and routes of all feeds, ids prefixed by the feed's position."""
    st, stops, routes = [], [], []
    for i, t in enumerate(tables):
        key = f"{i}:"
        st.append(
            t.stop_times.assign(
                feed=t.name,
                trip_id=key + t.stop_times["trip_id"],
                line_key=key + t.stop_times["line_id"],
                stop_key=key + t.stop_times["stop_id"],
                route_key=key + t.stop_times["route_id"],
            )
        )
        stops.append(
            t.stops.assign(
                feed=t.name,
                stop_key=key + t.stops["stop_id"],
                station_key=key + t.stops["station_id"],
            )
        )
        routes.append(t.routes.assign(route_key=key + t.routes["route_id"]))
    return (
        pd.concat(st, ignore_index=True),
        pd.concat(stops, ignore_index=True),
        pd.concat(routes, ignore_index=True),
    )


def _window_rows(st: pd.DataFrame, window_s: tuple[int, int]) -> pd.DataFrame:
    """Rows of the trips that depart a stop within the window, with the next stop's arrival."""
    same_next = st["trip_id"].shift(-1).eq(st["trip_id"]).to_numpy()
    same_prev = st["trip_id"].shift(1).eq(st["trip_id"]).to_numpy()
    start, end = window_s
    departs = same_next & (st["dep_s"].to_numpy() >= start) & (st["dep_s"].to_numpy() < end)
    st = st.assign(
        departs=departs,
        has_next=same_next,
        has_prev=same_prev,
        next_stop=st["stop_key"].shift(-1),
        next_arr=st["arr_s"].shift(-1),
        next_line=st["line_key"].shift(-1),
    )
    in_window = pd.Series(departs).groupby(st["trip_id"].to_numpy()).transform("any").to_numpy()
    return st[in_window].reset_index(drop=True)


def _check_order(rows: pd.DataFrame, name_of: Mapping[str, str]) -> None:
    ride = rows["next_arr"] - rows["dep_s"]
    back = rows["has_next"] & (ride < 0)
    dwell_back = rows["dep_s"] < rows["arr_s"]
    bad = back | dwell_back
    if bad.any():
        trips = rows.loc[bad, "trip_id"].str.split(":", n=1).str[1].unique()[:5].tolist()
        feed = name_of[rows.loc[bad, "trip_id"].iloc[0].split(":", 1)[0]]
        raise DataError(
            f"GTFS feed {feed}: stop_times.txt of trips {trips} goes back in time (a departure "
            "before its arrival, or an arrival before the previous departure); fix their times "
            "(after midnight they continue past 24:00, e.g. 24:05:00)."
        )


def frequency_network(
    tables: Sequence[Timetable],
    *,
    window_s: tuple[int, int],
    boarding_min: Mapping[str, float],
    transfer_penalty_min: float,
) -> TransitNetwork:
    """Build the frequency-based network of the feeds' trips in the window (module doc).

    Raises
    ------
    DataError
        A trip whose times run backwards; no trip of a feed departs within the window.
    """
    st, stops, routes = _combined(tables)
    rows = _window_rows(st, window_s)
    name_of = {str(i): t.name for i, t in enumerate(tables)}
    _no_service_in_window(st, rows, tables, window_s)
    _check_order(rows, name_of)
    stop_info = stops.set_index("stop_key")
    service_of = routes.set_index("route_key")
    # line stops: each (line, stop) the window's trips serve
    line_stops = (
        rows.groupby(["line_key", "stop_key"], sort=True)
        .agg(route_key=("route_key", "first"), departures=("departs", "sum"))
        .reset_index()
    )
    ls_pos = pd.Series(
        np.arange(len(line_stops)),
        index=pd.MultiIndex.from_frame(line_stops[["line_key", "stop_key"]]),
    )
    station_keys = stop_info.loc[line_stops["stop_key"], "station_key"].to_numpy()
    stations = _stations(stop_info, station_keys, line_stops, service_of)
    station_pos = pd.Series(np.arange(len(stations)), index=stations["station_key"])
    window_len = window_s[1] - window_s[0]
    line_stops = line_stops.assign(
        station=station_pos.loc[station_keys].to_numpy(),
        service=service_of.loc[line_stops["route_key"], "service"].to_numpy(),
        route_name=service_of.loc[line_stops["route_key"], "route_name"].to_numpy(),
        headway_s=window_len / line_stops["departures"].where(line_stops["departures"] > 0),
        lon=stop_info.loc[line_stops["stop_key"], "lon"].to_numpy(),
        lat=stop_info.loc[line_stops["stop_key"], "lat"].to_numpy(),
    )
    segments = _segments(rows, ls_pos)
    dwell = _dwell(rows, ls_pos, len(line_stops))
    src, dst, weight = _arcs(
        stations, line_stops, segments, dwell,
        boarding_min=boarding_min, transfer_penalty_min=transfer_penalty_min,
    )  # fmt: skip
    return TransitNetwork(stations, line_stops, segments, src, dst, weight)


def _no_service_in_window(
    st: pd.DataFrame, rows: pd.DataFrame, tables: Sequence[Timetable], window_s: tuple[int, int]
) -> None:
    """Refuse a feed none of whose trips of the day departs a stop within the window."""
    for i, t in enumerate(tables):
        key = f"{i}:"
        if rows["trip_id"].str.startswith(key).any():
            continue
        own = st[st["trip_id"].str.startswith(key)]
        span = (
            f"its {own['trip_id'].nunique()} trips of that day run "
            f"{_clock(own['dep_s'].min())}–{_clock(own['arr_s'].max())}"
            if len(own)
            else "it has no stop times for that day's trips"
        )
        raise DataError(
            f"GTFS feed {t.name}: no trip departs within the window "
            f"{_clock(window_s[0])}–{_clock(window_s[1])} on {t.date}; {span}. Set "
            "transit.window (or transit.date / weekday) to when the feed runs."
        )


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


def _stations(
    stop_info: pd.DataFrame,
    station_keys: np.ndarray,
    line_stops: pd.DataFrame,
    service_of: pd.DataFrame,
) -> pd.DataFrame:
    """The stations of the line stops, with their services and number of lines."""
    per = pd.DataFrame(
        {
            "station_key": station_keys,
            "line_key": line_stops["line_key"].to_numpy(),
            "service": service_of.loc[line_stops["route_key"], "service"].to_numpy(),
        }
    )
    grouped = per.groupby("station_key", sort=True)
    by_station = stop_info.reset_index().drop_duplicates("station_key").set_index("station_key")
    keys = np.array(sorted(grouped.groups))
    # a station's own row (the parent station) when the feed has it, else its first stop's
    own = stop_info.reindex(keys)
    first = by_station.loc[keys]
    lon = own["lon"].fillna(first["lon"])
    lat = own["lat"].fillna(first["lat"])
    return pd.DataFrame(
        {
            "station_key": keys,
            "feed": first["feed"].to_numpy(),
            "station_id": [k.split(":", 1)[1] for k in keys],
            "name": first["station_name"].to_numpy(),
            "lon": lon.to_numpy(dtype=float),
            "lat": lat.to_numpy(dtype=float),
            "services": per.drop_duplicates(["station_key", "service"])
            .sort_values(["station_key", "service"])
            .groupby("station_key")["service"]
            .agg(",".join)
            .reindex(keys)
            .to_numpy(),
            "lines": grouped["line_key"].nunique().reindex(keys).to_numpy(),
        }
    )


def _segments(rows: pd.DataFrame, ls_pos: pd.Series) -> pd.DataFrame:
    """Mean in-vehicle time of each consecutive pair of line stops over the window's trips."""
    ride = rows[rows["has_next"]]
    ride = ride.assign(ride_s=ride["next_arr"] - ride["dep_s"])
    seg = (
        ride.groupby(["line_key", "stop_key", "next_stop"], sort=True)
        .agg(trips=("trip_id", "nunique"), ride_s=("ride_s", "mean"))
        .reset_index()
    )
    a = ls_pos.loc[list(zip(seg["line_key"], seg["stop_key"], strict=True))].to_numpy()
    b = ls_pos.loc[list(zip(seg["line_key"], seg["next_stop"], strict=True))].to_numpy()
    return pd.DataFrame({"a": a, "b": b, "trips": seg["trips"].to_numpy(), "ride_s": seg["ride_s"]})


def _dwell(rows: pd.DataFrame, ls_pos: pd.Series, n: int) -> np.ndarray:
    """Mean dwell (departure − arrival) at each line stop where trips pass through."""
    through = rows[rows["has_next"] & rows["has_prev"]]
    mean = (
        through.assign(d=through["dep_s"] - through["arr_s"])
        .groupby(["line_key", "stop_key"])["d"]
        .mean()
    )
    dwell = np.zeros(n)
    if len(mean):
        dwell[ls_pos.loc[mean.index].to_numpy()] = mean.to_numpy()
    return dwell


def _arcs(
    stations: pd.DataFrame,
    line_stops: pd.DataFrame,
    segments: pd.DataFrame,
    dwell: np.ndarray,
    *,
    boarding_min: Mapping[str, float],
    transfer_penalty_min: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ride, dwell, board, alight and transfer arcs (positions as in the module doc)."""
    n_s, n_l = len(stations), len(line_stops)
    st_in, st_out = np.arange(n_s), n_s + np.arange(n_s)
    arr, dep = 2 * n_s + np.arange(n_l), 2 * n_s + n_l + np.arange(n_l)
    station = line_stops["station"].to_numpy()
    boards = line_stops["departures"].to_numpy() > 0
    board_s = (
        line_stops["service"].map(boarding_min).fillna(0.0).to_numpy() * SECONDS_PER_MIN
        + line_stops["headway_s"].to_numpy() / 2
    )
    a, b = segments["a"].to_numpy(), segments["b"].to_numpy()
    parts = [
        (dep[a], arr[b], segments["ride_s"].to_numpy()),
        (arr, dep, dwell),
        (st_in[station[boards]], dep[boards], board_s[boards]),
        (arr, st_out[station], np.zeros(n_l)),
        (st_out, st_in, np.full(n_s, transfer_penalty_min * SECONDS_PER_MIN)),
    ]
    return (
        np.concatenate([p[0] for p in parts]).astype(np.int64),
        np.concatenate([p[1] for p in parts]).astype(np.int64),
        np.concatenate([np.asarray(p[2], dtype=float) for p in parts]),
    )
