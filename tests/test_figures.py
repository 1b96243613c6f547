"""The report's figures: SVG whose Chinese text stays text, the same with or without a CJK font.

A machine without a Chinese font used to get figures full of empty boxes (or English labels,
said wrongly in the log), and matplotlib printed a warning per missing glyph. The figures are
now SVG with ``svg.fonttype: none``: the browser draws the text, and the layout measures a
Chinese character as one em without looking for its glyph.
"""

from __future__ import annotations

import logging
import re
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib
import pytest
from matplotlib import font_manager

from spatialint.publish.report.figures import inline_svg, report_figures, stand_in
from tests.maps_fixture import make_layers

SVG = "{http://www.w3.org/2000/svg}"
CJK_HINTS = ("wqy", "wenquanyi", "notosanscjk", "noto sans cjk", "droidsansfallback", "uming")


def texts(svg: str) -> list[str]:
    """The text of every ``<text>`` element of an SVG."""
    return ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]


def figures_quietly(caplog) -> tuple[dict[str, str | None], list[str]]:
    """The demo figures in Chinese, and every warning matplotlib gave while making them."""
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.DEBUG):
        warnings.simplefilter("always")
        figures = report_figures(make_layers(), language="zh", title="测试区域")
    said = [str(w.message) for w in caught]
    said += [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    return figures, said


@pytest.fixture
def no_cjk_font(monkeypatch):
    """matplotlib sees only the fonts it ships (DejaVu ...): no font with Chinese glyphs."""
    bundled = str(Path(matplotlib.get_data_path()))
    manager = font_manager.fontManager
    monkeypatch.setattr(manager, "ttflist", [f for f in manager.ttflist
                                             if f.fname.startswith(bundled)])  # fmt: skip
    manager._findfont_cached.cache_clear()
    yield
    manager._findfont_cached.cache_clear()


@pytest.fixture
def cjk_font(monkeypatch):
    """A font with Chinese glyphs registered with matplotlib (skips where none is installed)."""
    found = [p for p in font_manager.findSystemFonts()
             if any(h in Path(p).name.lower() for h in CJK_HINTS)]  # fmt: skip
    if not found:
        pytest.skip("no font with Chinese glyphs installed (apt-get install fonts-wqy-microhei)")
    manager = font_manager.fontManager
    monkeypatch.setattr(manager, "ttflist", list(manager.ttflist))
    manager.addfont(found[0])
    manager._findfont_cached.cache_clear()
    yield font_manager.FontProperties(fname=found[0]).get_name()
    manager._findfont_cached.cache_clear()


def test_figures_keep_chinese_text_as_text_without_a_cjk_font(no_cjk_font, caplog):
    figures, said = figures_quietly(caplog)
    assert not [s for s in said if "Glyph" in s or "findfont" in s], said
    overview, corridors, coverage = figures["overview"], figures["corridors"], figures["coverage"]
    assert overview.startswith("<svg") and "<image" in overview  # the map layers as one image
    assert "测试区域 – 总览图" in texts(overview) and "西城中心" in texts(overview)
    assert "东城–西城" in texts(corridors) and "走廊一体化指数" in texts(corridors)
    assert "1小时圈" in texts(coverage) and "人口" in texts(coverage)
    # the browser draws them with a Chinese font it has
    assert "'Noto Sans CJK SC'" in overview and "'Microsoft YaHei'" in overview


def test_figures_are_the_same_with_a_cjk_font(cjk_font, caplog):
    with_font, said = figures_quietly(caplog)
    assert not [s for s in said if "Glyph" in s or "findfont" in s], said
    assert cjk_font in {f.name for f in font_manager.fontManager.ttflist}
    bundled = str(Path(matplotlib.get_data_path()))
    font_manager.fontManager.ttflist = [
        f for f in font_manager.fontManager.ttflist if f.fname.startswith(bundled)
    ]  # the fixture's monkeypatch restores the list
    font_manager.fontManager._findfont_cached.cache_clear()
    without_font, _ = figures_quietly(caplog)
    assert with_font == without_font


def test_chinese_is_measured_a_full_em_wide():
    assert stand_in("总览图 – Map") == "WWW – Map"
    assert stand_in("（西城）") == "WWWW" and stand_in("Sant Julià") == "Sant Julià"


def test_inline_figures_keep_their_ids_apart():
    svg = '<svg><defs><clipPath id="p1"><rect/></clipPath></defs><g clip-path="url(#p1)"/></svg>'
    out = inline_svg(svg, "fig-a")
    assert 'id="fig-a-p1"' in out and "url(#fig-a-p1)" in out and 'id="p1"' not in out


def test_report_page_ids_are_unique(tmp_path):
    from tests.test_report import report_files

    paths = report_files(tmp_path, make_layers())
    html = paths["html_path"].read_text(encoding="utf-8")
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert ids and len(ids) == len(set(ids))
    for reference in re.findall(r"url\(#([^)]+)\)", html):
        assert reference in ids
