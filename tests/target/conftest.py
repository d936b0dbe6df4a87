"""Fixtures for the target's tests: an authorized target config over an empty or a seeded sandbox."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sandbox.testing import RunningSandbox
from target_harness import FreshBooks, Messages, TargetRun, authorize_target, run_command, run_target, target_config


@dataclass
class TargetEnv:
    """A sandbox, a target config pointing at it (tokens already authorized), and FreshBooks to look at."""

    sandbox: RunningSandbox
    config: dict[str, Any]
    fb: FreshBooks
    tmp_path: Path

    def run(self, messages: Messages | str, **extra: Any) -> TargetRun:
        return run_target({**self.config, **extra}, messages)

    def command(self, *args: str, input: str | None = None, **extra: Any) -> Result:
        return run_command(list(args), {**self.config, **extra}, self.tmp_path, input=input)

    @property
    def ledger_path(self) -> Path:
        return self.tmp_path / "ledger.db"


def _env(sandbox: RunningSandbox, tmp_path: Path) -> TargetEnv:
    config = target_config(sandbox, tmp_path)
    authorize_target(config, tmp_path)
    return TargetEnv(sandbox, config, FreshBooks(sandbox), tmp_path)


@pytest.fixture
def env(empty_sandbox: RunningSandbox, tmp_path: Path) -> TargetEnv:
    """An authorized target over an empty FreshBooks."""
    return _env(empty_sandbox, tmp_path)


@pytest.fixture
def seeded_env(sandbox: RunningSandbox, tmp_path: Path) -> TargetEnv:
    """An authorized target over the seeded FreshBooks (pre-existing clients, items, taxes)."""
    return _env(sandbox, tmp_path)
