"""The travel-times stage of a study: times from its origins to every node of one graph.

:func:`run_travel_times_stage` is what the ``travel_times`` rule runs for one mode (``road`` or
``multimodal``): it starts every origin at its nodes of that graph
(:func:`spatialint.access.origins.origin_starts`), routes on the CSR graph up to the largest band
(:func:`spatialint.network.routing.travel_times_from`) and saves the origin × node matrix.
A subset of the origins (one chunk of a scattered run) is routed the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from os import PathLike
from typing import Any

import numpy as np

from spatialint.access.isochrones import check_bands
from spatialint.access.origins import origin_starts, read_origins
from spatialint.network.graph import CSRGraph
from spatialint.network.routing import save_times, travel_times_from

logger = logging.getLogger(__name__)

PathArg = str | PathLike[str]


def run_travel_times_stage(
    inputs: Mapping[str, PathArg],
    outputs: Mapping[str, PathArg],
    study: Mapping[str, Any],
    *,
    mode: str,
    workers: int = 1,
    origin_rows: slice = slice(None),
    label: str | None = None,
) -> None:
    """Route from the study's origins on one graph and save the travel times.

    Parameters
    ----------
    inputs
        Paths by the ``travel_times`` rule's input names: ``graph`` (the road or multimodal
        graph), ``origins``.
    outputs
        Paths by the rule's output names: ``times`` (:func:`spatialint.network.routing.save_times`).
    study
        The validated study config (``access.bands_min`` sets the cut-off).
    mode
        ``"road"`` or ``"multimodal"``: which nodes an origin starts from.
    workers
        Processes for the routing (the rule's ``threads``).
    origin_rows
        The rows of the origins table to route from (all by default; one chunk of them when
        the origins are scattered over several jobs).
    label
        How the log lines name this run; ``mode`` by default.
    """
    bands = check_bands(study["access"]["bands_min"])
    graph = CSRGraph.load(inputs["graph"])
    origins = read_origins(inputs["origins"]).iloc[origin_rows]
    starts = origin_starts(origins, graph, mode=mode)
    seconds = travel_times_from(graph, starts, cutoff_s=max(bands) * 60.0, workers=workers)
    reached = np.count_nonzero(~np.isnan(seconds), axis=1)
    for name, count in zip(origins["name"], reached, strict=True):
        logger.info("%s: %s reaches %d of %d nodes within %g min", label or mode, name, count,
                    graph.n_nodes, max(bands))  # fmt: skip
    save_times(
        outputs["times"],
        origin_ids=origins["origin_id"].to_numpy(),
        node_ids=graph.node_ids,
        seconds=seconds,
    )
