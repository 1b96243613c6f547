"""Border penalty: how much longer trips across a border take than trips of the same length
inside one unit, from a seeded sample of road-node pairs."""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence

import numpy as np
import shapely

from spatialint.integration.travel import dijkstra_rows
from spatialint.network.graph import CSRGraph
from spatialint.settings import BorderPenaltySettings

M_PER_KM = 1000.0


def pair_rng(seed: int, id_a: str, id_b: str) -> np.random.Generator:
    """A generator seeded by ``seed`` and the two unit ids (in either order), so a pair's
    sample does not change when other units are added or reordered."""
    key = "|".join(sorted((str(id_a), str(id_b))))
    return np.random.default_rng([seed, zlib.crc32(key.encode("utf-8"))])


def sample_nodes(candidates: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Up to ``count`` of ``candidates`` drawn without replacement, sorted."""
    candidates = np.asarray(candidates, dtype=np.int64)
    take = min(int(count), len(candidates))
    return np.sort(rng.choice(candidates, size=take, replace=False)) if take else candidates[:0]


def border_penalty(
    cross_s: np.ndarray,
    cross_km: np.ndarray,
    inside_s: np.ndarray,
    inside_km: np.ndarray,
    *,
    bands_km: Sequence[float],
    min_pairs: int,
) -> tuple[float, int, int]:
    """Border penalty from sampled cross-border and within-unit pairs.

    Pairs are put into straight-line distance bands ``[bands_km[k], bands_km[k+1])`` (pairs
    shorter than the first edge or longer than the last are dropped, as are unreachable pairs
    with NaN time). In every band holding at least ``min_pairs`` pairs of both kinds the ratio
    ``r_k = median(cross pace) / median(inside pace)`` is taken, where the pace of a pair is its
    travel time per straight-line km (so a band's different mix of distances between the two
    kinds — cross pairs tend to the far end of a band — does not bias the ratio). The penalty is
    the geometric mean of the ``r_k`` weighted by ``w_k = min(n_cross_k, n_inside_k)``:
    ``exp(Σ w_k ln r_k / Σ w_k)``. 1.0 means crossing the border costs nothing; 1.4 means a
    trip across the border takes 40 % longer than a trip of the same length inside one unit.

    Returns
    -------
    tuple
        (penalty or NaN when no band qualifies, cross pairs used, inside pairs used).
    """
    edges = np.asarray(bands_km, dtype=float)
    cross_s, cross_km = np.asarray(cross_s, float), np.asarray(cross_km, float)
    inside_s, inside_km = np.asarray(inside_s, float), np.asarray(inside_km, float)
    ok_c = np.isfinite(cross_s) & (cross_km > 0)
    ok_i = np.isfinite(inside_s) & (inside_km > 0)
    band_c = np.digitize(cross_km[ok_c], edges) - 1
    band_i = np.digitize(inside_km[ok_i], edges) - 1
    cs, ins = cross_s[ok_c] / cross_km[ok_c], inside_s[ok_i] / inside_km[ok_i]
    log_sum = weight_sum = 0.0
    used_c = used_i = 0
    for k in range(len(edges) - 1):
        c = cs[band_c == k]
        i = ins[band_i == k]
        if len(c) < min_pairs or len(i) < min_pairs:
            continue
        w = min(len(c), len(i))
        log_sum += w * math.log(float(np.median(c)) / float(np.median(i)))
        weight_sum += w
        used_c += len(c)
        used_i += len(i)
    if weight_sum == 0:
        return float("nan"), 0, 0
    return float(math.exp(log_sum / weight_sum)), used_c, used_i


def zone_nodes(
    node_unit: np.ndarray,
    unit: int,
    node_points: np.ndarray,
    border: shapely.Geometry | None,
    *,
    zone_km: float,
) -> np.ndarray:
    """Road nodes of ``unit`` within ``zone_km`` of the shared ``border`` (all of the unit's
    nodes when the pair shares no border)."""
    nodes = np.flatnonzero(node_unit == unit)
    if border is None:
        return nodes
    return nodes[shapely.dwithin(node_points[nodes], border, zone_km * M_PER_KM)]


def _pair_times(
    times: np.ndarray,
    node_xy: np.ndarray,
    rows: slice,
    cols: slice,
    sources: np.ndarray,
    targets: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Travel time (s) and straight-line distance (km) of every source-target pair of one
    block of ``times`` (a node paired with itself: NaN)."""
    t = times[rows, cols]
    d = np.hypot(
        node_xy[sources][:, None, 0] - node_xy[targets][None, :, 0],
        node_xy[sources][:, None, 1] - node_xy[targets][None, :, 1],
    )
    t = np.where(sources[:, None] == targets[None, :], np.nan, t)
    return t.ravel(), d.ravel() / M_PER_KM


def sampled_border_penalty(
    graph: CSRGraph,
    node_xy: np.ndarray,
    sides: tuple[np.ndarray, np.ndarray],
    rng: np.random.Generator,
    settings: BorderPenaltySettings,
    *,
    workers: int = 1,
) -> tuple[float, int, int]:
    """Border penalty of two units from a sample of their nodes (``sides``: candidate node
    positions of unit A and of unit B, e.g. :func:`zone_nodes`).

    On each side ``sources_per_side`` origin and ``targets_per_side`` destination nodes are
    drawn (A's first, with ``rng``); one Dijkstra per origin gives the times of every
    cross-border pair (A → B, B → A) and every within-unit pair (A → A, B → B), which
    :func:`border_penalty` compares band by band.

    Returns
    -------
    tuple
        (penalty or NaN, cross pairs used, inside pairs used).
    """
    (src_a, tgt_a), (src_b, tgt_b) = (
        (
            sample_nodes(nodes, settings.sources_per_side, rng),
            sample_nodes(nodes, settings.targets_per_side, rng),
        )
        for nodes in sides
    )
    sources, targets = np.concatenate([src_a, src_b]), np.concatenate([tgt_a, tgt_b])
    times = dijkstra_rows(graph, sources, targets, workers=workers).astype(float)
    ra, rb = slice(0, len(src_a)), slice(len(src_a), None)
    ca, cb = slice(0, len(tgt_a)), slice(len(tgt_a), None)
    cross = [
        _pair_times(times, node_xy, ra, cb, src_a, tgt_b),
        _pair_times(times, node_xy, rb, ca, src_b, tgt_a),
    ]
    inside = [
        _pair_times(times, node_xy, ra, ca, src_a, tgt_a),
        _pair_times(times, node_xy, rb, cb, src_b, tgt_b),
    ]
    return border_penalty(
        np.concatenate([c[0] for c in cross]),
        np.concatenate([c[1] for c in cross]),
        np.concatenate([i[0] for i in inside]),
        np.concatenate([i[1] for i in inside]),
        bands_km=settings.bands_km,
        min_pairs=settings.min_pairs_per_band,
    )
