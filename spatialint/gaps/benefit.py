"""Benefit of closing each gap: travel time saved on sampled trips across it, and the ranking.

For a gap between dead end ``a`` and the facing road's node ``b`` (see
:mod:`spatialint.gaps.dead_ends`), origins ``O`` and destinations ``D`` are sampled among the
road nodes within ``gaps.benefit_radius_m`` of the gap, on the dead end's side and on the other
side. Trips run both ways (O → D and D → O).

Closing the gap adds a two-way link of time ``L`` (the straight-line gap at the configured speed
of the link's class, plus the stretch from the nearest point of the facing road to ``b`` at that
road's speed). No full recomputation is needed: with four shortest-path trees per gap (from and
to ``a`` and ``b``; "to" uses :func:`spatialint.network.routing.travel_times` with
``reverse=True``)::

    new(o, d) = min(old(o, d), t(o→a) + L + t(b→d), t(o→b) + L + t(a→d))

``old(o, d)`` comes from one multi-source Dijkstra from the sampled nodes. Searches stop at
``gaps.benefit_cutoff_min``; an old time beyond it counts as the cutoff (so savings are
conservative) and a new route through a beyond the cutoff does not count.

Measures per gap: ``minutes_saved_mean`` (mean over improving trips), ``pairs_improving``,
``minutes_saved_per_trip`` (mean over all sampled trips: it weighs how much and how many trips
gain) and ``rank`` (1 = largest benefit).

Where the study has a population layer, ``person_minutes_saved`` weighs the trips by people:
every resident within ``benefit_radius_m`` on either side is counted at the sampled node nearest
to them (on their side), and makes **one trip to the other side**, to a destination drawn in
proportion to population there::

    person_minutes = Σ_o P_o Σ_d (P_d / P_D) s(o→d)  +  Σ_d P_d Σ_o (P_o / P_O) s(d→o)

in minutes (``P`` population at sampled nodes, ``s`` minutes saved). It is an index per round of
one cross-border trip per resident, not a traffic forecast (no trip rates are assumed). With
population the ranking key is ``person_minutes_saved``, else ``minutes_saved_per_trip``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from spatialint.errors import DataError
from spatialint.geo import to_metric, utm_crs_for
from spatialint.network.graph import CSRGraph
from spatialint.network.routing import travel_times
from spatialint.settings import GapSettings

logger = logging.getLogger(__name__)

#: A trip counts as improved when the new link saves at least this many seconds (below this
#: the difference is rounding in the float32 travel times).
MIN_SAVING_S = 1.0
KPH_TO_MPS = 1000.0 / 3600.0


def link_times(
    dead_ends: pd.DataFrame,
    *,
    speeds_kph: Mapping[str, float],
    speed_factor: np.ndarray | None = None,
) -> pd.DataFrame:
    """Class and travel time (seconds) of the link that would close each gap.

    The link takes the planned way's class when a planned way bridges the gap, else the class of
    the dead-end road it extends; its speed is ``network.speeds_kph`` of that class, times the
    speed profile's factor at the dead end (``speed_factor`` per gap; ``None``: free flow).

    Raises
    ------
    DataError
        When the link class has no speed in ``network.speeds_kph``.
    """
    planned_class = dead_ends["planned_class"].fillna("").astype(str)
    link_class = np.where(planned_class != "", planned_class, dead_ends["highway"].astype(str))
    missing = sorted({c for c in link_class if c not in speeds_kph})
    if missing:
        raise DataError(
            f"No speed for road class(es) {', '.join(missing)} in network.speeds_kph; add them "
            "to the study config so the time of a new link can be estimated."
        )
    speed_mps = np.array([speeds_kph[c] for c in link_class], dtype=float) * KPH_TO_MPS
    if speed_factor is not None:
        speed_mps = speed_mps * np.asarray(speed_factor, dtype=float)
    seconds = dead_ends["gap_m"].to_numpy(float) / np.maximum(speed_mps, 0.1)
    return pd.DataFrame({"link_class": link_class, "link_time_s": seconds}, index=dead_ends.index)


def split_edge(graph: CSRGraph, u: int, v: int, fraction: float) -> tuple[CSRGraph, int]:
    """The graph with a new node on the arc(s) between u and v, ``fraction`` of the way from u.

    The new node (the point of the facing road where a link would join it) gets the arcs
    u → p → v and v → p → u that exist as u → v / v → u, with their times split in proportion.
    No existing travel time changes. Returns the new graph and the new node's position (n).
    """
    n = graph.n_nodes
    m = graph.matrix
    t_uv, t_vu = float(m[u, v]), float(m[v, u])
    src, dst, w = [], [], []
    if t_uv > 0:
        src += [u, n]
        dst += [n, v]
        w += [fraction * t_uv, (1 - fraction) * t_uv]
    if t_vu > 0:
        src += [v, n]
        dst += [n, u]
        w += [(1 - fraction) * t_vu, fraction * t_vu]
    coo = m.tocoo()
    matrix = sp.csr_array(
        (
            np.concatenate([coo.data, np.maximum(w, 1e-6)]),
            (np.concatenate([coo.row, src]), np.concatenate([coo.col, dst])),
        ),
        shape=(n + 1, n + 1),
    )
    matrix.sort_indices()
    x = np.append(graph.x, graph.x[u] + fraction * (graph.x[v] - graph.x[u]))
    y = np.append(graph.y, graph.y[u] + fraction * (graph.y[v] - graph.y[u]))
    ids = np.append(graph.node_ids, -1)
    return CSRGraph(node_ids=ids, x=x, y=y, matrix=matrix), n


def _sample(candidates: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    candidates = np.sort(candidates)
    if len(candidates) <= k:
        return candidates
    return np.sort(rng.choice(candidates, size=k, replace=False))


def gap_savings(
    graph: CSRGraph,
    a: int,
    b: int,
    link_s: float,
    origins: np.ndarray,
    destinations: np.ndarray,
    *,
    cutoff_s: float,
) -> np.ndarray:
    """Seconds saved on every sampled trip (O → D, then D → O) if a two-way link a–b is built.

    Parameters
    ----------
    graph
        The road graph (seconds).
    a, b
        Node positions of the two ends of the gap.
    link_s
        Travel time on the new link, seconds.
    origins, destinations
        Node positions sampled on the two sides.
    cutoff_s
        Search limit; old times beyond it count as ``cutoff_s``.

    Returns
    -------
    numpy.ndarray
        Savings (≥ 0) of the ``2 × |O| × |D|`` trips, O → D first.
    """
    o, d = np.asarray(origins, np.int64), np.asarray(destinations, np.int64)
    if len(o) == 0 or len(d) == 0:
        return np.zeros(0)
    # only the sampled nodes' columns of the trees are used: take them before converting,
    # so no float64 copy of a whole (sources x nodes) tree is made (at 500k nodes those copies
    # and their fresh pages cost more than the rest of the arithmetic)
    nodes = np.concatenate([o, d])
    co, cd = np.arange(len(o)), len(o) + np.arange(len(d))  # columns of o and d in `nodes`

    def at_nodes(trees: np.ndarray, nan: float) -> np.ndarray:
        return np.nan_to_num(trees[:, nodes].astype(np.float64), nan=nan)

    ends = np.array([a, b])
    from_a, from_b = at_nodes(travel_times(graph, ends, cutoff_s=cutoff_s), np.inf)
    to_a, to_b = at_nodes(travel_times(graph, ends, cutoff_s=cutoff_s, reverse=True), np.inf)
    # every old trip is at most its route through a or b on today's network, so the searches
    # for the old times can stop at the largest such bound (exact, and far cheaper than the
    # cutoff for the usual gap whose detour is short)
    bound = max(
        _max_finite(np.add.outer(to_a[co], from_a[cd]), np.add.outer(to_b[co], from_b[cd])),
        _max_finite(np.add.outer(to_a[cd], from_a[co]), np.add.outer(to_b[cd], from_b[co])),
    )
    # the trees are float32: allow for their rounding, or the trip whose old route runs through
    # a or b (old == bound) could fall just outside the search and count as cut off
    limit_s = min(cutoff_s, bound * (1 + 1e-5) + 1.0)
    old = at_nodes(travel_times(graph, nodes, cutoff_s=limit_s), cutoff_s)

    def saved(src: np.ndarray, dst: np.ndarray, old_rows: np.ndarray) -> np.ndarray:
        old_sd = old_rows[:, dst]
        via_ab = to_a[src][:, None] + link_s + from_b[dst][None, :]
        via_ba = to_b[src][:, None] + link_s + from_a[dst][None, :]
        new = np.minimum(old_sd, np.minimum(via_ab, via_ba))
        return np.clip(old_sd - new, 0.0, None).ravel()

    return np.concatenate([saved(co, cd, old[: len(o)]), saved(cd, co, old[len(o) :])])


def _max_finite(via_a: np.ndarray, via_b: np.ndarray) -> float:
    """Largest finite entry of the element-wise minimum of two bound matrices (inf if none)."""
    both = np.minimum(via_a, via_b)
    finite = both[np.isfinite(both)]
    return float(finite.max()) if finite.size else np.inf


def catchment_population(
    xy: np.ndarray, sampled: np.ndarray, candidates: np.ndarray, node_population: np.ndarray
) -> np.ndarray:
    """Population of ``candidates`` gathered at the nearest of the ``sampled`` nodes.

    ``xy`` are metric node coordinates; returns one population per sampled node (in the order
    of ``sampled``), which sums to the population of all candidates.
    """
    if len(sampled) == 0:
        return np.zeros(0)
    _, nearest = cKDTree(xy[sampled]).query(xy[candidates])
    return np.bincount(
        np.atleast_1d(nearest), weights=node_population[candidates], minlength=len(sampled)
    )


def person_minutes(
    saving_s: np.ndarray, pop_origins: np.ndarray, pop_destinations: np.ndarray
) -> float:
    """Person-minutes saved when every resident makes one trip to the other side.

    ``saving_s`` is :func:`gap_savings`' output (O → D trips first, then D → O); destinations
    are drawn in proportion to their population. NaN when either side has no population.
    """
    total_o, total_d = pop_origins.sum(), pop_destinations.sum()
    if total_o <= 0 or total_d <= 0:
        return float("nan")
    n_o, n_d = len(pop_origins), len(pop_destinations)
    forward = saving_s[: n_o * n_d].reshape(n_o, n_d) / 60.0
    backward = saving_s[n_o * n_d :].reshape(n_d, n_o) / 60.0
    return float(
        pop_origins @ forward @ (pop_destinations / total_d)
        + pop_destinations @ backward @ (pop_origins / total_o)
    )


RANKING_COLUMNS = ("person_minutes_saved", "minutes_saved_per_trip")
"""The benefit the dead ends are ranked by: person-minutes where the study has population,
else minutes saved per sampled trip."""


def ranking_column(dead_ends: pd.DataFrame) -> str:
    """The column of ``dead_ends`` (the ``dead_ends`` contract) its ``rank`` follows: the one
    maps size the 断头路 by and the integration backlog adds up."""
    people = dead_ends["person_minutes_saved"]
    return RANKING_COLUMNS[0] if people.notna().any() else RANKING_COLUMNS[1]


#: Sort keys after the ranking column (:func:`ranking_column`), largest benefit first; then the
#: shorter gap, then the id, so the ranking is the same in every run.
TIE_BREAKERS = ("minutes_saved_per_trip", "minutes_saved_mean", "gap_m", "gap_id")
#: Columns :func:`rank_gaps` adds, with their dtypes.
BENEFIT_DTYPES: dict[str, str] = {
    "link_class": "object", "link_time_min": "float64", "pairs_sampled": "int64",
    "pairs_improving": "int64", "minutes_saved_mean": "float64",
    "minutes_saved_per_trip": "float64", "person_minutes_saved": "float64", "rank": "int64",
}  # fmt: skip


@dataclass(frozen=True)
class _Catchments:
    """What sampling trips around a gap needs: the graph's nodes in metres, their units and
    residents, and the benefit settings."""

    graph: CSRGraph
    xy: np.ndarray
    tree: cKDTree
    node_unit: np.ndarray
    node_population: np.ndarray | None
    settings: GapSettings

    @classmethod
    def of(
        cls,
        graph: CSRGraph,
        node_unit: np.ndarray,
        node_population: np.ndarray | None,
        settings: GapSettings,
    ) -> _Catchments:
        crs = utm_crs_for(graph.x, graph.y)
        x, y = to_metric(graph.x, graph.y, crs)
        xy = np.column_stack([x, y])
        return cls(graph, xy, cKDTree(xy), np.asarray(node_unit), node_population, settings)


def rank_gaps(
    dead_ends: pd.DataFrame,
    graph: CSRGraph,
    node_unit: np.ndarray,
    *,
    speeds_kph: Mapping[str, float],
    settings: GapSettings,
    node_population: np.ndarray | None = None,
    speed_factor: np.ndarray | None = None,
) -> pd.DataFrame:
    """Add link class/time, trip savings and the benefit rank to the detected dead ends.

    Parameters
    ----------
    dead_ends
        The ``dead_ends`` layer of :func:`spatialint.gaps.detect.detect_gaps` (with its graph
        positions :data:`spatialint.gaps.dead_ends.GRAPH_COLUMNS`, ``unit_id``,
        ``other_unit_id``, ``highway``, ``planned_class``, ``gap_m`` and ``gap_id``).
    graph
        The road graph in seconds.
    node_unit
        Unit id (border level) of every graph node, "" outside all units.
    speeds_kph
        ``network.speeds_kph`` of the study.
    settings
        The study's ``gaps`` settings: ``benefit_radius_m``, ``benefit_samples_per_side``,
        ``benefit_cutoff_min`` and ``benefit_seed``.
    node_population
        Residents per graph node (population points gathered at their nearest node), or None
        when the study has no population layer.
    speed_factor
        The speed profile's factor at each dead end (:func:`link_times`); ``None``: free flow.

    Returns
    -------
    pandas.DataFrame
        A copy with the columns of :data:`BENEFIT_DTYPES` (``person_minutes_saved`` NaN
        without population), sorted by ``rank`` (1 = largest benefit, by
        :func:`ranking_column`).
    """
    out = dead_ends.copy()
    if out.empty:
        return out.assign(**{c: pd.Series(dtype=t) for c, t in BENEFIT_DTYPES.items()})
    links = link_times(out, speeds_kph=speeds_kph, speed_factor=speed_factor)
    catchments = _Catchments.of(graph, node_unit, node_population, settings)
    benefits = pd.DataFrame(
        [  # one gap at a time (tens to hundreds), each a handful of Dijkstra searches
            gap_benefit(row, link_s, catchments)
            for row, link_s in zip(out.itertuples(index=False), links["link_time_s"], strict=True)
        ]
    )
    out["link_class"] = links["link_class"]
    out["link_time_min"] = (links["link_time_s"] / 60.0).round(2)
    out["pairs_sampled"] = benefits["pairs_sampled"].to_numpy()
    out["pairs_improving"] = benefits["pairs_improving"].to_numpy()
    out["minutes_saved_mean"] = np.round(benefits["minutes_saved_mean"].to_numpy(), 2)
    out["minutes_saved_per_trip"] = np.round(benefits["minutes_saved_per_trip"].to_numpy(), 3)
    out["person_minutes_saved"] = np.round(benefits["person_minutes_saved"].to_numpy(), 1)
    return _rank(out)


def gap_benefit(row: Any, link_s: float, catchments: _Catchments) -> dict[str, float]:
    """Trip savings of closing one gap (a row of the dead ends, as a named tuple).

    Origins and destinations are sampled among the nodes within ``benefit_radius_m`` of the
    gap's middle, on its two sides; the link joins the facing road at its point, between two
    graph nodes when ``along_fraction`` is strictly between 0 and 1.
    """
    settings = catchments.settings
    xy = catchments.xy
    a, b = int(row.a_pos), int(row.b_pos)
    near = np.asarray(
        catchments.tree.query_ball_point((xy[a] + xy[b]) / 2, settings.benefit_radius_m), np.int64
    )
    rng = np.random.default_rng([settings.benefit_seed, int(row.gap_id[1:], 16)])
    near_o = near[catchments.node_unit[near] == row.unit_id]
    near_d = near[catchments.node_unit[near] == row.other_unit_id]
    o = _sample(near_o, settings.benefit_samples_per_side, rng)
    d = _sample(near_d, settings.benefit_samples_per_side, rng)
    routed = catchments.graph
    if 0.0 < row.along_fraction < 1.0:  # the link joins the facing road between two nodes
        routed, b = split_edge(routed, int(row.u_pos), int(row.v_pos), float(row.along_fraction))
    cutoff_s = settings.benefit_cutoff_min * 60.0
    saving = gap_savings(routed, a, b, float(link_s), o, d, cutoff_s=cutoff_s)
    better = saving >= MIN_SAVING_S
    people = catchments.node_population
    return {
        "pairs_sampled": len(saving),
        "pairs_improving": int(better.sum()),
        "minutes_saved_mean": saving[better].mean() / 60.0 if better.any() else 0.0,
        "minutes_saved_per_trip": saving.mean() / 60.0 if len(saving) else 0.0,
        "person_minutes_saved": (
            float("nan")
            if people is None or not len(saving)
            else person_minutes(
                saving,
                catchment_population(xy, o, near_o, people),
                catchment_population(xy, d, near_d, people),
            )
        ),
    }


def _rank(dead_ends: pd.DataFrame) -> pd.DataFrame:
    """``dead_ends`` sorted by benefit (:func:`ranking_column`, then :data:`TIE_BREAKERS`)
    with ``rank`` 1, 2, ..."""
    by = ranking_column(dead_ends)
    key = [by, *(k for k in TIE_BREAKERS if k != by)]
    ascending = [k in ("gap_m", "gap_id") for k in key]
    out = dead_ends.sort_values(key, ascending=ascending)
    out["rank"] = np.arange(1, len(out) + 1)
    logger.info(
        "ranked %d gap(s) by %s; best saves %.1f min per sampled trip",
        len(out),
        by,
        float(out["minutes_saved_per_trip"].iloc[0]),
    )
    return out.reset_index(drop=True)
