"""The machinery of the typed settings: a record built field by field from plain config data.

:class:`Spec` converts a mapping to a frozen dataclass by its type hints; :class:`Settings` reads
its fields from a fixed set of keys of the study config (its ``SECTION``, or another place named
with :func:`config_key`). The settings classes themselves are in :mod:`spatialint.settings`.
"""

from __future__ import annotations

import copy
import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import field
from typing import Any, ClassVar, Literal, Self, get_args, get_origin, get_type_hints

from spatialint.errors import ConfigError

_CONFIG_KEY = "config_key"
_CANONICAL = "canonical"


def config_key(path: str, canonical: Any = None) -> Any:
    """A field read from ``path`` (dotted, e.g. ``"admin.border_level"``) instead of
    ``<SECTION>.<field name>``; ``canonical`` maps its config value to one spelling (so
    ``6`` and ``[6]`` are the same param)."""
    return field(metadata={_CONFIG_KEY: path, _CANONICAL: canonical})


def _lookup(study: Mapping[str, Any], path: str) -> Any:
    """The value at dotted ``path`` of ``study``; ``None`` for an optional key that is unset."""
    node: Any = study
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _canonical(value: Any) -> Any:
    """A deep copy of plain config data with every mapping's keys in sorted order."""
    if isinstance(value, Mapping):
        return {k: _canonical(value[k]) for k in sorted(value)}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return copy.deepcopy(value)


def _convert(value: Any, hint: Any, where: str) -> Any:
    """``value`` (plain YAML data) as the type ``hint`` says."""
    origin = get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in get_args(hint) if a is not type(None)]
        return None if value is None else _convert(value, options[0], where)
    if value is None:
        raise ConfigError(f"{where} is missing; the schema gives every required key a default.")
    if origin is Literal:
        if value not in get_args(hint):
            raise ConfigError(f"{where} is {value!r}; expected one of {list(get_args(hint))}.")
        return value
    if origin is tuple:
        (item,) = [a for a in get_args(hint) if a is not Ellipsis]
        value = [value] if isinstance(value, str | int) else value  # "one or a list" keys
        return tuple(_convert(v, item, f"{where}[{i}]") for i, v in enumerate(value))
    if origin in (dict, Mapping):
        _, item = get_args(hint)
        return {str(k): _convert(v, item, f"{where}.{k}") for k, v in value.items()}
    if isinstance(hint, type) and issubclass(hint, Spec):
        return hint.from_config(value, where=where)
    if hint is float:
        return float(value)
    if hint is int:
        return int(value)
    if hint is bool:
        return bool(value)
    if hint is str:
        return str(value)
    raise TypeError(f"no conversion of {where} to {hint!r}")  # a settings class bug


class Spec:
    """A typed record built field by field from a plain mapping (a part of the config)."""

    @classmethod
    def from_config(cls, values: Mapping[str, Any], *, where: str = "") -> Self:
        """Build from plain config values, converting each to its field's type."""
        hints = get_type_hints(cls)
        kwargs = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            name = f"{where}.{f.name}" if where else f.name
            kwargs[f.name] = _convert(values.get(f.name), hints[f.name], name)
        return cls(**kwargs)


class Settings(Spec):
    """Settings read from the study config: from its ``SECTION``, field by field."""

    SECTION: ClassVar[str]

    @classmethod
    def config_keys(cls) -> dict[str, str]:
        """Field name -> dotted key of the study config it is read from."""
        prefix = f"{cls.SECTION}." if cls.SECTION else ""
        return {
            f.name: f.metadata.get(_CONFIG_KEY, prefix + f.name)
            for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        }

    @classmethod
    def select(cls, study: Mapping[str, Any]) -> dict[str, Any]:
        """The plain values this class reads from a validated study (a rule's ``params``).

        Mappings come with their keys sorted, so reordering keys in the YAML file does not
        count as an edit (Snakemake compares params by their text).
        """
        spelling = {f.name: f.metadata.get(_CANONICAL) for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return {
            name: _canonical((spelling[name] or (lambda v: v))(_lookup(study, path)))
            for name, path in cls.config_keys().items()
        }

    @classmethod
    def from_study(cls, study: Mapping[str, Any]) -> Self:
        """Build from a validated, default-filled study config."""
        return cls.from_config(cls.select(study), where=cls.SECTION)
