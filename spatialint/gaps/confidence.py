"""How much to trust each cross-border dead end: ``confidence``, ``category`` and ``reasons``.

The evidence (:mod:`spatialint.gaps.evidence`, the planned link and water crossing of
:mod:`spatialint.gaps.dead_ends`, the benefit of :mod:`spatialint.gaps.benefit`) is weighed by
fixed, documented rules, so a reviewer can check every verdict against its reasons:

**low** when any evidence speaks against a missing link:

- *no real benefit*: the link saves less than ``gaps.min_minutes_saved`` between its own two
  ends (today's detour less the time on the link): the roads already connect close by. (The
  sampled trips of :mod:`spatialint.gaps.benefit` rank the gaps; 20 random nodes a side can
  all miss the few streets a local link serves, so they are reported, not used as a veto);
- *intended end* (unless a planned way bridges the gap): a tag of
  ``gaps.intentional_end_tags`` on the end node (``noexit=yes``, ``barrier=*``,
  ``access=private``, a turning circle) or ``noexit=yes`` on its way;
- *too long for the class* (unless planned): the gap exceeds ``gaps.plausible_gap_m`` of the
  road's class (a residential street 800 m from a main road is an estate, not a missing link);
- *turns away* (unless planned): the road's last stretch makes more than
  ``gaps.away_angle_deg`` with the link;
- *jumps a road* (unless planned): the straight link crosses a road on its way: the dead end
  already lies beside a road (a hillside cul-de-sac above the valley road, facing the far
  side).

**high** when nothing speaks against it and the strongest evidence is there: two dead ends face
each other (each within ``gaps.facing_angle_deg`` of the link: roads built up to the border
from both sides), or a planned way (``highway=construction|proposed``) bridges the gap.

**medium** otherwise: a road ending near the border, facing a road of the other unit at a
plausible distance, with a benefit.

``category`` is ``bridge`` (需建桥) when the link crosses a waterway, else ``road``; it does not
change the confidence. Ranking (:func:`rank_by_confidence`): high, medium, low, each by benefit.
The map and report show the levels of ``maps.gap_confidence`` (high + medium by default);
every finding stays in the tables.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import pandas as pd

from spatialint.settings import GapSettings

logger = logging.getLogger(__name__)

HIGH, MEDIUM, LOW = "high", "medium", "low"
#: Confidence levels, best first (the ranking order).
LEVELS = (HIGH, MEDIUM, LOW)
ROAD, BRIDGE = "road", "bridge"
#: The reason of a gap that improves no sampled trip.
NO_TRIP_GAINS = ("抽样出行均未受益", "no sampled trip gains")
#: The reason of a link that crosses a road on its way.
CROSSES_ROAD = ("连线需穿越现有道路（末端旁已有道路）", "the link would cross a road on its way")
#: Level words at the start of a reason text.
LEVEL_WORDS = {HIGH: ("可信度高", "high"), MEDIUM: ("可信度中", "medium"), LOW: ("可信度低", "low")}
#: Categories in words (map popups, the report).
CATEGORY_WORDS = {ROAD: ("道路", "road"), BRIDGE: ("需建桥", "bridge needed")}


def assess_dead_ends(dead: pd.DataFrame, settings: GapSettings) -> pd.DataFrame:
    """``dead`` with ``confidence``, ``category``, ``reasons_zh`` and ``reasons_en``.

    Parameters
    ----------
    dead
        Ranked dead ends with their evidence (:data:`spatialint.gaps.evidence.EVIDENCE`),
        ``planned``, ``across_water``, ``gap_m``, ``highway``, ``other_highway`` and the benefit
        (``pairs_sampled``, ``pairs_improving``, ``minutes_saved_mean``).
    settings
        The study's ``gaps`` settings (the thresholds).
    """
    out = dead.copy()
    signals = _signals(out, settings)
    against = signals["no_benefit"] | (
        ~signals["planned"]
        & (signals["tagged"] | signals["too_long"] | signals["away"] | signals["crosses"])
    )
    high = ~against & (signals["facing"] | signals["planned"])
    out["confidence"] = np.where(against, LOW, np.where(high, HIGH, MEDIUM)).astype(object)
    out["category"] = np.where(signals["water"], BRIDGE, ROAD).astype(object)
    rows = out.assign(_saving=local_saving_min(out), **{f"_{k}": v for k, v in signals.items()})
    texts = [_reasons(row, settings) for row in rows.to_dict("records")]
    out["reasons_zh"] = pd.Series([zh for zh, _ in texts], index=out.index, dtype=object)
    out["reasons_en"] = pd.Series([en for _, en in texts], index=out.index, dtype=object)
    counts = out["confidence"].value_counts()
    logger.info(
        "confidence: %d high, %d medium, %d low; %d need a bridge (需建桥)",
        counts.get(HIGH, 0),
        counts.get(MEDIUM, 0),
        counts.get(LOW, 0),
        int(signals["water"].sum()),
    )
    return out


def _signals(dead: pd.DataFrame, settings: GapSettings) -> dict[str, np.ndarray]:
    """The rules' inputs as boolean arrays (see the module doc)."""
    approach = dead["approach_deg"].to_numpy(float)
    saved = local_saving_min(dead)
    return {
        "planned": dead["planned"].fillna(False).to_numpy(bool),
        "water": dead["across_water"].fillna(False).to_numpy(bool),
        "facing": dead["facing_stubs"].fillna(False).to_numpy(bool),
        "tagged": dead["end_tags"].fillna("").astype(str).to_numpy() != "",
        "too_long": dead["gap_m"].to_numpy(float) > dead["plausible_gap_m"].to_numpy(float),
        "away": approach > settings.away_angle_deg,
        "crosses": dead["crosses_road"].fillna(False).to_numpy(bool),
        "points_at": approach <= settings.facing_angle_deg,
        "no_benefit": ~(saved >= settings.min_minutes_saved),
    }


def local_saving_min(dead: pd.DataFrame) -> np.ndarray:
    """Minutes the link saves between its own two ends: today's detour less the time on the
    link (infinite where the ends are not connected within ``detour_cutoff_min``)."""
    detour = dead["detour_min"].to_numpy(float)
    link = dead["link_time_min"].to_numpy(float)
    return np.where(np.isnan(detour), np.inf, detour - link)


def _reasons(row: dict[str, Any], settings: GapSettings) -> tuple[str, str]:
    """The reason text of one gap in Chinese and English: its level, then the evidence that
    decided it, then the rest."""
    against = _against(row, settings)
    if row["_planned"]:  # the planned way outweighs all but a missing benefit: said after it
        decisive, outweighed = against[:1] if row["_no_benefit"] else [], against
        outweighed = outweighed[1:] if row["_no_benefit"] else outweighed
        parts = [*decisive, *_support(row), *outweighed, *_facts(row, settings)]
    else:
        parts = [*against, *_support(row), *_facts(row, settings)]
    zh_level, en_level = LEVEL_WORDS[row["confidence"]]
    zh = f"{zh_level}：" + "；".join(p[0] for p in parts)
    en = f"{en_level}: " + "; ".join(p[1] for p in parts)
    return zh, en


def _against(row: dict[str, Any], settings: GapSettings) -> list[tuple[str, str]]:
    parts = []
    if row["_no_benefit"]:
        detour, saved = row["detour_min"], row["_saving"]
        parts.append(
            (
                f"附近已连通：现状绕行仅{detour:.1f}分钟，连通后节省{saved:.1f}分钟"
                f"（<{settings.min_minutes_saved:g}分钟）",
                f"connected nearby: the detour is {detour:.1f} min, the link saves "
                f"{saved:.1f} min (< {settings.min_minutes_saved:g} min)",
            )
        )
    if row["_tagged"]:
        parts.append((f"末端标注为有意终止（{row['end_tags']}）",
                      f"mapped as an intended end ({row['end_tags']})"))  # fmt: skip
    if row["_too_long"]:
        gap, limit, cls = row["gap_m"], row["plausible_gap_m"], _classes(row)
        parts.append(
            (
                f"缺口{gap:.0f}米，超出{cls}道路的合理缺口（≤{limit:.0f}米）",
                f"{gap:.0f} m gap, too long for {cls} (≤ {limit:.0f} m)",
            )
        )
    if row["_away"]:
        angle = row["approach_deg"]
        parts.append(
            (
                f"道路末端背离对侧道路（夹角{angle:.0f}°>{settings.away_angle_deg:g}°）",
                f"the road turns away from the other road ({angle:.0f}° > "
                f"{settings.away_angle_deg:g}°)",
            )
        )
    if row["_crosses"]:
        parts.append(
            ("连线需穿越现有道路（末端旁已有道路）", "the link would cross a road on its way")
        )
    return parts


def _support(row: dict[str, Any]) -> list[tuple[str, str]]:
    parts = []
    if row["_facing"]:
        a, b = row["approach_deg"], row["other_approach_deg"]
        parts.append((f"两端断头路相向（夹角{a:.0f}°/{b:.0f}°）",
                      f"two dead ends face each other ({a:.0f}°, {b:.0f}°)"))  # fmt: skip
    if row["_planned"]:
        way = row["planned_way_id"]
        parts.append((f"已有规划/在建道路（way {way}）", f"planned or being built (way {way})"))
    if row["_water"]:
        parts.append(("需建桥：连线跨越河流", "needs a bridge: the link crosses a waterway"))
    return parts


def _facts(row: dict[str, Any], settings: GapSettings) -> list[tuple[str, str]]:
    """The evidence that neither decided nor spoke against: angle, gap, benefit."""
    parts = []
    angle = row["approach_deg"]
    if not row["_facing"] and not row["_away"] and not math.isnan(angle):
        if row["_points_at"]:
            parts.append((f"道路末端指向对侧道路（夹角{angle:.0f}°）",
                          f"the road points at the other road ({angle:.0f}°)"))  # fmt: skip
        else:
            parts.append((f"道路末端与连线夹角{angle:.0f}°",
                          f"the road ends at {angle:.0f}° to the link"))  # fmt: skip
    if not row["_too_long"]:
        gap, limit, cls = row["gap_m"], row["plausible_gap_m"], _classes(row)
        parts.append((f"缺口{gap:.0f}米，{cls}道路合理（≤{limit:.0f}米）",
                      f"{gap:.0f} m gap, plausible for {cls} (≤ {limit:.0f} m)"))  # fmt: skip
    if not row["_no_benefit"]:
        detour = row["detour_min"]
        zh = "现状不连通" if math.isnan(detour) else f"现状绕行{detour:.1f}分钟"
        en = "no connection today" if math.isnan(detour) else f"detour {detour:.1f} min today"
        parts.append((zh, en))
    n, total, saved = row["pairs_improving"], row["pairs_sampled"], row["minutes_saved_mean"]
    if n:
        parts.append((f"{n}/{total}次抽样出行受益，平均节省{saved:.1f}分钟",
                      f"saves {saved:.1f} min on {n} of {total} sampled trips"))  # fmt: skip
    else:
        parts.append(NO_TRIP_GAINS)
    return parts


def _classes(row: dict[str, Any]) -> str:
    """The road class(es) the plausible gap was taken from."""
    own, other = str(row["highway"]), str(row["other_highway"])
    return f"{own}/{other}" if row["_facing"] and own != other else own


def rank_by_confidence(dead: pd.DataFrame) -> pd.DataFrame:
    """``dead`` (ranked by benefit, ``rank``) re-ranked: high, medium, low, each by benefit."""
    level = dead["confidence"].map({name: i for i, name in enumerate(LEVELS)})
    out = dead.assign(_level=level.to_numpy()).sort_values(["_level", "rank"], kind="stable")
    out = out.drop(columns="_level")
    out["rank"] = np.arange(1, len(out) + 1)
    return out.reset_index(drop=True)
