"""The commands besides the Singer target: `authorize`, `replay`, `audit`, `reconcile` (Meltano plugin commands).

They read the same settings as the target: `--config FILE` (repeatable) and the `TARGET_FRESHBOOKS_*`
environment variables Meltano sets (which win, as with the target's `--config ENV`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from target_freshbooks.errors import ConfigError
from target_freshbooks.settings import CONFIG_SCHEMA, ENV_PREFIX, Settings

TRUE = {"1", "true", "t", "yes", "y", "on"}


def _coerce(raw: str, schema: Mapping[str, Any]) -> Any:
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "boolean" in kinds:
        return raw.strip().lower() in TRUE
    if "number" in kinds or "integer" in kinds:
        try:
            return float(raw)
        except ValueError:
            return raw
    return raw


def read_config_files(config_files: tuple[str, ...]) -> dict[str, Any]:
    """The settings of the `--config` files, later files winning."""
    config: dict[str, Any] = {}
    for name in config_files:
        try:
            loaded = json.loads(Path(name).read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"Cannot read the config file {name}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"The config file {name} must hold a JSON object of settings.")
        config.update(loaded)
    return config


def load_settings(config_files: tuple[str, ...], environ: Mapping[str, str] | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    config = read_config_files(config_files)
    for setting, schema in CONFIG_SCHEMA["properties"].items():
        value = environ.get(ENV_PREFIX + setting.upper())
        if value is not None and value != "":
            config[setting] = _coerce(value, schema)
    return Settings.from_config(config, environ)


config_option = click.option(
    "--config", "config_files", multiple=True, type=click.Path(dir_okay=False),
    help="Settings file (JSON); repeatable. TARGET_FRESHBOOKS_* environment variables are read too.")


@click.group(context_settings={"help_option_names": ["--help", "-h"]})
def commands() -> None:
    """target-freshbooks commands (run without a command to load Singer messages from stdin)."""


def register() -> click.Group:
    from target_freshbooks.commands import audit, authorize, reconcile, replay

    commands.add_command(authorize.authorize)
    commands.add_command(replay.replay)
    commands.add_command(audit.audit)
    commands.add_command(reconcile.reconcile)
    return commands
