"""A run killed mid-way resumes: only the unfinished jobs run again, every output is whole.

The demo run is started in its own process group and killed with SIGKILL (no chance to clean
up: a crash, an out-of-memory kill, a pulled plug) once the network stage has finished and a
later job is running.  Snakemake's lock survives the kill: the plain rerun stops and says
exactly what to run (``snakemake --unlock``, then the same command). Outputs are written
through ``spatialint.fileio.atomic_path`` and Snakemake marks a running job's outputs
incomplete, so after ``snakemake --unlock`` a plain rerun (the default profile sets
``rerun-incomplete``) runs exactly the jobs that had not finished.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from spatialint.runlock import LOCK_DIR, commands
from tests.conftest import REPO_ROOT
from tests.pipeline_runs import (
    SNAKEMAKE,
    check_outputs_valid,
    job_stats,
    output_of,
    snakemake,
    snapshot,
    workflow_copy,
)

pytestmark = pytest.mark.pipeline

NETWORK_STEPS = (
    "generate_demo",
    "retrieve_osm",
    "admin_units",
    "road_network",
    "rail_network",
    "transit_network",
    "multimodal_network",
)
LATER_LOGS = ("origins", "gaps", "travel_times_road", "travel_times_multimodal")


def _rule_of(benchmark_stem: str) -> str:
    return "travel_times" if benchmark_stem.startswith("travel_times_") else benchmark_stem


def _running_later_job(workdir: Path) -> bool:
    """True once the network stage is done and a job of a later stage has started."""
    results = workdir / "benchmarks" / "results" / "demo"
    if not all((results / f"{step}.tsv").exists() for step in NETWORK_STEPS):
        return False
    started = [s for s in LATER_LOGS if (workdir / "logs" / "demo" / f"{s}.log").exists()]
    finished = [s for s in LATER_LOGS if (results / f"{s}.tsv").exists()]
    return len(started) > len(finished)


def test_killed_run_resumes_with_only_the_unfinished_jobs(tmp_path: Path) -> None:
    workdir = workflow_copy(tmp_path)
    plan = job_stats(output_of(snakemake(workdir, "-n", timeout=300)))
    assert plan.get("travel_times") == 2, plan

    process = subprocess.Popen(
        ["nice", "-n", "10", SNAKEMAKE, "--cores", "2"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, jobs included
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        deadline = time.monotonic() + 900
        while not _running_later_job(workdir):
            assert process.poll() is None, "the run ended before a later job was running"
            assert time.monotonic() < deadline, "the network stage did not finish in time"
            time.sleep(0.2)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    killed_at = time.time()

    results = workdir / "benchmarks" / "results" / "demo"
    finished: dict[str, int] = {}
    just_finished = 0  # a job may finish between our look and the kill
    for tsv in results.glob("*.tsv"):
        finished[_rule_of(tsv.stem)] = finished.get(_rule_of(tsv.stem), 0) + 1
        just_finished += tsv.stat().st_mtime > killed_at - 2
    assert not (workdir / "maps" / "demo" / "index.html").exists()
    network_before = snapshot(workdir / "data" / "demo" / "network")

    # SIGKILL left Snakemake's lock: the plain rerun stops, saying exactly what to run
    blocked = snakemake(workdir, "--cores", "2", timeout=300)
    said = output_of(blocked)
    assert blocked.returncode != 0 and "Directory cannot be locked" in said, said[-3000:]
    unlock_command, same_command = commands([SNAKEMAKE, "--cores", "2"])
    assert unlock_command.endswith("snakemake --unlock"), unlock_command
    assert said.count(f"\n    {unlock_command}\n    {same_command}\n") == 1, said[-3000:]
    assert (workdir / LOCK_DIR).is_dir()  # the lock is left to Snakemake
    unlock = snakemake(workdir, "--unlock", timeout=300)
    assert unlock.returncode == 0, output_of(unlock)
    rerun = snakemake(workdir, "--cores", "2", timeout=900)
    output = output_of(rerun)
    assert rerun.returncode == 0, output[-5000:]

    rerun_jobs = job_stats(output)
    assert not set(rerun_jobs) & set(NETWORK_STEPS), rerun_jobs
    remaining = {rule: n - finished.get(rule, 0) for rule, n in plan.items()}
    excess = {rule: rerun_jobs.get(rule, 0) - n for rule, n in remaining.items()}
    # every unfinished job runs again; a finished one only if it ended in the kill's instant
    assert all(e >= 0 for e in excess.values()), (rerun_jobs, remaining)
    assert sum(excess.values()) <= just_finished, (rerun_jobs, remaining)
    assert set(rerun_jobs) <= set(plan)
    assert snapshot(workdir / "data" / "demo" / "network") == network_before

    # no temporary file of an interrupted write is left behind once its job has run again
    # (.snakemake_timestamp is Snakemake's own marker in a directory output: gaps/thumbnails)
    leftovers = [
        p
        for folder in (workdir / "data" / "demo", workdir / "maps" / "demo")
        for p in folder.rglob(".*")
        if p.name != ".snakemake_timestamp"
    ]
    assert not leftovers, leftovers
    checked = check_outputs_valid(workdir, "demo")
    assert {"index.html", "report.html", "isochrones.gpkg", "gaps.gpkg"} <= {
        p.name for p in checked
    }
    done = snakemake(workdir, "-n", timeout=300)
    assert "Nothing to be done" in output_of(done)


def test_a_killed_writers_temporary_file_is_removed_by_the_next_write(tmp_path: Path) -> None:
    import tempfile

    from spatialint.fileio import atomic_path

    target = tmp_path / "gaps.gpkg"
    fd, left = tempfile.mkstemp(prefix=".gaps.gpkg.", suffix=".gpkg", dir=tmp_path)
    os.close(fd)  # what a SIGKILLed atomic_path leaves
    other = tmp_path / ".gaps.gpkg.gz.abcdefgh.gz"  # another target's temporary file
    other.write_text("in use", encoding="utf-8")
    with atomic_path(target) as tmp:
        tmp.write_text("complete", encoding="utf-8")
    assert not Path(left).exists()
    assert other.read_text(encoding="utf-8") == "in use"
    assert sorted(p.name for p in tmp_path.iterdir()) == [other.name, "gaps.gpkg"]
