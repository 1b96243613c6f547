"""Shared test fixtures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_OSM_DIR = REPO_ROOT.parent / "shared" / "data" / "osm"
SCRIPTS_DIR = REPO_ROOT / "workflow" / "scripts"
#: One origin, for test studies that need a valid config but no particular origin (a study
#: without origins is refused when it loads).
AN_ORIGIN = {"name": "东城中心 East city centre", "place": "东城"}
# The workflow's scripts import their shared code as ``_helpers`` (Snakemake puts the script's
# folder on the path); so do the tests of it.
if str(SCRIPTS_DIR) not in sys.path:
    sys.path.insert(0, str(SCRIPTS_DIR))


def shared_pbf(name: str) -> Path:
    """Path of a real OSM extract in ../shared/data/osm; skips the test when it is absent."""
    path = SHARED_OSM_DIR / name
    if not path.exists():
        pytest.skip(f"real OSM extract {path} not available")
    return path


@pytest.fixture(scope="session")
def andorra_pbf() -> Path:
    return shared_pbf("andorra.osm.pbf")


@pytest.fixture(scope="session")
def monaco_pbf() -> Path:
    return shared_pbf("monaco.osm.pbf")


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of the one demo pipeline run the whole suite shares.

    Read it, never change it: a test that edits a run copies it first
    (``tests.pipeline_runs.clone_run``).
    """
    from tests.pipeline_runs import output_of, shared_two_study_run

    workdir, result = shared_two_study_run(tmp_path_factory)
    if not (workdir / "maps" / "demo" / "report.html").exists():
        pytest.fail(f"the shared demo run failed:\n{output_of(result)[-4000:]}")
    return workdir
