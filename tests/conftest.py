"""Shared test fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_OSM_DIR = REPO_ROOT.parent / "shared" / "data" / "osm"


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
