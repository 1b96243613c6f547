"""Scatter the travel-time stage over chunks of origins, and gather the chunks back.

Routing from one origin never passes through another origin (each origin is a virtual node
with out-going arcs only, see :func:`spatialint.network.routing.travel_times_from`), so
the rows of the origin × node matrix can be computed in separate jobs — on separate cluster
nodes — and stacked into the very file one job would write.  The number of origins is known
when the workflow is planned (one origin per ``access.origins`` entry, in config order), so the
chunks are ordinary Snakemake jobs, no checkpoint needed.

``execution.origin_chunk_size`` (study config) sets the origins per chunk; 0 (the default) keeps
one job per mode.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from os import PathLike

import numpy as np

from spatialint.errors import DataError
from spatialint.network.routing import load_times, save_times

logger = logging.getLogger(__name__)

PathArg = str | PathLike[str]


def chunk_slices(n_items: int, *, chunk_size: int) -> list[slice]:
    """Consecutive slices of at most ``chunk_size`` items covering ``range(n_items)``.

    ``chunk_size`` 0 means one slice of everything.
    """
    if n_items < 0 or chunk_size < 0:
        raise ValueError(f"n_items and chunk_size must be >= 0, got {n_items}, {chunk_size}")
    if chunk_size == 0 or n_items <= chunk_size:
        return [slice(0, n_items)]
    return [
        slice(start, min(start + chunk_size, n_items)) for start in range(0, n_items, chunk_size)
    ]


def origin_chunk_count(n_origins: int, *, chunk_size: int) -> int:
    """Number of origin chunks; 0 when the origins are not chunked.

    They are chunked when ``chunk_size`` (``execution.origin_chunk_size``) is > 0 and smaller
    than the number of origins (otherwise one job does it all, as without chunking).
    """
    if chunk_size == 0 or n_origins <= chunk_size:
        return 0
    return math.ceil(n_origins / chunk_size)


def chunk_slice(n_origins: int, *, chunk_size: int, chunk: int) -> slice:
    """The origins (rows of ``access/origins.gpkg``) of chunk number ``chunk``."""
    slices = chunk_slices(n_origins, chunk_size=chunk_size)
    if not 0 <= chunk < len(slices):
        raise ValueError(f"chunk {chunk} is outside 0..{len(slices) - 1}")
    return slices[chunk]


def gather_times(chunk_paths: Sequence[PathArg], target: PathArg) -> None:
    """Stack chunked travel-time files (in order) into one :func:`save_times` file.

    Raises
    ------
    DataError
        A chunk is unreadable, chunks disagree on the graph's nodes, or origins repeat.
    """
    if not chunk_paths:
        raise ValueError("no chunk files to gather")
    origin_ids, seconds = [], []
    node_ids: np.ndarray | None = None
    for path in chunk_paths:
        o, n, s = load_times(path)
        if node_ids is None:
            node_ids = n
        elif not np.array_equal(n, node_ids):
            raise DataError(
                f"{path} was routed on another graph than {chunk_paths[0]}; delete the chunk "
                "files under access/chunks/ and rerun."
            )
        origin_ids.append(o)
        seconds.append(s)
    all_origins = np.concatenate(origin_ids)
    if np.unique(all_origins).size != all_origins.size:
        raise DataError(f"origins repeat across the chunks {list(map(str, chunk_paths))}")
    assert node_ids is not None
    save_times(target, origin_ids=all_origins, node_ids=node_ids, seconds=np.vstack(seconds))
    logger.info(
        "gathered %d chunks: %d origins x %d nodes", len(chunk_paths), all_origins.size,
        node_ids.size,
    )  # fmt: skip


def run_gather_stage(
    inputs: Mapping[str, Sequence[PathArg]], outputs: Mapping[str, PathArg]
) -> None:
    """What the ``gather_travel_times`` rule runs: its ``chunks`` (in order) into ``times``."""
    gather_times(list(inputs["chunks"]), outputs["times"])
