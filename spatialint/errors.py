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
