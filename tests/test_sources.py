"""Getting the OSM file: local paths, and downloads against a real HTTP server on 127.0.0.1.

The server (``http.server`` in a thread) serves the real Monaco extract with a correct MD5, a
wrong MD5, a connection that drops mid-file, a 404, and no MD5 at all. A second one stands in
for Geofabrik: every shipped study that downloads its data fetches tiny extracts from the paths
of its own URLs, each checked against its ``<url>.md5``, and merges them.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest

from spatialint.config import STUDY_DIR, load_study
from spatialint.errors import ConfigError, DataError, DownloadError
from spatialint.osm.sources import (
    cache_path,
    download,
    is_remote,
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


# --- the shipped studies' download paths, against a local stand-in for Geofabrik -------------


def _remote_studies() -> list[str]:
    """The shipped studies whose source is downloaded (every item of source.url is http(s))."""
    names = []
    for path in sorted(STUDY_DIR.glob("*.yaml")):
        urls = SourceSettings.from_study(load_study(path.stem)).url or ()
        if urls and all(is_remote(u) for u in urls):
            names.append(path.stem)
    return names


class _Geofabrik(BaseHTTPRequestHandler):
    """Serves a small PBF at each path of ``files``, and its MD5 at ``<path>.md5`` in
    Geofabrik's form (``<hex>  <file name>``)."""

    files: dict[str, bytes] = {}
    hits: dict[str, int] = {}

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.hits[self.path] = self.hits.get(self.path, 0) + 1
        path = self.path.removesuffix(".md5")
        body = self.files.get(path)
        if body is not None and self.path.endswith(".md5"):
            body = f"{hashlib.md5(body).hexdigest()}  {Path(path).name}\n".encode()
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")


def _tiny_extract(path: Path, first_id: int) -> bytes:
    """A PBF of three nodes, one of them (id 1) in every file, as a way crossing a border is."""
    import osmium
    from osmium.osm import mutable

    writer = osmium.SimpleWriter(str(path))
    try:
        for nid in (1, first_id, first_id + 1):
            writer.add_node(mutable.Node(id=nid, version=1, location=(113.0, 29.0)))
    finally:
        writer.close()
    return path.read_bytes()


@pytest.fixture(scope="module")
def geofabrik(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("geofabrik")
    paths = sorted(
        {urlparse(u).path for name in _remote_studies() for u in pbf_settings(name).url or ()}
    )
    _Geofabrik.files = {
        path: _tiny_extract(folder / Path(path).name, 10 * (i + 1)) for i, path in enumerate(paths)
    }
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Geofabrik)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def pbf_settings(name: str) -> SourceSettings:
    return SourceSettings.from_study(load_study(name))


def test_the_middle_yangtze_study_reads_three_province_extracts() -> None:
    assert "changjiang_zhongyou" in _remote_studies()
    assert pbf_settings("changjiang_zhongyou").url == tuple(
        f"https://download.geofabrik.de/asia/china/{province}-latest.osm.pbf"
        for province in ("hubei", "hunan", "jiangxi")
    )


@pytest.mark.parametrize("name", _remote_studies())
def test_a_shipped_study_downloads_checks_and_merges_its_extracts(
    name: str, geofabrik: str, tmp_path: Path
) -> None:
    """Each URL of the study, served from 127.0.0.1 at its own path: fetched once, checked
    against its ``<url>.md5``, cached, and (several of them) merged into one extract."""
    import osmium

    from spatialint.osm.merge import merged_source

    source = pbf_settings(name)
    assert source.md5_url is None  # each file is checked against Geofabrik's own <url>.md5
    assert all(u.startswith("https://download.geofabrik.de/asia/china/") for u in source.url)
    local = tuple(geofabrik + urlparse(u).path for u in source.url)
    md5_before = {
        urlparse(u).path: _Geofabrik.hits.get(urlparse(u).path + ".md5", 0) for u in local
    }
    paths = resolve_sources(replace(source, url=local), base_dir=tmp_path)
    for url, path in zip(local, paths, strict=True):
        served = urlparse(url).path
        assert path == cache_path(url, cache_dir=tmp_path / source.cache_dir)
        assert path.read_bytes() == _Geofabrik.files[served]
        assert _Geofabrik.hits[served + ".md5"] - md5_before[served] == 1
    with merged_source(paths, beside=tmp_path / "osm" / "extract.osm.pbf") as merged:
        ids = sorted(n.id for n in osmium.FileProcessor(str(merged), osmium.osm.NODE))
    assert ids.count(1) == 1 and len(ids) == 1 + 2 * len(paths)  # the shared node once
