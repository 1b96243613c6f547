"""How much memory a pipeline step will need, estimated from its input size before it starts.

A job of the workflow runs under a memory limit (``resources: mem_mb``: a SLURM job's ``--mem``,
a cgroup). A step that outgrows it is killed by the kernel's OOM killer: no message, a lost
hour on a cluster queue. So each job first estimates its peak memory from the size of its
inputs, read cheaply (PBF block headers, Parquet metadata, ``.npz`` array headers, a GeoPackage
feature count; no data is loaded), logs it, and, when the estimate exceeds its ``mem_mb``,
stops with one :class:`~spatialint.errors.ResourceError` naming the setting to raise (or the
chunk size to set) before doing any work.

The model, per step (:data:`STEP_MODELS`)::

    peak MB = base_mb + mb_per_unit × size + bytes_per_origin_node × origins × nodes / 1e6

``size`` is the step's *basis*: OSM objects of the PBF it reads (about 8,000 per data block,
what osmium and Geofabrik write), simplified road nodes, or road edges. The line runs through
measured runs (:data:`BENCHMARK`: each step's ``max_pss`` in the demo and in
``benchmarks/pipeline_scaling.py`` at scales 22 and 64), piece by piece between them and on
with the last piece beyond the largest; never below 150 MB. The per-origin term is the size of
the origin × node arrays the step holds (the benchmark routes from 3 origins only, so it is
measured apart: :data:`PER_ORIGIN_NODE_BYTES`). To recalibrate after a change of the code's
memory, rerun the benchmark and replace the figures of :data:`BENCHMARK`; nothing else
changes (``python -m spatialint.memory 3e6 50`` prints the table of a run of that size).

Limits: the line beyond the largest run under-estimates a step whose memory grows faster than
the graph (k > 1 in ``cost ∝ nodes^k``). The demo's OSM objects
are nearly all road-graph nodes (1.1 objects per node), where a real extract's ways carry many
shape points and areas (the Andorra extract: 49 objects per node), so the estimates of the
steps that read a PBF (retrieve_osm, admin_units, road_network, rail_network) are upper bounds
for real extracts: when one exceeds ``mem_mb`` it is logged as a warning with the same advice,
not refused. The steps after the road network are estimated from the graph itself, the same
measure on real and synthetic data, and are refused.
"""

from __future__ import annotations

import logging
import math
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from spatialint.errors import ResourceError
from spatialint.osm.blocks import data_blocks

logger = logging.getLogger(__name__)

#: Objects per data block of a PBF (osmium's and Geofabrik's block size; a part-filled last
#: block counts whole, so the count errs high by less than one block).
OBJECTS_PER_BLOCK = 8000
#: The room asked for above an estimate when a job needs more (peaks are sampled, not exact).
ROOM = 1.25
#: A suggested mem_mb is rounded up to this.
ROUND_MB = 500


@dataclass(frozen=True)
class Calibration:
    """Measured runs of the whole pipeline: their input sizes and each step's peak memory."""

    source: str
    #: per run (smallest first): OSM objects of the extract (its data blocks × 8,000), road
    #: nodes and road edges of the simplified graph; every run routes ``origins`` origins
    osm_objects: tuple[int, ...]
    road_nodes: tuple[int, ...]
    road_edges: tuple[int, ...]
    origins: int
    #: step -> its max_pss (MB) in each run
    max_pss_mb: Mapping[str, tuple[float, ...]]


#: The calibration. Scale 1 is the demo (a run of this branch); 22 and 64 are
#: `benchmarks/pipeline_scaling.py 22 64` on main at 2f2b52b (the start of issue 14's round).
#: 2-core VM, the demo region with 3 origins; max_pss in MB from Snakemake's benchmark files;
#: travel_times is the larger of its two modes. Replace these figures after a change of memory
#: use (the benchmark prints them); the models follow.
BENCHMARK = Calibration(
    source="the demo and benchmarks/pipeline_scaling.py 22 64 on main 2f2b52b (max_pss, MB)",
    osm_objects=(48_000, 552_000, 976_000),
    road_nodes=(11_607, 483_968, 939_376),
    road_edges=(41_754, 1_876_682, 3_713_970),
    origins=3,
    max_pss_mb={
        "retrieve_osm": (120, 196, 305),
        "admin_units": (119, 113, 183),
        "road_network": (251, 2_157, 3_468),
        "rail_network": (151, 378, 548),
        "multimodal_network": (126, 525, 780),
        # the GTFS stage (issue 16), measured after it landed with the demo's feed on the
        # same graphs, reading only the road-edge columns its walks use (the demo run's
        # max_pss; GNU time's max RSS of the one process at 22, 64)
        "transit_network": (166, 1_225, 2_038),
        "origins": (182, 1_693, 2_313),
        "travel_times": (116, 286, 378),
        "isochrones": (406, 1_989, 2_774),
        "gaps": (198, 1_694, 2_724),
        "integration": (234, 2_136, 3_951),
        "map": (224, 1_402, 2_587),
        "report": (235, 1_705, 3_473),
    },
)

#: The memory of a bare step (Python, numpy, pandas, geopandas imported): the smallest
#: estimate of any step.
MIN_BASE_MB = 150.0


@dataclass(frozen=True)
class InputSize:
    """What a step's memory grows with, read from its inputs' headers."""

    osm_objects: int | None = None
    road_nodes: int | None = None
    road_edges: int | None = None
    origins: int | None = None

    def describe(self) -> str:
        parts = [
            f"{value:,} {label}"
            for value, label in (
                (self.osm_objects, "OSM objects"),
                (self.road_nodes, "road nodes"),
                (self.road_edges, "road edges"),
                (self.origins, "origins"),
            )
            if value is not None
        ]
        return ", ".join(parts) or "no measurable input"


@dataclass(frozen=True)
class StepModel:
    """How one step's peak memory grows: with ``basis`` (an :class:`InputSize` field), through
    the measured ``points`` (size, MB without the origins' share), and with origins × nodes at
    ``bytes_per_origin_node``."""

    basis: str
    points: tuple[tuple[float, float], ...]
    bytes_per_origin_node: float = 0.0
    #: the benchmark step whose figures calibrate this one (default: the step itself)
    calibrated_on: str | None = None

    @property
    def mb_per_unit(self) -> float:
        """MB per unit of the basis beyond the largest measured run (the last segment)."""
        (x0, y0), (x1, y1) = self.points[-2:]
        return max((y1 - y0) / (x1 - x0), 0.0)

    @property
    def base_mb(self) -> float:
        """Where the last segment meets size 0 (below 0 for a step growing faster than its
        input)."""
        x1, y1 = self.points[-1]
        return y1 - self.mb_per_unit * x1

    def estimate_mb(self, size: InputSize) -> float | None:
        """Peak MB for ``size``; ``None`` when the basis could not be measured."""
        units = getattr(size, self.basis)
        if units is None:
            return None
        xs, ys = zip(*self.points, strict=True)
        if units <= xs[-1]:
            mb = float(np.interp(units, xs, ys))
        else:
            mb = self.base_mb + self.mb_per_unit * units
        mb = max(mb, MIN_BASE_MB)
        if self.bytes_per_origin_node:
            nodes = size.road_nodes if size.road_nodes is not None else 0
            mb += self.bytes_per_origin_node * (size.origins or 0) * nodes / 1e6
        return mb


#: Bytes each step holds per origin × node (float32 times are 4 bytes a cell). travel_times:
#: scipy's float64 distances of the origins being routed (8) and the float32 result (4);
#: measured 8.9 in the parent process (939k nodes, 3 → 50 origins, peak RSS 401 → 795 MB),
#: its workers holding their own rows besides. gather: the chunks read and the stacked matrix
#: (4 + 4). isochrones: measured at 484k nodes, 3 → 30 origins: 6.8 in the parent (peak RSS
#: 1,851 → 1,940 MB) and 6.9 in each of its two polygon workers (1,411 → 1,501 MB): 20.
PER_ORIGIN_NODE_BYTES = {
    "travel_times": 12.0,
    "travel_times_chunk": 12.0,
    "gather_travel_times": 8.0,
    "isochrones": 20.0,
}
#: The basis of each step: the PBF steps grow with the extract's objects, the graph steps
#: with road nodes, map and report (which read the road edges) with road edges.
STEP_BASIS = {
    "retrieve_osm": "osm_objects",
    "admin_units": "osm_objects",
    "road_network": "osm_objects",
    "rail_network": "osm_objects",
    "multimodal_network": "road_nodes",
    "transit_network": "road_nodes",
    "origins": "road_nodes",
    "travel_times": "road_nodes",
    "travel_times_chunk": "road_nodes",
    "gather_travel_times": "road_nodes",
    "isochrones": "road_nodes",
    "gaps": "road_nodes",
    "integration": "road_nodes",
    "map": "road_edges",
    "report": "road_edges",
}
#: Bases whose estimates are upper bounds for real data: logged as a warning, never refused.
UPPER_BOUND_BASES = frozenset({"osm_objects"})
#: Steps measured under another name: a chunk and the gather do what travel_times does.
CALIBRATED_ON = {"travel_times_chunk": "travel_times", "gather_travel_times": "travel_times"}


def fit_model(step: str, benchmark: Calibration = BENCHMARK) -> StepModel:
    """The :class:`StepModel` of ``step`` from its benchmark points.

    The benchmark's own per-origin share (its few origins × nodes) is taken off each point.
    Between two measured sizes the estimate is the straight line through them; below the
    smallest, the smallest's figure; beyond the largest, the last segment goes on.
    """
    basis = STEP_BASIS[step]
    measured = CALIBRATED_ON.get(step, step)
    per_origin = PER_ORIGIN_NODE_BYTES.get(step, 0.0)
    points = tuple(
        (float(size), mb - per_origin * benchmark.origins * nodes / 1e6)
        for size, mb, nodes in zip(
            getattr(benchmark, basis), benchmark.max_pss_mb[measured], benchmark.road_nodes,
            strict=True,
        )
    )  # fmt: skip
    return StepModel(basis, points, per_origin, measured)


#: Every step's model, fitted once from :data:`BENCHMARK`.
STEP_MODELS: dict[str, StepModel] = {step: fit_model(step) for step in STEP_BASIS}


# --- reading input sizes cheaply --------------------------------------------------------------


def pbf_objects(path: str | Path) -> int:
    """OSM objects in a PBF, from its block headers only: data blocks × 8,000."""
    return len(data_blocks(Path(path))) * OBJECTS_PER_BLOCK


def npz_shape(path: str | Path, array: str) -> tuple[int, ...]:
    """Shape of ``array`` in an ``.npz`` file, from the array's header (no data read)."""
    with zipfile.ZipFile(path) as archive, archive.open(f"{array}.npy") as handle:
        version = np.lib.format.read_magic(handle)
        if version == (1, 0):
            shape, _, _ = np.lib.format.read_array_header_1_0(handle)
        else:
            shape, _, _ = np.lib.format.read_array_header_2_0(handle)
    return tuple(int(n) for n in shape)


def parquet_rows(path: str | Path) -> int:
    """Rows of a Parquet file, from its footer."""
    import pyarrow.parquet as pq

    return int(pq.read_metadata(path).num_rows)


def gpkg_features(path: str | Path) -> int:
    """Features of the first layer of a GeoPackage, from its metadata."""
    import pyogrio

    return int(pyogrio.read_info(path)["features"])


def _existing(value: str | Path | Sequence[str | Path] | None) -> list[Path]:
    if value is None:
        return []
    values = [value] if isinstance(value, str | Path) else list(value)
    return [Path(v) for v in values if Path(v).is_file()]


def measure_inputs(inputs: Mapping[str, str | Path | Sequence[str | Path]]) -> InputSize:
    """The sizes a step's memory grows with, from the rule's named inputs.

    Reads only headers: the PBF's block headers (``pbf``, ``demo_pbf``, ``source_pbf``,
    ``source_pbfs``, and ``cached_pbfs``: a source's downloads already in the cache), the road
    graph's node array header (``road_graph``, ``graph``), the Parquet footers
    (``road_nodes``, ``road_edges``), the origins' feature count, and a gathered step's chunk
    headers (``chunks``). A missing or unreadable file leaves its size
    unknown (``None``).
    """
    found: dict[str, int] = {}
    try:
        pbfs = [p for key in ("pbf", "demo_pbf", "source_pbf", "source_pbfs", "cached_pbfs")
                for p in _existing(inputs.get(key))]  # fmt: skip
        if pbfs:
            found["osm_objects"] = sum(pbf_objects(p) for p in pbfs)
        for key in ("road_nodes",):
            for path in _existing(inputs.get(key)):
                found["road_nodes"] = parquet_rows(path)
        for key in ("graph", "road_graph"):
            for path in _existing(inputs.get(key)):
                found.setdefault("road_nodes", npz_shape(path, "node_ids")[0])
        for path in _existing(inputs.get("road_edges")):
            found["road_edges"] = parquet_rows(path)
        for path in _existing(inputs.get("origins")):
            found["origins"] = gpkg_features(path)
        chunks = [npz_shape(p, "seconds") for p in _existing(inputs.get("chunks"))]
        if chunks:
            found["origins"] = sum(shape[0] for shape in chunks)
            found.setdefault("road_nodes", chunks[0][1])
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as err:
        # a broken input is the step's own error to report, with its message; no estimate
        logger.debug("input size not measured: %s", err)
    return InputSize(**found)


# --- the check --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A step's estimated peak memory for its input size."""

    step: str
    mb: float
    size: InputSize

    def describe(self) -> str:
        return f"about {self.mb:,.0f} MB for {self.size.describe()}"


def estimate_step(step: str, size: InputSize) -> Estimate | None:
    """The estimate of ``step`` for ``size``; ``None`` for a step without a model (the demo
    generator) or an input whose size is unknown (a source still to download). The estimate
    keeps only the sizes the step's model reads."""
    model = STEP_MODELS.get(step)
    mb = model.estimate_mb(size) if model else None
    if model is None or mb is None:
        return None
    used = {model.basis: getattr(size, model.basis)}
    if model.bytes_per_origin_node:
        used.update(road_nodes=size.road_nodes, origins=size.origins)
    return Estimate(step, mb, InputSize(**used))


def suggested_mem_mb(estimate_mb: float) -> int:
    """A mem_mb with :data:`ROOM` above the estimate, rounded up to :data:`ROUND_MB`."""
    return int(math.ceil(estimate_mb * ROOM / ROUND_MB) * ROUND_MB)


def origins_that_fit(step: str, size: InputSize, mem_mb: float) -> int:
    """The most origins one travel-time job of ``size``'s graph can route within ``mem_mb``
    (0 when even one does not fit)."""
    model = STEP_MODELS[step]
    without = model.estimate_mb(InputSize(**{**size.__dict__, "origins": 0})) or 0.0
    per_origin = model.bytes_per_origin_node * (size.road_nodes or 0) / 1e6
    if per_origin <= 0:
        return 0
    return max(int((mem_mb - without) // per_origin), 0)


def check_memory(estimate: Estimate, *, rule: str, mem_mb: float | None) -> None:
    """Refuse to start a job whose estimate exceeds its ``mem_mb`` (no check without one).

    A step estimated from OSM objects (:data:`UPPER_BOUND_BASES`) is not refused: its estimate
    is an upper bound on a real extract, so it is logged as a warning with the same advice.

    Raises
    ------
    ResourceError
        Naming the step, the estimate, the input size, ``mem_mb`` and what to do: a larger
        ``mem_mb`` for the rule, or for travel times a (smaller) ``execution.origin_chunk_size``.
    """
    if mem_mb is None or estimate.mb <= mem_mb:
        return
    need = suggested_mem_mb(estimate.mb)
    advice = (
        f"--set-resources {rule}:mem_mb={need} on the snakemake command line, or "
        f"{rule}: {{mem_mb: {need}}} under set-resources in your profile "
        "(workflow/profiles/slurm/config.yaml)"
    ) + _chunk_advice(estimate, rule=rule, mem_mb=mem_mb)
    model = STEP_MODELS.get(estimate.step)
    if model is not None and model.basis in UPPER_BOUND_BASES:
        logger.warning(
            "Step %s may need up to %s, more than its mem_mb of %s (an upper bound: estimated "
            "from the OSM objects of the synthetic demo, where nearly every object is a road "
            "node; a real extract needs less). If it is killed for memory, give it more: %s.",
            rule, estimate.describe().removeprefix("about "), f"{mem_mb:,.0f}", advice,
        )  # fmt: skip
        return
    raise ResourceError(
        f"Step {rule} needs {estimate.describe()}, more than its mem_mb of {mem_mb:,.0f}; it "
        f"stops here rather than be killed for memory half-way. Give it more memory: {advice}."
    )


def _chunk_advice(estimate: Estimate, *, rule: str, mem_mb: float) -> str:
    """For travel times: the origins per job that would fit, as ``execution.origin_chunk_size``."""
    if rule not in ("travel_times", "travel_times_chunk"):
        return ""
    fits = origins_that_fit(rule, estimate.size, mem_mb / ROOM)
    if fits < 1:
        return ""
    verb = "set" if rule == "travel_times" else "lower"
    return (
        f"; or {verb} execution.origin_chunk_size to {fits} in the study config, so that each "
        f"travel-time job routes {fits} origins"
    )


def job_memory(
    rule: str,
    inputs: Mapping[str, str | Path | Sequence[str | Path]],
    *,
    mem_mb: float | None,
    origins: int | None = None,
) -> Estimate | None:
    """Estimate ``rule``'s memory from its inputs, log it, and check it against ``mem_mb``.

    ``origins`` overrides the origins counted in the inputs (a chunk routes only its own).

    Raises
    ------
    ResourceError
        The estimate exceeds ``mem_mb`` (see :func:`check_memory`).
    """
    size = measure_inputs(inputs)
    if origins is not None:
        size = InputSize(**{**size.__dict__, "origins": origins})
    estimate = estimate_step(rule, size)
    limit = f"mem_mb {mem_mb:,.0f}" if mem_mb is not None else "no mem_mb"
    if estimate is None:
        logger.info("memory: no estimate for %s (%s; %s)", rule, size.describe(), limit)
        return None
    logger.info("memory: %s needs %s (%s)", rule, estimate.describe(), limit)
    check_memory(estimate, rule=rule, mem_mb=mem_mb)
    return estimate


# --- a whole run's table (README, profile sizing) ---------------------------------------------


def run_sizes(road_nodes: int, origins: int, *, osm_objects: int | None = None) -> InputSize:
    """The input sizes of a run of ``road_nodes`` and ``origins``; the OSM objects and road
    edges, unless given, in the benchmark's proportion to road nodes (the demo's: each object
    close to one graph node, so an upper bound for the objects of a real extract)."""
    largest = BENCHMARK.road_nodes[-1]
    objects = osm_objects
    if objects is None:
        objects = round(road_nodes * BENCHMARK.osm_objects[-1] / largest)
    edges = round(road_nodes * BENCHMARK.road_edges[-1] / largest)
    return InputSize(osm_objects=objects, road_nodes=road_nodes, road_edges=edges, origins=origins)


def memory_table(
    road_nodes: int, origins: int, *, chunk_size: int = 0, osm_objects: int | None = None
) -> list[tuple[str, str, float, int]]:
    """Per step: (step, its input size, estimated MB, suggested mem_mb) for a run of that size;
    with ``chunk_size`` the travel-time chunk jobs route that many origins each."""
    size = run_sizes(road_nodes, origins, osm_objects=osm_objects)
    steps = [s for s in STEP_BASIS if s != "travel_times_chunk" or chunk_size]
    rows = []
    for step in steps:
        step_size = size
        if step == "travel_times_chunk":
            step_size = InputSize(**{**size.__dict__, "origins": min(chunk_size, origins)})
        estimate = estimate_step(step, step_size)
        if estimate is not None:
            rows.append(
                (step, estimate.size.describe(), estimate.mb, suggested_mem_mb(estimate.mb))
            )
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m spatialint.memory 3000000 50 [--chunk 12]``: the table, as Markdown."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("road_nodes", type=float, help="simplified road nodes, e.g. 3e6")
    parser.add_argument("origins", type=int)
    parser.add_argument("--chunk", type=int, default=0, help="execution.origin_chunk_size")
    parser.add_argument("--osm-objects", type=float, default=None)
    args = parser.parse_args(argv)
    objects = None if args.osm_objects is None else int(args.osm_objects)
    print("| step | input | estimate (MB) | mem_mb with room |")
    print("| --- | --- | ---: | ---: |")
    for step, size, mb, need in memory_table(
        int(args.road_nodes), args.origins, chunk_size=args.chunk, osm_objects=objects
    ):
        print(f"| {step} | {size} | {mb:,.0f} | {need:,} |")
    print(f"\nCalibration: {BENCHMARK.source}")


if __name__ == "__main__":
    main()
