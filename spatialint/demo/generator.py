"""Generate the synthetic demo region and write it: the ``generate_demo`` stage.

:func:`write_demo` builds the region for a seed and scale (:func:`.build.build_region`) and
writes it as an ``.osm.pbf`` (:mod:`.pbf`) beside its ``truth.json`` (:mod:`.truth`), both
atomically. The same seed and scale give byte-identical files.
:func:`run_generate_demo_stage` is the same with the rule's named outputs and the study's
``source`` settings.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from spatialint.demo.build import build_region
from spatialint.demo.gtfs import station_km, write_demo_gtfs
from spatialint.demo.pbf import write_pbf
from spatialint.demo.population import write_population_raster
from spatialint.demo.scale import MAX_SCALE, SCALE_FOR_NODES
from spatialint.demo.trips import write_observed_trips
from spatialint.demo.truth import DemoTruth
from spatialint.errors import ConfigError, DataError
from spatialint.fileio import atomic_path
from spatialint.settings import SourceSettings

__all__ = ["MAX_SCALE", "SCALE_FOR_NODES", "DemoTruth", "run_generate_demo_stage", "write_demo"]

logger = logging.getLogger(__name__)


def check_seed_and_scale(pbf_path: Path, seed: Any, scale: Any) -> float:
    """The scale as a float, after refusing a bad seed, scale or output name.

    Raises
    ------
    ConfigError
        Seed not a non-negative integer; scale not a number, not > 0 or above
        :data:`MAX_SCALE`; output name not ending in ``.pbf``.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ConfigError(
            f"demo seed must be a non-negative integer, got {seed!r}; set source.seed"
        )
    try:
        value = float(scale)
    except (TypeError, ValueError):
        raise ConfigError(f"demo scale must be a number, got {scale!r}; set source.scale") from None
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"demo scale must be > 0, got {scale!r}; set source.scale to e.g. 1")
    if value > MAX_SCALE:
        raise ConfigError(
            f"demo scale {scale!r} is above the supported {MAX_SCALE:g} "
            f"(scale {SCALE_FOR_NODES[500_000]:g} already gives ~500k road nodes)"
        )
    if not pbf_path.name.endswith(".pbf"):
        raise ConfigError(f"demo output {pbf_path} must end with .osm.pbf")
    return value


def write_demo(
    pbf_path: str | os.PathLike[str],
    truth_path: str | os.PathLike[str],
    *,
    seed: int = 42,
    scale: float = 1.0,
    trips_path: str | os.PathLike[str] | None = None,
    population_path: str | os.PathLike[str] | None = None,
    gtfs_path: str | os.PathLike[str] | None = None,
) -> DemoTruth:
    """Generate the synthetic demo region and write it as an OSM PBF plus its ground truth.

    Parameters
    ----------
    pbf_path
        Output ``.osm.pbf``; written atomically (a partial file never appears).
    truth_path
        Output ``truth.json`` with the planted cases (format in :mod:`spatialint.demo.truth`).
    seed
        Random seed; the same seed and scale give a byte-identical PBF.
    scale
        Size factor (> 0, at most :data:`MAX_SCALE`): 1 gives ≈28k road nodes; see
        :data:`SCALE_FOR_NODES`.
    trips_path
        Where to write the SYNTHETIC observed trips (:mod:`spatialint.demo.trips`), or
        ``None``; with it, ``truth.json`` records their ``true_speed_factors``.
    population_path
        Where to write the SYNTHETIC population raster (:mod:`spatialint.demo.population`), or
        ``None``; with it, ``truth.json`` records its ``population`` total.
    gtfs_path
        Where to write the SYNTHETIC GTFS feed of the demo's lines (:mod:`spatialint.demo.gtfs`),
        or ``None``; with it, ``truth.json`` records its timetable under ``transit``.

    Returns
    -------
    DemoTruth
        The ground truth that was written to ``truth_path``.

    Raises
    ------
    ConfigError
        Bad seed or scale, or an output name osmium cannot write.
    DataError
        An output folder that cannot be created or written.
    """
    pbf_path, truth_path = Path(pbf_path), Path(truth_path)
    scale_value = check_seed_and_scale(pbf_path, seed, scale)
    region, truth = build_region(int(seed), scale_value)
    try:
        # both files are finished before either is moved into place: never a PBF without
        # its truth (or the truth of another run)
        with atomic_path(pbf_path) as tmp_pbf, atomic_path(truth_path) as tmp_truth:
            write_pbf(tmp_pbf, region, truth.bbox)
            if trips_path is not None:
                factors = write_observed_trips(
                    tmp_pbf, trips_path, bbox=truth.bbox, scale=scale_value, seed=int(seed)
                )
                truth = replace(truth, true_speed_factors=factors)
            if population_path is not None:
                with atomic_path(population_path) as tmp_population:
                    people = write_population_raster(tmp_population, region, scale=scale_value)
                truth = replace(truth, population=people)
            if gtfs_path is not None:
                with atomic_path(gtfs_path) as tmp_gtfs:
                    timetable = write_demo_gtfs(
                        tmp_gtfs, station_km(*region.coords(), truth.stations)
                    )
                truth = replace(truth, transit=timetable)
            tmp_truth.write_text(truth.to_json(), encoding="utf-8")
    except OSError as err:
        raise DataError(
            f"cannot write the demo region to {pbf_path} / {truth_path}: {err.strerror or err}; "
            "choose a writable output folder"
        ) from err
    logger.info(
        "wrote synthetic demo region (seed %d, scale %g): %d nodes, %d road nodes, %d ways -> %s",
        seed,
        scale_value,
        region.n_nodes,
        truth.n_road_nodes,
        len(region.ways),
        pbf_path,
    )
    return truth


def run_generate_demo_stage(
    inputs: Mapping[str, str], outputs: Mapping[str, str], *, source: SourceSettings
) -> DemoTruth:
    """The ``generate_demo`` rule: the demo region of ``source.seed`` and ``source.scale``.

    Parameters
    ----------
    inputs
        None are read (the region is made up).
    outputs
        ``pbf`` (the ``.osm.pbf``) and ``truth`` (``truth.json``); optionally ``trips``
        (``observed_trips.csv``, the synthetic trips for speed calibration), ``population``
        (``population.tif``, the synthetic population raster) and ``gtfs`` (``gtfs.zip``, the
        synthetic timetables of its lines).
    source
        The study's source settings; only ``seed`` and ``scale`` are read.

    Returns
    -------
    DemoTruth
        The ground truth written to ``outputs["truth"]``.

    Raises
    ------
    ConfigError
        Bad seed or scale (see :func:`write_demo`).
    DataError
        An output folder that cannot be written.
    """
    return write_demo(
        outputs["pbf"], outputs["truth"], seed=source.seed, scale=source.scale,
        trips_path=outputs.get("trips"), population_path=outputs.get("population"),
        gtfs_path=outputs.get("gtfs"),
    )  # fmt: skip
