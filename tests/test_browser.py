"""The map and the report as a person sees them: headless Chromium, network closed.

Chromium comes from the Debian package ``chromium``. When it is missing the session installs it
(with a CJK font so Chinese labels render) if running as root, and otherwise fails with the
command to run: a browser test that silently skips would let a blank map through CI. The check
that Chinese text renders needs a font with Chinese glyphs: installed the same way as root,
skipped (saying how to install one) where that cannot be done.

A test reads what the page laid out by adding a small script to a copy of the page, which
writes its measurements into an attribute of ``<html>`` that ``--dump-dom`` shows.
"""

from __future__ import annotations

import json
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
from tests.maps_fixture import make_layers, write_thumbnails

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
APT_PACKAGES = ("chromium", "fonts-wqy-microhei")
CJK_FONT_PACKAGE = "fonts-wqy-microhei"
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


@pytest.fixture(scope="session")
def chinese_font() -> str:
    """A font with Chinese glyphs for the browser: installed through apt when missing and
    running as root, else the test is skipped."""

    def families() -> str:
        found = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True)
        return found.stdout.strip() if found.returncode == 0 else ""

    if shutil.which("fc-list") is None:
        pytest.skip("fontconfig (fc-list) is not installed: cannot tell the browser's fonts")
    if not families() and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["sh", "-c", f"apt-get update && apt-get install -y {CJK_FONT_PACKAGE}"],
                       env=env, capture_output=True, text=True)  # fmt: skip
    if not families():
        pytest.skip(f"no font with Chinese glyphs: `apt-get install {CJK_FONT_PACKAGE}` as root")
    return families().splitlines()[0]


def measured_page(page: Path, script: str, folder: Path) -> Path:
    """A copy of ``page`` that runs ``script`` once it has loaded; the script sets
    ``data-measured`` on ``<html>`` to JSON."""
    html = page.read_text(encoding="utf-8")
    probe = (
        "<script>window.addEventListener('load', function () { setTimeout(function () {"
        f"document.documentElement.setAttribute('data-measured', JSON.stringify(({script})()));"
        "}, 0); });</script>"
    )
    copy = folder / f"measured-{page.name}"
    copy.write_text(html.replace("</body>", probe + "</body>", 1), encoding="utf-8")
    return copy


def measured(dom: str) -> dict:
    found = re.search(r'data-measured="([^"]*)"', dom)
    assert found, "the page's measuring script did not run"
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


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


POPUPS_JS = """function () {
    var texts = {};
    Object.keys(window).filter(function (k) { return k.indexOf('circle_marker_') === 0; })
        .forEach(function (k) {
            var marker = window[k];
            if (!marker.getPopup || !marker.getPopup() || !marker._map) { return; }
            marker.openPopup();
            var content = document.querySelector('.leaflet-popup-content');
            var links = Array.prototype.map.call(
                content.querySelectorAll('a'), function (a) { return a.href; });
            texts[marker.getTooltip().getContent()] = {text: content.innerText, links: links};
        });
    return texts;
}"""


def test_dead_end_popups_give_confidence_reasons_and_editor_links(chromium, map_page, tmp_path):
    """A reviewer clicks a 断头路: its confidence, reasons and the OSM, iD and JOSM links open;
    the low-confidence one is in a layer switched off, so not on the map at start."""
    page = measured_page(map_page, POPUPS_JS, tmp_path)
    popups = measured(run_chromium(chromium, page.as_uri(), tmp_path / "profile", "--dump-dom"))
    gap_ids = {tip: re.search(r"G00\d", tip) for tip in popups}  # tooltips are HTML
    dead_ends = {found.group(): popups[tip] for tip, found in gap_ids.items() if found}
    assert sorted(dead_ends) == ["G001", "G002"]
    g001 = dead_ends["G001"]
    assert "可信度高" in g001["text"] and "可信度高：两端断头相向" in g001["text"]
    assert g001["links"][0].startswith("https://www.openstreetmap.org/?mlat=28.15")
    assert g001["links"][1].startswith("https://www.openstreetmap.org/edit?editor=id")
    assert g001["links"][2].startswith("http://127.0.0.1:8111/load_and_zoom?")
    assert "需建桥" in dead_ends["G002"]["text"]


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


LAYOUT_JS = """function () {
    var rect = function (e) { var r = e.getBoundingClientRect();
        return [r.left, r.top, r.right, r.bottom]; };
    var name = Object.keys(window).filter(function (k) { return /^map_/.test(k); })[0];
    var map = window[name], b = BOUNDS;
    var a = map.latLngToContainerPoint([b[0][0], b[0][1]]);
    var c = map.latLngToContainerPoint([b[1][0], b[1][1]]);
    var box = map.getContainer().getBoundingClientRect();
    var legend = document.getElementById('spatialint-legend');
    return {
        data: [Math.min(a.x, c.x) + box.left, Math.min(a.y, c.y) + box.top,
               Math.max(a.x, c.x) + box.left, Math.max(a.y, c.y) + box.top],
        map: rect(map.getContainer()),
        legend: rect(legend), title: rect(document.getElementById('spatialint-title')),
        layers: rect(document.querySelector('.leaflet-control-layers')),
        legend_in_corner: !!legend.closest('.leaflet-top.leaflet-right'),
        legend_open: legend.querySelector('details').open
    };
}"""


def overlap(first: list[float], second: list[float]) -> bool:
    return not (first[2] <= second[0] or second[2] <= first[0] or first[3] <= second[1]
                or second[3] <= first[1])  # fmt: skip


def test_legend_is_clear_of_the_study_area(chromium, map_page, tmp_path):
    """The legend sits under the layer list (top right), the title top left, and the first view
    fits the study area beside them: no unit under a panel (on Andorra the legend hid Sant
    Julià). In a small window the legend starts shut."""
    bounds = [[28.1, 112.8], [28.3, 113.2]]  # the fixture's units
    page = measured_page(map_page, LAYOUT_JS.replace("BOUNDS", json.dumps(bounds)), tmp_path)
    layout = measured(run_chromium(chromium, page.as_uri(), tmp_path / "p1", "--dump-dom"))
    assert layout["legend_in_corner"] and layout["legend_open"]
    for panel in ("legend", "title", "layers"):
        assert not overlap(layout["data"], layout[panel]), (panel, layout)
    width = layout["data"][2] - layout["data"][0]
    assert width > 0.4 * (layout["map"][2] - layout["map"][0])  # and the area still fills it
    small = measured(run_chromium(chromium, page.as_uri(), tmp_path / "p2", "--dump-dom",
                                  "--window-size=560,560"))  # fmt: skip
    assert not small["legend_open"]


@pytest.fixture(scope="module")
def report_page(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    paths = {
        "html_path": folder / "report.html",
        "xlsx_path": folder / "report.xlsx",
        "gpkg_path": folder / "spatialint.gpkg",
    }
    settings = ReportSettings.from_study(load_study("demo"))
    write_report(
        make_layers(), **paths, map_path=None, report_settings=settings, study=STUDY,
        data_date=None, thumbnails=write_thumbnails(folder / "thumbnails"),
    )  # fmt: skip
    return paths["html_path"]


THUMBNAILS_JS = """function () {
    var sizes = {};
    document.querySelectorAll('img').forEach(function (img) {
        sizes[img.alt] = [img.naturalWidth, img.naturalHeight];
    });
    return sizes;
}"""


def test_report_renders_offline(chromium, report_page, tmp_path):
    dom = run_chromium(chromium, report_page.as_uri(), tmp_path / "profile", "--dump-dom")
    assert dom.count("<figure") == 3 and dom.count("<svg") == 3 and dom.count("<table") >= 4
    shown = measured_page(report_page, THUMBNAILS_JS, tmp_path)
    pictures = measured(run_chromium(chromium, shown.as_uri(), tmp_path / "p3", "--dump-dom"))
    assert pictures == {"G001": [24, 24], "G002": [24, 24]}  # decoded, in the page itself
    shot = tmp_path / "report.png"
    run_chromium(chromium, report_page.as_uri(), tmp_path / "profile2", f"--screenshot={shot}")
    image = matplotlib.image.imread(shot)[..., :3]
    assert len(np.unique((image * 255).astype(np.uint8).reshape(-1, 3), axis=0)) > 100


GLYPHS_JS = """function () {
    var boxes = {};
    var title = Array.prototype.filter.call(
        document.querySelectorAll('#fig-overview text'),
        function (t) { return t.textContent.indexOf('总览图') >= 0; })[0];
    var start = title.textContent.indexOf('总览图');
    ['总', '览'].forEach(function (ch, i) {
        var e = title.getExtentOfChar(start + i), m = title.getScreenCTM();
        var p = new DOMPoint(e.x, e.y).matrixTransform(m);
        var q = new DOMPoint(e.x + e.width, e.y + e.height).matrixTransform(m);
        boxes['figure ' + ch] = [p.x, p.y, q.x, q.y];
    });
    var heading = document.querySelector('h2').firstChild, range = document.createRange();
    ['研', '究'].forEach(function (ch, i) {
        range.setStart(heading, i); range.setEnd(heading, i + 1);
        var r = range.getBoundingClientRect();
        boxes['heading ' + ch] = [r.left, r.top, r.right, r.bottom];
    });
    return boxes;
}"""


def test_report_draws_chinese_in_figures_and_text(chromium, chinese_font, report_page, tmp_path):
    """With a Chinese font on the reader's machine, the figures' Chinese (SVG text) renders as
    glyphs, not empty boxes: two different characters look different and both have ink (empty
    boxes all look alike)."""
    size = "--window-size=1280,1600"
    page = measured_page(report_page, GLYPHS_JS, tmp_path)
    boxes = measured(run_chromium(chromium, page.as_uri(), tmp_path / "p1", "--dump-dom", size))
    shot = tmp_path / "report.png"
    run_chromium(chromium, page.as_uri(), tmp_path / "p2", f"--screenshot={shot}", size)
    keep = os.environ.get("SPATIALINT_SCREENSHOT_DIR")
    if keep:
        shutil.copy(shot, Path(keep) / "report.png")
    grey = matplotlib.image.imread(shot)[..., :3].mean(axis=2)
    crops = {}
    for name, (left, top, right, bottom) in boxes.items():
        assert right - left > 4 and bottom - top > 4, (name, boxes)
        crop = grey[int(top) : int(np.ceil(bottom)), int(left) : int(np.ceil(right))]
        crops[name] = crop
        assert (crop < 0.5).mean() > 0.03, f"{name}: no ink ({chinese_font})"
    for first, second in (("figure 总", "figure 览"), ("heading 研", "heading 究")):
        a, b = crops[first], crops[second]
        rows, cols = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
        difference = np.abs(a[:rows, :cols] - b[:rows, :cols]).mean()
        assert difference > 0.05, f"{first} and {second} look alike: empty boxes?"
