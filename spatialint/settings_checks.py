"""Semantic checks of settings that JSON Schema cannot express, and the one spelling of a
config value that may be written two ways; :mod:`spatialint.settings` runs them when a study
loads, so this module stays free of heavy imports.

Border levels (``admin.border_level``) are one admin level or several, e.g. a province, its
prefectures and their counties ``[4, 5, 6]``. The finest is the one every road node, edge and
finding is assigned to (the units whose borders the gaps stage walks); each finding and
corridor also says the coarsest border level it crosses (:mod:`spatialint.unit_hierarchy`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from spatialint.errors import ConfigError


def level_list(value: Any) -> Any:
    """``admin.border_level`` spelt one way: a sorted list (``6`` → ``[6]``), so an int and
    the same one-item list are the same param and an edit between them reruns nothing.
    Repeats are kept (:func:`check_border_levels` refuses them); other values pass as given."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return [value]
    if isinstance(value, list | tuple) and all(isinstance(v, int) for v in value):
        return sorted(value)
    return value


def check_border_levels(border_levels: Sequence[int], levels: Sequence[int]) -> None:
    """Refuse an empty list, a repeated level, or a border level not among ``admin.levels``
    (its units would never be built).

    Raises
    ------
    ConfigError
        Naming both keys and what to do.
    """
    given = list(border_levels)
    if not given:
        raise ConfigError(
            "admin.border_level is an empty list; give one admin level (e.g. 6) or several "
            "(e.g. [4, 5, 6] for province, prefecture and county borders)."
        )
    repeated = sorted({v for v in given if given.count(v) > 1})
    if repeated:
        raise ConfigError(
            f"admin.border_level {given} repeats {repeated}; list each admin level once."
        )
    missing = [v for v in given if v not in levels]
    if missing:
        raise ConfigError(
            f"admin.border_level {given} names {missing}, not in admin.levels {list(levels)}: "
            f"add {missing} to admin.levels (its units are built only for those levels) or "
            "remove them from admin.border_level."
        )


def check_increasing(values: tuple[float, ...], *, key: str, example: str) -> None:
    """Refuse an empty or not strictly increasing list (bands, band edges)."""
    if not values or any(b <= a for a, b in zip(values, values[1:], strict=False)):
        raise ConfigError(
            f"{key} is {list(values)}; give strictly increasing positive values, e.g. {example}."
        )
