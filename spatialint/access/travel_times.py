"""The travel-times stage of a study: times from its origins to every node of one graph.

:func:`run_travel_times_stage` is what the ``travel_times`` rule runs for one mode (``road`` or
``multimodal``): it starts every origin at its nodes of that graph
(:func:`spatialint.access.snapping.origin_starts`), routes on the CSR graph up to the largest
band (:func:`spatialint.network.routing.travel_times_from`) and saves the origin × node matrix.
:func:`run_travel_time_chunk_stage` routes one chunk of the origins the same way, for a study
whose origins are scattered over several jobs (:mod:`spatialint.access.chunks`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from os import PathLike

import numpy as np

from spatialint.access.chunks import chunk_slice
from spatialint.access.origins import read_origins
from spatialint.access.snapping import origin_starts
from spatialint.network.graph import CSRGraph
from spatialint.network.routing import save_times, travel_times_from
from spatialint.settings import ExecutionSettings, OriginSettings, TravelTimeSettings

logger = logging.getLogger(__name__)

PathArg = str | PathLike[str]


def run_travel_times_stage(
    inputs: Mapping[str, PathArg],
    outputs: Mapping[str, PathArg],
    *,
    travel_times: TravelTimeSettings,
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
    travel_times
        How far to route (the largest band).
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
    cutoff_min = travel_times.cutoff_min
    graph = CSRGraph.load(inputs["graph"])
    origins = read_origins(inputs["origins"]).iloc[origin_rows]
    starts = origin_starts(origins, graph, mode=mode)
    seconds = travel_times_from(graph, starts, cutoff_s=cutoff_min * 60.0, workers=workers)
    reached = np.count_nonzero(~np.isnan(seconds), axis=1)
    for name, count in zip(origins["name"], reached, strict=True):
        logger.info("%s: %s reaches %d of %d nodes within %g min", label or mode, name, count,
                    graph.n_nodes, cutoff_min)  # fmt: skip
    save_times(
        outputs["times"],
        origin_ids=origins["origin_id"].to_numpy(),
        node_ids=graph.node_ids,
        seconds=seconds,
    )


def run_travel_time_chunk_stage(
    inputs: Mapping[str, PathArg],
    outputs: Mapping[str, PathArg],
    *,
    travel_times: TravelTimeSettings,
    origins: OriginSettings,
    execution: ExecutionSettings,
    mode: str,
    chunk: int,
    workers: int = 1,
) -> None:
    """Route from chunk number ``chunk`` of the origins (``execution.origin_chunk_size``).

    The chunk's rows of ``access/origins.gpkg`` follow from the number of configured origins
    (one row each, in config order) and the chunk size; otherwise as
    :func:`run_travel_times_stage`, which ``gather_travel_times`` completes.
    """
    rows = chunk_slice(len(origins.origins), chunk_size=execution.origin_chunk_size, chunk=chunk)
    run_travel_times_stage(
        inputs,
        outputs,
        travel_times=travel_times,
        mode=mode,
        workers=workers,
        origin_rows=rows,
        label=f"{mode} chunk {chunk}",
    )
