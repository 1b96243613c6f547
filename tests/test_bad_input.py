"""Bad input, wherever it enters: one clear message, no traceback, earlier results untouched.

Each case changes a *copy* of the finished demo run (tests/pipeline_runs.py) and runs
Snakemake on it as a user would; the failing step must end with one log line from
``spatialint.logs.run_step`` (or the config error at start-up), and the files written before
(the network stage, the planners' review file) must keep their bytes and mtimes.
"""

from __future__ import annotations

import errno
import io
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from spatialint.errors import DownloadError
from spatialint.logs import run_step
from spatialint.osm.sources import cache_path, download
from tests.conftest import AN_ORIGIN
from tests.pipeline_runs import (
    clone_run,
    output_of,
    shared_two_study_run,
    snakemake,
    snapshot,
    write_study,
)

DEMO_PBF = Path("data/demo/demo/demo.osm.pbf")


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir, _ = shared_two_study_run(tmp_path_factory)
    assert (workdir / "maps" / "demo" / "index.html").exists()
    return workdir


def assert_one_clear_message(result, message: str) -> str:
    """The run failed, said ``message`` once and showed no Python traceback (Snakemake's own
    ``reason:`` lines, which quote the edited params, do not count)."""
    output = output_of(result)
    assert result.returncode != 0, output[-3000:]
    said = "\n".join(line for line in output.splitlines() if "reason: " not in line)
    assert said.count(message) == 1, output[-5000:]
    assert "Traceback" not in output, output[-5000:]
    return output


def one_error_line(log: Path, message: str) -> None:
    lines = log.read_text(encoding="utf-8").strip().splitlines()
    errors = [line for line in lines if " ERROR " in line]
    assert len(errors) == 1 and message in errors[0], lines


@pytest.mark.pipeline
def test_study_area_without_roads(finished: Path, tmp_path: Path) -> None:
    workdir = clone_run(finished, tmp_path / "run")
    demo_before = snapshot(workdir / "data" / "demo")
    write_study(
        workdir,
        "noroads",
        {
            "source": {"kind": "pbf", "url": str(workdir / DEMO_PBF)},
            "area": {"bbox": [100.0, 10.0, 100.1, 10.1]},  # the demo is at 113.5°E 27.9°N
            "access": {"origins": [AN_ORIGIN]},
        },
    )
    result = snakemake(workdir, "--cores", "1", "--config", "studies=[noroads]")
    assert_one_clear_message(result, "left no roads, railways or places")
    one_error_line(workdir / "logs" / "noroads" / "retrieve_osm.log", "left no roads")
    assert not (workdir / "data" / "noroads" / "osm" / "extract.osm.pbf").exists()
    assert snapshot(workdir / "data" / "demo") == demo_before


@pytest.mark.pipeline
def test_pbf_without_admin_relations(finished: Path, tmp_path: Path) -> None:
    import osmium

    workdir = clone_run(finished, tmp_path / "run")
    no_admin = workdir / "no_admin.osm.pbf"
    with osmium.SimpleWriter(str(no_admin)) as writer:
        for obj in osmium.FileProcessor(str(workdir / DEMO_PBF)):
            if obj.type_str() == "r" and obj.tags.get("boundary") == "administrative":
                continue
            writer.add(obj)
    write_study(
        workdir,
        "noadmin",
        {"source": {"kind": "pbf", "url": str(no_admin)}, "access": {"origins": [AN_ORIGIN]}},
    )
    demo_before = snapshot(workdir / "data" / "demo")
    result = snakemake(workdir, "--cores", "1", "--config", "studies=[noadmin]")
    output = output_of(result)
    assert result.returncode != 0, output[-3000:]
    assert "Traceback" not in output, output[-5000:]
    failed = [line for line in output.splitlines() if line.startswith("Error in rule")]
    assert len(failed) == 1, failed
    rule = failed[0].removeprefix("Error in rule ").rstrip(":")
    log = workdir / "logs" / "noadmin" / f"{rule}.log"
    errors = [line for line in log.read_text(encoding="utf-8").splitlines() if " ERROR " in line]
    assert len(errors) == 1 and "admin" in errors[0], errors
    assert output.count(errors[0].split(": ", 1)[1]) == 1
    assert snapshot(workdir / "data" / "demo") == demo_before


@pytest.mark.pipeline
def test_origin_in_the_sea(finished: Path, tmp_path: Path) -> None:
    workdir = clone_run(finished, tmp_path / "run")
    study_file = workdir / "workflow" / "config" / "studies" / "demo.yaml"
    study = yaml.safe_load(study_file.read_text(encoding="utf-8"))
    study["access"]["origins"].append({"name": "海上 At sea", "lon": 123.0, "lat": 25.0})
    study_file.write_text(yaml.safe_dump(study, allow_unicode=True), encoding="utf-8")
    network_before = snapshot(workdir / "data" / "demo" / "network")
    # only the origins step (and what depends on it) runs with the edited origin list
    result = snakemake(workdir, "--cores", "1")
    assert_one_clear_message(result, "At sea")
    one_error_line(workdir / "logs" / "demo" / "origins.log", "At sea")
    assert snapshot(workdir / "data" / "demo" / "network") == network_before


@pytest.mark.pipeline
def test_duplicate_study_names(finished: Path) -> None:
    result = snakemake(finished, "-n", "--config", "studies=[demo,demo]", timeout=300)
    assert_one_clear_message(result, "listed twice")


# --- a full disk while downloading -------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    payload = b"\x00" * 3_000_000

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.endswith(".md5"):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.payload)))
        self.end_headers()
        self.wfile.write(self.payload)


class _StubServer(ThreadingHTTPServer):
    """The stub download server. A client hanging up mid-transfer (a download stopped by a
    full disk) is expected here: the server thread must not print its traceback into the
    stderr the test reads."""

    def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture
def server() -> Iterator[str]:
    httpd = _StubServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _FillingDisk(io.FileIO):
    """A file on a disk with 1 MB free: writes beyond that fail with ENOSPC, as on a full disk."""

    free_bytes = 1_000_000

    def write(self, data) -> int:  # type: ignore[override]
        if self.tell() + len(data) > self.free_bytes:
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().write(data)


def test_full_disk_during_download(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    def full_disk_open(file, mode="r", *args, **kwargs):
        assert "b" in mode and "w" in mode
        return _FillingDisk(file, "wb")

    monkeypatch.setattr("spatialint.osm.sources.open", full_disk_open, raising=False)
    cache = tmp_path / "cache"
    url = f"{server}/extract.osm.pbf"
    with pytest.raises(DownloadError, match="is full") as raised:
        download(url, cache_dir=cache, retries=3, backoff_s=0.01)
    assert str(cache) in str(raised.value) and "source.cache_dir" in str(raised.value)
    # nothing half-written stays in the cache, not even atomic_path's temporary file
    assert not cache_path(url, cache_dir=cache).exists()
    assert [p for p in cache.rglob("*") if p.is_file()] == []

    # as a pipeline step: one log line, exit status 1, no traceback
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        run_step(lambda: download(url, cache_dir=cache, retries=3, backoff_s=0.01))
    assert exited.value.code == 1
    lines = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in lines if " ERROR " in line]
    assert len(errors) == 1 and "is full" in errors[0], lines
    assert "Traceback" not in "\n".join(lines)
    assert sum("attempt" in line for line in lines) == 1, "a full disk is not retried"
    assert [p for p in cache.rglob("*") if p.is_file()] == []


@pytest.mark.pipeline
def test_admin_file_in_metres_stops_at_the_admin_step(finished: Path, tmp_path: Path) -> None:
    import json

    import geopandas as gpd
    import shapely

    workdir = clone_run(finished, tmp_path / "run")
    demo_before = snapshot(workdir / "data" / "demo")
    metres = gpd.GeoSeries([shapely.box(112.6, 27.6, 114.4, 28.2)], crs=4326).to_crs(32649)
    units = workdir / "units.geojson"  # a GeoJSON saved from a metric project: no CRS member
    feature = {"type": "Feature", "properties": {"name": "区"}, "geometry": metres.iloc[0]}
    units.write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]}, default=_geo_json),
        encoding="utf-8",
    )
    write_study(
        workdir,
        "metres",
        {
            "source": {"kind": "pbf", "url": str(workdir / DEMO_PBF)},
            "admin": {"levels": [6], "border_level": 6, "file": str(units)},
            "access": {"origins": [AN_ORIGIN]},
        },
    )
    result = snakemake(workdir, "--cores", "1", "--config", "studies=[metres]")
    assert_one_clear_message(result, "look like metres of a projected CRS")
    one_error_line(workdir / "logs" / "metres" / "admin_units.log", "units.geojson is read as")
    ran = {p.stem for p in (workdir / "logs" / "metres").glob("*.log")}
    assert ran == {"retrieve_osm", "admin_units"}, ran  # refused early, not steps later
    assert not (workdir / "data" / "metres" / "network" / "admin_units.gpkg").exists()
    assert snapshot(workdir / "data" / "demo") == demo_before


def _geo_json(geom) -> dict:
    return geom.__geo_interface__
