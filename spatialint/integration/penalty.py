"""Border penalty: how much longer trips across a border take than trips of the same length
inside one unit, from a seeded sample of road-node pairs."""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence

import numpy as np


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
