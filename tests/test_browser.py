"""The map and the report as a person sees them: headless Chromium, network closed.

Chromium comes from the Debian package ``chromium``. When it is missing the session installs it
(with a CJK font so Chinese labels render) if running as root, and otherwise fails with the
command to run: a browser test that silently skips would let a blank map through CI.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

from spatialint.config import load_study
from spatialint.publish.map import write_map
from spatialint.publish.report import write_report
from spatialint.settings import MapSettings, ReportSettings, StudyInfo
from tests.maps_fixture import make_layers

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
APT_PACKAGES = ("chromium", "fonts-wqy-microhei")
BROWSER_TIMEOUT_S = 120
WINDOW = (1280, 900)
STUDY = StudyInfo(name="test", title="测试区域", synthetic=True, language="zh")


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Path of headless Chromium, installed through apt when missing and running as root."""
    if CHROMIUM.exists():
        return CHROMIUM
    command = f"apt-get update && apt-get install -y {' '.join(APT_PACKAGES)}"
    if os.geteuid() != 0:
        pytest.fail(
            f"The browser tests need headless Chromium at {CHROMIUM}: install it with "
            f"`sudo sh -c '{command}'` (Debian/Ubuntu), or deselect them with -m 'not browser'."
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    result = subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True)
    if result.returncode != 0 or not CHROMIUM.exists():
        pytest.fail(f"Installing Chromium with `{command}` failed:\n{result.stderr[-2000:]}")
    return CHROMIUM


def run_chromium(binary: Path, url: str, profile: Path, *extra: str) -> str:
    """Run headless Chromium with the network closed; return its stdout."""
    args = [
        str(binary),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=http://127.0.0.1:9",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--virtual-time-budget=8000",
        *extra,
        url,
    ]
    result = subprocess.run(args, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="module")
def map_page(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("browser")
    settings = MapSettings.from_study(load_study("demo"))  # the schema's defaults
    return write_map(
        make_layers(), folder / "index.html", map_settings=settings, study=STUDY, data_date=None
    )


def test_map_renders_offline_with_layers(chromium, map_page, tmp_path):
    dom = run_chromium(chromium, map_page.as_uri(), tmp_path / "profile", "--dump-dom")
    error = re.search(r'<html[^>]*data-js-error="([^"]*)"', dom)
    assert error is None, f"JavaScript error in the page: {error.group(1)}"
    assert "leaflet-container" in dom and "leaflet-control-layers" in dom
    overlay = dom[dom.index('class="leaflet-pane leaflet-overlay-pane"') :]
    overlay = overlay[: overlay.index('class="leaflet-pane leaflet-shadow-pane"')]
    paths = re.findall(r"<path ", overlay)
    # units (3) + roads (2) + rail (2) + stations (2) + isochrones shown (3) + origins (2)
    # + corridor (1) + class drop (1) + missing crossing (1) + dead ends (3)
    assert len(paths) >= 20, len(paths)
    assert re.search(r'd="M[\d.-]+ [\d.-]+', overlay)  # drawn with real coordinates
    assert dom.count('class="spatialint-label"') == 3
    assert dom.count("leaflet-control-layers-selector") >= 15
    # tiles cannot load on the closed network: the page says so and keeps its background
    assert re.search(r'id="spatialint-basemap-note" style="display: block', dom)
    assert "演示数据：合成区域" in dom


def test_map_screenshot_is_not_blank(chromium, map_page, tmp_path):
    shot = tmp_path / "map.png"
    run_chromium(chromium, map_page.as_uri(), tmp_path / "profile", f"--screenshot={shot}")
    keep = os.environ.get("SPATIALINT_SCREENSHOT_DIR")
    if keep:
        shutil.copy(shot, Path(keep) / "map.png")
    image = matplotlib.image.imread(shot)[..., :3]
    assert image.shape[:2] == (WINDOW[1], WINDOW[0])
    pixels = (image * 255).astype(np.uint8).reshape(-1, 3)
    colours, counts = np.unique(pixels, axis=0, return_counts=True)
    assert len(colours) > 200  # lines, fills, text: not a blank page
    assert counts.max() / len(pixels) < 0.8  # no single colour covers the page
    # the 3-hour band fill (red tint) and the 1-hour band (green tint) are visible
    red = (pixels[:, 0] > 200) & (pixels[:, 1] < 220) & (pixels[:, 2] < 220)
    green = (pixels[:, 1] > pixels[:, 0] + 20) & (pixels[:, 1] > pixels[:, 2] + 20)
    assert red.mean() > 0.01 and green.mean() > 0.005


def test_report_renders_offline(chromium, tmp_path):
    paths = {
        "html_path": tmp_path / "report.html",
        "xlsx_path": tmp_path / "report.xlsx",
        "gpkg_path": tmp_path / "spatialint.gpkg",
    }
    settings = ReportSettings.from_study(load_study("demo"))
    write_report(
        make_layers(), **paths, map_path=None, report_settings=settings, study=STUDY,
        data_date=None,
    )  # fmt: skip
    dom = run_chromium(chromium, paths["html_path"].as_uri(), tmp_path / "profile", "--dump-dom")
    assert dom.count("<img") == 3 and dom.count("<table") >= 4
    shot = tmp_path / "report.png"
    run_chromium(
        chromium, paths["html_path"].as_uri(), tmp_path / "profile2", f"--screenshot={shot}"
    )
    image = matplotlib.image.imread(shot)[..., :3]
    assert len(np.unique((image * 255).astype(np.uint8).reshape(-1, 3), axis=0)) > 100
