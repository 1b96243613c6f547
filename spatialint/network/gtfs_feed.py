"""Reading one GTFS feed for the analysis day and window, with a clear message for each fault.

The feed is read with `gtfs_kit <https://github.com/mrcagney/gtfs_kit>`_ (a zip or a folder of
``.txt`` files): it is maintained (releases through 2025), reads both forms, keeps GTFS times as
text (so times past 24:00 survive) and answers which services run on a date from
``calendar.txt`` and ``calendar_dates.txt`` (:func:`gtfs_kit.trips.get_active_services`).
partridge, the other candidate, has had no release since 2023 and prunes a feed to one busiest
date by its own rule. Everything after reading is vectorised pandas/numpy here.

:func:`read_feed` returns a :class:`Timetable`: the stops (coordinates, station), the routes
with their service, and the stop times of the trips that run on the analysis day, in seconds of
service time. Faults a user can fix stop with one :class:`~spatialint.errors.DataError` naming
the feed, the file, the rows or ids and what to do: a missing or empty required file, duplicate
ids, stop times naming unknown trips or stops, malformed times, stops without coordinates,
no service on the day. Valid oddities are handled: times past 24:00 (kept as seconds past the
service day's midnight), stop times without a time (interpolated along the trip, as
UrbanAccess does), platforms without coordinates (their station's).
"""

from __future__ import annotations

import datetime
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path

import gtfs_kit
import numpy as np
import pandas as pd

from spatialint.errors import DataError
from spatialint.network.gtfs_services import route_services
from spatialint.settings import WEEKDAYS

logger = logging.getLogger(__name__)

REQUIRED = ("stops", "routes", "trips", "stop_times")
"""GTFS files without which a feed cannot be used (plus calendar or calendar_dates)."""
IDS = {"stops": "stop_id", "routes": "route_id", "trips": "trip_id"}
"""The id column of each file whose ids must be unique."""
SHOWN = 5
"""Ids or rows named in a message (the first ones)."""


@dataclass(frozen=True)
class Timetable:
    """One feed's data for the analysis day.

    Attributes
    ----------
    name
        The feed as configured (its path), for messages.
    date
        The analysis day (``YYYY-MM-DD``).
    stops
        ``stop_id``, ``stop_name``, ``lon``, ``lat``, ``station_id`` (the parent station, else
        the stop itself), ``station_name``.
    routes
        ``route_id``, ``route_name``, ``route_type``, ``service``.
    stop_times
        The day's trips: ``trip_id``, ``route_id``, ``line_id``, ``stop_id``, ``arr_s``,
        ``dep_s`` (seconds of service time), sorted by trip and stop sequence.
    """

    name: str
    date: str
    stops: pd.DataFrame
    routes: pd.DataFrame
    stop_times: pd.DataFrame


def _rows(index: pd.Index) -> str:
    """File line numbers of frame rows (header = line 1)."""
    return ", ".join(str(int(i) + 2) for i in index[:SHOWN]) + (" …" if len(index) > SHOWN else "")


def _ids(values: pd.Series | np.ndarray) -> str:
    vals = list(dict.fromkeys(map(str, values)))
    return ", ".join(vals[:SHOWN]) + (f" … ({len(vals)} in all)" if len(vals) > SHOWN else "")


def isin(values: pd.Series, wanted: pd.Series | pd.Index | np.ndarray) -> np.ndarray:
    """``values.isin(wanted)`` by a hash table of plain objects (pandas' Arrow strings compare
    element by element in Python: minutes on a million stop times)."""
    index = pd.Index(pd.unique(np.asarray(wanted, dtype=object)))
    return index.get_indexer(np.asarray(values, dtype=object)) >= 0


def load_feed(path: str | Path, *, name: str) -> gtfs_kit.Feed:
    """Read a feed with gtfs_kit; refuse a missing path, a broken zip or a missing file."""
    path = Path(path)
    if not path.exists():
        raise DataError(
            f"GTFS feed {name}: {path} does not exist; set transit.feeds to a .zip or a folder "
            "of GTFS .txt files."
        )
    try:
        feed = gtfs_kit.read_feed(path, dist_units="km")
    except (zipfile.BadZipFile, ValueError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise DataError(
            f"GTFS feed {name}: cannot be read ({err}); give a GTFS zip or a folder of its "
            ".txt files (comma-separated, UTF-8)."
        ) from err
    missing = [f"{t}.txt" for t in REQUIRED if getattr(feed, t) is None]
    if feed.calendar is None and feed.calendar_dates is None:
        missing.append("calendar.txt or calendar_dates.txt")
    if missing:
        raise DataError(
            f"GTFS feed {name}: {', '.join(missing)} missing or empty; a feed needs stops, "
            "routes, trips, stop_times and a calendar. Export the complete feed again."
        )
    return feed


def check_unique(feed: gtfs_kit.Feed, name: str) -> None:
    """Refuse duplicate ids in stops, routes, trips, and a repeated stop_sequence of a trip."""
    for table, column in IDS.items():
        frame = getattr(feed, table)
        dup = frame[column].duplicated(keep=False)
        if dup.any():
            raise DataError(
                f"GTFS feed {name}: {table}.txt repeats {column} {_ids(frame.loc[dup, column])} "
                f"(lines {_rows(frame.index[dup])}); each {column} must be unique: remove or "
                "rename the duplicates."
            )
    st = feed.stop_times
    dup = st.duplicated(["trip_id", "stop_sequence"], keep=False)
    if dup.any():
        raise DataError(
            f"GTFS feed {name}: stop_times.txt repeats a stop_sequence within trips "
            f"{_ids(st.loc[dup, 'trip_id'])} (lines {_rows(st.index[dup])}); each stop of a "
            "trip needs its own stop_sequence."
        )
    for table, column in (("trips", "trip_id"), ("stops", "stop_id")):
        unknown = pd.Series(~isin(st[column], getattr(feed, table)[column]), index=st.index)
        if unknown.any():
            raise DataError(
                f"GTFS feed {name}: stop_times.txt names {column} {_ids(st.loc[unknown, column])} "
                f"(lines {_rows(st.index[unknown])}) that {table}.txt lacks; add them or remove "
                "those stop times."
            )


def parse_times(values: pd.Series, *, name: str, column: str) -> np.ndarray:
    """Seconds of service time of GTFS ``H:MM:SS`` strings (hours may pass 24); NaN if empty.

    A feed repeats few distinct times: each is parsed once (``pd.factorize``)."""
    codes, uniques = pd.factorize(values.astype("string").str.strip())
    text = pd.Series(uniques, dtype="string")
    parts = text.str.extract(r"^(\d{1,3}):([0-5]\d):([0-5]\d)$")
    bad_unique = parts[0].isna().to_numpy()
    if bad_unique.any():
        bad = np.flatnonzero(bad_unique[np.maximum(codes, 0)] & (codes >= 0))
        raise DataError(
            f"GTFS feed {name}: stop_times.txt {column} {_ids(values.iloc[bad].astype(str))} "
            f"(lines {_rows(values.index[bad])}) is not a time; give HH:MM:SS (hours past 24 "
            "for trips after midnight, e.g. 25:10:00)."
        )
    h, m, s = (parts[i].astype("float64").to_numpy() for i in range(3))
    seconds = np.append(h * 3600 + m * 60 + s, np.nan)  # code -1 (empty) -> NaN
    return seconds[codes]


def _interpolate(frame: pd.DataFrame) -> pd.DataFrame:
    """Fill stop times without a time linearly between the trip's timed stops (by position)."""
    frame["arr_s"] = frame["arr_s"].fillna(frame["dep_s"])
    frame["dep_s"] = frame["dep_s"].fillna(frame["arr_s"])
    untimed = frame["arr_s"].isna()
    if not untimed.any():
        return frame
    pos = pd.Series(np.arange(len(frame), dtype=float), index=frame.index)
    timed_pos = pos.where(~untimed)
    trip = frame["trip_id"]
    prev_pos, next_pos = timed_pos.groupby(trip).ffill(), timed_pos.groupby(trip).bfill()
    prev_t = frame["dep_s"].groupby(trip).ffill()
    next_t = frame["arr_s"].groupby(trip).bfill()
    share = (pos - prev_pos) / (next_pos - prev_pos)
    filled = prev_t + (next_t - prev_t) * share
    frame.loc[untimed, "arr_s"] = filled[untimed]
    frame.loc[untimed, "dep_s"] = filled[untimed]
    return frame


def _stop_times(feed: gtfs_kit.Feed, trips: pd.DataFrame, name: str) -> pd.DataFrame:
    """The day's stop times, sorted, with times in seconds and gaps interpolated."""
    st = feed.stop_times
    st = st[isin(st["trip_id"], trips["trip_id"])]
    frame = pd.DataFrame(
        {
            "trip_id": st["trip_id"].astype(str).to_numpy(),
            "seq": st["stop_sequence"].astype("int64").to_numpy(),
            "stop_id": st["stop_id"].astype(str).to_numpy(),
            "arr_s": parse_times(st["arrival_time"], name=name, column="arrival_time"),
            "dep_s": parse_times(st["departure_time"], name=name, column="departure_time"),
        }
    ).sort_values(["trip_id", "seq"], kind="stable", ignore_index=True)
    frame = _interpolate(frame)
    lost = frame["arr_s"].isna()
    if lost.any():
        logger.warning(
            "GTFS feed %s: %d stop times of trips %s have no time before or after them in "
            "their trip (a trip's first and last stops must be timed); left out",
            name, int(lost.sum()), _ids(frame.loc[lost, "trip_id"]),
        )  # fmt: skip
        frame = frame[~lost].reset_index(drop=True)
    line = trips.set_index("trip_id")
    frame["route_id"] = line["route_id"].reindex(frame["trip_id"]).to_numpy()
    frame["line_id"] = line["line_id"].reindex(frame["trip_id"]).to_numpy()
    return frame.drop(columns="seq")


def _stops(feed: gtfs_kit.Feed, used: pd.Series, name: str) -> pd.DataFrame:
    """Stops with coordinates (a platform without them takes its station's) and station."""
    stops = feed.stops.copy()
    stops["stop_id"] = stops["stop_id"].astype(str)
    parent = (
        stops["parent_station"].astype("string")
        if "parent_station" in stops
        else pd.Series(pd.NA, index=stops.index, dtype="string")
    )
    by_id = stops.set_index("stop_id")
    lon = pd.to_numeric(stops["stop_lon"], errors="coerce").astype(float)
    lat = pd.to_numeric(stops["stop_lat"], errors="coerce").astype(float)
    bad = lon.isna() | lat.isna() | ~lon.between(-180, 180) | ~lat.between(-90, 90)
    bad |= (lon == 0) & (lat == 0)
    lon, lat = lon.where(~bad), lat.where(~bad)
    has_parent = parent.notna() & parent.isin(by_id.index)
    station_id = parent.where(has_parent, stops["stop_id"]).astype(str)
    station_lon = lon.groupby(stops["stop_id"]).first().reindex(station_id).to_numpy()
    station_lat = lat.groupby(stops["stop_id"]).first().reindex(station_id).to_numpy()
    lon, lat = (
        lon.fillna(pd.Series(station_lon, index=lon.index)),
        lat.fillna(pd.Series(station_lat, index=lat.index)),
    )
    missing = lon.isna() & isin(stops["stop_id"], pd.unique(used.to_numpy()))
    if missing.any():
        raise DataError(
            f"GTFS feed {name}: stops.txt gives no usable stop_lat/stop_lon (empty, out of "
            f"range or 0,0) for stops {_ids(stops.loc[missing, 'stop_id'])} (lines "
            f"{_rows(stops.index[missing])}), which trips of the analysis day serve; add their "
            "coordinates (WGS-84 degrees)."
        )
    names = stops["stop_name"].astype("string") if "stop_name" in stops else stops["stop_id"]
    name_of = pd.Series(names.to_numpy(), index=stops["stop_id"].to_numpy())
    return pd.DataFrame(
        {
            "stop_id": stops["stop_id"].to_numpy(),
            "stop_name": names.fillna(stops["stop_id"]).astype(str).to_numpy(),
            "lon": lon.to_numpy(),
            "lat": lat.to_numpy(),
            "station_id": station_id.to_numpy(),
            "station_name": name_of.reindex(station_id).fillna(station_id).astype(str).to_numpy(),
        }
    )


def _calendar_span(feed: gtfs_kit.Feed) -> str:
    """What the feed's calendar covers, for messages."""
    parts = []
    if feed.calendar is not None:
        cal = feed.calendar
        days = [d for d in WEEKDAYS if (cal[d] == 1).any()]
        parts.append(
            f"calendar.txt: services {_ids(cal['service_id'])} from {cal['start_date'].min()} "
            f"to {cal['end_date'].max()} on {', '.join(days) or 'no weekday'}"
        )
    if feed.calendar_dates is not None:
        cd = feed.calendar_dates
        added = cd[cd["exception_type"] == 1]
        parts.append(
            f"calendar_dates.txt: {len(added)} added service days "
            f"({added['date'].min()}–{added['date'].max()})"
            if len(added)
            else "calendar_dates.txt: no added service day"
        )
    return "; ".join(parts)


def service_date(feed: gtfs_kit.Feed, *, name: str, date: str | None, weekday: str) -> str:
    """``YYYYMMDD`` of the analysis day: ``date``, else the first ``weekday`` with service."""
    if date is not None:
        day = date.replace("-", "")
        if gtfs_kit.trips.get_active_services(feed, day):
            return day
        wd = WEEKDAYS[datetime.date.fromisoformat(date).weekday()]
        raise DataError(
            f"GTFS feed {name}: no service runs on {date} (a {wd}); {_calendar_span(feed)}. "
            "Choose transit.date within the feed's calendar, or leave it out and set "
            "transit.weekday."
        )
    for day in gtfs_kit.calendar.get_dates(feed):
        if WEEKDAYS[datetime.datetime.strptime(day, "%Y%m%d").weekday()] != weekday:
            continue
        if gtfs_kit.trips.get_active_services(feed, day):
            return day
    raise DataError(
        f"GTFS feed {name}: no service runs on any {weekday}; {_calendar_span(feed)}. Set "
        "transit.weekday (or transit.date) to a day the feed runs."
    )


def _lines(trips: pd.DataFrame, stop_times: pd.DataFrame) -> pd.Series:
    """Line of each trip: route + direction_id; without direction_id, route + the last stop
    (trips of a route towards the same terminus), so the two directions never share a wait."""
    route = trips["route_id"].astype(str)
    if "direction_id" in trips and trips["direction_id"].notna().all():
        return route + "|" + trips["direction_id"].astype("int64").astype(str)
    st = stop_times[isin(stop_times["trip_id"], trips["trip_id"])]
    last = st.sort_values("stop_sequence").groupby("trip_id")["stop_id"].last()
    return route + "|>" + last.reindex(trips["trip_id"]).astype(str).to_numpy()


def read_feed(path: str | Path, *, name: str, date: str | None, weekday: str) -> Timetable:
    """Read and check a feed; keep the trips that run on the analysis day (model: module doc).

    Raises
    ------
    DataError
        A fault the feed's publisher or the study's author can fix (each named in the message).
    """
    feed = load_feed(path, name=name)
    check_unique(feed, name)
    if getattr(feed, "frequencies", None) is not None:
        logger.warning(
            "GTFS feed %s: frequencies.txt is not read; trips count by their stop_times only",
            name,
        )
    day = service_date(feed, name=name, date=date, weekday=weekday)
    services = gtfs_kit.trips.get_active_services(feed, day)
    trips = feed.trips[feed.trips["service_id"].isin(services)].copy()
    trips["trip_id"] = trips["trip_id"].astype(str)
    trips["route_id"] = trips["route_id"].astype(str)
    trips["line_id"] = _lines(trips, feed.stop_times).to_numpy()
    stop_times = _stop_times(feed, trips, name)
    routes = route_services(feed.routes, name=name)
    return Timetable(
        name=name,
        date=f"{day[:4]}-{day[4:6]}-{day[6:]}",
        stops=_stops(feed, stop_times["stop_id"], name),
        routes=routes,
        stop_times=stop_times,
    )
