"""Settings plumbing shared by both simulators.

Each simulator declares its own dataclass of settings. Any field can be set from the environment
(`SANDBOX_ST_<FIELD>` / `SANDBOX_FB_<FIELD>`), from the command line (`--st field=value`,
`--fb field=value`) and, at run time, through `/_sandbox/config`.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")


def _coerce(value: Any, annotation: Any) -> Any:
    if not isinstance(value, str):
        return value
    kind = annotation if isinstance(annotation, type) else None
    if isinstance(annotation, str):
        kind = {"int": int, "float": float, "bool": bool, "str": str}.get(annotation.split("|")[0].strip())
    if kind is bool:
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if kind in (int, float):
        return kind(value)
    return value


def apply_overrides(settings: T, overrides: Mapping[str, Any]) -> T:
    """Set fields on a settings dataclass from a mapping of strings or typed values."""
    hints = typing.get_type_hints(type(settings))
    names = {f.name for f in dataclasses.fields(settings)}  # type: ignore[arg-type]
    for key, raw in overrides.items():
        name = key.strip().lower().replace("-", "_")
        if name not in names:
            raise ValueError(f"unknown setting {key!r}; known: {', '.join(sorted(names))}")
        setattr(settings, name, _coerce(raw, hints.get(name)))
    return settings


def parse_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """Parse `key=value` strings given on the command line."""
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"expected key=value, got {pair!r}")
        result[key] = value
    return result


def from_env(settings: T, prefix: str, environ: Mapping[str, str] | None = None) -> T:
    """Apply every `<prefix><FIELD>` environment variable to the settings."""
    environ = os.environ if environ is None else environ
    names = {f.name for f in dataclasses.fields(settings)}  # type: ignore[arg-type]
    found = {
        key[len(prefix):].lower(): value
        for key, value in environ.items()
        if key.startswith(prefix) and key[len(prefix):].lower() in names
    }
    return apply_overrides(settings, found)


def as_dict(settings: Any) -> dict[str, Any]:
    return dataclasses.asdict(settings)
