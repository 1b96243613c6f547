"""Logging set-up for pipeline steps and the command line.

A step's console and log show spatialint's own progress and problems: our loggers (and the
workflow scripts') log from ``INFO``, every other library only from ``WARNING``, so chatter such
as pyogrio's ``Created 2,051 records`` stays out while their warnings, and Python warnings
(through ``py.warnings``), still show.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from spatialint.errors import SpatialintError
from spatialint.fileio import write_failure

T = TypeVar("T")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: Loggers that log from the level asked for: the package's, and the workflow scripts' (a
#: script's module is ``__main__`` or, for the shared helpers, ``_helpers``).
OWN_LOGGERS = ("spatialint", "_helpers", "__main__")
#: The level of every other library's loggers.
THIRD_PARTY_LEVEL = logging.WARNING


def configure_logging(log_path: str | Path | None = None, level: int = logging.INFO) -> None:
    """Send log records to stderr and, when given, to ``log_path`` (Snakemake's ``log:``).

    Raises
    ------
    OSError
        ``log_path`` cannot be written (logging then goes to stderr only).
    """
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    try:
        if log_path:
            Path(log_path).parent.mkdir(parents=True, exist_ok=True)
            handlers.append(logging.FileHandler(log_path, mode="w", encoding="utf-8"))
    finally:
        logging.basicConfig(
            level=max(level, THIRD_PARTY_LEVEL), format=LOG_FORMAT, handlers=handlers, force=True
        )
        for name in OWN_LOGGERS:
            logging.getLogger(name).setLevel(level)
        logging.captureWarnings(True)


def run_step(step: Callable[[], T], *, log_path: str | Path | None = None) -> T:
    """Run one pipeline step; a :class:`SpatialintError` ends it with its message, no traceback.

    Problems a user can fix (bad config, unusable data, a file that cannot be written) are
    raised as ``SpatialintError`` deep in the library; here they become one log line and exit
    status 1, which Snakemake reports as a failed job pointing at the log. A log file that
    cannot be written is reported the same way (on stderr), naming it.
    """
    logger = logging.getLogger("spatialint")
    try:
        configure_logging(log_path)
    except OSError as err:
        failure = write_failure(err, log_path) if log_path else None
        if failure is None:
            raise
        logger.error("%s", failure)
        sys.exit(1)
    try:
        return step()
    except SpatialintError as err:
        logger.error("%s", err)
        sys.exit(1)
