"""The report's speed-calibration section: the fit table, the error before and after, a
scatter of modelled against observed minutes, and the trips left out with their reasons.

It reads the road stage's ``network/speed_fit.csv`` and ``network/speed_samples.csv``
(:data:`~spatialint.contracts.network.SPEED_FIT`, :data:`~spatialint.contracts.network.
SPEED_SAMPLES`). The figure is made like the report's other figures
(:mod:`spatialint.publish.report.figures`: inline SVG, its text left as text for the browser).
"""

from __future__ import annotations

import html

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from spatialint.contracts.network import SPEED_FIT, SPEED_SAMPLES
from spatialint.publish.i18n import check_language, label
from spatialint.publish.report.figures import FIGURE_STYLE, figure_html, figure_svg
from spatialint.publish.report.page import html_table

EXCLUDED_ROWS_MAX = 50
"""Excluded trips listed on the page (all are in ``speed_samples.csv``)."""
BEFORE_COLOUR, AFTER_COLOUR = "#c0392b", "#2471a3"
EXCLUDED_COLUMNS = ("trip", "o_lon", "o_lat", "d_lon", "d_lat", "observed_min", "o_snap_m",
                    "d_snap_m", "free_flow_min", "reason")  # fmt: skip


def calibration_figure(samples: pd.DataFrame, *, language: str) -> str | None:
    """SVG scatter of the used trips: modelled against observed minutes, before (start
    factors) and after calibration, with the 1:1 line; ``None`` when no trip was used."""
    used = samples[samples["used"].astype(bool)]
    if used.empty:
        return None
    observed = used["observed_min"].to_numpy(dtype=float)
    before = used["modelled_before_min"].to_numpy(dtype=float)
    after = used["modelled_after_min"].to_numpy(dtype=float)
    top = float(np.nanmax(np.concatenate([observed, before, after]))) * 1.05
    with plt.rc_context(FIGURE_STYLE):
        fig, ax = plt.subplots(figsize=(6, 6))
        ax.plot([0, top], [0, top], color="#555", linewidth=1, linestyle="--",
                label=label("one_to_one", language))  # fmt: skip
        ax.scatter(observed, before, s=12, color=BEFORE_COLOUR, alpha=0.6,
                   label=label("calibration_before", language))  # fmt: skip
        ax.scatter(observed, after, s=12, color=AFTER_COLOUR, alpha=0.8,
                   label=label("calibration_after", language))  # fmt: skip
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
        ax.set_aspect("equal")
        ax.set_xlabel(SPEED_SAMPLES.label("observed_min", language))
        ax.set_ylabel(label("modelled_min", language))
        ax.set_title(label("fig_calibration", language))
        ax.legend(fontsize=8, loc="upper left")
        return figure_svg(fig)


def _note(fit: pd.DataFrame, samples: pd.DataFrame, language: str) -> str:
    total = fit[fit["group"] == "all"]
    values = total.iloc[0] if len(total) else pd.Series(dtype=float)

    def minutes(column: str) -> str:
        value = float(values.get(column, np.nan))
        return "–" if np.isnan(value) else f"{value:.1f}"

    return label(
        "calibration_note", language, used=int(samples["used"].astype(bool).sum()),
        total=len(samples), median_before=minutes("median_error_before_min"),
        median_after=minutes("median_error_after_min"), p90_before=minutes("p90_error_before_min"),
        p90_after=minutes("p90_error_after_min"),
    )  # fmt: skip


def calibration_section(fit: pd.DataFrame, samples: pd.DataFrame, *, language: str) -> list[str]:
    """The section as HTML parts: heading, error summary, fit table, scatter (inline SVG),
    excluded trips (the first :data:`EXCLUDED_ROWS_MAX`, with their reasons)."""
    lang = check_language(language)
    parts = [
        f"<h2>{html.escape(label('calibration', lang))}</h2>",
        f"<p class='meta'>{html.escape(_note(fit, samples, lang))}</p>",
        html_table(
            fit[list(SPEED_FIT.names)], table=SPEED_FIT, language=lang, max_rows=len(fit)
        ),  # fmt: skip
    ]
    svg = calibration_figure(samples, language=lang)
    if svg:
        parts.append(figure_html(svg, "calibration", label("fig_calibration", lang)))
    excluded = samples[~samples["used"].astype(bool)]
    if len(excluded):
        parts += [
            f"<h3>{html.escape(label('calibration_excluded', lang))} ({len(excluded)})</h3>",
            html_table(
                excluded[list(EXCLUDED_COLUMNS)],
                table=SPEED_SAMPLES,
                language=lang,
                max_rows=EXCLUDED_ROWS_MAX,
            ),  # fmt: skip
        ]
    return parts
