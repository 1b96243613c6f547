# Shared set-up: load and validate every selected study before any rule runs, and the functions
# the rules use for their params and optional inputs (no logic in the rules themselves).
import sys
from pathlib import Path

from spatialint.access.chunks import origin_chunk_count
from spatialint.config import load_studies
from spatialint.errors import ConfigError, DataError
from spatialint.gaps.review import checked_review_file
from spatialint.osm.sources import is_remote, local_path
from spatialint.runlock import watch_for_stale_lock
from spatialint.settings import (
    PARAMS,
    AdminSettings,
    AreaSettings,
    ExecutionSettings,
    GapSettings,
    OriginSettings,
    PopulationSettings,
    SourceSettings,
    SpeedSettings,
    TransitSettings,
)

try:
    STUDIES = load_studies(config)
    # Each study's review file, read and checked now: a file that does not parse cleanly stops
    # the run before any job is planned, so no output is deleted and none goes stale.
    REVIEWS = {
        name: checked_review_file(GapSettings.from_study(study).review_file, name)
        for name, study in STUDIES.items()
    }
except (ConfigError, DataError) as err:
    # One paragraph for the user, no traceback: the message names the file, key and value.
    sys.exit(f"spatialint: {err}")
for review in REVIEWS.values():
    if review.notice:
        print(f"spatialint: note: {review.notice}", file=sys.stderr)

if workflow.is_main_process:
    # a lock left by a killed run: as the run ends, say exactly what to run (Snakemake's own
    # --unlock; the lock is never removed here)
    watch_for_stale_lock(Path.cwd(), locked=lambda: workflow.persistence.locked)


wildcard_constraints:
    study="|".join(STUDIES) or "no-study",
    mode="road|multimodal",


def settings_param(name):
    """A params function: the config values settings ``name`` reads, for the job's study.

    ``name`` is a key of ``spatialint.settings.PARAMS``; a job gets only these values, so an
    edit elsewhere in the study config does not rerun it. The script turns them back into
    typed settings (``_helpers.run_rule``).
    """
    settings = PARAMS[name]

    def param(wildcards):
        return settings.select(STUDIES[wildcards.study])

    return param


def retrieve_inputs(wildcards):
    """Inputs of ``retrieve_osm``: the generated demo PBF, the local source PBF(s) and the area's
    polygon file, so that Snakemake reruns the clip when one changes. A remote PBF is
    downloaded (and cached) inside the rule."""
    study = STUDIES[wildcards.study]
    source = SourceSettings.from_study(study)
    polygon_file = AreaSettings.from_study(study).polygon_file
    inputs = {}
    if source.kind == "demo":
        inputs["demo_pbf"] = f"data/{wildcards.study}/demo/demo.osm.pbf"
    elif source.kind == "pbf" and source.url:
        local = [
            str(local_path(u, base_dir=Path.cwd()))
            for u in source.url
            if not is_remote(u)
        ]
        if len(source.url) == 1 and local:
            inputs["source_pbf"] = local[0]
        elif local:
            inputs["source_pbfs"] = local
    if polygon_file:
        inputs["polygon_file"] = polygon_file
    return inputs


def admin_inputs(wildcards):
    """Extra input of ``admin_units``: the user's boundary file, when the study names one."""
    admin_file = AdminSettings.from_study(STUDIES[wildcards.study]).file
    return {"admin_file": admin_file} if admin_file else {}


def road_inputs(wildcards):
    """Extra inputs of ``road_network``: the study's built-up areas file, when it names one;
    its observed trips (``{study}`` filled in) when the speed profile is calibrated."""
    speeds = SpeedSettings.from_study(STUDIES[wildcards.study])
    inputs = {"urban_areas": speeds.urban_areas_file} if speeds.urban_areas_file else {}
    if speeds.profile == "calibrated":
        inputs["observed_trips"] = speeds.observed_trips.replace(
            "{study}", wildcards.study
        )
    return inputs


def transit_feeds(wildcards):
    """The study's GTFS feeds (``transit.feeds`` with ``{study}`` filled in): inputs of
    ``transit_network``, so a changed feed reruns it (a demo feed is made by generate_demo).
    """
    feeds = TransitSettings.from_study(STUDIES[wildcards.study]).feeds
    return [feed.replace("{study}", wildcards.study) for feed in feeds]


def transit_inputs(wildcards):
    """Extra input of ``multimodal_network`` and ``map``: the transit network, when the study
    has GTFS feeds (without them, no transit job runs and nothing changes)."""
    if not transit_feeds(wildcards):
        return {}
    return {
        "transit": f"data/{wildcards.study}/network/transit_graph.npz",
        "transit_lines": f"data/{wildcards.study}/network/transit_lines.parquet",
        "transit_stops": f"data/{wildcards.study}/network/transit_stops.parquet",
    }


def multimodal_inputs(wildcards):
    """Extra input of ``multimodal_network``: the transit graph, when the study has feeds."""
    inputs = transit_inputs(wildcards)
    return {"transit": inputs["transit"]} if inputs else {}


def map_inputs(wildcards):
    """Extra inputs of ``map``: the transit lines and stations, when the study has feeds."""
    inputs = transit_inputs(wildcards)
    return {k: v for k, v in inputs.items() if k != "transit"}


def population_inputs(wildcards):
    """Extra input of the stages that count people (isochrones, gaps, integration): the
    study's population file or raster (``{study}`` filled in; the demo generates its raster).
    """
    population = PopulationSettings.from_study(STUDIES[wildcards.study])
    path = population.population_raster or population.population_file
    return {"population": path.replace("{study}", wildcards.study)} if path else {}


def gap_inputs(wildcards):
    """Inputs of ``gaps`` that exist only sometimes.

    The planners' review file (``gaps.review_file``, or the old place under data/ while the
    file has not been moved) is an input only when it exists, so editing it reruns the gaps
    stage and what follows, while a missing file is no error and is never created by a run;
    it was checked when the workflow loaded (``REVIEWS``). The waterway layer is an input when
    ``gaps.waterways_file`` is set, the population when the study has a source of people.
    """
    study = STUDIES[wildcards.study]
    gaps = GapSettings.from_study(study)
    inputs = population_inputs(wildcards)
    review = REVIEWS[wildcards.study].path
    if review is not None:
        inputs["review"] = str(review)
    if gaps.waterways_file:
        inputs["waterways"] = gaps.waterways_file
    return inputs


def origin_chunks(study):
    """Number of origin chunks of a study's travel-time jobs; 0 when it is not chunked."""
    return origin_chunk_count(
        len(OriginSettings.from_study(study).origins),
        chunk_size=ExecutionSettings.from_study(study).origin_chunk_size,
    )


def studies_pattern(*, chunked):
    """Wildcard constraint: the studies whose travel times are (not) chunked ("(?!)" = none)."""
    names = [
        name for name, study in STUDIES.items() if (origin_chunks(study) > 0) == chunked
    ]
    return "|".join(names) or "(?!)"


def travel_time_chunks(wildcards):
    """The chunk files gathered into ``access/travel_times_{mode}.npz``."""
    n_chunks = origin_chunks(STUDIES[wildcards.study])
    return [
        f"data/{wildcards.study}/access/chunks/travel_times_{wildcards.mode}_{i}.npz"
        for i in range(n_chunks)
    ]
