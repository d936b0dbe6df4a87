"""Fixtures for the target's tests: an authorized target config over an empty or a seeded sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from sandbox.testing import RunningSandbox
from target_harness import TargetEnv, authorized_env


@pytest.fixture
def env(empty_sandbox: RunningSandbox, tmp_path: Path) -> TargetEnv:
    """An authorized target over an empty FreshBooks."""
    return authorized_env(empty_sandbox, tmp_path)


@pytest.fixture
def seeded_env(sandbox: RunningSandbox, tmp_path: Path) -> TargetEnv:
    """An authorized target over the seeded FreshBooks (pre-existing clients, items, taxes)."""
    return authorized_env(sandbox, tmp_path)
