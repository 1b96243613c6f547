"""A step's console shows our own progress and problems, not other libraries' chatter.

``spatialint.logs.configure_logging`` (what every pipeline step runs) keeps third-party loggers
at WARNING, so pyogrio's ``INFO pyogrio._io: Created N records`` (about 15 lines a run) stays
out, while their warnings and Python warnings still show; and no stage emits a numpy
RuntimeWarning (the gaps stage's ``0 × inf`` at a one-way edge's end is not computed).
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from spatialint.contracts import ADMIN_UNITS
from spatialint.contracts.io import read_table
from spatialint.gaps.detours import detour_time_s
from spatialint.logs import configure_logging, run_step
from spatialint.network.graph import CSRGraph
from tests.tiny_study import make_tiny_study, run_admin


@pytest.fixture(autouse=True)
def _restore_logging():
    """configure_logging sets the process's logging; put the test runner's back after."""
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    levels = {name: logging.getLogger(name).level for name in ("spatialint", "pyogrio")}
    yield
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    logging.captureWarnings(False)


def test_a_stage_logs_its_own_progress_only(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    pbf, units = make_tiny_study(tmp_path / "inputs")
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        run_step(lambda: run_admin(pbf, units, tmp_path / "network"), log_path=tmp_path / "a.log")
    console = capsys.readouterr().err
    log = (tmp_path / "a.log").read_text(encoding="utf-8")
    for text in (console, log):
        assert "INFO spatialint.osm.units: built 0 admin unit(s)" in text  # our progress
        assert "pyogrio" not in text and "Created" not in text
        assert "Warning" not in text
    assert len(read_table(tmp_path / "network" / "admin_units.gpkg", ADMIN_UNITS)) == 2


def test_third_party_warnings_still_show(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    configure_logging()
    capsys.readouterr()
    logging.getLogger("pyogrio._io").info("Created 7 records")
    logging.getLogger("pyogrio._io").warning("a layer lost its CRS")
    logging.getLogger("spatialint.gaps.stage").info("wrote 6 dead end(s)")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)]).to_file(tmp_path / "a.shp")  # no CRS
    console = capsys.readouterr().err
    assert "Created 7 records" not in console
    assert "WARNING pyogrio._io: a layer lost its CRS" in console
    assert "INFO spatialint.gaps.stage: wrote 6 dead end(s)" in console
    assert "WARNING py.warnings" in console  # Python warnings reach the log


def test_a_detour_ending_at_a_one_way_edges_end_raises_no_warning() -> None:
    # 2 -> 1 -> 0 and back, except 1 -> 0, which is one-way the other way (0 -> 1 only)
    graph = CSRGraph.from_arcs(
        np.array([10, 11, 12]),
        np.array([113.0, 113.01, 113.02]),
        np.array([28.0, 28.0, 28.0]),
        np.array([0, 1, 2]),
        np.array([1, 2, 1]),
        np.array([60.0, 30.0, 30.0]),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        seconds = detour_time_s(
            graph,
            np.array([2, 2]),
            np.array([1, 0]),  # edge 1–0 as (u, v) = (1, 0) and (0, 1); no arc 1 -> 0
            np.array([0, 1]),
            np.array([0.0, 1.0]),  # both at node 1, the end where the one-way arc arrives
            cutoff_s=3600,
        )
    np.testing.assert_allclose(seconds, [30.0, 30.0])
