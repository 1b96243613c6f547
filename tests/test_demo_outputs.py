"""The demo's results are those of the golden run: refactoring the code must not change them.

``tests/golden/demo.json`` is the fingerprint (:mod:`tests.golden`) of the demo's outputs from
``main`` before the restructuring into stage subpackages. Every table, layer, array and
workbook of today's run must match it value by value (rounded as ``tests.golden`` says). A
difference names the file, layer, column and row.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.golden import differences, fingerprint

pytestmark = pytest.mark.pipeline

GOLDEN = Path(__file__).parent / "golden" / "demo.json"


def test_demo_outputs_match_the_golden_run(demo_run: Path) -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    found = differences(expected, fingerprint(demo_run, "demo"))
    assert not found, f"{len(found)} difference(s) from {GOLDEN.name}:\n" + "\n".join(found[:40])
