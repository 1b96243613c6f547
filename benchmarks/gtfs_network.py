"""Benchmark: a GTFS feed of ~2,000 stops and 50,000 trips to frequency-based edges, same run.

    nice python benchmarks/gtfs_network.py                 # 100 lines x 20 stops, 50,000 trips
    nice python benchmarks/gtfs_network.py --trips 10000   # smaller

A synthetic feed (``--lines`` routes of 20 stops each, both directions, trips spread over the
day, one stop in five shared between two lines) is written as a GTFS folder, then both sides
build the same frequency-based network for 07:00-09:00: mean in-vehicle time per stop-to-stop
segment of each line and the headway of each line at each stop.

``ours``
    :func:`spatialint.network.gtfs_feed.read_feed` (gtfs_kit reading, checks, times,
    the day's services) and :func:`spatialint.network.gtfs_network.frequency_network`
    (grouped numpy/pandas, no loop over trips). Timed: the read and the edges separately.
``per-trip loop``
    The common approach, as UrbanAccess's ``_format_transit_net_edge`` builds edges: a Python
    loop over ``stop_times.groupby(trip)``, one small frame of consecutive-stop edges per trip,
    concatenated and averaged; headways as UrbanAccess's ``_calc_headways_by_route_stop``:
    ``groupby(route, stop).apply`` of the mean gap between departures. It starts from the same
    parsed stop times (its read is not counted).

Prints both times, the ratio, and whether both give the same segment times. Then the walks
between the stations and a road grid of ``--grid`` × ``--grid`` nodes 100 m apart
(:func:`spatialint.network.gtfs_walk.station_walks`, 800 m), which have no counterpart to
compare with here (UrbanAccess links each stop to its nearest node only).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from spatialint.network.graph import CSRGraph  # noqa: E402
from spatialint.network.gtfs_feed import read_feed  # noqa: E402
from spatialint.network.gtfs_network import frequency_network  # noqa: E402
from spatialint.network.gtfs_walk import station_walks  # noqa: E402

STOPS_PER_LINE = 20
WINDOW_S = (7 * 3600, 9 * 3600)


def write_feed(folder: Path, *, lines: int, trips: int, seed: int = 1) -> tuple[int, int]:
    """A synthetic feed; returns (stops, trips) written."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    n_stops = lines * STOPS_PER_LINE
    stop_of = np.arange(n_stops).reshape(lines, STOPS_PER_LINE)
    stop_of[1:, ::5] = stop_of[:-1, ::5]  # every fifth stop shared with the previous line
    used = np.unique(stop_of)
    pd.DataFrame({"stop_id": [f"s{i}" for i in used], "stop_name": [f"Stop {i}" for i in used],
                  "stop_lat": 27.9 + (used % 50) * 0.01, "stop_lon": 113.5 + (used // 50) * 0.01}
                 ).to_csv(folder / "stops.txt", index=False)  # fmt: skip
    pd.DataFrame({"route_id": [f"r{i}" for i in range(lines)], "route_short_name":
                  [f"{i}" for i in range(lines)], "route_type": 3}).to_csv(
        folder / "routes.txt", index=False)  # fmt: skip
    per_line = trips // (2 * lines)
    line = np.repeat(np.arange(lines), 2 * per_line)
    direction = np.tile(np.repeat([0, 1], per_line), lines)
    start = rng.uniform(5 * 3600, 23 * 3600, len(line)).round()
    trip_ids = np.array([f"t{i}" for i in range(len(line))])
    pd.DataFrame({"route_id": [f"r{i}" for i in line], "service_id": "WK", "trip_id": trip_ids,
                  "direction_id": direction}).to_csv(folder / "trips.txt", index=False)  # fmt: skip
    seq = np.tile(np.arange(STOPS_PER_LINE), len(line))
    hop = rng.integers(60, 180, (lines, STOPS_PER_LINE)).astype(float)
    hop[:, 0] = 0
    cum = np.cumsum(hop, axis=1)
    along = cum[line].ravel()
    rev = np.where(np.repeat(direction, STOPS_PER_LINE) == 1, STOPS_PER_LINE - 1 - seq, seq)
    stop = stop_of[np.repeat(line, STOPS_PER_LINE), rev]
    t = np.repeat(start, STOPS_PER_LINE) + np.where(
        np.repeat(direction, STOPS_PER_LINE) == 1,
        cum[np.repeat(line, STOPS_PER_LINE), -1] - cum[np.repeat(line, STOPS_PER_LINE), rev],
        along,
    )
    text = pd.Series((t // 3600).astype(int)).map("{:02d}".format) + ":" + pd.Series(
        (t % 3600 // 60).astype(int)).map("{:02d}".format) + ":" + pd.Series(
        (t % 60).astype(int)).map("{:02d}".format)  # fmt: skip
    pd.DataFrame({"trip_id": np.repeat(trip_ids, STOPS_PER_LINE), "arrival_time": text,
                  "departure_time": text, "stop_id": [f"s{i}" for i in stop],
                  "stop_sequence": seq}).to_csv(folder / "stop_times.txt", index=False)  # fmt: skip
    pd.DataFrame([{"service_id": "WK", "monday": 1, "tuesday": 1, "wednesday": 1,
                   "thursday": 1, "friday": 1, "saturday": 0, "sunday": 0,
                   "start_date": "20250101", "end_date": "20251231"}]).to_csv(
        folder / "calendar.txt", index=False)  # fmt: skip
    return len(used), len(line)


def per_trip_loop(st: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """The common approach (module doc): edges trip by trip, headways by groupby-apply."""
    edges = []
    for _, trip in st.groupby("trip_id", sort=False):
        if not ((trip["dep_s"] >= WINDOW_S[0]) & (trip["dep_s"] < WINDOW_S[1])).iloc[:-1].any():
            continue
        edges.append(pd.DataFrame({
            "line_key": trip["line_key"].iloc[0],
            "from": trip["stop_key"].to_numpy()[:-1], "to": trip["stop_key"].to_numpy()[1:],
            "ride_s": trip["arr_s"].to_numpy()[1:] - trip["dep_s"].to_numpy()[:-1],
        }))  # fmt: skip
    segments = pd.concat(edges).groupby(["line_key", "from", "to"])["ride_s"].mean()
    in_window = st[(st["dep_s"] >= WINDOW_S[0]) & (st["dep_s"] < WINDOW_S[1])]
    headways = in_window.groupby(["line_key", "stop_key"]).apply(
        lambda x: x["dep_s"].sort_values().diff().mean(), include_groups=False
    )
    return segments.sort_index(), headways


def road_grid(side: int) -> tuple[CSRGraph, pd.DataFrame]:
    """A two-way grid of ``side``² road nodes 100 m apart over the feed's stops."""
    idx = np.arange(side * side).reshape(side, side)
    pairs = np.vstack([np.column_stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()]),
                       np.column_stack([idx[:-1, :].ravel(), idx[1:, :].ravel()])])  # fmt: skip
    lon = 113.5 + (idx % side).ravel() * 100 / 98_400
    lat = 27.9 + (idx // side).ravel() * 100 / 110_800
    u, v = np.concatenate([pairs[:, 0], pairs[:, 1]]), np.concatenate([pairs[:, 1], pairs[:, 0]])
    graph = CSRGraph.from_arcs(np.arange(side * side), lon, lat, u, v, np.full(len(u), 10.0))
    return graph, pd.DataFrame({"u": u, "v": v, "length_m": 100.0})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100)
    parser.add_argument("--trips", type=int, default=50_000)
    parser.add_argument("--grid", type=int, default=500, help="road grid side (0: no walks)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "feed"
        n_stops, n_trips = write_feed(folder, lines=args.lines, trips=args.trips)
        print(f"feed: {n_stops} stops, {n_trips} trips, {n_trips * STOPS_PER_LINE} stop times")
        t0 = time.perf_counter()
        table = read_feed(folder, name="bench", date=None, weekday="monday")
        t1 = time.perf_counter()
        net = frequency_network([table], window_s=WINDOW_S, boarding_min={},
                                transfer_penalty_min=5.0)  # fmt: skip
        t2 = time.perf_counter()
    ours_read, ours_edges = t1 - t0, t2 - t1
    st = table.stop_times.assign(
        line_key=table.stop_times["line_id"], stop_key=table.stop_times["stop_id"]
    )
    t3 = time.perf_counter()
    segments, _ = per_trip_loop(st)
    loop_s = time.perf_counter() - t3
    ls, seg = net.line_stops, net.segments
    ours = pd.Series(
        seg["ride_s"].to_numpy(),
        index=pd.MultiIndex.from_arrays([
            ls["line_key"].to_numpy()[seg["a"]], ls["stop_key"].to_numpy()[seg["a"]],
            ls["stop_key"].to_numpy()[seg["b"]]]),
    ).sort_index()  # fmt: skip
    ours.index = ours.index.set_levels([lv.str.replace("0:", "", n=1) for lv in ours.index.levels])
    same = np.allclose(ours.to_numpy(), segments.to_numpy()) and len(ours) == len(segments)
    print(f"ours: read + checks {ours_read:.2f} s, edges {ours_edges:.2f} s "
          f"({len(seg)} segments, {len(ls)} line stops, {len(net.src)} arcs)")  # fmt: skip
    print(f"per-trip loop (UrbanAccess style), edges + headways: {loop_s:.2f} s")
    print(f"ratio (edges): {loop_s / ours_edges:.1f}x; same segment times: {same}")
    if args.grid:
        graph, edges = road_grid(args.grid)
        t4 = time.perf_counter()
        walks = station_walks(graph, edges, net.stations, max_walk_m=800.0, walk_kph=4.8)
        print(f"walks: {len(net.stations)} stations to a {graph.n_nodes:,}-node road grid: "
              f"{time.perf_counter() - t4:.2f} s, {len(walks.road):,} walk links")  # fmt: skip


if __name__ == "__main__":
    main()
