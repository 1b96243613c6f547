"""An edit of the study config reruns only the jobs that read what was edited.

Each rule receives only the settings it reads as ``params`` (``settings_param`` in
``workflow/rules/common.smk``), and Snakemake reruns a job whose params changed plus everything
downstream of it. For one edit in each section of the study config, a dry run on a copy of the
finished demo must plan exactly the jobs of the README's table "What an edit reruns".
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.pipeline_runs import clone_run, job_stats, output_of, snakemake

pytestmark = pytest.mark.pipeline

NETWORK = ["road_network", "rail_network", "transit_network", "multimodal_network"]
ACCESS = ["origins", "travel_times", "travel_times", "isochrones"]
PUBLISH = ["map", "report"]
AFTER_RETRIEVE = ["admin_units", *NETWORK, *ACCESS, "gaps", "integration", *PUBLISH]
#: an edit of the GTFS settings: the multimodal travel times and what reads them
AFTER_TRANSIT = [
    "transit_network", "multimodal_network", "travel_times", "isochrones", "integration", *PUBLISH
]  # fmt: skip

#: (what is edited, how, the rules of the jobs a dry run plans; a rule twice = two jobs).
RERUNS: list[tuple[str, Any, list[str]]] = [
    ("title", "新标题", PUBLISH),
    ("language", "en", ["gaps", "integration", *PUBLISH]),
    ("source.seed", 7, ["generate_demo", "retrieve_osm", *AFTER_RETRIEVE]),
    ("area.buffer_km", 4, ["retrieve_osm", *AFTER_RETRIEVE]),
    ("admin.border_level", 5, AFTER_RETRIEVE),
    ("admin.border_level", [6, 5], []),  # the demo's [5, 6] in another order: the same levels
    ("admin.border_level", [6], AFTER_RETRIEVE),
    ("network.speeds_kph.residential", 25, [*NETWORK, *ACCESS, "gaps", "integration", *PUBLISH]),
    ("speeds.profile", "peak", [*NETWORK, *ACCESS, "gaps", "integration", *PUBLISH]),
    (
        "network.dwell_min",
        3,
        ["multimodal_network", "travel_times", "isochrones", "integration", *PUBLISH],
    ),  # fmt: skip
    ("transit.walk_kph", 4.5, AFTER_TRANSIT),
    ("transit.window", ["07:30", "09:30"], AFTER_TRANSIT),
    ("access.origins", "+origin", [*ACCESS, "integration", *PUBLISH]),
    ("access.bands_min", [45, 120, 180], ["isochrones", *PUBLISH]),
    ("access.bands_min", [60, 120, 150], ["travel_times", "travel_times", "isochrones", *PUBLISH]),
    ("access.hex_resolution", 6, ["isochrones", *PUBLISH]),
    ("access.access_buffer_m", 400, ["isochrones", "integration", *PUBLISH]),
    ("access.population_column", "pop", ["isochrones", "gaps", "integration", *PUBLISH]),
    ("gaps.gap_max_m", 900, ["gaps", "integration", *PUBLISH]),
    ("integration.reach_cell_m", 400, ["integration", *PUBLISH]),
    ("maps.basemap", "none", ["map"]),
    ("maps.top_gaps", 10, ["report"]),
    ("maps.gap_confidence", ["high"], ["map", "report"]),
    (
        "execution.origin_chunk_size",
        1,
        ["travel_times_chunk"] * 6 + ["gather_travel_times"] * 2 + ["isochrones", *PUBLISH],
    ),
]


def _edit(study: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    edited = copy.deepcopy(study)
    *parents, last = key.split(".")
    node = edited
    for part in parents:
        node = node.setdefault(part, {})
    if value == "+origin":
        node[last] = [*node[last], {"name": "北站 North", "lon": 114.26, "lat": 28.05}]
    else:
        node[last] = value
    return edited


@pytest.fixture(scope="module")
def run_copy(demo_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clone_run(demo_run, tmp_path_factory.mktemp("reruns") / "run")


@pytest.mark.parametrize(
    ("key", "value", "expected"), RERUNS, ids=[f"{k}={v}" for k, v, _ in RERUNS]
)
def test_an_edit_reruns_only_what_reads_it(
    run_copy: Path, key: str, value: Any, expected: list[str]
) -> None:
    path = run_copy / "workflow" / "config" / "studies" / "demo.yaml"
    original = path.read_text(encoding="utf-8")
    study = _edit(yaml.safe_load(original), key, value)
    path.write_text(yaml.safe_dump(study, allow_unicode=True), encoding="utf-8")
    try:
        result = snakemake(run_copy, "-n", "--config", "studies=[demo]", timeout=300)
    finally:
        path.write_text(original, encoding="utf-8")
    assert result.returncode == 0, output_of(result)[-3000:]
    planned = job_stats(output_of(result))
    planned.pop("all", None)
    wanted: dict[str, int] = {}
    for rule in expected:
        wanted[rule] = wanted.get(rule, 0) + 1
    assert planned == wanted


def _reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(v) for v in value]
    return value


def test_reordering_keys_is_no_edit(run_copy: Path) -> None:
    """The same settings with every mapping's keys in reverse order plan nothing."""
    path = run_copy / "workflow" / "config" / "studies" / "demo.yaml"
    original = path.read_text(encoding="utf-8")
    study = yaml.safe_load(original)
    reordered = _reversed_keys(study)
    path.write_text(yaml.safe_dump(reordered, allow_unicode=True, sort_keys=False), "utf-8")
    try:
        result = snakemake(run_copy, "-n", "--config", "studies=[demo]", timeout=300)
    finally:
        path.write_text(original, encoding="utf-8")
    assert "Nothing to be done" in output_of(result), output_of(result)[-3000:]
