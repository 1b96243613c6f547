"""Getting the OSM file: local paths, and downloads against a real HTTP server on 127.0.0.1.

The server (``http.server`` in a thread) serves the real Monaco extract with a correct MD5, a
wrong MD5, a connection that drops mid-file, a 404, and no MD5 at all.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from spatialint.config import load_study
from spatialint.errors import ConfigError, DataError, DownloadError
from spatialint.osm.sources import (
    cache_path,
    download,
    local_path,
    resolve_source,
    resolve_sources,
)
from spatialint.settings import SourceSettings

#: The schema's source defaults (retries, cache folder...), from the demo study.
DEFAULT_SOURCE = SourceSettings.from_study(load_study("demo"))


def pbf_source(url: str | tuple[str, ...] | None, **values: object) -> SourceSettings:
    """``source.kind: pbf`` settings for ``url``, other keys at their schema defaults."""
    return replace(DEFAULT_SOURCE, kind="pbf", url=url, **values)


class _Handler(BaseHTTPRequestHandler):
    payload = b""
    hits: dict[str, int] = {}

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def _send(self, body: bytes, *, status: int = 200, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.hits[self.path] = self.hits.get(self.path, 0) + 1
        good_md5 = hashlib.md5(self.payload).hexdigest()
        routes = {
            "/ok/monaco.osm.pbf": lambda: self._send(self.payload),
            "/ok/monaco.osm.pbf.md5": lambda: self._send(f"{good_md5}  monaco.osm.pbf\n".encode()),
            "/bad/monaco.osm.pbf": lambda: self._send(self.payload),
            "/bad/monaco.osm.pbf.md5": lambda: self._send(b"0" * 32 + b"  monaco.osm.pbf\n"),
            "/nomd5/monaco.osm.pbf": lambda: self._send(self.payload),
            # announces the whole file, sends half of it, then closes the connection
            "/drop/monaco.osm.pbf": lambda: self._send(
                self.payload[: len(self.payload) // 2], length=len(self.payload)
            ),
        }
        if self.path in routes:
            routes[self.path]()
        else:
            self._send(b"not found", status=404)
        if self.path.startswith("/drop/"):
            self.close_connection = True


@pytest.fixture(scope="module")
def server(monaco_pbf: Path) -> Iterator[str]:
    _Handler.payload = monaco_pbf.read_bytes()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _cache_is_empty(cache: Path) -> bool:
    return not cache.exists() or not [p for p in cache.rglob("*") if p.is_file()]


def test_download_verifies_md5_and_caches(server: str, tmp_path: Path, monaco_pbf: Path) -> None:
    url = f"{server}/ok/monaco.osm.pbf"
    path = download(url, cache_dir=tmp_path, retries=0)
    assert path == cache_path(url, cache_dir=tmp_path)
    assert path.read_bytes() == monaco_pbf.read_bytes()
    hits = _Handler.hits.get("/ok/monaco.osm.pbf", 0)
    assert download(url, cache_dir=tmp_path) == path  # second call: served from the cache
    assert _Handler.hits["/ok/monaco.osm.pbf"] == hits
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [path.name]


def test_md5_mismatch_keeps_nothing(server: str, tmp_path: Path) -> None:
    before = _Handler.hits.get("/bad/monaco.osm.pbf.md5", 0)
    with pytest.raises(DownloadError, match=r"MD5 .* publishes 0{32}.*Run again"):
        download(f"{server}/bad/monaco.osm.pbf", cache_dir=tmp_path, retries=1, backoff_s=0.01)
    # a mismatch is retried once with a fresh checksum (Geofabrik renews *-latest daily)
    assert _Handler.hits["/bad/monaco.osm.pbf.md5"] - before == 2
    assert _cache_is_empty(tmp_path)


def test_dropped_connection_is_retried_then_fails_cleanly(server: str, tmp_path: Path) -> None:
    before = _Handler.hits.get("/drop/monaco.osm.pbf", 0)
    with pytest.raises(DownloadError, match=r"failed after 3 attempt\(s\).*check your network"):
        download(f"{server}/drop/monaco.osm.pbf", cache_dir=tmp_path, retries=2, backoff_s=0.01)
    assert _Handler.hits["/drop/monaco.osm.pbf"] - before == 3
    assert _cache_is_empty(tmp_path)


def test_404_is_not_retried(server: str, tmp_path: Path) -> None:
    before = _Handler.hits.get("/gone/monaco.osm.pbf", 0)
    with pytest.raises(DownloadError, match=r"HTTP 404; check source.url"):
        download(f"{server}/gone/monaco.osm.pbf", cache_dir=tmp_path, retries=3, backoff_s=0.01)
    assert _Handler.hits["/gone/monaco.osm.pbf"] - before == 1
    assert _cache_is_empty(tmp_path)


def test_missing_md5_file_downloads_unverified(server: str, tmp_path: Path) -> None:
    path = download(f"{server}/nomd5/monaco.osm.pbf", cache_dir=tmp_path, retries=0)
    assert path.stat().st_size == len(_Handler.payload)


def test_explicit_md5_url_must_answer(server: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=r"checksum .* HTTP 404"):
        download(
            f"{server}/nomd5/monaco.osm.pbf",
            cache_dir=tmp_path,
            md5_url=f"{server}/nomd5/monaco.osm.pbf.md5",
        )
    assert _cache_is_empty(tmp_path)


def test_resolve_source_downloads_into_cache_dir(server: str, tmp_path: Path) -> None:
    source = pbf_source(f"{server}/ok/monaco.osm.pbf", cache_dir="raw")
    path = resolve_source(source, base_dir=tmp_path)
    assert path.is_relative_to(tmp_path / "raw")


def test_a_list_of_sources_is_fetched_and_checked_item_by_item(
    server: str, tmp_path: Path, monaco_pbf: Path
) -> None:
    urls = (f"{server}/ok/monaco.osm.pbf", str(monaco_pbf), f"{server}/nomd5/monaco.osm.pbf")
    paths = resolve_sources(pbf_source(urls, cache_dir="raw"), base_dir=tmp_path)
    assert paths[1] == monaco_pbf
    assert [p.parent.parent for p in (paths[0], paths[2])] == [tmp_path / "raw"] * 2
    assert all(p.read_bytes() == monaco_pbf.read_bytes() for p in paths)
    bad = (f"{server}/ok/monaco.osm.pbf", f"{server}/bad/monaco.osm.pbf")
    with pytest.raises(DownloadError, match=r"/bad/monaco.osm.pbf has MD5"):
        resolve_sources(pbf_source(bad, retries=0), base_dir=tmp_path)


def test_local_paths(tmp_path: Path, monaco_pbf: Path) -> None:
    assert resolve_source(pbf_source(str(monaco_pbf))) == monaco_pbf
    assert resolve_source(pbf_source(monaco_pbf.as_uri())) == monaco_pbf
    relative = resolve_source(
        pbf_source("shared/data/osm/monaco.osm.pbf"), base_dir=monaco_pbf.parents[3]
    )
    assert relative.samefile(monaco_pbf)
    with pytest.raises(DataError, match=r"does not exist; check the path"):
        resolve_source(pbf_source("nowhere/x.osm.pbf"), base_dir=tmp_path)
    with pytest.raises(ConfigError, match="source.url is missing"):
        resolve_source(pbf_source(None))
    with pytest.raises(ConfigError, match="unsupported scheme 'ftp'"):
        local_path("ftp://example.org/x.pbf")
