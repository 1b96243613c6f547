# Shared set-up: load and validate every selected study before any rule runs.
import sys

from spatialint.config import load_studies
from spatialint.errors import ConfigError

try:
    STUDIES = load_studies(config)
except ConfigError as err:
    # One paragraph for the user, no traceback: the message names the file, key and value.
    sys.exit(f"spatialint: {err}")


wildcard_constraints:
    study="|".join(STUDIES) or "no-study",
    mode="road|multimodal",


def study_config(wildcards):
    """The validated config of the study named by the {study} wildcard."""
    return STUDIES[wildcards.study]


def study_section(name):
    """An input/params function returning one section of the study config."""

    def section(wildcards):
        return STUDIES[wildcards.study][name]

    return section
