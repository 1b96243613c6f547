"""Speed factors fitted to observed trips: the ``calibrated`` speed profile.

A planner's observed trips (:func:`read_observed_trips`) are snapped to the nearest road nodes
(:class:`spatialint.geo.NearestNodes`), screened, and routed on the road graph
(:func:`spatialint.network.trip_paths.trip_group_seconds`), which splits each trip's fastest
path into the free-flow seconds it spends in each road group (``urban_arterial``, ...). With
``x_g = 1 / factor_g`` a trip's modelled time is ``sum_g T_g · x_g``, linear in ``x``; the
factors are fitted by robust bounded least squares on the relative error of each trip
(:func:`scipy.optimize.least_squares`, ``loss="soft_l1"``, so a few odd trips do not pull the
fit), within ``bounds``. Slower roads change which path is fastest, so the trips are re-routed
with the new factors and the fit repeated until no factor moves by more than
:data:`CONVERGED_CHANGE` (at most :data:`MAX_ROUNDS` rounds).

Screening (each excluded trip is listed with its reason, :data:`SAMPLE_REASON_WORDS`): missing
numbers (``invalid``), with an ``hours`` window (``speeds.trip_hours``) a time of day outside
it (``outside_hours``) or none (``no_time``), a repeat of an earlier row (``duplicate``), an
end farther than ``snap_max_m`` from every road node (``not_snappable``), both ends on one node
(``same_node``),
no path (``no_route``), faster than the free-flow fastest path at the largest factor allows
(``too_fast``), or slower than walking, :data:`WALK_KPH`, along that path (``too_slow``).

A group fits only from trips that spend at least :data:`GROUP_SHARE_MIN` of their free-flow
time in it; with fewer than ``min_trips_per_group`` such trips it keeps its start factor (the
peak default), and the fit table says so.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
from scipy.optimize import least_squares

from spatialint.contracts.io import write_csv
from spatialint.contracts.network import SPEED_FIT, SPEED_SAMPLES
from spatialint.errors import DataError
from spatialint.geo import NearestNodes
from spatialint.network.graph import CSRGraph
from spatialint.network.observed_trips import read_observed_trips
from spatialint.network.trip_paths import GroupedEdges, TripPaths, trip_group_seconds

__all__ = [
    "Calibration",
    "calibrate_road_edges",
    "calibrate_speed_factors",
    "read_observed_trips",
    "write_calibration",
]

logger = logging.getLogger(__name__)

WALK_KPH = 5.0
"""A trip slower than walking along its path is not a drive (a typical walking speed)."""
GROUP_SHARE_MIN = 0.1
"""A trip informs a group when at least this share of its free-flow time lies in the group."""
CONVERGED_CHANGE = 0.005
"""The fit has converged when no factor moves by more than this share between rounds."""
MAX_ROUNDS = 5
"""Re-route and refit at most this many times."""
FIT_SCALE = 0.05
"""``f_scale`` of the soft-L1 loss: relative errors beyond ~5 % count less than squared."""
DUPLICATE_DECIMALS = 6
"""Coordinates (degrees) and minutes are compared to this many decimals to find repeats."""


@dataclass(frozen=True)
class Calibration:
    """The result of :func:`calibrate_speed_factors`.

    Attributes
    ----------
    factors
        Speed factor per group (fitted, or the start factor where kept).
    fit
        The :data:`~spatialint.contracts.network.SPEED_FIT` table.
    samples
        The :data:`~spatialint.contracts.network.SPEED_SAMPLES` table.
    rounds
        Routing-and-fit rounds done.
    converged
        Whether the factors settled (moved < :data:`CONVERGED_CHANGE`) within
        :data:`MAX_ROUNDS`.
    """

    factors: dict[str, float]
    fit: pd.DataFrame
    samples: pd.DataFrame
    rounds: int
    converged: bool


def _straight_m(lon1, lat1, lon2, lat2) -> np.ndarray:  # noqa: ANN001 - arrays
    """Geodesic metres between two sets of WGS-84 points."""
    return np.asarray(pyproj.Geod(ellps="WGS84").inv(lon1, lat1, lon2, lat2)[2], dtype=float)


def trip_hours(time_of_day: pd.Series) -> np.ndarray:
    """Hour of the day (07:30 → 7.5) of each ``time_of_day``: ``7``, ``7.5``, ``07:30``,
    ``07:30:00`` or a date and time (``2024-05-08 07:30``); NaN where it is missing or not
    a time."""
    text = time_of_day.astype("string").str.strip()
    clock = text.str.extract(r"(?:^|[ T])(\d{1,2}):(\d{2})(?::\d{2})?$").astype(float)
    hours = clock[0] + clock[1] / 60.0
    plain = pd.to_numeric(text, errors="coerce").astype(float)  # a bare hour: 7 or 7.5
    hours = hours.fillna(plain).to_numpy(dtype=float)
    return np.where((hours >= 0) & (hours <= 24), hours, np.nan)


def _in_window(hours: np.ndarray, window: tuple[float, float]) -> np.ndarray:
    """Whether each hour lies in ``[start, end)``; a window whose start is after its end runs
    over midnight (``[22, 6]``)."""
    start, end = window
    if start <= end:
        return (hours >= start) & (hours < end)
    return (hours >= start) | (hours < end)


def _screen_rows(trips: pd.DataFrame, hours: tuple[float, float] | None) -> np.ndarray:
    """The reason (or "") of each trip that is invalid, outside the ``hours`` window (when
    given; ``no_time`` when its time of day is missing) or a repeat of an earlier row."""
    numbers = trips[["o_lon", "o_lat", "d_lon", "d_lat", "minutes"]].to_numpy(dtype=float)
    reason = np.where(np.isnan(numbers).any(axis=1), "invalid", "").astype(object)
    if hours is not None:
        hour = trip_hours(trips["time_of_day"])
        reason[np.isnan(hour) & (reason == "")] = "no_time"
        reason[~np.isnan(hour) & ~_in_window(hour, hours) & (reason == "")] = "outside_hours"
    key = pd.DataFrame(np.round(numbers, DUPLICATE_DECIMALS)).assign(
        t=trips["time_of_day"].astype("string").fillna("").to_numpy()
    )
    repeat = key.duplicated(keep="first").to_numpy() & (reason == "")
    reason[repeat] = "duplicate"
    return reason


@dataclass
class _Snapped:
    o_node: np.ndarray
    d_node: np.ndarray
    o_m: np.ndarray
    d_m: np.ndarray


def _snap(
    trips: pd.DataFrame, node_lon: np.ndarray, node_lat: np.ndarray, reason: np.ndarray,
    snap_max_m: float,
) -> _Snapped:  # fmt: skip
    """Snap the valid trips' ends; mark ends too far away and trips on one node."""
    n = len(trips)
    out = _Snapped(np.full(n, -1), np.full(n, -1), np.full(n, np.nan), np.full(n, np.nan))
    valid = np.flatnonzero(reason != "invalid")
    near = NearestNodes(node_lon, node_lat)
    for node, dist, lon, lat in ((out.o_node, out.o_m, "o_lon", "o_lat"),
                                 (out.d_node, out.d_m, "d_lon", "d_lat")):  # fmt: skip
        pos, metres = near.query(trips[lon].to_numpy()[valid], trips[lat].to_numpy()[valid])
        node[valid], dist[valid] = pos, metres
    far = (np.fmax(out.o_m, out.d_m) > snap_max_m) & (reason == "")
    reason[far] = "not_snappable"
    if valid.size and (reason[valid] == "not_snappable").all():
        raise DataError(
            f"none of the {valid.size} observed trips lies within {snap_max_m:g} m of the road "
            f"network (nearest end {np.nanmin(np.fmax(out.o_m, out.d_m)):,.0f} m away); check "
            "that the trips are in the study area and that speeds.observed_crs is right "
            "(wgs84 or gcj02)."
        )
    reason[(out.o_node == out.d_node) & (reason == "")] = "same_node"
    return out


def _screen_routes(
    free: TripPaths, observed_s: np.ndarray, reason: np.ndarray, top_factor: float,
    node_gap_m: np.ndarray,
) -> None:  # fmt: skip
    """Mark trips without a route, faster than the free-flow path allows at ``top_factor``,
    or slower than walking along it (its metres; the nodes' distance without edge lengths)."""
    open_ = reason == ""
    reason[open_ & ~free.reached] = "no_route"
    free_s = free.modelled_s(np.ones(free.seconds.shape[1]))
    with np.errstate(invalid="ignore"):
        reason[(reason == "") & (observed_s < free_s / top_factor)] = "too_fast"
        metres = np.where(np.isnan(free.length_m), node_gap_m, free.length_m)
        reason[(reason == "") & (metres / observed_s * 3.6 < WALK_KPH)] = "too_slow"


def _fit_round(
    paths: TripPaths, observed_s: np.ndarray, factors: np.ndarray, fitted: np.ndarray,
    bounds: tuple[float, float],
) -> np.ndarray:  # fmt: skip
    """One robust bounded least-squares fit of ``x = 1/factor`` of the ``fitted`` groups (the
    others fixed at ``factors``), on the trips' relative errors."""
    if not fitted.any():
        return factors.copy()
    t_fit, t_fixed = paths.seconds[:, fitted], paths.seconds[:, ~fitted]
    fixed_s = t_fixed @ (1.0 / factors[~fitted])
    low, high = 1.0 / bounds[1], 1.0 / bounds[0]
    x0 = np.clip(1.0 / factors[fitted], low, high)

    def residual(x: np.ndarray) -> np.ndarray:
        return (t_fit @ x + fixed_s - observed_s) / observed_s

    def jacobian(_: np.ndarray) -> np.ndarray:
        return t_fit / observed_s[:, None]

    result = least_squares(residual, x0, jac=jacobian, bounds=(low, high), loss="soft_l1",
                           f_scale=FIT_SCALE)  # fmt: skip
    out = factors.copy()
    out[fitted] = 1.0 / result.x
    return out


def _informs(paths: TripPaths) -> np.ndarray:
    """(trips × groups) whether a trip spends at least GROUP_SHARE_MIN of its time there."""
    total = paths.seconds.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return paths.seconds / total >= GROUP_SHARE_MIN


def _fit_factors(
    edges: GroupedEdges, snapped: _Snapped, use: np.ndarray, observed_s: np.ndarray,
    start: np.ndarray, free: TripPaths, *, bounds: tuple[float, float], min_trips: int,
) -> tuple[np.ndarray, np.ndarray, TripPaths, TripPaths, int, bool]:  # fmt: skip
    """Route-and-fit rounds; returns the factors, which groups were fitted, the paths under
    the start factors and under the fitted factors, the rounds and whether the fit converged.

    Each routing is limited by the time of the trip's previous path (``free``, the free-flow
    paths of the ``use`` trips, for the first) under the factors it routes with: a bound of
    its fastest time, so the searches stop early with the same paths."""
    o, d, obs = snapped.o_node[use], snapped.d_node[use], observed_s[use]
    factors, first, fitted = start.copy(), None, np.zeros(start.size, dtype=bool)
    paths, converged, round_ = free, False, 0
    while round_ < MAX_ROUNDS and not converged:
        round_ += 1
        paths = trip_group_seconds(edges, factors, o, d, limit_s=paths.modelled_s(factors))
        first = paths if first is None else first
        counts = _informs(paths).sum(axis=0)
        fitted = counts >= min_trips
        new = _fit_round(paths, obs, factors, fitted, bounds)
        change = float(np.max(np.abs(new / factors - 1))) if new.size else 0.0
        logger.info(
            "speed calibration round %d on %d trips: %s (largest change %.2f %%)", round_,
            obs.size, ", ".join(f"{g} {f:.3f}" for g, f in zip(edges.groups, new, strict=True)),
            100 * change,
        )  # fmt: skip
        factors, converged = new, change < CONVERGED_CHANGE
    after = trip_group_seconds(edges, factors, o, d, limit_s=paths.modelled_s(factors))
    return factors, fitted, first, after, round_, converged


def _used_paths(paths: TripPaths, keep: np.ndarray) -> TripPaths:
    """The ``keep`` trips of ``paths``."""
    return TripPaths(paths.seconds[keep], paths.length_m[keep], paths.reached[keep])


def _errors(modelled_s: np.ndarray, observed_s: np.ndarray) -> tuple[float, float]:
    error_min = np.abs(modelled_s - observed_s) / 60.0
    if error_min.size == 0:
        return np.nan, np.nan
    return float(np.median(error_min)), float(np.quantile(error_min, 0.9))


def _fit_table(
    groups: tuple[str, ...], start: np.ndarray, factors: np.ndarray, fitted: np.ndarray,
    bounds: tuple[float, float], informs: np.ndarray, before_s: np.ndarray,
    after_s: np.ndarray, observed_s: np.ndarray,
) -> pd.DataFrame:  # fmt: skip
    rows = []
    for g, key in enumerate(groups):
        mask = informs[:, g]
        at_bound = np.isclose(factors[g], bounds).any()
        status = ("at_bound" if at_bound else "fitted") if fitted[g] else (
            "too_few_trips" if mask.any() else "no_trips")  # fmt: skip
        rows.append((key, int(mask.sum()), factors[g], start[g], status,
                     *_errors(before_s[mask], observed_s[mask]),
                     *_errors(after_s[mask], observed_s[mask])))  # fmt: skip
    rows.append(("all", int(observed_s.size), np.nan, np.nan, "all",
                 *_errors(before_s, observed_s), *_errors(after_s, observed_s)))  # fmt: skip
    return pd.DataFrame(rows, columns=list(SPEED_FIT.names))


def _samples_table(
    trips: pd.DataFrame, snapped: _Snapped, node_ids: np.ndarray | None, reason: np.ndarray,
    minutes: Mapping[str, np.ndarray],
) -> pd.DataFrame:  # fmt: skip
    def node(pos: np.ndarray) -> pd.Series:
        ids = pos if node_ids is None else np.asarray(node_ids)[np.maximum(pos, 0)]
        return pd.Series(ids, dtype="Int64").mask(pos < 0)

    return pd.DataFrame(
        {
            **{c: trips[c].to_numpy() for c in ("trip", "o_lon", "o_lat", "d_lon", "d_lat")},
            "time_of_day": trips["time_of_day"].astype("string").to_numpy(),
            "o_node": node(snapped.o_node),
            "d_node": node(snapped.d_node),
            "o_snap_m": snapped.o_m,
            "d_snap_m": snapped.d_m,
            "observed_min": trips["minutes"].to_numpy(dtype=float),
            **minutes,
            "used": reason == "",
            "reason": pd.Series(reason, dtype="string").replace("", pd.NA),
        }
    )


def calibrate_speed_factors(
    node_lon: np.ndarray,
    node_lat: np.ndarray,
    edge_u_pos: np.ndarray,
    edge_v_pos: np.ndarray,
    edge_time_s: np.ndarray,
    edge_group: np.ndarray,
    trips: pd.DataFrame,
    *,
    start_factors: Mapping[str, float],
    bounds: tuple[float, float],
    min_trips_per_group: int,
    snap_max_m: float,
    edge_length_m: np.ndarray | None = None,
    node_ids: np.ndarray | None = None,
    hours: tuple[float, float] | None = None,
) -> Calibration:
    """Fit one speed factor per road group to observed trips (method: module docstring).

    Parameters
    ----------
    node_lon, node_lat
        WGS-84 position of each graph node (node positions 0..n-1).
    edge_u_pos, edge_v_pos, edge_time_s, edge_group
        Per directed edge: end node positions, free-flow seconds, group key
        (``f"{area}_{group}"``).
    trips
        Observed trips as :func:`read_observed_trips` returns them.
    start_factors
        Factor of every group before calibration (the peak defaults); a group with too few
        trips keeps it. Must name every group of ``edge_group``.
    bounds
        Smallest and largest factor a fit may return (``speeds.factor_bounds``).
    min_trips_per_group
        Fewer informing trips than this: the group keeps its start factor.
    snap_max_m
        A trip end farther than this from every node is ``not_snappable``.
    edge_length_m
        Metres of each edge, for the walking-speed check (else the nodes' straight distance).
    node_ids
        Node ids to report in the samples' ``o_node``/``d_node`` (else positions).

    Returns
    -------
    Calibration
        Factors, fit table, samples table, rounds, convergence.

    Raises
    ------
    DataError
        Every trip is unsnappable, or no trip is left to fit after screening.
    """
    groups = tuple(start_factors)
    edge_group = np.asarray(edge_group).astype(str)
    unknown = sorted(set(np.unique(edge_group)) - set(groups))
    if unknown:
        raise ValueError(f"start_factors lack the groups {unknown}")
    low, high = (float(b) for b in bounds)
    if not 0 < low < high:
        raise ValueError(f"bounds must be 0 < low < high, got {bounds}")
    codes = pd.Series(edge_group).map({g: i for i, g in enumerate(groups)}).to_numpy(np.int64)
    edges = GroupedEdges(
        n_nodes=len(node_lon), u=np.asarray(edge_u_pos, np.int64),
        v=np.asarray(edge_v_pos, np.int64), time_s=np.asarray(edge_time_s, float), group=codes,
        groups=groups, length_m=None if edge_length_m is None else np.asarray(edge_length_m, float),
    )  # fmt: skip
    reason = _screen_rows(trips, hours)
    snapped = _snap(trips, node_lon, node_lat, reason, snap_max_m)
    observed_s = trips["minutes"].to_numpy(dtype=float) * 60.0
    open_ = np.flatnonzero(reason == "")
    ones = np.ones(len(groups))
    # a trip whose free-flow time exceeds observed × the top factor is too fast: searching
    # that far finds every other trip (and a trip not found is searched again in full)
    free = trip_group_seconds(edges, ones, snapped.o_node[open_], snapped.d_node[open_],
                              limit_s=observed_s[open_] * high)  # fmt: skip
    sub_reason = reason[open_]
    o, d = snapped.o_node[open_], snapped.d_node[open_]
    gap_m = _straight_m(node_lon[o], node_lat[o], node_lon[d], node_lat[d])
    _screen_routes(free, observed_s[open_], sub_reason, high, gap_m)
    reason[open_] = sub_reason
    use = reason == ""
    if not use.any():
        counts = pd.Series(reason).value_counts().to_dict()
        raise DataError(
            f"no observed trip is usable for calibration: of {len(trips)} trips, {counts}; "
            "check the trips' coordinates and minutes and speeds.observed_crs."
        )
    start = np.array([float(start_factors[g]) for g in groups])
    used_free = _used_paths(free, use[open_])
    factors, fitted, before, after, rounds, converged = _fit_factors(
        edges, snapped, use, observed_s, start, used_free, bounds=(low, high),
        min_trips=min_trips_per_group,
    )  # fmt: skip
    before_s, after_s = before.modelled_s(start), after.modelled_s(factors)
    fit = _fit_table(groups, start, factors, fitted, (low, high), _informs(after), before_s,
                     after_s, observed_s[use])  # fmt: skip
    minutes = {name: np.full(len(trips), np.nan) for name in
               ("free_flow_min", "modelled_before_min", "modelled_after_min")}  # fmt: skip
    minutes["free_flow_min"][open_] = free.modelled_s(ones) / 60.0
    minutes["modelled_before_min"][use] = before_s / 60.0
    minutes["modelled_after_min"][use] = after_s / 60.0
    samples = _samples_table(trips, snapped, node_ids, reason, minutes)
    _log_result(fit, samples, converged, rounds)
    return Calibration(
        factors={g: float(f) for g, f in zip(groups, factors, strict=True)},
        fit=fit, samples=samples, rounds=rounds, converged=converged,
    )  # fmt: skip


def _log_result(fit: pd.DataFrame, samples: pd.DataFrame, converged: bool, rounds: int) -> None:
    excluded = samples["reason"].value_counts().to_dict()
    total = fit[fit["group"] == "all"].iloc[0]
    logger.info(
        "speed calibration %s after %d round(s): %d trips used, excluded %s; median error "
        "%.1f → %.1f min, p90 %.1f → %.1f min",
        "converged" if converged else "stopped unconverged", rounds, int(samples["used"].sum()),
        excluded or "none", total["median_error_before_min"], total["median_error_after_min"],
        total["p90_error_before_min"], total["p90_error_after_min"],
    )  # fmt: skip
    kept = fit[fit["status"].isin(["too_few_trips", "no_trips"])]
    for row in kept.itertuples(index=False):
        logger.warning(
            "speed group %s: %d informing trip(s), fewer than speeds.min_trips_per_group; it "
            "keeps its default factor %.2f", row.group, row.trips, row.start_factor,
        )  # fmt: skip


def calibrate_road_edges(
    edges: pd.DataFrame,
    graph: CSRGraph,
    trips: pd.DataFrame,
    *,
    start_factors: Mapping[str, float],
    bounds: tuple[float, float],
    min_trips_per_group: int,
    snap_max_m: float,
    hours: tuple[float, float] | None = None,
) -> Calibration:
    """:func:`calibrate_speed_factors` on the road stage's tables: ``edges`` with the
    :data:`~spatialint.contracts.ROAD_EDGES` columns ``u``, ``v``, ``length_m``,
    ``free_flow_kph`` and ``speed_group``, routed on the nodes of ``graph`` (its node order)."""
    u, v = graph.edge_positions(edges["u"].to_numpy(), edges["v"].to_numpy())
    length_m = edges["length_m"].to_numpy(dtype=float)
    return calibrate_speed_factors(
        graph.x, graph.y, u, v, length_m / edges["free_flow_kph"].to_numpy(dtype=float) * 3.6,
        edges["speed_group"].to_numpy(dtype=str), trips, start_factors=start_factors,
        bounds=bounds, min_trips_per_group=min_trips_per_group, snap_max_m=snap_max_m,
        edge_length_m=length_m, node_ids=graph.node_ids, hours=hours,
    )  # fmt: skip


def write_calibration(
    calibration: Calibration | None, fit_path: str | Path, samples_path: str | Path
) -> None:
    """Write the fit and the samples as CSV through their contracts (``network/speed_fit.csv``
    and ``network/speed_samples.csv``); without a calibration (profile free_flow or peak) both
    tables are written empty, so the files always say what the times rest on."""
    if calibration is None:
        write_csv(SPEED_FIT.empty(), SPEED_FIT, fit_path)
        write_csv(SPEED_SAMPLES.empty(), SPEED_SAMPLES, samples_path)
        return
    write_csv(calibration.fit, SPEED_FIT, fit_path)
    write_csv(calibration.samples, SPEED_SAMPLES, samples_path)
