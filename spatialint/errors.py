"""The exceptions spatialint raises for problems a user can fix.

Every exception here carries a message written for a planner: what was wrong and what to do.
They are also ``ValueError``s (bad input) or ``OSError``s (I/O), so generic handlers work.
"""


class SpatialintError(Exception):
    """Base class of every error spatialint raises on purpose."""


class ConfigError(SpatialintError, ValueError):
    """A study configuration is missing, malformed or does not match the schema."""


class DataError(SpatialintError, ValueError):
    """Input data (a PBF, a boundary file, a review file, ...) is unusable as given."""


class DownloadError(SpatialintError, OSError):
    """A download failed after its retries, or produced a file that fails its check."""


class ResourceError(SpatialintError, ValueError):
    """A job's resources are too small for its input: its estimated memory exceeds its
    ``mem_mb`` (see :mod:`spatialint.memory`), so it stops before starting instead of being
    killed for memory."""


class WriteError(SpatialintError, OSError):
    """An output could not be written: the disk is full, the folder is not writable, or a file
    stands where a folder is needed. ``errno``/``strerror``/``filename`` are those of the
    operating system's error (``errno.ENOSPC``, ``errno.EACCES``, ...)."""

    def __init__(self, message: str, *, cause: OSError | None = None) -> None:
        super().__init__(message)
        if cause is not None:
            self.errno, self.strerror, self.filename = cause.errno, cause.strerror, cause.filename

    def __str__(self) -> str:
        return str(self.args[0])
