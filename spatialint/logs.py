"""Logging set-up for pipeline steps and the command line."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from spatialint.errors import SpatialintError

T = TypeVar("T")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(log_path: str | Path | None = None, level: int = logging.INFO) -> None:
    """Send log records to stderr and, when given, to ``log_path`` (Snakemake's ``log:``)."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_path, mode="w", encoding="utf-8"))
    logging.basicConfig(level=level, format=LOG_FORMAT, handlers=handlers, force=True)
    logging.captureWarnings(True)


def run_step(step: Callable[[], T], *, log_path: str | Path | None = None) -> T:
    """Run one pipeline step; a :class:`SpatialintError` ends it with its message, no traceback.

    Problems a user can fix (bad config, unusable data) are raised as ``SpatialintError`` deep in
    the library; here they become one log line and exit status 1, which Snakemake reports as a
    failed job pointing at the log.
    """
    configure_logging(log_path)
    try:
        return step()
    except SpatialintError as err:
        logging.getLogger("spatialint").error("%s", err)
        sys.exit(1)
