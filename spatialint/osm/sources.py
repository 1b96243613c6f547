"""Getting a study's OSM PBF: a local file as is, or a download into an on-disk cache.

``source.url`` may be an ``http(s)://`` URL, a ``file://`` URL or a local path, or a list of
them (merged by :mod:`spatialint.osm.merge`); relative paths are relative to ``base_dir``
(the repository root / Snakemake working directory).  Downloads
land in ``source.cache_dir`` under a name derived from the URL, so a second run (or a second
study on the same province) reuses the file.  A download is written to a temporary file that is
renamed into the cache only after it is complete and, where the server publishes one
(Geofabrik: ``<url>.md5``), its MD5 matches; a half-written file is never taken as data.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import requests
from tqdm import tqdm

from spatialint.config import REPO_ROOT
from spatialint.errors import ConfigError, DataError, DownloadError, WriteError
from spatialint.fileio import DISK_FULL_ERRNOS, atomic_path
from spatialint.settings import SourceSettings

logger = logging.getLogger(__name__)

DOWNLOAD_RETRIES = 4
BACKOFF_BASE_S = 2.0
CONNECT_TIMEOUT_S = 30.0
READ_TIMEOUT_S = 120.0
CHUNK_BYTES = 1 << 20
LOG_EVERY_FRACTION = 0.1
_MD5_PATTERN = re.compile(r"\b([0-9a-fA-F]{32})\b")


def is_remote(url: str) -> bool:
    """True for ``http://`` and ``https://`` URLs."""
    return urlparse(url).scheme in {"http", "https"}


def local_path(url: str, *, base_dir: Path = REPO_ROOT) -> Path:
    """The file a ``file://`` URL or a (relative) local path points at."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        path = Path(unquote(parsed.path))
    elif parsed.scheme in {"", "c", "d"} or len(parsed.scheme) == 1:  # Windows drive letters
        path = Path(url)
    else:
        raise ConfigError(
            f"source.url {url!r} has an unsupported scheme {parsed.scheme!r}; use http(s)://, "
            "file:// or a local path."
        )
    return path if path.is_absolute() else Path(base_dir) / path


def cache_path(url: str, *, cache_dir: Path) -> Path:
    """Where the download of ``url`` is cached: ``<cache_dir>/<host>/<sha1[:10]>-<file name>``.

    The hash of the full URL keeps two extracts with the same file name apart (Geofabrik names
    every province ``...-latest.osm.pbf``), the readable tail keeps the cache browsable.
    """
    parsed = urlparse(url)
    name = Path(unquote(parsed.path)).name or "download.osm.pbf"
    digest = hashlib.sha1(url.encode("utf-8")).hexdigest()[:10]
    return Path(cache_dir) / (parsed.hostname or "local") / f"{digest}-{name}"


def file_md5(path: Path) -> str:
    """Hex MD5 of a file, read in chunks."""
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _is_retryable(err: Exception) -> bool:
    if isinstance(err, requests.HTTPError) and err.response is not None:
        status = err.response.status_code
        return status >= 500 or status in {408, 425, 429}
    return isinstance(err, requests.RequestException | _IncompleteDownloadError)


class _IncompleteDownloadError(OSError):
    """The connection ended before Content-Length bytes arrived."""


class _ChecksumMismatchError(OSError):
    """The downloaded file's MD5 differs from the published one (args: actual, published)."""


def fetch_md5(md5_url: str, *, required: bool) -> str | None:
    """The published MD5 at ``md5_url``; ``None`` when there is none and it is not ``required``.

    Geofabrik's ``.md5`` files hold ``<hex digest>  <file name>``; any text holding one
    32-digit hex number is accepted.
    """
    try:
        response = requests.get(md5_url, timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S))
    except requests.RequestException as err:
        if required:
            raise DownloadError(
                f"Could not fetch the checksum {md5_url} ({err}); check source.md5_url and "
                "your network, or remove source.md5_url to skip the check."
            ) from err
        logger.warning(
            "no MD5 checksum fetched from %s (%s); the download is not verified", md5_url, err
        )
        return None
    if not response.ok:
        if required:
            raise DownloadError(
                f"The checksum {md5_url} answered HTTP {response.status_code}; check "
                "source.md5_url or remove it to skip the check."
            )
        logger.info(
            "no MD5 published at %s (HTTP %d); the download is not verified",
            md5_url,
            response.status_code,
        )
        return None
    match = _MD5_PATTERN.search(response.text)
    if match is None:
        if required:
            raise DownloadError(f"{md5_url} does not hold an MD5 checksum; check source.md5_url.")
        logger.warning("%s does not hold an MD5 checksum; the download is not verified", md5_url)
        return None
    return match.group(1).lower()


def _download_once(url: str, target: Path) -> int:
    """Stream ``url`` into ``target``; return the byte count. Raises on any incompleteness."""
    with requests.get(url, stream=True, timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S)) as response:
        response.raise_for_status()
        total = int(response.headers.get("Content-Length", 0)) or None
        received = 0
        next_log = LOG_EVERY_FRACTION
        with (
            open(target, "wb") as handle,
            tqdm(total=total, unit="B", unit_scale=True, desc=target.name, disable=None) as bar,
        ):
            for chunk in response.iter_content(chunk_size=CHUNK_BYTES):
                handle.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
                if total and received / total >= next_log:
                    logger.info(
                        "downloaded %.0f%% of %s (%.1f MB)",
                        100 * received / total,
                        url,
                        received / 1e6,
                    )
                    next_log += LOG_EVERY_FRACTION
        if total is not None and received != total:
            raise _IncompleteDownloadError(f"received {received} of {total} bytes")
    return received


def download(
    url: str,
    *,
    cache_dir: Path,
    md5_url: str | None = None,
    retries: int = DOWNLOAD_RETRIES,
    backoff_s: float = BACKOFF_BASE_S,
) -> Path:
    """Download ``url`` into the cache (or reuse the cached file) and return its path.

    Parameters
    ----------
    url
        ``http(s)://`` URL of the file.
    cache_dir
        Cache folder; the file goes to :func:`cache_path`.
    md5_url
        URL of the published MD5. ``None`` tries ``<url>.md5`` and skips the check when the
        server has none; an explicit URL must answer with a checksum.
    retries
        Further attempts after the first one for network errors and HTTP 5xx/429.
    backoff_s
        First pause between attempts; it doubles after each failed attempt.

    Raises
    ------
    DownloadError
        After the last failed attempt, on HTTP 4xx, or when the MD5 does not match; the cache
        then holds no file for ``url``.
    """
    target = cache_path(url, cache_dir=cache_dir)
    if target.exists():
        logger.info("using cached download %s of %s", target, url)
        return target
    checksum_url = md5_url or f"{url}.md5"
    expected = fetch_md5(checksum_url, required=md5_url is not None)
    attempts = retries + 1
    for attempt in range(1, attempts + 1):
        last = attempt == attempts
        pause = backoff_s * 2 ** (attempt - 1)
        try:
            logger.info("downloading %s to %s (attempt %d of %d)", url, target, attempt, attempts)
            _download_verified(url, target, expected)
            return target
        except DownloadError:
            raise
        except _ChecksumMismatchError as err:
            actual, published = err.args
            if last:
                raise _checksum_error(url, actual, published) from None
            # Geofabrik replaces *-latest files daily: the checksum may belong to a newer file
            logger.warning(
                "MD5 of %s does not match (%s, published %s); fetching the checksum again and "
                "retrying in %.1f s",
                url,
                actual,
                published,
                pause,
            )
            time.sleep(pause)
            expected = fetch_md5(checksum_url, required=True)
        except (requests.RequestException, OSError) as err:
            fatal = _fatal_error(err, url, cache_dir=cache_dir, attempt=attempt, last=last)
            if fatal is not None:
                raise fatal from err
            logger.warning("download of %s failed (%s); retrying in %.1f s", url, err, pause)
            time.sleep(pause)
    raise AssertionError("unreachable")  # pragma: no cover


def _download_verified(url: str, target: Path, expected: str | None) -> None:
    """One attempt: stream ``url`` into ``target`` (atomically) and check its MD5 if known."""
    with atomic_path(target) as tmp:
        size = _download_once(url, tmp)
        if expected is not None:
            actual = file_md5(tmp)
            if actual != expected:
                raise _ChecksumMismatchError(actual, expected)
            logger.info("MD5 %s verified", actual)
    logger.info("downloaded %s (%.1f MB) to %s", url, size / 1e6, target)


def _checksum_error(url: str, actual: str, published: str) -> DownloadError:
    return DownloadError(
        f"The download of {url} has MD5 {actual} but the server publishes {published}; the "
        "file was not kept. Run again to re-download; if it persists the mirror is updating — "
        "wait, or set source.url to another mirror."
    )


def _fatal_error(
    err: Exception, url: str, *, cache_dir: Path, attempt: int, last: bool
) -> DownloadError | None:
    """The error that ends the download after ``err``; ``None`` when it is worth retrying."""
    if isinstance(err, OSError) and err.errno in DISK_FULL_ERRNOS:
        return DownloadError(
            f"The disk holding {cache_dir} is full ({err.strerror}) while downloading {url}; "
            "nothing was kept in the cache. Free space there, or set source.cache_dir to a "
            "folder on a disk with room for the extract, and run again."
        )
    if isinstance(err, WriteError):  # no permission, read-only: retrying cannot help
        return DownloadError(f"{err} (source.cache_dir may name another folder for downloads)")
    if isinstance(err, requests.HTTPError) and not _is_retryable(err):
        status = err.response.status_code if err.response is not None else "?"
        return DownloadError(
            f"{url} answered HTTP {status}; check source.url in the study config (for "
            "Geofabrik see https://download.geofabrik.de for the extract names)."
        )
    if last or not _is_retryable(err):
        return DownloadError(
            f"Downloading {url} failed after {attempt} attempt(s): {err}. Nothing was kept in "
            "the cache; check your network and run again, or download the file yourself and "
            "set source.url to its local path."
        )
    return None


def resolve_sources(source: SourceSettings, *, base_dir: Path = REPO_ROOT) -> tuple[Path, ...]:
    """The local PBF files of a ``source.kind: pbf`` source (one per ``source.url`` item, in
    order), downloading each if needed (see :func:`resolve_url`).

    Raises
    ------
    ConfigError
        ``source.url`` is missing.
    DataError, DownloadError
        As :func:`resolve_url`, for the first file that fails.
    """
    if not source.url:
        raise ConfigError(
            "source.url is missing: give the PBF's http(s):// URL, a file:// URL or a local "
            "path (e.g. https://download.geofabrik.de/asia/china/hunan-latest.osm.pbf), or a "
            "list of them."
        )
    return tuple(resolve_url(url, source, base_dir=base_dir) for url in source.url)


def resolve_source(source: SourceSettings, *, base_dir: Path = REPO_ROOT) -> Path:
    """The local PBF file of a one-file ``source.kind: pbf`` source (see
    :func:`resolve_sources`)."""
    paths = resolve_sources(source, base_dir=base_dir)
    if len(paths) != 1:
        raise ConfigError(f"source.url names {len(paths)} files where one is expected.")
    return paths[0]


def resolve_url(url: str, source: SourceSettings, *, base_dir: Path = REPO_ROOT) -> Path:
    """The local PBF file of one ``source.url`` item, downloading it if needed.

    Raises
    ------
    DataError
        A local file does not exist.
    DownloadError
        A download failed (see :func:`download`).
    """
    if is_remote(url):
        cache_dir = Path(source.cache_dir)
        if not cache_dir.is_absolute():
            cache_dir = Path(base_dir) / cache_dir
        return download(
            url,
            cache_dir=cache_dir,
            md5_url=source.md5_url,
            retries=source.retries,
            backoff_s=source.backoff_s,
        )
    path = local_path(url, base_dir=base_dir)
    if not path.is_file():
        raise DataError(
            f"The OSM file {path} (source.url {url!r}) does not exist; check the path (relative "
            f"paths are relative to {base_dir}) or download the extract there."
        )
    if os.access(path, os.R_OK) is False:
        raise DataError(f"The OSM file {path} is not readable; check its permissions.")
    return path
