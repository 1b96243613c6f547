"""Study configuration: load the YAML files, validate them against the schema, fill defaults.

The workflow has two levels of configuration:

- ``workflow/config/default.yaml`` selects the studies to run (``studies: [demo]``);
- ``workflow/config/studies/<name>.yaml`` describes one study.

Both are described, key by key, in ``workflow/schemas/config.schema.yaml`` (JSON Schema written
in YAML); the study schema is its ``$defs/study``.  Validation fills in every default the schema
declares, so downstream code can index the config without ``.get`` fallbacks, and a bad value
is reported as one :class:`~spatialint.errors.ConfigError` naming the file, the key, the value
and what was expected.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from spatialint.errors import ConfigError
from spatialint.settings import study_settings

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = REPO_ROOT / "workflow" / "schemas" / "config.schema.yaml"
STUDY_DIR = REPO_ROOT / "workflow" / "config" / "studies"
STUDY_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


def _with_defaults(validator_class: type[jsonschema.protocols.Validator]) -> type:
    """A validator class that also writes each property's ``default`` into the instance."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(
        validator: Any, properties: Mapping[str, Any], instance: Any, schema: Mapping[str, Any]
    ) -> Iterator[jsonschema.ValidationError]:
        if isinstance(instance, dict):
            for key, subschema in properties.items():
                if "default" in subschema and key not in instance:
                    instance[key] = copy.deepcopy(subschema["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


_DefaultingValidator = _with_defaults(jsonschema.Draft202012Validator)


def load_schema(path: Path = SCHEMA_PATH) -> dict[str, Any]:
    """Read the configuration schema (YAML)."""
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _key_path(error: jsonschema.ValidationError) -> str:
    parts = [str(p) for p in error.absolute_path]
    return ".".join(parts) if parts else "(top level)"


def _describe(error: jsonschema.ValidationError) -> str:
    """One sentence for a planner: which key, which value, what was expected."""
    key = _key_path(error)
    hint = error.schema.get("description") if isinstance(error.schema, dict) else None
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = re.findall(r"'([^']+)'", error.message)
        where = "at the top level" if key == "(top level)" else f"under '{key}'"
        return (
            f"unknown key {', '.join(repr(e) for e in extra) or error.message} {where}; "
            f"allowed keys are: {', '.join(allowed)}"
        )
    if error.validator == "required":
        return f"missing required key {error.message.split(' ')[0]} under '{key}'"
    if error.validator in ("oneOf", "anyOf"):
        options = [
            " and ".join(option["required"])
            for option in error.validator_value
            if isinstance(option, dict) and "required" in option
        ]
        what = f" ({hint.strip().rstrip('.')})" if hint else ""
        return f"key '{key}' has value {error.instance!r}{what}; give " + (
            "; or ".join(options) if options else "one of the allowed forms"
        )
    expected = {
        "type": f"a value of type {error.validator_value}",
        "enum": f"one of {error.validator_value}",
        "minimum": f"a number >= {error.validator_value}",
        "exclusiveMinimum": f"a number > {error.validator_value}",
        "maximum": f"a number <= {error.validator_value}",
        "minItems": f"a list of at least {error.validator_value} item(s)",
        "pattern": f"text matching {error.validator_value}",
    }.get(str(error.validator), error.message)
    text = f"key '{key}' has value {error.instance!r}, expected {expected}"
    if hint:
        text += f" ({hint.strip().rstrip('.')})"
    return text


def validate(instance: dict[str, Any], schema: Mapping[str, Any], *, source: str) -> dict[str, Any]:
    """Validate ``instance`` against ``schema`` and return a copy with defaults filled in.

    Raises
    ------
    ConfigError
        On the first (most relevant) violation, naming ``source``, the key and the value.
    """
    filled = copy.deepcopy(instance)
    validator = _DefaultingValidator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(filled))
    if error is not None:
        raise ConfigError(f"Invalid configuration in {source}: {_describe(error)}.")
    return filled


def study_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The study sub-schema, with ``$defs`` kept so internal references resolve."""
    sub = dict(schema["$defs"]["study"])
    sub["$defs"] = schema["$defs"]
    return sub


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice in one mapping (plain YAML keeps the last
    one silently, so an edit to the first copy would do nothing)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


YAML_ENCODINGS = ("utf-8-sig", "gb18030")
"""Encodings a config file may be saved in: UTF-8 (with or without BOM) and GB18030, a superset
of the GBK that Chinese Windows editors write."""


def read_text(path: Path) -> str:
    """The text of a config file in one of :data:`YAML_ENCODINGS`."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError as err:
        raise ConfigError(f"Configuration file {path} does not exist.") from err
    for encoding in YAML_ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding != YAML_ENCODINGS[0]:
            logger.info("%s is not UTF-8; read it as %s", path, encoding.upper())
        return text
    raise ConfigError(
        f"{path} is neither UTF-8 nor GB18030/GBK text; save it as UTF-8 in your editor."
    )


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping, turning syntax errors and repeated keys into a :class:`ConfigError`."""
    try:
        data = yaml.load(read_text(path), Loader=_UniqueKeyLoader)
    except yaml.YAMLError as err:
        raise ConfigError(f"{path} is not valid YAML: {err}") from err
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path} must hold a mapping of keys to values, not {type(data).__name__}."
        )
    return data


def load_study(
    name: str, *, study_dir: Path = STUDY_DIR, schema: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Load, validate and default-fill the study ``name`` from ``study_dir/<name>.yaml``."""
    schema = load_schema() if schema is None else schema
    if not STUDY_NAME_PATTERN.match(name):
        raise ConfigError(
            f"Study name {name!r} is not valid: use lower-case letters, digits and '_', "
            "starting with a letter (it becomes a folder name under data/ and maps/)."
        )
    if not Path(study_dir).is_dir():
        raise ConfigError(
            f"The study folder {study_dir} does not exist (study_dir, relative to the working "
            f"folder {Path.cwd()}); run from the repository root or set "
            "--config study_dir=/path/to/studies."
        )
    path = Path(study_dir) / f"{name}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in Path(study_dir).glob("*.yaml"))
        raise ConfigError(
            f"Unknown study {name!r}: there is no {path}. Known studies: {', '.join(known)}. "
            f"Create {path.name} in {study_dir} (copy demo.yaml as a start) or fix the name "
            "given in 'studies'."
        )
    study = validate(read_yaml(path), study_schema(schema), source=str(path))
    if study.get("name", name) != name:
        raise ConfigError(
            f"Invalid configuration in {path}: key 'name' is {study['name']!r} but the file is "
            f"named {name}.yaml; make them agree."
        )
    study["name"] = name
    try:  # the checks JSON Schema cannot express (bands increasing, ...), once per study
        study_settings(study)
    except ConfigError as err:
        raise ConfigError(f"Invalid configuration in {path}: {err}") from err
    return study


def load_studies(
    config: Mapping[str, Any], *, schema_path: Path = SCHEMA_PATH
) -> dict[str, dict[str, Any]]:
    """Validate the workflow config and load every study it selects, in order.

    Studies are read from ``config["study_dir"]`` (default ``workflow/config/studies``,
    relative to the working directory).
    """
    schema = load_schema(schema_path)
    config = dict(config)
    if isinstance(config.get("studies"), str):  # --config studies=demo
        config["studies"] = [config["studies"]]
    top = validate(config, schema, source="the workflow config (default.yaml / --config)")
    studies = top["studies"]
    duplicates = sorted({s for s in studies if studies.count(s) > 1})
    if duplicates:
        raise ConfigError(f"Study {duplicates[0]!r} is listed twice in 'studies'; list each once.")
    study_dir = Path(top["study_dir"])
    return {name: load_study(name, study_dir=study_dir, schema=schema) for name in studies}
