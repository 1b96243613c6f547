"""One sentence per corridor for the report: permeability, travel time, border penalty, the
backlog of open 断头路 and the index, in the study's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np


def _fmt(value: Any, digits: int) -> str | None:
    """``value`` with ``digits`` decimals, or ``None`` when it is missing or not a number."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return f"{value:.{digits}f}" if np.isfinite(value) else None


def _count(value: Any) -> int:
    """A nullable count as an int (0 when missing)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return 0
    return int(value) if np.isfinite(value) else 0


def permeability_clause(record: Mapping[str, Any], zh: bool) -> str:
    per_10km = _fmt(record["crossings_per_10km"], 1)
    if per_10km is None:
        return "无共同边界" if zh else "no shared border"
    return f"每10公里边界{per_10km}条跨界道路" if zh else f"{per_10km} crossings per 10 km"


def travel_clause(record: Mapping[str, Any], zh: bool) -> str:
    road_min = _fmt(record["road_min"], 0)
    if road_min is None:
        return "中心间道路不通" if zh else "centres not connected by road"
    return f"中心间驾车{road_min}分钟" if zh else f"{road_min} min by road centre to centre"


def backlog_clause(record: Mapping[str, Any], zh: bool) -> str | None:
    """The open 断头路 and what opening them saves: the sum of the gaps stage's ranking key —
    person-minutes (one cross-border trip per resident) where the study has population, else
    the minutes saved by one sampled trip around each gap. ``None`` without open gaps."""
    n = _count(record["open_gaps"])
    if n <= 0:
        return None
    people = _fmt(record["open_gap_person_minutes"], 0)
    if people is not None:
        return (
            f"{n}处未打通断头路，打通可节省共{people}人·分钟（每人一次跨界出行）"
            if zh
            else f"{n} open 断头路 would save {people} person-minutes "
            "(one cross-border trip per resident)"
        )
    minutes = _fmt(record["open_gap_benefit_min"], 1)
    return (
        f"{n}处未打通断头路，打通后各处周边一次抽样出行共节省{minutes}分钟"
        if zh
        else f"{n} open 断头路 would save {minutes} min on one sampled trip around each"
    )


def index_clause(record: Mapping[str, Any], zh: bool) -> str:
    index = _fmt(record["index"], 0)
    if index is None:
        return "一体化指数无法计算" if zh else "no index"
    return f"一体化指数{index}" if zh else f"index {index}"


def corridor_summary(record: Mapping[str, Any], *, language: str) -> str:
    """One sentence per corridor for the report (``株洲–湘潭: 3.0 crossings per 10 km; ...``).

    ``record`` is a row of the corridor table (its index and backlog filled in).
    """
    zh = language == "zh"
    parts = [permeability_clause(record, zh), travel_clause(record, zh)]
    penalty = _fmt(record["border_penalty"], 2)
    if penalty is not None:
        parts.append(f"边界阻抗系数{penalty}" if zh else f"border penalty {penalty}")
    backlog = backlog_clause(record, zh)
    if backlog is not None:
        parts.append(backlog)
    parts.append(index_clause(record, zh))
    head = f"{record['name']}{'：' if zh else ': '}"
    return head + ("；" if zh else "; ").join(parts) + ("。" if zh else ".")
