"""Overpass through osmnx against a stub Overpass server on 127.0.0.1.

The recorded response is generated once per test session from a small part of the real Monaco
extract (clipped with :func:`spatialint.osm.extract.clip_extract`), converted to the Overpass API's
``out body`` JSON format (``{"elements": [{"type": "node", "id", "lat", "lon", "tags"}, {"type":
"way", "id", "nodes", "tags"}, {"type": "relation", "id", "members": [{"type", "ref", "role"}],
"tags"}]}``). The stub answers ``/api/status`` like the real server and every POST to
``/api/interpreter`` with that recording, so osmnx's real download path (slot check, POST,
response parsing, on-disk cache) runs offline.
"""

from __future__ import annotations

import inspect
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import osmium
import osmnx as ox
import pytest
from osmnx import _overpass

from spatialint.config import load_study
from spatialint.errors import ConfigError, DownloadError
from spatialint.osm.admin import units_from_osm
from spatialint.osm.extract import clip_extract
from spatialint.osm.overpass import OSMNX_PRIVATE_API, fetch_extract, overpass_base_url
from spatialint.settings import AreaSettings, SourceSettings

pytestmark = pytest.mark.realdata

RECORD_BBOX = [7.405, 43.72, 7.435, 43.745]  # Monaco and a strip of France
TYPE_NAMES = {"n": "node", "w": "way", "r": "relation"}
STATUS_TEXT = (
    "Connected as: 2130706433\nCurrent time: 2026-01-01T00:00:00Z\nAnnounced endpoint: none\n"
    "Rate limit: 2\n2 slots available now.\nCurrently running queries (pid, space limit, time "
    "limit, start time):\n"
)


def pbf_to_overpass_json(path: Path) -> dict:
    """An OSM file as an Overpass API ``out body`` JSON answer."""
    elements = []
    for obj in osmium.FileProcessor(str(path)):
        element: dict = {"type": TYPE_NAMES[obj.type_str()], "id": obj.id}
        if obj.is_node():
            element.update(lat=obj.location.lat, lon=obj.location.lon)
        elif obj.is_way():
            element["nodes"] = [n.ref for n in obj.nodes]
        else:
            element["members"] = [
                {"type": TYPE_NAMES[m.type], "ref": m.ref, "role": m.role} for m in obj.members
            ]
        if len(obj.tags):
            element["tags"] = dict(obj.tags)
        elements.append(element)
    return {
        "version": 0.6,
        "generator": "Overpass API (recorded by spatialint's tests from monaco.osm.pbf)",
        "osm3s": {
            "copyright": "The data included in this document is from www.openstreetmap.org."
            " The data is made available under ODbL."
        },
        "elements": elements,
    }


class _Overpass(BaseHTTPRequestHandler):
    answer: bytes = b"{}"
    queries: list[str] = []

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        self._send(STATUS_TEXT.encode(), "text/plain")

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        query = parse_qs(body)["data"][0]
        self.queries.append(query)
        if self.path.startswith("/broken/"):
            answer = {"elements": [], "remark": 'runtime error: Query timed out in "query"'}
            self._send(json.dumps(answer).encode(), "application/json")
        else:
            self._send(self.answer, "application/json")


@pytest.fixture(scope="module")
def recording(monaco_pbf: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    part = tmp_path_factory.mktemp("record") / "part.osm.pbf"
    area = AreaSettings(admin_units=None, polygon_file=None, bbox=tuple(RECORD_BBOX), buffer_km=0)
    clip_extract(monaco_pbf, part, area=area, levels=[8, 10])
    return pbf_to_overpass_json(part)


@pytest.fixture(scope="module")
def stub(recording: dict) -> Iterator[str]:
    _Overpass.answer = json.dumps(recording).encode()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Overpass)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


#: The schema's source defaults, from the demo study.
DEFAULT_SOURCE = SourceSettings.from_study(load_study("demo"))


def fetch(url: str, cache: Path, target: Path, **area: object) -> dict[str, int]:
    """:func:`fetch_extract` from the Overpass API at ``url`` for ``area`` (0.2 km buffer),
    admin levels 8 and 10, answers cached under ``cache``."""
    source = replace(
        DEFAULT_SOURCE, kind="overpass", overpass_url=url, timeout_s=30, cache_dir=str(cache)
    )
    settings = AreaSettings.from_config({"buffer_km": 0.2, **area}, where="area")
    return fetch_extract(target, source=source, area=settings, levels=[8, 10])


def test_the_private_osmnx_functions_take_what_we_pass() -> None:
    """osmnx's private Overpass client (pinned in pyproject.toml) still has our signatures."""
    request, coord_strs = (inspect.signature(getattr(_overpass, n)) for n in OSMNX_PRIVATE_API)
    first, *rest = request.parameters.values()
    assert first.name == "data"
    assert all(p.default is not inspect.Parameter.empty for p in rest)
    assert len(coord_strs.parameters) == 1


def test_fetch_writes_the_recorded_objects_as_pbf(
    stub: str, recording: dict, tmp_path: Path
) -> None:
    _Overpass.queries.clear()
    target = tmp_path / "extract.osm.pbf"
    counts = fetch(
        f"{stub}/api/interpreter", tmp_path / "cache", target, bbox=[7.41, 43.725, 7.43, 43.74]
    )
    kinds = [e["type"] for e in recording["elements"]]
    assert counts == {
        "nodes": kinds.count("node"),
        "ways": kinds.count("way"),
        "relations": kinds.count("relation"),
    }
    # one query, with the polygon and every object family of the PBF path
    (query,) = _Overpass.queries
    assert query.startswith("[out:json][timeout:30]")
    for part in (
        'way["highway"](poly:"',
        'node["place"](poly:"',
        '["admin_level"~"^(8|10)$"]',
        '->.containing;rel(pivot.containing)["boundary"="administrative"]',
        "(._;>;);out body;",
    ):
        assert part in query
    # the PBF reads back: complete ways, tags intact, osmnx settings restored
    nodes, ways = set(), {}
    tags = {}
    for obj in osmium.FileProcessor(str(target)):
        if obj.is_node():
            nodes.add(obj.id)
        elif obj.is_way():
            ways[obj.id] = [n.ref for n in obj.nodes]
        else:
            tags[obj.id] = dict(obj.tags)
    assert all(set(refs) <= nodes for refs in ways.values())
    assert tags[2220322]["name"] == "Monaco"
    assert ox.settings.overpass_url != overpass_base_url(f"{stub}/api/interpreter")
    # the same request again is answered from osmnx's cache under cache_dir
    fetch(
        f"{stub}/api",
        tmp_path / "cache",
        tmp_path / "again.osm.pbf",
        bbox=[7.41, 43.725, 7.43, 43.74],
    )
    assert len(_Overpass.queries) == 1
    assert list((tmp_path / "cache" / "overpass").glob("*.json"))


def test_overpass_extract_feeds_the_admin_stage(stub: str, tmp_path: Path) -> None:
    target = tmp_path / "extract.osm.pbf"
    fetch(f"{stub}/api", tmp_path, target, admin_units=[{"relation_id": 2220322}])
    result = units_from_osm(target, levels=[8, 10])
    monaco = result.units.set_index("unit_id").loc["r2220322"]
    assert monaco["name"] == "Monaco" and monaco["admin_level"] == 8
    wards = result.units[result.units["admin_level"] == 10]
    assert set(wards["parent_id"]) == {"r2220322"}
    assert "Monte-Carlo" in set(result.places["name"])


def test_unknown_unit_name(stub: str, tmp_path: Path) -> None:
    units = [{"name": "Monacco", "admin_level": 8}]
    with pytest.raises(ConfigError, match=r"no boundary relation .*Monacco"):
        fetch(f"{stub}/api", tmp_path, tmp_path / "x.osm.pbf", admin_units=units)


def test_server_error_remark_is_a_download_error(stub: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=r"stopped the query: runtime error.*timeout_s"):
        fetch(
            f"{stub}/broken/api", tmp_path, tmp_path / "x.osm.pbf", bbox=[7.41, 43.725, 7.43, 43.74]
        )
    assert not (tmp_path / "x.osm.pbf").exists()


def test_overpass_needs_an_area(stub: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs a study area"):
        fetch(f"{stub}/api", tmp_path, tmp_path / "x.osm.pbf")


def test_unreachable_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # osmnx waits 60 s when the status endpoint is unreachable; skip that wait here only
    monkeypatch.setattr(ox.settings, "overpass_rate_limit", False)
    with pytest.raises(DownloadError, match="Could not reach the Overpass API"):
        fetch(
            "http://127.0.0.1:9/api",
            tmp_path,
            tmp_path / "x.osm.pbf",
            bbox=[7.41, 43.725, 7.43, 43.74],
        )
