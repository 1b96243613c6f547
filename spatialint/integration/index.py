"""The integration index: the corridor measures, normalised and weighted into one 0–100 number."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from spatialint.errors import ConfigError
from spatialint.settings import IndexSettings

logger = logging.getLogger(__name__)

INDEX_COMPONENTS = ("permeability", "speed", "reach", "border_penalty", "redundancy")
"""The normalised measures the index weighs (``integration.index.weights``)."""

REACH_COLUMNS = ("reach_road_ab", "reach_road_ba", "reach_mm_ab", "reach_mm_ba")
"""The four area reach shares whose mean is the ``reach`` component."""


def index_components(table: pd.DataFrame, settings: IndexSettings) -> pd.DataFrame:
    """The five components of each row, each 0–1 (higher = better integrated), NaN where the
    measure behind it is missing.

    - permeability = min(weighted crossings per 10 km / target, 1)
    - speed = min(max(road, road+rail speed over the straight line) / target speed, 1)
    - reach = mean of the four area reach shares (road and road+rail, both directions)
    - border_penalty = min(1 / border penalty, 1)
    - redundancy = min(routes / target routes, 1)
    """
    components = pd.DataFrame(index=table.index)
    components["permeability"] = (
        table["weighted_crossings_per_10km"] / settings.target_weighted_crossings_per_10km
    ).clip(upper=1.0)
    speed = table[["road_kph", "multimodal_kph"]].max(axis=1, skipna=True)
    components["speed"] = (speed / settings.target_speed_kph).clip(upper=1.0)
    components["reach"] = table[list(REACH_COLUMNS)].mean(axis=1, skipna=True)
    components["border_penalty"] = (1.0 / table["border_penalty"]).clip(upper=1.0)
    routes = table["routes"].astype(float)
    components["redundancy"] = (routes / settings.target_routes).clip(upper=1.0)
    return components


def integration_index(table: pd.DataFrame, settings: IndexSettings) -> tuple[pd.Series, pd.Series]:
    """Integration index 0–100 of each row and the list of components it rests on.

    index = 100 × Σ w_c s_c / Σ w_c over the components s_c (:func:`index_components`) that
    are not NaN and have a weight; the components used are listed in ``index_basis``. Rows
    where no component is available get NaN.

    Raises
    ------
    ConfigError
        If the weights name a component that does not exist or leave one out.
    """
    unknown = sorted(set(settings.weights) - set(INDEX_COMPONENTS))
    missing = [c for c in INDEX_COMPONENTS if c not in settings.weights]
    if unknown or missing:
        found = [f"unknown component(s) {unknown}"] if unknown else []
        found += [f"missing {missing}"] if missing else []
        raise ConfigError(
            f"integration.index.weights must give each of {', '.join(INDEX_COMPONENTS)} a "
            f"weight: {', '.join(found)}."
        )
    components = index_components(table, settings)
    weights = pd.Series({c: float(settings.weights[c]) for c in INDEX_COMPONENTS})
    available = components.notna() & (weights > 0)
    weighted_sum = (components.fillna(0.0) * weights).where(available, 0.0).sum(axis=1)
    weight_sum = available.mul(weights).sum(axis=1)
    index = (100.0 * weighted_sum / weight_sum.replace(0.0, np.nan)).round(1)
    basis = available.apply(lambda row: ",".join(c for c in INDEX_COMPONENTS if row[c]), axis=1)
    return index, basis
